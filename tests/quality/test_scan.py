"""The quality scan: planted records give exactly the findings the rules call for, on every engine.

Expected findings are worked out here in plain Python from the planted rows and the spec's rules
(email-validator, Python regular expressions), independently of the scan's SQL.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import email_validator
import pytest

from revframe.cli import main
from revframe.demo import generate_company
from revframe.framework import Spec, default_spec_text, load_spec_text
from revframe.quality.scan import list_issues, scan
from revframe.quality.scan_rules import _SAFE_EMAIL, is_valid_email
from revframe.store import Store
from revframe.store.schema import TABLES
from revframe.workspace import Workspace
from tests.conftest import drop, make_store

AS_OF = datetime(2026, 9, 30, 23, 59, tzinfo=UTC)
OLD = AS_OF - timedelta(days=400)  # stale for every object with stale_after_days
NEW = AS_OF - timedelta(days=1)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec_text(default_spec_text())


def put(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows given as dicts (missing columns are NULL; id is '<source_system>:<external_id>')."""
    cols = TABLES[table].column_names
    full = []
    for r in rows:
        r = {"source_system": "t", **r}
        r.setdefault("external_id", r["id"].split(":", 1)[1])
        full.append(tuple(r.get(c) for c in cols))
    store.insert_rows(table, full)


def findings(store: Store, scan_id: str, *rules: str) -> set[tuple[str, str, str, str]]:
    rows = store.query("SELECT object, record_id, field, rule FROM quality_issues WHERE scan_id = ?", [scan_id])
    return {tuple(r) for r in rows if not rules or r[3] in rules}  # type: ignore[misc]


# --- planted records ---------------------------------------------------------------------------------
USERS: list[dict[str, Any]] = [
    {"id": "t:u1", "name": "Ada Lovelace", "team": "SMB Sales"},
    {"id": "t:u2", "name": "李 小龙", "team": "SMB Sales"},
    {"id": "t:u3", "name": "Ørjan Ødegård", "team": "Enterprise Sales", "manager_id": "t:gone"},
]
ACCOUNTS: list[dict[str, Any]] = [
    {"id": "t:a1", "name": "Acme", "domain": "acme.com", "country": "US", "owner_id": "t:u1", "type": "Customer",
     "segment": "Mid-Market", "website": "https://www.acme.com/x", "phone": "+14155550100", "updated_at": NEW},
    {"id": "t:a2", "name": "Beta GmbH", "domain": "not a domain", "country": "Earth", "owner_id": "t:u2",
     "type": "prospect", "segment": "huge", "currency": "XYZ", "phone": "0894 1550782", "updated_at": OLD},
    {"id": "t:a3", "name": None, "domain": None, "country": None, "owner_id": "t:nobody", "type": "customer",
     "website": "ht!tp://bad url", "updated_at": NEW},
]  # fmt: skip
CONTACTS: list[dict[str, Any]] = [
    {"id": "t:c1", "email": "ada@acme.com", "last_name": "Lovelace", "lead_source": "Paid Search",
     "record_type": "contact", "account_id": "t:a1", "owner_id": "t:u1", "sql_at": NEW, "updated_at": NEW,
     "phone": "+14155550101", "country": "GB"},
    {"id": "t:c2", "email": "grace(at)navy.mil", "last_name": "Hopper", "lead_source": "List Import",
     "record_type": "lead", "owner_id": "t:u1", "updated_at": OLD, "mobile_phone": "12345"},
    {"id": "t:c3", "email": None, "last_name": "  ", "lead_source": None, "record_type": "Lead",
     "account_id": "t:missing", "owner_id": "t:u2", "updated_at": NEW, "country": "XX"},
    {"id": "t:c4", "email": "josé@exämple.com", "first_name": "José", "last_name": "Núñez", "lead_source": "webinar",
     "record_type": "contact", "account_id": "t:a2", "owner_id": "t:u2", "updated_at": NEW},
    {"id": "t:c5", "email": "用户@例子.广告", "first_name": "小明", "last_name": "王", "lead_source": "event",
     "record_type": "contact", "account_id": "t:a2", "owner_id": None, "updated_at": NEW},
    {"id": "t:c6", "email": "a..b@x.com", "first_name": "محمد", "last_name": "عبد الله", "lead_source": "partner",
     "record_type": "contact", "owner_id": "t:u3", "updated_at": NEW, "website": "www.beta.de"},
    {"id": "t:c7", "email": "x@y.test", "last_name": "Test", "lead_source": "referral", "record_type": "lead",
     "owner_id": "t:u3", "updated_at": NEW},
]  # fmt: skip
OPPORTUNITIES: list[dict[str, Any]] = [
    {"id": "t:o1", "name": "Acme new", "account_id": "t:a1", "owner_id": "t:u1", "stage": "Closed Won",
     "amount": 100, "currency": "USD", "close_date": NEW.date(), "type": "New Business", "is_closed": True,
     "is_won": True, "updated_at": OLD},
    {"id": "t:o2", "name": "Beta new", "account_id": "t:a2", "owner_id": "t:ghost", "stage": "Discovery",
     "amount": None, "currency": "EUR", "close_date": NEW.date(), "type": "newbusiness", "is_closed": False,
     "is_won": False, "updated_at": OLD},
]  # fmt: skip
CAMPAIGNS: list[dict[str, Any]] = [
    {"id": "t:k1", "name": "2025-Q3_webinar_data-quality", "channel": "webinar", "start_date": NEW.date()},
    {"id": "t:k2", "name": "Copy of 2025-Q3_webinar_data-quality", "channel": "Tradeshow", "start_date": None},
]


