"""The demo company's attribution is the same on DuckDB, PostgreSQL and Spark: journeys, credits, notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from revframe.attribution.run import run_attribution
from revframe.demo import generate_company
from revframe.framework import default_spec_text, load_spec_text
from revframe.ingest import ingest
from tests.conftest import drop, make_store

SPEC = load_spec_text(default_spec_text())
ENGINES = [
    "duckdb",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("spark", marks=pytest.mark.spark),
]


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generate_company(tmp_path_factory.mktemp("demo"), "small", 11)


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    return {}


@pytest.mark.parametrize("engine", ENGINES)
def test_same_credits_on_every_engine(engine: str, demo_files: Any, results: dict, tmp_path: Path) -> None:
    store = make_store(engine, tmp_path)
    try:
        for load in demo_files.loads:
            ingest(store, [load.path], load.mapping, object_name=load.object)
        got: dict[str, Any] = {}
        for event in ("mql", "opportunity_created", "closed_won"):
            run = run_attribution(store, SPEC, ["linear", "time_decay", "w_shaped", "markov"], conversion=event,
                                  save=False)  # fmt: skip
            assert run.journeys is not None and run.conversions > 50
            got[event] = {
                "paths": run.journeys.n, "conversions": run.conversions, "unattributed": run.unattributed,
                "notes": run.notes,
                "totals": {(r["model"], r["channel"]): (round(r["conversions"], 6), round(r["revenue"], 2))
                           for r in run.totals()},
            }  # fmt: skip
        results[engine] = got
        if engine != "duckdb" and "duckdb" in results:
            assert got == results["duckdb"]
    finally:
        drop(store)
