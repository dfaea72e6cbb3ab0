"""Lifecycle: stages from entry criteria on every engine, transitions and their kinds, the demo, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from revframe import UsageError, Workspace
from revframe.demo import generate_company
from revframe.framework import default_spec_text, load_spec_text
from revframe.process.lifecycle import evaluate_lifecycle, transition_kind
from revframe.quality.scan import list_issues
from revframe.store import Store
from tests.cli.test_cli import revframe
from tests.quality.test_match_batch import rows

SPEC = load_spec_text(default_spec_text())
AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)
LATER = AS_OF + timedelta(days=30)
DAY = timedelta(days=1)


def person(pid: str, **kw: Any) -> dict[str, Any]:
    return {"id": f"salesforce:{pid}", "record_type": "lead", "email": f"{pid}@example.com"} | kw


def plant(store: Store) -> None:
    store.insert_rows(
        "accounts", rows("accounts", [{"id": f"salesforce:acc{i}", "name": f"Acc {i}"} for i in range(4)])
    )
    people = [
        person("lead"),
        person("noemail", email=None),
        person("mql"),
        person("old"),
        person("sql", lead_status="qualified"),
        person("auto", lead_status="qualified"),
        person("back", lead_status="qualified"),
        person("opp", account_id="salesforce:acc1", record_type="contact"),
        person("cust", account_id="salesforce:acc2", record_type="contact"),
        person("skip", account_id="salesforce:acc3", record_type="contact"),
        person("dq", lead_status="disqualified"),
        person("partner", lead_status="partner"),
    ]
    store.insert_rows("contacts", rows("contacts", people))
    touch = [
        {"id": "hubspot:t1", "contact_id": "salesforce:mql", "type": "demo_request", "occurred_at": AS_OF - 10 * DAY},
        {"id": "hubspot:t2", "contact_id": "salesforce:old", "type": "demo_request", "occurred_at": AS_OF - 60 * DAY},
        {"id": "hubspot:t3", "contact_id": "salesforce:back", "type": "contact_sales", "occurred_at": AS_OF + 5 * DAY},
        {"id": "hubspot:t4", "contact_id": "salesforce:lead", "type": "webinar", "occurred_at": AS_OF - DAY},
    ]
    store.insert_rows("touchpoints", rows("touchpoints", touch))
    acts = [
        {"id": "salesforce:m1", "contact_id": "salesforce:sql", "type": "meeting", "is_automated": False,
         "occurred_at": AS_OF - 5 * DAY},
        {"id": "salesforce:m2", "contact_id": "salesforce:auto", "type": "meeting", "is_automated": True,
         "occurred_at": AS_OF - 5 * DAY},
        {"id": "salesforce:m3", "contact_id": "salesforce:back", "type": "meeting", "is_automated": False,
         "occurred_at": AS_OF - 5 * DAY},
    ]  # fmt: skip
    store.insert_rows("activities", rows("activities", acts))
    opp = {"id": "salesforce:o1", "account_id": "salesforce:acc1", "is_closed": False, "is_won": False}
    store.insert_rows("opportunities", rows("opportunities", [opp]))
    sub = {"id": "billing:s1", "account_id": "salesforce:acc2", "status": "active", "arr": 1000}
    store.insert_rows("subscriptions", rows("subscriptions", [sub]))


def events(store: Store, run_id: str) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for rec, frm, to, kind, rule, at in store.query(
        "SELECT record_id, from_stage, to_stage, kind, rule, occurred_at FROM lifecycle_events "
        "WHERE run_id = ? AND object = 'contacts' ORDER BY record_id, kind, to_stage",
        [run_id],
    ):
        out.setdefault(str(rec).split(":")[1], []).append((frm, to, kind, rule, at))
    return out


def utc(v: datetime) -> datetime:
    return v if v.tzinfo else v.replace(tzinfo=UTC)


def test_lifecycle_on_every_engine(engine_store: Store) -> None:
    store = engine_store
    plant(store)
    first = evaluate_lifecycle(store, SPEC, as_of=AS_OF)
    assert first.stages["contacts"] == {
        "customer": 1, "disqualified": 1, "lead": 5, "mql": 1, "opportunity": 1, "other": 1, "sql": 2,
    }  # fmt: skip
    assert first.transitions["contacts"] == {"entry": 12}
    assert first.stages["accounts"] == {"customer": 1, "lead": 1, "opportunity": 1}  # acc0 has no people
    assert first.issues == 0 and any("revframe score" in n for n in first.notes)
    ev = events(store, first.run_id)
    assert ev["mql"][0][:3] == (None, "mql", "entry") and utc(ev["mql"][0][4]) == AS_OF - 10 * DAY  # the event's time
    assert "demo_request" in ev["mql"][0][3]
    assert ev["old"][0][1] == "lead" and ev["auto"][0][1] == "lead"  # outside the window; automated meeting
    assert "first stage by default" in ev["noemail"][0][3]
    assert utc(ev["lead"][0][4]) == AS_OF

    # a month later: an opportunity opens for `skip`; windows move on
    opp = {"id": "salesforce:o2", "account_id": "salesforce:acc3", "is_closed": False}
    store.insert_rows("opportunities", rows("opportunities", [opp]))
    second = evaluate_lifecycle(store, SPEC, objects=["contacts"], as_of=LATER)
    ev = events(store, second.run_id)
    assert [e[:3] for e in ev["skip"]] == [
        ("lead", "opportunity", "forward"), ("lead", "mql", "skipped"), ("lead", "sql", "skipped"),
    ]  # fmt: skip
    assert "without reaching MQL" in ev["skip"][1][3]
    assert [e[:3] for e in ev["mql"]] == [("mql", "lead", "backward")]  # allowed: mql -> lead
    assert [e[:3] for e in ev["sql"]] == [("sql", "lead", "backward")]  # allowed: sql -> lead
    assert [e[:3] for e in ev["back"]] == [("sql", "mql", "forbidden")]  # not in allowed_backward
    assert set(ev) == {"skip", "mql", "sql", "back"}
    assert second.transitions == {"contacts": {"backward": 2, "forbidden": 1, "forward": 1, "skipped": 2}}
    assert second.issues == 1
    issues = store.query(
        "SELECT object, record_id, rule, severity, value, message FROM quality_issues WHERE scan_id = ?",
        [second.scan_id],
    )
    assert len(issues) == 1
    obj, rec, rule, severity, value, message = issues[0]
    assert (obj, rec, rule, severity, value) == ("contacts", "salesforce:back", "lifecycle_transition", "error",
                                                 "sql -> mql")  # fmt: skip
    assert "allowed_backward" in message
    scan_id, listed = list_issues(store, scan="lifecycle")  # what `revframe quality issues --scan lifecycle` shows
    assert scan_id == second.scan_id and [(i["record_id"], i["value"]) for i in listed] == [("salesforce:back",
                                                                                            "sql -> mql")]  # fmt: skip

    # idempotent: the same data and as-of record nothing new
    before = store.query("SELECT count(*) FROM lifecycle_events")[0][0]
    third = evaluate_lifecycle(store, SPEC, objects=["contacts"], as_of=LATER)
    assert third.transitions == {"contacts": {}} and third.issues == 0
    assert store.query("SELECT count(*) FROM lifecycle_events")[0][0] == before
    assert third.stages["contacts"]["opportunity"] == 2


def test_transition_kinds() -> None:
    lc = SPEC.lifecycle
    assert transition_kind(lc, "customer", "disqualified")[0] == "forbidden"
    assert "Customers churn" in transition_kind(lc, "customer", "disqualified")[1]
    assert transition_kind(lc, "lead", "disqualified") == ("forward", "")
    assert transition_kind(lc, "disqualified", "lead") == ("backward", "")
    assert transition_kind(lc, "disqualified", "mql")[0] == "forbidden"
    assert transition_kind(lc, "customer", "lead")[0] == "forbidden"


def test_bad_object(duck: Store) -> None:
    with pytest.raises(UsageError, match="contacts or accounts"):
        evaluate_lifecycle(duck, SPEC, objects=["deals"])


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("lifecycle-demo")
    files = generate_company(root / "data", "small", 7)
    ws = Workspace.init(root / "ws")
    for load in files.loads:
        ws.ingest([load.path], load.mapping, object_name=load.object)
    return ws


def test_demo_stages(demo_ws: Workspace) -> None:
    store = demo_ws.store
    report = evaluate_lifecycle(store, demo_ws.spec, as_of="2026-09-30")
    contacts = int(store.query("SELECT count(*) FROM contacts")[0][0])
    people = report.stages["contacts"]
    assert sum(people.values()) == contacts  # every person has a stage
    assert people.get("customer", 0) > 0 and people.get("lead", 0) > 0 and people.get("opportunity", 0) > 0
    assert report.transitions["contacts"] == {"entry": contacts}
    assert report.stages["accounts"].get("customer", 0) > 0
    again = evaluate_lifecycle(store, demo_ws.spec, as_of="2026-09-30")
    assert again.transitions == {"contacts": {}, "accounts": {}}


def test_cli(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    plant(ws.store)
    ws.store.close()
    run = revframe("-w", tmp_path / "ws", "lifecycle", "--as-of", "2026-06-30")
    assert run.code == 0, run.err
    assert "Stages" in run.out and "entry" in run.out and "revframe score" in run.out
    run = revframe("-w", tmp_path / "ws", "--format", "json", "lifecycle", "--as-of", "2026-06-30", "--object",
                   "contacts")  # fmt: skip
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["transitions"] == {"contacts": {}} and data["stages"]["contacts"]["lead"] >= 1
