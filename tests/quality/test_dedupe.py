"""Duplicate detection: planted duplicates found on every engine, the demo's truth, bad input, the CLI."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from revframe import UsageError, Workspace
from revframe.demo import generate_company
from revframe.framework import Spec, default_spec_text, load_spec_text
from revframe.quality.dedupe import dedupe
from revframe.quality.evaluate import dedupe_universe, ground_truth, latest_clusters, score
from revframe.store import Store
from tests.cli.test_cli import revframe
from tests.quality.test_match_batch import rows

T0 = datetime(2025, 3, 1, tzinfo=UTC)
SPEC = load_spec_text(default_spec_text())


FIRST = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances"]
LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen"]
COMPANIES = [("Analytical Engines Ltd", "analytical.io", "London"), ("Navy Systems Inc.", "navy-sys.com", "Arlington")]
COMPANIES += [(f"Company {c} GmbH", f"company{c.lower()}.de", "Berlin") for c in "ABCDEFGH"]


def planted() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Accounts, people and the truth (person id → who): 100 people at 10 companies, plus duplicates."""
    accounts = [
        {"id": f"salesforce:acc{i}", "name": n, "domain": d, "city": c, "country": "GB"}
        for i, (n, d, c) in enumerate(COMPANIES)
    ]
    people: list[dict[str, Any]] = []
    truth: dict[str, str] = {}
    for i in range(100):
        first, last = FIRST[i % 10], LAST[(i * 3 + i // 10) % 10]
        _name, domain, city = COMPANIES[i // 10]
        pid = f"salesforce:p{i}"
        people.append(
            {
                "id": pid,
                "record_type": "contact",
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}@{domain}".lower(),
                "email_domain": domain,
                "phone": f"+4420794{i:05d}",
                "title": ["CTO", "VP Sales", "Analyst", "Head of RevOps"][i % 4],
                "account_id": f"salesforce:acc{i // 10}",
                "city": city,
                "country": "GB",
                "created_at": T0,
            }
        )
        truth[pid] = f"who{i}"

    def dup(of: int, new_id: str, **change: Any) -> None:
        base = dict(people[of])
        base.update(id=new_id, **change)
        people.append(base)
        truth[new_id] = f"who{of}"

    p = people
    dup(0, "hubspot:h0", record_type="lead", account_id=None, company="Analytical Engines")  # cross-system copy
    dup(1, "salesforce:d1", first_name=p[1]["first_name"].upper(), last_name=p[1]["last_name"].upper())  # case
    dup(2, "salesforce:d2", first_name=p[2]["last_name"], last_name=p[2]["first_name"])  # swapped names
    dup(3, "salesforce:d3", email=None, email_domain=None, phone=None, title=None)  # missing values, no email
    dup(4, "salesforce:d4", email="linus.t1969@gmail.com", email_domain="gmail.com")  # personal email
    dup(5, "salesforce:l5", record_type="lead", account_id=None, company="Navy Systems")  # lead that is a contact
    dup(6, "hubspot:h6", email=p[6]["email"].replace("@", "+webinar@"))  # plus-tagged address
    # two different people with the same name at one company: two mailboxes, never one person
    twin = dict(people[7])
    twin.update(id="salesforce:twin7", email=p[7]["email"].replace("@", "2@"), phone="+442079400999", title="CFO")
    people.append(twin)
    truth["salesforce:twin7"] = "twin7"
    return accounts, people, truth


@pytest.fixture
def planted_store(engine_store: Store) -> Iterator[tuple[Store, dict[str, str]]]:
    accounts, people, truth = planted()
    with engine_store.transaction():
        engine_store.insert_rows("accounts", rows("accounts", accounts))
        engine_store.insert_rows("contacts", rows("contacts", people))
    yield engine_store, truth


def _groups(clusters: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for rid, cid in clusters.items():
        out.setdefault(cid, set()).add(rid)
    return {frozenset(g) for g in out.values()}


def test_planted_duplicates_are_found_and_identical_on_every_engine(
    planted_store: tuple[Store, dict[str, str]],
) -> None:
    store, truth = planted_store
    result = dedupe(store, SPEC, "contacts")
    run_id, clusters = latest_clusters(store, "contacts")
    assert run_id == result.run_id
    want = {
        frozenset(ids)
        for ids in (
            ["salesforce:p0", "hubspot:h0"],
            ["salesforce:p1", "salesforce:d1"],
            ["salesforce:p2", "salesforce:d2"],
            ["salesforce:p3", "salesforce:d3"],
            ["salesforce:p4", "salesforce:d4"],
            ["salesforce:p5", "salesforce:l5"],
            ["salesforce:p6", "hubspot:h6"],
        )
    }
    assert _groups(clusters) == want  # every planted duplicate, nothing else (not the two people named alike)
    assert result.clusters == 7 and result.duplicate_records == 14
    pairs = store.query(
        "SELECT left_id, right_id, matched_by, agreements FROM duplicate_pairs WHERE run_id = ?", [run_id]
    )
    by_pair = {frozenset((a, b)): (m, json.loads(agr) if isinstance(agr, str) else agr) for a, b, m, agr in pairs}
    swapped = by_pair[frozenset(("salesforce:p2", "salesforce:d2"))][1]
    assert swapped["name"]["level"] == "swapped" and swapped["name"]["weight"] > 0  # how strongly it agreed
    personal = by_pair[frozenset(("salesforce:p4", "salesforce:d4"))][1]
    assert personal["email"]["level"] == "different" and personal["email"]["weight"] < 0  # spoke against
    assert by_pair[frozenset(("salesforce:p6", "hubspot:h6"))][0] == "email"  # the spec's key: one mailbox
    assert by_pair[frozenset(("salesforce:p1", "salesforce:d1"))][0] == "identical"  # equal once case is folded
    assert by_pair[frozenset(("salesforce:p3", "salesforce:d3"))][1]["email"] == {"level": "null", "weight": 0.0}
    assert by_pair[frozenset(("salesforce:p6", "hubspot:h6"))][1]["email"]["level"] == "same mailbox"
    members = store.query(
        "SELECT record_id, source_system, external_id, record_type, decision, status FROM duplicate_clusters "
        "WHERE run_id = ? AND record_id = ?",
        [run_id, "salesforce:l5"],
    )
    assert [tuple(m) for m in members] == [("salesforce:l5", "salesforce", "l5", "lead", "auto_merge", "open")]


def test_a_second_run_keeps_the_first(planted_store: tuple[Store, dict[str, str]]) -> None:
    store, _truth = planted_store
    first = dedupe(store, SPEC, "contacts")
    second = dedupe(store, SPEC, "contacts")
    assert first.run_id != second.run_id
    counts = dict(store.query("SELECT run_id, count(*) FROM duplicate_clusters GROUP BY run_id"))
    assert counts[first.run_id] == counts[second.run_id] == 14


# --- the demo company's ground truth ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("dedupe-demo")
    files = generate_company(root / "data", "small", 7)
    ws = Workspace.init(root / "ws")
    for load in files.loads:
        ws.ingest([load.path], load.mapping, object_name=load.object)
    ws.truth = files.root / "ground_truth" / "duplicates.csv"  # type: ignore[attr-defined]
    return ws


@pytest.mark.parametrize("object_name", ["contacts", "accounts"])
def test_demo_duplicates_against_ground_truth(demo_ws: Workspace, object_name: str) -> None:
    store = demo_ws.store
    dedupe(store, demo_ws.spec, object_name)
    _run, predicted = latest_clusters(store, object_name)
    truth = ground_truth(demo_ws.truth, object_name)  # type: ignore[attr-defined]
    s = score(truth, predicted, dedupe_universe(store, object_name))
    print(object_name, s)
    assert s.true_pairs > 500
    assert s.f1 >= 0.97 and s.cluster_f1 >= 0.97
    # every kind of planted duplicate is found: recall per defect
    import csv

    with demo_ws.truth.open() as f:  # type: ignore[attr-defined]
        planted = [r for r in csv.DictReader(f) if r["table"] == object_name and r["role"] == "duplicate"]
    originals = {r["cluster_id"]: f"{r['source_system']}:{r['external_id']}" for r in truth_rows(demo_ws, "original")}
    found, total = Counter[str](), Counter[str]()
    for r in planted:
        rid = f"{r['source_system']}:{r['external_id']}"
        orig = originals.get(r["cluster_id"])
        if orig is None or rid not in predicted and rid not in truth:
            continue
        total[r["defect"]] += 1
        found[r["defect"]] += int(predicted.get(rid) is not None and predicted.get(rid) == predicted.get(orig))
    assert total, "no planted duplicates"
    for defect, n in total.items():
        assert found[defect] / n >= 0.8, (defect, found[defect], n)  # a few per kind at this scale


def truth_rows(ws: Workspace, role: str) -> list[dict[str, str]]:
    import csv

    with ws.truth.open() as f:  # type: ignore[attr-defined]
        return [r for r in csv.DictReader(f) if r["role"] == role]


# --- bad input ----------------------------------------------------------------------------------------


def test_empty_store(duck: Store) -> None:
    for obj in ("contacts", "accounts"):
        result = dedupe(duck, SPEC, obj)
        assert (result.records, result.clusters, result.pairs) == (0, 0, 0)
        assert result.model["trained"] is False


def test_all_null_columns_and_every_script(duck: Store) -> None:
    people = [{"id": f"crm:n{i}", "record_type": "lead"} for i in range(30)]  # nothing but ids
    names = [
        ("José", "Müller"),
        ("Jose", "Muller"),
        ("美咲", "佐藤"),
        ("美咲", "佐藤"),
        ("محمد", "الأحمد"),
        ("محمد", "الأحمد"),
    ]
    for i, (first, last) in enumerate(names):
        people.append(
            {"id": f"crm:s{i}", "first_name": first, "last_name": last, "company": "Tanaka Holdings", "city": "Osaka"}
        )
    people.append({"id": "crm:inc1", "first_name": "Kim", "last_name": "Lee", "company": "Inc."})  # a name, no company
    people.append({"id": "crm:inc2", "first_name": "Kim", "last_name": "Lee", "company": "Inc."})
    people.append({"id": "crm:x1", "email": "a.b+news@gmail.com", "first_name": "A", "last_name": "B"})
    people.append({"id": "crm:x2", "email": "ab@gmail.com", "first_name": "A", "last_name": "B"})
    with duck.transaction():
        duck.insert_rows("contacts", rows("contacts", people))
    result = dedupe(duck, SPEC, "contacts")
    _run, clusters = latest_clusters(duck, "contacts")
    groups = _groups(clusters)
    assert frozenset({"crm:s2", "crm:s3"}) in groups  # CJK kept as written, identical records
    assert frozenset({"crm:s4", "crm:s5"}) in groups  # right-to-left names
    assert frozenset({"crm:s0", "crm:s1"}) in groups  # accents folded
    assert frozenset({"crm:x1", "crm:x2"}) in groups  # Gmail ignores dots and plus-tags: one mailbox
    assert not any(rid.startswith("crm:n") for rid in clusters)  # empty records say nothing: never matched
    assert "crm:inc1" not in clusters  # a bare name at a company named only "Inc." is not enough
    assert result.records == len(people)


def test_ten_thousand_identical_records(duck: Store) -> None:
    same = {"record_type": "lead", "first_name": "Sam", "last_name": "Same", "email": "sam@same.io", "company": "Same"}
    people = [{"id": f"crm:{i}"} | same for i in range(10_000)] + [{"id": "crm:other", "first_name": "Oth"}]
    with duck.transaction():
        duck.insert_rows("contacts", rows("contacts", people))
    result = dedupe(duck, SPEC, "contacts")
    assert result.clusters == 1 and result.duplicate_records == 10_000
    assert result.pairs == 9_999  # each copy pairs with one representative, not with every other copy
    _run, clusters = latest_clusters(duck, "contacts")
    assert "crm:other" not in clusters


def test_unknown_object_and_spec_without_dedup(duck: Store) -> None:
    with pytest.raises(UsageError, match="contacts or accounts"):
        dedupe(duck, SPEC, "opportunities")
    data = SPEC.model_dump(by_alias=True, exclude_none=True)
    data["dedup"]["objects"].pop("accounts")
    no_accounts = Spec.model_validate(data)
    with pytest.raises(UsageError, match="dedup.objects has no 'accounts'"):
        dedupe(duck, no_accounts, "accounts")


# --- the CLI ------------------------------------------------------------------------------------------


def test_cli_json_lists_clusters_with_members(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    accounts, people, _truth = planted()
    with ws.store.transaction():
        ws.store.insert_rows("accounts", rows("accounts", accounts))
        ws.store.insert_rows("contacts", rows("contacts", people))
    ws.close()
    w = tmp_path / "ws"
    clusters = revframe("-w", w, "--format", "json", "quality", "dedupe", "--object", "contacts").json()
    assert isinstance(clusters, list) and len(clusters) == 7
    for c in clusters:
        assert {"cluster_id", "decision", "match_probability", "members", "pairs"} <= set(c)
        assert all({"external_id", "source_system"} <= set(m) for m in c["members"])
    lead = next(c for c in clusters if any(m["external_id"] == "l5" for m in c["members"]))
    assert sorted(m["external_id"] for m in lead["members"]) == ["l5", "p5"]
    listed = revframe("-w", w, "quality", "duplicates", "--object", "contacts", "--limit", "3")
    assert listed.code == 0 and "3 of 7 clusters" in listed.out
    listed_json = revframe("-w", w, "--format", "json", "quality", "duplicates", "--object", "contacts").json()
    assert sorted(c["cluster_id"] for c in listed_json) == sorted(c["cluster_id"] for c in clusters)
    missing = revframe("-w", w, "quality", "duplicates", "--object", "accounts")
    assert missing.code == 2 and "no dedupe run for accounts" in missing.err


def test_a_spec_written_for_0_1_with_weights_still_loads() -> None:
    old = default_spec_text().replace("- {field: phone, method: exact}", "- {field: phone, method: exact, weight: 2}")
    assert "weight: 2" in old
    spec = load_spec_text(old)
    assert spec.dedup is not None
    assert any(c.weight == 2 for c in spec.dedup.objects["contacts"].comparisons)


def test_the_model_on_spark_finds_what_it_finds_on_duckdb(duck: Store) -> None:
    """``backend="spark"``: the same records, the matching model run by splink on local Spark."""
    accounts, people, _truth = planted()
    with duck.transaction():
        duck.insert_rows("accounts", rows("accounts", accounts))
        duck.insert_rows("contacts", rows("contacts", people))
    dedupe(duck, SPEC, "contacts")
    _run, on_duckdb = latest_clusters(duck, "contacts")
    result = dedupe(duck, SPEC, "contacts", backend="spark")
    _run, on_spark = latest_clusters(duck, "contacts")
    assert result.clusters == 7
    assert _groups(on_spark) == _groups(on_duckdb)
    with pytest.raises(UsageError, match="duckdb or spark"):
        dedupe(duck, SPEC, "contacts", backend="polars")
