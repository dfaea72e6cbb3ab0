"""Scale mode: the canonical tables as Parquet in a warehouse folder, queried with Spark (local).

Spark has no transactions over plain Parquet, so the store keeps its own: a manifest
(``_manifest.json``) lists the Parquet files that make up each table. Writes add new files;
a transaction's commit replaces the manifest atomically (``os.replace``), so a killed ingest
leaves the previous manifest, and the files it half-wrote are swept on the next open.
Appends (quarantine, runs) are written with pyarrow; upserts are a Spark anti-join rewrite.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from revframe.errors import RevframeError
from revframe.store.arrow import arrow_schema, to_arrow
from revframe.store.base import Store
from revframe.store.dialects import render
from revframe.store.schema import TABLES, Table

MANIFEST = "_manifest.json"
_SESSION: Any = None


def _similarity_jar() -> str:
    from splink.backends.spark import similarity_jar_location

    return str(similarity_jar_location())


def spark_session() -> Any:
    """One local Spark session per process (starting one takes seconds)."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:  # pragma: no cover - depends on the install
        raise RevframeError("the Spark store needs pyspark: pip install 'revframe[spark]' (and Java 17)") from e
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["TZ"] = "UTC"  # pyspark turns timestamps into naive local datetimes: make local UTC
    time.tzset()
    _SESSION = (
        SparkSession.builder.master(os.environ.get("REVFRAME_SPARK_MASTER", "local[2]"))
        .appName("revframe")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", os.environ.get("REVFRAME_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.jars", _similarity_jar())  # splink's string-similarity functions, for dedupe
        .getOrCreate()
    )
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


