"""The rule language: conditions over canonical fields, scores and events.

A condition is a mapping with exactly one of these shapes::

    {field: contacts.country, op: in, value: [US, CA]}          # a field of a record
    {score: total, op: gte, value: 60}                          # the lead score (fit, engagement, total)
    {event: touchpoint, type: demo_request, within_days: 30}    # something that happened
    {all: [<condition>, ...]}  {any: [<condition>, ...]}  {not: <condition>}

Entry criteria, disqualifiers, routing rules, handoff actions and metric filters are all conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator

from revframe.framework.base import FieldRef, SpecModel, StrList, invalid

Op = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "not_exists", "matches"]
ScoreOp = Literal["eq", "ne", "gt", "gte", "lt", "lte"]
EventKind = Literal[
    "touchpoint",
    "activity",
    "opportunity",
    "stage_change",
    "subscription",
    "ticket",
    "product_usage",
    "onboarding_milestone",
]

EVENT_TABLES: dict[str, tuple[str, str]] = {
    "touchpoint": ("touchpoints", "type"),
    "activity": ("activities", "type"),
    "opportunity": ("opportunities", "type"),
    "stage_change": ("opportunity_stage_history", "stage"),
    "subscription": ("subscriptions", "status"),
    "ticket": ("tickets", "priority"),
    "product_usage": ("product_usage", "feature"),
    "onboarding_milestone": ("onboarding_milestones", "milestone"),
}
"""Event kind -> (canonical table, the column that ``type`` matches)."""

OP_WORDS = {
    "eq": "is",
    "ne": "is not",
    "in": "is one of",
    "not_in": "is not one of",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "exists": "is filled in",
    "not_exists": "is empty",
    "matches": "matches the pattern",
}

_SINGULAR = {
    "accounts": "account",
    "contacts": "contact",
    "users": "user",
    "opportunities": "opportunity",
    "opportunity_stage_history": "stage change",
    "activities": "activity",
    "campaigns": "campaign",
    "touchpoints": "touchpoint",
    "subscriptions": "subscription",
    "tickets": "ticket",
    "product_usage": "usage record",
    "onboarding_milestones": "onboarding milestone",
}


class FieldCondition(SpecModel):
    """A test on a canonical field. On another object than the subject: any related record matches."""

    field: FieldRef
    op: Op
    value: Any = Field(default=None, validate_default=True)

    @field_validator("value")
    @classmethod
    def _value_fits_op(cls, value: Any, info: ValidationInfo) -> Any:
        op = info.data.get("op")
        if op is None:
            return value
        if op in ("exists", "not_exists"):
            if value is not None:
                raise invalid(f"op '{op}' takes no value", "remove 'value:'")
        elif op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise invalid(f"op '{op}' needs a list of values", "write value: [a, b]")
        elif value is None:
            raise invalid(
                f"op '{op}' needs a value",
                "add 'value:'; to test for an empty field use op: not_exists",
            )
        elif op in ("gt", "gte", "lt", "lte"):
            if isinstance(value, bool) or not isinstance(value, int | float | date | datetime):
                raise invalid(f"op '{op}' compares numbers or dates", "write a number or a YYYY-MM-DD date")
        elif op == "matches":
            if not isinstance(value, str):
                raise invalid("op 'matches' needs a regular expression", "write value: '^pattern$'")
            try:
                re.compile(value)
            except re.error as exc:
                raise invalid(f"invalid regular expression: {exc}", "fix the pattern (Python re syntax)") from None
        elif isinstance(value, dict | list):
            raise invalid(f"op '{op}' compares one value", "write one value, or use op: in with a list")
        return value


class ScoreCondition(SpecModel):
    """A test on the lead score computed from ``scoring`` (0-100)."""

    score: Literal["fit", "engagement", "total"]
    op: ScoreOp
    value: float


class EventCondition(SpecModel):
    """Something that happened: a touchpoint, a rep activity, an opportunity, a ticket...

    ``type`` matches the event table's type column (see ``EVENT_TABLES``); ``within_days`` limits
    how far back to look; ``exclude_automated`` ignores sequences and auto-replies (activities).
    """

    event: EventKind
    type: StrList = []
    within_days: int | None = Field(default=None, gt=0)
    min_count: int = Field(default=1, ge=1)
    exclude_automated: bool = False

    @field_validator("exclude_automated")
    @classmethod
    def _only_activities(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("event") not in (None, "activity"):
            raise invalid(
                "exclude_automated applies to activities only",
                "remove it, or use event: activity",
            )
        return value


class AllOf(SpecModel):
    """Every condition in the list holds."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(SpecModel):
    """At least one condition in the list holds."""

    any: list[Condition] = Field(min_length=1)


