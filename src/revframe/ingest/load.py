"""Ingest: read exports, map and normalize them, quarantine bad rows, upsert the rest.

The data flow per file::

    reader (line, values) ──batches──► Normalizer (in-process, or one worker process per core)
         │                                 │                         │
         └── ragged rows ──► quarantine ◄──┴── refused rows          └─► staging table ──► upsert on id

One call is one transaction: an error or a kill leaves the store as it was. The summary always
satisfies ``rows read = rows loaded + rows quarantined``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from revframe.errors import RevframeError, UsageError
from revframe.ingest import normalize as nz
from revframe.ingest.batch import BatchResult, DateEvidence, Normalizer, plan_fields
from revframe.ingest.chunks import CHUNK_BYTES, CsvLayout, iter_chunks, parse_chunk
from revframe.ingest.ids import IdLedger
from revframe.ingest.mapping import Mapping, ObjectMapping, load_mapping
from revframe.ingest.read import Ragged, Source, open_source
from revframe.quality import aliases
from revframe.store.base import Store
from revframe.store.schema import TABLES

BATCH_ROWS = 50_000
PARALLEL_BYTES = 32 * 1024 * 1024  # files smaller than this are not worth starting worker processes
Progress = Callable[[Path, int, int], None]


@dataclass
class FileSummary:
    """What became of one file's rows."""

    file: str
    object: str
    table: str
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged_away: int = 0  # loaded rows of records merged away (their id is an alias): not written back
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def row(self, file_label: str) -> dict[str, Any]:
        """The file's counts as one table row, under a display name for the file."""
        return {
            "file": file_label,
            "object": self.object,
            "table": self.table,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged_away": self.merged_away,
        }


@dataclass
class IngestSummary:
    """What one ingest did; ``read == loaded + quarantined`` always holds."""

    run_id: str
    mapping: str
    files: list[FileSummary] = field(default_factory=list)

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def read(self) -> int:
        return self._sum("read")

    @property
    def loaded(self) -> int:
        return self._sum("loaded")

    @property
    def quarantined(self) -> int:
        return self._sum("quarantined")

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "mapping": self.mapping,
            "rows_read": self.read,
            "rows_loaded": self.loaded,
            "rows_quarantined": self.quarantined,
            "rows_inserted": self._sum("inserted"),
            "rows_updated": self._sum("updated"),
            "rows_unchanged": self._sum("unchanged"),
            "rows_merged_away": self._sum("merged_away"),
            "files": [asdict(f) for f in self.files],
        }


def default_workers(size: int) -> int:
    """Worker processes for a file: one per core (at most 4), only where it pays for starting them."""
    return min(os.cpu_count() or 1, 4) if size >= PARALLEL_BYTES else 1


@dataclass
class _Done:
    """What a worker returns for one batch."""

    result: BatchResult | None
    ragged: list[tuple[int, Ragged]]
    read: int  # rows read, ragged included
    rows: list[list[str]] | None = None  # the raw rows, when the main process has them anyway


_WORKER: tuple[Normalizer, CsvLayout | None] | None = None


def _init_worker(normalizer: Normalizer, layout: CsvLayout | None) -> None:
    global _WORKER
    _WORKER = (normalizer, layout)


def _work_rows(lines: list[int], rows: list[list[str]]) -> _Done:
    assert _WORKER is not None
    return _Done(_WORKER[0].run(lines, rows), [], 0)  # the main process read and counted these rows


def _work_chunk(data: bytes, first_line: int) -> _Done:
    assert _WORKER is not None and _WORKER[1] is not None
    lines, rows, ragged = parse_chunk(_WORKER[1], data, first_line)
    return _Done(_WORKER[0].run(lines, rows) if rows else None, ragged, len(rows) + len(ragged))


