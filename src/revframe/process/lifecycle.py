"""Lifecycle: every person's and account's stage, evaluated from the spec's entry criteria, with its history.

Each stage's ``entry_criteria`` compile to SQL (set-based: one query per object, whatever the size):

- text compares as allowed values do (case, spaces and hyphens ignored: ``Unqualified`` is
  ``unqualified``); field criteria on the person (``contacts.x``) test the person's row; on a table with an
  ``account_id`` (``opportunities.x``, ``subscriptions.x``...) any row of the person's account
  matches (a lead without an account matches none); ``accounts.x`` tests the person's account.
- event criteria test that enough events happened within ``within_days`` before the evaluation
  time (``as_of``): touchpoints, activities and tickets of the person; opportunities, stage
  changes, subscriptions, usage and onboarding milestones of the person's account.
- score criteria wait for ``revframe score``: until scores exist they are *unknown*, never met.

Precedence (a person): an exit stage (``funnel: false``) whose criteria hold wins, the lowest
``order`` first; otherwise the highest-order funnel stage whose criteria hold; otherwise the first
funnel stage, by default. An account: the highest funnel stage of its people (as last recorded)
or of the criteria that hold for the account itself (open opportunity, active subscription...);
accounts with neither get no stage.

Each change against the last recorded stage is written to ``lifecycle_events`` with its kind
(entry, forward, backward, forbidden) and, for a forward jump over funnel stages, one ``skipped``
row per stage jumped over (never recorded as reached). Forbidden moves are also quality issues
(rule ``lifecycle_transition``), in the same transaction.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.framework.lifecycle import Lifecycle, LifecycleStage
from revframe.framework.rules import (
    EVENT_TABLES,
    AllOf,
    AnyOf,
    EventCondition,
    FieldCondition,
    NotOf,
    ScoreCondition,
    describe,
    iter_conditions,
)
from revframe.quality.scan import parse_as_of
from revframe.quality.scan_rules import allowed_key
from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

OBJECTS = ("contacts", "accounts")
SCORE_NOTE = "score criteria wait for `revframe score`: until scores exist they are never met"
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


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class _Sql:
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
class _Ctx:
    """Where a condition is evaluated: for a person (``c``, a contacts row) or an account (``a``)."""

    subject: str
    as_of: datetime
    sql: _Sql
    notes: set[str]

    @property
    def person(self) -> str | None:
        return "c.id" if self.subject == "contacts" else None

    @property
    def account(self) -> str:
        return "c.account_id" if self.subject == "contacts" else "a.id"

    @property
    def alias(self) -> str:
        return "c" if self.subject == "contacts" else "a"

    def ts(self, value: datetime) -> str:
        return f"CAST({self.sql.p(value)} AS TIMESTAMPTZ)"


def _value(v: Any, ctx: _Ctx) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, datetime):
        return ctx.ts(v if v.tzinfo else v.replace(tzinfo=UTC))
    if isinstance(v, date):
        return f"CAST({ctx.sql.p(v)} AS DATE)"
    return f"CAST({ctx.sql.p(str(v))} AS VARCHAR)"


def _predicate(cond: FieldCondition, col: str, ctx: _Ctx) -> str:
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
        listed = ", ".join(_value(v, ctx) for v in values)
        return f"{col} {'NOT IN' if op == 'not_in' else 'IN'} ({listed})"
    if op == "matches":
        return f"regexp_matches(CAST({col} AS VARCHAR), {ctx.sql.p(cond.value)})"
    return f"{col} {_OPS[op]} {_value(values[0], ctx)}"


def _field_sql(cond: FieldCondition, ctx: _Ctx) -> str:
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


def _event_source(cond: EventCondition, ctx: _Ctx) -> tuple[str, str] | None:
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


def _event_sql(cond: EventCondition, ctx: _Ctx) -> str:
    src = _event_source(cond, ctx)
    if src is None:
        return UNKNOWN
    if cond.min_count > 1:
        return f"((SELECT count(*) {src[0]}) >= {cond.min_count})"
    return f"EXISTS (SELECT 1 {src[0]})"


def condition_sql(cond: Any, ctx: _Ctx) -> str:
    """A condition as a SQL boolean for the row ``c`` (a person) or ``a`` (an account); NULL when unknown."""
    if isinstance(cond, AllOf):
        return "(" + " AND ".join(condition_sql(c, ctx) for c in cond.all) + ")"
    if isinstance(cond, AnyOf):
        return "(" + " OR ".join(condition_sql(c, ctx) for c in cond.any) + ")"
    if isinstance(cond, NotOf):
        return f"(NOT {condition_sql(cond.not_, ctx)})"
    if isinstance(cond, ScoreCondition):
        ctx.notes.add(SCORE_NOTE)
        return UNKNOWN
    if isinstance(cond, FieldCondition):
        return _field_sql(cond, ctx)
    if isinstance(cond, EventCondition):
        return _event_sql(cond, ctx)
    raise TypeError(f"not a condition: {cond!r}")


def _branches(stage: LifecycleStage) -> list[Any]:
    crit = stage.entry_criteria
    if crit is None:
        return []
    return list(crit.any) if isinstance(crit, AnyOf) else [crit]


def _event_time_sql(stage: LifecycleStage, ctx: _Ctx) -> str | None:
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


# --- transitions -------------------------------------------------------------------------------------


def transition_kind(lc: Lifecycle, from_id: str, to_id: str) -> tuple[str, str]:
    """The kind of a move between two stages, and for a forbidden one the spec rule it breaks, in words."""
    for i, t in enumerate(lc.forbidden_transitions):
        if t.from_ in (from_id, "*") and t.to == to_id:
            why = f": {t.description}" if t.description else ""
            return "forbidden", f"lifecycle.forbidden_transitions[{i}] ({t.from_} -> {t.to}){why}"
    src, dst = lc.stage(from_id), lc.stage(to_id)
    if not lc.is_allowed(from_id, to_id):
        return "forbidden", (
            f"backward move {from_id} -> {to_id} not listed in lifecycle.allowed_backward"
            if dst.funnel
            else f"move {from_id} -> {to_id} out of an exit stage not listed in lifecycle.allowed_backward"
        )
    if src.funnel and (not dst.funnel or dst.order > src.order):
        return "forward", ""
    return "backward", ""


def _pairs_sql(lc: Lifecycle) -> str:
    rows = []
    for a in lc.stages:
        for b in lc.stages:
            if a.id != b.id:
                kind, why = transition_kind(lc, a.id, b.id)
                rows.append(f"SELECT {_lit(a.id)} AS from_stage, {_lit(b.id)} AS to_stage, "
                            f"{_lit(kind)} AS kind, {_lit(why)} AS why")  # fmt: skip
    return " UNION ALL ".join(rows)


def _skips_sql(lc: Lifecycle) -> str | None:
    funnel = sorted((s for s in lc.stages if s.funnel), key=lambda s: s.order)
    rows = []
    for i, a in enumerate(funnel):
        for j in range(i + 2, len(funnel)):
            b = funnel[j]
            for s in funnel[i + 1 : j]:
                rule = f"moved from {a.name} to {b.name} without reaching {s.name}: recorded as skipped, not as reached"
                rows.append(f"SELECT {_lit(a.id)} AS from_stage, {_lit(b.id)} AS to_stage, "
                            f"{_lit(s.id)} AS skipped, {_lit(rule)} AS rule")  # fmt: skip
    return " UNION ALL ".join(rows) if rows else None


def _last_sql(obj: str) -> str:
    """The last recorded stage of each record of ``obj`` (skipped rows are not stages reached)."""
    return (
        "SELECT record_id, to_stage FROM (SELECT record_id, to_stage, row_number() OVER "
        "(PARTITION BY record_id ORDER BY recorded_at DESC, event_id DESC) AS rn FROM lifecycle_events "
        f"WHERE object = {_lit(obj)} AND kind <> 'skipped') AS h WHERE rn = 1"
    )


def _stage_rule(stage: LifecycleStage, flags: list[str]) -> str:
    branches = _branches(stage)
    if len(branches) == 1:
        return _lit(f"{stage.name}: {describe(branches[0])}")
    whens = " ".join(
        f"WHEN {f} THEN {_lit(f'{stage.name}: {describe(b)}')}" for f, b in zip(flags, branches, strict=True)
    )
    return f"CASE {whens} END"


def _people_eval(lc: Lifecycle, ctx: _Ctx) -> str:
    """SELECT record_id, stage, rule, occurred_at: each person's evaluated stage."""
    funnel = sorted((s for s in lc.stages if s.funnel), key=lambda s: s.order)
    exits = sorted((s for s in lc.stages if not s.funnel), key=lambda s: s.order)
    cols, holds, rules, times = ["c.id AS record_id"], {}, {}, {}
    for i, stage in enumerate(lc.stages):
        flags = []
        for j, branch in enumerate(_branches(stage)):
            cols.append(f"{condition_sql(branch, ctx)} AS f_{i}_{j}")
            flags.append(f"COALESCE(f_{i}_{j}, FALSE)")
        holds[stage.id] = "(" + " OR ".join(flags) + ")" if flags else "FALSE"
        rules[stage.id] = _stage_rule(stage, flags) if flags else _lit(stage.name)
        t = _event_time_sql(stage, ctx) if flags else None
        if t:
            cols.append(f"{t} AS t_{i}")
            times[stage.id] = f"COALESCE(t_{i}, {ctx.ts(ctx.as_of)})"
    order = [*exits, *reversed(funnel)]
    first = funnel[0]
    default_rule = _lit(f"{first.name}: no stage's entry criteria hold; the first stage by default")
    stage_case = " ".join(f"WHEN {holds[s.id]} THEN {_lit(s.id)}" for s in order)
    rule_case = " ".join(f"WHEN {holds[s.id]} THEN {rules[s.id]}" for s in order)
    at_case = " ".join(f"WHEN {holds[s.id]} THEN {times[s.id]}" for s in order if s.id in times)
    at = f"CASE {at_case} ELSE {ctx.ts(ctx.as_of)} END" if at_case else ctx.ts(ctx.as_of)
    flags_sql = f"SELECT {', '.join(cols)} FROM contacts AS c"
    return (
        f"SELECT record_id, CASE {stage_case} ELSE {_lit(first.id)} END AS stage, "
        f"CASE {rule_case} ELSE {default_rule} END AS rule, {at} AS occurred_at FROM ({flags_sql}) AS fl"
    )


