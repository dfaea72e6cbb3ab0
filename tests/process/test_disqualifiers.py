"""The default spec's ICP disqualifiers mean the same on DuckDB and PostgreSQL (regex dialects differ)."""

from __future__ import annotations

from pathlib import Path

import pytest

from revframe.framework import default_spec_text, load_spec_text
from revframe.process.scoring import score_people
from tests.conftest import drop, make_store
from tests.quality.test_match_batch import rows

SPEC = load_spec_text(default_spec_text())
TITLES = {
    "p1": ("Student", "student"),
    "p2": ("Marketing Intern", "student"),
    "p3": ("Internal Audit Manager", None),  # 'intern' inside a word is not an intern
    "p4": ("Job Seeker", "student"),
    "p5": ("VP Sales", None),
}


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_student_disqualifier_on_each_engine(engine: str, tmp_path: Path) -> None:
    store = make_store(engine, tmp_path)
    try:
        people = [
            {"id": f"crm:{k}", "record_type": "lead", "email": f"{k}@corp.example", "email_domain": "corp.example",
             "title": t} for k, (t, _) in TITLES.items()
        ]  # fmt: skip
        store.insert_rows("contacts", rows("contacts", people))
        report = score_people(store, SPEC, ids=[p["id"] for p in people], as_of="2026-09-30")
        got = {k.split(":")[1]: s.disqualified_by for k, s in report.scores.items()}
        assert got == {k: want for k, (_, want) in TITLES.items()}
    finally:
        drop(store)
