"""Batch matching: identical on DuckDB, PostgreSQL and Spark; accurate on the demo company's labelled leads."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from revframe import Workspace
from revframe.demo import DemoFiles, generate_company
from revframe.quality.match import AccountMatcher, Match, run_matching, unmatched_people
from revframe.store import Store
from revframe.store.schema import TABLES

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def rows(table: str, records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Full rows of ``table`` (columns in schema order) from partial records."""
    out = []
    for r in records:
        src, ext = r["id"].split(":", 1)
        full = {"source_system": src, "external_id": ext, "_row_hash": "h", "_run_id": "test", "_loaded_at": T0} | r
        out.append(tuple(full.get(c) for c in TABLES[table].column_names))
    return out


ACCOUNTS = [
    {"id": "salesforce:a1", "name": "Acme Inc.", "domain": "acme.com", "country": "US", "type": "Customer"},
    {"id": "hubspot:a1", "name": "ACME", "domain": "acme.com", "country": "US", "type": "Customer"},
    {"id": "salesforce:a2", "name": "Société Générale", "country": "FR", "created_at": T0},
    {"id": "salesforce:a3", "name": "トヨタ", "website": "https://toyota.jp", "country": "JP"},
    {"id": "salesforce:a4", "name": "Initech Software Corporation", "domain": "initech.io", "country": "US"},
]
PEOPLE = [
    {"id": "salesforce:l1", "record_type": "lead", "email": "ann+x@acme.com", "email_domain": "acme.com"},
    {"id": "salesforce:l2", "record_type": "lead", "email": "bo@gmail.com", "email_domain": "gmail.com"},
    {"id": "salesforce:l3", "record_type": "lead", "company": "Societe Generale SA", "country": "FR"},
    {"id": "salesforce:l4", "record_type": "lead", "company": "株式会社トヨタ", "website": "www.toyota.jp"},
    {"id": "hubspot:l5", "record_type": "lead", "company": "Initech Sofware", "country": "US"},
    {"id": "hubspot:l6", "record_type": "lead", "company": "Inc."},
    {"id": "hubspot:l7", "record_type": "lead"},
    {"id": "salesforce:c1", "record_type": "contact", "email": "x@initech.io", "account_id": "salesforce:a4"},
]


@pytest.fixture
def filled(engine_store: Store) -> Iterator[Store]:
    with engine_store.transaction():
        engine_store.insert_rows("accounts", rows("accounts", ACCOUNTS))
        engine_store.insert_rows("contacts", rows("contacts", PEOPLE))
    yield engine_store


def test_batch_writes_one_run_and_is_identical_on_every_engine(filled: Store) -> None:
    matcher = AccountMatcher.from_store(filled)
    assert [p["id"] for p in unmatched_people(filled)] == sorted(p["id"] for p in PEOPLE if "account_id" not in p)
    run = run_matching(filled, matcher)
    got = {(m.contact_id, m.account_id, m.method) for m in run.matches}
    assert got == {
        ("salesforce:l1", "hubspot:a1", "email_domain"),  # no system of record given: the tie-break falls to id
        ("salesforce:l3", "salesforce:a2", "company_name"),
        ("salesforce:l4", "salesforce:a3", "website"),
        ("hubspot:l5", "salesforce:a4", "fuzzy_name"),
    }
    assert run.counts_by_method() == {"email_domain": 1, "website": 1, "company_name": 1, "fuzzy_name": 1}
    assert {n.contact_id for n in run.unmatched} == {"salesforce:l2", "hubspot:l6", "hubspot:l7"}
    stored = filled.query("SELECT run_id, contact_id, account_id, confidence, method, reason FROM account_matches")
    assert sorted(r[1:] for r in stored) == sorted(
        (m.contact_id, m.account_id, m.confidence, m.method, m.reason) for m in run.matches
    )
    second = run_matching(filled, matcher)  # a new run; the first is kept
    runs = filled.query("SELECT run_id, count(*) FROM account_matches GROUP BY run_id ORDER BY run_id")
    assert sorted(r[0] for r in runs) == sorted([run.run_id, second.run_id]) and all(r[1] == 4 for r in runs)
    assert matcher.match_all(filled) == run.matches


def test_empty_tables(engine_store: Store) -> None:
    matcher = AccountMatcher.from_store(engine_store)
    run = run_matching(engine_store, matcher)
    assert (run.people, run.matches, run.unmatched) == ([], [], [])
    assert engine_store.row_counts()["account_matches"] == 0


# --- the demo company ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_company(tmp_path_factory.mktemp("demo-files"), "small", 7)


@pytest.fixture(scope="module")
def demo(demo_files: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("demo-ws"))
    for load in demo_files.loads:
        ws.ingest([load.path], load.mapping, object_name=load.object)
    yield ws
    ws.close()


def test_demo_converted_leads_match_their_account(demo: Workspace) -> None:
    """Salesforce leads converted later name their truth: the account of the contact they became.

    The matcher sees only the lead (email, company, website, country), never the conversion.
    """
    store = demo.store
    truth = dict(
        store.query(
            "SELECT l.id, k.account_id FROM contacts AS l JOIN contacts AS k ON k.id = l.converted_contact_id "
            "WHERE l.record_type = 'lead' AND k.account_id IS NOT NULL"
        )
    )
    matcher = AccountMatcher.from_store(store, demo.spec)
    run = run_matching(store, matcher)
    found = {m.contact_id: m.account_id for m in run.matches if m.contact_id in truth}
    correct = sum(found[c] == truth[c] for c in found)
    precision, recall = correct / len(found), correct / len(truth)
    print(f"\ndemo converted leads: {len(truth)} labels, precision {precision:.4f}, recall {recall:.4f}")
    assert len(truth) > 500
    assert precision >= 0.99 and recall >= 0.95
    # every Salesforce lead whose email domain is an account's domain finds an account
    domain_leads = store.query(
        "SELECT l.id FROM contacts AS l WHERE l.source_system = 'salesforce' AND l.record_type = 'lead' "
        "AND l.account_id IS NULL AND l.email_domain IN (SELECT domain FROM accounts)"
    )
    matched = {m.contact_id for m in run.matches}
    assert domain_leads and all(r[0] in matched for r in domain_leads)


def test_demo_contacts_with_hidden_accounts(demo: Workspace, demo_files: DemoFiles) -> None:
    """Contacts that have an account, matched as if they had none: the account or a copy of it comes back.

    A copy is another record of the same company, as the demo's ground truth lists them (duplicates.csv).
    """
    with (demo_files.ground_truth / "duplicates.csv").open(encoding="utf-8") as f:
        cluster = {
            f"{r['source_system']}:{r['external_id']}": r["cluster_id"]
            for r in csv.DictReader(f)
            if r["table"] == "accounts"
        }
    store = demo.store
    cols = ("id", "email", "email_domain", "company", "website", "country", "account_id")
    people = [
        dict(zip(cols, r, strict=True))
        for r in store.query(f"SELECT {', '.join(cols)} FROM contacts WHERE account_id IS NOT NULL")
    ]
    matcher = AccountMatcher.from_store(store, demo.spec)
    results = matcher.evaluate_all(people)
    matches = [(p, r) for p, r in zip(people, results, strict=True) if isinstance(r, Match)]

    def same_company(a: str, b: str) -> bool:
        return a == b or (a in cluster and cluster.get(a) == cluster.get(b))

    correct = sum(same_company(r.account_id, p["account_id"]) for p, r in matches)
    precision, recall = correct / len(matches), correct / len(people)
    print(f"\ndemo contacts, account hidden: {len(people)} labels, precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.98 and recall >= 0.9