def _accounts_eval(lc: Lifecycle, ctx: _Ctx) -> str:
    """SELECT record_id, stage, rule, occurred_at: each account's stage (its own criteria's or its people's)."""
    funnel = sorted((s for s in lc.stages if s.funnel), key=lambda s: s.order)
    rank = {s.id: i + 1 for i, s in enumerate(funnel)}
    own = " ".join(
        f"WHEN COALESCE({condition_sql(s.entry_criteria, ctx)}, FALSE) THEN {rank[s.id]}"
        for s in reversed(funnel)
        if s.entry_criteria is not None
    )
    own_sql = f"CASE {own} ELSE 0 END" if own else "0"
    people_rank = " ".join(f"WHEN {_lit(s.id)} THEN {rank[s.id]}" for s in funnel)
    people = (
        f"SELECT c.account_id AS account_id, max(CASE l.to_stage {people_rank} ELSE 0 END) AS r "
        f"FROM contacts AS c JOIN ({_last_sql('contacts')}) AS l ON l.record_id = c.id "
        "WHERE c.account_id IS NOT NULL GROUP BY c.account_id"
    )
    flags = (
        f"SELECT a.id AS record_id, {own_sql} AS own, COALESCE(p.r, 0) AS ppl "
        f"FROM accounts AS a LEFT JOIN ({people}) AS p ON p.account_id = a.id"
    )
    best = "CASE WHEN own >= ppl THEN own ELSE ppl END"
    stage_case = " ".join(f"WHEN {rank[s.id]} THEN {_lit(s.id)}" for s in funnel)
    own_rule = " ".join(
        f"WHEN {rank[s.id]} THEN {_lit(f'{s.name}: {describe(s.entry_criteria)}')}"
        for s in funnel
        if s.entry_criteria is not None
    )
    people_rule = _lit("the highest stage of the account's people")
    rule = f"CASE WHEN own >= ppl THEN CASE own {own_rule} END ELSE {people_rule} END" if own_rule else people_rule
    return (
        f"SELECT record_id, CASE {best} {stage_case} END AS stage, {rule} AS rule, {ctx.ts(ctx.as_of)} AS occurred_at "
        f"FROM ({flags}) AS fl WHERE own > 0 OR ppl > 0"
    )


