"""Tests of the demo company generator (small scale; a few seconds per generation)."""

from __future__ import annotations

import csv
import dataclasses
import filecmp
import fnmatch
import re
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from revframe.demo import SCALES, DemoFiles, generate_company

sys.path.insert(0, str(Path(__file__).parent))
from checks import funnel_problems, read  # noqa: E402

PRESETS = Path(__file__).resolve().parents[2] / "src" / "revframe" / "ingest" / "presets"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_company(tmp_path_factory.mktemp("demo") / "a", "small", 7)


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_scales_defined() -> None:
    assert set(SCALES) == {"small", "medium", "large"}
    assert SCALES["small"].accounts < SCALES["medium"].accounts < SCALES["large"].accounts


def test_deterministic(demo: DemoFiles, tmp_path: Path) -> None:
    again = generate_company(tmp_path / "b", "small", 7)
    files_a = [p.relative_to(demo.root) for p in _all_files(demo.root)]
    files_b = [p.relative_to(again.root) for p in _all_files(again.root)]
    assert files_a == files_b
    for rel in files_a:
        assert filecmp.cmp(demo.root / rel, again.root / rel, shallow=False), rel
    other = generate_company(tmp_path / "c", "small", 8)
    assert not filecmp.cmp(demo.root / "salesforce/Contact.csv", other.root / "salesforce/Contact.csv", shallow=False)


def test_small_counts(demo: DemoFiles) -> None:
    c = demo.counts
    rows = demo.file_rows
    assert 950 <= rows["Account"] <= 1100
    assert 8_000 <= rows["Contact"] <= 13_000
    assert 2_000 <= rows["Lead"] <= 8_000
    assert 600 <= c["opportunities"] <= 3_000
    assert c["opportunity_stage_history"] > c["opportunities"]
    assert 40 <= c["users"] <= 120
    assert c["activities"] + c["touchpoints"] > 50_000
    for table in ("campaigns", "subscriptions", "tickets", "product_usage", "onboarding_milestones"):
        assert c[table] > 0, table


def test_loads_point_at_files_matching_presets(demo: DemoFiles) -> None:
    yaml = YAML()  # round-trip loader (the C safe loader rejects "Is Deal Closed?" in a flow list)
    presets = {name: yaml.load((PRESETS / f"{name}.yaml").read_text()) for name in ("salesforce", "hubspot")}
    assert [ld.mapping for ld in demo.loads[:3]] == ["salesforce", "salesforce", "salesforce"]
    for load in demo.loads:
        assert load.path.exists(), load.path
        if load.mapping in presets:
            spec = presets[load.mapping]
        else:
            spec = yaml.load(Path(load.mapping).read_text())
            assert spec["source_system"] in ("billing", "zendesk", "product", "gainsight")
        obj = next(o for o in spec["objects"] if o["source"] == load.object)
        assert any(fnmatch.fnmatch(load.path.name, pat) for pat in obj["files"]), load.path.name
        # no other object of the same mapping claims the file
        others = [
            o["source"]
            for o in spec["objects"]
            if o is not obj and any(fnmatch.fnmatch(load.path.name, pat) for pat in o["files"])
        ]
        assert not others, (load.path.name, others)
        header = _header(load.path)
        ext = obj["fields"]["external_id"]
        alternatives = ext if isinstance(ext, list) else [ext]
        assert any(a in header for a in alternatives), (load.path.name, alternatives)
        for canonical, rule in obj["fields"].items():
            cols = _columns(rule)
            if canonical in ("external_id", "record_type") or not cols or (spec["name"], canonical) in _NOT_EXPORTED:
                continue
            assert any(c in header for c in cols), (load.path.name, canonical, cols)


#: mapped fields the demo leaves out on purpose: HubSpot owners are not exported (there is no owners
#: file, so the ids could not resolve); parent companies are not modelled in HubSpot.
_NOT_EXPORTED = {("hubspot", "owner_id")}


