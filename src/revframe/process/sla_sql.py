"""The SQL of handoff clocks: where triggers come from, which event stops a clock, pause and owner changes.

Each is one set-based query per handoff, written in DuckDB's dialect and rendered for PostgreSQL and Spark.

Triggers (what opens leg 1, once per handoff and record):

- ``owner_assigned``: the first ``routing_decisions`` row with an ``assigned_to`` (started at
  ``decided_at``); for people no routing decision covers, the CRM's own history: ``contacts.mql_at``
  with an ``owner_id`` (started at ``mql_at``: the CRM assigns MQLs as they qualify). A contact that a
  lead with an ``mql_at`` was converted into is the same person: only the lead opens a clock.
- ``stage_entered`` (the handoff's ``from_stage``): a pipeline stage opens a clock per opportunity at
  its first ``opportunity_stage_history`` row in the stage (id or name, case, spaces and hyphens
  ignored); a lifecycle stage at the person's first ``lifecycle_events`` row into it.
- ``recycled``: a person's first backward ``lifecycle_events`` move (into ``to_stage`` if set);
  ``disqualified``: the first move into an exit stage (``to_stage``, else the ``disqualified`` stage).
- ``signal``: no source yet; no clocks.

The owner of a stage, recycle or disqualify clock is the record's (the opportunity's account owner)
when that user is on the receiving team; otherwise the leg has no owner and is charged to the team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from revframe.framework.rules import EVENT_TABLES, AnyOf, EventCondition
from revframe.process.criteria import EVENT_LINKS, Params, Subject, condition_sql, lit
from revframe.process.sla_clocks import active_sql
from revframe.quality.scan_rules import allowed_key
from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.handoffs import Handoff

KEY = "lower(replace(replace(trim(CAST({} AS VARCHAR)), ' ', '_'), '-', '_'))"
SIGNAL_NOTE = "signal triggers ({}) have no source yet: no clocks"
EPOCH = datetime(1900, 1, 1, tzinfo=UTC)


@dataclass
class AtTrigger(Subject):
    """Conditions evaluated at each clock's own trigger time (``t.started_at``), not one as-of time."""

    def ts(self, value: datetime) -> str:
        delta = (value - EPOCH).total_seconds()
        if abs(delta) < 86400 * 365 * 100:  # a time relative to the as-of sentinel: relative to the trigger
            return f"(t.started_at + INTERVAL '{int(delta)}' SECOND)"
        return super().ts(value)


def pipeline_stage(spec: Spec, stage: str | None) -> list[str]:
    """The keys a pipeline stage is written as (id and name), or [] if ``stage`` is not a pipeline stage."""
    s = next((s for s in spec.pipeline.stages if s.id == stage), None)
    return sorted({allowed_key(s.id), allowed_key(s.name)}) if s else []


def object_of(spec: Spec, h: Handoff) -> str:
    """The object a handoff's clocks run on: opportunities for a pipeline-stage trigger, else contacts."""
    if h.trigger.event == "stage_entered" and pipeline_stage(spec, h.from_stage):
        return "opportunities"
    return "contacts"


def _first(sql: str) -> str:
    return (
        f"SELECT object, record_id, owner_id, started_at FROM (SELECT s.*, row_number() OVER (PARTITION BY "
        f"record_id ORDER BY started_at) AS rn FROM ({sql}) AS s) AS f WHERE rn = 1"
    )


def _when(h: Handoff, subject: str, p: Params, as_of: datetime) -> str:
    """`` AND`` the trigger's ``when`` on the triggering record (an opportunity ``o`` or a person ``c``)."""
    if h.trigger.when is None:
        return ""
    return f" AND COALESCE({condition_sql(h.trigger.when, Subject(subject, as_of, p, set()))}, FALSE)"


