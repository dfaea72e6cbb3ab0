"""The data pillar's rules: required fields, formats, allowed values, staleness, naming conventions."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from revframe.framework.base import Id, ObjectName, Regex, SpecModel, field_problem, invalid

Format = Literal["email", "phone", "domain", "url", "iso_country", "iso_currency", "date"]
Severity = Literal["error", "warning", "info"]
#: The kinds of finding a quality scan reports (``quality_issues.rule``).
RuleKind = Literal["required", "format", "pattern", "allowed_values", "stale", "reference", "lifecycle", "naming"]
#: What a finding of each kind weighs unless the spec says otherwise.
DEFAULT_SEVERITY: dict[str, Severity] = {
    "required": "error",
    "reference": "error",
    "format": "warning",
    "pattern": "warning",
    "allowed_values": "warning",
    "lifecycle": "warning",
    "naming": "warning",
    "stale": "info",
}
NAMED_THINGS = ("property_names", "stage_names")


def _applies_to(value: str) -> str:
    if value in NAMED_THINGS:
        return value
    obj, sep, field = value.partition(".")
    error = field_problem(obj, field) if sep else None
    if not sep or error is not None:
        raise error or invalid(
            f"'{value}' is not something a naming convention can apply to",
            "write a field such as campaigns.name, or property_names, or stage_names",
        )
    return value


AppliesTo = Annotated[str, AfterValidator(_applies_to)]


class ObjectRules(SpecModel):
    """Data-quality rules for one canonical object; field names are that object's fields."""

    required: list[str] = []
    formats: dict[str, Format] = {}
    patterns: dict[str, Regex] = {}
    allowed_values: dict[str, list[str]] = {}
    stale_after_days: int | None = Field(default=None, gt=0)
    severity: dict[RuleKind, Severity] = {}

    def severity_of(self, rule: RuleKind) -> Severity:
        """How much a finding of ``rule`` on this object weighs: the spec's override, else the default."""
        return self.severity.get(rule, DEFAULT_SEVERITY[rule])

    def fields(self) -> list[tuple[str, str]]:
        """Every ``(rule, field)`` the rules name, for reference checks."""
        named = [("required", f) for f in self.required]
        for rule in ("formats", "patterns", "allowed_values"):
            named += [(rule, f) for f in getattr(self, rule)]
        return named


class NamingConvention(SpecModel):
    """A naming convention: a pattern the names of campaigns, properties or stages must match.

    ``applies_to`` is a canonical field (``campaigns.name``), ``property_names`` (CRM custom
    properties) or ``stage_names`` (the spec's own lifecycle and pipeline stage names).
    """

    id: Id
    description: str = ""
    applies_to: AppliesTo
    pattern: Regex
    example: str = Field(min_length=1)
    severity: Severity = DEFAULT_SEVERITY["naming"]

    @model_validator(mode="after")
    def _example_matches(self) -> NamingConvention:
        if not re.fullmatch(self.pattern, self.example):
            raise invalid(
                f"example '{self.example}' does not match the pattern",
                "fix the pattern or give an example that follows it",
            )
        return self


class DataRules(SpecModel):
    """Per-object data rules plus naming conventions."""

    objects: dict[ObjectName, ObjectRules] = {}
    naming_conventions: list[NamingConvention] = []
