"""Semantic checks of the data pillar: data rules, naming conventions, dedup, enrichment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from revframe.framework.check_base import CheckList, Context, Issue, unknown, unknown_all
from revframe.framework.dedup import Survivorship
from revframe.framework.suggest import did_you_mean, one_of
from revframe.framework.yamlpos import Path
from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.framework.models import Spec

CHECKS = CheckList()


def _field(obj: str, field: str, path: Path, *, key: bool = False) -> Iterator[Issue]:
    names = TABLES[obj].data_columns
    if field not in names:
        hint = f"{did_you_mean(field, names)}fields of {obj}: {one_of(names, limit=40)}"
        yield Issue(path, f"'{obj}' has no field '{field}'", field, hint, key)


@CHECKS.needs("data_rules")
def data_rule_fields(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Every field a data rule names is a canonical field of that object."""
    for obj, rules in spec.data_rules.objects.items():
        base = ("data_rules", "objects", obj)
        for i, field in enumerate(rules.required):
            yield from _field(obj, field, (*base, "required", i))
        for rule in ("formats", "patterns", "allowed_values"):
            for field in getattr(rules, rule):
                yield from _field(obj, field, (*base, rule, field), key=True)


@CHECKS.needs("data_rules", "lifecycle", "pipeline")
def stage_names_follow_convention(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Stage names follow the ``stage_names`` naming convention, when there is one."""
    for conv in spec.data_rules.naming_conventions:
        if conv.applies_to != "stage_names":
            continue
        named: list[tuple[str, list[Any]]] = [("lifecycle", spec.lifecycle.stages), ("pipeline", spec.pipeline.stages)]
        for section, stages in named:
            for i, s in enumerate(stages):
                if not re.fullmatch(conv.pattern, s.name):
                    yield Issue(
                        (section, "stages", i, "name"),
                        f"stage name '{s.name}' breaks naming convention '{conv.id}'",
                        s.name,
                        f"rename it like '{conv.example}' (pattern {conv.pattern})",
                    )


@CHECKS.needs("dedup", "people")
def merge_roles(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Merge roles are known roles."""
    if spec.dedup is not None:
        roles = spec.people.role_ids()
        yield from unknown_all(spec.dedup.merge_roles, roles, ("dedup", "merge_roles"), "role", "people.roles")


@CHECKS.needs("dedup")
def dedup_rules(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Thresholds are ordered, and match keys, comparisons and survivorship name the object's fields."""
    if spec.dedup is None:
        return
    for obj, rules in spec.dedup.objects.items():
        base = ("dedup", "objects", obj)
        t = rules.thresholds
        if t.auto_merge <= t.review:
            yield Issue(
                (*base, "thresholds", "auto_merge"),
                f"auto_merge threshold {t.auto_merge} is not above review threshold {t.review}",
                t.auto_merge,
                "auto_merge must be higher than review, e.g. auto_merge: 0.95, review: 0.8",
            )
        for i, mk in enumerate(rules.match_keys):
            for j, field in enumerate(mk.fields):
                yield from _field(obj, field, (*base, "match_keys", i, "fields", j))
        for i, comp in enumerate(rules.comparisons):
            yield from _field(obj, comp.field, (*base, "comparisons", i, "field"))
        for field in rules.survivorship.fields:
            yield from _field(obj, field, (*base, "survivorship", "fields", field), key=True)


@CHECKS.needs("dedup", "systems")
def survivorship_systems(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """Survivorship names known systems; system_of_record rules have a system of record to follow."""
    if spec.dedup is None:
        return
    systems = [s.id for s in spec.systems]
    for obj, rules in spec.dedup.objects.items():
        base = ("dedup", "objects", obj, "survivorship")
        entries: list[tuple[Path, Survivorship]] = [((*base, "default"), rules.survivorship.default)]
        entries += [((*base, "fields", f), r) for f, r in rules.survivorship.fields.items()]
        for path, rule in entries:
            yield from unknown_all(rule.systems, systems, (*path, "systems"), "system", "systems")
            if rule.rule == "system_of_record" and spec.system_of_record(obj) is None:
                yield Issue(
                    (*path, "rule"),
                    f"no system is the system of record for {obj}",
                    rule.rule,
                    f"add {obj} to a system's system_of_record_for, or use source_priority",
                )


@CHECKS.needs("enrichment", "webhooks")
def enrichment_rules(spec: Spec, ctx: Context) -> Iterator[Issue]:
    """A field is either fill-only or overwritable, not both; the budget alert channel exists."""
    if spec.enrichment is None:
        return
    overwrite = set(spec.enrichment.may_overwrite)
    for i, field in enumerate(spec.enrichment.fill_if_empty):
        if field in overwrite:
            yield Issue(
                ("enrichment", "fill_if_empty", i),
                f"'{field}' is also listed in may_overwrite",
                field,
                "keep it in one list: may_overwrite already allows filling empty values",
            )
    yield from unknown(
        spec.enrichment.budget.alert_channel,
        list(spec.webhooks),
        ("enrichment", "budget", "alert_channel"),
        "webhook",
        "webhooks",
    )