def plant(store: Store) -> Store:
    for table, rows in (("users", USERS), ("accounts", ACCOUNTS), ("contacts", CONTACTS)):
        put(store, table, rows)
    put(store, "opportunities", OPPORTUNITIES)
    put(store, "campaigns", CAMPAIGNS)
    return store


@pytest.fixture
def planted(engine_store: Store) -> Store:
    return plant(engine_store)


@pytest.fixture(params=["duckdb", "postgres"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """DuckDB and PostgreSQL only: each Spark statement costs about a second, and the planted test covers Spark."""
    store = make_store(request.param, tmp_path)
    yield store
    drop(store)


def _valid_email(v: str) -> bool:
    try:
        email_validator.validate_email(v, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def _key(v: str) -> str:
    return v.strip().lower().replace(" ", "_").replace("-", "_")


FORMAT_OK = {
    "email": _valid_email,
    "phone": lambda v: re.fullmatch(r"\+[1-9]\d{6,14}", v) is not None,
    "domain": lambda v: re.fullmatch(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}", v.lower()) is not None,
    "url": lambda v: (
        re.fullmatch(r"(https?://)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}(:\d{1,5})?([/#][^ ]*)?", v.lower())
        is not None
    ),
    "iso_country": lambda v: v in {"US", "GB", "DE", "FR"},  # the planted valid codes
    "iso_currency": lambda v: v in {"USD", "EUR", "GBP"},
}


def expected(spec: Spec) -> set[tuple[str, str, str, str]]:
    """The findings the default rules call for on the planted rows, worked out in Python."""
    data = {"accounts": ACCOUNTS, "contacts": CONTACTS, "opportunities": OPPORTUNITIES, "campaigns": CAMPAIGNS}
    ids = {t: {r["id"] for r in rows} for t, rows in data.items()} | {"users": {u["id"] for u in USERS}}
    out: set[tuple[str, str, str, str]] = set()
    for obj, rows in data.items():
        rules = spec.data_rules.objects[obj]
        for r in rows:
            rid = r["id"]
            for f in rules.required:
                v = r.get(f)
                if v is None or (isinstance(v, str) and not v.strip()):
                    out.add((obj, rid, f, "required"))
            for f, fmt in rules.formats.items():
                if r.get(f) is not None and not FORMAT_OK[fmt](r[f]):
                    out.add((obj, rid, f, "format"))
            for f, values in rules.allowed_values.items():
                if r.get(f) is not None and _key(r[f]) not in {_key(v) for v in values}:
                    out.add((obj, rid, f, "allowed_values"))
            if rules.stale_after_days and (r.get("updated_at") or AS_OF) < AS_OF - timedelta(rules.stale_after_days):
                if not r.get("is_closed"):
                    out.add((obj, rid, "updated_at", "stale"))
            for col in TABLES[obj].columns:
                if col.ref and r.get(col.name) is not None and r[col.name] not in ids[col.ref]:
                    out.add((obj, rid, col.name, "reference"))
    for conv in spec.data_rules.naming_conventions:
        if conv.applies_to == "campaigns.name":
            out |= {
                ("campaigns", c["id"], "name", "naming") for c in CAMPAIGNS if not re.fullmatch(conv.pattern, c["name"])
            }
    out |= {
        ("users", u["id"], "manager_id", "reference")
        for u in USERS
        if u.get("manager_id") and u["manager_id"] not in ids["users"]
    }
    won = {o["account_id"] for o in OPPORTUNITIES if o["is_won"]}
    out |= {
        ("accounts", a["id"], "type", "lifecycle")
        for a in ACCOUNTS
        if _key(a["type"]) == "customer" and a["id"] not in won
    }
    sql_accounts = {c.get("account_id") for c in CONTACTS if c.get("sql_at")}
    out |= {
        ("opportunities", o["id"], "stage", "lifecycle")
        for o in OPPORTUNITIES
        if not o["is_closed"] and o["account_id"] not in sql_accounts
    }
    return out  # fmt: skip


def total(report: Any, obj: str) -> int:
    return sum(c["issues"] for c in report.counts if c["object"] == obj)


# --- every engine ------------------------------------------------------------------------------------
def test_scan_finds_exactly_the_planted_issues(planted: Store, spec: Spec) -> None:
    report = scan(planted, spec, as_of=AS_OF, objects=["users", "accounts", "contacts", "opportunities", "campaigns"])
    got = findings(planted, report.scan_id)
    got_data = {f for f in got if f[0] != "framework"}
    assert got_data == expected(spec)
    assert report.issues == len(got)
    # the offending value is kept as written, whatever the script
    values = dict(
        ((r[0], r[1]), r[2])
        for r in planted.query(
            "SELECT record_id, field, value FROM quality_issues WHERE scan_id = ? AND rule = 'format'", [report.scan_id]
        )
    )
    assert values[("t:c2", "email")] == "grace(at)navy.mil" and values[("t:c6", "email")] == "a..b@x.com"
    assert ("t:c4", "email") not in values and ("t:c5", "email") not in values  # accents and CJK are valid
    severities = {
        (r[0], r[1]): r[2]
        for r in planted.query("SELECT object, rule, severity FROM quality_issues WHERE scan_id = ?", [report.scan_id])
    }
    assert severities[("contacts", "required")] == "error" and severities[("users", "reference")] == "error"
    assert severities[("contacts", "stale")] == "info"  # the default
    assert severities[("opportunities", "stale")] == "warning"  # the default spec's override


def test_scorecard_and_trend(sql_store: Store, spec: Spec) -> None:
    planted = plant(sql_store)
    first = scan(planted, spec, as_of=AS_OF, objects=["contacts", "campaigns"])
    rows = {(r["scope"], r["object"], r["field"], r["owner_id"], r["team"]): r for r in first.scores}
    contacts = rows[("object", "contacts", None, None, None)]
    req = spec.data_rules.objects["contacts"].required
    missing = sum(1 for c in CONTACTS for f in req if c.get(f) is None or not str(c[f]).strip())
    assert contacts["records"] == len(CONTACTS)
    assert contacts["completeness"] == pytest.approx(1 - missing / (len(CONTACTS) * len(req)))
    assert contacts["staleness"] == pytest.approx(1 / len(CONTACTS))
    assert contacts["duplicate_rate"] is None  # no dedupe run yet
    email = rows[("field", "contacts", "email", None, None)]
    present = [c["email"] for c in CONTACTS if c["email"]]
    assert email["validity"] == pytest.approx(sum(map(_valid_email, present)) / len(present))
    ada = rows[("owner", "contacts", None, "t:u1", "SMB Sales")]
    assert ada["records"] == 2 and ada["owner_name"] == "Ada Lovelace"
    team = rows[("team", "contacts", None, None, "SMB Sales")]
    assert team["records"] == sum(1 for c in CONTACTS if c["owner_id"] in ("t:u1", "t:u2"))
    assert all(r["completeness_delta"] is None for r in first.scores) and first.previous_scan_id is None
    # fix one contact: the next scan keeps the first and reports the change
    put(planted, "contacts", [{**CONTACTS[2], "id": "t:c8", "email": "fixed@acme.com"}])
    between = scan(planted, spec, as_of=AS_OF, objects=["campaigns"])  # does not hide the contacts' scores
    second = scan(planted, spec, as_of=AS_OF, objects=["contacts", "campaigns"])
    assert second.previous_scan_id == between.scan_id
    now = next(r for r in second.scores if r["scope"] == "object" and r["object"] == "contacts")
    assert now["issues_delta"] == total(second, "contacts") - total(first, "contacts") > 0
    missing_now = missing + sum(1 for f in req if f != "email" and (CONTACTS[2].get(f) or "").strip() == "")
    completeness_now = 1 - missing_now / ((len(CONTACTS) + 1) * len(req))
    assert now["completeness"] == pytest.approx(completeness_now)
    assert now["completeness_delta"] == pytest.approx(completeness_now - contacts["completeness"], abs=1e-5)
    scans = planted.query("SELECT count(*), count(DISTINCT scan_id) FROM quality_scores")
    assert scans[0][1] == 3 and int(planted.query("SELECT count(*) FROM quality_scans")[0][0]) == 3


def test_empty_store_scans_to_none_scores(sql_store: Store, spec: Spec) -> None:
    report = scan(sql_store, spec, as_of=AS_OF)
    assert report.issues == 0 and report.records_scanned == 0
    objects = [r for r in report.scores if r["scope"] == "object"]
    assert len(objects) == len(report.objects)
    assert all(r[m] is None for r in objects for m in ("completeness", "validity", "staleness", "duplicate_rate"))


# --- DuckDB: the demo company against its ground truth ---------------------------------------------
@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Path]]:
    root = tmp_path_factory.mktemp("demo-scan")
    ws = Workspace.init(root / "ws")
    files = generate_company(root / "data", "small", 7)
    for load in files.loads:
        ws.ingest([load.path], load.mapping, object_name=load.object)
    yield ws, files.ground_truth
    ws.close()


def _truth(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_demo_scan_finds_every_planted_defect(demo_ws: tuple[Workspace, Path]) -> None:
    ws, truth = demo_ws
    report = scan(ws.store, ws.spec, as_of="2026-09-30")
    found = findings(ws.store, report.scan_id)
    stored = {str(r[0]) for t in ("accounts", "contacts", "campaigns", "opportunities")
              for r in ws.store.query(f"SELECT id FROM {t}")}  # fmt: skip
    checked = 0
    rules = ws.spec.data_rules.objects
    for row in _truth(truth / "invalid_values.csv"):
        rid = f"{row['source_system']}:{row['external_id']}"
        if rid in stored and row["field"] in rules[row["table"]].formats:  # a quarantined row is not in the store
            assert (row["table"], rid, row["field"], "format") in found, row
            checked += 1
    for row in _truth(truth / "missing_required.csv"):
        rid = f"{row['source_system']}:{row['external_id']}"
        if rid in stored and row["field"] in rules[row["table"]].required:
            assert (row["table"], rid, row["field"], "required") in found, row
            checked += 1
    violations = {f"{r['source_system']}:{r['external_id']}" for r in _truth(truth / "naming_violations.csv")}
    named = {f[1] for f in found if f[0] == "campaigns" and f[3] == "naming"}
    assert violations and named == violations  # every violation, and nothing the demo names by its convention
    assert checked > 250


def test_cli_scan_and_issues(demo_ws: tuple[Workspace, Path]) -> None:
    ws, _ = demo_ws
    earlier = scan(ws.store, ws.spec, as_of="2026-09-30")  # whichever tests ran before on this worker
    ws.close()  # the CLI opens the store itself
    code, out, err = cli("-w", ws.root, "--format", "json", "quality", "scan", "--as-of", "2026-09-30")
    assert code == 0, err
    data = json.loads(out)
    assert data["scan_id"].startswith("scan-") and data["issues"] == sum(c["issues"] for c in data["counts"])
    assert data["trend"]["previous_scan_id"] == earlier.scan_id and any(r["scope"] == "team" for r in data["scorecard"])
    code, out, _ = cli("-w", ws.root, "quality", "scan", "--object", "campaigns", "--as-of", "2026-09-30")
    assert code == 0 and "Objects" in out and "campaigns" in out and "naming" in out
    code, out, _ = cli("-w", ws.root, "--format", "json", "quality", "issues", "--rule", "naming", "--limit", "3")
    listed = json.loads(out)
    assert code == 0 and len(listed["issues"]) == 3 and {i["rule"] for i in listed["issues"]} == {"naming"}
    code, _, err = cli("-w", ws.root, "quality", "scan", "--object", "contact")
    assert code == 2 and "contacts" in err
    code, _, err = cli("-w", ws.root, "quality", "scan", "--as-of", "30/09/2026")
    assert code == 2 and "YYYY-MM-DD" in err


def cli(*args: str | Path) -> tuple[int, str, str]:
    """Run ``revframe ARGS...`` through ``revframe.cli.main`` in this process."""
    out, err = io.StringIO(), io.StringIO()
    environ = {k: v for k, v in os.environ.items() if k != "REVFRAME_STORE"} | {"COLUMNS": "200"}
    with (
        mock.patch.dict(os.environ, environ, clear=True),
        mock.patch.object(sys, "argv", ["revframe", *map(str, args)]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as exited,
    ):
        main()
    code = exited.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out.getvalue(), err.getvalue()


# --- DuckDB: bad input -----------------------------------------------------------------------------
def test_all_null_column_and_identical_records(duck: Store, spec: Spec) -> None:
    same = {"email": None, "last_name": "Doe", "lead_source": "web", "record_type": "lead", "phone": "n/a"}
    put(duck, "contacts", [{**same, "id": f"t:{i}"} for i in range(10_000)])
    report = scan(duck, spec, as_of=AS_OF, objects=["contacts"])
    got = {(c["rule"], c["severity"]): c["issues"] for c in report.counts}
    assert got[("required", "error")] == 10_000  # every email missing
    assert got[("format", "warning")] == 10_000  # every phone invalid
    assert got[("allowed_values", "warning")] == 10_000  # 'web' is not an allowed lead source
    email = next(r for r in report.scores if r["scope"] == "field" and r["field"] == "email")
    assert email["completeness"] == 0 and email["validity"] is None  # no value present: nothing to validate
    unowned = next(r for r in report.scores if r["scope"] == "owner")
    assert unowned["owner_id"] is None and unowned["records"] == 10_000


def test_names_in_any_script_round_trip(duck: Store, spec: Spec) -> None:
    names = ["Zoë Ångström", "山田 太郎", "שרה כהן", "محمد علي", "Đặng Thị Ánh"]
    put(duck, "campaigns", [{"id": f"t:k{i}", "name": n, "channel": "webinar"} for i, n in enumerate(names)])
    scan(duck, spec, as_of=AS_OF, objects=["campaigns"])
    _, issues = list_issues(duck, rules=["naming"], limit=100)
    assert sorted(i["value"] for i in issues) == sorted(names)


def test_safe_email_shape_is_valid_for_email_validator() -> None:
    """Whatever the SQL prefilter lets through unchecked must be valid for email-validator."""
    samples = ["a@b.co", "first.last+tag@sub.example-mail.com", "x_y-z@a1.b2.io", "9@9.museum"]
    for value in samples:
        assert re.fullmatch(_SAFE_EMAIL.strip("^$"), value) and is_valid_email(value), value
