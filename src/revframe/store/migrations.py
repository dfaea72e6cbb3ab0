"""Schema migrations: each step moves the store one version forward, inside a transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.store.base import Store


def _v1_canonical_tables(store: Store) -> None:
    for table in TABLES.values():
        store.create_table(table)


MIGRATIONS: list[tuple[int, str, Callable[[Store], None]]] = [
    (1, "canonical tables, ingest runs, quarantine, framework versions", _v1_canonical_tables),
]
