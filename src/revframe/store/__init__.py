"""The canonical store: one schema on DuckDB (default), PostgreSQL (server mode) or Spark (scale)."""

from __future__ import annotations

from pathlib import Path

from revframe.errors import UsageError
from revframe.store.base import Store
from revframe.store.schema import DATA_TABLES, SCHEMA_VERSION, TABLES, Column, Table

__all__ = ["DATA_TABLES", "SCHEMA_VERSION", "TABLES", "Column", "Store", "Table", "open_store"]


def open_store(url: str) -> Store:
    """Open a store by URL.

    Args:
        url: ``duckdb:///path/to/store.duckdb`` (or a bare ``.duckdb`` path), ``duckdb:///:memory:``,
            ``postgresql://user@host:5432/db?schema=NAME``, or ``spark:///path/to/warehouse``.

    Returns:
        The store, not yet migrated (call ``migrate()``).
    """
    if url.startswith("duckdb://"):
        from revframe.store.duckdb_store import DuckDBStore

        path = url[len("duckdb://") :]
        return DuckDBStore(":memory:" if path in ("/:memory:", ":memory:") else path)
    if url.startswith(("postgresql://", "postgres://")):
        from revframe.store.postgres_store import PostgresStore

        return PostgresStore(url)
    if url.startswith("spark://"):
        from revframe.store.spark_store import SparkStore

        return SparkStore(url[len("spark://") :])
    if url.endswith(".duckdb") or url.endswith(".db"):
        from revframe.store.duckdb_store import DuckDBStore

        return DuckDBStore(str(Path(url)))
    raise UsageError(
        f"--store {url}: unknown store; use duckdb:///PATH.duckdb, postgresql://USER@HOST:PORT/DB?schema=NAME "
        "or spark:///WAREHOUSE_DIR"
    )
