"""The demo company ingests identically on DuckDB, PostgreSQL and Spark: same counts, same checksums."""

from __future__ import annotations

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
