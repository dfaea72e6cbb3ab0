"""The demo's process pillar: score every person, evaluate the lifecycle, route who needs an owner, run the SLA clocks.

Scores come first so the lifecycle's score criteria (the MQL threshold) can be met; routing then
serves the records that need an owner (new MQLs among them); SLA clocks open at each handoff's
trigger in the CRM history and at the new routing decisions, and stop at the first genuine action.
Everything runs as of the demo's last day, like the quality engines.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

from revframe.demo.config import AS_OF_DATE

if TYPE_CHECKING:
    from rich.progress import Progress

    from revframe.workspace import Workspace

TOP_RULES = 6


def run_process(ws: Workspace, bar: Progress | None = None) -> dict[str, Any]:
    """Scoring, lifecycle, routing and SLA on the demo store; the summary, JSON-ready."""
    from revframe.process.lifecycle import evaluate_lifecycle
    from revframe.process.routing import route
    from revframe.process.scoring import score_people
    from revframe.process.sla import run_sla

    store, spec = ws.store, ws.spec
    as_of = datetime.combine(AS_OF_DATE, time(23, 59, 59), tzinfo=UTC)
    task = bar.add_task("process: scoring", total=None) if bar else None

    def step(text: str) -> None:
        if bar and task is not None:
            bar.update(task, description=f"process: {text}")

    scores = score_people(store, spec, as_of=as_of)
    step("lifecycle")
    lifecycle = evaluate_lifecycle(store, spec, as_of=as_of)
    step("routing")
    routing = route(store, spec, as_of=as_of)
    step("SLA clocks")
    sla = run_sla(store, spec, as_of=as_of)
    if bar and task is not None:
        bar.remove_task(task)
    by_rule = [{"rule": k, "records": v} for k, v in routing.by_rule().items()]
    return {
        "as_of": as_of.isoformat(),
        "workspace": str(ws.root),
        "scoring": {
            "people": scores.people,
            "mqls": scores.mqls,
            "hot": scores.hot,
            "disqualified": scores.disqualified,
            "avg_fit": scores.avg_fit,
            "avg_engagement": scores.avg_engagement,
            "grades": [{"grade": g, "people": n} for g, n in sorted(scores.grades.items())],
            "top_reasons": [{"factor": f, "people": n} for f, n in scores.top_reasons[:6]],
        },
        "lifecycle": {
            "stages": [{"stage": s, "people": n} for s, n in lifecycle.stages.get("contacts", {}).items()],
            "transitions": lifecycle.transitions.get("contacts", {}),
            "forbidden": lifecycle.issues,
        },
        "routing": {
            "routed": len(routing.decisions),
            "assigned": sum(1 for d in routing.decisions if d.assigned_to),
            "queued": sum(1 for d in routing.decisions if d.queue),
            "by_rule": by_rule[:TOP_RULES],
            "example": _example(routing.decisions) or _stored_example(store),
        },
        "sla": {
            "handoffs": [{"handoff": h} | v for h, v in sla.handoffs.items() if v.get("clocks")],
            "by_team": sla.by_team,
            "handoff_quality": sla.quality,
            "escalations": sla.escalations,
            "notes": sla.notes,
        },
    }


def _stored_example(store: Any) -> dict[str, Any] | None:
    """The latest stored round-robin decision (a rerun of the demo routes nobody new)."""
    rows = store.query(
        "SELECT d.contact_id, u.name, d.queue, d.reason, d.rule_path, d.candidates FROM routing_decisions AS d "
        "LEFT JOIN users AS u ON u.id = d.assigned_to WHERE d.strategy IN ('territory', 'round_robin') "
        "ORDER BY d.decided_at DESC, d.decision_id LIMIT 1"
    )
    if not rows:
        return None
    contact, name, queue, reason, path, cands = rows[0]
    return {
        "contact_id": contact, "assignee_name": name, "queue": queue, "reason": reason,
        "rule_path": json.loads(path) if isinstance(path, str) else path,
        "candidates": json.loads(cands) if isinstance(cands, str) else cands,
    }  # fmt: skip


def _example(decisions: list[Any]) -> dict[str, Any] | None:
    """One round-robin decision with passed-over reps: the answer to "why this rep?"."""
    for d in decisions:
        if d.assigned_to and any(c["why"] not in ("chosen", "waiting their turn") for c in d.candidates):
            return d.to_dict()
    return decisions[0].to_dict() if decisions else None
