"""A run in a few lines: revenue by channel under every model, and where the models disagree.

The demo's summary and the monthly report's attribution page read these; nothing here touches the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revframe.attribution.run import UNATTRIBUTED

if TYPE_CHECKING:
    from revframe.attribution.run import AttributionRun


def side_by_side(run: AttributionRun, measure: str = "revenue") -> list[dict[str, Any]]:
    """Per channel: the ``measure`` and its share under each model, and the spread of shares across models.

    ``spread`` is the largest share minus the smallest (in points of the total): how much the choice
    of model moves the channel. ``favoured_by`` / ``least_by`` name the models at either end.
    """
    if run.journeys is None:
        return []
    share_key = "revenue_share" if measure == "revenue" else "conversion_share"
    table: dict[str, dict[str, Any]] = {}
    for r in run.totals():
        row = table.setdefault(r[run.by], {"channel": r[run.by], "values": {}, "shares": {}})
        row["values"][r["model"]] = r[measure]
        row["shares"][r["model"]] = r[share_key] or 0.0
    out = []
    for row in table.values():
        shares = row["shares"]
        hi = max(shares, key=lambda m: shares[m])
        lo = min(shares, key=lambda m: shares[m])
        row |= {"spread": shares[hi] - shares[lo], "favoured_by": hi, "least_by": lo}
        out.append(row)
    return sorted(out, key=lambda r: (r["channel"] == UNATTRIBUTED, -max(r["values"].values()), r["channel"]))


def disagreement(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The channel the models disagree on most, and the mean spread over channels (0: they all agree)."""
    rows = [r for r in rows if r["channel"] != UNATTRIBUTED]
    if not rows:
        return {"mean_spread": None, "channel": None}
    top = max(rows, key=lambda r: r["spread"])
    return {
        "mean_spread": sum(r["spread"] for r in rows) / len(rows), "channel": top["channel"],
        "spread": top["spread"], "favoured_by": top["favoured_by"], "least_by": top["least_by"],
        "high": top["shares"][top["favoured_by"]], "low": top["shares"][top["least_by"]],
    }  # fmt: skip


def demo_summary(run: AttributionRun) -> dict[str, Any]:
    """What the demo prints: the run, each model's top channel, and the largest disagreement."""
    rows = side_by_side(run)
    real = [r for r in rows if r["channel"] != UNATTRIBUTED]
    top = {m: max(real, key=lambda r: r["values"].get(m, 0.0))["channel"] for m in run.models} if real else {}
    return {
        "run_id": run.run_id, "conversion": run.conversion, "conversions": run.conversions,
        "unattributed": run.unattributed, "revenue": run.revenue, "models": run.models, "top_channel": top,
        "disagreement": disagreement(rows), "notes": run.notes,
    }  # fmt: skip


def disagreement_text(d: dict[str, Any]) -> str:
    """One sentence: where the models disagree most."""
    if d.get("channel") is None:
        return "no channel was credited"
    return (
        f"the models disagree most on {d['channel']}: {d['high']:.1%} of won revenue under {d['favoured_by']}, "
        f"{d['low']:.1%} under {d['least_by']} (mean spread over channels {d['mean_spread'] * 100:.1f} points)"
    )
