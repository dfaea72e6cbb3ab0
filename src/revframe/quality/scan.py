"""The quality scan: run the spec's data rules on the store, keep the findings and a scorecard snapshot.

A scan runs one set-based ``INSERT ... SELECT`` per rule into ``quality_issues`` (see
``revframe.quality.scan_rules`` for what each rule checks), then computes the scorecard into
``quality_scores`` and records itself in ``quality_scans``, all in one transaction: a failed scan
leaves no trace, and every finished scan stays as a snapshot the next one compares against.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.framework.suggest import did_you_mean, one_of
from revframe.quality.scan_rules import Check, plan_checks, stage_name_findings
from revframe.quality.scorecard import compute_scores, previous_scores, score_rows, with_trend
from revframe.store.schema import DATA_TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store


@dataclass
class ScanReport:
    """What a scan did: its id, the counts of findings, and the scorecard with its trend.

    Attributes:
        scan_id: id of the scan (``quality_issues.scan_id``).
        as_of: the time staleness is measured against.
        started_at: when the scan started.
        finished_at: when it finished.
        objects: the tables scanned.
        records_scanned: rows of those tables.
        issues: findings written.
        counts: findings per object, rule and severity.
        scores: the scorecard rows, each with ``<measure>_delta`` against the previous scan.
        previous_scan_id: the scan before this one (``None`` for the first scan); each score
            compares against the last earlier scan that scored it.
        notes: rules the scan skipped, and why.
    """

    scan_id: str
    as_of: datetime
    started_at: datetime
    finished_at: datetime
    objects: list[str]
    records_scanned: int
    issues: int
    counts: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    previous_scan_id: str | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``revframe quality scan --format json`` prints)."""
        return {
            "scan_id": self.scan_id,
            "as_of": self.as_of.isoformat(),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "seconds": round((self.finished_at - self.started_at).total_seconds(), 3),
            "objects": self.objects,
            "records_scanned": self.records_scanned,
            "issues": self.issues,
            "counts": self.counts,
            "scorecard": self.scores,
            "trend": {"previous_scan_id": self.previous_scan_id},
            "notes": self.notes,
        }


def parse_as_of(value: str | date | datetime | None) -> datetime:
    """The as-of time: now by default; a date means the end of that day (UTC).

    Examples:
        >>> parse_as_of("2026-09-30").isoformat()
        '2026-09-30T23:59:59.999999+00:00'
    """
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"--as-of '{value}': not a date; write it as YYYY-MM-DD (e.g. 2026-09-30)") from None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.max, UTC)


def _objects(objects: list[str] | None) -> list[str]:
    for obj in objects or []:
        if obj not in DATA_TABLES:
            raise UsageError(f"--object '{obj}': not a canonical object; {did_you_mean(obj, DATA_TABLES)}"
                             f"objects: {one_of(DATA_TABLES)}")  # fmt: skip
    return [t for t in DATA_TABLES if not objects or t in objects]


def _run_check(store: Store, check: Check, scan_id: str, found_at: datetime) -> None:
    """Write the findings of one check: one INSERT ... SELECT, or suspects tested once per distinct value."""
    head = [scan_id, check.object, check.field, check.rule, check.severity]
    if check.test is None:
        select = (
            f"SELECT CAST(? AS VARCHAR), CAST(? AS VARCHAR), t.id, CAST(? AS VARCHAR), CAST(? AS VARCHAR), "
            f"CAST(? AS VARCHAR), {check.value_sql}, CAST(? AS VARCHAR), {check.owner_sql}, CAST(? AS TIMESTAMPTZ) "
            f"FROM {check.object} AS t WHERE {check.where}"
        )
        store.insert_select("quality_issues", select, [*head, check.message, found_at, *check.params])
        return
    suspects = store.query(
        f"SELECT t.id, {check.value_sql}, {check.owner_sql} FROM {check.object} AS t WHERE {check.where}",
        list(check.params),
    )
    verdict: dict[str, bool] = {}
    rows = []
    for record_id, value, owner in suspects:
        ok = verdict.get(value)
        if ok is None:
            ok = verdict[value] = check.test(value)
        if not ok:
            rows.append((*head[:2], record_id, *head[2:], value, check.message, owner, found_at))
    store.insert_rows("quality_issues", rows)


