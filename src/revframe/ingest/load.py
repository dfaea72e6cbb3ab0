"""Ingest: read exports, map and normalize them, quarantine bad rows, upsert the rest.

The data flow per file::

    reader (line, values) ──batch──► map + normalize, column by column ──► staging table
         │                                     │                              │
         └── ragged rows ──────────────────────┴── bad values ──► quarantine  └─► upsert on id

One call is one transaction: an error or a kill leaves the store as it was. The summary always
satisfies ``rows read = rows loaded + rows quarantined``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from revframe.errors import RevframeError, UsageError
from revframe.ingest import normalize as nz
from revframe.ingest.mapping import Mapping, ObjectMapping, Rule, load_mapping
from revframe.ingest.read import Ragged, open_source
from revframe.store.base import Store, canonical_text
from revframe.store.schema import TABLES, Table

BATCH_ROWS = 50_000
_MISSING = object()
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
    quarantine_reasons: dict[str, int] = field(default_factory=dict)


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
            "files": [asdict(f) for f in self.files],
        }


# --- column plans ---------------------------------------------------------------------------------


@dataclass
class _Field:
    """How to produce one canonical column of a batch."""

    column: str
    kind: str  # a normalizer name, 'ref', or 'derived'
    rules: list[tuple[Rule, int | None]]  # (rule, header index or None for constants)
    ref_prefix: str = ""

    def label(self, header: list[str]) -> str:
        """The source column(s) this field reads, for messages."""
        names = [header[i] for _, i in self.rules if i is not None]
        return "/".join(names) or self.column


def _plan(obj: ObjectMapping, table: Table, header: list[str], system: str) -> list[_Field]:
    index = {h: i for i, h in enumerate(header)}
    plan = []
    for col in table.all_columns:
        if col.name in ("id", "source_system") or col.name.startswith("_"):
            continue
        rules: list[tuple[Rule, int | None]] = []
        for rule in obj.fields.get(col.name, []):
            if rule.constant is not None:
                rules.append((rule, None))
                continue
            for c in rule.columns:
                if c in index:
                    rules.append((rule, index[c]))
                    break
        kind = "ref" if col.ref else col.normalizer
        prefix = ""
        if col.ref:
            ref_system = next((r.ref_system for r, _ in rules if r.ref_system), None)
            prefix = f"{ref_system or system}:"
        plan.append(_Field(col.name, kind, rules, prefix))
    return plan


def _apply_rule(rule: Rule, raw: str) -> str:
    if rule.constant is not None:
        return rule.constant
    v = raw.strip()
    if rule.split_first and v:
        v = v.split(rule.split_first, 1)[0].strip()
    if rule.when_prefix is not None and not v.startswith(rule.when_prefix):
        v = ""
    if rule.value_map is not None:
        if v:
            mapped = rule.value_map.get(v.lower())
            if mapped is not None:
                return mapped
        return rule.default if rule.default is not None else v
    if not v and rule.default is not None:
        return rule.default
    return v


def _raw_column(f: _Field, cols: list[tuple[str, ...]], n: int) -> list[str]:
    """The raw strings of one canonical field for a batch: the first rule with a value wins."""
    if not f.rules:
        return [""] * n
    simple = [(r, i) for r, i in f.rules]
    if len(simple) == 1:
        rule, idx = simple[0]
        plain = rule.constant is None and not (rule.split_first or rule.when_prefix or rule.value_map or rule.default)
        if plain and idx is not None:
            return list(cols[idx])
        src = cols[idx] if idx is not None else [""] * n
        return [_apply_rule(rule, v) for v in src]
    out = [""] * n
    for rule, idx in simple:
        src = cols[idx] if idx is not None else None
        for j in range(n):
            if not out[j]:
                out[j] = _apply_rule(rule, src[j] if src is not None else "")
    return out


# --- dates: refuse a column that mixes day-first and month-first ----------------------------------


_FIRST = {"DMY": "day", "MDY": "month"}


@dataclass
class _DateEvidence:
    """What one date column has shown so far: unambiguous day-first/month-first values and ambiguous ones."""

    first: dict[str, tuple[int, str]] = field(default_factory=dict)  # order -> (line, value)
    ambiguous: tuple[int, str] | None = None  # first value like 03/04/2025 that reads both ways
    n_ambiguous: int = 0

    def see(self, raw: str, line: int, path: Path, column: str, ctx: nz.Context) -> None:
        if ctx.date_format or (len(raw) >= 10 and raw[4] == "-"):
            return  # an explicit format, or ISO 8601: one reading only
        order = nz.slash_date_order(raw)
        if order is None:
            if nz.is_slash_date(raw):
                self.n_ambiguous += 1
                self.ambiguous = self.ambiguous or (line, raw)
            return
        self.first.setdefault(order, (line, raw))
        fmt = "%d/%m/%Y" if order == "DMY" else "%m/%d/%Y"
        fix = f"Re-run with --date-format {fmt} (or export ISO dates, e.g. 2025-04-03)."
        if "MDY" in self.first and "DMY" in self.first:
            (la, va), (lb, vb) = self.first["DMY"], self.first["MDY"]
            raise UsageError(
                f"{path}:{line}: column '{column}' mixes date formats: line {la} reads '{va}' (day first) and "
                f"line {lb} reads '{vb}' (month first). Fix the export so one format is used; then {fix}"
            )
        if order != ctx.date_order and self.ambiguous:
            la, va = self.ambiguous
            raise UsageError(
                f"{path}:{line}: column '{column}' mixes date formats: '{raw}' reads {_FIRST[order]} first, "
                f"but {self.n_ambiguous} earlier value(s) such as '{va}' (line {la}) were read with the spec's "
                f"company.date_order {ctx.date_order}. {fix}"
            )


# --- the engine -----------------------------------------------------------------------------------


class _FileLoad:
    """Loads one file into a staging table, batch by batch."""

    def __init__(
        self,
        store: Store,
        path: Path,
        obj: ObjectMapping,
        mapping: Mapping,
        header: list[str],
        ctx: nz.Context,
        run_id: str,
    ) -> None:
        self.store, self.path, self.obj, self.ctx, self.run_id = store, path, obj, ctx, run_id
        self.header = header
        self.table = TABLES[obj.table]
        self.system = mapping.source_system
        self.plan = _plan(obj, self.table, header, self.system)
        self.summary = FileSummary(file=str(path), object=obj.source, table=obj.table)
        self.seen: dict[str, int] = {}
        self.caches: dict[str, dict[str, Any]] = {f.column: {} for f in self.plan}
        self.dates: dict[str, _DateEvidence] = {}
        self.staging = store.create_staging(self.table)
        self.loaded_at = datetime.now(UTC)

    def quarantine(self, line: int, field_: str, value: str, reason: str, raw: list[str] | None) -> list[Any]:
        self.summary.quarantined += 1
        key = reason.split(":")[0]
        self.summary.quarantine_reasons[key] = self.summary.quarantine_reasons.get(key, 0) + 1
        payload = json.dumps(dict(zip(self.header, raw, strict=False)) if raw is not None else None, ensure_ascii=False)
        return [self.run_id, str(self.path), line, self.obj.table, field_, value, reason, payload, self.loaded_at]

    def batch(self, lines: list[int], rows: list[list[str]], ragged: list[tuple[int, Ragged]]) -> list[list[Any]]:
        """Normalize and stage one batch; returns its quarantine rows."""
        q: list[list[Any]] = []
        for line, r in ragged:
            q.append(
                self.quarantine(
                    line,
                    "",
                    f"{len(r.fields)} fields",
                    f"ragged row: {len(r.fields)} fields where the header has {len(self.header)}; "
                    "check for an unquoted delimiter or a line break inside a value",
                    r.fields,
                )
            )
        n = len(rows)
        self.summary.read += n + len(ragged)
        if not n:
            return q
        cols = list(zip(*rows, strict=True))
        out: dict[str, list[Any]] = {}
        bad: dict[int, tuple[str, str, str]] = {}
        for f in self.plan:
            raw = _raw_column(f, cols, n)
            if f.kind == "derived":
                continue
            if f.kind == "ref":
                out[f.column] = [f.ref_prefix + v if v else None for v in raw]
                continue
            norm = nz.NORMALIZERS[f.kind]
            cache = self.caches[f.column]
            values: list[Any] = [None] * n
            is_date = f.kind in ("timestamp", "date")
            for j, v in enumerate(raw):
                if not v:
                    continue
                hit = cache.get(v, _MISSING)
                if hit is _MISSING:
                    if is_date:
                        self.dates.setdefault(f.column, _DateEvidence()).see(
                            v, lines[j], self.path, f.label(self.header), self.ctx
                        )
                    try:
                        hit = norm(v, self.ctx)
                    except nz.BadValue as e:
                        hit = e
                    if len(cache) < 100_000:
                        cache[v] = hit
                if isinstance(hit, nz.BadValue):
                    bad.setdefault(j, (f.column, v, f"bad {f.column}: {hit}"))
                else:
                    values[j] = hit
            out[f.column] = values
        self._derive(out, n)
        ext = out["external_id"]
        ids: list[Any] = [None] * n
        for j in range(n):
            if j in bad:
                continue
            e = ext[j]
            if not e:
                bad[j] = ("external_id", "", f"missing id: the row has no {'/'.join(self.obj.key_columns)}")
                continue
            rid = f"{self.system}:{e}"
            first = self.seen.get(rid)
            if first is not None:
                bad[j] = ("external_id", e, f"duplicate id: line {first} has the same id; keep one row per record")
                continue
            self.seen[rid] = lines[j]
            ids[j] = rid
        for j, (col, val, reason) in sorted(bad.items()):
            q.append(self.quarantine(lines[j], col, val, reason, rows[j]))
        keep = [j for j in range(n) if j not in bad]
        self._stage(out, ids, keep)
        return q

    def _derive(self, out: dict[str, list[Any]], n: int) -> None:
        if self.table.name == "contacts":
            cache: dict[str, Any] = self.caches.setdefault("email_domain", {})
            doms = []
            for e in out["email"]:
                if e is None:
                    doms.append(None)
                    continue
                d = cache.get(e, _MISSING)
                if d is _MISSING:
                    d = nz.email_domain(e)
                    if len(cache) < 100_000:
                        cache[e] = d
                doms.append(d)
            out["email_domain"] = doms
        if self.table.name == "accounts":
            out["domain"] = [
                d or (nz.domain(w, self.ctx) if w else None) for d, w in zip(out["domain"], out["website"], strict=True)
            ]

    def _stage(self, out: dict[str, list[Any]], ids: list[Any], keep: list[int]) -> None:
        data_cols = [c for c in self.table.data_columns if c not in ("id", "source_system")]
        columns: list[list[Any]] = [[ids[j] for j in keep], [self.system] * len(keep)]
        for c in data_cols:
            src = out[c]
            columns.append([src[j] for j in keep])
        hashes = []
        for row in zip(*columns, strict=True):
            hashes.append(hashlib.blake2b("\x1f".join(map(canonical_text, row)).encode(), digest_size=12).hexdigest())
        columns += [hashes, [self.run_id] * len(keep), [self.loaded_at] * len(keep)]
        self.store.append_staging(self.staging, self.table, columns)
        self.summary.loaded += len(keep)

    def finish(self) -> FileSummary:
        ins, upd, same = self.store.upsert(self.table, self.staging)
        self.store.drop_staging(self.staging)
        s = self.summary
        s.inserted, s.updated, s.unchanged = ins, upd, same
        if s.read != s.loaded + s.quarantined or s.loaded != ins + upd + same:
            raise RevframeError(
                f"{self.path}: row accounting does not add up (read {s.read}, loaded {s.loaded}, "
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
        for src in sources:
            obj = m.resolve(src.path, src.header, object_name)
            load = _FileLoad(store, src.path, obj, m, src.header, ctx, summary.run_id)
            lines: list[int] = []
            rows: list[list[str]] = []
            ragged: list[tuple[int, Ragged]] = []
            for line, values in src.rows:
                if isinstance(values, Ragged):
                    ragged.append((line, values))
                else:
                    lines.append(line)
                    rows.append(values)
                if len(rows) + len(ragged) >= batch_rows:
                    store.insert_rows("quarantine", load.batch(lines, rows, ragged))
                    lines, rows, ragged = [], [], []
                    if progress:
                        progress(src.path, src.position(), src.size)
            store.insert_rows("quarantine", load.batch(lines, rows, ragged))
            if progress:
                progress(src.path, src.size, src.size)
            summary.files.append(load.finish())
        store.insert_rows(
            "ingest_runs",
            [
                (
                    summary.run_id,
                    started,
                    datetime.now(UTC),
                    m.name,
                    json.dumps([str(p) for p in paths]),
                    summary.read,
                    summary.loaded,
                    summary.quarantined,
                    summary.to_dict()["rows_inserted"],
                    summary.to_dict()["rows_updated"],
                    summary.to_dict()["rows_unchanged"],
                    framework_version,
                    "completed",
                )
            ],
        )
    return summary