def trigger_sql(spec: Spec, h: Handoff, p: Params, as_of: datetime, record: str | None = None) -> str | None:
    """``SELECT object, record_id, owner_id, started_at``: records whose trigger fired and have no clock yet."""
    ev, upto = h.trigger.event, f"CAST({p.p(as_of)} AS TIMESTAMPTZ)"
    if ev == "owner_assigned":
        sql = _first(
            "SELECT 'contacts' AS object, contact_id AS record_id, assigned_to AS owner_id, decided_at AS started_at "
            "FROM routing_decisions WHERE assigned_to IS NOT NULL AND assigned_to <> ''"
        ) + (
            " UNION ALL SELECT 'contacts', c.id, c.owner_id, c.mql_at FROM contacts AS c WHERE c.mql_at IS NOT NULL "
            "AND c.owner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM routing_decisions AS r WHERE r.contact_id = "
            "c.id AND r.assigned_to IS NOT NULL AND r.assigned_to <> '') AND NOT EXISTS (SELECT 1 FROM contacts "
            "AS l WHERE l.converted_contact_id = c.id AND l.mql_at IS NOT NULL)"
        )
    elif ev == "stage_entered" and (keys := pipeline_stage(spec, h.from_stage)):
        listed = ", ".join(lit(k) for k in keys)
        sql = _first(
            "SELECT 'opportunities' AS object, x.opportunity_id AS record_id, a.owner_id AS owner_id, "
            "x.changed_at AS started_at FROM opportunity_stage_history AS x JOIN opportunities AS o "
            f"ON o.id = x.opportunity_id LEFT JOIN accounts AS a ON a.id = o.account_id "
            f"WHERE {KEY.format('x.stage')} IN ({listed}) AND x.changed_at IS NOT NULL"
            + _when(h, "opportunities", p, as_of)
        )
    elif ev in ("stage_entered", "recycled", "disqualified"):
        if ev == "stage_entered":
            where = f"e.to_stage = {lit(h.from_stage or '')} AND e.kind <> 'skipped'"
        elif ev == "recycled":
            where = "e.kind = 'backward'" + (f" AND e.to_stage = {lit(h.to_stage)}" if h.to_stage else "")
        else:
            exits = [s.id for s in spec.lifecycle.stages if not s.funnel]
            target = h.to_stage if h.to_stage in exits else "disqualified"
            where = f"e.to_stage = {lit(target)} AND e.kind <> 'skipped'"
        sql = _first(
            "SELECT 'contacts' AS object, e.record_id, c.owner_id, e.occurred_at AS started_at "
            f"FROM lifecycle_events AS e JOIN contacts AS c ON c.id = e.record_id "
            f"WHERE e.object = 'contacts' AND {where}{_when(h, 'contacts', p, as_of)}"
        )
    else:
        return None
    only = f" AND t.record_id = CAST({p.p(record)} AS VARCHAR)" if record else ""
    if ev == "owner_assigned" and h.trigger.when is not None:
        only += f" AND EXISTS (SELECT 1 FROM contacts AS c WHERE c.id = t.record_id{_when(h, 'contacts', p, as_of)})"
    return (
        f"SELECT t.object, t.record_id, t.owner_id, CAST(t.started_at AS TIMESTAMPTZ) AS started_at FROM ({sql}) AS t "
        f"WHERE t.started_at <= {upto}{only} AND NOT EXISTS (SELECT 1 FROM sla_clocks AS k WHERE k.handoff_id = "
        f"{lit(h.id)} AND k.record_id = t.record_id)"
    )


def priority_sql(h: Handoff, triggers: str, p: Params, notes: set[str]) -> str:
    """The trigger rows with one flag per priority SLA: whether its ``when`` held at the trigger time."""
    ctx = AtTrigger("contacts", EPOCH, p, notes)
    flags = [f"COALESCE({condition_sql(ps.when, ctx)}, FALSE) AS p{i}" for i, ps in enumerate(h.priority_slas)]
    cols = ", ".join(["t.object", "t.record_id", "t.owner_id", "t.started_at", *flags])
    return f"SELECT {cols} FROM ({triggers}) AS t LEFT JOIN contacts AS c ON c.id = t.record_id"


def done_events(h: Handoff) -> list[EventCondition]:
    """The event conditions whose first occurrence stops the clock (``done_when``: an event, or any of events)."""
    cond = h.expected_action.done_when
    items = cond.any if isinstance(cond, AnyOf) else [cond]
    return [c for c in items if isinstance(c, EventCondition) and c.event != "stage_change"]


def _event_filter(cond: EventCondition, x: str) -> list[str]:
    where = []
    if cond.type:
        listed = ", ".join(lit(allowed_key(t)) for t in cond.type)
        where.append(f"{KEY.format(f'{x}.{EVENT_TABLES[cond.event][1]}')} IN ({listed})")
    if cond.exclude_automated:
        where.append(f"COALESCE({x}.is_automated, FALSE) = FALSE")
    return where


