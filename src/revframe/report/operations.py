"""The operational sections: lead response and SLA compliance, and the data-quality scorecard.

Both read what their own commands keep in the store (``revframe sla``'s clocks, ``revframe
quality scan``'s scorecard); when those never ran, the section says which command to run instead
of showing zeros.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revframe.metrics.sql import scaled_target
from revframe.report import charts
from revframe.report.data import RESPONSE
from revframe.report.fmt import DASH, change, fmt_value, tone
from revframe.report.panels import judged, status_of
from revframe.report.periods import period_short, period_title

if TYPE_CHECKING:
    from revframe.metrics.model import MetricRow, Period
    from revframe.report.data import QualityData, ReportData, SlaData
    from revframe.report.lookup import Footnotes, MetricLookup

STATISTICS = (("median", "Median"), ("p90", "90th percentile"))
QUALITY_MEASURES = (
    ("completeness", "Complete", "up"),
    ("validity", "Valid", "up"),
    ("duplicate_rate", "Duplicates", "down"),
    ("staleness", "Stale", "down"),
)
NO_CLOCKS = (
    "No SLA clocks in the store yet. Run `revframe sla`: it opens a clock at each handoff's trigger, stops it at "
    "the first genuine rep action on business hours and marks breaches; then generate this report again."
)
NO_SCAN = "No quality scan yet: run `revframe quality scan`, then generate this report again."


def _pct(v: float | None) -> str:
    return DASH if v is None else f"{v:.1f}%"


def _statistic(lk: MetricLookup, period: Period, stat: str) -> MetricRow | None:
    """The row of one statistic; the median may also be the metric's total row (its value is the median)."""
    row = lk.row(RESPONSE, period, statistic=stat)
    return row if row is not None or stat != "median" else lk.row(RESPONSE, period)


def lead_response(data: ReportData, lk: MetricLookup, notes: Footnotes) -> dict[str, Any]:
    """Section 6a: median and 90th-percentile lead response time against the target."""
    if RESPONSE not in data.metrics:
        return {"svg": None, "rows": [], "empty": lk.why_empty(RESPONSE, None, data.period) + "."}
    m = data.metrics[RESPONSE]
    now_name, prior_name = period_short(data.period), period_short(data.prior)
    rows, items = [], []
    for stat, label in STATISTICS:
        now = lk.cell(RESPONSE, _statistic(lk, data.period, stat), data.period, notes)
        prior = lk.cell(RESPONSE, _statistic(lk, data.prior, stat), data.prior, notes)
        text, delta = change(now.value, prior.value, m.unit, data.currency)
        judge = judged(data, m, now.value) if stat == "median" else {"target": "", "status": status_of(None, None, "")}
        rows.append({"statistic": label, "now": now, "prior": prior, "change": text, "tone": tone(delta, m.direction),
                     **judge})  # fmt: skip
        for series, cell in ((now_name, now), (prior_name, prior)):
            if cell.value is not None:
                items.append({"label": label, "series": series, "value": cell.value, "text": cell.text})
    svg = None
    if items:
        goal = scaled_target(m, data.period.grain)
        target_text = f"target {fmt_value(goal, m.unit, data.currency)}" if goal is not None else ""
        svg = charts.grouped_bars(items, title="Lead response time", axis_title="minutes, business time",
                                  subtitle="From an MQL's assignment to the first genuine rep action",
                                  series=(now_name, prior_name), target=goal, target_text=target_text)  # fmt: skip
    empty = None if svg else f"No lead response measured in {period_title(data.period)} or {period_title(data.prior)}."
    return {"svg": svg, "rows": rows, "empty": empty}


def sla_compliance(data: ReportData) -> dict[str, Any]:
    """Section 6b: handoff SLA compliance per handoff and team, for legs started in the period."""
    sla: SlaData | None = data.sla
    if sla is None:
        return {"svg": None, "handoffs": [], "empty": NO_CLOCKS, "updated": ""}
    teams = data.labels["team"]
    handoffs = []
    for h in sla.handoffs:
        if not h["clocks"] and h["prior_compliance_pct"] is None:
            continue
        now, before = h["compliance_pct"], h["prior_compliance_pct"]
        text, delta = change(now, before, "percent", data.currency)
        handoffs.append({**h, "team_name": teams.get(h["to_team"], h["to_team"]), "compliance": _pct(now),
                         "prior": _pct(before), "change": text, "tone": tone(delta, "up"),
                         "open_now": h["open"] + h["paused"]})  # fmt: skip
    now_name, prior_name = period_short(data.period), period_short(data.prior)
    items = []
    for t in sla.by_team:
        label = teams.get(t["team"], t["team"])
        for series, v in ((now_name, t["compliance_pct"]), (prior_name, t["prior_compliance_pct"])):
            if v is not None:
                items.append({"label": label, "series": series, "value": v, "text": f"{v:.0f}%"})
    svg = None
    if items:
        svg = charts.grouped_bars(items, title="SLA compliance by team", axis_title="% of legs met",
                                  subtitle="Legs met ÷ legs met or breached, by the team that owned the leg",
                                  series=(now_name, prior_name))  # fmt: skip
    updated = f"{sla.last_updated:%Y-%m-%d %H:%M} UTC" if sla.last_updated else "an unknown time"
    started = sum(h["clocks"] for h in sla.handoffs)
    empty = (
        None if started else f"No handoff clock started in {now_name} ({sla.clocks_in_store:,} clocks in the store)."
    )
    return {"svg": svg, "handoffs": handoffs, "empty": empty, "updated": updated}


def _measure(value: float | None, delta: float | None, direction: str) -> dict[str, str]:
    """A scorecard share in percent and its change in points since the scan before (as `revframe quality` shows)."""
    if value is None:
        return {"text": DASH, "delta": "", "tone": ""}
    out = {"text": f"{100 * value:.1f}%", "delta": "", "tone": ""}
    if delta:
        out["delta"] = f"{'▲' if delta > 0 else '▼'}{abs(delta) * 100:.1f}"
        out["tone"] = tone(delta, direction)
    return out


def quality_scorecard(data: ReportData) -> dict[str, Any]:
    """Section 7: the latest quality scan's scorecard per object, with the change since the scan before."""
    q: QualityData | None = data.quality
    if q is None:
        return {"rows": [], "top": [], "empty": NO_SCAN}
    rows = []
    for r in q.objects:
        if not r["records"]:
            continue
        delta = r.get("issues_delta")
        rows.append({"object": r["object"], "records": f"{r['records']:,}",
                     "measures": [_measure(r[k], r.get(f"{k}_delta"), d) for k, _l, d in QUALITY_MEASURES],
                     "issues": f"{r['issues']:,}", "issues_delta": f"{int(delta):+,}" if delta else "",
                     "issues_tone": tone(delta, "down")})  # fmt: skip
    empty = None if rows else f"Scan {q.scan_id} found no records to score: is the store empty?"
    return {"rows": rows, "top": q.top_rules, "empty": empty, "measures": [m[1] for m in QUALITY_MEASURES],
            "scan_id": q.scan_id, "scanned_at": f"{q.scanned_at:%Y-%m-%d %H:%M} UTC",
            "previous": q.previous_scan_id}  # fmt: skip
