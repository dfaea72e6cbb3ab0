"""A person's current score survives a run that scores only someone else (the server scores one lead at a time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from revframe.framework import default_spec_text, load_spec_text
from revframe.framework.rules import ScoreCondition
from revframe.process.criteria import Params, Subject, condition_sql
from revframe.process.scoring import score_people
from tests.conftest import drop, make_store
from tests.quality.test_match_batch import rows

SPEC = load_spec_text(default_spec_text())


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_current_score_per_person(engine: str, tmp_path: Path) -> None:
    store = make_store(engine, tmp_path)
    try:
        people = [
            {"id": "crm:a", "record_type": "lead", "title": "VP Sales", "country": "US"},
            {"id": "crm:b", "record_type": "lead", "title": "Student", "country": "BR"},
            {"id": "crm:n", "record_type": "lead"},  # never scored
        ]
        store.insert_rows("contacts", rows("contacts", people[:2]))
        first = score_people(store, SPEC, as_of="2026-09-30")
        store.insert_rows("contacts", rows("contacts", people[2:]))
        totals = dict(store.query("SELECT contact_id, total FROM lead_scores WHERE is_current"))
        assert set(totals) == {"crm:a", "crm:b"} and totals["crm:a"] > totals["crm:b"]
        score_people(store, SPEC, ids=["crm:b"], as_of="2026-10-30")  # a run of one person

        current = store.query("SELECT contact_id, run_id FROM lead_scores WHERE is_current ORDER BY contact_id")
        assert current[0] == ("crm:a", first.run_id) and current[1][0] == "crm:b" and current[1][1] != first.run_id
        assert store.query("SELECT count(*) FROM lead_scores")[0][0] == 3

        ctx = Subject("contacts", first.as_of, Params(), set())
        cond = ScoreCondition(score="total", op="gte", value=totals["crm:a"])
        sql, params = ctx.sql.render(f"SELECT c.id, {condition_sql(cond, ctx)} FROM contacts AS c ORDER BY c.id")
        assert store.query(sql, params) == [("crm:a", True), ("crm:b", False), ("crm:n", None)]
    finally:
        drop(store)
