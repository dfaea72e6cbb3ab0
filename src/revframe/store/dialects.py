"""One SQL source per query, rendered per engine.

revframe's SQL is written once, in DuckDB's dialect, and transpiled with sqlglot to the engine in
use (the way Splink runs one model on DuckDB, Spark and PostgreSQL). Logical column types of the
canonical schema are rendered here too.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from revframe.store.schema import Table

SOURCE_DIALECT = "duckdb"

SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DECIMAL(18, 2)",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "json": "VARCHAR",
}


@lru_cache(maxsize=2048)
def render(sql: str, dialect: str) -> str:
    """Render revframe SQL (DuckDB dialect) for ``dialect`` (duckdb, postgres, spark)."""
    if dialect == SOURCE_DIALECT:
        return sql
    trees = sqlglot.parse(sql, read=SOURCE_DIALECT)
    if dialect == "spark":  # Spark has no PERCENTILE_CONT(x, q): its exact interpolating PERCENTILE is the same
        trees = [t.transform(_spark_percentile) if t is not None else t for t in trees]
    return ";\n".join(t.sql(dialect=dialect) for t in trees if t is not None)


def _spark_percentile(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.args["expression"]])
    return node


def create_table_sql(table: Table, name: str | None = None, *, primary_key: bool = True, temp: bool = False) -> str:
    """The CREATE TABLE statement of a canonical table, in the source dialect."""
    cols = []
    for c in table.all_columns:
        pk = " PRIMARY KEY" if (primary_key and c.name == "id" and not table.system) else ""
        cols.append(f"{c.name} {SQL_TYPES[c.type]}{pk}")
    kw = "CREATE TEMPORARY TABLE" if temp else "CREATE TABLE IF NOT EXISTS"
    return f"{kw} {name or table.name} ({', '.join(cols)})"
