"""Entry criteria as SQL: field, event and score conditions of the spec, for a person or an account.

Text compares as allowed values do (case, spaces and hyphens ignored); field criteria on the person
test the person's row, on a table with an ``account_id`` any row of the person's account; event
criteria count the events within ``within_days`` before the evaluation time; score criteria are
unknown until scores exist. See :mod:`revframe.process.lifecycle` for how stages use them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from revframe.framework.lifecycle import LifecycleStage
from revframe.framework.rules import (
    EVENT_TABLES,
    AllOf,
    AnyOf,
    EventCondition,
    FieldCondition,
    NotOf,
    ScoreCondition,
    iter_conditions,
)
from revframe.quality.scan_rules import allowed_key
from revframe.store.schema import TABLES

SCORE_NOTE = (
    "score criteria compare the person's current score (their latest `revframe score`, model rules): "
    "a person never scored does not meet them; accounts have no score"
)
UNKNOWN = "CAST(NULL AS BOOLEAN)"

EVENT_LINKS: dict[str, tuple[str, str]] = {
    "touchpoint": ("contact", "occurred_at"),
    "activity": ("contact", "occurred_at"),
    "ticket": ("contact", "created_at"),
    "opportunity": ("account", "created_at"),
    "stage_change": ("opportunity", "changed_at"),
    "subscription": ("account", "start_date"),
    "product_usage": ("account", "usage_date"),
    "onboarding_milestone": ("account", "completed_at"),
}
"""Event kind -> (whose events: the person's, the account's or its opportunities'; the time column)."""

_KEY_SQL = "lower(replace(replace(trim(CAST({col} AS VARCHAR)), ' ', '_'), '-', '_'))"
_OPS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Params:
    """Collects query parameters as named placeholders, numbered back into ``?`` in text order at the end."""

    values: list[Any] = field(default_factory=list)
    aliases: int = 0

    def p(self, value: Any) -> str:
        self.values.append(value)
        return f"$p{len(self.values) - 1}"

    def alias(self) -> str:
        self.aliases += 1
        return f"x{self.aliases}"

    def render(self, sql: str) -> tuple[str, list[Any]]:
        params: list[Any] = []

        def sub(m: re.Match[str]) -> str:
            params.append(self.values[int(m.group(1))])
            return "?"

        return re.sub(r"\$p(\d+)", sub, sql), params


@dataclass
class Subject:
    """Where a condition is evaluated: a person (``c``, a contacts row), an account (``a``), an opportunity (``o``)."""

    subject: str
    as_of: datetime
    sql: Params
    notes: set[str]

    @property
    def person(self) -> str | None:
        return {"contacts": "c.id", "opportunities": "o.contact_id"}.get(self.subject)

    @property
    def account(self) -> str:
        return {"contacts": "c.account_id", "opportunities": "o.account_id"}.get(self.subject, "a.id")

    @property
    def alias(self) -> str:
        return {"contacts": "c", "opportunities": "o"}.get(self.subject, "a")

    def ts(self, value: datetime) -> str:
        return f"CAST({self.sql.p(value)} AS TIMESTAMPTZ)"


def _value(v: Any, ctx: Subject) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, datetime):
        return ctx.ts(v if v.tzinfo else v.replace(tzinfo=UTC))
    if isinstance(v, date):
        return f"CAST({ctx.sql.p(v)} AS DATE)"
    return f"CAST({ctx.sql.p(str(v))} AS VARCHAR)"


def field_predicate(
    cond: FieldCondition, col: str, value: Callable[[Any], str], pattern: Callable[[str], str], *,
    empty_is_false: bool = False,
) -> str:  # fmt: skip
    """SQL of one field condition on ``col``; ``value`` and ``pattern`` render literals (parameters or inline).

    Text compares as allowed values do (case, spaces and hyphens ignored). ``empty_is_false``: an
    empty boolean flag compares as false (metrics: CRMs export unset checkboxes as empty).
    """
    op = cond.op
    if op == "exists":
        return f"{col} IS NOT NULL"
    if op == "not_exists":
        return f"{col} IS NULL"
    values = cond.value if isinstance(cond.value, list) else [cond.value]
    if op in ("eq", "ne", "in", "not_in") and all(isinstance(v, str) for v in values):
        # text compares as allowed values do: Unqualified, unqualified and UNQUALIFIED are one value
        col, values = _KEY_SQL.format(col=col), [allowed_key(v) for v in values]
    if op in ("in", "not_in"):
        return f"{col} {'NOT IN' if op == 'not_in' else 'IN'} ({', '.join(value(v) for v in values)})"
    if op == "matches":
        return f"regexp_matches(CAST({col} AS VARCHAR), {pattern(str(cond.value))})"
    if empty_is_false and isinstance(values[0], bool) and op in ("eq", "ne"):
        col = f"COALESCE({col}, FALSE)"
    return f"{col} {_OPS[op]} {value(values[0])}"


def _predicate(cond: FieldCondition, col: str, ctx: Subject) -> str:
    return field_predicate(cond, col, lambda v: _value(v, ctx), ctx.sql.p)


