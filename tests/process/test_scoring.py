"""Lead scoring by rules: fit per ICP criterion, decayed engagement, grades, reasons, on every engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from revframe import UsageError, Workspace
from revframe.framework import default_spec_text, load_spec_text
from revframe.process.lifecycle import evaluate_lifecycle
from revframe.process.scoring import score_people
from revframe.store import Store
from tests.cli.test_cli import revframe
from tests.quality.test_match_batch import rows

SPEC = load_spec_text(default_spec_text())
AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)
DAY = timedelta(days=1)
HALF = 30  # the default spec's half_life_days


def decay(points: float, days: float) -> float:
    """Independent of the code under test: points halve every half-life."""
    return points * 2 ** (-days / HALF)


def person(pid: str, **kw: Any) -> dict[str, Any]:
    return {"id": f"salesforce:{pid}", "record_type": "lead", "email": f"{pid}@corp.example"} | kw


def touch(i: int, pid: str, kind: str, at: datetime) -> dict[str, Any]:
    return {"id": f"hubspot:t{i}", "contact_id": f"salesforce:{pid}", "type": kind, "occurred_at": at}


def plant(store: Store) -> None:
    accounts = [
        {"id": "salesforce:fit", "name": "Fit", "industry": "software", "employees": 500, "country": "US"},
        {"id": "salesforce:small", "name": "Small", "industry": "Retail", "employees": 20, "country": "JP"},
    ]
    store.insert_rows("accounts", rows("accounts", accounts))
    people = [
        person("ideal", account_id="salesforce:fit", title="VP Sales"),
        person("capped", title="Data Analyst", country="DE"),  # account from account_matches
        person("dq", account_id="salesforce:fit", title="Head of Marketing", email="x@gmail.com",
               email_domain="gmail.com"),
        person("none", email=None),
        person("small", account_id="salesforce:small", title="Sales Development Representative"),
        person("unsub"),
        person("hot", account_id="salesforce:fit", title="VP Sales"),
        person("decay", title="CMO", country="GB"),
    ]  # fmt: skip
    store.insert_rows("contacts", rows("contacts", people))
    store.insert_rows(
        "account_matches",
        [
            ("m1", "salesforce:capped", "salesforce:small", 0.9, "company_name", "old", AS_OF - 90 * DAY),
            ("m2", "salesforce:capped", "salesforce:fit", 0.8, "email_domain", "latest", AS_OF - 10 * DAY),
        ],
    )
    touches = [
        touch(1, "ideal", "demo_request", AS_OF - 30 * DAY),
        touch(2, "ideal", "Webinar", AS_OF),
        touch(3, "ideal", "contact_sales", AS_OF + 5 * DAY),  # after as_of: ignored
        touch(4, "capped", "demo_request", AS_OF),
        touch(5, "capped", "demo_request", AS_OF - DAY),
        touch(6, "capped", "demo_request", AS_OF - 2 * DAY),
        touch(7, "dq", "demo_request", AS_OF),
        touch(8, "unsub", "unsubscribe", AS_OF),
        touch(9, "hot", "webinar", AS_OF),
        touch(10, "hot", "webinar", AS_OF),
        touch(11, "decay", "webinar", AS_OF - 10 * DAY),
        touch(12, "small", "no_such_type", AS_OF),  # no points in the spec
    ]
    store.insert_rows("touchpoints", rows("touchpoints", touches))
    acts = [
        {"id": "salesforce:a1", "contact_id": "salesforce:small", "type": "meeting", "is_automated": False,
         "occurred_at": AS_OF - 60 * DAY},
        {"id": "salesforce:a2", "contact_id": "salesforce:small", "type": "meeting", "is_automated": True,
         "occurred_at": AS_OF},
        {"id": "salesforce:a3", "contact_id": "salesforce:small", "type": "call", "occurred_at": AS_OF - 15 * DAY},
    ]  # fmt: skip
    store.insert_rows("activities", rows("activities", acts))


# fit weights of the default spec, written out: industry 25, size 25, geography 10, title 20, seniority 15, function 5
EXPECTED = {
    # id: (fit, engagement)
    "ideal": (100.0, decay(50, 30) + 15),
    "capped": (25 + 25 + 10, 100.0),  # 150 points, capped
    "dq": (25 + 25 + 10 + 15 + 5, 50.0),
    "none": (0.0, 0.0),
    "small": (5.0, decay(25, 60) + decay(5, 15)),  # function sales only; the automated meeting never counts
    "unsub": (0.0, 0.0),  # -20 clamps at 0
    "hot": (100.0, 30.0),
    "decay": (10 + 15 + 5, decay(15, 10)),  # GB (emea), c_level, marketing
}


def grade(fit: float, eng: float) -> str:
    letter = next(ch for lim, ch in ((75, "A"), (50, "B"), (25, "C"), (-1, "D")) if fit >= lim)
    return letter + next(d for lim, d in ((75, "1"), (50, "2"), (25, "3"), (-1, "4")) if eng >= lim)


def test_scores_on_every_engine(engine_store: Store) -> None:
    store = engine_store
    plant(store)
    before = evaluate_lifecycle(store, SPEC, objects=["contacts"], as_of=AS_OF)
    report = score_people(store, SPEC, as_of=AS_OF)
    got = {
        str(r[0]).split(":")[1]: r[1:]
        for r in store.query(
            "SELECT contact_id, fit, engagement, total, grade, is_mql, disqualified_by, reasons, model "
            "FROM lead_scores WHERE run_id = ?",
            [report.run_id],
        )
    }
    assert set(got) == set(EXPECTED)
    for pid, (fit, eng) in EXPECTED.items():
        total = fit / 2 + eng / 2
        f, e, t, g, mql, dq, _reasons, model = got[pid]
        assert (f, e, t) == pytest.approx((fit, eng, total), abs=1e-3), pid
        assert g == grade(fit, eng), pid
        assert bool(mql) == (total >= 60 and pid != "dq"), pid
        assert dq == ("personal_email" if pid == "dq" else None)
        assert model == "rules"
    assert report.people == 8 and report.mqls == 3 and report.disqualified == 1  # ideal, capped, hot

    ideal = json.loads(got["ideal"][6])
    assert [r["factor"] for r in ideal] == ["company_size", "industry", "touchpoint:demo_request", "title", "seniority"]
    assert [r["points"] for r in ideal] == pytest.approx([12.5, 12.5, decay(50, 30) / 2, 10, 7.5], abs=1e-3)
    assert ideal[1]["detail"] == "software is an ICP industry"
    assert ideal[2]["detail"] == "1 demo request, latest 30 days ago"
    dq = json.loads(got["dq"][6])
    assert dq[0]["factor"] == "disqualifier:personal_email" and len(dq) == 5
    capped = json.loads(got["capped"][6])
    assert capped[0]["factor"] == "touchpoint:demo_request" and capped[0]["points"] == pytest.approx(50)
    assert "capped" in capped[0]["detail"] and "3 demo requests" in capped[0]["detail"]
    none = json.loads(got["none"][6])
    assert len(none) == 5 and all(r["points"] == 0 for r in none)
    assert {r["detail"] for r in none} >= {"no title", "country unknown", "industry unknown: no account"}

    # the lifecycle's MQL branch {score: total, op: gte, value: 60} now sees the scores
    assert "salesforce:hot" not in mql_people(store, before.run_id)
    after = evaluate_lifecycle(store, SPEC, objects=["contacts"], as_of=AS_OF)
    moved = mql_people(store, after.run_id)
    assert moved == {"salesforce:hot"}  # ideal, capped and dq were MQLs already by their demo requests
    assert "salesforce:dq" in mql_people(store, before.run_id)  # by its demo request; scores don't change that
    assert "salesforce:small" not in moved


def mql_people(store: Store, run_id: str) -> set[str]:
    return {
        str(r[0])
        for r in store.query(
            "SELECT record_id FROM lifecycle_events WHERE run_id = ? AND to_stage = 'mql' AND kind <> 'skipped'",
            [run_id],
        )
    }


def test_decay_halves_and_ids(duck: Store) -> None:
    plant(duck)
    now = score_people(duck, SPEC, ids=["salesforce:decay"], as_of=AS_OF)
    later = score_people(duck, SPEC, ids=["salesforce:decay"], as_of=AS_OF + HALF * DAY)
    assert list(now.scores) == ["salesforce:decay"] and now.people == 1
    a, b = now.scores["salesforce:decay"], later.scores["salesforce:decay"]
    assert b.engagement == pytest.approx(a.engagement / 2, abs=1e-3)
    assert a.engagement == pytest.approx(decay(15, 10), abs=1e-3)
    assert duck.query("SELECT count(*) FROM lead_scores WHERE run_id = ?", [now.run_id])[0][0] == 1
    full = score_people(duck, SPEC, as_of=AS_OF)
    assert full.scores == {} and full.people == len(EXPECTED)


def test_latest_run_wins_in_lifecycle(duck: Store) -> None:
    plant(duck)
    score_people(duck, SPEC, as_of=AS_OF)  # hot scores 65
    score_people(duck, SPEC, as_of=AS_OF + 120 * DAY)  # its webinars have decayed: 50 + 30/16
    run = evaluate_lifecycle(duck, SPEC, objects=["contacts"], as_of=AS_OF)
    assert "salesforce:hot" not in mql_people(duck, run.run_id)


def test_empty_and_bad_input(duck: Store) -> None:
    report = score_people(duck, SPEC, as_of=AS_OF)
    assert report.people == 0 and report.grades == {} and report.mqls == 0
    assert report.to_dict()["avg_fit"] == 0.0
    assert duck.query("SELECT count(*) FROM lead_scores")[0][0] == 0
    with pytest.raises(UsageError, match="rules or predictive"):
        score_people(duck, SPEC, model="magic")
    bare = SPEC.model_copy(update={"scoring": None})
    with pytest.raises(UsageError, match="no scoring section"):
        score_people(duck, bare)
    with pytest.raises(UsageError, match="not a date"):
        score_people(duck, SPEC, as_of="yesterday")


def test_cli(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    plant(ws.store)
    ws.store.close()
    run = revframe("-w", tmp_path / "ws", "score", "--as-of", "2026-06-30")
    assert run.code == 0, run.err
    assert "Grades" in run.out and "8 people" in run.out and "3 MQLs" in run.out
    run = revframe("-w", tmp_path / "ws", "--format", "json", "score", "--as-of", "2026-06-30",
                   "--id", "salesforce:hot")  # fmt: skip
    assert run.code == 0, run.err
    data = json.loads(run.out)
    # a date means the end of that day: the webinars (at noon) are half a day old
    hot = data["scores"]["salesforce:hot"]
    assert data["people"] == 1 and hot["total"] == pytest.approx(50 + decay(30, 0.5) / 2, abs=1e-3)
    run = revframe("-w", tmp_path / "ws", "score", "--model", "predictive")
    assert run.code == 2 and "at least 50 labelled people" in run.err
