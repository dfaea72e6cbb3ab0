"""Deduplication: match keys, probabilistic comparisons, thresholds, survivorship and merge rights."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from revframe.framework.base import Id, ObjectName, Share, SpecModel, invalid

Method = Literal["exact", "levenshtein", "jaro_winkler", "jaccard", "phonetic", "numeric"]
SurvivorshipRule = Literal["source_priority", "most_recent", "most_complete", "non_empty", "system_of_record"]


class MatchKey(SpecModel):
    """A deterministic key: records whose normalized values of all ``fields`` are equal are one record."""

    id: Id
    fields: list[str] = Field(min_length=1)
    description: str = ""


class Comparison(SpecModel):
    """A field compared by the probabilistic matcher, with its relative weight."""

    field: str
    method: Method
    weight: float = Field(default=1, gt=0)


class Thresholds(SpecModel):
    """Match probability (0-1) above which pairs merge automatically or go to human review."""

    auto_merge: Share
    review: Share


class Survivorship(SpecModel):
    """Which value survives a merge; ``source_priority`` needs ``systems`` in priority order."""

    rule: SurvivorshipRule
    systems: list[Id] = []

    @model_validator(mode="after")
    def _systems_given(self) -> Survivorship:
        if self.rule == "source_priority" and not self.systems:
            raise invalid(
                "rule source_priority needs the systems in priority order",
                "add systems: [salesforce, hubspot] (system ids, most trusted first)",
            )
        return self


class SurvivorshipRules(SpecModel):
    """A default survivorship rule plus per-field overrides."""

    default: Survivorship
    fields: dict[str, Survivorship] = {}


class ObjectDedup(SpecModel):
    """How one object is deduplicated."""

    match_keys: list[MatchKey] = []
    comparisons: list[Comparison] = []
    thresholds: Thresholds
    survivorship: SurvivorshipRules


class Dedup(SpecModel):
    """Deduplication per object and the roles allowed to merge (and unmerge) records."""

    merge_roles: list[Id] = Field(min_length=1)
    objects: dict[ObjectName, ObjectDedup] = {}
