"""Readers: stream the rows of a CSV, Parquet or JSON-lines export with their line numbers.

A reader yields ``(line, values)`` where ``values`` are strings aligned with the header, or a
``Ragged`` marker for a CSV row with the wrong number of fields (it goes to quarantine). Files
stream in bounded memory; problems that make the whole file unreadable raise ``UsageError`` with
the file, line and the fix.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from revframe.errors import UsageError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Ragged:
    """A CSV row whose field count differs from the header's."""

    fields: list[str]


@dataclass
class Source:
    path: Path
    header: list[str]
    rows: Iterator[tuple[int, list[str] | Ragged]]
    size: int
    position: Any  # () -> bytes read so far, for progress bars
    layout: Any = None  # a CsvLayout when worker processes may parse the file in chunks
    close: Any = None  # () -> None: release the file when the rows are not read


def open_source(path: Path, *, delimiter: str | None = None, encoding: str | None = None) -> Source:
    """Open an export for streaming.

    Raises:
        UsageError: missing or empty file, unknown format, undecodable text, wrong delimiter.
    """
    path = path.resolve()
    if not path.exists():
        raise UsageError(f"{path}: no such file; check the path (ingest takes CSV, Parquet and JSON-lines files)")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; pass the export files themselves (e.g. {path}/*.csv)")
    size = path.stat().st_size
    if size == 0:
        raise UsageError(f"{path}: the file is empty; export it again with a header row and data")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _parquet(path, size)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl(path, size, encoding)
    if suffix in (".csv", ".tsv", ".txt", ""):
        return _csv(path, size, delimiter or ("\t" if suffix == ".tsv" else ","), encoding)
    raise UsageError(f"{path}: unknown file type '{suffix}'; ingest reads .csv, .tsv, .parquet and .jsonl")


def _detect_encoding(path: Path, encoding: str | None) -> str:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"--encoding {encoding}: unknown encoding; use e.g. utf-8, latin-1, cp1252") from None
        return encoding
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


class _Counting(io.RawIOBase):
    """Wraps a binary file to report how far decoding got (progress) and where a bad byte sits."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.raw.readinto(b)
        self.pos += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def _csv(path: Path, size: int, delimiter: str, encoding: str | None) -> Source:
    enc = _detect_encoding(path, encoding)
    counting = _Counting(path.open("rb"))
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 20), encoding=enc, errors="strict", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        text.close()
        raise UsageError(f"{path}: the file is empty; export it again with a header row and data") from None
    except UnicodeDecodeError as e:
        text.close()
        raise decode_error(path, 1, e) from None
    header = [h.strip() for h in header]
    if not any(header):
        text.close()
        raise UsageError(f"{path}:1: the header row is blank; the first line must name the columns")
    if len(header) == 1:
        for d, name in DELIMITERS.items():
            if d != delimiter and header[0].count(d) >= 1:
                text.close()
                raise UsageError(
                    f"{path}:1: the header has one column ('{header[0][:60]}') but looks {name}-delimited; "
                    f"re-run with --delimiter '{d}'"
                )

    def rows() -> Iterator[tuple[int, list[str] | Ragged]]:
        n = len(header)
        start = reader.line_num + 1
        try:
            for fields in reader:
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    start = reader.line_num + 1
                    continue  # blank line
                yield start, (fields if len(fields) == n else Ragged(fields))
                start = reader.line_num + 1
        except UnicodeDecodeError as e:
            raise decode_error(path, start, e) from None
        except csv.Error as e:
            raise UsageError(f"{path}:{start}: the CSV is malformed ({e}); check quoting around this line") from None
        finally:
            text.close()

    from revframe.ingest.chunks import CsvLayout

    layout = CsvLayout.of(path, enc, delimiter, len(header))
    return Source(path, header, rows(), size, lambda: counting.pos, layout, text.close)


def decode_error(path: Path, line: int, e: UnicodeDecodeError) -> UsageError:
    byte = e.object[e.start : e.start + 1].hex() if isinstance(e.object, bytes | bytearray) else "?"
    return UsageError(
        f"{path}:{line}: the file is not valid {e.encoding.upper()} (byte 0x{byte}); "
        "it was probably saved as Latin-1/Windows-1252: re-run with --encoding cp1252 "
        "(or save the file as UTF-8)"
    )


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _parquet(path: Path, size: int) -> Source:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises several types for a bad file
        raise UsageError(f"{path}: not a readable Parquet file ({e})") from None
    header = list(pf.schema_arrow.names)
    done = [0]

    def rows() -> Iterator[tuple[int, list[str] | Ragged]]:
        n = 0
        for batch in pf.iter_batches(batch_size=65_536):
            cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*cols, strict=True):
                n += 1
                yield n, [_text(v) for v in values]
            done[0] += batch.nbytes

    return Source(path, header, rows(), size, lambda: min(done[0], size))


def _jsonl(path: Path, size: int, encoding: str | None) -> Source:
    enc = _detect_encoding(path, encoding)
    # the header is the union of keys in the first 1,000 records (exports are regular)
    header: list[str] = []
    with path.open(encoding=enc) as f:
        for i, line in enumerate(f):
            if i >= 1000:
                break
            try:
                rec = json.loads(line) if line.strip() else {}
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            for k in rec if isinstance(rec, dict) else ():
                if k not in header:
                    header.append(k)
    if not header:
        raise UsageError(f"{path}: no JSON objects found; a JSON-lines file has one object per line")
    counting = _Counting(path.open("rb"))
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 20), encoding=enc)

    def rows() -> Iterator[tuple[int, list[str] | Ragged]]:
        try:
            for n, line in enumerate(text, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    yield n, Ragged([line.rstrip("\n")])
                    continue
                if not isinstance(rec, dict):
                    yield n, Ragged([line.rstrip("\n")])
                    continue
                yield n, [_text(rec.get(k)) for k in header]
        except UnicodeDecodeError as e:
            raise decode_error(path, n, e) from None
        finally:
            text.close()

    return Source(path, header, rows(), size, lambda: counting.pos)