@dataclass
class LifecycleReport:
    """What a lifecycle run did.

    Attributes:
        run_id: id of the run (``lifecycle_events.run_id``).
        as_of: the evaluation time.
        objects: the objects evaluated (contacts, accounts).
        stages: per object, records per current stage.
        transitions: per object, recorded rows per kind.
        issues: forbidden moves written to ``quality_issues`` (scan id ``lifecycle-<run>``).
        notes: what the run could not evaluate, and why.
    """

    run_id: str
    as_of: datetime
    objects: list[str]
    stages: dict[str, dict[str, int]]
    transitions: dict[str, dict[str, int]]
    issues: int
    notes: list[str]

    @property
    def scan_id(self) -> str:
        return f"lifecycle-{self.run_id}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``revframe lifecycle --format json`` prints)."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "objects": self.objects,
            "stages": self.stages,
            "transitions": self.transitions,
            "quality_issues": self.issues,
            "scan_id": self.scan_id,
            "notes": self.notes,
        }


def _record(store: Store, lc: Lifecycle, obj: str, evaluated: str, sql: _Sql, run_id: str, now: datetime) -> None:
    pairs = _pairs_sql(lc)
    move = (
        f"SELECT ev.record_id, l.to_stage AS from_stage, ev.stage, CASE WHEN l.to_stage IS NULL THEN 'entry' "
        f"ELSE COALESCE(pr.kind, 'entry') END AS kind, CASE WHEN pr.kind = 'forbidden' THEN ev.rule || '; forbidden: ' "
        f"|| pr.why ELSE ev.rule END AS rule, ev.occurred_at FROM ({evaluated}) AS ev "
        f"LEFT JOIN ({_last_sql(obj)}) AS l ON l.record_id = ev.record_id "
        f"LEFT JOIN ({pairs}) AS pr ON pr.from_stage = l.to_stage AND pr.to_stage = ev.stage "
        f"WHERE l.to_stage IS NULL OR l.to_stage <> ev.stage"
    )
    run, when = sql.p(run_id), f"CAST({sql.p(now)} AS TIMESTAMPTZ)"
    select = (
        f"SELECT CAST({run} AS VARCHAR) || ':' || m.record_id, CAST({run} AS VARCHAR), {_lit(obj)}, m.record_id, "
        f"m.from_stage, m.stage, m.kind, m.rule, m.occurred_at, {when} FROM ({move}) AS m"
    )
    store.insert_select("lifecycle_events", *sql.render(select))
    skips = _skips_sql(lc)
    this_run = f"m.run_id = ? AND m.object = {_lit(obj)}"
    if skips:
        store.insert_select(
            "lifecycle_events",
            f"SELECT m.event_id || ':skipped:' || s.skipped, m.run_id, m.object, m.record_id, m.from_stage, "
            f"s.skipped, 'skipped', s.rule, m.occurred_at, m.recorded_at "
            f"FROM lifecycle_events AS m JOIN ({skips}) AS s "
            f"ON s.from_stage = m.from_stage AND s.to_stage = m.to_stage "
            f"WHERE {this_run} AND m.kind IN ('forward', 'forbidden')",
            [run_id],
        )
    store.insert_select(
        "quality_issues",
        f"SELECT CAST(? AS VARCHAR), m.object, m.record_id, 'lifecycle_stage', 'lifecycle_transition', 'error', "
        f"m.from_stage || ' -> ' || m.to_stage, 'forbidden lifecycle move from ' || m.from_stage || ' to ' "
        f"|| m.to_stage || ': ' || pr.why, t.owner_id, m.recorded_at FROM lifecycle_events AS m "
        f"JOIN ({pairs}) AS pr ON pr.from_stage = m.from_stage AND pr.to_stage = m.to_stage "
        f"LEFT JOIN {obj} AS t ON t.id = m.record_id WHERE {this_run} AND m.kind = 'forbidden'",
        [f"lifecycle-{run_id}", run_id],
    )


