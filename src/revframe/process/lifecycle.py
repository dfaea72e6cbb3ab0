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

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.framework.lifecycle import Lifecycle, LifecycleStage
from revframe.framework.rules import (
    describe,
)
from revframe.process.criteria import (
    Params,
    Subject,
    condition_sql,
    entry_branches,
    event_time_sql,
    lit,
)
from revframe.quality.scan import parse_as_of

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

OBJECTS = ("contacts", "accounts")

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
                rows.append(f"SELECT {lit(a.id)} AS from_stage, {lit(b.id)} AS to_stage, "
                            f"{lit(kind)} AS kind, {lit(why)} AS why")  # fmt: skip
    return " UNION ALL ".join(rows)


def _skips_sql(lc: Lifecycle) -> str | None:
    funnel = sorted((s for s in lc.stages if s.funnel), key=lambda s: s.order)
    rows = []
    for i, a in enumerate(funnel):
        for j in range(i + 2, len(funnel)):
            b = funnel[j]
            for s in funnel[i + 1 : j]:
                rule = f"moved from {a.name} to {b.name} without reaching {s.name}: recorded as skipped, not as reached"
                rows.append(f"SELECT {lit(a.id)} AS from_stage, {lit(b.id)} AS to_stage, "
                            f"{lit(s.id)} AS skipped, {lit(rule)} AS rule")  # fmt: skip
    return " UNION ALL ".join(rows) if rows else None


def _last_sql(obj: str) -> str:
    """The last recorded stage of each record of ``obj`` (skipped rows are not stages reached)."""
    return (
        "SELECT record_id, to_stage FROM (SELECT record_id, to_stage, row_number() OVER "
        "(PARTITION BY record_id ORDER BY recorded_at DESC, event_id DESC) AS rn FROM lifecycle_events "
        f"WHERE object = {lit(obj)} AND kind <> 'skipped') AS h WHERE rn = 1"
    )


def _stage_rule(stage: LifecycleStage, flags: list[str]) -> str:
    branches = entry_branches(stage)
    if len(branches) == 1:
        return lit(f"{stage.name}: {describe(branches[0])}")
    whens = " ".join(
        f"WHEN {f} THEN {lit(f'{stage.name}: {describe(b)}')}" for f, b in zip(flags, branches, strict=True)
    )
    return f"CASE {whens} END"


def _people_eval(lc: Lifecycle, ctx: Subject) -> str:
    """SELECT record_id, stage, rule, occurred_at: each person's evaluated stage."""
    funnel = sorted((s for s in lc.stages if s.funnel), key=lambda s: s.order)
    exits = sorted((s for s in lc.stages if not s.funnel), key=lambda s: s.order)
    cols, holds, rules, times = ["c.id AS record_id"], {}, {}, {}
    for i, stage in enumerate(lc.stages):
        flags = []
        for j, branch in enumerate(entry_branches(stage)):
            cols.append(f"{condition_sql(branch, ctx)} AS f_{i}_{j}")
            flags.append(f"COALESCE(f_{i}_{j}, FALSE)")
        holds[stage.id] = "(" + " OR ".join(flags) + ")" if flags else "FALSE"
        rules[stage.id] = _stage_rule(stage, flags) if flags else lit(stage.name)
        t = event_time_sql(stage, ctx) if flags else None
        if t:
            cols.append(f"{t} AS t_{i}")
            times[stage.id] = f"COALESCE(t_{i}, {ctx.ts(ctx.as_of)})"
    order = [*exits, *reversed(funnel)]
    first = funnel[0]
    default_rule = lit(f"{first.name}: no stage's entry criteria hold; the first stage by default")
    stage_case = " ".join(f"WHEN {holds[s.id]} THEN {lit(s.id)}" for s in order)
    rule_case = " ".join(f"WHEN {holds[s.id]} THEN {rules[s.id]}" for s in order)
    at_case = " ".join(f"WHEN {holds[s.id]} THEN {times[s.id]}" for s in order if s.id in times)
    at = f"CASE {at_case} ELSE {ctx.ts(ctx.as_of)} END" if at_case else ctx.ts(ctx.as_of)
    flags_sql = f"SELECT {', '.join(cols)} FROM contacts AS c"
    return (
        f"SELECT record_id, CASE {stage_case} ELSE {lit(first.id)} END AS stage, "
        f"CASE {rule_case} ELSE {default_rule} END AS rule, {at} AS occurred_at FROM ({flags_sql}) AS fl"
    )


def _accounts_eval(lc: Lifecycle, ctx: Subject) -> str:
    """SELECT record_id, stage, rule, occurred_at: each account's stage (its own criteria's or its people's)."""
    funnel = sorted((s for s in lc.stages if s.funnel), key=lambda s: s.order)
    rank = {s.id: i + 1 for i, s in enumerate(funnel)}
    own = " ".join(
        f"WHEN COALESCE({condition_sql(s.entry_criteria, ctx)}, FALSE) THEN {rank[s.id]}"
        for s in reversed(funnel)
        if s.entry_criteria is not None
    )
    own_sql = f"CASE {own} ELSE 0 END" if own else "0"
    people_rank = " ".join(f"WHEN {lit(s.id)} THEN {rank[s.id]}" for s in funnel)
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
    stage_case = " ".join(f"WHEN {rank[s.id]} THEN {lit(s.id)}" for s in funnel)
    own_rule = " ".join(
        f"WHEN {rank[s.id]} THEN {lit(f'{s.name}: {describe(s.entry_criteria)}')}"
        for s in funnel
        if s.entry_criteria is not None
    )
    people_rule = lit("the highest stage of the account's people")
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


def _record(store: Store, lc: Lifecycle, obj: str, evaluated: str, sql: Params, run_id: str, now: datetime) -> None:
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
        f"SELECT CAST({run} AS VARCHAR) || ':' || m.record_id, CAST({run} AS VARCHAR), {lit(obj)}, m.record_id, "
        f"m.from_stage, m.stage, m.kind, m.rule, m.occurred_at, {when} FROM ({move}) AS m"
    )
    store.insert_select("lifecycle_events", *sql.render(select))
    skips = _skips_sql(lc)
    this_run = f"m.run_id = ? AND m.object = {lit(obj)}"
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
            ctx = Subject(obj, when, Params(), notes)
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
