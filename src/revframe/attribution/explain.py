"""`revframe attribution explain ID`: one record's journeys, each touch's credit under each model, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from revframe.attribution.credit import ModelCredits, credit_journeys
from revframe.attribution.extract import PERSON_EVENTS, extract_journeys, settings
from revframe.attribution.rules import _lead_touch, _opp_touch
from revframe.errors import UsageError
from revframe.framework.attribution import Attribution

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store


@dataclass
class Block:
    heading: str
    rows: list[dict[str, Any]]


@dataclass
class Explanation:
    record_id: str
    conversion: str
    blocks: list[Block] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


def why(model: str, a: Attribution, details: dict[str, Any]) -> str:
    """The rule a model applied, in words."""
    u, w, f = a.u_shaped, a.w_shaped, a.full_path
    return {
        "first": "first: all credit to the first touch in the lookback window",
        "last": "last: all credit to the last touch before the conversion",
        "linear": "linear: equal credit to every touch",
        "time_decay": f"time_decay: weight halves every {a.time_decay.half_life_days:g} days before the conversion",
        "u_shaped": f"u_shaped: first {u.first:.0%}, last {u.last:.0%}, the rest evenly over the middle touches",
        "w_shaped": f"w_shaped: first {w.first:.0%}, lead creation {w.lead:.0%}, last {w.last:.0%}, the rest evenly "
        "over the others (shares of one touch in two roles add up)",
        "full_path": f"full_path: first {f.first:.1%}, lead creation {f.lead:.1%}, opportunity creation "
        f"{f.opportunity:.1%}, last {f.last:.1%}, the rest evenly over the others",
        "markov": f"markov (order {details.get('order')}): each channel of the journey in proportion to its "
        "removal effect (how much conversion the chain of all journeys loses without it), split over its touches",
        "shapley": "shapley: equal credit per distinct channel of the journey (its Shapley value), split over its "
        "touches",
    }[model]


def explain_record(
    store: Store, spec: Spec, record_id: str, models: list[str], conversion: str | None = None
) -> Explanation:
    """Explain every conversion of ``record_id`` (its own, or its account's or person's journeys).

    Raises:
        UsageError: the id has no conversion of the event with an eligible touch.
    """
    a = settings(spec)
    event = conversion or a.default_conversion
    known = store.query(
        "SELECT 'opportunity' FROM opportunities WHERE id = ? UNION ALL SELECT 'account' FROM accounts WHERE id = ? "
        "UNION ALL SELECT 'contact' FROM contacts WHERE id = ?",
        [record_id, record_id, record_id],
    )
    if not known:
        raise UsageError(f"{record_id}: no opportunity, account or contact with this id in the store; "
                         "ids look like salesforce:006...")  # fmt: skip
    kind = known[0][0]
    level = "contact" if kind == "contact" or event in PERSON_EVENTS else "account"
    ex = extract_journeys(store, spec, event, level if kind != "opportunity" else ("account" if a.buying_group else
                                                                                 "contact"))  # fmt: skip
    j = ex.journeys
    if j is None:
        raise UsageError(f"{record_id}: no {event} conversion has an eligible touch")
    credits = credit_journeys(j, models, a)
    cid = j.conversion_id if j.conversion_id is not None else np.array([], dtype=object)
    key = j.journey_key if j.journey_key is not None else np.array([], dtype=object)
    # a converted lead's journeys are its contact's
    ids = {record_id} | {
        str(r[0])
        for r in store.query(
            "SELECT converted_contact_id FROM contacts WHERE id = ? AND converted_contact_id IS NOT NULL", [record_id]
        )
    }
    chosen = [i for i in range(j.n) if j.conversions[i] > 0 and (cid[i] in ids or key[i] in ids)]
    if not chosen:
        raise UsageError(f"{record_id} ({kind}): no {event} conversion with an eligible touch in the "
                         f"{a.lookback_days}-day lookback; try --conversion with another event")  # fmt: skip
    out = Explanation(record_id, event)
    lead_w, lead_f, opp = _lead_touch(j, 2), _lead_touch(j, 3), _opp_touch(j)
    for i in chosen:
        lo, hi = int(j.offsets[i]), int(j.offsets[i + 1])
        rows = []
        for t in range(lo, hi):
            role = _role(t, lo, hi, int(lead_w[i]), int(lead_f[i]), int(opp[i]))
            row: dict[str, Any] = {
                "conversion_id": cid[i], "position": t - lo + 1,
                "days_before": None if j.days_before is None else round(float(j.days_before[t]), 1),
                "channel": j.channels[j.channel[t]],
                "campaign": "" if j.campaign_id is None or j.campaign_id[t] is None
                else ex.campaign_names.get(j.campaign_id[t], j.campaign_id[t]),
                "role": role,
            }  # fmt: skip
            for mc in credits:
                row[mc.model] = f"{mc.share[t]:.1%}"
            rows.append(row)
        value = float(j.value[i])
        out.blocks.append(Block(f"{event} {cid[i]} (journey of {key[i]}, {hi - lo} touches"
                                + (f", won revenue {value:,.0f}" if value else "") + ")", rows))  # fmt: skip
        out.rows += rows
    out.why = [why(mc.model, a, mc.details) for mc in credits] + _markov_line(credits)
    return out


def _role(t: int, lo: int, hi: int, lead_w: int, lead_f: int, opp: int) -> str:
    roles = []
    if t == lo:
        roles.append("first")
    if t in (lead_w, lead_f):
        roles.append("lead creation")
    if t == opp:
        roles.append("opportunity creation")
    if t == hi - 1:
        roles.append("last")
    return ", ".join(roles) or "middle"


def _markov_line(credits: list[ModelCredits]) -> list[str]:
    for mc in credits:
        if mc.model == "markov":
            eff = ", ".join(f"{k} {v:.3f}" for k, v in mc.details["removal_effects"].items())
            return [f"removal effects (all journeys): {eff}"]
    return []
