"""Semantic checks of the process pillar: stage order and transitions, pipeline, handoffs, routing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from revframe.framework.check_base import CheckList, Context, Issue, unknown, unknown_all
from revframe.framework.yamlpos import Path

if TYPE_CHECKING:
    from revframe.framework.models import Spec

CHECKS = CheckList()


def _order(stages: list[Any], path: tuple[str, ...], what: str) -> Iterator[Issue]:
    previous = None
    for i, stage in enumerate(stages):
        if previous is not None and stage.order <= previous.order:
            same = stage.order == previous.order
            reason = (
                f"order {stage.order} repeats the order of '{previous.id}'"
                if same
                else f"order {stage.order} is lower than the order of '{previous.id}' ({previous.order})"
            )
            yield Issue(
                (*path, i, "order"),
                f"{what} '{stage.id}': {reason}",
                stage.order,
                f"list stages in funnel order with increasing order numbers: use an order above {previous.order}",
            )
        previous = stage


@CHECKS.needs("lifecycle")
def lifecycle_order(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Lifecycle stage orders increase down the list (no duplicates, no going back)."""
    yield from _order(spec.lifecycle.stages, ("lifecycle", "stages"), "lifecycle stage")


@CHECKS.needs("pipeline")
def pipeline_order(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Pipeline stage orders increase down the list."""
    yield from _order(spec.pipeline.stages, ("pipeline", "stages"), "pipeline stage")


@CHECKS.needs("lifecycle", "people")
def lifecycle_owners(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Each lifecycle stage is owned by a known team."""
    teams = [t.id for t in spec.people.teams]
    for i, s in enumerate(spec.lifecycle.stages):
        yield from unknown(s.owner_team, teams, ("lifecycle", "stages", i, "owner_team"), "team", "people.teams")


@CHECKS.needs("lifecycle")
def transitions(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Transitions name known stages; allowed_backward moves really go back; no move is both."""
    stages = {s.id: s for s in spec.lifecycle.stages}
    known = list(stages)
    forbidden = {(t.from_, t.to) for t in spec.lifecycle.forbidden_transitions}
    for section in ("allowed_backward", "forbidden_transitions"):
        for i, t in enumerate(getattr(spec.lifecycle, section)):
            path = ("lifecycle", section, i)
            if t.from_ != "*":
                yield from unknown(t.from_, known, (*path, "from"), "lifecycle stage", "lifecycle.stages")
            yield from unknown(t.to, known, (*path, "to"), "lifecycle stage", "lifecycle.stages")
            if section != "allowed_backward" or t.from_ not in stages or t.to not in stages:
                continue
            src, dst = stages[t.from_], stages[t.to]
            if src.funnel and (not dst.funnel or dst.order >= src.order):
                yield Issue(
                    (*path, "to"),
                    f"'{t.from_}' -> '{t.to}' is not a backward move",
                    t.to,
                    "forward moves and moves into non-funnel stages are always allowed; remove this entry",
                )
            if (t.from_, t.to) in forbidden:
                yield Issue(
                    (*path, "to"),
                    f"'{t.from_}' -> '{t.to}' is both allowed and forbidden",
                    t.to,
                    "remove it from allowed_backward or from forbidden_transitions",
                )


@CHECKS.needs("pipeline")
def pipeline_outcomes(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """One won stage, at least one lost stage, probabilities and categories that agree with outcomes."""
    stages = spec.pipeline.stages
    path: Path = ("pipeline", "stages")
    won = [i for i, s in enumerate(stages) if s.is_won]
    lost = [i for i, s in enumerate(stages) if s.is_closed and not s.is_won]
    if len(won) != 1:
        at: Path = (*path, won[1], "is_won") if len(won) > 1 else path
        yield Issue(
            at,
            f"the pipeline needs exactly one won stage, found {len(won)}",
            None,
            "mark the Closed Won stage with is_closed: true and is_won: true",
        )
    if not lost:
        yield Issue(
            ("pipeline", "stages"),
            "the pipeline has no lost stage",
            None,
            "add a Closed Lost stage with is_closed: true, is_won: false, probability: 0",
        )
    for i, s in enumerate(stages):
        at = (*path, i)
        if s.is_won and not s.is_closed:
            yield Issue((*at, "is_closed"), f"stage '{s.id}' is won but not closed", s.is_closed, "set is_closed: true")
        if s.is_won and s.probability != 100:
            yield Issue(
                (*at, "probability"),
                f"won stage '{s.id}' must have probability 100",
                s.probability,
                "set probability: 100",
            )
        if s.is_closed and not s.is_won and s.probability != 0:
            yield Issue(
                (*at, "probability"),
                f"lost stage '{s.id}' must have probability 0",
                s.probability,
                "set probability: 0",
            )
        if s.is_closed and s.forecast_category not in ("closed", "omitted"):
            yield Issue(
                (*at, "forecast_category"),
                f"closed stage '{s.id}' cannot be forecast as open",
                s.forecast_category,
                "use closed (won) or omitted (lost)",
            )
        if not s.is_closed and s.forecast_category == "closed":
            yield Issue(
                (*at, "forecast_category"),
                f"open stage '{s.id}' cannot be in forecast category closed",
                s.forecast_category,
                "use pipeline, best_case or commit",
            )
    open_probs = [s.probability for s in stages if not s.is_closed]
    if open_probs and max(open_probs) <= 1 and any(p > 0 for p in open_probs):
        first = next(i for i, s in enumerate(stages) if not s.is_closed and 0 < s.probability <= 1)
        yield Issue(
            (*path, first, "probability"),
            "probabilities look like fractions of 1",
            stages[first].probability,
            "probabilities are percents from 0 to 100: write 40 for 40%",
        )


@CHECKS.needs("handoffs", "people")
def handoff_teams(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Handoffs name known teams."""
    teams = [t.id for t in spec.people.teams]
    for i, h in enumerate(spec.handoffs):
        for attr in ("from_team", "to_team", "owner_team"):
            yield from unknown(getattr(h, attr), teams, ("handoffs", i, attr), "team", "people.teams")


@CHECKS.needs("handoffs", "lifecycle", "pipeline")
def handoff_stages(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Handoffs name known lifecycle or pipeline stages; a stage_entered trigger names its stage."""
    known = [s.id for s in spec.lifecycle.stages] + [s.id for s in spec.pipeline.stages]
    for i, h in enumerate(spec.handoffs):
        for attr in ("from_stage", "to_stage"):
            yield from unknown(
                getattr(h, attr), known, ("handoffs", i, attr), "stage", "lifecycle.stages or pipeline.stages"
            )
        if h.trigger.event == "stage_entered" and h.from_stage is None:
            yield Issue(
                ("handoffs", i, "trigger", "event"),
                f"handoff '{h.id}' starts on stage_entered but names no stage",
                h.trigger.event,
                "add from_stage: the stage whose entry starts the clock",
            )


def _slas(spec: Spec) -> Iterator[tuple[tuple[Any, ...], Any, Any]]:
    for i, h in enumerate(spec.handoffs):
        yield ("handoffs", i, "sla"), h.sla, h
        for j, p in enumerate(h.priority_slas):
            yield ("handoffs", i, "priority_slas", j, "sla"), p.sla, h


@CHECKS.needs("handoffs", "calendars")
def handoff_calendars(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """SLA calendars exist; business clocks have a calendar; units and clocks agree."""
    known = [c.id for c in spec.calendars]
    for path, sla, h in _slas(spec):
        yield from unknown(sla.calendar, known, (*path, "calendar"), "calendar", "calendars")
        if sla.unit.startswith("business_") and sla.clock == "wall":
            yield Issue(
                (*path, "clock"),
                f"unit {sla.unit} counts business time but clock is wall",
                sla.clock,
                f"set clock: business, or use unit: {sla.unit.removeprefix('business_')}",
            )
        if sla.effective_clock == "business" and sla.calendar is None and spec.calendar_for_team(h.to_team) is None:
            yield Issue(
                path,
                f"a business-time SLA needs a calendar and no calendar lists team '{h.to_team}'",
                None,
                f"add calendar: <id> to the sla, or add {h.to_team} to a calendar's teams",
            )


@CHECKS.needs("handoffs", "webhooks")
def escalation_channels(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Escalation channels are named webhooks."""
    hooks = list(spec.webhooks)
    for i, h in enumerate(spec.handoffs):
        for j, step in enumerate(h.escalation):
            yield from unknown(step.channel, hooks, ("handoffs", i, "escalation", j, "channel"), "webhook", "webhooks")


@CHECKS.needs("calendars", "people", "company")
def calendar_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Calendars name known teams and regions."""
    teams = [t.id for t in spec.people.teams]
    regions = [r.id for r in spec.company.regions]
    for i, c in enumerate(spec.calendars):
        yield from unknown_all(c.teams, teams, ("calendars", i, "teams"), "team", "people.teams")
        yield from unknown_all(c.regions, regions, ("calendars", i, "regions"), "region", "company.regions")


@CHECKS.needs("routing", "people", "company")
def routing_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Routing rules name known teams, regions and segments, and have what their strategy needs."""
    if spec.routing is None:
        return
    teams = [t.id for t in spec.people.teams]
    regions = [r.id for r in spec.company.regions]
    segments = [s.id for s in spec.company.segments]
    roles = spec.people.role_ids()
    yield from unknown_all(spec.routing.rep_roles, roles, ("routing", "rep_roles"), "role", "people.roles")
    for i, r in enumerate(spec.routing.rules):
        path = ("routing", "rules", i)
        yield from unknown(r.team, teams, (*path, "team"), "team", "people.teams")
        yield from unknown(r.region, regions, (*path, "region"), "region", "company.regions")
        yield from unknown(r.segment, segments, (*path, "segment"), "segment", "company.segments")
        if r.strategy in ("territory", "round_robin", "weighted_round_robin") and r.team is None:
            yield Issue(
                (*path, "strategy"),
                f"strategy {r.strategy} needs a team",
                r.strategy,
                "add team: <team id> whose reps share the records",
            )
        if r.strategy == "territory" and r.region is None and r.segment is None and not r.countries and not r.employees:
            yield Issue(
                (*path, "strategy"),
                "strategy territory needs a region, countries, a segment or an employees range",
                r.strategy,
                "add region: <region id> and/or segment: <segment id>",
            )
        if r.strategy == "named_accounts" and not r.accounts:
            yield Issue(
                (*path, "accounts"),
                "strategy named_accounts needs the accounts it names",
                None,
                "add accounts: {<account id, domain or name>: <user id or email>}",
            )
        if r.strategy == "queue" and r.queue is None:
            yield Issue((*path, "strategy"), "strategy queue needs a queue name", r.strategy, "add queue: <name>")
