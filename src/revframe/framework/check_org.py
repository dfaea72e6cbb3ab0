"""Semantic checks of people, company, technology and measurement: references between sections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from revframe.framework.check_base import CheckList, Context, Issue, unknown, unknown_all

if TYPE_CHECKING:
    from revframe.framework.models import Spec

CHECKS = CheckList()
ROLES = "people.roles"


@CHECKS.needs("company")
def company_ranges(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Segments do not overlap; no country sits in two regions."""
    segments = spec.company.segments
    for i, s in enumerate(segments):
        for other in segments[:i]:
            a, b = s.employees, other.employees
            if (a.max is None or a.max >= b.min) and (b.max is None or b.max >= a.min):
                yield Issue(
                    ("company", "segments", i, "employees"),
                    f"segment '{s.id}' overlaps segment '{other.id}'",
                    None,
                    "make employee ranges disjoint, e.g. smb max 199 and mid_market min 200",
                )
    seen: dict[str, str] = {}
    for i, r in enumerate(spec.company.regions):
        for j, country in enumerate(r.countries):
            if country in seen:
                yield Issue(
                    ("company", "regions", i, "countries", j),
                    f"country {country} is already in region '{seen[country]}'",
                    country,
                    "put each country in one region",
                )
            seen.setdefault(country, r.id)


@CHECKS.needs("icp", "company")
def icp_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """ICP regions exist and the fit weights add up to 100."""
    if spec.icp is None:
        return
    regions = [r.id for r in spec.company.regions]
    yield from unknown_all(spec.icp.regions, regions, ("icp", "regions"), "region", "company.regions")
    total = spec.icp.fit_weights.total
    if abs(total - 100) > 1e-9:
        yield Issue(
            ("icp", "fit_weights"),
            f"fit weights add up to {total:g}, not 100",
            None,
            "adjust the weights so they sum to 100 (each is the share of the fit score)",
        )


