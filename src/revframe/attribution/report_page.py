"""The monthly report's attribution page: the period's won revenue by channel under every model, spend
efficiency, and where the models disagree. Read from the store here; drawn by ``revframe.report``.

The models are fitted on every journey in the store (Markov's chain needs the non-converting ones);
the page shows the credits of the deals won in the period. Spend efficiency is all time to date
(campaigns carry one cost, not a cost per month).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from revframe.attribution.credit import MODELS
from revframe.attribution.run import run_attribution
from revframe.attribution.spend import spend_report
from revframe.attribution.summary import disagreement, disagreement_text, side_by_side

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store


def attribution_page(store: Store, spec: Spec, start: date, end: date) -> dict[str, Any]:
    """The page's data (JSON-ready): ``models``, ``rows`` (per channel: revenue and share per model,
    spread), ``disagreement``, ``spend`` (per channel: spend and ROI per model), ``notes``.

    ``end`` is exclusive.
    """
    models = list(MODELS)
    run = run_attribution(store, spec, models, conversion="closed_won", save=False)
    won = {
        str(r[0])
        for r in store.query(
            "SELECT id FROM opportunities WHERE is_won AND close_date >= ? AND close_date < ?", [start, end]
        )
    }
    period = run.within(won)
    rows = side_by_side(period)
    d = disagreement(rows)
    report = spend_report(store, spec, models)
    spend: dict[str, dict[str, Any]] = {}
    for r in report.rows:
        if r["channel"].startswith("("):
            continue
        s = spend.setdefault(r["channel"], {"channel": r["channel"], "spend": r["spend"], "roi": {}, "note": r["note"]})
        s["roi"][r["model"]] = r["roi"]
    return {
        "models": models,
        "won": period.conversions,
        "unattributed": period.unattributed,
        "revenue": period.revenue,
        "rows": rows,
        "disagreement": d,
        "disagreement_text": disagreement_text(d),
        "spend": sorted(spend.values(), key=lambda s: -(s["spend"] or 0.0)),
        "notes": list(dict.fromkeys(run.notes + report.notes)),
    }
