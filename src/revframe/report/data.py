"""What a cadence report is made of, read from the store: metric runs, SLA clocks, the quality scorecard.

:func:`build_report_data` is the only part that touches the store; everything after it
(:mod:`revframe.report.render`) is a pure function of :class:`ReportData`, so the report can be
rendered and tested from hand-built runs. The SLA section reads the clocks ``revframe sla`` keeps
(it never runs them: a report must not fire escalations), and the quality section the latest
scan's scorecard, both summarized with the same functions their own commands use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from revframe.metrics.model import MetricRun, Period
from revframe.report.periods import GRAIN, report_period, trend_periods

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.metrics import Cadence, Metric
    from revframe.store import Store

FUNNEL = ("mql_to_sql_conversion", "sql_to_opportunity_conversion")
PIPELINE, COVERAGE = "pipeline_value", "pipeline_coverage"
WATERFALL = "arr_waterfall"
CYCLE = "deal_cycle_length"
RESPONSE = "lead_response_time"
SECTION_METRICS = (*FUNNEL, PIPELINE, COVERAGE, WATERFALL, CYCLE, RESPONSE)
"""Metrics the report's fixed sections read, whatever the cadence covers."""
AHEAD = (PIPELINE, COVERAGE)
"""Metrics the pipeline section reads for the period *after* the report's: the pipeline still to close.

The store holds opportunities as they are now, so the open pipeline of a finished period is only
what slipped past its close date; a review looks at what is left to close next."""


@dataclass
class SlaData:
    """Handoff SLA clocks whose leg started in the period (and the prior one), summarized as ``revframe sla`` does."""

    clocks_in_store: int
    last_updated: datetime | None
    handoffs: list[dict[str, Any]]
    """Per handoff: ``id``, ``name``, ``to_team``, the period's counts, ``compliance_pct``, ``p50_hours``,
    ``p90_hours`` and ``prior_compliance_pct``."""
    by_team: list[dict[str, Any]]
    """Per team: the period's counts and compliance, and ``prior_compliance_pct``."""


@dataclass
class QualityData:
    """The latest quality scan's scorecard per object, with its trend against the scan before."""

    scan_id: str
    scanned_at: datetime
    previous_scan_id: str | None
    objects: list[dict[str, Any]]
    """``quality_scores`` rows of scope ``object`` with ``<measure>_delta`` (as ``revframe quality scan`` shows)."""
    top_rules: list[dict[str, Any]]
    """The rules with the most findings: ``object``, ``rule``, ``severity``, ``issues``."""


@dataclass
class ReportData:
    """Everything one cadence report shows; rendering it needs nothing else."""

    company: str
    currency: str
    framework_version: str
    cadence: Cadence
    period: Period
    prior: Period
    upcoming: Period
    """The period after the report's: the pipeline section's open pipeline is the one expected to close in it."""
    trend: list[Period]
    generated_at: datetime
    metrics: dict[str, Metric]
    """The spec's definitions of every metric the report reads (name, tier, unit, direction, target)."""
    runs: list[MetricRun]
    labels: dict[str, dict[str, str]]
    """Display names of dimension values and roles: ``segment``, ``stage`` (in pipeline order), ``role``."""
    sla: SlaData | None = None
    quality: QualityData | None = None
    notes: list[str] = field(default_factory=list)
    attribution: dict[str, Any] | None = None
    """The attribution page (:func:`revframe.attribution.report_page.attribution_page`); None: not computed."""


def labels_from_spec(spec: Spec) -> dict[str, dict[str, str]]:
    """Names the report prints instead of ids: segments, pipeline stages (in order), roles, teams."""
    stages = sorted(spec.pipeline.stages, key=lambda s: s.order)
    return {
        "segment": {s.id: s.name for s in spec.company.segments},
        "stage": {s.id: s.name for s in stages},
        "role": {r.id: r.name for r in spec.people.roles},
        "team": {t.id: t.name for t in spec.people.teams},
    }


def report_data(spec: Spec, cadence: Cadence, period: Period, runs: list[MetricRun], *,
                generated_at: datetime | None = None, sla: SlaData | None = None,
                quality: QualityData | None = None, notes: list[str] | None = None,
                attribution: dict[str, Any] | None = None) -> ReportData:  # fmt: skip
    """Assemble a :class:`ReportData` from runs already computed (the pure half of :func:`build_report_data`)."""
    return ReportData(
        company=spec.company.name, currency=spec.company.currency, framework_version=spec.version,
        cadence=cadence, period=period, prior=period.previous(), upcoming=period.next(), trend=trend_periods(period),
        generated_at=generated_at or datetime.now(UTC), metrics={m.id: m for m in spec.metrics}, runs=runs,
        labels=labels_from_spec(spec), sla=sla, quality=quality, notes=list(notes or []), attribution=attribution,
    )  # fmt: skip