@CHECKS.needs("scoring")
def scoring_thresholds(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """The hot threshold is not below the MQL threshold."""
    if spec.scoring is not None and spec.scoring.thresholds.hot < spec.scoring.thresholds.mql:
        t = spec.scoring.thresholds
        yield Issue(
            ("scoring", "thresholds", "hot"),
            f"hot threshold {t.hot:g} is below the mql threshold {t.mql:g}",
            t.hot,
            "a hot lead is an MQL with a higher score: make hot at least mql",
        )


@CHECKS.needs("people")
def people_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Roles belong to known teams, teams have known managers, decision rights name known roles."""
    teams = [t.id for t in spec.people.teams]
    roles = spec.people.role_ids()
    for i, r in enumerate(spec.people.roles):
        yield from unknown(r.team, teams, ("people", "roles", i, "team"), "team", "people.teams")
    for i, t in enumerate(spec.people.teams):
        yield from unknown(t.manager, roles, ("people", "teams", i, "manager"), "role", ROLES)
    for i, d in enumerate(spec.people.decision_rights):
        for attr in ("decide", "consult", "inform"):
            yield from unknown_all(getattr(d, attr), roles, ("people", "decision_rights", i, attr), "role", ROLES)


@CHECKS.needs("api", "people")
def api_rights(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """API rights name known roles."""
    roles = spec.people.role_ids()
    for i, right in enumerate(spec.api.rights):
        yield from unknown_all(right.roles, roles, ("api", "rights", i, "roles"), "role", ROLES)


@CHECKS.needs("definitions", "people", "lifecycle", "pipeline")
def definition_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Definitions are owned by known roles and link to known stages."""
    roles = spec.people.role_ids()
    stages = [s.id for s in spec.lifecycle.stages] + [s.id for s in spec.pipeline.stages]
    for i, d in enumerate(spec.definitions):
        yield from unknown(d.owner, roles, ("definitions", i, "owner"), "role", ROLES)
        yield from unknown(d.stage, stages, ("definitions", i, "stage"), "stage", "lifecycle.stages or pipeline.stages")


@CHECKS.needs("charter", "people", "cadences")
def charter_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """The charter's owner and stakeholders are known roles; its review cadence exists."""
    c = spec.charter
    if c is None:
        return
    roles = spec.people.role_ids()
    yield from unknown(c.owner, roles, ("charter", "owner"), "role", ROLES)
    for i, s in enumerate(c.stakeholders):
        yield from unknown(s.role, roles, ("charter", "stakeholders", i, "role"), "role", ROLES)
    cadences = [x.id for x in spec.cadences]
    yield from unknown(c.review_cadence, cadences, ("charter", "review_cadence"), "cadence", "cadences")


@CHECKS.needs("systems", "people")
def system_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Integrations go to other known systems; owners are roles; one system of record per object."""
    ids = [s.id for s in spec.systems]
    roles = spec.people.role_ids()
    owner_of: dict[str, str] = {}
    for i, s in enumerate(spec.systems):
        yield from unknown(s.owner, roles, ("systems", i, "owner"), "role", ROLES)
        for j, integ in enumerate(s.integrations):
            path = ("systems", i, "integrations", j, "to")
            yield from unknown(integ.to, ids, path, "system", "systems")
            if integ.to == s.id:
                yield Issue(path, f"system '{s.id}' integrates with itself", integ.to, "name the other system")
        for j, obj in enumerate(s.system_of_record_for):
            if obj in owner_of:
                yield Issue(
                    ("systems", i, "system_of_record_for", j),
                    f"{obj} already has system of record '{owner_of[obj]}'",
                    obj,
                    "one source of truth per object: remove it from one of the two systems",
                )
            owner_of.setdefault(obj, s.id)


@CHECKS.needs("metrics", "people", "cadences", "systems")
def metric_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Every metric has a time dimension, a known owner role, cadence and system of record."""
    roles = spec.people.role_ids()
    cadences = [c.id for c in spec.cadences]
    systems = [s.id for s in spec.systems]
    for i, m in enumerate(spec.metrics):
        path = ("metrics", i)
        if m.time_dimension is None:
            yield Issue(
                path,
                f"metric '{m.id}' has no time_dimension",
                None,
                "add time_dimension: the date field that puts a row in a period, e.g. "
                "opportunities.close_date; without it two reports can disagree",
            )
        yield from unknown(m.owner, roles, (*path, "owner"), "role", ROLES)
        yield from unknown(m.cadence, cadences, (*path, "cadence"), "cadence", "cadences")
        yield from unknown(m.system_of_record, systems, (*path, "system_of_record"), "system", "systems")


@CHECKS.needs("metrics")
def metric_computable(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Every metric can be computed: a built-in id, a measure, or a ratio of known metrics without a cycle."""
    from revframe.framework.metrics import BUILTIN_METRICS

    ids = [m.id for m in spec.metrics]
    ratios = {m.id: m.ratio for m in spec.metrics if m.ratio is not None}
    for i, m in enumerate(spec.metrics):
        path = ("metrics", i)
        if m.measure is None and m.ratio is None and m.id not in BUILTIN_METRICS:
            yield Issue(
                path, f"metric '{m.id}' has no way to be computed", m.id,
                "add measure: {agg: sum, field: opportunities.amount} (count, count_distinct, sum, avg, median, "
                "p90, min, max) or ratio: {numerator: METRIC, denominator: METRIC}; built-in metrics: "
                + ", ".join(sorted(BUILTIN_METRICS)),
            )  # fmt: skip
        if m.ratio is None:
            continue
        for part in ("numerator", "denominator"):
            yield from unknown(getattr(m.ratio, part), ids, (*path, "ratio", part), "metric", "metrics")
        seen, todo = {m.id}, [m.ratio.numerator, m.ratio.denominator]
        while todo:
            nxt = todo.pop()
            if nxt == m.id:
                yield Issue((*path, "ratio"), f"metric '{m.id}' is a ratio of itself (a cycle)", m.id,
                            "a ratio must end at metrics with a measure or built-in metrics")  # fmt: skip
                break
            if nxt not in seen and nxt in ratios:
                seen.add(nxt)
                todo += [ratios[nxt].numerator, ratios[nxt].denominator]


@CHECKS.needs("cadences", "people", "metrics")
def cadence_refs(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Cadences are owned and attended by known roles and cover known metrics."""
    roles = spec.people.role_ids()
    metrics = [m.id for m in spec.metrics]
    for i, c in enumerate(spec.cadences):
        yield from unknown(c.owner, roles, ("cadences", i, "owner"), "role", ROLES)
        yield from unknown_all(c.attendees, roles, ("cadences", i, "attendees"), "role", ROLES)
        yield from unknown_all(c.covers.metrics, metrics, ("cadences", i, "covers", "metrics"), "metric", "metrics")
