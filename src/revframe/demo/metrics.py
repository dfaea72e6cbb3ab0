"""The demo's measurement pillar: every metric of the spec, monthly over the demo's last 12 months.

The values are stored (``metric_values``); the summary is the tier-1 panel of the demo's last month
against the month before and the targets, as the monthly business review reads it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from revframe.demo.config import AS_OF_DATE
from revframe.metrics.format import format_value
from revframe.metrics.model import Period
from revframe.metrics.sql import scaled_target

if TYPE_CHECKING:
    from revframe.metrics.model import MetricRun
    from revframe.workspace import Workspace


def run_metrics(ws: Workspace) -> tuple[MetricRun, dict[str, Any]]:
    """Compute and store every metric; the run and its summary (JSON-ready)."""
    from revframe.metrics.compute import compute_metrics

    last = Period.containing("month", AS_OF_DATE)
    start = date(last.start.year - 1, last.start.month, 1)
    run = compute_metrics(ws.store, ws.spec, grain="month", start=start, end=AS_OF_DATE)
    prior = last.previous()
    panel = []
    for res in run.results.values():
        if res.tier != 1 or any(r.dims for r in res.rows if r.period == last):
            continue
        now, before = res.value(last), res.value(prior)
        goal = scaled_target(ws.spec.metric(res.metric_id), "month")  # a quarterly target, for one month
        currency = run.currency if res.unit.startswith("currency") else ""
        panel.append({
            "metric": res.name, "id": res.metric_id, "this_month": format_value(now, res.unit, currency),
            "prior_month": format_value(before, res.unit, currency),
            "target": "" if goal is None else format_value(goal, res.unit, currency),
            "note": next((r.note for r in res.rows if r.period == last and not r.dims and r.note), "") or "",
        })  # fmt: skip
    summary = {
        "run_id": run.run_id,
        "metrics": len(run.results),
        "value_count": len(run.rows()),
        "periods": f"{run.periods[0].label} to {run.periods[-1].label}",
        "month": last.label,
        "tier1": panel,
        "rates": len(run.rates),
        "notes": run.notes,
    }
    return run, summary
