"""Spend efficiency per model: cost per lead, opportunity and won deal, ROI and CAC by channel or campaign.

Spend is ``campaigns.actual_cost`` converted to the company currency (dated rates, by the campaign's
start date), over all time; so are the conversions. Rules for bad spend data (docs/attribution.md):

* a campaign with no ``actual_cost`` that is the parent of other campaigns is a program: its
  children carry the spend, so it adds nothing; one with no cost and no touch has not run: nothing;
* any other campaign with no ``actual_cost``, or a cost in a currency without a rate, is a gap: its
  channel (campaign) gets no efficiency figures (spend unknown), and the note says how many;
* a channel with touches but no campaign spend at all shows spend 0 and no cost ratios (not "free").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from revframe.attribution.extract import to_company
from revframe.attribution.run import UNATTRIBUTED, AttributionRun, run_attribution

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

EVENTS = {"lead_created": "leads", "opportunity_created": "opportunities", "closed_won": "won"}


@dataclass
class SpendReport:
    """Rows per model and channel (campaign) with spend and what it bought."""

    by: str
    models: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table_rows(self) -> list[dict[str, Any]]:
        def money(v: float | None) -> str:
            return "—" if v is None else f"{v:,.0f}"

        return [
            {
                "model": r["model"], self.by: r[self.by], "spend": money(r["spend"]), "leads": f"{r['leads']:,.1f}",
                "per_lead": money(r["cost_per_lead"]), "opps": f"{r['opportunities']:,.1f}",
                "per_opp": money(r["cost_per_opportunity"]), "won": f"{r['won']:,.1f}",
                "per_won": money(r["cost_per_won"]), "revenue": money(r["revenue"]),
                "roi": "—" if r["roi"] is None else f"{r['roi']:.0%}", "cac": money(r["cac"]),
                "note": r["note"],
            }
            for r in self.rows
        ]  # fmt: skip

    def favours(self) -> list[dict[str, Any]]:
        """Per channel, the share of won revenue under each model; ▲/▼ marks 5+ points off the models' mean."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.rows:
            out.setdefault(r[self.by], {self.by: r[self.by]})[r["model"]] = r["revenue_share"] or 0.0
        rows = []
        for name, shares in out.items():
            mean = float(np.mean([shares.get(m, 0.0) for m in self.models]))
            row: dict[str, Any] = {self.by: name}
            for m in self.models:
                s = shares.get(m, 0.0)
                mark = " ▲" if s - mean >= 0.05 else " ▼" if mean - s >= 0.05 else ""
                row[m] = f"{s:.1%}{mark}"
            rows.append(row)
        return rows


def campaign_spend(store: Store, spec: Spec, notes: list[str]) -> dict[str, tuple[str, float | None]]:
    """Per campaign id: (channel, spend in company currency, or None when unknown)."""
    rows = store.query(
        "SELECT c.id, coalesce(nullif(trim(c.channel), ''), '(no channel)'), CAST(c.actual_cost AS DOUBLE), "
        "upper(c.currency), c.start_date, EXISTS (SELECT 1 FROM campaigns AS k WHERE k.parent_campaign_id = c.id), "
        "EXISTS (SELECT 1 FROM touchpoints AS t WHERE t.campaign_id = c.id) FROM campaigns AS c ORDER BY c.id"
    )
    cost = np.array([np.nan if r[2] is None else float(r[2]) for r in rows])
    has_cost = ~np.isnan(cost)
    converted = to_company(store, spec.company.currency, cost[has_cost], np.array([r[3] for r in rows],
                           dtype=object)[has_cost], [r[4] for r, h in zip(rows, has_cost, strict=True) if h], notes,
                           "campaigns")  # fmt: skip
    cost[has_cost] = converted
    out: dict[str, tuple[str, float | None]] = {}
    gaps = programs = unrun = 0
    for r, c in zip(rows, cost, strict=True):
        if r[2] is None and r[5]:
            programs += 1
            out[r[0]] = (r[1], 0.0)
        elif r[2] is None and not r[6]:
            unrun += 1
            out[r[0]] = (r[1], 0.0)
        elif np.isnan(c):
            gaps += int(r[2] is None)
            out[r[0]] = (r[1], None)
        else:
            out[r[0]] = (r[1], float(c))
    if programs:
        notes.append(f"{programs} parent campaign(s) without actual_cost: programs whose children carry the spend")
    if unrun:
        notes.append(f"{unrun} campaign(s) without actual_cost and without touches (planned, not run): no spend")
    if gaps:
        notes.append(f"{gaps} campaign(s) have no actual_cost: their channel (campaign) has no efficiency figures; "
                     "fill campaigns.actual_cost (0 for free campaigns)")  # fmt: skip
    return out


