"""Server fixtures: a seeded workspace on DuckDB or a fresh PostgreSQL schema, and an in-process client."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # starlette asks for `httpx2`; its client works the same on httpx
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from revframe.api.app import create_app
from tests.api.seed import Env, drop_store, pg_url, seed


@pytest.fixture(params=["duckdb", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """The seeded company (see ``tests/api/seed.py``) on each engine the server supports.

    What does not depend on the engine (HTTP, keys, validation) runs on DuckDB only: mark the test
    with :data:`DUCKDB_ONLY`.
    """
    url = pg_url() if request.param == "postgres" else None
    e = seed(tmp_path / "ws", url)
    yield e
    drop_store(e.url)


@pytest.fixture
def duck_env(tmp_path: Path) -> Iterator[Env]:
    yield seed(tmp_path / "ws", None)


DUCKDB_ONLY = pytest.mark.parametrize("env", ["duckdb"], indirect=True)


def client_for(e: Env) -> TestClient:
    return TestClient(create_app(str(e.root), e.url, deliver=False))


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with client_for(env) as c:
        yield c
