"""Semantic checks: ids are unique in every list that other sections refer to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from revframe.framework.check_base import CheckList, Context, Issue, duplicates

if TYPE_CHECKING:
    from revframe.framework.models import Spec

CHECKS = CheckList()


@CHECKS.needs("company")
def company_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Regions and segments are unique."""
    yield from duplicates([r.id for r in spec.company.regions], ("company", "regions"), "region", ctx)
    yield from duplicates([s.id for s in spec.company.segments], ("company", "segments"), "segment", ctx)


@CHECKS.needs("icp")
def icp_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Disqualifiers are unique."""
    if spec.icp is not None:
        ids = [d.id for d in spec.icp.disqualifiers]
        yield from duplicates(ids, ("icp", "disqualifiers"), "disqualifier", ctx)


@CHECKS.needs("definitions")
def definition_terms(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Each term is defined once (case-insensitive): one word, one meaning."""
    terms = [d.term for d in spec.definitions]
    yield from duplicates(terms, ("definitions",), "term", ctx, attr="term", fold=True)


@CHECKS.needs("people")
def people_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Teams, roles and decisions are unique."""
    p = spec.people
    yield from duplicates([t.id for t in p.teams], ("people", "teams"), "team", ctx)
    yield from duplicates([r.id for r in p.roles], ("people", "roles"), "role", ctx)
    decisions = [d.decision for d in p.decision_rights]
    yield from duplicates(decisions, ("people", "decision_rights"), "decision", ctx, attr="decision")


@CHECKS.needs("lifecycle", "pipeline")
def stage_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Stage ids are unique within and across lifecycle and pipeline (handoffs name either)."""
    life = [s.id for s in spec.lifecycle.stages]
    yield from duplicates(life, ("lifecycle", "stages"), "lifecycle stage", ctx)
    yield from duplicates([s.id for s in spec.pipeline.stages], ("pipeline", "stages"), "pipeline stage", ctx)
    for i, stage in enumerate(spec.pipeline.stages):
        if stage.id in life:
            first = ctx.line(("lifecycle", "stages", life.index(stage.id), "id"))
            yield Issue(
                ("pipeline", "stages", i, "id"),
                f"pipeline stage id '{stage.id}' is also a lifecycle stage id (line {first})",
                stage.id,
                "rename one: handoffs and definitions name stages by id, which must be unambiguous",
            )


@CHECKS.needs("handoffs")
def handoff_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Handoffs, and the priority SLAs within each, are unique."""
    yield from duplicates([h.id for h in spec.handoffs], ("handoffs",), "handoff", ctx)
    for i, h in enumerate(spec.handoffs):
        ids = [p.id for p in h.priority_slas]
        yield from duplicates(ids, ("handoffs", i, "priority_slas"), "priority SLA", ctx)


@CHECKS.needs("calendars")
def calendar_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Calendars are unique."""
    yield from duplicates([c.id for c in spec.calendars], ("calendars",), "calendar", ctx)


@CHECKS.needs("routing")
def routing_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Routing rules are unique."""
    if spec.routing is not None:
        yield from duplicates([r.id for r in spec.routing.rules], ("routing", "rules"), "routing rule", ctx)


@CHECKS.needs("data_rules")
def naming_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Naming conventions are unique."""
    ids = [n.id for n in spec.data_rules.naming_conventions]
    yield from duplicates(ids, ("data_rules", "naming_conventions"), "naming convention", ctx)


@CHECKS.needs("dedup")
def match_key_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Match keys are unique per object."""
    if spec.dedup is not None:
        for obj, rules in spec.dedup.objects.items():
            ids = [k.id for k in rules.match_keys]
            yield from duplicates(ids, ("dedup", "objects", obj, "match_keys"), "match key", ctx)


@CHECKS.needs("enrichment")
def provider_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Enrichment providers are unique."""
    if spec.enrichment is not None:
        ids = [p.id for p in spec.enrichment.providers]
        yield from duplicates(ids, ("enrichment", "providers"), "provider", ctx)


@CHECKS.needs("systems")
def system_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Systems are unique."""
    yield from duplicates([s.id for s in spec.systems], ("systems",), "system", ctx)


@CHECKS.needs("metrics")
def metric_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Metrics are unique."""
    yield from duplicates([m.id for m in spec.metrics], ("metrics",), "metric", ctx)


@CHECKS.needs("cadences")
def cadence_ids(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Cadences are unique."""
    yield from duplicates([c.id for c in spec.cadences], ("cadences",), "cadence", ctx)