def _columns(rule: object) -> list[str]:
    if isinstance(rule, str):
        return [rule]
    if isinstance(rule, list):
        return [c for r in rule for c in _columns(r)]
    if isinstance(rule, dict):
        for key in ("column", "coalesce"):
            if key in rule:
                return _columns(rule[key])
    return []


def test_salesforce_ids_and_formats(demo: DemoFiles) -> None:
    sf = demo.root / "salesforce"
    prefixes = {
        "User": "005",
        "Account": "001",
        "Contact": "003",
        "Lead": "00Q",
        "Opportunity": "006",
        "OpportunityHistory": "008",
        "Task": "00T",
        "Event": "00U",
        "Campaign": "701",
        "CampaignMember": "00v",
        "DatedConversionRate": "04w",
    }
    dt_re = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")
    bad = {row["external_id"] for row in read(demo.ground_truth / "bad_rows.csv")}
    for name, prefix in prefixes.items():
        rows = read(sf / f"{name}.csv")
        assert rows, name
        for row in rows:
            assert len(row["Id"]) == 18 and row["Id"].startswith(prefix), (name, row["Id"])
            if row["Id"] not in bad and row.get("CreatedDate"):
                assert dt_re.match(row["CreatedDate"]), (name, row["CreatedDate"])
    hs = read(demo.root / "hubspot" / "hubspot-contacts.csv")
    stages = {row["Lifecycle Stage"] for row in hs}
    assert "marketingqualifiedlead" in stages and "subscriber" in stages


def test_funnel_coherent(demo: DemoFiles) -> None:
    assert funnel_problems(demo.root) == []


def test_ground_truth_ids_exist(demo: DemoFiles) -> None:
    ids: set[str] = set()
    for path in (demo.root / "salesforce").glob("*.csv"):
        ids |= {row["Id"] for row in read(path)}
    for path in (demo.root / "hubspot").glob("*.csv"):
        ids |= {row["Record ID"] for row in read(path)}
    gt = demo.ground_truth
    assert (gt / "README.md").exists()
    for name in (
        "duplicates",
        "invalid_values",
        "missing_required",
        "naming_violations",
        "stage_skips",
        "sla_breaches",
        "response_times",
        "bad_rows",
    ):
        rows = read(gt / f"{name}.csv")
        assert rows, name
        missing = [row["external_id"] for row in rows if row["external_id"] not in ids]
        assert not missing, (name, missing[:5])
    motions = read(gt / "customer_motions.csv")
    assert {m["motion"] for m in motions} >= {"new", "expansion", "churn"}
    assert all(m["account_id"] in ids for m in motions)
    defects = {row["defect"] for row in read(gt / "duplicates.csv")}
    assert defects >= {
        "typo",
        "case",
        "swapped_names",
        "missing_values",
        "company_suffix",
        "personal_email",
        "lead_is_contact",
        "cross_system",
    }


def test_sla_ground_truth_matches_activities(demo: DemoFiles) -> None:
    tasks = read(demo.root / "salesforce" / "Task.csv")
    genuine: dict[str, list[str]] = {}
    automated: dict[str, list[str]] = {}
    for t in tasks:
        (automated if t["Is_Automated__c"] == "true" else genuine).setdefault(t["WhoId"], []).append(
            t["CompletedDateTime"][:19]
        )
    rows = read(demo.ground_truth / "response_times.csv")
    breaches = {row["external_id"] for row in read(demo.ground_truth / "sla_breaches.csv")}
    assert breaches
    for row in rows:
        lead = row["external_id"]
        first = min(genuine.get(lead, []), default=None)
        assert first == (row["first_action_at"][:19] or None), lead
        assert min(automated[lead]) == row["first_automated_at"][:19]
        assert (row["planted_breach"] == "true") == (lead in breaches)
        if row["minutes"]:
            if lead in breaches:
                assert float(row["business_minutes"]) >= 480
            else:
                assert float(row["minutes"]) <= 120


