"""The metric tables: the tier-1 panel and the compact table of the cadence's other metrics.

Each line reads the metric's headline value (its total, or its median) this period and the prior
one, the change, the spec's target and whether the value meets it in the metric's ``direction``.
A metric reported only per category (stage conversion per stage, health per band) shows that
period's categories as tiny bars instead of a single number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revframe.framework.metrics import TIER_NAMES
from revframe.metrics.sql import scaled_target
from revframe.report import charts
from revframe.report.data import COVERAGE, CYCLE, FUNNEL, PIPELINE, RESPONSE, WATERFALL
from revframe.report.fmt import change, fmt_value, on_target, tone
from revframe.report.lookup import Cell, dim_label, dim_rank
from revframe.report.periods import short_label

if TYPE_CHECKING:
    from revframe.framework.metrics import Metric
    from revframe.report.data import ReportData
    from revframe.report.lookup import Footnotes, MetricLookup

SECTION_OF = {
    **dict.fromkeys(FUNNEL, "funnel"), PIPELINE: "pipeline", COVERAGE: "pipeline", WATERFALL: "arr",
    CYCLE: "cycle", RESPONSE: "response",
}  # fmt: skip
"""Which section shows a metric in detail (the compact table links to it)."""
MINIBARS = 6
"""Categories a per-category metric shows in the compact table (the largest)."""


def status_of(value: float | None, target: float | None, direction: str) -> dict[str, str]:
    """The on-target badge: ``on`` / ``off`` with its words, or nothing without a value or a target."""
    hit = on_target(value, target, direction)
    if hit is None:
        return {"cls": "", "text": ""}
    return {"cls": "on", "text": "on target"} if hit else {"cls": "off", "text": "off target"}


def judged(data: ReportData, m: Metric, value: float | None) -> dict[str, Any]:
    """The metric's target for a period of the report's grain (scaled when the spec gives it per another
    period, as ``target_per`` says) and whether ``value`` meets it."""
    goal = scaled_target(m, data.period.grain)
    return {"target": fmt_value(goal, m.unit, data.currency) if goal is not None else "",
            "status": status_of(value, goal, m.direction)}  # fmt: skip


def spark(data: ReportData, lk: MetricLookup, mid: str) -> str | None:
    """The metric's headline over the trend periods; None with fewer than two values to draw."""
    points = []
    for p in data.trend:
        row = lk.headline(mid, p)
        points.append({"period": short_label(p), "value": None if row is None else row.value})
    if sum(1 for pt in points if pt["value"] is not None) < 2:
        return None
    return charts.sparkline(points, label=f"{data.metrics[mid].name}: last {len(points)} periods")


def _category_bars(data: ReportData, lk: MetricLookup, mid: str) -> tuple[str | None, tuple[str, ...]]:
    """Tiny bars of a per-category metric in the period (the largest :data:`MINIBARS`), and its dimensions."""
    keys = lk.breakdown(mid)
    rows = [r for r in lk.rows(mid, data.period, keys) if r.value is not None] if keys else []
    if not rows:
        return None, keys
    if len(keys) == 1:  # one dimension: the spec's order when it has one (stages), else the largest first
        k = keys[0]
        rows.sort(key=lambda r: (dim_rank(data.labels, k, r.dims[k]), -(r.value or 0)))
    else:
        rows.sort(key=lambda r: -(r.value or 0))
    if len(rows) > MINIBARS:
        keep = {id(r) for r in sorted(rows, key=lambda r: -(r.value or 0))[:MINIBARS]}
        rows = [r for r in rows if id(r) in keep]
    unit = data.metrics[mid].unit
    items = [{"label": " · ".join(dim_label(data.labels, k, r.dims[k]) for k in keys), "value": r.value,
              "text": fmt_value(r.value, unit, data.currency)} for r in rows]  # fmt: skip
    return charts.minibars(items, label=f"{data.metrics[mid].name} by {' and '.join(keys)}"), keys


def metric_line(data: ReportData, lk: MetricLookup, mid: str, notes: Footnotes) -> dict[str, Any]:
    """One metric's line: value, prior, change (with its tone), target, on-target status and a trend."""
    m = data.metrics[mid]
    cur = data.currency
    bars, keys = (None, ()) if lk.has_headline(mid) else _category_bars(data, lk, mid)
    section = SECTION_OF.get(mid)
    if keys:  # reported per category only: no single value to compare, the period's categories instead
        now, before = Cell("by " + " × ".join(k.replace("_", " ") for k in keys)), Cell("")
        if section:  # its own section shows it in full (the ARR waterfall)
            bars = None
    else:
        now = lk.cell(mid, lk.headline(mid, data.period), data.period, notes, currency=cur)
        before = lk.cell(mid, lk.headline(mid, data.prior), data.prior, notes, currency=cur)
    text, delta = change(now.value, before.value, m.unit, cur)
    return {
        "id": mid, "name": m.name, "tier": m.tier, "tier_name": TIER_NAMES[m.tier], "definition": m.definition,
        "owner": data.labels["role"].get(m.owner, m.owner), "unit": m.unit,
        "direction": "higher is better" if m.direction == "up" else "lower is better",
        "arrow": "↑" if m.direction == "up" else "↓",
        "now": now, "prior": before, "change": "" if keys else text, "tone": tone(delta, m.direction),
        **judged(data, m, now.value),
        "spark": None if keys else spark(data, lk, mid), "bars": bars, "section": section,
    }  # fmt: skip


def _covered(data: ReportData) -> list[str]:
    return [mid for mid in dict.fromkeys(data.cadence.covers.metrics) if mid in data.metrics]


def tier1_panel(data: ReportData, lk: MetricLookup, notes: Footnotes) -> dict[str, Any]:
    """Section 1: each tier-1 metric the cadence covers."""
    lines = [metric_line(data, lk, mid, notes) for mid in _covered(data) if data.metrics[mid].tier == 1]
    empty = None if lines else f"{data.cadence.name} covers no tier-1 metric (see `cadences:` in revframe.yaml)."
    hits = [ln["status"]["cls"] for ln in lines if ln["status"]["cls"]]
    summary = f"{hits.count('on')} of {len(hits)} metrics with a target are on target." if hits else ""
    return {"lines": lines, "empty": empty, "summary": summary}


def other_metrics(data: ReportData, lk: MetricLookup, notes: Footnotes) -> dict[str, Any]:
    """Section 8: the cadence's tier-2 and tier-3 metrics, compact, tier by tier."""
    mids = sorted((mid for mid in _covered(data) if data.metrics[mid].tier > 1), key=lambda x: data.metrics[x].tier)
    lines = [metric_line(data, lk, mid, notes) for mid in mids]
    empty = None if lines else f"{data.cadence.name} covers no tier-2 or tier-3 metric."
    return {"lines": lines, "empty": empty}


def missing_from_spec(data: ReportData) -> list[str]:
    """Metrics the cadence covers that the spec does not define (shown, not dropped)."""
    return [mid for mid in data.cadence.covers.metrics if mid not in data.metrics]
