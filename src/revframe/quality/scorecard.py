"""Scorecards of a quality scan: completeness, validity, duplicate rate and staleness per scope.

Scopes are the object (a table), each field the rules name, and for tables with an ``owner_id``
each owner and each team (``users.team``). Every measure is a share between 0 and 1, or ``None``
when nothing was there to measure (an empty table, an object without required fields...).

- completeness: required values present / (records x required fields)
- validity: present values passing their format, pattern, allowed-values, naming and reference
  rules / present values those rules check
- duplicate rate: records in an open duplicate cluster of the object's latest dedupe run / records
- staleness: records not updated within ``stale_after_days`` / records

One grouped query per table counts records and present values per owner; the findings already
written to ``quality_issues`` give the rest, so a score and its issues always agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from revframe.quality.dedupe import latest_run
from revframe.quality.scan_rules import VALIDITY_RULES, Plan
from revframe.store import Store
from revframe.store.schema import TABLES

MEASURES = ("completeness", "validity", "duplicate_rate", "staleness")
Key = tuple[str, str | None, str | None, str | None, str | None]  # scope, object, field, owner_id, team


@dataclass
class Tally:
    """Numerators and denominators of one scope's measures (additive, so owners sum to teams and objects)."""

    records: int = 0
    required_slots: int = 0
    missing: int = 0
    present: int = 0
    invalid: int = 0
    stale: int = 0
    duplicates: int = 0
    issues: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Counts:
    """What one table's scan found, per owner (``None``: unowned, or a table without owners)."""

    by_owner: dict[str | None, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_field: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(1 - part / whole, 6)


def measures(t: Tally, *, required: bool, validated: bool, stale: bool, dedupe: bool) -> dict[str, float | None]:
    """The four measures of a tally; ``None`` for a measure the rules do not ask for or with nothing to count."""
    return {
        "completeness": _share(t.missing, t.required_slots) if required else None,
        "validity": _share(t.invalid, t.present) if validated else None,
        "duplicate_rate": round(t.duplicates / t.records, 6) if dedupe and t.records else None,
        "staleness": round(t.stale / t.records, 6) if stale and t.records else None,
    }


def _table_counts(store: Store, obj: str, plan: Plan, issues: list[tuple[Any, ...]]) -> tuple[_Counts, bool]:
    """Per owner and field of ``obj``: records, present values, and the findings; whether a dedupe run exists."""
    owned = "owner_id" in TABLES[obj].column_names
    owner = "t.owner_id" if owned else "CAST(NULL AS VARCHAR)"
    validated = plan.validated.get(obj, [])
    present = "".join(f", count(t.{f})" for f in validated)
    group = " GROUP BY t.owner_id" if owned else ""
    out = _Counts()
    required = plan.required.get(obj, [])
    records = 0
    for row in store.query(f"SELECT {owner}, count(*){present} FROM {obj} AS t{group}"):
        tally = out.by_owner[row[0]]
        records += int(row[1])
        tally.records += int(row[1])
        tally.required_slots += int(row[1]) * len(required)
        for i, f in enumerate(validated):
            tally.present += int(row[2 + i])
            out.by_field[f].present += int(row[2 + i])
    for f in {*required, *validated}:
        out.by_field[f].records = records
        out.by_field[f].required_slots = records if f in required else 0
    run = latest_run(store, obj)
    if run is not None:
        sql = (
            f"SELECT {owner}, count(DISTINCT t.id) FROM {obj} AS t JOIN duplicate_clusters AS d ON d.record_id = t.id "
            f"WHERE d.run_id = ? AND d.status = 'open'{group}"
        )
        for own, n in store.query(sql, [run]):
            out.by_owner[own].duplicates += int(n)
    for _obj, f, rule, own, n in (r for r in issues if r[0] == obj):
        tally, per_field = out.by_owner[own], out.by_field[f]
        tally.issues += int(n)
        per_field.issues += int(n)
        if rule == "required":
            tally.missing += int(n)
            per_field.missing += int(n)
        elif rule in VALIDITY_RULES:
            tally.invalid += int(n)
            per_field.invalid += int(n)
        elif rule == "stale":
            tally.stale += int(n)
    return out, run is not None


def compute_scores(store: Store, plan: Plan, scan_id: str, objects: list[str]) -> list[dict[str, Any]]:
    """The scorecard rows of a scan whose findings are already in ``quality_issues``.

    Returns one dict per scope with ``scope, object, field, owner_id, team, records``, the four
    measures and ``issues`` (the ``quality_scores`` columns but the scan id and time); owner rows
    also carry ``owner_name``.
    """
    issues = store.query(
        "SELECT object, field, rule, owner_id, count(DISTINCT record_id) FROM quality_issues WHERE scan_id = ? "
        "GROUP BY object, field, rule, owner_id",
        [scan_id],
    )
    users = {str(r[0]): (r[1], r[2]) for r in store.query("SELECT id, name, team FROM users")}
    teams = {uid: team for uid, (_name, team) in users.items()}
    rows: list[dict[str, Any]] = []
    for obj in objects:
        counts, dedupe = _table_counts(store, obj, plan, issues)
        kind = {"required": bool(plan.required.get(obj)), "validated": bool(plan.validated.get(obj))}
        stale = obj in plan.stale
        total = Tally()
        by_team: dict[str | None, Tally] = defaultdict(Tally)
        for own, tally in counts.by_owner.items():
            total.add(tally)
            by_team[teams.get(own) if own is not None else None].add(tally)
        rows.append(_row("object", obj, None, None, None, total, **kind, stale=stale, dedupe=dedupe))
        for f, tally in sorted(counts.by_field.items()):
            is_required, is_validated = f in plan.required.get(obj, []), f in plan.validated.get(obj, [])
            if is_required or is_validated:
                rows.append(_row("field", obj, f, None, None, tally, is_required, is_validated, False, False))
        if "owner_id" in TABLES[obj].column_names:
            for own, tally in sorted(counts.by_owner.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
                row = _row("owner", obj, None, own, teams.get(own or ""), tally, **kind, stale=stale, dedupe=dedupe)
                rows.append({**row, "owner_name": users.get(own or "", (None, None))[0]})
            for team, tally in sorted(by_team.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
                rows.append(_row("team", obj, None, None, team, tally, **kind, stale=stale, dedupe=dedupe))
    return rows


def _row(
    scope: str,
    obj: str,
    field_name: str | None,
    owner: str | None,
    team: str | None,
    t: Tally,
    required: bool,
    validated: bool,
    stale: bool,
    dedupe: bool,
) -> dict[str, Any]:
    return {
        "scope": scope,
        "object": obj,
        "field": field_name,
        "owner_id": owner,
        "team": team,
        "records": t.records,
        **measures(t, required=required, validated=validated, stale=stale, dedupe=dedupe),
        "issues": t.issues,
    }


def score_key(row: dict[str, Any]) -> Key:
    """What identifies a scorecard row across scans."""
    return (row["scope"], row["object"], row["field"], row["owner_id"], row["team"])


def previous_scores(store: Store, scan_id: str, depth: int = 10) -> dict[Key, dict[str, Any]]:
    """The latest earlier score of each key, from the last ``depth`` finished scans before ``scan_id``.

    A scan of a few objects (``--object``) does not hide the scores of the others: each row
    compares against the last scan that scored it.
    """
    cols = "scope, object, field, owner_id, team, records, completeness, validity, duplicate_rate, staleness, issues"
    scans = store.query(
        f"SELECT scan_id FROM quality_scans WHERE status = 'done' AND scan_id <> ? ORDER BY started_at DESC "
        f"LIMIT {int(depth)}",
        [scan_id],
    )
    out: dict[Key, dict[str, Any]] = {}
    for (earlier,) in scans:  # newest first: keep the first score seen of each key
        for r in store.query(f"SELECT {cols} FROM quality_scores WHERE scan_id = ?", [earlier]):
            row = dict(zip(cols.split(", "), r, strict=True))
            out.setdefault(score_key(row), row)
    return out


def with_trend(rows: list[dict[str, Any]], before: dict[Key, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with ``<measure>_delta`` and ``issues_delta`` against the earlier scan (``None`` if not comparable)."""
    out = []
    for row in rows:
        prev = before.get(score_key(row))
        trend: dict[str, Any] = {}
        for m in (*MEASURES, "issues"):
            now, then = row[m], prev[m] if prev else None
            delta = None if now is None or then is None else round(float(now) - float(then), 6)
            trend[f"{m}_delta"] = int(delta) if m == "issues" and delta is not None else delta
        out.append({**row, **trend})
    return out


def score_rows(rows: list[dict[str, Any]], scan_id: str, computed_at: datetime) -> list[tuple[Any, ...]]:
    """Scorecard rows as ``quality_scores`` rows."""
    return [
        (scan_id, r["scope"], r["object"], r["field"], r["owner_id"], r["team"], r["records"],
         *(r[m] for m in MEASURES), r["issues"], computed_at)
        for r in rows
    ]  # fmt: skip
