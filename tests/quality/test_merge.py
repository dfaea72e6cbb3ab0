"""Merge and unmerge on every engine: survivorship, re-parenting, aliases, and an exact undo."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from revframe import Workspace
from revframe.errors import UsageError
from revframe.framework import Spec
from revframe.quality.aliases import resolve
from revframe.quality.merge import merge_clusters
from revframe.quality.unmerge import merge_list, unmerge
from revframe.store import Store
from revframe.store.schema import DATA_TABLES, TABLES

ROLE = "crm_admin"


def at(month: int, day: int = 1) -> datetime:
    return datetime(2025, month, day, 9, 0, tzinfo=UTC)


def row(table: str, rid: str, **values: Any) -> list[Any]:
    """A full row of ``table`` with lineage from ``rid`` ('system:external') and ingest bookkeeping."""
    system, external = rid.split(":", 1)
    data = {c: None for c in TABLES[table].column_names}
    data.update(id=rid, source_system=system, external_id=external, _run_id="r0", _loaded_at=at(1))
    data.update(values)
    data["_row_hash"] = data["_row_hash"] or f"h-{rid}"
    return [data[c] for c in TABLES[table].column_names]


def clusters(store: Store, obj: str, run_id: str, groups: dict[str, list[str]], decision: str = "auto_merge") -> None:
    """A dedupe run of ``obj`` with these clusters (what `revframe quality dedupe` writes)."""
    store.insert_rows(
        "dedupe_runs",
        [(run_id, obj, datetime.now(UTC), datetime.now(UTC), 0, 0, len(groups), 0, 0, "{}", "v")],
    )
    store.insert_rows(
        "duplicate_clusters",
        [
            (run_id, cid, obj, rid, rid.split(":")[0], rid.split(":")[1], None, 0.99, decision, "open")
            for cid, rids in groups.items()
            for rid in rids
        ],
    )


def snapshot(store: Store) -> dict[str, Any]:
    """Every data table: its checksum and its full rows (META included), ordered by id."""
    out: dict[str, Any] = {}
    for t in DATA_TABLES:
        cols = TABLES[t].column_names
        out[t] = (store.checksum(t), [tuple(r) for r in store.query(f"SELECT {', '.join(cols)} FROM {t} ORDER BY id")])
    return out


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    """The default framework (contacts: most_recent, email by source priority, phone most complete...)."""
    return Workspace.init(tmp_path_factory.mktemp("ws")).spec


def company(store: Store) -> None:
    """Two duplicate accounts and two duplicate people (a Salesforce contact, a HubSpot lead), with children."""
    store.insert_rows(
        "accounts",
        [
            row("accounts", "salesforce:A1", name="Acme", domain="acme.com", employees=40, created_at=at(1),
                updated_at=at(2)),
            row("accounts", "hubspot:A2", name="Acme Inc", domain="acme.com", industry="Software", employees=50,
                created_at=at(2), updated_at=at(5)),
            row("accounts", "salesforce:A3", name="Acme EMEA", parent_account_id="hubspot:A2", created_at=at(1)),
        ],
    )  # fmt: skip
    store.insert_rows(
        "contacts",
        [
            row("contacts", "salesforce:C1", record_type="contact", first_name="Ada", email="ada@acme.com",
                phone="555-0100", account_id="salesforce:A1", owner_id="salesforce:U1", created_at=at(1),
                updated_at=at(1)),
            row("contacts", "hubspot:L1", record_type="lead", first_name="Ada L.", email="ada.l@acme.com",
                phone="+1 555 010 0100", title="CTO", lead_source="webinar", account_id="hubspot:A2",
                owner_id="hubspot:U9", created_at=at(2), updated_at=at(3)),
            row("contacts", "salesforce:L2", record_type="lead", first_name="Ada", email="ada@acme.com",
                converted_contact_id="salesforce:C1", created_at=at(1)),
        ],
    )  # fmt: skip
    store.insert_rows(
        "opportunities",
        [
            row("opportunities", "salesforce:O1", account_id="hubspot:A2", contact_id="hubspot:L1"),
            row("opportunities", "salesforce:O2", account_id="salesforce:A1", contact_id="salesforce:C1"),
        ],
    )
    store.insert_rows(
        "activities", [row("activities", "salesforce:T1", contact_id="hubspot:L1", account_id="hubspot:A2")]
    )
    store.insert_rows("touchpoints", [row("touchpoints", "hubspot:P1", contact_id="hubspot:L1")])
    store.insert_rows("tickets", [row("tickets", "zendesk:K1", contact_id="hubspot:L1", account_id="hubspot:A2")])
    store.insert_rows("subscriptions", [row("subscriptions", "billing:S1", account_id="hubspot:A2")])
    store.insert_rows("product_usage", [row("product_usage", "product:U1", account_id="hubspot:A2")])
    store.insert_rows("onboarding_milestones", [row("onboarding_milestones", "gainsight:M1", account_id="hubspot:A2")])
    clusters(store, "contacts", "run-c", {"k1": ["salesforce:C1", "hubspot:L1", "salesforce:L2"]})
    clusters(store, "accounts", "run-a", {"k2": ["salesforce:A1", "hubspot:A2"]})


def one(store: Store, sql: str, params: list[Any] | None = None) -> Any:
    rows = store.query(sql, params)
    assert len(rows) == 1, rows
    return rows[0][0] if len(rows[0]) == 1 else rows[0]


def test_merge_applies_survivorship_moves_keys_and_unmerge_restores_exactly(engine_store: Store, spec: Spec) -> None:
    s = engine_store
    company(s)
    before = snapshot(s)
    report = merge_clusters(s, spec, role=ROLE, framework_version=spec.version)
    assert [(m.object, m.survivor_id, m.merged_ids) for m in report.merges] == [
        ("contacts", "salesforce:C1", ["hubspot:L1"]),  # a contact beats a lead; the converted lead stays out
        ("accounts", "salesforce:A1", ["hubspot:A2"]),  # the system of record's account survives
    ]
    c = dict(
        zip(
            TABLES["contacts"].column_names,
            s.query("SELECT * FROM contacts WHERE id = 'salesforce:C1'")[0],
            strict=True,
        )
    )
    assert c["record_type"] == "contact" and c["source_system"] == "salesforce"
    assert c["email"] == "ada@acme.com"  # source_priority: salesforce first
    assert c["phone"] == "+1 555 010 0100"  # most_complete: more digits
    assert c["title"] == "CTO" and c["first_name"] == "Ada L."  # most_recent: the lead was updated later
    assert c["lead_source"] == "webinar"  # source_priority: hubspot first
    assert c["owner_id"] == "salesforce:U1"  # system_of_record
    assert c["account_id"] == "salesforce:A1"  # took the lead's account, then the account merge moved it
    assert c["_row_hash"] == "h-salesforce:C1"  # the survivor's source hash: re-ingesting its row changes nothing
    a = dict(
        zip(
            TABLES["accounts"].column_names,
            s.query("SELECT * FROM accounts WHERE id = 'salesforce:A1'")[0],
            strict=True,
        )
    )
    assert (a["name"], a["industry"], a["employees"]) == ("Acme", "Software", 50)
    # every child now points at the survivors
    assert s.query("SELECT contact_id, account_id FROM opportunities WHERE id = 'salesforce:O1'") == [
        ("salesforce:C1", "salesforce:A1")
    ]
    for t, col in [("activities", "contact_id"), ("touchpoints", "contact_id"), ("tickets", "contact_id")]:
        assert one(s, f"SELECT {col} FROM {t}") == "salesforce:C1"
    for t in ("subscriptions", "tickets", "product_usage", "onboarding_milestones", "activities"):
        assert one(s, f"SELECT account_id FROM {t}") == "salesforce:A1"
    assert one(s, "SELECT parent_account_id FROM accounts WHERE id = 'salesforce:A3'") == "salesforce:A1"
    assert one(s, "SELECT converted_contact_id FROM contacts WHERE id = 'salesforce:L2'") == "salesforce:C1"
    assert s.query("SELECT count(*) FROM contacts WHERE id = 'hubspot:L1'") == [(0,)]
    # aliases resolve; every moved key and every removed row is on record
    assert resolve(s, "contacts", "hubspot:L1") == "salesforce:C1"
    assert resolve(s, "accounts", "hubspot:A2") == "salesforce:A1"
    cm, am = (m.merge_id for m in report.merges)
    moves = {(t, r, c) for t, r, c in s.query("SELECT table_name, record_id, column_name FROM merge_moves")}
    assert moves == {
        ("opportunities", "salesforce:O1", "contact_id"),
        ("activities", "salesforce:T1", "contact_id"),
        ("touchpoints", "hubspot:P1", "contact_id"),
        ("tickets", "zendesk:K1", "contact_id"),
        ("contacts", "salesforce:C1", "account_id"),
        ("opportunities", "salesforce:O1", "account_id"),
        ("activities", "salesforce:T1", "account_id"),
        ("subscriptions", "billing:S1", "account_id"),
        ("tickets", "zendesk:K1", "account_id"),
        ("product_usage", "product:U1", "account_id"),
        ("onboarding_milestones", "gainsight:M1", "account_id"),
        ("accounts", "salesforce:A3", "parent_account_id"),
    }
    assert report.merges[1].moves["accounts.parent_account_id"] == 1
    image = json.loads(one(s, "SELECT row FROM merge_records WHERE merge_id = ?", [cm]))
    assert image["id"] == "hubspot:L1" and image["_row_hash"] == "h-hubspot:L1"
    sources = json.loads(one(s, "SELECT field_sources FROM merges WHERE merge_id = ?", [cm]))
    assert sources["phone"] == {"from": "hubspot:L1", "rule": "most_complete"}
    assert set(s.query("SELECT status FROM duplicate_clusters")) == {("merged",)}
    # undo the later merge first, then the earlier one: the store is as it was
    unmerge(s, spec, am, role=ROLE)
    unmerge(s, spec, cm, role="revops_lead")
    assert snapshot(s) == before
    assert s.query("SELECT count(*) FROM record_aliases") == [(0,)]
    assert {(m["merge_id"], m["status"], m["unmerged_by"]) for m in merge_list(s)} == {
        (cm, "unmerged", "revops_lead"),
        (am, "unmerged", ROLE),
    }
    assert set(s.query("SELECT status FROM duplicate_clusters")) == {("open",)}


def test_unmerge_refuses_while_a_later_merge_builds_on_it(duck: Store, spec: Spec) -> None:
    s = duck
    company(s)
    before = snapshot(s)
    first = merge_clusters(s, spec, role=ROLE, objects=["contacts"]).merges[0]
    s.insert_rows("contacts", [row("contacts", "hubspot:L7", record_type="lead", email="ada@acme.com")])
    clusters(s, "contacts", "run-c2", {"k9": ["hubspot:L1", "hubspot:L7"]})  # L1 is an alias now: resolves to C1
    second = merge_clusters(s, spec, role=ROLE, objects=["contacts"]).merges[0]
    assert second.survivor_id == "salesforce:C1" and second.merged_ids == ["hubspot:L7"]
    with pytest.raises(UsageError, match=f"later merge.*{second.merge_id}.*unmerge it first"):
        unmerge(s, spec, first.merge_id, role=ROLE)
    unmerge(s, spec, second.merge_id, role=ROLE)
    unmerge(s, spec, first.merge_id, role=ROLE)
    s.delete_where("contacts", "id", "hubspot:L7")
    assert snapshot(s) == before


def test_an_earlier_merge_unmerges_after_a_later_unrelated_merge(duck: Store, spec: Spec) -> None:
    s = duck
    company(s)
    s.insert_rows("contacts", [row("contacts", f"hubspot:X{i}", record_type="lead", email="x@y.io") for i in (1, 2)])
    s.insert_rows("touchpoints", [row("touchpoints", "hubspot:P9", contact_id="hubspot:X2")])
    before = snapshot(s)
    first = merge_clusters(s, spec, role=ROLE, objects=["contacts"]).merges[0]
    clusters(s, "contacts", "run-c2", {"k8": ["hubspot:X1", "hubspot:X2"]})
    later = merge_clusters(s, spec, role=ROLE, objects=["contacts"]).merges[0]
    unmerge(s, spec, first.merge_id, role=ROLE)
    assert resolve(s, "contacts", "hubspot:L1") == "hubspot:L1"
    unmerge(s, spec, later.merge_id, role=ROLE)
    assert snapshot(s) == before


def test_dry_run_reports_and_writes_nothing(engine_store: Store, spec: Spec) -> None:
    s = engine_store
    company(s)
    before, counts = snapshot(s), s.row_counts()
    report = merge_clusters(s, spec, role=ROLE, cluster="k2", dry_run=True)
    (m,) = report.merges
    assert report.dry_run and m.survivor_id == "salesforce:A1"
    assert m.moves["subscriptions.account_id"] == 1 and m.moves["accounts.parent_account_id"] == 1
    assert m.summary()["fields_from_others"]["industry"] == {
        "value": "Software",
        "from": "hubspot:A2",
        "rule": "non_empty",
    }
    assert snapshot(s) == before and s.row_counts() == counts
