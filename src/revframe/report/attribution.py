"""Section 9: attribution. The period's won revenue by channel under every model, spend efficiency, disagreement.

The figures come from :func:`revframe.attribution.report_page.attribution_page` (read by
``build_report_data`` when the cadence's ``report_sections`` lists ``attribution``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revframe.report import charts
from revframe.report.fmt import compact_number
from revframe.report.periods import period_title

if TYPE_CHECKING:
    from revframe.report.data import ReportData

SHORT = {"time_decay": "decay", "u_shaped": "U", "w_shaped": "W", "full_path": "full path"}


def attribution_section(data: ReportData) -> dict[str, Any]:
    """The view of the attribution page: heatmap SVG, revenue and ROI tables, the disagreement sentence."""
    a = data.attribution
    if a is None:
        return {"svg": None, "empty": "This review does not cover attribution (add `attribution` to the cadence's "
                "`report_sections`), or it was not computed."}  # fmt: skip
    models: list[str] = a["models"]
    rows = a["rows"]
    if not rows:
        won = a["won"]
        empty = (f"{won:,.0f} deal(s) won in {period_title(data.period)}, none with an eligible touch: no channel to "
                 "credit." if won else f"No deal was won in {period_title(data.period)}.")  # fmt: skip
        return {"svg": None, "empty": empty, "notes": a["notes"],
                "spend": _spend(a, models), "models": models, "short": SHORT}  # fmt: skip
    top = max((s for r in rows for s in r["shares"].values()), default=0.0) or 1.0
    items = [
        {"row": r["channel"], "column": SHORT.get(m, m), "value": r["shares"].get(m, 0.0),
         "text": f"{r['shares'].get(m, 0.0):.0%}", "dark": r["shares"].get(m, 0.0) > 0.6 * top}
        for r in rows for m in models
    ]  # fmt: skip
    svg = charts.heatmap(
        items, title="Share of won revenue by channel, per model",
        subtitle=f"Deals won in {period_title(data.period)}; each column adds up to 100%",
        rows=[r["channel"] for r in rows], columns=[SHORT.get(m, m) for m in models],
    )  # fmt: skip
    table = [
        {"channel": r["channel"], "values": [compact_number(r["values"].get(m, 0.0)) for m in models],
         "spread": f"{r['spread'] * 100:.0f} pts", "favoured_by": r["favoured_by"], "least_by": r["least_by"]}
        for r in rows
    ]  # fmt: skip
    won = f"{a['won']:,.0f} deal(s) won, {compact_number(a['revenue'])} {data.currency}"
    return {
        "svg": svg, "empty": None, "models": models, "short": SHORT, "table": table, "won": won,
        "unattributed": a["unattributed"], "disagreement": a["disagreement_text"], "spend": _spend(a, models),
        "notes": a["notes"],
    }  # fmt: skip


def _spend(a: dict[str, Any], models: list[str]) -> list[dict[str, Any]]:
    out = []
    for s in a["spend"]:
        roi = [None if s["roi"].get(m) is None else f"{s['roi'][m]:.0%}" for m in models]
        out.append({"channel": s["channel"], "spend": "—" if s["spend"] is None else compact_number(s["spend"]),
                    "roi": [x or "—" for x in roi], "note": s["note"]})  # fmt: skip
    return out