def build_report_data(store: Store, spec: Spec, cadence: Cadence, as_of: date | None = None) -> ReportData:
    """Compute the metrics the cadence's report needs and read the SLA clocks and quality scorecard.

    Args:
        store: the canonical store.
        spec: the framework spec.
        cadence: the review (see :func:`revframe.report.periods.resolve_cadence`).
        as_of: the report covers the last complete period before this date (default today).

    Returns:
        The report's data; :func:`revframe.report.render.render_html` turns it into the report.
    """
    from revframe.metrics.compute import compute_metrics

    tz = ZoneInfo(spec.company.timezone)
    period = report_period(GRAIN[cadence.frequency], as_of or datetime.now(tz).date(),
                           spec.company.fiscal_year_start_month)  # fmt: skip
    trend = trend_periods(period)
    known = {m.id for m in spec.metrics}
    wanted = list(dict.fromkeys([*cadence.covers.metrics, *SECTION_METRICS]))
    ids = [m for m in wanted if m in known]
    notes = [
        f"{m}: not a metric of this framework spec, so its section is empty; define it under `metrics:`"
        for m in wanted
        if m not in known
    ]
    if cadence.frequency == "biweekly":
        notes.append(f"{cadence.id} meets every two weeks; the report covers the last complete week")
    last_day = period.end - timedelta(days=1)
    runs = [compute_metrics(store, spec, ids=ids, grain=period.grain, start=trend[0].start, end=last_day)]
    if CYCLE in known:  # by segment, for this period and the prior one
        runs.append(compute_metrics(store, spec, ids=[CYCLE], by=["segment"], grain=period.grain,
                                    start=period.previous().start, end=last_day))  # fmt: skip
    ahead, upcoming = [m for m in AHEAD if m in known], period.next()
    if ahead:
        until = upcoming.end - timedelta(days=1)
        runs.append(compute_metrics(store, spec, ids=ahead, grain=period.grain, start=upcoming.start, end=until))
        if PIPELINE in known:
            runs.append(compute_metrics(store, spec, ids=[PIPELINE], by=["stage"], grain=period.grain,
                                        start=upcoming.start, end=until))  # fmt: skip
    attribution = None
    if "attribution" in cadence.report_sections:
        from revframe.attribution.report_page import attribution_page

        attribution = attribution_page(store, spec, period.start, period.end)
    return report_data(spec, cadence, period, runs, sla=read_sla(store, spec, period, tz),
                       quality=read_quality(store), notes=notes, attribution=attribution)  # fmt: skip


def _utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tz).astimezone(UTC)


def read_sla(store: Store, spec: Spec, period: Period, tz: ZoneInfo) -> SlaData | None:
    """The clocks whose leg started in ``period`` (and in the prior one, for the comparison); None if no clocks."""
    from revframe.process.sla_clocks import COLUMNS, Leg
    from revframe.process.sla_report import summarize

    count, last = store.query("SELECT count(*), max(updated_at) FROM sla_clocks")[0]
    if not count:
        return None
    prior = period.previous()
    rows = store.query(
        f"SELECT {COLUMNS} FROM sla_clocks WHERE started_at >= ? AND started_at < ?",
        [_utc(prior.start, tz), _utc(period.end, tz)],
    )
    legs = [Leg.from_row(r) for r in rows]
    split = _utc(period.start, tz)
    now = [leg for leg in legs if leg.started_at >= split]
    before = [leg for leg in legs if leg.started_at < split]
    handoffs = []
    for h in spec.handoffs:
        mine = [leg for leg in now if leg.handoff_id == h.id]
        then = summarize([leg for leg in before if leg.handoff_id == h.id])
        handoffs.append({"id": h.id, "name": h.name, "to_team": h.to_team} | summarize(mine)
                        | {"prior_compliance_pct": then["compliance_pct"]})  # fmt: skip
    teams = sorted({leg.team or "-" for leg in legs})
    by_team = [
        {"team": t} | summarize([x for x in now if (x.team or "-") == t])
        | {"prior_compliance_pct": summarize([x for x in before if (x.team or "-") == t])["compliance_pct"]}
        for t in teams
    ]  # fmt: skip
    if isinstance(last, datetime) and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return SlaData(int(count), last if isinstance(last, datetime) else None, handoffs, by_team)


def read_quality(store: Store) -> QualityData | None:
    """The latest finished scan's object scorecard with its trend, and its top rules; None before the first scan."""
    from revframe.quality.scan import latest_scan_id
    from revframe.quality.scorecard import previous_scores, with_trend

    scan_id = latest_scan_id(store)
    if scan_id is None:
        return None
    cols = "scope, object, field, owner_id, team, records, completeness, validity, duplicate_rate, staleness, issues"
    rows = [
        dict(zip(cols.split(", "), r, strict=True))
        for r in store.query(
            f"SELECT {cols} FROM quality_scores WHERE scan_id = ? AND scope = 'object' ORDER BY object", [scan_id]
        )
    ]
    for r in rows:
        r["records"], r["issues"] = int(r["records"] or 0), int(r["issues"] or 0)
    finished = store.query("SELECT finished_at FROM quality_scans WHERE scan_id = ?", [scan_id])[0][0]
    earlier = store.query(
        "SELECT scan_id FROM quality_scans WHERE status = 'done' AND started_at < "
        "(SELECT started_at FROM quality_scans WHERE scan_id = ?) ORDER BY started_at DESC LIMIT 1",
        [scan_id],
    )
    top = [
        {"object": o, "rule": rule, "severity": sev, "issues": int(n)}
        for o, rule, sev, n in store.query(
            "SELECT object, rule, severity, count(*) FROM quality_issues WHERE scan_id = ? "
            "GROUP BY object, rule, severity ORDER BY 4 DESC, 1, 2 LIMIT 8",
            [scan_id],
        )
    ]
    if isinstance(finished, datetime) and finished.tzinfo is None:
        finished = finished.replace(tzinfo=UTC)
    return QualityData(
        scan_id, finished, str(earlier[0][0]) if earlier else None,
        with_trend(rows, previous_scores(store, scan_id)), top,
    )  # fmt: skip