class _FileLoad:
    """Loads one file into a staging table, batch by batch, and keeps the file's accounting."""

    def __init__(
        self,
        store: Store,
        src: Source,
        obj: ObjectMapping,
        mapping: Mapping,
        ctx: nz.Context,
        run_id: str,
        merges_active: bool = False,
    ) -> None:
        self.store, self.src, self.obj, self.ctx, self.run_id = store, src, obj, ctx, run_id
        self.merges_active = merges_active  # some records were merged away: resolve their ids
        table = TABLES[obj.table]
        self.normalizer = Normalizer(
            table_name=table.name,
            system=mapping.source_system,
            header=src.header,
            plan=plan_fields(obj, table, src.header, mapping.source_system),
            key_columns=obj.key_columns,
            ctx=ctx,
            run_id=run_id,
            loaded_at=datetime.now(UTC),
        )
        self.summary = FileSummary(file=str(src.path), object=obj.source, table=obj.table)
        self.ids = IdLedger()  # to refuse a second row with the same id
        self.dates: dict[str, DateEvidence] = {}
        self.staging = store.create_staging(table)
        # The quarantine holds what is refused *now*: a re-ingest of a file supersedes its earlier rows.
        store.delete_where("quarantine", "file", str(src.path))

    def quarantine_row(self, line: int, field_: str, value: str, reason: str, raw: list[str]) -> list[Any]:
        self.summary.quarantined += 1
        key = reason.split(":")[0]
        self.summary.quarantine_reasons[key] = self.summary.quarantine_reasons.get(key, 0) + 1
        payload = json.dumps(dict(zip(self.src.header, raw, strict=False)), ensure_ascii=False)
        at = self.normalizer.loaded_at
        return [self.run_id, str(self.src.path), line, self.obj.table, field_, value, reason, payload, at]

    def ragged_row(self, line: int, r: Ragged) -> list[Any]:
        """The quarantine row of a row with the wrong number of fields (counts it as read)."""
        self.summary.read += 1
        reason = (
            f"ragged row: {len(r.fields)} fields where the header has {len(self.src.header)}; "
            "check for an unquoted delimiter or a line break inside a value"
        )
        return self.quarantine_row(line, "", f"{len(r.fields)} fields", reason, r.fields)

    def batches(self, batch_rows: int) -> Iterator[tuple[list[int], list[list[str]]]]:
        """Well-formed rows in batches; ragged rows go straight to quarantine."""
        lines: list[int] = []
        rows: list[list[str]] = []
        q: list[list[Any]] = []
        for line, values in self.src.rows:
            if isinstance(values, Ragged):
                q.append(self.ragged_row(line, values))
                if len(q) >= batch_rows:
                    self.store.insert_rows("quarantine", q)
                    q = []
                continue
            self.summary.read += 1
            lines.append(line)
            rows.append(values)
            if len(rows) >= batch_rows:
                self.store.insert_rows("quarantine", q)
                q = []
                yield lines, rows
                lines, rows = [], []
        self.store.insert_rows("quarantine", q)
        if rows:
            yield lines, rows

    def take(self, result: BatchResult, rows: list[list[str]] | None) -> None:
        """Stage a normalized batch; refuse rows whose id the file already had."""
        q = [self.quarantine_row(*r) for r in result.refused]
        for col, ev in result.dates.items():
            seen = self.dates.setdefault(col, DateEvidence())
            seen.merge(ev)
            problem = seen.conflict(self.ctx.date_order)
            if problem:
                line = max(line for line, _ in seen.first.values())
                raise UsageError(f"{self.src.path}:{line}: {problem}")
        staged = result.staged
        ids = staged.column("id").to_pylist()
        earlier = self.ids.earlier_lines(ids, result.lines, self._staged)
        keep = [e is None for e in earlier]
        for j, first in enumerate(earlier):
            if first is None:
                continue
            reason = f"duplicate id: line {first} has the same id; keep one row per record"
            if rows is not None:
                raw = rows[result.source_index[j]]
            else:  # parsed in a worker: the row as staged stands in for the source row
                raw = [str(v) if v is not None else "" for v in staged.slice(j, 1).to_pylist()[0].values()]
            q.append(self.quarantine_row(result.lines[j], "external_id", ids[j].split(":", 1)[1], reason, raw))
        if not all(keep):
            staged = staged.filter(pa.array(keep))
        self.store.insert_rows("quarantine", q)
        self.store.append_staging(self.staging, TABLES[self.obj.table], staged)
        self.summary.loaded += staged.num_rows

    def run(self, batch_rows: int, workers: int, progress: Progress | None, chunk_bytes: int) -> FileSummary:
        """Read, normalize (in worker processes when ``workers`` > 1), stage and upsert the file.

        With workers, a CSV file is cut into chunks of whole records that the workers parse and
        normalize; other files are parsed here and normalized there. Results are taken in file
        order, and at most ``workers + 1`` batches are in flight (bounded memory).
        """
        if workers <= 1:
            for lines, rows in self.batches(batch_rows):
                self.take(self.normalizer.run(lines, rows), rows)
                self._report(progress, self.src.position())
            return self.finish()
        layout = self.src.layout
        # fork: workers inherit the normalizer and start in milliseconds, and a script without a
        # __main__ guard still works. They run parsing and normalization only, never the store.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        init = (self.normalizer, layout)
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context(method), initializer=_init_worker, initargs=init
        ) as pool:
            pending: deque[tuple[Future[_Done], int, list[list[str]] | None]] = deque()

            def drain(keep: int) -> None:
                while len(pending) > keep:
                    fut, offset, rows = pending.popleft()
                    done = fut.result()
                    done.rows = rows
                    self.take_done(done)
                    self._report(progress, offset)

            if layout is not None:
                self.src.close()
                for first_line, data, offset in iter_chunks(layout, chunk_bytes):
                    pending.append((pool.submit(_work_chunk, data, first_line), offset, None))
                    drain(workers)
            else:
                for lines, rows in self.batches(batch_rows):
                    pending.append((pool.submit(_work_rows, lines, rows), self.src.position(), rows))
                    drain(workers)
            drain(0)
        return self.finish()

    def _report(self, progress: Progress | None, done: int) -> None:
        if progress:
            progress(self.src.path, min(done, self.src.size), self.src.size)

    def take_done(self, done: _Done) -> None:
        """Account for a worker's batch: its ragged rows, then its normalized rows."""
        if done.ragged:
            self.store.insert_rows("quarantine", [self.ragged_row(line, r) for line, r in done.ragged])
        self.summary.read += done.read - len(done.ragged)  # ragged rows were counted by ragged_row
        if done.result is not None:
            self.take(done.result, done.rows)

    def _staged(self, rid: str) -> bool:
        return bool(self.store.query(f"SELECT 1 FROM {self.staging} WHERE id = ? LIMIT 1", [rid]))

    def finish(self) -> FileSummary:
        s = self.summary
        ragged = s.quarantine_reasons.get("ragged row", 0)
        if s.read and ragged == s.read:
            raise UsageError(
                f"{self.src.path}: every one of its {s.read:,} rows has a different number of fields from the "
                f"header ({len(self.src.header)}): check the delimiter (--delimiter) and the quoting of the export"
            )
        table = self.obj.table
        merged = self.merges_active and table in aliases.MERGEABLE
        away = aliases.merged_away(self.store, table, self.staging) if merged else 0
        ins, upd, same = self.store.upsert(TABLES[table], self.staging)
        if away:  # the upsert wrote them back as new rows: take them out again, the merge stands
            aliases.drop_merged_away(self.store, table)
            ins -= away
        if self.merges_active:
            aliases.resolve_references(self.store, table)
        self.store.drop_staging(self.staging)
        s.inserted, s.updated, s.unchanged, s.merged_away = ins, upd, same, away
        if s.read != s.loaded + s.quarantined or s.loaded != ins + upd + same + away:
            raise RevframeError(
                f"{self.src.path}: row accounting does not add up (read {s.read}, loaded {s.loaded}, "
                f"quarantined {s.quarantined}); nothing was written. Please report this as a bug."
            )
        return s


