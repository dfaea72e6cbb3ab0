"""Worker processes give exactly what the serial path gives: same store, same quarantine, same lines."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from revframe.errors import UsageError
from revframe.ingest import ingest
from revframe.ingest.chunks import CsvLayout, iter_chunks
from revframe.store import Store, open_store
from tests.conftest import write

HEADER = "Id,FirstName,LastName,Email,Phone,Title,MailingCountry,CreatedDate"


def tricky_export(n: int, seed: int = 3) -> str:
    """Quoted fields with delimiters, doubled quotes and line breaks; blank lines; bad rows; repeats."""
    r = random.Random(seed)
    lines = [HEADER]
    for i in range(n):
        kind = r.random()
        title = r.choice(["VP, Sales", '"Head of ""Rev"" Ops"', '"line one\nline two"', "CFO", ""])
        title = f'"{title}"' if "," in title and not title.startswith('"') else title
        created = "2025-03-04T10:00:00Z" if kind > 0.02 else "not-a-date"
        row = f"003{i:06d},Ana{i},Lee,ana{i}@example.com,+1 415 555 {i % 10000:04d},{title},US,{created}"
        if kind < 0.01:
            row += ",extra"  # ragged
        if 0.01 <= kind < 0.02 and i > 5:
            row = row.replace(f"003{i:06d}", f"003{i - 5:06d}", 1)  # a repeated id
        lines.append(row)
        if kind > 0.98:
            lines.append("")  # a blank line
    return "\n".join(lines) + "\n"


def fingerprint(store: Store) -> tuple[str, list[tuple[object, ...]]]:
    q = store.query("SELECT line, field, value, reason FROM quarantine ORDER BY line")
    return store.checksum("contacts"), q


@pytest.mark.parametrize("chunk_bytes", [97, 1024, 64 * 1024])
def test_workers_and_chunks_give_the_serial_result(tmp_path: Path, chunk_bytes: int) -> None:
    path = write(tmp_path / "Contact.csv", tricky_export(1500))
    results = []
    for workers in (1, 2):
        store = open_store(f"duckdb://{tmp_path / f'w{workers}.duckdb'}")
        store.migrate()
        s = ingest(store, [path], "salesforce", workers=workers, batch_rows=300, chunk_bytes=chunk_bytes)
        assert s.read == s.loaded + s.quarantined
        results.append((s.read, s.loaded, s.quarantined, fingerprint(store)))
        store.close()
    assert results[0] == results[1]
    read, loaded, quarantined, (_, q) = results[0]
    assert quarantined == len(q) > 10 and {r[3].split(":")[0] for r in q} >= {"ragged row", "bad created_at"}


def test_chunks_cut_only_between_records(tmp_path: Path) -> None:
    path = write(tmp_path / "Contact.csv", tricky_export(400))
    layout = CsvLayout.of(path, "utf-8", ",", 8)
    assert layout is not None and layout.first_line == 2
    pieces = list(iter_chunks(layout, 50))
    assert b"".join(p[1] for p in pieces) == path.read_bytes()[layout.data_offset :]
    for (line, data, _), (next_line, _, _) in zip(pieces, pieces[1:], strict=False):
        assert data.count(b'"') % 2 == 0 and next_line == line + data.count(b"\n")


def test_a_decode_error_in_a_worker_names_the_line(tmp_path: Path) -> None:
    rows = [HEADER] + [f"003{i:06d},A,B,a{i}@x.com,,CFO,US,2025-01-01" for i in range(2000)]
    rows[1500] = rows[1500].replace("CFO", "Direktör")
    path = tmp_path / "Contact.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    store = open_store(f"duckdb://{tmp_path / 's.duckdb'}")
    store.migrate()
    with pytest.raises(UsageError, match=r"Contact.csv:1501: the file is not valid UTF-8"):
        ingest(store, [path], "salesforce", workers=2, chunk_bytes=4096)
    assert store.row_counts()["contacts"] == 0
