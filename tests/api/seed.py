"""A small hand-built company for the server tests: reps, accounts, one old lead, and an API key per role.

Every expectation in ``tests/api`` is worked out from these rows and the default spec's rules
(first match wins; round robin picks the rep with the fewest assignments in the rule's pool, ties
by the longest waiting, then by id), never by asking the server first.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from revframe import Workspace
from revframe.api.keys import create_key
from revframe.process.sla import open_clock
from revframe.store import Store, open_store
from tests.conftest import PG_URL
from tests.quality.test_match_batch import rows

T0 = datetime(2024, 1, 1, tzinfo=UTC)
ALL_WEEK = {"timezone": "UTC", "working_hours": "Mon-Sun 00:00-23:59"}
SDR = {"team": "Sales Development", "role": "Sales Development Rep", "is_active": True, "capacity": 1000} | ALL_WEEK

NA_SDRS = ["crm:sdr_na1", "crm:sdr_na2"]  # active SDRs in North America (sorted: the round-robin tie order)
EU_SDRS = ["crm:sdr_eu1", "crm:sdr_eu2"]
INACTIVE_NA_SDR = "crm:sdr_na3"
MANAGER = "crm:sdr_mgr"
CUSTOMER_AE = "crm:ae1"  # owns the customer account
ENTERPRISE_AE = "crm:ae2"  # owns the enterprise account
INACTIVE_CSM = "crm:csm1"  # the only Customer Success rep, and inactive
OLD_LEAD = "crm:old1"  # an open lead with a clock opened 30 days ago: overdue
OLD_OWNER = "crm:sdr_na2"
HANDOFF = "marketing_to_sales"

USERS: list[dict[str, Any]] = [
    {"id": "crm:sdr_na1", "name": "Nora NA1", "email": "nora@yourco.com", "region": "NA"} | SDR,
    {"id": "crm:sdr_na2", "name": "Ned NA2", "email": "ned@yourco.com", "region": "NA"} | SDR,
    {"id": INACTIVE_NA_SDR, "name": "Nina NA3", "email": "nina@yourco.com", "region": "NA"} | SDR
    | {"is_active": False},
    {"id": "crm:sdr_eu1", "name": "Erik EU1", "email": "erik@yourco.com", "region": "EMEA"} | SDR,
    {"id": "crm:sdr_eu2", "name": "Eva EU2", "email": "eva@yourco.com", "region": "EMEA"} | SDR,
    {"id": MANAGER, "name": "Mo Manager", "email": "mo@yourco.com", "region": "NA"} | SDR | {"role": "SDR Manager"},
    {"id": CUSTOMER_AE, "name": "Ava AE", "email": "ava@yourco.com", "team": "Mid-Market Sales",
     "role": "Account Executive", "region": "NA", "is_active": True} | ALL_WEEK,
    {"id": ENTERPRISE_AE, "name": "Eli AE", "email": "eli@yourco.com", "team": "Enterprise Sales",
     "role": "Account Executive", "region": "NA", "is_active": True} | ALL_WEEK,
    {"id": INACTIVE_CSM, "name": "Cy CSM", "email": "cy@yourco.com", "team": "Customer Success",
     "role": "Customer Success Manager", "region": "NA", "is_active": False} | ALL_WEEK,
]  # fmt: skip
ACCOUNTS: list[dict[str, Any]] = [
    {"id": "crm:acme", "name": "Acme Corp", "domain": "acme.com", "type": "Customer", "owner_id": CUSTOMER_AE,
     "country": "US", "employees": 300},
    {"id": "crm:globex", "name": "Globex", "domain": "globex.com", "type": "Prospect", "segment": "enterprise",
     "owner_id": ENTERPRISE_AE, "country": "US", "employees": 5000},
    {"id": "crm:initech", "name": "Initech", "domain": "initech.io", "type": "Prospect", "country": "GB",
     "employees": 150},
]  # fmt: skip
CONTACTS: list[dict[str, Any]] = [
    {"id": OLD_LEAD, "record_type": "lead", "email": "old@oldco.com", "email_domain": "oldco.com",
     "first_name": "Olga", "last_name": "Old", "company": "Oldco", "country": "US", "owner_id": OLD_OWNER,
     "lead_status": "New", "created_at": T0},
]  # fmt: skip
ROLES = ("crm_admin", "sdr", "revops_analyst")


@dataclass
class Env:
    """A seeded workspace: its folder, store URL and one API key per role in :data:`ROLES`."""

    root: Path
    url: str
    keys: dict[str, str]
    old_clock: dict[str, Any]

    @property
    def engine(self) -> str:
        return "postgres" if self.url.startswith("postgresql://") else "duckdb"

    def store(self) -> Store:
        return open_store(self.url)

    def headers(self, role: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


def pg_url() -> str:
    return f"{PG_URL}?schema=rf_api_{uuid.uuid4().hex[:10]}"


def seed(root: Path, url: str | None, users: list[dict[str, Any]] = USERS) -> Env:
    """Write the default spec and the rows above into a new workspace; create the keys."""
    ws = Workspace.init(root, url)
    store, spec = ws.store, ws.spec
    with store.transaction():
        store.insert_rows("users", rows("users", [u | {"created_at": T0} for u in users]))
        store.insert_rows("accounts", rows("accounts", [a | {"created_at": T0} for a in ACCOUNTS]))
        store.insert_rows("contacts", rows("contacts", CONTACTS))
    old_clock = open_clock(
        store, spec, HANDOFF, "contacts", OLD_LEAD, OLD_OWNER, datetime.now(UTC) - timedelta(days=30)
    )
    keys = {role: create_key(store, spec, role, f"test-{role}")[1] for role in ROLES}
    ws.close()
    return Env(ws.root, ws.store_url, keys, old_clock)


def drop_store(url: str) -> None:
    if url.startswith("postgresql://"):
        store = open_store(url)
        store.drop_schema()  # type: ignore[attr-defined]
        store.close()


def edit_routing(root: Path, rules: list[dict[str, Any]], *, keep_default: bool) -> None:
    """Rewrite the workspace's spec: ``rules`` first, then (if ``keep_default``) the default rules."""
    path = root / "revframe.yaml"
    text = path.read_text(encoding="utf-8")
    found = re.search(r"(?ms)^routing:\n.*?(?=^[#a-z])", text)
    assert found, "the default spec has a routing section"
    section = yaml.safe_load(found.group(0))
    section["routing"]["rules"] = rules + (section["routing"]["rules"] if keep_default else [])
    path.write_text(text[: found.start()] + yaml.safe_dump(section, sort_keys=False) + "\n" + text[found.end() :],
                    encoding="utf-8")  # fmt: skip
