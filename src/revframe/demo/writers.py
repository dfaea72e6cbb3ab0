"""Streaming CSV files: each file is written chunk by chunk, so memory stays bounded."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from revframe.demo.encode import to_arrow


class CsvSink:
    """One CSV file with a fixed header, appended chunk by chunk.

    Every value is written as a string; nulls are empty fields. Line numbers are physical lines
    (the header is line 1): no generated value contains a line break.
    """

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._schema = pa.schema([(c, pa.string()) for c in columns])
        self._writer: pacsv.CSVWriter | None = pacsv.CSVWriter(
            str(path), self._schema, write_options=pacsv.WriteOptions(quoting_style="needed")
        )

    def next_line(self) -> int:
        """Physical line number the next written row will have."""
        return self.rows + 2

    def write(self, cols: Mapping[str, object], corrupt: Mapping[tuple[int, str], str] | None = None) -> None:
        """Append rows given column-wise; ``corrupt`` overrides (row index, column) values."""
        arrays = []
        n = None
        for c in self.columns:
            arr = to_arrow(cols[c])
            if corrupt and any(col == c for _, col in corrupt):
                values = arr.to_pylist()
                for (i, col), v in corrupt.items():
                    if col == c:
                        values[i] = v
                arr = pa.array(values, type=pa.string())
            if n is None:
                n = len(arr)
            elif len(arr) != n:
                raise ValueError(f"{self.path.name}: column {c} has {len(arr)} rows, expected {n}")
            arrays.append(arr)
        if not n:
            return
        assert self._writer is not None
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        self.rows += n

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class Sinks:
    """All output files of a generation run, by key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sinks: dict[str, CsvSink] = {}

    def open(self, key: str, rel: str, columns: list[str]) -> CsvSink:
        sink = CsvSink(self.root / rel, columns)
        self._sinks[key] = sink
        return sink

    def __getitem__(self, key: str) -> CsvSink:
        return self._sinks[key]

    def close(self) -> None:
        for s in self._sinks.values():
            s.close()