def evaluate_lifecycle(
    store: Store,
    spec: Spec,
    *,
    objects: list[str] | None = None,
    as_of: str | date | datetime | None = None,
) -> LifecycleReport:
    """Evaluate every person's (and account's) stage and record the changes in ``lifecycle_events``.

    Args:
        store: the canonical store.
        spec: the framework spec (its ``lifecycle``).
        objects: ``contacts``, ``accounts`` or both (default both; people first, accounts use them).
        as_of: the evaluation time (default now; a date means the end of that day, UTC).

    Returns:
        The run's report: stage counts, transitions by kind, forbidden moves turned into issues.

    Examples:
        >>> from revframe import Workspace
        >>> import tempfile
        >>> ws = Workspace.init(tempfile.mkdtemp())
        >>> report = evaluate_lifecycle(ws.store, ws.spec, as_of="2026-09-30")
        >>> report.stages, report.issues
        ({'contacts': {}, 'accounts': {}}, 0)
    """
    for obj in objects or []:
        if obj not in OBJECTS:
            raise UsageError(f"--object '{obj}': lifecycle stages apply to contacts or accounts")
    chosen = [o for o in OBJECTS if not objects or o in objects]
    lc = spec.lifecycle
    when = parse_as_of(as_of)
    now = datetime.now(UTC)
    run_id = f"lc-{now:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:6]}"
    notes: set[str] = set()
    with store.transaction():
        for obj in chosen:
            ctx = _Ctx(obj, when, _Sql(), notes)
            evaluated = _people_eval(lc, ctx) if obj == "contacts" else _accounts_eval(lc, ctx)
            _record(store, lc, obj, evaluated, ctx.sql, run_id, now)
    stages = {
        obj: {
            str(s): int(n)
            for s, n in store.query(
                f"SELECT to_stage, count(*) FROM ({_last_sql(obj)}) AS l GROUP BY to_stage ORDER BY to_stage"
            )
        }  # fmt: skip
        for obj in chosen
    }
    transitions: dict[str, dict[str, int]] = {obj: {} for obj in chosen}
    for obj, kind, n in store.query(
        "SELECT object, kind, count(*) FROM lifecycle_events WHERE run_id = ? GROUP BY object, kind "
        "ORDER BY object, kind",
        [run_id],
    ):
        transitions[str(obj)][str(kind)] = int(n)
    issues = int(
        store.query("SELECT count(*) FROM quality_issues WHERE scan_id = ?", [f"lifecycle-{run_id}"])[0][0] or 0
    )
    return LifecycleReport(run_id, when, chosen, stages, transitions, issues, sorted(notes))
