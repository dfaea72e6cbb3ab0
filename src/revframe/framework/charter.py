"""Render the framework as a charter document: one-page charter, dictionary, stages, handoffs, metrics...

Markdown for the repository and wikis; standalone HTML (inline CSS, no network) for sharing.
The output depends only on the spec, so it is reproducible and diffable.
"""

from __future__ import annotations

import importlib.resources
from typing import TYPE_CHECKING, Any

import jinja2

from revframe.framework.metrics import TIER_NAMES
from revframe.framework.rules import describe

if TYPE_CHECKING:
    from revframe.framework.handoffs import Duration, EscalationStep, Sla
    from revframe.framework.models import Spec

FORMATS = {"md": "charter.md.j2", "html": "charter.html.j2"}
_UNIT_WORDS = {
    "minutes": "minute",
    "hours": "hour",
    "days": "day",
    "business_hours": "business hour",
    "business_days": "business day",
}


def render_charter(spec: Spec, fmt: str) -> str:
    """Render the spec as a charter document.

    Args:
        spec: a loaded spec.
        fmt: ``"md"`` (Markdown) or ``"html"`` (standalone HTML page).

    Returns:
        The document text: title, one-page charter with decision rights, definitions dictionary,
        lifecycle and pipeline stages, handoffs, metrics by tier, systems and cadences, and the
        framework version in the footer.

    Raises:
        ValueError: for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown charter format '{fmt}': use one of {', '.join(FORMATS)}")
    env = jinja2.Environment(
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = _md_cell
    source = importlib.resources.files("revframe.framework").joinpath(f"templates/{FORMATS[fmt]}")
    template = env.from_string(source.read_text(encoding="utf-8"))
    return template.render(**charter_context(spec))


def _md_cell(value: Any) -> str:
    """Make a value safe inside a Markdown table cell."""
    text = " ".join(str(value).split())
    return text.replace("|", "\\|") if text else "-"


def duration_text(d: Duration) -> str:
    """``4 business hours``, ``5 minutes``."""
    n = f"{d.duration:g}"
    word = _UNIT_WORDS[d.unit]
    return f"{n} {word}" if n == "1" else f"{n} {word}s"


def charter_context(spec: Spec) -> dict[str, Any]:
    """Everything the charter templates show, in plain words (names rather than ids)."""
    roles = {r.id: r.name for r in spec.people.roles}
    teams = {t.id: t.name for t in spec.people.teams}
    systems = {s.id: s.name for s in spec.systems}
    cadences = {c.id: c.name for c in spec.cadences}
    calendars = {c.id: c.name for c in spec.calendars}

    def role(rid: str | None) -> str:
        return roles.get(rid or "", rid or "-")

    def role_list(ids: list[str]) -> str:
        return ", ".join(role(i) for i in ids) or "-"

    def sla_text(sla: Sla, to_team: str) -> str:
        text = duration_text(sla)
        if sla.effective_clock == "business":
            cal = sla.calendar or getattr(spec.calendar_for_team(to_team), "id", None)
            text += f" ({calendars.get(cal or '', 'business hours')})" if cal else " (business time)"
        else:
            text += " (around the clock)"
        return text

    def step_text(step: EscalationStep) -> str:
        when = f"after {duration_text(step.after)}" if step.after else f"at {step.after_percent}% of the SLA"
        action = step.action.replace("_", " ")
        via = f" via {step.channel}" if step.channel else ""
        return f"{when}: {action}{via}"

    company = spec.company
    charter = spec.charter
    return {
        "title": f"{company.name} revenue operations framework",
        "version": spec.version,
        "company": company,
        "charter": None
        if charter is None
        else {
            "mission": charter.mission,
            "owner": role(charter.owner),
            "includes": charter.scope.includes,
            "excludes": charter.scope.excludes,
            "stakeholders": [{"role": role(s.role), "interest": s.interest} for s in charter.stakeholders],
            "decision_process": charter.decision_process,
            "change_process": charter.change_process,
            "review": cadences.get(charter.review_cadence or "", ""),
        },
        "decision_rights": [
            {
                "decision": d.decision.replace("_", " ").capitalize(),
                "description": d.description,
                "decide": role_list(d.decide),
                "consult": role_list(d.consult),
                "inform": role_list(d.inform),
            }
            for d in spec.people.decision_rights
        ],
        "definitions": [
            {
                "term": d.term,
                "aliases": ", ".join(d.aliases),
                "definition": d.definition,
                "owner": role(d.owner),
            }
            for d in sorted(spec.definitions, key=lambda d: d.term.casefold())
        ],
        "lifecycle": [
            {
                "name": s.name,
                "id": s.id,
                "owner": teams.get(s.owner_team, s.owner_team),
                "description": s.description,
                "entry": describe(s.entry_criteria),
                "funnel": s.funnel,
                "reasons": ", ".join(r.replace("_", " ") for r in s.reasons),
            }
            for s in spec.lifecycle.stages
        ],
        "transitions": [
            f"{t.from_} → {t.to}: allowed"
            + (" with a reason" if t.reason_required else "")
            + (f" ({t.description})" if t.description else "")
            for t in spec.lifecycle.allowed_backward
        ]
        + [
            f"{'any stage' if t.from_ == '*' else t.from_} → {t.to}: never"
            + (f" ({t.description})" if t.description else "")
            for t in spec.lifecycle.forbidden_transitions
        ],
        "pipeline": [
            {
                "name": s.name,
                "id": s.id,
                "probability": f"{s.probability:g}%",
                "category": s.forecast_category.replace("_", " "),
                "outcome": "won" if s.is_won else "lost" if s.is_closed else "open",
                "description": s.description,
                "entry": describe(s.entry_criteria) if s.entry_criteria else "",
                "max_days": s.max_days_in_stage or "",
            }
            for s in spec.pipeline.stages
        ],
        "handoffs": [
            {
                "name": h.name,
                "id": h.id,
                "teams": f"{teams.get(h.from_team, h.from_team)} → {teams.get(h.to_team, h.to_team)}",
                "trigger": h.trigger.description,
                "action": h.expected_action.description,
                "done_when": describe(h.expected_action.done_when),
                "sla": sla_text(h.sla, h.to_team),
                "priority": [f"{sla_text(p.sla, h.to_team)} when {describe(p.when)}" for p in h.priority_slas],
                "escalation": [step_text(s) for s in h.escalation],
                "fields": h.quality_standard.required_fields if h.quality_standard else [],
                "checklist": h.quality_standard.checklist if h.quality_standard else [],
                "owner": teams.get(h.owner_team, h.owner_team),
            }
            for h in spec.handoffs
        ],
        "tiers": [
            {
                "tier": tier,
                "name": TIER_NAMES[tier],
                "metrics": [
                    {
                        "id": m.id,
                        "name": m.name,
                        "definition": m.definition,
                        "time_dimension": m.time_dimension or "-",
                        "system": systems.get(m.system_of_record, m.system_of_record),
                        "owner": role(m.owner),
                        "cadence": cadences.get(m.cadence, m.cadence),
                        "target": "" if m.target is None else f"{m.target:g}",
                        "sql": _metric_sql(spec, m),
                    }
                    for m in spec.metrics
                    if m.tier == tier
                ],
            }
            for tier in (1, 2, 3)
        ],
        "systems": [
            {
                "name": s.name,
                "category": s.category.replace("_", " "),
                "record_for": ", ".join(s.system_of_record_for) or "-",
                "integrations": ", ".join(
                    f"{systems.get(i.to, i.to)} ({'↔' if i.direction == 'bidirectional' else '→'}, {i.frequency})"
                    for i in s.integrations
                )
                or "-",
                "cost": f"{s.annual_cost:,.0f} {s.currency or company.currency}",
                "seats": f"{s.seats_used if s.seats_used is not None else '?'} / {s.seats_licensed}"
                if s.seats_licensed is not None
                else "-",
                "owner": role(s.owner),
            }
            for s in spec.systems
        ],
        "cadences": [
            {
                "name": c.name,
                "frequency": c.frequency,
                "schedule": c.schedule,
                "purpose": c.purpose,
                "owner": role(c.owner),
                "attendees": role_list(c.attendees),
                "metrics": ", ".join(c.covers.metrics) or "-",
                "topics": c.covers.topics,
            }
            for c in spec.cadences
        ],
    }


def _metric_sql(spec: Spec, m: Any) -> str:
    """The SQL revframe runs for a metric, so the charter and the numbers cannot disagree."""
    from revframe.metrics.compute import definition_sql  # the metrics engine builds on the framework

    try:
        return definition_sql(spec, m)
    except Exception as e:  # a definition the engine refuses: say so in the charter rather than fail it
        return f"-- cannot be computed: {e}"