def scan(
    store: Store,
    spec: Spec,
    *,
    objects: list[str] | None = None,
    as_of: str | date | datetime | None = None,
    framework_version: str = "",
) -> ScanReport:
    """Run the spec's data rules on the store; keep the findings and a scorecard snapshot.

    Args:
        store: the canonical store.
        spec: the framework spec (its ``data_rules`` and lifecycle stages).
        objects: tables to scan (default: every data table).
        as_of: when staleness is measured (default now; a date means the end of that day, UTC).
        framework_version: the spec version, recorded with the scan.

    Returns:
        The scan's report: counts of findings and the scorecard with its trend.

    Examples:
        >>> from revframe import Workspace
        >>> import tempfile
        >>> ws = Workspace.init(tempfile.mkdtemp())
        >>> report = scan(ws.store, ws.spec, as_of="2026-09-30")
        >>> report.issues, report.records_scanned
        (0, 0)
    """
    scanned = _objects(objects)
    when = parse_as_of(as_of)
    started = datetime.now(UTC)
    scan_id = f"scan-{started:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:6]}"
    plan = plan_checks(spec, scanned, when)
    previous_id = latest_scan_id(store)
    with store.transaction():
        for check in plan.checks:
            _run_check(store, check, scan_id, started)
        framework = [
            (scan_id, "framework", name, where, "naming", sev, name, message, None, started)
            for where, name, sev, message in stage_name_findings(spec)
        ]
        store.insert_rows("quality_issues", framework)
        scores = compute_scores(store, plan, scan_id, scanned)
        finished = datetime.now(UTC)
        store.insert_rows("quality_scores", score_rows(scores, scan_id, finished))
        counts = [
            {"object": r[0], "rule": r[1], "severity": r[2], "issues": int(r[3])}
            for r in store.query(
                "SELECT object, rule, severity, count(*) FROM quality_issues WHERE scan_id = ? "
                "GROUP BY object, rule, severity ORDER BY object, rule, severity",
                [scan_id],
            )
        ]
        total = sum(c["issues"] for c in counts)
        records = sum(int(store.query(f"SELECT count(*) FROM {t}")[0][0]) for t in scanned)
        store.insert_rows("quality_scans", [(scan_id, started, finished, framework_version, records, total, "done")])
    trend = with_trend(scores, previous_scores(store, scan_id))
    return ScanReport(scan_id, when, started, finished, scanned, records, total, counts, trend, previous_id, plan.notes)


def latest_scan_id(store: Store) -> str | None:
    """The id of the last finished scan, or ``None`` before the first."""
    rows = store.query("SELECT scan_id FROM quality_scans WHERE status = 'done' ORDER BY started_at DESC LIMIT 1")
    return str(rows[0][0]) if rows else None


def list_issues(
    store: Store,
    *,
    objects: list[str] | None = None,
    rules: list[str] | None = None,
    severity: str | None = None,
    limit: int = 50,
    scan: str | None = None,
) -> tuple[str | None, list[dict[str, Any]]]:
    """Findings of the latest scan, or of ``scan`` (worst first): the scan id and up to ``limit`` findings.

    ``scan`` is a scan id, or ``lifecycle`` for the latest lifecycle run's forbidden moves.
    """
    if scan == "lifecycle":
        rows = store.query(
            "SELECT scan_id FROM quality_issues WHERE scan_id LIKE 'lifecycle-%' ORDER BY found_at DESC LIMIT 1"
        )
        scan_id = rows[0][0] if rows else None
    else:
        scan_id = scan or latest_scan_id(store)
    if scan_id is None:
        return None, []
    where, params = ["scan_id = ?"], [scan_id]
    for column, values in (("object", objects), ("rule", rules), ("severity", [severity] if severity else None)):
        if values:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params += values
    order = "CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, object, rule, field, record_id"
    rows = store.query(
        f"SELECT object, record_id, field, rule, severity, value, message, owner_id FROM quality_issues "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {int(limit)}",
        params,
    )
    keys = ("object", "record_id", "field", "rule", "severity", "value", "message", "owner_id")
    return scan_id, [dict(zip(keys, r, strict=True)) for r in rows]
