"""The store: the canonical tables on one engine, behind one small interface.

Each engine (DuckDB, PostgreSQL, Spark) implements the few primitives; everything else (migrations,
upserts, counts, checksums) is written once here in revframe SQL and rendered per engine.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pyarrow as pa

from revframe.errors import RevframeError
from revframe.store.arrow import arrow_schema
from revframe.store.dialects import create_table_sql, render
from revframe.store.schema import SCHEMA_VERSION, TABLES, Table

Row = Sequence[Any]


class Store(ABC):
    """A canonical store on one engine.

    Examples:
        >>> from revframe.store import open_store
        >>> store = open_store("duckdb:///:memory:")
        >>> store.migrate()
        1
        >>> store.row_counts()["contacts"]
        0
    """

    dialect: ClassVar[str]
    url: str

    # --- engine primitives ---------------------------------------------------------------------
    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def _append(self, name: str, table: Table, columns: list[list[Any]]) -> None:
        """Bulk-append a columnar batch (``table``'s column order) to the physical table ``name``."""

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def table_names(self) -> set[str]: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    # --- shared behaviour ------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run revframe SQL (DuckDB dialect), rendered for this engine."""
        self._execute(render(sql, self.dialect), params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self._query(render(sql, self.dialect), params)

    def query_many(self, queries: Sequence[tuple[str, Sequence[Any] | None]]) -> list[list[tuple[Any, ...]]]:
        """Several queries' rows, in order; PostgreSQL sends them together (one round trip)."""
        return [self.query(sql, params) for sql, params in queries]

    @contextmanager
    def pipeline(self) -> Iterator[Store]:
        """Writes inside are sent together and checked at the end (PostgreSQL's pipeline mode).

        For a handful of writes that need no answer (the server's decision, counters and clock):
        one round trip instead of one each. No COPY inside: :meth:`insert_rows` of more rows than
        PostgreSQL's small-insert limit fails there. Other engines run the writes one by one.
        """
        yield self

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """A query's result as an Arrow table (column names from the query)."""
        return self._query_arrow(render(sql, self.dialect), params)

    @abstractmethod
    def _query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table: ...

    def explain_sql(self, sql: str) -> str:
        """The exact SQL this engine runs for a revframe query."""
        return render(sql, self.dialect)

    _tx_depth: int = 0

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together or not at all.

        Nested calls join the outermost transaction: an engine step that opens its own transaction
        (scoring, routing) commits with its caller's work when called inside one (the server's path).
        """
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield self
            finally:
                self._tx_depth -= 1
            return
        self._begin()
        self._tx_depth = 1
        try:
            yield self
        except BaseException:
            self._tx_depth = 0
            self._rollback()
            raise
        self._tx_depth = 0
        self._commit()

    def try_lock(self, key: str) -> bool:
        """Take :meth:`lock` on ``key`` if nobody holds it (True), else False at once (never waits)."""
        return True

    def lock(self, key: str, *, shared: bool = False) -> None:  # noqa: B027 - PostgreSQL overrides it
        """Serialize writers of ``key`` until the current transaction ends (``shared``: readers at once).

        PostgreSQL takes a transaction-scoped advisory lock, so several server workers (processes)
        take turns; DuckDB and Spark take one writer process, and its threads must share the store
        behind one lock (the server does). Call it inside
        :meth:`transaction`.
        """
        return None

    def delete_where(self, table: str, column: str, value: Any) -> None:
        """Delete the rows of ``table`` whose ``column`` equals ``value``."""
        self.execute(f"DELETE FROM {table} WHERE {column} = ?", [value])

    def insert_rows(self, table: str, rows: Sequence[Row]) -> None:
        if rows:
            self._append(table, TABLES[table], [list(c) for c in zip(*rows, strict=True)])

    def insert_arrow(self, table: str, batch: pa.Table) -> None:
        """Append an Arrow table whose columns are ``table``'s, in order (cast to the canonical types)."""
        if batch.num_rows:
            schema = arrow_schema(TABLES[table])
            self._append_arrow(table, TABLES[table], batch.rename_columns(schema.names).cast(schema))

    # --- set-based writes (merges, bookkeeping); Spark rewrites files instead ------------------
    def insert_select(self, table: str, select_sql: str, params: Sequence[Any] | None = None) -> None:
        """Append the rows of a query (columns in ``table``'s order) to ``table``."""
        cols = ", ".join(TABLES[table].column_names)
        self.execute(f"INSERT INTO {table} ({cols}) {select_sql}", params)

    def update_from(
        self,
        table: str,
        column: str,
        match: str,
        source_sql: str,
        params: Sequence[Any] | None = None,
        where: str | None = None,
    ) -> None:
        """Set ``table.column`` to ``v`` where ``table.match`` equals ``k``, for each row ``(k, v)``.

        ``source_sql`` selects two columns named ``k`` and ``v``, unique on ``k``; rows of
        ``table`` with no ``k`` are left alone. ``where`` (no parameters; ``{t}`` is the target table)
        limits the rows updated further, e.g. ``"{t}.model = 'rules'"``.
        """
        extra = f" AND ({where.format(t=table)})" if where else ""
        self.execute(
            f"UPDATE {table} SET {column} = _src.v FROM ({source_sql}) AS _src WHERE {table}.{match} = _src.k{extra}",
            params,
        )

    def delete_in(self, table: str, column: str, source_sql: str, params: Sequence[Any] | None = None) -> None:
        """Delete the rows of ``table`` whose ``column`` equals a ``k`` that ``source_sql`` selects."""
        self.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT _src.k FROM ({source_sql}) AS _src)", params)

    # --- schema ----------------------------------------------------------------------------------
    def schema_version(self) -> int:
        if "schema_migrations" not in self.table_names():
            return 0
        rows = self.query("SELECT max(version) FROM schema_migrations")
        return int(rows[0][0] or 0)

    def migrate(self) -> int:
        """Bring the store to this revframe's schema version; returns the version."""
        from revframe.store.migrations import MIGRATIONS

        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise RevframeError(
                f"{self.url}: the store has schema version {current}, newer than this revframe "
                f"({SCHEMA_VERSION}); upgrade revframe (pip install -U revframe)"
            )
        for version, description, step in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction():
                step(self)
                self.insert_rows("schema_migrations", [(version, description, datetime.now(UTC))])
        return SCHEMA_VERSION

    def create_table(self, table: Table) -> None:
        self.execute(create_table_sql(table))

    # --- staging and upsert ----------------------------------------------------------------------
    def create_staging(self, table: Table) -> str:
        name = f"_stage_{table.name}"
        self.execute(f"DROP TABLE IF EXISTS {name}")
        self.execute(create_table_sql(table, name, primary_key=False, temp=True))
        return name

    def append_staging(self, name: str, table: Table, batch: pa.Table) -> None:
        """Append an Arrow batch (the canonical types) to a staging table made by ``create_staging``."""
        if batch.num_rows:
            self._append_arrow(name, table, batch)

    def _append_arrow(self, name: str, table: Table, batch: pa.Table) -> None:
        """Engines with a native Arrow path override this."""
        self._append(name, table, [batch.column(i).to_pylist() for i in range(batch.num_columns)])

    def drop_staging(self, name: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {name}")

    def upsert(self, table: Table, staging: str) -> tuple[int, int, int]:
        """Merge a staging table into ``table`` on ``id``; returns (inserted, updated, unchanged).

        A staged row whose ``_row_hash`` equals the stored one is left alone, so ingesting the
        same file twice writes nothing.
        """
        t = table.name
        inserted, updated, unchanged = self.upsert_counts(table, staging)
        if inserted or updated:
            cols = table.column_names
            sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
            self.execute(
                f"INSERT INTO {t} ({', '.join(cols)}) SELECT {', '.join('s.' + c for c in cols)} "
                f"FROM {staging} AS s LEFT JOIN {t} AS t ON t.id = s.id "
                f"WHERE t.id IS NULL OR t._row_hash <> s._row_hash "
                f"ON CONFLICT (id) DO UPDATE SET {sets}"
            )
        return inserted, updated, unchanged

    def upsert_counts(self, table: Table, staging: str) -> tuple[int, int, int]:
        """What merging ``staging`` into ``table`` would do: (inserted, updated, unchanged) rows."""
        counts = self.query(
            f"SELECT count(*) FILTER (WHERE t.id IS NULL), "
            f"count(*) FILTER (WHERE t.id IS NOT NULL AND t._row_hash <> s._row_hash), "
            f"count(*) FILTER (WHERE t._row_hash = s._row_hash) "
            f"FROM {staging} AS s LEFT JOIN {table.name} AS t ON t.id = s.id"
        )[0]
        inserted, updated, unchanged = (int(c or 0) for c in counts)
        return inserted, updated, unchanged

    # --- reading ---------------------------------------------------------------------------------
    def row_counts(self) -> dict[str, int]:
        present = self.table_names()
        return {
            name: int(self.query(f"SELECT count(*) FROM {name}")[0][0]) if name in present else 0 for name in TABLES
        }

    def checksum(self, table: str) -> str:
        """A content hash of a table's data columns, identical on every engine for equal data."""
        t = TABLES[table]
        cols = t.data_columns if not t.system else t.column_names
        h = hashlib.sha256()
        order = "id" if not t.system else ", ".join(cols)
        for row in self.query(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}"):
            h.update("\x1f".join(canonical_text(v) for v in row).encode())
            h.update(b"\x1e")
        return h.hexdigest()[:16]


def canonical_text(v: Any) -> str:
    """One text form per value, whatever engine returned it (used by hashes and checksums)."""
    if v is None:
        return "\x00"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    if isinstance(v, float):
        return repr(round(v, 9))
    return str(v)
