"""Rows of a canonical table as an Arrow table (the bulk path into DuckDB and Spark)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from revframe.store.schema import Table

ARROW_TYPES = {
    "text": pa.string(),
    "int": pa.int64(),
    "decimal": pa.decimal128(18, 2),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "json": pa.string(),
}


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in table.all_columns])


def to_arrow(table: Table, columns: Sequence[Sequence[Any]]) -> pa.Table:
    """A columnar batch (``table``'s column order) as an Arrow table with the canonical types."""
    schema = arrow_schema(table)
    arrays = [pa.array(list(v), type=f.type) for v, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)
