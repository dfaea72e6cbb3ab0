"""The demo company ingests identically on DuckDB, PostgreSQL and Spark: same counts, same checksums."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from revframe.demo import generate_company
from revframe.ingest import ingest
from revframe.store import DATA_TABLES
from tests.conftest import ENGINES, drop, make_store


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return generate_company(tmp_path_factory.mktemp("demo"), "small", 11)


@pytest.fixture(scope="module")
def fingerprints() -> dict[str, dict[str, tuple[int, str]]]:
    return {}


@pytest.mark.parametrize("engine", ENGINES)
def test_demo_ingest_is_identical_on_every_engine(
    engine: str,
    demo_files,
    fingerprints: dict,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    store = make_store(engine, tmp_path)
    try:
        read = loaded = quarantined = 0
        for load in demo_files.loads:
            s = ingest(store, [load.path], load.mapping, object_name=load.object)
            read, loaded, quarantined = read + s.read, loaded + s.loaded, quarantined + s.quarantined
        assert read == loaded + quarantined and quarantined > 0
        counts = store.row_counts()
        fp = {t: (counts[t], store.checksum(t)) for t in DATA_TABLES}
        fp["quarantine"] = (counts["quarantine"], "")
        assert counts["contacts"] > 5_000 and counts["opportunities"] > 500
        fingerprints[engine] = fp
        if engine != "duckdb" and "duckdb" in fingerprints:
            assert fp == fingerprints["duckdb"]
    finally:
        drop(store)


@pytest.fixture(scope="module")
def metric_values() -> dict[str, dict[tuple[str, str, str], tuple[float | None, int | None]]]:
    return {}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_metric_is_the_same_on_every_engine(
    engine: str,
    demo_files,
    metric_values: dict,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """The whole built-in suite, quarterly and by segment, gives the same rows on DuckDB, PostgreSQL and Spark."""
    from revframe.framework import default_spec_text, load_spec_text
    from revframe.metrics.compute import compute_metrics

    spec = load_spec_text(default_spec_text(), "revframe.yaml")
    store = make_store(engine, tmp_path)
    try:
        for load in demo_files.loads:
            ingest(store, [load.path], load.mapping, object_name=load.object)
        values: dict[tuple[str, str, str, str], tuple[float | None, int | None]] = {}
        for by in ([], ["segment"]):
            run = compute_metrics(store, spec, by=by, grain="quarter", start=date(2025, 1, 1), end=date(2026, 9, 30))
            for r in run.rows():
                key = (",".join(by), r.metric_id, r.period.label, json.dumps(r.dims, sort_keys=True))
                assert key not in values, f"{key} twice"
                values[key] = (r.value, r.n)
        filled = {k[1] for k, v in values.items() if v[0] is not None}
        empty = {m.id for m in spec.metrics} - filled
        assert empty == {"health_score_distribution", "lead_response_time"}, empty  # no health scores, no SLA run
        metric_values[engine] = values
        if engine != "duckdb" and "duckdb" in metric_values:
            mine, ref = values, metric_values["duckdb"]
            assert set(mine) == set(ref)
            differ = [(k, mine[k], ref[k]) for k in ref if not _same(mine[k], ref[k])]
            assert not differ, differ[:10]
    finally:
        drop(store)


def _same(a: tuple[float | None, int | None], b: tuple[float | None, int | None]) -> bool:
    """Equal counts, and values equal to 1e-6 relative (engines sum floats in different orders, and Spark's
    UNIX_TIMESTAMP has whole seconds where DuckDB and PostgreSQL keep microseconds)."""
    if a[1] != b[1] or (a[0] is None) != (b[0] is None):
        return False
    return a[0] is None or b[0] is None or math.isclose(a[0], b[0], rel_tol=1e-6, abs_tol=1e-6)
