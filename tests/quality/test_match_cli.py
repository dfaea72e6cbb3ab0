"""`revframe quality match` as users run it: batch run, JSON, one ad-hoc record, clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from revframe import Workspace
from tests.cli.test_cli import revframe
from tests.quality.test_match_batch import ACCOUNTS, PEOPLE, rows


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "acme-revops"
    assert revframe("init", root).code == 0
    return root


@pytest.fixture
def filled(ws: Path) -> Path:
    w = Workspace(ws)
    with w.store.transaction():
        w.store.insert_rows("accounts", rows("accounts", ACCOUNTS))
        w.store.insert_rows("contacts", rows("contacts", PEOPLE))
    w.close()
    return ws


def test_batch_prints_counts_and_a_sample_and_writes_a_run(filled: Path) -> None:
    r = revframe("-w", filled, "quality", "match")
    assert r.code == 0, r.err
    assert "7 people without an account; 4 matched at confidence ≥ 0.60" in r.out
    assert "Matches by method" in r.out and "fuzzy_name" in r.out and "Société Générale" in r.out
    assert "company name is only a legal form" in r.out and "free-mail email and no other match" in r.out
    data = revframe("-w", filled, "--format", "json", "quality", "match").json()
    assert {d["contact_id"]: d["account_id"] for d in data} == {
        "salesforce:l1": "salesforce:a1",  # the spec's system of record for accounts wins the tie
        "salesforce:l3": "salesforce:a2",
        "salesforce:l4": "salesforce:a3",
        "hubspot:l5": "salesforce:a4",
    }
    first = data[0]
    assert set(first) == {
        "contact_id", "external_id", "source_system", "record_type", "account_id", "account_name", "confidence",
        "method", "reason",
    }  # fmt: skip
    assert (first["external_id"], first["source_system"], first["record_type"]) == ("l5", "hubspot", "lead")
    w = Workspace(filled)
    assert w.store.query("SELECT count(DISTINCT run_id), count(*) FROM account_matches")[0] == (2, 8)
    w.close()


def test_min_confidence_option(filled: Path) -> None:
    data = revframe("-w", filled, "--format", "json", "quality", "match", "--min-confidence", "0.9").json()
    assert sorted(d["method"] for d in data) == ["email_domain", "website"]
    assert revframe("-w", filled, "quality", "match", "--min-confidence", "2").code == 2


def test_one_ad_hoc_record(filled: Path) -> None:
    args = ("-w", filled, "--format", "json", "quality", "match", "--email", "Ann.Lee+promo@ACME.com")
    one = revframe(*args, "--country", "United States").json()
    assert (one["account_id"], one["method"], one["confidence"]) == ("salesforce:a1", "email_domain", 0.98)
    none = revframe("-w", filled, "quality", "match", "--email", "ann@gmail.com", "--company", "Inc.")
    assert none.code == 0
    said = " ".join(none.out.split())  # rich wraps to the terminal's width
    assert "no match: email domain gmail.com is a free-mail provider" in said
    assert "only a legal form" in said
    w = Workspace(filled)
    assert w.store.row_counts()["account_matches"] == 0  # an ad-hoc record writes nothing
    w.close()


def test_empty_store_and_wrong_object(ws: Path) -> None:
    r = revframe("-w", ws, "quality", "match")
    assert r.code == 0
    assert "no accounts in the store" in r.out and "nothing to match" in r.out
    bad = revframe("-w", ws, "quality", "match", "--object", "accounts")
    assert bad.code == 2 and "only contacts" in bad.err
