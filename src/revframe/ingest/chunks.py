"""Split a CSV file into chunks of whole records, so worker processes can parse them in parallel.

A chunk ends at a newline outside any quoted field: with RFC 4180 quoting (a quote inside a field
is doubled), a newline is outside quotes exactly when the number of quote characters before it,
counted from a record boundary, is even. Counting bytes is C-speed, so the main process only
reads and cuts; parsing, like normalizing, happens in the workers. Line numbers stay exact: each
chunk knows the line it starts on.

Only for encodings where the newline byte cannot occur inside a character (UTF-8, Latin-1,
Windows-1252, ASCII); other files take the serial reader.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from revframe.errors import UsageError
from revframe.ingest.read import Ragged, decode_error

CHUNK_BYTES = 8 * 1024 * 1024
_SAFE = {"utf-8", "utf-8-sig", "latin-1", "iso8859-1", "cp1252", "ascii"}


@dataclass(frozen=True)
class CsvLayout:
    """Where a CSV file's records start, and how to read them."""

    path: Path
    encoding: str
    delimiter: str
    data_offset: int  # byte offset of the first record after the header
    first_line: int  # its line number
    width: int  # fields in the header

    @classmethod
    def of(cls, path: Path, encoding: str, delimiter: str, width: int) -> CsvLayout | None:
        """The layout of a CSV file, or None when it cannot be split safely."""
        if codecs.lookup(encoding).name not in {codecs.lookup(e).name for e in _SAFE}:
            return None
        with path.open("rb") as f:
            head = f.read(4 * 1024 * 1024)
        start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
        end = _record_end(head, start)
        if end is None:
            return None  # a header over 4 MB: let the serial reader handle it
        return cls(path, encoding, delimiter, end, 1 + head.count(b"\n", start, end), width)


def _record_end(data: bytes, start: int) -> int | None:
    """Offset just after the first newline outside quotes, at or after ``start``."""
    pos = data.find(b"\n", start)
    while pos >= 0 and data.count(b'"', start, pos) % 2:
        pos = data.find(b"\n", pos + 1)
    return None if pos < 0 else pos + 1


def iter_chunks(layout: CsvLayout, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(first line, bytes of whole records, byte offset reached)``."""
    line = layout.first_line
    with layout.path.open("rb") as f:
        f.seek(layout.data_offset)
        offset = layout.data_offset
        carry = b""
        while True:
            block = f.read(chunk_bytes)
            offset += len(block)
            if not block:
                if carry:
                    yield line, carry, offset
                return
            data = carry + block
            cut = data.rfind(b"\n")
            while cut >= 0 and data.count(b'"', 0, cut) % 2:
                cut = data.rfind(b"\n", 0, cut)
            if cut < 0:
                carry = data  # one record longer than a chunk: read on
                continue
            yield line, data[: cut + 1], offset
            line += data.count(b"\n", 0, cut + 1)
            carry = data[cut + 1 :]


def parse_chunk(
    layout: CsvLayout, data: bytes, first_line: int
) -> tuple[list[int], list[list[str]], list[tuple[int, Ragged]]]:
    """Parse one chunk: (lines, well-formed rows, ragged rows), with file line numbers."""
    try:
        text = data.decode(layout.encoding)
    except UnicodeDecodeError as e:
        raise decode_error(layout.path, first_line + data.count(b"\n", 0, e.start), e) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    lines: list[int] = []
    rows: list[list[str]] = []
    ragged: list[tuple[int, Ragged]] = []
    width = layout.width
    start = first_line
    try:
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                start = first_line + reader.line_num
                continue  # a blank line
            if len(fields) == width:
                lines.append(start)
                rows.append(fields)
            else:
                ragged.append((start, Ragged(fields)))
            start = first_line + reader.line_num
    except csv.Error as e:
        raise UsageError(f"{layout.path}:{start}: the CSV is malformed ({e}); check quoting around this line") from None
    return lines, rows, ragged