class NotOf(SpecModel):
    """The condition does not hold."""

    not_: Condition = Field(alias="not")


_TAGS: tuple[tuple[str, str, type[SpecModel]], ...] = (
    ("all", "<all>", AllOf),
    ("any", "<any>", AnyOf),
    ("not", "<not>", NotOf),
    ("field", "<field condition>", FieldCondition),
    ("score", "<score condition>", ScoreCondition),
    ("event", "<event condition>", EventCondition),
)


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag, _ in _TAGS:
            if key in value:
                return tag
        return None
    for _, tag, cls in _TAGS:
        if isinstance(value, cls):
            return tag
    return None


CONDITION_KEYS = tuple(key for key, _, _ in _TAGS)
CONDITION_HELP = (
    "write {field: object.field, op: eq, value: ...}, {score: total, op: gte, value: 60}, "
    "{event: touchpoint, type: demo_request, within_days: 30}, or group conditions under all:, any: or not:"
)

Condition = Annotated[
    Union[  # noqa: UP007 - tagged members read better spelled out
        Annotated[AllOf, Tag("<all>")],
        Annotated[AnyOf, Tag("<any>")],
        Annotated[NotOf, Tag("<not>")],
        Annotated[FieldCondition, Tag("<field condition>")],
        Annotated[ScoreCondition, Tag("<score condition>")],
        Annotated[EventCondition, Tag("<event condition>")],
    ],
    Discriminator(
        _condition_kind,
        custom_error_type="condition_kind",
        custom_error_message="not a condition: it needs one of the keys field, score, event, all, any or not",
    ),
]
"""Any condition of the rule language."""

for _model in (AllOf, AnyOf, NotOf):
    _model.model_rebuild()


def iter_conditions(cond: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Yield ``(path, condition)`` for a condition and every condition nested in it.

    Args:
        cond: a condition model.
        path: the path of ``cond`` in the spec; nested paths extend it.
    """
    yield path, cond
    if isinstance(cond, AllOf):
        for i, c in enumerate(cond.all):
            yield from iter_conditions(c, (*path, "all", i))
    elif isinstance(cond, AnyOf):
        for i, c in enumerate(cond.any):
            yield from iter_conditions(c, (*path, "any", i))
    elif isinstance(cond, NotOf):
        yield from iter_conditions(cond.not_, (*path, "not"))


def _field_words(ref: str) -> str:
    obj, _, field = ref.partition(".")
    return f"the {_SINGULAR.get(obj, obj)}'s {field.replace('_', ' ')}"


def _value_words(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value_words(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _or_words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def describe(cond: Any) -> str:
    """Render a condition in plain English, e.g. ``the total lead score is at least 60``.

    Args:
        cond: a condition model (or None, rendered as "set by hand").

    Returns:
        One sentence fragment; nested groups are parenthesized.
    """
    if cond is None:
        return "set by hand (no automatic rule)"
    if isinstance(cond, FieldCondition):
        obj, _, field = cond.field.partition(".")
        if field.startswith("is_") and cond.op in ("eq", "ne") and isinstance(cond.value, bool):
            positive = cond.value is (cond.op == "eq")
            return f"the {_SINGULAR.get(obj, obj)} {'is' if positive else 'is not'} {field[3:].replace('_', ' ')}"
        words = f"{_field_words(cond.field)} {OP_WORDS[cond.op]}"
        return words if cond.value is None else f"{words} {_value_words(cond.value)}"
    if isinstance(cond, ScoreCondition):
        return f"the {cond.score} lead score {OP_WORDS[cond.op]} {cond.value:g}"
    if isinstance(cond, EventCondition):
        return _describe_event(cond)
    if isinstance(cond, NotOf):
        return f"not ({describe(cond.not_)})"
    if isinstance(cond, AllOf | AnyOf):
        parts = cond.all if isinstance(cond, AllOf) else cond.any
        joiner = " and " if isinstance(cond, AllOf) else " or "
        texts = [f"({describe(c)})" if isinstance(c, AllOf | AnyOf) and len(parts) > 1 else describe(c) for c in parts]
        return joiner.join(texts)
    raise TypeError(f"not a condition: {cond!r}")


def _describe_event(cond: EventCondition) -> str:
    noun = cond.event.replace("_", " ")
    count = ("an" if noun[0] in "aeiou" else "a") if cond.min_count == 1 else f"at least {cond.min_count}"
    plural = "" if cond.min_count == 1 else "s"
    text = f"{count} {noun}{plural}"
    if cond.type:
        text += f" of type {_or_words(cond.type)}"
    if cond.exclude_automated:
        text += " (automated touches excluded)"
    if cond.within_days:
        text += " in the last day" if cond.within_days == 1 else f" in the last {cond.within_days} days"
    return text