def ingest(
    store: Store,
    paths: Iterable[Path],
    mapping: str | Mapping,
    *,
    object_name: str | None = None,
    ctx: nz.Context | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    framework_version: str = "",
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
    workers: int | None = None,
    in_transaction: Callable[[Store], object] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> IngestSummary:
    """Ingest export files into the store in one transaction.

    Args:
        store: an open, migrated store.
        paths: CSV, Parquet or JSON-lines files.
        mapping: a preset name (``hubspot``, ``salesforce``), a mapping file path, or a ``Mapping``.
        object_name: the source object or canonical table the files hold (else guessed per file).
        ctx: normalization settings from the spec (default phone region, time zone, date order).
        delimiter: CSV delimiter (default: ',' for .csv, tab for .tsv).
        encoding: text encoding (default: UTF-8, with or without BOM).
        framework_version: the spec version recorded with the run.
        progress: called as ``progress(path, bytes_done, bytes_total)``.
        batch_rows: rows per batch (bounds memory).
        workers: processes that normalize batches (default: one per core for files over 32 MB).
        in_transaction: more writes that must commit with the ingest (e.g. the framework version).
        chunk_bytes: size of the CSV chunks workers parse.

    Returns:
        The summary; ``read == loaded + quarantined``.

    Raises:
        UsageError: bad input (exit code 2); the store is unchanged.

    Examples:
        >>> from revframe.store import open_store
        >>> store = open_store("duckdb:///:memory:"); _ = store.migrate()
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "Contact.csv"
        >>> _ = p.write_text("Id,FirstName,LastName,Email\\n003A,Ada,Lovelace,ADA@Analytical.io\\n")
        >>> ingest(store, [p], "salesforce").to_dict()["rows_loaded"]
        1
    """
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    ctx = ctx or nz.Context()
    paths = list(paths)
    sources = [open_source(Path(p), delimiter=delimiter, encoding=encoding) for p in paths]
    summary = IngestSummary(run_id=uuid.uuid4().hex[:12], mapping=m.name)
    started = datetime.now(UTC)
    with store.transaction():
        merges_active = aliases.has_aliases(store)
        for src in sources:
            obj = m.resolve(src.path, src.header, object_name)
            load = _FileLoad(store, src, obj, m, ctx, summary.run_id, merges_active)
            n_workers = workers if workers is not None else default_workers(src.size)
            summary.files.append(load.run(batch_rows, n_workers, progress, chunk_bytes))
        d = summary.to_dict()
        run = (
            summary.run_id,
            started,
            datetime.now(UTC),
            m.name,
            json.dumps([str(p) for p in paths]),
            summary.read,
            summary.loaded,
            summary.quarantined,
            d["rows_inserted"],
            d["rows_updated"],
            d["rows_unchanged"],
            framework_version,
            "completed",
        )
        store.insert_rows("ingest_runs", [run])
        if in_transaction is not None:
            in_transaction(store)
    return summary