class SparkStore(Store):
    """Parquet tables in ``warehouse``, committed through a manifest, queried by local Spark."""

    dialect = "spark"

    def __init__(self, warehouse: str) -> None:
        self.root = Path(warehouse)
        self.url = f"spark://{self.root}"
        self.root.mkdir(parents=True, exist_ok=True)
        self.spark = spark_session()
        self.committed: dict[str, list[str]] = self._read_manifest()
        self.pending: dict[str, list[str]] | None = None
        self.new_files: list[Path] = []
        self._sweep()
        self._views: dict[str, tuple[str, ...]] = {}
        self.temp: dict[str, list[str]] = {}  # staging tables: file lists outside the manifest

    # --- manifest --------------------------------------------------------------------------------
    def _read_manifest(self) -> dict[str, list[str]]:
        p = self.root / MANIFEST
        return json.loads(p.read_text()) if p.exists() else {}

    @property
    def tables(self) -> dict[str, list[str]]:
        return self.pending if self.pending is not None else self.committed

    def _sweep(self) -> None:
        """Delete Parquet files no manifest lists (left by a killed or failed write)."""
        keep = {f for files in self.committed.values() for f in files}
        for d in (self.root / "data").glob("*/*") if (self.root / "data").exists() else []:
            if d.name not in keep:
                shutil.rmtree(d) if d.is_dir() else d.unlink()
        shutil.rmtree(self.root / "staging", ignore_errors=True)

    def _path(self, table: str, name: str) -> Path:
        return self.root / "data" / table / name

    def _view(self, name: str) -> None:
        """(Re)register the temp view ``name`` over its current files."""
        files = self.temp.get(name) if name in self.temp else self.tables.get(name)
        if files is None:
            return
        key = tuple(files)
        if self._views.get(name) == key:
            return
        base = TABLES[name.removeprefix("_stage_")]
        if name in self.temp:
            paths = [str(self.root / "staging" / f) for f in files]
        else:
            paths = [str(self._path(name, f)) for f in files]
        if paths:
            df = self.spark.read.schema(_spark_schema(base)).parquet(*paths)
        else:
            df = self.spark.createDataFrame([], _spark_schema(base))
        df.createOrReplaceTempView(name)
        self._views[name] = key

    def _views_for(self, sql: str) -> None:
        low = sql.lower()
        for name in list(self.tables) + list(self.temp):
            if name in low:
                self._view(name)

    # --- primitives ------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        head = sql.lstrip().upper()
        if head.startswith(("CREATE", "DROP")):
            raise RevframeError(f"internal: DDL is handled by the Spark store itself, not SQL: {sql[:60]}")
        self._views_for(sql)
        self.spark.sql(_positional(sql, params), args=_args(params)).collect()

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        self._views_for(sql)
        return [tuple(r) for r in self.spark.sql(_positional(sql, params), args=_args(params)).collect()]

    def _query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        self._views_for(sql)
        df = self.spark.sql(_positional(sql, params), args=_args(params))
        rows = df.collect()
        return pa.table({n: [r[i] for r in rows] for i, n in enumerate(df.columns)})

    def _append(self, name: str, table: Table, columns: list[list[Any]]) -> None:
        self._append_arrow(name, table, to_arrow(table, columns))

    def _append_arrow(self, name: str, table: Table, batch: pa.Table) -> None:
        fname = f"part-{uuid.uuid4().hex}.parquet"
        if name in self.temp:
            target = self.root / "staging" / fname
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(batch, target)
            self.temp[name].append(fname)
            return
        target = self._path(name, fname)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(batch, target)
        self._write(name, [*self.tables.get(name, []), fname], [target])

    def _write(self, name: str, files: list[str], new: list[Path]) -> None:
        if self.pending is None:  # outside a transaction: commit this one change now
            self.committed = {**self.committed, name: files}
            self._save_manifest(self.committed)
        else:
            self.pending[name] = files
            self.new_files.extend(new)

    def _save_manifest(self, content: dict[str, list[str]]) -> None:
        tmp = self.root / f"{MANIFEST}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps(content, indent=1, sort_keys=True))
        os.replace(tmp, self.root / MANIFEST)

    def _begin(self) -> None:
        self.pending = {k: list(v) for k, v in self.committed.items()}
        self.new_files = []

    def _commit(self) -> None:
        assert self.pending is not None
        self._save_manifest(self.pending)
        self.committed, self.pending = self.pending, None

    def _rollback(self) -> None:
        for f in self.new_files:
            shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink(missing_ok=True)
        self.pending, self.new_files = None, []
        self._views.clear()

    def table_names(self) -> set[str]:
        return set(self.tables)

    # --- DDL and upsert, done natively -----------------------------------------------------------
    def create_table(self, table: Table) -> None:
        if table.name not in self.tables:
            self._write(table.name, [], [])

    def create_staging(self, table: Table) -> str:
        name = f"_stage_{table.name}"
        self.temp[name] = []
        self._views.pop(name, None)
        return name

    def drop_staging(self, name: str) -> None:
        for f in self.temp.pop(name, []):
            (self.root / "staging" / f).unlink(missing_ok=True)
        self._views.pop(name, None)

    def delete_where(self, table: str, column: str, value: Any) -> None:
        """Parquet files are immutable: rewrite the table without the matching rows (only if any match)."""
        if not self.query(f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1", [value]):
            return
        self._view(table)
        self._rewrite(table, self.spark.sql(f"SELECT * FROM {table} WHERE NOT ({column} <=> :p0)", args={"p0": value}))

    def insert_select(self, table: str, select_sql: str, params: Sequence[Any] | None = None) -> None:
        rows = self.query(select_sql, params)
        if rows:
            self.insert_rows(table, rows)

    def update_from(
        self,
        table: str,
        column: str,
        match: str,
        source_sql: str,
        params: Sequence[Any] | None = None,
        where: str | None = None,
    ) -> None:
        src = render(source_sql, self.dialect)
        if not self._query(f"SELECT 1 FROM {table} AS t JOIN ({src}) AS _src ON t.{match} = _src.k LIMIT 1", params):
            return
        hit = "_src.k IS NOT NULL" + (f" AND ({render(where.format(t='t'), self.dialect)})" if where else "")
        cols = ", ".join(
            f"CASE WHEN {hit} THEN _src.v ELSE t.{c} END AS {c}" if c == column else f"t.{c}"
            for c in TABLES[table].column_names
        )
        self._views_for(f"{table} {src}")
        sql = f"SELECT {cols} FROM {table} AS t LEFT JOIN ({src}) AS _src ON t.{match} = _src.k"
        self._rewrite(table, self.spark.sql(_positional(sql, params), args=_args(params)))

    def delete_in(self, table: str, column: str, source_sql: str, params: Sequence[Any] | None = None) -> None:
        src = render(source_sql, self.dialect)
        if not self._query(f"SELECT 1 FROM {table} AS t JOIN ({src}) AS _src ON t.{column} = _src.k LIMIT 1", params):
            return
        self._views_for(f"{table} {src}")
        sql = f"SELECT t.* FROM {table} AS t LEFT ANTI JOIN ({src}) AS _src ON t.{column} = _src.k"
        self._rewrite(table, self.spark.sql(_positional(sql, params), args=_args(params)))

    def upsert(self, table: Table, staging: str) -> tuple[int, int, int]:
        inserted, updated, unchanged = self.upsert_counts(table, staging)
        if inserted or updated:
            cols = ", ".join(table.column_names)
            merged = self.spark.sql(
                f"SELECT {cols} FROM {staging} AS s WHERE NOT EXISTS "
                f"(SELECT 1 FROM {table.name} AS t WHERE t.id = s.id AND t._row_hash = s._row_hash) "
                f"UNION ALL SELECT {cols} FROM {table.name} AS t WHERE NOT EXISTS "
                f"(SELECT 1 FROM {staging} AS s WHERE s.id = t.id AND s._row_hash <> t._row_hash)"
            )
            self._rewrite(table.name, merged)
        return inserted, updated, unchanged

    def _rewrite(self, table: str, content: Any) -> None:
        """Make ``content`` (a DataFrame) the table's only file, committed with the transaction."""
        version = f"v-{uuid.uuid4().hex}"
        target = self._path(table, version)
        content.repartition(1).write.parquet(str(target))
        self._write(table, [version], [target])


def _spark_schema(table: Table) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(arrow_schema(table))


def _positional(sql: str, params: Sequence[Any] | None) -> str:
    """Spark binds named markers: turn each ``?`` outside quotes into ``:p0``, ``:p1``..."""
    if not params:
        return sql
    out, i, quote = [], 0, ""
    for ch in sql:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in ("'", '"', "`"):
            quote = ch
        elif ch == "?":
            out.append(f":p{i}")
            i += 1
            continue
        out.append(ch)
    return "".join(out)


def _args(params: Sequence[Any] | None) -> dict[str, Any] | None:
    return {f"p{i}": v for i, v in enumerate(params)} if params else None
