"""Fast, vectorized rendering of ids, timestamps and numbers as the strings source systems write.

Columns are rendered into pyarrow string arrays (built from fixed-width byte matrices where the
width is fixed), so that millions of rows format in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revframe.demo.config import DAY

NULL_T = -1  # sentinel for a missing timestamp in int64 arrays
_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_CHK = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)


def fixed_strings(mat: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A pyarrow string array from an (n, width) uint8 matrix of ASCII codes; mask marks nulls."""
    n, width = mat.shape
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    arr = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(mat).tobytes()))
    if mask is not None and mask.any():
        arr = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), arr)
    return arr


def sf_id_matrix(prefix: str, counters: np.ndarray) -> np.ndarray:
    """18-character Salesforce-style ids (3-char key prefix, pod, base-62 counter, case checksum)."""
    counters = np.asarray(counters, dtype=np.int64)
    n = counters.shape[0]
    mat = np.empty((n, 18), dtype=np.uint8)
    mat[:, 0:3] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    mat[:, 3:6] = np.frombuffer(b"8d0", dtype=np.uint8)
    v = counters.copy()
    for k in range(14, 5, -1):
        mat[:, k] = _B62[v % 62]
        v //= 62
    upper = (mat[:, :15] >= ord("A")) & (mat[:, :15] <= ord("Z"))
    weights = 1 << np.arange(5)
    for chunk in range(3):
        bits = (upper[:, chunk * 5 : chunk * 5 + 5] * weights).sum(axis=1)
        mat[:, 15 + chunk] = _CHK[bits]
    return mat


def sf_ids(prefix: str, start: int, n: int) -> np.ndarray:
    """n consecutive Salesforce ids as a numpy ``S18`` array."""
    mat = sf_id_matrix(prefix, np.arange(start, start + n, dtype=np.int64))
    return mat.view("S18").reshape(n)


def bytes_col(arr: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A numpy fixed-width bytes array (all values the same width) as a string column."""
    width = arr.dtype.itemsize
    if arr.shape[0] == 0:
        return pa.array([], type=pa.string())
    mat = np.ascontiguousarray(arr).view(np.uint8).reshape(arr.shape[0], width)
    if mask is None:
        mask = arr == b""
    return fixed_strings(mat, mask)


def _digits(mat: np.ndarray, col: int, value: np.ndarray, width: int) -> None:
    for k in range(width):
        mat[:, col + width - 1 - k] = 48 + (value // 10**k) % 10


def format_times(secs: np.ndarray | Sequence[int], style: str) -> pa.Array:
    """Render epoch seconds (``NULL_T`` = missing) in a source system's style.

    Styles: ``sf`` 2025-03-04T15:02:11.000+0000, ``date`` 2025-03-04, ``hs`` 2025-03-04 15:02,
    ``iso`` 2025-03-04 15:02:11.
    """
    secs = np.asarray(secs, dtype=np.int64)
    mask = secs < 0
    s = np.where(mask, 0, secs)
    days = s // DAY
    d64 = days.astype("datetime64[D]")
    month_start = d64.astype("datetime64[M]")
    year = d64.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    sod = s - days * DAY
    templates = {
        "sf": b"0000-00-00T00:00:00.000+0000",
        "date": b"0000-00-00",
        "hs": b"0000-00-00 00:00",
        "iso": b"0000-00-00 00:00:00",
    }
    tpl = np.frombuffer(templates[style], dtype=np.uint8)
    mat = np.tile(tpl, (s.shape[0], 1))
    _digits(mat, 0, year, 4)
    _digits(mat, 5, month, 2)
    _digits(mat, 8, day, 2)
    if style != "date":
        _digits(mat, 11, sod // 3600, 2)
        _digits(mat, 14, (sod // 60) % 60, 2)
        if style in ("sf", "iso"):
            _digits(mat, 17, sod % 60, 2)
    return fixed_strings(mat, mask)


def ints(values: np.ndarray | Sequence[int], mask: np.ndarray | None = None) -> pa.Array:
    """Integers as strings; mask marks nulls."""
    arr = pa.array(np.asarray(values, dtype=np.int64), mask=mask)
    return pc.cast(arr, pa.string())


def money(values: np.ndarray | Sequence[float], mask: np.ndarray | None = None) -> pa.Array:
    """Amounts with two decimals (``12500.00``)."""
    cents = np.round(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    frac = np.abs(cents % 100)
    frac_s = fixed_strings(np.stack([48 + frac // 10, 48 + frac % 10], axis=1).astype(np.uint8))
    out = pc.binary_join_element_wise(whole, frac_s, ".")
    if mask is not None and mask.any():
        out = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), out)
    return out


def pick(vocab: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Strings from a vocabulary by integer code; code -1 is null."""
    codes = np.asarray(codes, dtype=np.int64)
    mask = codes < 0
    taken = pa.array(list(vocab), type=pa.string()).take(pa.array(np.where(mask, 0, codes)))
    if mask.any():
        taken = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), taken)
    return taken


def bools(values: np.ndarray | Sequence[bool]) -> pa.Array:
    """Salesforce booleans: ``true`` / ``false``."""
    return pick(["false", "true"], np.asarray(values, dtype=np.int64))


def to_arrow(values: object) -> pa.Array:
    """Any column representation the generators produce, as a pyarrow string array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else pc.cast(values, pa.string())
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "S":
            return bytes_col(values)
        return pa.array(values.astype(str), type=pa.string())
    return pa.array(list(values), type=pa.string())  # type: ignore[call-overload]
