"""Normalize one batch of source rows into canonical columns: a pure, picklable step.

``Normalizer.run`` takes raw rows and returns an Arrow table of canonical rows, the rows it
refused (with field and reason) and what the batch showed about date formats. It touches no
store, so batches of a large file run in worker processes, one per core.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from revframe.ingest import normalize as nz
from revframe.ingest.mapping import ObjectMapping, Rule
from revframe.store.arrow import to_arrow
from revframe.store.schema import TABLES, Table

_MISSING = object()
_CACHE_LIMIT = 100_000


@dataclass
class Field:
    """How to produce one canonical column of a batch."""

    column: str
    kind: str  # a normalizer name, 'ref', or 'derived'
    rules: list[tuple[Rule, int | None]]  # (rule, header index or None for constants)
    ref_prefix: str = ""

    def label(self, header: list[str]) -> str:
        """The source column(s) this field reads, for messages."""
        names = [header[i] for _, i in self.rules if i is not None]
        return "/".join(names) or self.column


def plan_fields(obj: ObjectMapping, table: Table, header: list[str], system: str) -> list[Field]:
    """For each canonical column, the mapping rules that apply to this file's header."""
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
        prefix = ""
        if col.ref:
            ref_system = next((r.ref_system for r, _ in rules if r.ref_system), None)
            prefix = f"{ref_system or system}:"
        plan.append(Field(col.name, "ref" if col.ref else col.normalizer, rules, prefix))
    return plan


def apply_rule(rule: Rule, raw: str) -> str:
    """One mapping rule on one raw value (constant, split, prefix filter, value map, default)."""
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


def raw_column(f: Field, cols: list[tuple[str, ...]], n: int) -> list[str]:
    """The raw strings of one canonical field for a batch: the first rule with a value wins."""
    if not f.rules:
        return [""] * n
    if len(f.rules) == 1:
        rule, idx = f.rules[0]
        plain = rule.constant is None and not (rule.split_first or rule.when_prefix or rule.value_map or rule.default)
        if plain and idx is not None:
            return list(cols[idx])
        one: Sequence[str] = cols[idx] if idx is not None else [""] * n
        return [apply_rule(rule, v) for v in one]
    out = [""] * n
    for rule, idx in f.rules:
        src = cols[idx] if idx is not None else None
        for j in range(n):
            if not out[j]:
                out[j] = apply_rule(rule, src[j] if src is not None else "")
    return out


@dataclass
class DateEvidence:
    """What a date column showed: first day-first and month-first values, and ambiguous ones."""

    label: str = ""
    first: dict[str, tuple[int, str]] = field(default_factory=dict)  # 'DMY'/'MDY' -> (line, value)
    ambiguous: tuple[int, str] | None = None
    n_ambiguous: int = 0

    def see(self, raw: str, line: int) -> None:
        if len(raw) >= 10 and raw[4] == "-":
            return  # ISO 8601: one reading only
        order = nz.slash_date_order(raw)
        if order is not None:
            if order not in self.first or line < self.first[order][0]:
                self.first[order] = (line, raw)
        elif nz.is_slash_date(raw):
            self.n_ambiguous += 1
            if self.ambiguous is None or line < self.ambiguous[0]:
                self.ambiguous = (line, raw)

    def merge(self, other: DateEvidence) -> None:
        self.label = self.label or other.label
        for order, seen in other.first.items():
            if order not in self.first or seen[0] < self.first[order][0]:
                self.first[order] = seen
        if other.ambiguous and (self.ambiguous is None or other.ambiguous[0] < self.ambiguous[0]):
            self.ambiguous = other.ambiguous
        self.n_ambiguous += other.n_ambiguous

    def conflict(self, date_order: str) -> str | None:
        """Why the column cannot be read safely, or None."""
        if "MDY" in self.first and "DMY" in self.first:
            (la, va), (lb, vb) = self.first["DMY"], self.first["MDY"]
            return (
                f"column '{self.label}' mixes date formats: line {la} reads '{va}' (day first) and line {lb} "
                f"reads '{vb}' (month first). Fix the export so it uses one format, or export ISO dates (2025-04-03)."
            )
        against = [o for o in self.first if o != date_order]
        if against and self.ambiguous:
            order = against[0]
            line, value = self.first[order]
            fmt = "%d/%m/%Y" if order == "DMY" else "%m/%d/%Y"
            la, va = self.ambiguous
            return (
                f"column '{self.label}' mixes date formats: line {line} reads '{value}' "
                f"({'day' if order == 'DMY' else 'month'} first), but {self.n_ambiguous} value(s) such as '{va}' "
                f"(line {la}) would be read with the spec's company.date_order {date_order}. "
                f"Re-run with --date-format {fmt} (or export ISO dates, e.g. 2025-04-03)."
            )
        return None


