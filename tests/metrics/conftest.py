"""One store per topic, built once per test module (the rows are in ``stores.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from revframe.store import Store
from tests.conftest import drop, make_store
from tests.metrics import stores


def _built(factory: pytest.TempPathFactory, plant: Callable[[Store], None], engine: str = "duckdb") -> Iterator[Store]:
    store = make_store(engine, factory.mktemp(plant.__name__))
    try:
        plant(store)
        yield store
    finally:
        drop(store)


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from _built(tmp_path_factory, stores.plant_flow)


@pytest.fixture(scope="module")
def subscriptions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from _built(tmp_path_factory, stores.plant_subscriptions)


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from _built(tmp_path_factory, stores.plant_people)


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from _built(tmp_path_factory, stores.plant_stages)


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from _built(tmp_path_factory, stores.plant_operations)
