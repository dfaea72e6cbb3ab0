"""The revenue sections of the report: funnel, pipeline by stage and coverage, ARR waterfall, deal cycle.

Each function turns :class:`ReportData` into what its part of the template prints: the chart (an
inline SVG, or None), the numbers beside it, and ``empty`` (a sentence saying what is missing and
why) when there is nothing to draw. A section never draws a missing value as 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revframe.report import charts
from revframe.report.data import COVERAGE, CYCLE, FUNNEL, PIPELINE, WATERFALL
from revframe.report.fmt import change, compact_number, fmt_value, tone
from revframe.report.lookup import dim_label, dim_rank
from revframe.report.panels import judged
from revframe.report.periods import period_short, period_title

if TYPE_CHECKING:
    from revframe.metrics.model import MetricRow, Period
    from revframe.report.data import ReportData
    from revframe.report.lookup import Footnotes, MetricLookup

COMPONENTS = ("start", "new", "expansion", "contraction", "churn", "end")
"""The ARR waterfall's components in order; contraction and churn take ARR away."""
DECREASES = ("contraction", "churn")


def _series(data: ReportData) -> tuple[str, str]:
    return period_short(data.period), period_short(data.prior)


def _count(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def _basis(lk: MetricLookup, mid: str, row: MetricRow | None, period: Period, people: str) -> str:
    """``62 of 132 SQLs``, and the share that converted within the metric's ``within_days`` when it has one."""
    if row is None or row.numerator is None or row.denominator is None:
        return ""
    text = f"{row.numerator:,.0f} of {row.denominator:,.0f} {people}"
    soon = [r for r in lk.rows(mid, period, ["within_days"]) if r.value is not None]
    if soon:
        text += f"; {soon[0].value:.1f}% within {soon[0].dims['within_days']} days"
    return text


def funnel(data: ReportData, lk: MetricLookup, notes: Footnotes) -> dict[str, Any]:
    """Section 2: MQL → SQL → opportunity, counts from the conversions' denominators and numerators."""
    m2s, s2o = FUNNEL
    now = {mid: lk.headline(mid, data.period) for mid in FUNNEL}
    steps = [
        ("MQLs", "mqls", now[m2s], "denominator", charts.TOTAL),
        ("… of which became SQL", "became_sql", now[m2s], "numerator", charts.NOW),
        ("SQLs", "sqls", now[s2o], "denominator", charts.TOTAL),
        ("… of which got an opportunity", "got_opportunity", now[s2o], "numerator", charts.NOW),
    ]
    counts = {key: getattr(row, attr) if row is not None else None for _l, key, row, attr, _c in steps}
    items = [{"label": label, "value": counts[key], "text": _count(counts[key]), "color": color}
             for label, key, _r, _a, color in steps if counts[key] is not None]  # fmt: skip
    svg = None
    if any(i["value"] for i in items):
        cohorts = "Each conversion follows its own cohort: the MQLs and the SQLs of the period"
        svg = charts.hbars(items, title=f"Funnel, {period_title(data.period)}", axis_title="people", subtitle=cohorts)
    rows = []
    for mid, basis in ((m2s, "MQLs"), (s2o, "SQLs")):
        if mid not in data.metrics:
            continue
        m = data.metrics[mid]
        cell = lk.cell(mid, now[mid], data.period, notes)
        prior = lk.cell(mid, lk.headline(mid, data.prior), data.prior, notes)
        text, delta = change(cell.value, prior.value, m.unit, data.currency)
        rows.append({"name": m.name, "now": cell, "prior": prior, "change": text, "tone": tone(delta, m.direction),
                     **judged(data, m, cell.value),
                     "basis": _basis(lk, mid, now[mid], data.period, basis)})  # fmt: skip
    empty = None if svg else f"No MQLs or SQLs in {period_title(data.period)}."
    return {"svg": svg, "rows": rows, "counts": counts, "empty": empty}


def pipeline(data: ReportData, lk: MetricLookup, notes: Footnotes) -> dict[str, Any]:
    """Section 3: the open pipeline expected to close in the next period, by stage, and its coverage.

    Also what is still open from the report's own period: deals past their close date.
    """
    cur, ahead = data.currency, data.upcoming
    kpis = []
    for mid in (PIPELINE, COVERAGE):
        if mid not in data.metrics:
            continue
        m = data.metrics[mid]
        cell = lk.cell(mid, lk.headline(mid, ahead), ahead, notes, currency=cur)
        judge = judged(data, m, cell.value)
        sub = f"target {judge['target']}" if judge["target"] else f"expected to close in {period_title(ahead)}"
        kpis.append({"name": f"{m.name}, {period_short(ahead)}", "now": cell, "sub": sub, "status": judge["status"]})
    if PIPELINE in data.metrics:
        row = lk.headline(PIPELINE, data.period)
        late = lk.cell(PIPELINE, row, data.period, notes, currency=cur)
        count = (
            f"{row.n:,} opportunities past their close date" if row is not None and row.n else "past their close date"
        )
        kpis.append({"name": f"Still open from {period_short(data.period)}", "now": late, "sub": count,
                     "status": {"cls": "", "text": ""}})  # fmt: skip
    rows = sorted(lk.rows(PIPELINE, ahead, ["stage"]), key=lambda r: dim_rank(data.labels, "stage", r.dims["stage"]))
    valued = [(r, float(r.value)) for r in rows if r.value is not None]
    total = sum(v for _r, v in valued)
    stages: list[dict[str, Any]] = [
        {"label": dim_label(data.labels, "stage", r.dims["stage"]), "value": v, "text": fmt_value(v, "currency", cur),
         "n": r.n, "share": f"{100 * v / total:.0f}%" if total else ""}
        for r, v in valued
    ]  # fmt: skip
    svg = None
    if any(s["value"] for s in stages):
        now = "Open opportunities expected to close in the period, as the CRM shows them now"
        svg = charts.hbars(stages, title=f"Open pipeline by stage, {period_title(ahead)}", axis_title=cur, subtitle=now)
    empty = None if svg else (
        f"No open opportunity is expected to close in {period_title(ahead)}"
        + ("." if lk.computed(PIPELINE) else ": the pipeline value metric was not computed.")
    )  # fmt: skip
    return {"svg": svg, "kpis": kpis, "stages": stages, "empty": empty, "ahead": period_title(ahead)}


def _component(rows: dict[str, MetricRow], name: str) -> float | None:
    row = rows.get(name)
    if row is None or row.value is None:
        return None
    return -abs(row.value) or 0.0 if name in DECREASES else float(row.value)  # or 0.0: no "−0"


def arr_waterfall(data: ReportData, lk: MetricLookup, notes: Footnotes) -> dict[str, Any]:
    """Section 4: ARR at the start, what new, expansion, contraction and churn did, ARR at the end."""
    cur = data.currency
    rows = {r.dims["component"]: r for r in lk.rows(WATERFALL, data.period, ["component"])}
    values = {c: _component(rows, c) for c in COMPONENTS}
    table = []
    for c in COMPONENTS:
        cell = lk.cell(WATERFALL, rows.get(c), data.period, notes, unit="currency", currency=cur, compact=False)
        if values[c] is not None and c in DECREASES:
            cell.text = fmt_value(values[c], "currency", cur, compact=False)
        table.append({"component": c.capitalize(), "amount": cell, "kind": "total" if c in ("start", "end") else
                      "decrease" if c in DECREASES else "increase"})  # fmt: skip
    svg, check = None, ""
    if all(v is not None for v in values.values()):
        steps, level = [], 0.0
        for c in COMPONENTS:
            v = values[c] or 0.0  # every component is present here
            if c in ("start", "end"):
                steps.append({"label": c.capitalize(), "low": 0, "high": v, "kind": "total",
                              "text": f"{cur} {compact_number(v)}"})  # fmt: skip
                level = v
            else:
                low, high = sorted((level, level + v))
                sign = "+" if v >= 0 else "−"
                steps.append({"label": c.capitalize(), "low": low, "high": high,
                              "kind": "increase" if v >= 0 else "decrease",
                              "text": f"{sign}{compact_number(abs(v))}"})  # fmt: skip
                level += v
        start, end = values["start"] or 0.0, values["end"] or 0.0
        gap = end - (start + sum(values[c] or 0.0 for c in COMPONENTS[1:-1]))
        if abs(gap) > max(1.0, abs(end) * 0.001):
            check = (f"Start plus the changes differs from the end by {fmt_value(gap, 'currency', cur)} (amounts "
                     "converted at different rates, or subscriptions changed outside these components).")  # fmt: skip
        svg = charts.waterfall(steps, title=f"ARR, {period_title(data.period)}", axis_title=cur,
                               subtitle="Start of the period, what moved it, end of the period")  # fmt: skip
    net = None
    if all(values[c] is not None for c in COMPONENTS[1:-1]):
        net = fmt_value(sum(values[c] or 0.0 for c in COMPONENTS[1:-1]), "currency", cur)
    if svg:
        empty = None
    elif not lk.computed(WATERFALL):
        empty = lk.why_empty(WATERFALL, None, data.period) + "."
    else:
        empty = f"The ARR waterfall has no complete set of components for {period_title(data.period)}."
    return {"svg": svg, "table": table, "net": net, "check": check, "empty": empty}


def deal_cycle(data: ReportData, lk: MetricLookup, notes: Footnotes) -> dict[str, Any]:
    """Section 5: median days to close won, per segment, this period against the prior one."""
    if CYCLE not in data.metrics:
        return {"svg": None, "rows": [], "empty": lk.why_empty(CYCLE, None, data.period) + "."}
    m = data.metrics[CYCLE]
    seen = {r.dims["segment"] for p in (data.period, data.prior) for r in lk.rows(CYCLE, p, ["segment"])}
    segments = sorted(seen, key=lambda s: (dim_rank(data.labels, "segment", s), s))
    rows, items = [], []
    now_name, prior_name = _series(data)
    for label, seg in [
        *((dim_label(data.labels, "segment", s), {"segment": s}) for s in segments),
        ("All segments", {}),
    ]:
        r_now, r_prior = lk.row(CYCLE, data.period, **seg), lk.row(CYCLE, data.prior, **seg)
        now = lk.cell(CYCLE, r_now, data.period, notes)
        prior = lk.cell(CYCLE, r_prior, data.prior, notes)
        text, delta = change(now.value, prior.value, m.unit, data.currency)
        rows.append({"segment": label, "now": now, "prior": prior, "change": text, "tone": tone(delta, m.direction),
                     "n": r_now.n if r_now is not None else None, "total": not seg})  # fmt: skip
        if seg:
            for series, cell in ((now_name, now), (prior_name, prior)):
                if cell.value is not None:
                    items.append(
                        {"label": label, "series": series, "value": cell.value, "text": f"{cell.value:,.0f} d"}
                    )
    svg = None
    if items:
        svg = charts.grouped_bars(items, title="Deal cycle by segment", axis_title="days (median)",
                                  subtitle="Median days from opportunity creation to closed won",
                                  series=(now_name, prior_name))  # fmt: skip
    both = f"{period_title(data.period)} or {period_title(data.prior)}"
    empty = None if svg else f"No deal closed won by segment in {both}."
    return {"svg": svg, "rows": rows, "empty": empty}
