"""API keys: created for a spec role, shown once, stored as a hash, listed without secrets, revoked, verified."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from revframe import Workspace
from revframe.api.keys import KeyChecker, create_key, list_keys, revoke_key
from revframe.errors import UsageError
from tests.api.conftest import client_for
from tests.api.seed import seed
from tests.cli.test_cli import revframe


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace.init(tmp_path / "ws")
    yield w
    w.close()


def test_create_for_an_unknown_role_names_the_roles(ws: Workspace) -> None:
    with pytest.raises(UsageError) as err:
        create_key(ws.store, ws.spec, "janitor", "x")
    msg = str(err.value)
    assert "janitor" in msg and "crm_admin" in msg and "revops_analyst" in msg and "sdr" in msg
    assert list_keys(ws.store) == []


def test_created_key_verifies_and_only_its_hash_is_stored(ws: Workspace) -> None:
    key, secret = create_key(ws.store, ws.spec, "crm_admin", "website-forms")
    assert secret.startswith(f"rf_{key.key_id}_") and (key.name, key.role) == ("website-forms", "crm_admin")
    stored = ws.store.query("SELECT key_id, name, role, key_hash, revoked_at FROM api_keys")
    assert len(stored) == 1 and stored[0][:3] == (key.key_id, "website-forms", "crm_admin")
    secret_part = secret.split("_", 2)[2]
    assert secret_part not in stored[0][3] and secret not in json.dumps([str(v) for v in stored[0]])
    got = KeyChecker().verify(ws.store, secret)
    assert got is not None and (got.key_id, got.role, got.revoked_at) == (key.key_id, "crm_admin", None)
    # a name defaults to the role
    assert create_key(ws.store, ws.spec, "sdr", "")[0].name == "sdr"


def test_list_shows_no_secret(ws: Workspace) -> None:
    a, sa = create_key(ws.store, ws.spec, "crm_admin", "a")
    b, sb = create_key(ws.store, ws.spec, "sdr", "b")
    listed = list_keys(ws.store)
    assert sorted((k.key_id, k.role) for k in listed) == sorted([(a.key_id, "crm_admin"), (b.key_id, "sdr")])
    text = repr(listed)
    assert sa.split("_", 2)[2] not in text and sb.split("_", 2)[2] not in text and "hash" not in text


@pytest.mark.parametrize(
    "presented",
    ["", "rf_", "hello", "rf_onlyid", "xx_{id}_{secret}", "rf_{id}_wrong", "rf_{id}_{secret}x",
     "rf_ffffffffffff_{secret}", "rf_{id}_{secret}" + "a" * 200],
)  # fmt: skip
def test_verify_refuses_bad_keys(ws: Workspace, presented: str) -> None:
    key, secret = create_key(ws.store, ws.spec, "crm_admin", "a")
    text = presented.format(id=key.key_id, secret=secret.split("_", 2)[2])
    assert KeyChecker().verify(ws.store, text) is None


def test_revoke(ws: Workspace) -> None:
    key, secret = create_key(ws.store, ws.spec, "crm_admin", "a")
    other, other_secret = create_key(ws.store, ws.spec, "sdr", "b")
    revoked = revoke_key(ws.store, key.key_id)
    assert revoked.key_id == key.key_id and revoked.revoked_at is not None
    assert KeyChecker().verify(ws.store, secret) is None
    assert KeyChecker().verify(ws.store, other_secret) is not None  # only that key
    again = revoke_key(ws.store, key.key_id)  # revoking twice keeps the first time
    assert again.revoked_at == revoked.revoked_at
    with pytest.raises(UsageError, match="no such API key"):
        revoke_key(ws.store, "000000000000")


def test_checker_caches_for_a_while(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A running server accepts a revoked key until its cache entry expires (CACHE_SECONDS), then refuses it."""
    from revframe.api import keys

    key, secret = create_key(ws.store, ws.spec, "crm_admin", "a")
    checker = KeyChecker()
    assert checker.verify(ws.store, secret) is not None
    revoke_key(ws.store, key.key_id)
    assert checker.verify(ws.store, secret) is not None  # cached
    monkeypatch.setattr(keys, "CACHE_SECONDS", 0.0)
    assert checker.verify(ws.store, secret) is None


# --- the CLI ------------------------------------------------------------------------------------------------
def test_cli_create_list_revoke_and_the_key_authenticates(tmp_path: Path) -> None:
    env = seed(tmp_path / "ws", None)
    w = ("-w", env.root)
    r = revframe(*w, "keys", "create", "--role", "crm_admin", "--name", "forms")
    assert r.code == 0, r.err
    key = r.out.strip().splitlines()[-1]
    assert key.startswith("rf_")
    made = revframe(*w, "--format", "json", "keys", "create", "--role", "sdr").json()
    assert made["role"] == "sdr" and made["key"].startswith(f"rf_{made['key_id']}_")

    listed = revframe(*w, "--format", "json", "keys", "list").json()
    key_id = key.split("_")[1]
    assert {(k["key_id"], k["role"]) for k in listed} >= {(key_id, "crm_admin"), (made["key_id"], "sdr")}
    assert key.split("_", 2)[2] not in json.dumps(listed) and all("hash" not in k for k in listed)

    bad = revframe(*w, "keys", "create", "--role", "janitor")
    assert bad.code == 2 and "crm_admin" in bad.err

    lead = {"email": "cli@newco.io", "country": "US"}
    with client_for(env) as client:
        assert client.post("/v1/leads", json=lead, headers={"X-API-Key": key}).status_code == 201

    r = revframe(*w, "keys", "revoke", key_id)
    assert r.code == 0 and key_id in r.err + r.out
    assert revframe(*w, "keys", "revoke", "000000000000").code == 2
    with client_for(env) as client:  # a new server: no cache
        r2 = client.post("/v1/leads", json={"email": "cli2@newco.io"}, headers={"X-API-Key": key})
        assert r2.status_code == 401