def action_sql(h: Handoff, obj: str, p: Params, as_of: datetime) -> str | None:
    """``SELECT clock_id, acted_at, action``: each running leg's first expected action after it started.

    A person's events are those of its own id and of the contact it was converted into; an
    opportunity's, its own and its account's.
    """
    parts = []
    upto = f"CAST({p.p(as_of)} AS TIMESTAMPTZ)"
    for cond in done_events(h):
        table, _ = EVENT_TABLES[cond.event]
        link, at = EVENT_LINKS[cond.event]
        cols = set(TABLES[table].column_names)
        owners: list[str] = []
        if obj == "contacts" and "contact_id" in cols:
            owners = ["x.contact_id = k.record_id", "x.contact_id = c.converted_contact_id"]
        if obj == "opportunities":
            owners = [o for col, o in (("opportunity_id", "x.opportunity_id = k.record_id"),
                                      ("account_id", "x.account_id = r.account_id")) if col in cols]  # fmt: skip
        elif link == "account" and "account_id" in cols:
            owners = ["x.account_id = c.account_id"]
        join = "JOIN contacts AS c ON c.id = k.record_id" if obj == "contacts" else (
            "JOIN opportunities AS r ON r.id = k.record_id")  # fmt: skip
        what = f"'{cond.event} ' || COALESCE(CAST(x.{EVENT_TABLES[cond.event][1]} AS VARCHAR), '') || ' ' || x.id"
        for on in owners:
            where = [on, f"x.{at} > k.started_at", f"x.{at} <= {upto}", *_event_filter(cond, "x")]
            parts.append(
                f"SELECT k.clock_id, CAST(x.{at} AS TIMESTAMPTZ) AS acted_at, {what} AS action FROM sla_clocks AS k "
                f"{join} JOIN {table} AS x ON {' AND '.join(where)} WHERE k.handoff_id = {lit(h.id)} "
                f"AND {active_sql('k')}"
            )
    if not parts:
        return None
    return (
        "SELECT clock_id, acted_at, action FROM (SELECT u.*, row_number() OVER (PARTITION BY clock_id ORDER BY "
        f"acted_at, action) AS rn FROM ({' UNION ALL '.join(parts)}) AS u) AS f WHERE rn = 1"
    )


def pause_sql(spec: Spec, h: Handoff, obj: str, p: Params, as_of: datetime, notes: set[str]) -> str | None:
    """``SELECT clock_id, paused``: whether ``pause_when`` holds now for each running leg's record."""
    if h.pause_when is None:
        return None
    if obj == "contacts":
        ctx = Subject("contacts", as_of, p, notes)
        join = "JOIN contacts AS c ON c.id = k.record_id"
    else:
        ctx = Subject("accounts", as_of, p, notes)
        join = "JOIN opportunities AS r ON r.id = k.record_id JOIN accounts AS a ON a.id = r.account_id"
    return (
        f"SELECT k.clock_id, COALESCE({condition_sql(h.pause_when, ctx)}, FALSE) AS paused FROM sla_clocks AS k "
        f"{join} WHERE k.handoff_id = {lit(h.id)} AND {active_sql('k')}"
    )


def owner_change_sql(h: Handoff, p: Params, as_of: datetime) -> str | None:
    """``SELECT clock_id, new_owner, changed_at``: the first routing decision since the leg began that moved it."""
    if h.trigger.event != "owner_assigned":
        return None
    return (
        "SELECT clock_id, new_owner, changed_at FROM (SELECT k.clock_id, d.assigned_to AS new_owner, "
        "CAST(d.decided_at AS TIMESTAMPTZ) AS changed_at, row_number() OVER (PARTITION BY k.clock_id ORDER BY "
        "d.decided_at, d.decision_id) AS rn FROM sla_clocks AS k JOIN routing_decisions AS d ON d.contact_id = "
        "k.record_id AND d.assigned_to IS NOT NULL AND d.assigned_to <> '' AND d.decided_at > k.started_at "
        f"AND d.decided_at <= CAST({p.p(as_of)} AS TIMESTAMPTZ) AND d.assigned_to <> COALESCE(k.owner_id, '') "
        f"WHERE k.handoff_id = {lit(h.id)} AND {active_sql('k')}) AS f WHERE rn = 1"
    )


def rows_of(store: Any, sql: str | None, p: Params) -> list[tuple[Any, ...]]:
    return store.query(*p.render(sql)) if sql else []