def test_bad_rows_point_at_lines(demo: DemoFiles) -> None:
    rows = read(demo.ground_truth / "bad_rows.csv")
    assert rows
    for row in rows:
        path = demo.root / row["file"]
        with path.open(newline="", encoding="utf-8") as f:
            lines = f.read().split("\n")
        line = lines[int(row["line"]) - 1]
        record = next(csv.reader([line]))
        header = _header(path)
        assert record[header.index(row["field"])] == row["value"]
        assert record[0] == row["external_id"]


def test_campaign_naming(demo: DemoFiles) -> None:
    pattern = re.compile(r"^\d{4}-Q[1-4]_[a-z]+(-[a-z]+)*_[a-z0-9]+(-[a-z0-9]+)*$")
    violations = {row["external_id"] for row in read(demo.ground_truth / "naming_violations.csv")}
    for c in read(demo.root / "salesforce" / "Campaign.csv"):
        assert bool(pattern.match(c["Name"])) != (c["Id"] in violations), c["Name"]


def test_large_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The large scale's shape on a 2,000-account sample of it: the issue's ~100k accounts, ~1M
    contacts, ~200k opportunities and ~10M activities and touchpoints, per account."""
    n = 2_000
    sample = dataclasses.replace(SCALES["large"], name="large-sample", accounts=n)
    monkeypatch.setitem(SCALES, "large-sample", sample)
    files = generate_company(tmp_path / "large", "large-sample", 7)
    k = SCALES["large"].accounts / n
    rows, c = files.file_rows, files.counts
    assert 95_000 <= rows["Account"] * k <= 110_000
    assert 850_000 <= rows["Contact"] * k <= 1_200_000
    assert 175_000 <= c["opportunities"] * k <= 230_000
    assert 9_000_000 <= (c["activities"] + c["touchpoints"]) * k <= 11_500_000
    assert funnel_problems(files.root) == []
    opps = read(files.root / "salesforce" / "Opportunity.csv")
    per_account: dict[tuple[str, str], int] = {}
    for o in opps:
        per_account[(o["AccountId"], o["Type"])] = per_account.get((o["AccountId"], o["Type"]), 0) + 1
    by_type: dict[str, list[int]] = {}
    for (_acc, typ), count in per_account.items():
        by_type.setdefault(typ, []).append(count)
    # several new-business attempts over the years, several expansions per customer, but plausibly few
    assert {"New Business", "Expansion", "Renewal"} <= set(by_type)
    assert sum(x > 1 for x in by_type["New Business"]) > 0.3 * len(by_type["New Business"])
    assert max(by_type["New Business"]) <= 12
    assert sum(x > 1 for x in by_type["Expansion"]) > 0.1 * len(by_type["Expansion"])
    assert max(by_type["Renewal"]) <= 3  # one renewal per contract year


def test_unknown_scale(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_company(tmp_path, "huge")


def test_a_work_mailbox_belongs_to_one_person(demo: DemoFiles) -> None:
    """Two different people never share a work email (a company gives out jsmith2@ instead), so an
    email match is evidence of one person; only records of one person (a duplicate cluster, or a
    lead and the contact its conversion created) share an address."""
    truth = read(demo.root / "ground_truth" / "duplicates.csv")
    person = {(r["source_system"], r["external_id"]): r["cluster_id"] for r in truth}
    owners: dict[str, set[str]] = {}
    for system, name, id_col, email_col in (
        ("salesforce", "salesforce/Contact.csv", "Id", "Email"),
        ("salesforce", "salesforce/Lead.csv", "Id", "Email"),
        ("hubspot", "hubspot/hubspot-contacts.csv", "Record ID", "Email"),
    ):
        for row in read(demo.root / name):
            email = row[email_col].strip().lower()
            if email and "@" in email:
                who = person.get((system, row[id_col]), f"{system}:{row[id_col]}")
                owners.setdefault(email, set()).add(who)
    shared = {e: ws for e, ws in owners.items() if len(ws) > 1}
    assert len(owners) > 1000
    assert not shared, list(shared.items())[:5]
