"""Shared fixtures: a store on each real engine (DuckDB file, a fresh PostgreSQL schema, local Spark)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from revframe.store import Store, open_store

PG_URL = os.environ.get("REVFRAME_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ENGINES = ["duckdb", "postgres", "spark"]


def store_url(engine: str, tmp_path: Path) -> str:
    if engine == "duckdb":
        return f"duckdb://{tmp_path / 'store.duckdb'}"
    if engine == "postgres":
        return f"{PG_URL}?schema=rf_test_{uuid.uuid4().hex[:10]}"
    if engine == "spark":
        return f"spark://{tmp_path / 'warehouse'}"
    raise ValueError(engine)


def make_store(engine: str, tmp_path: Path) -> Store:
    store = open_store(store_url(engine, tmp_path))
    store.migrate()
    return store


def drop(store: Store) -> None:
    from revframe.store.postgres_store import PostgresStore

    if isinstance(store, PostgresStore):
        store.drop_schema()
    store.close()


@pytest.fixture(params=ENGINES, ids=ENGINES)
def engine_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same test on DuckDB, PostgreSQL and Spark (the way splink tests every backend)."""
    store = make_store(request.param, tmp_path)
    yield store
    drop(store)


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Store]:
    store = make_store("duckdb", tmp_path)
    yield store
    store.close()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
