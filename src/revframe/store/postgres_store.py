"""Server mode: the canonical tables in a PostgreSQL schema.

``postgresql://user@host:5432/db?schema=NAME`` keeps revframe's tables in schema ``NAME``
(created when missing), so several workspaces or test runs share one database without colliding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pyarrow as pa

from revframe.errors import RevframeError, UsageError
from revframe.store.base import Store
from revframe.store.dialects import render
from revframe.store.schema import Table


def split_schema(url: str) -> tuple[str, str]:
    """Take revframe's ``schema`` parameter out of a PostgreSQL URL: (conninfo url, schema)."""
    parts = urlsplit(url)
    params = parse_qsl(parts.query)
    schema = next((v for k, v in params if k == "schema"), "public")
    rest = urlencode([(k, v) for k, v in params if k != "schema"])
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", schema):
        raise UsageError(f"--store {url}: schema '{schema}' must be letters, digits and underscores")
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


SMALL_INSERT = 8
"""Up to this many rows, :meth:`PostgresStore.insert_rows` sends an INSERT instead of a COPY (fewer round trips)."""


class PostgresStore(Store):
    """A PostgreSQL database (one schema of it)."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        conninfo, self.schema = split_schema(url)
        try:
            self.con = psycopg.connect(conninfo, autocommit=True)
        except psycopg.OperationalError as e:
            raise RevframeError(f"--store {url}: cannot connect to PostgreSQL ({str(e).strip()})") from e
        self.con.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        self.con.execute(f'SET search_path TO "{self.schema}"')
        self.con.execute("SET TIME ZONE 'UTC'")
        self._tx: Any = None  # the transaction() context manager while one is open

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(_placeholders(sql) if params else sql, params)  # type: ignore[arg-type]

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(_placeholders(sql) if params else sql, params).fetchall()  # type: ignore[arg-type]

    def query_many(self, queries: Sequence[tuple[str, Sequence[Any] | None]]) -> list[list[tuple[Any, ...]]]:
        with self.con.pipeline():
            cursors = [
                self.con.execute(_placeholders(render(q, self.dialect)) if p else render(q, self.dialect), p)  # type: ignore[arg-type]
                for q, p in queries
            ]
            return [c.fetchall() for c in cursors]

    @contextmanager
    def pipeline(self) -> Iterator[Store]:
        with self.con.pipeline():
            yield self

    def _query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        cur = self.con.execute(_placeholders(sql) if params else sql, params)  # type: ignore[arg-type]
        names = [d.name for d in cur.description or []]
        rows = cur.fetchall()
        return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})

    def _append(self, name: str, table: Table, columns: list[list[Any]]) -> None:
        cols = ", ".join(table.column_names)
        if len(columns[0]) <= SMALL_INSERT:  # a few rows (the server's path): one prepared INSERT, one round trip
            marks = ", ".join(["%s"] * len(table.column_names))
            with self.con.cursor() as cur:
                cur.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", list(zip(*columns, strict=True)))
            return
        with self.con.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)

    def _begin(self) -> None:
        self._tx = self.con.transaction()
        self._tx.__enter__()

    def _commit(self) -> None:
        assert self._tx is not None
        self._tx.__exit__(None, None, None)
        self._tx = None

    def _rollback(self) -> None:
        assert self._tx is not None
        try:
            self._tx.__exit__(RuntimeError, RuntimeError("rollback"), None)
        except RuntimeError:
            pass
        self._tx = None

    def lock(self, key: str, *, shared: bool = False) -> None:
        """A transaction-scoped advisory lock on ``key``: other connections wait until this one commits.

        ``shared``: many holders at once; an exclusive holder waits for them all, and they for it.
        """
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        self.con.execute(f"SELECT {fn}(hashtext(%s))", (key,))

    def try_lock(self, key: str) -> bool:
        row = self.con.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (key,)).fetchone()
        return bool(row and row[0])

    def table_names(self) -> set[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.schema,)
        ).fetchall()
        return {r[0] for r in rows}

    def drop_schema(self) -> None:
        """Remove the whole schema (tests and `revframe store drop`)."""
        self.con.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def close(self) -> None:
        self.con.close()


@lru_cache(maxsize=4096)
def _placeholders(sql: str) -> str:
    """Ready rendered SQL for psycopg: sqlglot already wrote the markers as ``%s`` (outside quotes);
    every other ``%`` (a LIKE pattern, a literal) must be doubled, or psycopg reads it as a marker."""
    out, quote, i = [], "", 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in ("'", '"'):
            quote = ch
        elif sql.startswith("%s", i):
            out.append("%s")
            i += 2
            continue
        out.append("%%" if ch == "%" else ch)
        i += 1
    return "".join(out)