def spend_report(store: Store, spec: Spec, models: list[str], by: str = "channel") -> SpendReport:
    """Spend and what each model says it bought, per channel (campaign)."""
    report = SpendReport(by, models)
    spend = campaign_spend(store, spec, report.notes)
    runs: dict[str, AttributionRun] = {
        e: run_attribution(store, spec, models, conversion=e, by=by, save=False) for e in EVENTS
    }
    if by == "channel":
        spent: dict[str, float | None] = {}
        for ch, s in spend.values():
            spent[ch] = None if s is None or spent.get(ch, 0.0) is None else spent.get(ch, 0.0) + s  # type: ignore[operator]
    else:
        names = runs["closed_won"].campaign_names
        spent = {names.get(cid, cid): s for cid, (_, s) in spend.items()}
    won_run = runs["closed_won"]
    new = _new_customer_credit(won_run, by)
    counts: dict[tuple[str, str], dict[str, float]] = {}
    for event, col in EVENTS.items():
        for r in runs[event].totals():
            key = (r["model"], r[by])
            d = counts.setdefault(key, {"leads": 0.0, "opportunities": 0.0, "won": 0.0, "revenue": 0.0, "share": 0.0})
            d[col] += r["conversions"]
            if event == "closed_won":
                d["revenue"] = r["revenue"]
                d["share"] = r["revenue_share"] or 0.0
    for n in runs["closed_won"].notes:
        report.notes.append(f"won deals: {n}")
    names_all = sorted({k[1] for k in counts} | {n for n in spent if n is not None})
    for m in models:
        for name in names_all:
            d = counts.get((m, name), {"leads": 0.0, "opportunities": 0.0, "won": 0.0, "revenue": 0.0, "share": 0.0})
            s = spent.get(name, 0.0) if name != UNATTRIBUTED else None
            if s == 0.0 and not any(d[k] for k in ("leads", "opportunities", "won")):
                continue  # nothing spent, nothing credited (programs, planned campaigns)
            note = ""
            if name in spent and spent[name] is None:
                note = "spend unknown (a campaign without cost or rate)"
            elif name not in spent and name != UNATTRIBUTED:
                note = "no campaign spend recorded"

            def per(x: float, s: float | None = s) -> float | None:
                return None if not s or x <= 0 else s / x

            c = new.get((m, name), 0.0)
            report.rows.append({
                "model": m, by: name, "spend": s, "leads": d["leads"], "cost_per_lead": per(d["leads"]),
                "opportunities": d["opportunities"], "cost_per_opportunity": per(d["opportunities"]),
                "won": d["won"], "cost_per_won": per(d["won"]), "revenue": d["revenue"], "revenue_share": d["share"],
                "roi": None if not s else (d["revenue"] - s) / s, "new_customers": c, "cac": per(c), "note": note,
            })  # fmt: skip
    return report


def _new_customer_credit(run: AttributionRun, by: str) -> dict[tuple[str, str], float]:
    """Per model and channel: credited won deals that were the account's first (new customers, for CAC)."""
    j = run.journeys
    if j is None or not run.first_win.shape[0]:
        return {}
    names, code = run.keys(by)
    out = {}
    jt = j.journey_of_touch
    for mc in run.credits:
        c = np.bincount(code, weights=mc.credit(j) * run.first_win[jt], minlength=len(names))
        for i, n in enumerate(names):
            out[(mc.model, n)] = float(c[i])
    return out