class ValueCache:
    """Raw value → normalized value for one column, kept only while the column's values repeat.

    Countries, currencies, lead sources and titles repeat millions of times; ids, emails and
    timestamps rarely do, and memoizing them would only cost memory. After the first few thousand
    lookups a column whose values repeat less than a third of the time stops memoizing.
    """

    __slots__ = ("memo", "lookups", "hits", "active")

    def __init__(self) -> None:
        self.memo: dict[str, Any] = {}
        self.lookups = self.hits = 0
        self.active = True

    def normalize(self, raw: list[str], norm: Any, ctx: nz.Context) -> tuple[list[Any], list[int]]:
        """Normalize a column: (values, positions of values that could not be normalized).

        At a bad position the value is its ``BadValue`` (the reason to quarantine the row).
        """
        out: list[Any] = [None] * len(raw)
        errors: list[int] = []
        if not self.active:
            for j, v in enumerate(raw):
                if v:
                    try:
                        out[j] = norm(v, ctx)
                    except nz.BadValue as e:
                        out[j] = e
                        errors.append(j)
            return out, errors
        memo, hits, lookups = self.memo, 0, 0
        for j, v in enumerate(raw):
            if not v:
                continue
            lookups += 1
            hit = memo.get(v, _MISSING)
            if hit is _MISSING:
                try:
                    hit = norm(v, ctx)
                except nz.BadValue as e:
                    hit = e
                if len(memo) < _CACHE_LIMIT:
                    memo[v] = hit
            else:
                hits += 1
            out[j] = hit
            if hit.__class__ is nz.BadValue:
                errors.append(j)
        self.lookups += lookups
        self.hits += hits
        if self.lookups >= 5_000 and self.hits * 3 < self.lookups:
            self.active = False
            self.memo = {}
        return out, errors


def _email_domain(value: str, ctx: nz.Context) -> str | None:
    return nz.email_domain(value)


@dataclass
class BatchResult:
    """A normalized batch: canonical rows, refused rows, and date-format evidence."""

    staged: pa.Table
    lines: list[int]  # source line of each staged row
    source_index: list[int]  # its index in the batch's raw rows
    refused: list[tuple[int, str, str, str, list[str]]]  # (line, field, value, reason, raw row)
    dates: dict[str, DateEvidence]


@dataclass
class Normalizer:
    """Everything needed to turn raw rows of one file into canonical rows (picklable)."""

    table_name: str
    system: str
    header: list[str]
    plan: list[Field]
    key_columns: list[str]
    ctx: nz.Context
    run_id: str
    loaded_at: datetime
    caches: dict[str, ValueCache] = field(default_factory=dict)

    @property
    def table(self) -> Table:
        return TABLES[self.table_name]

    def run(self, lines: list[int], rows: list[list[str]]) -> BatchResult:
        n = len(rows)
        cols = list(zip(*rows, strict=True))
        out: dict[str, list[Any]] = {}
        bad: dict[int, tuple[str, str, str]] = {}
        dates: dict[str, DateEvidence] = {}
        check_dates = self.ctx.date_format is None
        for f in self.plan:
            raw = raw_column(f, cols, n)
            if f.kind == "derived":
                continue
            if not f.rules:  # the file has no column for this field
                out[f.column] = [None] * n
                continue
            if f.kind == "ref":
                out[f.column] = [f.ref_prefix + v if v else None for v in raw]
                continue
            cache = self.caches.setdefault(f.column, ValueCache())
            ev = DateEvidence(f.label(self.header)) if check_dates and f.kind in ("timestamp", "date") else None
            if ev is not None:
                for j, v in enumerate(raw):
                    if v and v[4:5] != "-":  # ISO 8601 values have one reading: skip them
                        ev.see(v, lines[j])
            values, errors = cache.normalize(raw, nz.NORMALIZERS[f.kind], self.ctx)
            for j in errors:
                bad.setdefault(j, (f.column, raw[j], f"bad {f.column}: {values[j]}"))
                values[j] = None
            out[f.column] = values
            if ev is not None and (ev.first or ev.n_ambiguous):
                dates[f.column] = ev
        self._derive(out)
        ext = out["external_id"]
        for j in range(n):
            if j not in bad and not ext[j]:
                bad[j] = ("external_id", "", f"missing id: the row has no {'/'.join(self.key_columns)}")
        keep = [j for j in range(n) if j not in bad]
        refused = [(lines[j], c, v, reason, rows[j]) for j, (c, v, reason) in sorted(bad.items())]
        return BatchResult(self._stage(out, keep), [lines[j] for j in keep], keep, refused, dates)

    def _derive(self, out: dict[str, list[Any]]) -> None:
        if self.table_name == "contacts":
            cache = self.caches.setdefault("email_domain", ValueCache())
            out["email_domain"] = cache.normalize([e or "" for e in out["email"]], _email_domain, self.ctx)[0]
        if self.table_name == "accounts":
            out["domain"] = [
                d or (nz.domain(w, self.ctx) if w else None) for d, w in zip(out["domain"], out["website"], strict=True)
            ]

    def _stage(self, out: dict[str, list[Any]], keep: list[int]) -> pa.Table:
        ext = out["external_id"]
        every = len(keep) == len(ext)
        prefix = f"{self.system}:"
        columns: list[list[Any]] = [[prefix + ext[j] for j in keep], [self.system] * len(keep)]
        for c in self.table.data_columns:
            if c not in ("id", "source_system"):
                src = out[c]
                columns.append(src if every else [src[j] for j in keep])
        # The hash is only ever compared with hashes made here, so repr() of the Python values is a
        # stable, fast input (no per-value formatting).
        blake = hashlib.blake2b
        hashes = [blake(repr(row).encode(), digest_size=12).hexdigest() for row in zip(*columns, strict=True)]
        columns += [hashes, [self.run_id] * len(keep), [self.loaded_at] * len(keep)]
        return to_arrow(self.table, columns)
