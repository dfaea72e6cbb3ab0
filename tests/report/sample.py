"""Hand-built metric runs, SLA and quality data for the report tests (no store, no metrics engine).

The values are shaped like a real B2B SaaS company's: a funnel with its counts, pipeline by stage,
an ARR waterfall that reconciles, deal cycles by segment, lead response statistics. On purpose,
some are missing: ``net_revenue_retention`` is empty with a note this period, ``logo_churn`` has no
row at all in the prior period, and the trend has a gap.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from revframe.framework import Spec
from revframe.metrics.model import MetricResult, MetricRow, MetricRun, Period
from revframe.report.data import QualityData, SlaData
from revframe.report.periods import trend_periods

NRR_NOTE = "no customers were active 12 months before the period"
BASE = {  # a plausible headline value per metric (percent metrics in points, like their targets)
    "pipeline_value": 4_850_000, "pipeline_coverage": 3.4, "pipeline_velocity": 21_500, "win_rate": 23.5,
    "win_rate_amount": 27.9, "avg_deal_size": 48_200, "bookings": 1_420_000, "arr": 18_300_000,
    "revenue_per_account": 61_000, "net_revenue_retention": 112.0, "gross_revenue_retention": 91.5,
    "logo_churn": 1.4, "marketing_sourced_revenue": 512_000, "mql_to_sql_conversion": 31.0,
    "sql_to_opportunity_conversion": 44.0, "time_in_stage": 14.0, "rep_activity": 1_840,
    "lead_source_quality": 12.0, "content_engagement_by_stage": 2.6, "onboarding_completion": 81.0,
}  # fmt: skip
STAGES = {"discovery": 1_350_000, "qualification": 1_100_000, "solution": 980_000, "proposal": 820_000,
          "negotiation": 600_000}  # fmt: skip
SEGMENTS = {"smb": 24.0, "mid_market": 47.0, "enterprise": 96.0}
BREAKDOWNS = {
    "stage_conversion": ("stage", {"discovery": 62.0, "qualification": 55.0, "solution": 48.0, "proposal": 41.0}),
    "health_score_distribution": ("band", {"healthy": 58.0, "neutral": 27.0, "at_risk": 15.0}),
    "feature_adoption": ("feature", {"dashboards": 71.0, "alerts": 44.0, "api": 23.0}),
}
RATES = [{"currency": "EUR", "rate": 1.0842, "valid_from": "2026-01-01", "rows": 118},
         {"currency": "GBP", "rate": 1.2710, "valid_from": "2026-01-01", "rows": 64}]  # fmt: skip


def _result(spec: Spec, mid: str, by: list[str] | None = None) -> MetricResult:
    known = {m.id: m for m in spec.metrics}
    m = known.get(mid)
    if m is None:  # e.g. arr_waterfall, computed by the engine without a spec entry
        return MetricResult(mid, mid.replace("_", " ").capitalize(), 1, "currency", "up", None, "", "stripe", "cfo",
                            by or [])  # fmt: skip
    return MetricResult(mid, m.name, m.tier, m.unit, m.direction, m.target, m.definition, m.system_of_record,
                        m.owner, by or [])  # fmt: skip


def _row(mid: str, p: Period, value: float | None, dims: dict[str, str] | None = None, **kw: object) -> MetricRow:
    return MetricRow(mid, p, dims or {}, value, **kw)  # type: ignore[arg-type]


def sample_runs(spec: Spec, period: Period, *, rates: bool = True) -> list[MetricRun]:
    """A run over the trend periods, one of the deal cycle by segment, and the pipeline of the next period."""
    rnd = random.Random(7)
    trend = trend_periods(period)
    prior = period.previous()
    main = MetricRun("run-sample-1", "duckdb", period.grain, trend, [], spec.company.currency,
                     datetime(2026, 10, 1, 8, 0, tzinfo=UTC), rates=RATES if rates else [],
                     notes=["amounts in EUR and GBP converted at the rates below"])  # fmt: skip
    for mid, base in BASE.items():
        res = main.results[mid] = _result(spec, mid)
        for i, p in enumerate(trend):
            if mid == "logo_churn" and p == prior:
                continue  # a period with no data at all
            if mid == "win_rate" and i == 3:
                continue  # a gap in the trend
            value: float | None = round(base * (0.85 + 0.02 * i + rnd.uniform(-0.04, 0.04)), 2)
            note = None
            if mid == "net_revenue_retention" and p == period:
                value, note = None, NRR_NOTE
            if mid == "mql_to_sql_conversion":
                den = 340 + 6 * i
                num = round(den * (value or 0) / 100)
                res.rows.append(_row(mid, p, 100 * num / den, numerator=num, denominator=den, n=den))
                continue
            if mid == "sql_to_opportunity_conversion":
                den = 110 + 2 * i
                num = round(den * (value or 0) / 100)
                res.rows.append(_row(mid, p, 100 * num / den, numerator=num, denominator=den, n=den))
                continue
            res.rows.append(_row(mid, p, value, note=note))
    main.results["win_rate"].notes.append("closed opportunities without an amount count by number only")
    lrt = main.results["lead_response_time"] = _result(spec, "lead_response_time")
    for p, median, p90 in ((period, 26.0, 118.0), (prior, 34.0, 151.0)):
        lrt.rows += [_row("lead_response_time", p, median, {"statistic": "median"}, n=212),
                     _row("lead_response_time", p, p90, {"statistic": "p90"}, n=212)]  # fmt: skip
    ahead = MetricRun("run-sample-3", "duckdb", period.grain, [period.next()], [], spec.company.currency,
                      datetime(2026, 10, 1, 8, 0, tzinfo=UTC))  # fmt: skip
    value = ahead.results["pipeline_value"] = _result(spec, "pipeline_value")
    value.rows.append(_row("pipeline_value", period.next(), sum(STAGES.values()), n=200))
    for stage, amount in STAGES.items():
        value.rows.append(_row("pipeline_value", period.next(), amount, {"stage": stage}, n=40))
    coverage = ahead.results["pipeline_coverage"] = _result(spec, "pipeline_coverage")
    coverage.rows.append(_row("pipeline_coverage", period.next(), 2.6))
    wf = main.results["arr_waterfall"] = _result(spec, "arr_waterfall")
    for comp, v in (("start", 17_900_000), ("new", 520_000), ("expansion", 260_000), ("contraction", -110_000),
                    ("churn", -270_000), ("end", 18_300_000)):  # fmt: skip
        wf.rows.append(_row("arr_waterfall", period, v, {"component": comp}))
    for mid, (key, values) in BREAKDOWNS.items():
        res = main.results[mid] = _result(spec, mid)
        for p in (prior, period):
            res.rows += [_row(mid, p, v, {key: k}) for k, v in values.items()]
    cycle = main.results["deal_cycle_length"] = _result(spec, "deal_cycle_length")
    cycle.rows += [_row("deal_cycle_length", period, 41.0, n=37), _row("deal_cycle_length", prior, 45.0, n=33)]
    by_segment = MetricRun("run-sample-2", "duckdb", period.grain, [prior, period], ["segment"],
                           spec.company.currency, datetime(2026, 10, 1, 8, 0, tzinfo=UTC))  # fmt: skip
    seg = by_segment.results["deal_cycle_length"] = _result(spec, "deal_cycle_length", ["segment"])
    for s, days in SEGMENTS.items():
        seg.rows.append(_row("deal_cycle_length", period, days, {"segment": s}, n=12))
        seg.rows.append(_row("deal_cycle_length", prior, days * 1.1 if s != "enterprise" else None, {"segment": s},
                             n=10, note=None if s != "enterprise" else "no enterprise deal closed won"))  # fmt: skip
    return [main, by_segment, ahead]


def empty_runs(spec: Spec, period: Period) -> list[MetricRun]:
    """What the engine returns on an empty store: every metric computed, every row without a value."""
    run = MetricRun("run-empty", "duckdb", period.grain, trend_periods(period), [], spec.company.currency,
                    datetime(2026, 10, 1, tzinfo=UTC))  # fmt: skip
    for m in spec.metrics:
        res = run.results[m.id] = _result(spec, m.id)
        for p in (period.previous(), period):
            res.rows.append(_row(m.id, p, None, note="no records in the period"))
    return [run]


def sample_sla() -> SlaData:
    def counts(clocks: int, met: int, breached: int, p50: float, p90: float) -> dict[str, object]:
        return {"clocks": clocks, "met": met, "breached": breached, "open": clocks - met - breached, "paused": 0,
                "reassigned": 0, "compliance_pct": round(100 * met / (met + breached), 1), "responded": met,
                "p50_hours": p50, "p90_hours": p90}  # fmt: skip

    handoffs = [
        {"id": "marketing_to_sales", "name": "Marketing to sales (MQL)", "to_team": "sdr"}
        | counts(214, 181, 21, 0.6, 3.9) | {"prior_compliance_pct": 84.0},
        {"id": "sales_to_cs", "name": "Sales to customer success", "to_team": "customer_success"}
        | counts(37, 35, 2, 5.5, 20.1) | {"prior_compliance_pct": 96.0},
    ]  # fmt: skip
    teams = [{"team": "sdr"} | counts(214, 181, 21, 0.6, 3.9) | {"prior_compliance_pct": 84.0},
             {"team": "customer_success"} | counts(37, 35, 2, 5.5, 20.1) | {"prior_compliance_pct": 96.0}]  # fmt: skip
    return SlaData(4_312, datetime(2026, 10, 1, 7, 30, tzinfo=UTC), handoffs, teams)


def sample_quality() -> QualityData:
    def row(obj: str, records: int, comp: float, valid: float, dup: float | None, stale: float, issues: int,
            delta: float | None) -> dict[str, object]:  # fmt: skip
        return {"scope": "object", "object": obj, "field": None, "owner_id": None, "team": None, "records": records,
                "completeness": comp, "validity": valid, "duplicate_rate": dup, "staleness": stale, "issues": issues,
                "completeness_delta": delta, "validity_delta": None, "duplicate_rate_delta": -0.012 if dup else None,
                "staleness_delta": None, "issues_delta": -41 if delta else None}  # fmt: skip

    return QualityData(
        "scan-20261001T070000Z-abc123", datetime(2026, 10, 1, 7, 0, tzinfo=UTC), "scan-20260901T070000Z-def456",
        [row("accounts", 1_204, 0.972, 0.991, 0.031, 0.08, 212, 0.004),
         row("contacts", 18_433, 0.931, 0.962, 0.044, 0.12, 3_409, 0.011),
         row("opportunities", 2_310, 0.988, 1.0, None, 0.05, 61, None)],
        [{"object": "contacts", "rule": "format", "severity": "error", "issues": 1_204},
         {"object": "contacts", "rule": "required", "severity": "warning", "issues": 988}],
    )  # fmt: skip