def _field_sql(cond: FieldCondition, ctx: Subject) -> str:
    obj, _, col = str(cond.field).partition(".")
    if obj == ctx.subject:
        return f"({_predicate(cond, f'{ctx.alias}.{col}', ctx)})"
    x = ctx.sql.alias()
    pred = _predicate(cond, f"{x}.{col}", ctx)
    if obj == "accounts":
        return f"EXISTS (SELECT 1 FROM accounts AS {x} WHERE {x}.id = {ctx.account} AND {pred})"
    columns = TABLES[obj].column_names if obj in TABLES else []
    if "account_id" in columns:
        return f"EXISTS (SELECT 1 FROM {obj} AS {x} WHERE {x}.account_id = {ctx.account} AND {pred})"
    if "contact_id" in columns and ctx.person:
        return f"EXISTS (SELECT 1 FROM {obj} AS {x} WHERE {x}.contact_id = {ctx.person} AND {pred})"
    return UNKNOWN  # a person's field for an account, or a table not tied to people or accounts


def _event_source(cond: EventCondition, ctx: Subject) -> tuple[str, str] | None:
    """``FROM ... WHERE ...`` of the events a condition counts, and their time column; None if not applicable."""
    table, type_col = EVENT_TABLES[cond.event]
    link, time_col = EVENT_LINKS[cond.event]
    x = ctx.sql.alias()
    source = f"{table} AS {x}"
    if link == "contact":
        if ctx.person is None:
            return None
        where = [f"{x}.contact_id = {ctx.person}"]
    elif link == "account":
        where = [f"{x}.account_id = {ctx.account}"]
    else:
        o = ctx.sql.alias()
        source += f" JOIN opportunities AS {o} ON {o}.id = {x}.opportunity_id"
        where = [f"{o}.account_id = {ctx.account}"]
    if cond.type:
        keys = ", ".join(_value(allowed_key(t), ctx) for t in cond.type)
        where.append(f"{_KEY_SQL.format(col=f'{x}.{type_col}')} IN ({keys})")
    if cond.exclude_automated:
        where.append(f"COALESCE({x}.is_automated, FALSE) = FALSE")
    when = f"{x}.{time_col}"
    where.append(f"{when} <= {ctx.ts(ctx.as_of)}")
    if cond.within_days:
        where.append(f"{when} >= {ctx.ts(ctx.as_of - timedelta(days=cond.within_days))}")
    return f"FROM {source} WHERE {' AND '.join(where)}", when


def _event_sql(cond: EventCondition, ctx: Subject) -> str:
    src = _event_source(cond, ctx)
    if src is None:
        return UNKNOWN
    if cond.min_count > 1:
        return f"((SELECT count(*) {src[0]}) >= {cond.min_count})"
    return f"EXISTS (SELECT 1 {src[0]})"


def condition_sql(cond: Any, ctx: Subject) -> str:
    """A condition as a SQL boolean for the row ``c`` (a person) or ``a`` (an account); NULL when unknown."""
    if isinstance(cond, AllOf):
        return "(" + " AND ".join(condition_sql(c, ctx) for c in cond.all) + ")"
    if isinstance(cond, AnyOf):
        return "(" + " OR ".join(condition_sql(c, ctx) for c in cond.any) + ")"
    if isinstance(cond, NotOf):
        return f"(NOT {condition_sql(cond.not_, ctx)})"
    if isinstance(cond, ScoreCondition):
        # the person's current score (their latest rules score); unknown for a person never scored
        ctx.notes.add(SCORE_NOTE)
        if ctx.person is None:
            return UNKNOWN
        x = ctx.sql.alias()
        current = (
            f"(SELECT max({x}.{cond.score}) FROM lead_scores AS {x} WHERE {x}.contact_id = {ctx.person} "
            f"AND {x}.model = 'rules' AND {x}.is_current)"
        )
        return f"({current} {_OPS[cond.op]} {float(cond.value)!r})"
    if isinstance(cond, FieldCondition):
        return _field_sql(cond, ctx)
    if isinstance(cond, EventCondition):
        return _event_sql(cond, ctx)
    raise TypeError(f"not a condition: {cond!r}")


def entry_branches(stage: LifecycleStage) -> list[Any]:
    crit = stage.entry_criteria
    if crit is None:
        return []
    return list(crit.any) if isinstance(crit, AnyOf) else [crit]


def event_time_sql(stage: LifecycleStage, ctx: Subject) -> str | None:
    """The latest time of the events the stage's event criteria match (None without event criteria)."""
    times = []
    for _path, cond in iter_conditions(stage.entry_criteria):
        if isinstance(cond, EventCondition):
            src = _event_source(cond, ctx)
            if src is not None:
                times.append(f"(SELECT CAST(max({src[1]}) AS TIMESTAMPTZ) {src[0]})")
    if not times:
        return None
    return times[0] if len(times) == 1 else f"COALESCE({', '.join(times)})"
