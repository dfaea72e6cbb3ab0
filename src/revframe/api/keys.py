"""API keys: each carries one spec role; only a hash is stored, the key is shown once at creation.

A key reads ``rf_<key id>_<secret>``: the id finds the row, the secret's SHA-256 must equal the
stored hash (compared in constant time). Revoking sets ``revoked_at``; the key stops working at once
for new server processes and within :data:`CACHE_SECONDS` for running ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from revframe.errors import UsageError

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(store: Store, spec: Spec, role: str, name: str) -> tuple[ApiKey, str]:
    """Create a key carrying ``role`` (a role of the spec); returns the row and the key (shown once)."""
    roles = spec.people.role_ids()
    if role not in roles:
        raise UsageError(f"--role {role}: not a role of the spec; use one of {', '.join(roles)}")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    key = ApiKey(key_id, name or role, role, datetime.now(UTC), None)
    with store.transaction():
        store.insert_rows("api_keys", [(key_id, key.name, role, _hash(secret), key.created_at, None)])
    return key, f"rf_{key_id}_{secret}"


def list_keys(store: Store) -> list[ApiKey]:
    rows = store.query("SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at")
    return [ApiKey(*r) for r in rows]


def revoke_key(store: Store, key_id: str) -> ApiKey:
    rows = store.query("SELECT key_id, name, role, created_at, revoked_at FROM api_keys WHERE key_id = ?", [key_id])
    if not rows:
        raise UsageError(f"{key_id}: no such API key; `revframe keys list` shows them")
    with store.transaction():
        store.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", [datetime.now(UTC), key_id]
        )
    return ApiKey(*store.query("SELECT key_id, name, role, created_at, revoked_at FROM api_keys WHERE key_id = ?",
                               [key_id])[0])  # fmt: skip


class KeyChecker:
    """Verifies presented keys against the store, caching results for a short time."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}

    def cached(self, presented: str) -> tuple[bool, ApiKey | None]:
        """(True, the key or None) when ``presented`` was checked in the last :data:`CACHE_SECONDS`; else (False, None).

        Lets a request skip the store (and the wait for a pooled connection) for a key seen recently.
        """
        hit = self._cache.get(presented)
        if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
            return True, hit[1]
        return False, None

    def verify(self, store: Store, presented: str) -> ApiKey | None:
        """The key's row when ``presented`` is a valid, unrevoked key; None otherwise."""
        now = time.monotonic()
        seen, known = self.cached(presented)
        if seen:
            return known
        key = self._lookup(store, presented)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[presented] = (now, key)
        return key

    @staticmethod
    def _lookup(store: Store, presented: str) -> ApiKey | None:
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != "rf" or len(presented) > 200:
            return None
        rows = store.query(
            "SELECT key_id, name, role, created_at, revoked_at, key_hash FROM api_keys WHERE key_id = ?", [parts[1]]
        )
        if not rows or rows[0][4] is not None:
            return None
        if not hmac.compare_digest(rows[0][5], _hash(parts[2])):
            return None
        return ApiKey(*rows[0][:5])
