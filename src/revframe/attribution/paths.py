"""The common path format: aggregated journeys, as web analytics and ChannelAttribution export them.

Columns ``path`` (channels joined by ``>``), ``total_conversions``, ``total_conversion_value``,
``total_null``; separated by ``;`` or ``,`` (read from the header line). Rules (docs/attribution.md):

* spaces around a channel name are dropped (``email > paid search`` is ``email``, ``paid search``);
  spaces inside a name are kept; an empty name (``a>>b``, a trailing ``>``) is an error;
* counts must be numbers, not negative; ``total_null`` and ``total_conversion_value`` may be absent
  or empty (0), and a row with conversions but no value adds no revenue (the run says how many);
* a row with neither conversions nor nulls is skipped (the run says how many); the same path on
  two rows counts as their sum.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from revframe.attribution.journeys import Journeys
from revframe.errors import UsageError

SEPARATOR = ">"
REQUIRED = ("path", "total_conversions")
OPTIONAL = ("total_conversion_value", "total_null")


def read_paths(file: str | Path) -> Journeys:
    """Read a path file into journeys; bad input raises ``UsageError`` naming the file, line and column.

    Examples:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "paths.csv")
        >>> header = "path;total_conversions;total_conversion_value;total_null"
        >>> _ = open(p, "w").write(header + "\\nemail > search;2;100;5\\n")
        >>> read_paths(p).paths()
        [['email', 'search']]
    """
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; give the path file exported from your web analytics") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: not UTF-8 text ({e.reason}); save it as UTF-8 CSV") from None
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        names = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        raise UsageError(f"{path}: empty file; it needs a header: {';'.join(REQUIRED + OPTIONAL)}") from None
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise UsageError(
            f"{path}:1: no column {', '.join(missing)}; the header has {', '.join(names) or 'nothing'}. "
            f"Name the columns {', '.join(REQUIRED + OPTIONAL)} (separated by ; or ,)"
        )
    col = {c: names.index(c) for c in REQUIRED + OPTIONAL if c in names}
    paths: list[list[str]] = []
    conv: list[float] = []
    value: list[float] = []
    nulls: list[float] = []
    skipped = no_value = 0
    for line, row in enumerate(rows, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(names):
            raise UsageError(
                f"{path}:{line}: {len(row)} fields, the header has {len(names)}; a channel name holding "
                f"'{delimiter}' must be quoted"
            )
        c = _count(path, line, "total_conversions", row[col["total_conversions"]])
        v = _count(path, line, "total_conversion_value", row[col["total_conversion_value"]]) if (
            "total_conversion_value" in col and row[col["total_conversion_value"]].strip()
        ) else None  # fmt: skip
        z = _count(path, line, "total_null", row[col["total_null"]]) if (
            "total_null" in col and row[col["total_null"]].strip()
        ) else 0.0  # fmt: skip
        if c == 0 and z == 0:
            if v:
                raise UsageError(f"{path}:{line}: total_conversion_value {v:g} without conversions; fix the row")
            skipped += 1
            continue
        if c == 0 and v:
            raise UsageError(f"{path}:{line}: total_conversion_value {v:g} without conversions; fix the row")
        if c > 0 and v is None:
            no_value += 1
        paths.append(split_path(path, line, row[col["path"]]))
        conv.append(c)
        value.append(v or 0.0)
        nulls.append(z)
    if not paths:
        raise UsageError(f"{path}: no path with conversions or nulls; nothing to attribute")
    from revframe.attribution.journeys import from_paths

    j = from_paths(paths, conv, value, nulls)
    j.conversion_id = np.array([f"{path.name}:{i}" for i in range(len(paths))], dtype=object)
    if skipped:
        j.notes.append(f"{skipped} row(s) with no conversions and no nulls skipped")
    if no_value:
        j.notes.append(f"{no_value} row(s) have conversions but no total_conversion_value: they add no revenue")
    return j


def split_path(file: Path, line: int, text: str) -> list[str]:
    """The channels of one path cell (spaces around names dropped)."""
    if not text.strip():
        raise UsageError(f"{file}:{line}: empty path; a journey needs at least one channel (remove the row)")
    parts = [p.strip() for p in text.split(SEPARATOR)]
    if any(not p for p in parts):
        raise UsageError(
            f"{file}:{line}: path '{text}' has an empty channel name (two '{SEPARATOR}' in a row, or one at an end); "
            f"channel names cannot contain '{SEPARATOR}'"
        )
    return parts


def _count(file: Path, line: int, column: str, text: str) -> float:
    try:
        x = float(text.strip().replace(" ", ""))
    except ValueError:
        raise UsageError(f"{file}:{line}: {column} '{text}' is not a number; write a count like 12 or 12.5") from None
    if not math.isfinite(x):
        raise UsageError(f"{file}:{line}: {column} '{text}' is not a finite number")
    if x < 0:
        raise UsageError(f"{file}:{line}: {column} {text} is negative; counts and values cannot be below 0")
    return x


def path_rows(j: Journeys) -> list[dict[str, object]]:
    """Journeys aggregated by path, in the common path format (the same path on one row)."""
    bad = [c for c in j.channels if SEPARATOR in c or c != c.strip() or not c]
    if bad:
        raise UsageError(
            f"channel {bad[0]!r} cannot be written to a path file (it holds '{SEPARATOR}', or spaces at an end); "
            "rename it in campaigns.channel or touchpoints.channel"
        )
    agg: dict[str, list[float]] = {}
    for p, c, v, z in zip(j.paths(), j.conversions, j.value, j.nulls, strict=True):
        key = SEPARATOR.join(p)
        a = agg.setdefault(key, [0.0, 0.0, 0.0])
        a[0] += float(c)
        a[1] += float(v)
        a[2] += float(z)
    return [
        {"path": k, "total_conversions": a[0], "total_conversion_value": a[1], "total_null": a[2]}
        for k, a in sorted(agg.items())
    ]


def write_paths(rows: Iterable[dict[str, object]], file: str | Path, delimiter: str = ";") -> None:
    """Write path rows (see :func:`path_rows`) as a path file."""
    with open(file, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=[*REQUIRED[:1], REQUIRED[1], *OPTIONAL], delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
