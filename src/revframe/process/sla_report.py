"""The SLA report: compliance, response times and breaches per handoff, team and rep; handoff quality.

Compliance is met ÷ (met + breached) over legs (a running leg past its SLA is breached). Response
times are the counted hours of legs stopped by the expected action. Handoff quality: for handoffs
with ``quality_standard.required_fields``, the share of their triggered records (e.g. closed-won
opportunities) with every required field present, and the records missing each field. The store
keeps no field history, so the fields are checked as they are now, not as they were at close.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from revframe.process.criteria import lit
from revframe.process.sla_clocks import COLUMNS, Leg
from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.handoffs import Handoff
    from revframe.process.escalation import DeliveryReport
    from revframe.process.reps import Rep
    from revframe.store import Store


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` percentile (0-1) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summarize(legs: list[Leg]) -> dict[str, Any]:
    """Counts, compliance % and p50/p90 response hours of a group of legs."""
    n = {s: sum(1 for leg in legs if leg.status == s) for s in ("met", "breached", "open", "paused", "reassigned")}
    judged = n["met"] + n["breached"]
    hours = [leg.elapsed_seconds / 3600 for leg in legs if leg.responded]
    p50, p90 = percentile(hours, 0.5), percentile(hours, 0.9)
    return {
        "clocks": len(legs), **n,
        "compliance_pct": round(100 * n["met"] / judged, 1) if judged else None,
        "responded": len(hours),
        "p50_hours": round(p50, 2) if p50 is not None else None,
        "p90_hours": round(p90, 2) if p90 is not None else None,
    }  # fmt: skip


def _field_sql(obj: str, ref: str) -> str | None:
    """SQL that a required field is present for the record ``r`` of ``obj`` (None if it cannot be told)."""
    table, _, col = ref.partition(".")
    if table not in TABLES or col not in TABLES[table].column_names:
        return None
    if table == obj:
        return f"r.{col} IS NOT NULL"
    account = "r.account_id"
    if table == "accounts":
        return f"EXISTS (SELECT 1 FROM accounts AS x WHERE x.id = {account} AND x.{col} IS NOT NULL)"
    cols = TABLES[table].column_names
    links = []
    if obj == "opportunities" and "opportunity_id" in cols:
        links.append("x.opportunity_id = r.id")
    if "account_id" in cols:
        links.append(f"x.account_id = {account}")
    if obj == "contacts" and "contact_id" in cols:
        links.append("x.contact_id = r.id")
    if not links:
        return None
    return f"EXISTS (SELECT 1 FROM {table} AS x WHERE ({' OR '.join(links)}) AND x.{col} IS NOT NULL)"


def handoff_quality(store: Store, h: Handoff) -> dict[str, Any] | None:
    """Share of a handoff's records (leg 1 of its clocks) carrying every required field, and misses per field."""
    qs = h.quality_standard
    if qs is None or not qs.required_fields:
        return None
    objs = store.query("SELECT DISTINCT object FROM sla_clocks WHERE handoff_id = ?", [h.id])
    if not objs:
        return {"records": 0, "complete": 0, "complete_pct": None, "missing": {}, "unchecked": []}
    obj = str(objs[0][0])
    checks = {str(f): _field_sql(obj, str(f)) for f in qs.required_fields}
    usable = {f: s for f, s in checks.items() if s}
    flags = ", ".join(f"CASE WHEN {s} THEN 1 ELSE 0 END AS f{i}" for i, s in enumerate(usable.values()))
    rows = store.query(
        f"SELECT {flags or '1 AS f0'} FROM {obj} AS r WHERE r.id IN (SELECT record_id FROM sla_clocks WHERE "
        f"handoff_id = {lit(h.id)} AND leg = 1)"
    )
    names = list(usable)
    missing = {f: sum(1 for r in rows if not r[i]) for i, f in enumerate(names)}
    complete = sum(1 for r in rows if all(r[: len(names)]))
    return {
        "object": obj, "records": len(rows), "complete": complete,
        "complete_pct": round(100 * complete / len(rows), 1) if rows else None,
        "missing": missing, "unchecked": [f for f, s in checks.items() if not s],
    }  # fmt: skip


@dataclass
class SlaReport:
    """What ``revframe sla`` reports (``to_dict()`` is its JSON)."""

    as_of: datetime
    handoffs: dict[str, dict[str, Any]]
    by_team: list[dict[str, Any]]
    by_rep: list[dict[str, Any]]
    breaches: list[dict[str, Any]]
    quality: dict[str, dict[str, Any]]
    escalations: dict[str, dict[str, int]]
    delivery: dict[str, Any] | None = None
    rerouted: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "handoffs": self.handoffs, "by_team": self.by_team,
            "by_rep": self.by_rep, "breaches": self.breaches, "handoff_quality": self.quality,
            "escalations": self.escalations, "delivery": self.delivery, "rerouted": self.rerouted,
            "notes": self.notes,
        }  # fmt: skip


def build_report(store: Store, spec: Spec, handoff_ids: list[str], as_of: datetime, reps: dict[str, Rep],
                 notes: list[str], delivery: DeliveryReport | None, rerouted: int,
                 breach_limit: int = 50) -> SlaReport:  # fmt: skip
    """Summarize the clocks of ``handoff_ids`` as they are in the store."""
    listed = ", ".join(lit(h) for h in handoff_ids) or "''"
    legs = [Leg.from_row(r) for r in store.query(f"SELECT {COLUMNS} FROM sla_clocks WHERE handoff_id IN ({listed})")]
    per: dict[str, dict[str, Any]] = {}
    for h in spec.handoffs:
        if h.id in handoff_ids:
            mine = [leg for leg in legs if leg.handoff_id == h.id]
            per[h.id] = {"name": h.name, "to_team": h.to_team} | summarize(mine)
    teams: dict[str, list[Leg]] = {}
    people: dict[tuple[str, str], list[Leg]] = {}
    for leg in legs:
        teams.setdefault(leg.team or "-", []).append(leg)
        people.setdefault((leg.owner_id or "-", leg.team or "-"), []).append(leg)
    by_team = [{"team": t} | summarize(v) for t, v in sorted(teams.items())]
    by_rep = []
    for (owner, team), v in people.items():
        rep = reps.get(owner)
        by_rep.append({"owner_id": owner, "name": rep.name if rep else "", "team": team,
                       "active": rep.is_active if rep else None} | summarize(v))  # fmt: skip
    by_rep.sort(key=lambda r: (-r["breached"], -r["clocks"], r["owner_id"]))
    late = sorted((leg for leg in legs if leg.status == "breached"), key=lambda x: x.due_at, reverse=True)
    quality = {h.id: q for h in spec.handoffs if h.id in handoff_ids and (q := handoff_quality(store, h))}
    escalations: dict[str, dict[str, int]] = {}
    for action, status, n in store.query(
        "SELECT e.action, e.status, count(*) FROM sla_escalations AS e JOIN sla_clocks AS k ON k.clock_id = "
        f"e.clock_id WHERE k.handoff_id IN ({listed}) GROUP BY e.action, e.status ORDER BY e.action, e.status"
    ):
        escalations.setdefault(str(action), {})[str(status)] = int(n)
    return SlaReport(
        as_of, per, by_team, by_rep, [leg.to_dict() for leg in late[:breach_limit]], quality, escalations,
        delivery.to_dict() if delivery else None, rerouted, notes,
    )  # fmt: skip
