"""The embedded default: a DuckDB file in the workspace."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from revframe.errors import RevframeError
from revframe.store.arrow import to_arrow
from revframe.store.base import Store
from revframe.store.schema import Table


def _half_the_ram() -> str:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: a safe floor
        return "4GB"
    return f"{max(1, total // 2 // 2**30)}GB"


class DuckDBStore(Store):
    """A DuckDB database file (or ``:memory:``)."""

    dialect = "duckdb"

    def __init__(self, path: str) -> None:
        self.url = f"duckdb://{path}" if path.startswith("/") else f"duckdb:///{path}"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(path)
        except duckdb.IOException as e:
            hint = (
                "another process (a running revframe?) holds it: wait for it, or stop it"
                if "lock" in str(e).lower()
                else "restore it from a backup, or pass --store to use another store"
            )
            raise RevframeError(f"{path}: cannot open the store ({e}); {hint}") from e
        self.con.execute("SET TimeZone = 'UTC'")
        # Bounded memory: past this limit DuckDB spills staging tables, joins and sorts to disk. The
        # primary-key index must stay in memory (~100 bytes a row), so the default is half the RAM.
        self.con.execute(f"SET memory_limit = '{os.environ.get('REVFRAME_DUCKDB_MEMORY') or _half_the_ram()}'")
        self.con.execute("SET preserve_insertion_order = false")  # row order is never relied on

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, params)

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params).fetchall()

    def _query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self.con.execute(sql, params).fetch_arrow_table()

    def _append(self, name: str, table: Table, columns: list[list[Any]]) -> None:
        batch = to_arrow(table, columns)  # noqa: F841 - referenced by name in the SQL below
        self.con.execute(f"INSERT INTO {name} SELECT * FROM batch")

    def _append_arrow(self, name: str, table: Table, batch: pa.Table) -> None:
        self.con.execute(f"INSERT INTO {name} SELECT * FROM batch")

    def _begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def _commit(self) -> None:
        self.con.execute("COMMIT")

    def _rollback(self) -> None:
        self.con.execute("ROLLBACK")

    def table_names(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}

    def close(self) -> None:
        self.con.close()
