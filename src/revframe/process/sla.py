"""Handoff SLA clocks: opened at each handoff's trigger, stopped at the expected action, one leg per owner.

:func:`run_sla` is an idempotent batch over the store (see :mod:`revframe.process.sla_sql` for where
triggers and actions come from): it opens missing clocks (the first priority SLA whose ``when`` held at
the trigger replaces the default), stops running legs at the first expected action after they started,
pauses legs while ``pause_when`` holds, closes a leg when the record got a new owner or its owner left
(the next leg goes to the new owner, with a fresh SLA), marks legs past their SLA ``breached``, and
fires the escalation ladder. The single-record functions (:func:`open_clock`,
:func:`stop_for_activity`, :func:`breaches`) are what the server calls per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.process import escalation as esc
from revframe.process.calendar import clock_for, utc
from revframe.process.criteria import Params
from revframe.process.reps import Rep, load_reps
from revframe.process.sla_clocks import ACTIVE_SQL, COLUMNS, Leg, close, leg_clock, next_leg, stop, tick
from revframe.process.sla_report import SlaReport, build_report
from revframe.process.sla_sql import (
    SIGNAL_NOTE,
    action_sql,
    done_events,
    object_of,
    owner_change_sql,
    pause_sql,
    priority_sql,
    rows_of,
    trigger_sql,
)
from revframe.quality.scan import parse_as_of
from revframe.quality.scan_rules import allowed_key

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.handoffs import Handoff, Sla
    from revframe.store import Store

Reassign = Callable[[str, str | None, str, datetime], Any]
"""``reassign(contact_id, exclude_user_id, reason, at)``: routes the person again; returns the new owner
(a user id, or an object or dict with ``assigned_to``), or None when nobody could take it."""
INACTIVE = "owner inactive; re-route with `revframe route`"


def _team(h: Handoff, reps: dict[str, Rep], owner: str | None) -> str:
    rep = reps.get(owner or "")
    return rep.team if rep and rep.team else h.to_team


def _new_leg(spec: Spec, h: Handoff, obj: str, record_id: str, owner: str | None, started: datetime,
             flags: list[bool], reps: dict[str, Rep], now: datetime, leg: int = 1) -> Leg:  # fmt: skip
    if h.trigger.event != "owner_assigned" and owner and _team(h, reps, owner) != h.to_team:
        owner = None  # the record's owner is not on the receiving team: charge the team
    sla: Sla = h.sla
    sla_id = "default"
    for ps, holds in zip(h.priority_slas, flags, strict=False):
        if holds:
            sla, sla_id = ps.sla, ps.id
            break
    team = _team(h, reps, owner)
    clock = clock_for(spec, sla, team)
    seconds = clock.seconds(sla)
    started = utc(started)
    return Leg(f"{h.id}:{obj}:{record_id}:{leg}", h.id, leg, obj, record_id, owner, team, sla_id, seconds,
               clock.calendar_id, started, clock.add(started, seconds), updated_at=now,
               framework_version=spec.version)  # fmt: skip


def _open_new(store: Store, spec: Spec, h: Handoff, as_of: datetime, reps: dict[str, Rep], now: datetime,
              notes: set[str], record: str | None = None) -> list[Leg]:  # fmt: skip
    p = Params()
    trig = trigger_sql(spec, h, p, as_of, record)
    if trig is None:
        return []
    obj = object_of(spec, h)
    if h.priority_slas and obj == "contacts":
        sql = priority_sql(h, trig, p, notes)
    else:
        sql = trig
        if h.priority_slas:
            notes.add(f"{h.id}: priority SLAs apply to people only; opportunities get the default SLA")
    legs = []
    for obj_, rid, owner, started, *flags in rows_of(store, sql, p):
        legs.append(_new_leg(spec, h, str(obj_), str(rid), owner, started, [bool(f) for f in flags], reps, now))
    store.insert_rows("sla_clocks", [leg.row() for leg in legs])
    return legs


def _new_owner(result: Any) -> str | None:
    if result is None or isinstance(result, str):
        return result or None
    if isinstance(result, dict):
        return result.get("assigned_to")
    return getattr(result, "assigned_to", None)


def _advance(spec: Spec, h: Handoff, leg: Leg, found: dict[str, Any], reps: dict[str, Rep], as_of: datetime,
             now: datetime) -> tuple[list[Leg], bool]:  # fmt: skip
    """The leg's rows after this run (closed legs, then the running one), and whether its owner left."""
    clock = leg_clock(spec, leg)
    action, change = found["action"].get(leg.clock_id), found["change"].get(leg.clock_id)
    out: list[Leg] = []
    if change and not (action and action[0] <= change[1]):
        owner, at = change
        out.append(close(clock, leg, at, f"reassigned to {owner} (routing decision of {at:%Y-%m-%d %H:%M} UTC)", now))
        leg = next_leg(leg, owner, _team(h, reps, owner), at, clock, now)
    if action and action[0] > leg.started_at:
        out.append(stop(clock, leg, action[0], action[1], now))
        return out, False
    rep = reps.get(leg.owner_id or "")
    if rep is not None and not rep.is_active:
        out.append(close(clock, leg, max(as_of, leg.started_at), f"{INACTIVE} (owner {rep.label} left)", now))
        return out, True
    out.append(tick(clock, leg, as_of, found["pause"].get(leg.clock_id), now))
    return out, False


def _fired(store: Store, h: Handoff) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for cid, step in store.query(
        "SELECT e.clock_id, e.step FROM sla_escalations AS e WHERE e.clock_id IN "
        "(SELECT clock_id FROM sla_clocks WHERE handoff_id = ?)",
        [h.id],
    ):
        out.setdefault(str(cid), set()).add(int(step))
    return out


def _run_handoff(store: Store, spec: Spec, h: Handoff, as_of: datetime, reps: dict[str, Rep], now: datetime,
                 notes: set[str]) -> list[tuple[Leg, str]]:  # fmt: skip
    """One handoff's batch, inside the caller's transaction; returns the legs to re-route and why."""
    obj = object_of(spec, h)
    _open_new(store, spec, h, as_of, reps, now, notes)
    active = [Leg.from_row(r) for r in store.query(f"SELECT {COLUMNS} FROM sla_clocks WHERE handoff_id = ? "
                                                   f"AND {ACTIVE_SQL}", [h.id])]  # fmt: skip
    if not active:
        return []
    if not done_events(h):
        notes.add(f"{h.id}: done_when is not an event (or any of events): its clocks never stop")
    p = Params()
    found: dict[str, dict[str, Any]] = {
        "action": {str(c): (utc(at), str(what)) for c, at, what in rows_of(store, action_sql(h, obj, p, as_of), p)},
    }
    p = Params()
    found["pause"] = {str(c): bool(v) for c, v in rows_of(store, pause_sql(spec, h, obj, p, as_of, notes), p)}
    p = Params()
    found["change"] = {str(c): (o, utc(at)) for c, o, at in rows_of(store, owner_change_sql(h, p, as_of), p)}
    fired = _fired(store, h)
    rows, alerts, reroute = [], [], []
    for leg in active:
        legs, left = _advance(spec, h, leg, found, reps, as_of, now)
        rows.extend(legs)
        last = legs[-1]
        if left and last.object == "contacts":
            reroute.append((last, "owner left the company"))
        if not last.active:
            continue
        clock = leg_clock(spec, last)
        for i in esc.due_steps(h, last, clock, fired.get(last.clock_id, set())):
            step = h.escalation[i]
            alerts.append(esc.escalation_row(last, i, step, esc.payload(h, last, step, reps), as_of))
            if step.action == "reassign" and last.object == "contacts":
                reroute.append((last, f"escalation step {i}: {step.description or 'reassign'}"))
    store.delete_in("sla_clocks", "clock_id", f"SELECT clock_id AS k FROM sla_clocks WHERE handoff_id = ? AND "
                    f"{ACTIVE_SQL}", [h.id])  # fmt: skip
    store.insert_rows("sla_clocks", [leg.row() for leg in rows])
    store.insert_rows("sla_escalations", alerts)
    return reroute


def _reroute(store: Store, spec: Spec, legs: list[tuple[Leg, str]], reassign: Reassign, reps: dict[str, Rep],
             as_of: datetime, now: datetime, notes: set[str]) -> int:  # fmt: skip
    """Route the records again (outside the batch's transaction: routing writes its own); open their next legs."""
    moved = 0
    for leg, why in legs:
        try:
            owner = _new_owner(reassign(leg.record_id, leg.owner_id, why, as_of))
        except Exception as e:  # routing failed for this record: the leg stays as it is, the report says why
            notes.add(f"re-routing {leg.record_id} failed: {e}")
            continue
        if not owner:
            continue
        h = spec.handoff(leg.handoff_id)
        clock = leg_clock(spec, leg)
        at = max(as_of, leg.started_at)
        old = leg if leg.stopped_at else close(clock, leg, at, f"reassigned to {owner} ({why})", now)
        if leg.stopped_at:
            old = replace(leg, stop_reason=f"{leg.stop_reason}; reassigned to {owner}")
        new = next_leg(old, owner, _team(h, reps, owner), at, clock, now)
        with store.transaction():
            store.execute("DELETE FROM sla_clocks WHERE clock_id = ?", [leg.clock_id])
            store.insert_rows("sla_clocks", [old.row(), new.row()])
        moved += 1
    return moved


def run_sla(
    store: Store,
    spec: Spec,
    *,
    as_of: str | date | datetime | None = None,
    handoffs: list[str] | None = None,
    deliver: bool = True,
    reassign: Reassign | None = None,
) -> SlaReport:
    """Open, stop, pause and close handoff clocks as of a time; fire escalations; report compliance.

    Idempotent: a second run with the same data and ``as_of`` changes no clock and fires nothing new.

    Args:
        store: the canonical store.
        spec: the framework spec (its ``handoffs``, ``calendars`` and ``webhooks``).
        as_of: the run's time (default now; a date means the end of that day, UTC).
        handoffs: only these handoff ids (default all).
        deliver: post the pending escalations to their webhooks after the run.
        reassign: ``reassign(contact_id, exclude_user_id, reason, at)`` for legs whose owner left and
            for ``reassign`` escalation steps; without it such legs stay closed, to re-route.

    Returns:
        The report: clocks, compliance and response times per handoff, team and rep; handoff quality.

    Examples:
        >>> from revframe import Workspace
        >>> import tempfile
        >>> ws = Workspace.init(tempfile.mkdtemp())
        >>> report = run_sla(ws.store, ws.spec, as_of="2026-09-30", deliver=False)
        >>> report.handoffs["marketing_to_sales"]["clocks"]
        0
    """
    known = {h.id for h in spec.handoffs}
    for hid in handoffs or []:
        if hid not in known:
            raise UsageError(f"--handoff '{hid}': not a handoff of the spec; choose one of {', '.join(sorted(known))}")
    chosen = [h for h in spec.handoffs if not handoffs or h.id in handoffs]
    when, now = parse_as_of(as_of), datetime.now(UTC)
    reps = load_reps(store, spec)
    notes: set[str] = set()
    reroute: list[tuple[Leg, str]] = []
    with store.transaction():
        for h in chosen:
            if h.trigger.event == "signal":
                notes.add(SIGNAL_NOTE.format(h.id))
                continue
            reroute += _run_handoff(store, spec, h, when, reps, now, notes)
    rerouted = _reroute(store, spec, reroute, reassign, reps, when, now, notes) if reassign else 0
    if reroute and not reassign:
        notes.add(f"{len(reroute)} leg(s) to re-route (owner left, or a reassign step): run `revframe route`, "
                  "or `revframe sla --reassign`")  # fmt: skip
    delivery = esc.deliver_pending(store, spec) if deliver else None
    return build_report(store, spec, [h.id for h in chosen], when, reps, sorted(notes), delivery, rerouted)


def open_clock(store: Store, spec: Spec, handoff_id: str, object: str, record_id: str, owner_id: str | None,
               started_at: datetime, *, team: str | None = None, reps: dict[str, Rep] | None = None,
               priority: list[bool] | None = None, new_record: bool = False) -> dict[str, Any]:  # fmt: skip
    """Open (or return) the running clock of one record now, for the server (one record, a few queries).

    The first priority SLA whose ``when`` holds at ``started_at`` applies (``priority``: the caller
    evaluated them already, one flag per priority SLA). A running leg with another owner is closed
    (``reassigned``, or ``breached`` if past due) and the next leg opens for ``owner_id``. ``reps``:
    the users as reps, when the caller has them (else they are read). ``new_record``: the record was
    created in this transaction, so it has no clock yet: nothing is read (the server opens the clock
    in the routing decision's pipelined writes).

    Returns:
        The running leg as a dict (``sla_clocks`` columns, plus ``elapsed_hours`` and ``sla_hours``).
    """
    h = spec.handoff(handoff_id)
    reps = reps if reps is not None else load_reps(store, spec)
    now, started_at = datetime.now(UTC), utc(started_at)
    with store.transaction():
        last_sql = f"SELECT {COLUMNS} FROM sla_clocks WHERE handoff_id = ? AND record_id = ? ORDER BY leg DESC LIMIT 1"
        rows = [] if new_record else store.query(last_sql, [h.id, record_id])
        last = Leg.from_row(rows[0]) if rows else None
        if last and last.active and (last.owner_id or None) == (owner_id or None):
            return last.to_dict()
        flags: list[bool] = list(priority or [])
        if h.priority_slas and object == "contacts" and priority is None:
            p = Params()
            trig = (
                f"SELECT CAST({p.p(object)} AS VARCHAR) AS object, CAST({p.p(record_id)} AS VARCHAR) AS record_id, "
                f"CAST({p.p(owner_id)} AS VARCHAR) AS owner_id, CAST({p.p(started_at)} AS TIMESTAMPTZ) AS started_at"
            )
            flags = [bool(f) for f in rows_of(store, priority_sql(h, trig, p, set()), p)[0][4:]]
        number = (last.leg + 1) if last else 1
        new = _new_leg(spec, h, object, record_id, owner_id, started_at, flags, reps, now, number)
        if team:
            new.team = team
        if last and last.active:
            closed = close(leg_clock(spec, last), last, started_at, f"reassigned to {owner_id}", now)
            store.execute("DELETE FROM sla_clocks WHERE clock_id = ?", [last.clock_id])
            store.insert_rows("sla_clocks", [closed.row()])
        store.insert_rows("sla_clocks", [new.row()])
    return new.to_dict()


def _matches(h: Handoff, activity: dict[str, Any]) -> bool:
    kind = allowed_key(str(activity.get("type") or ""))
    for cond in done_events(h):
        if cond.event != "activity":
            continue
        if cond.type and kind not in {allowed_key(t) for t in cond.type}:
            continue
        if cond.exclude_automated and activity.get("is_automated"):
            continue
        return True
    return False


def stop_for_activity(store: Store, spec: Spec, activity: dict[str, Any]) -> list[dict[str, Any]]:
    """Stop the running clocks one logged activity satisfies; returns the stopped legs (for ``POST /v1/activities``).

    ``activity`` holds ``activities`` columns: ``type``, ``is_automated``, ``occurred_at`` (default now),
    ``contact_id``, ``account_id``, ``opportunity_id``, ``id``. A person's clocks run on its lead id:
    an activity on the contact a lead was converted into stops the lead's clock too.
    """
    handoffs = [h for h in spec.handoffs if _matches(h, activity)]
    if not handoffs:
        return []
    at = utc(activity.get("occurred_at") or datetime.now(UTC))
    if isinstance(at, str):
        at = utc(datetime.fromisoformat(at))
    contact, account, opp = activity.get("contact_id"), activity.get("account_id"), activity.get("opportunity_id")
    listed = ", ".join("?" for _ in handoffs)
    now, stopped = datetime.now(UTC), []
    with store.transaction():
        rows = store.query(
            f"SELECT {COLUMNS} FROM sla_clocks WHERE {ACTIVE_SQL} AND handoff_id IN ({listed}) AND started_at < ? AND "
            "((object = 'contacts' AND (record_id = ? OR record_id IN (SELECT id FROM contacts WHERE "
            "converted_contact_id = ?))) OR (object = 'opportunities' AND (record_id = ? OR record_id IN "
            "(SELECT id FROM opportunities WHERE account_id = ?))))",
            [*(h.id for h in handoffs), at, contact, contact, opp, account],
        )
        for row in rows:
            leg = Leg.from_row(row)
            what = f"activity {activity.get('type')} {activity.get('id') or ''}".strip()
            done = stop(leg_clock(spec, leg), leg, at, what, now)
            store.execute("DELETE FROM sla_clocks WHERE clock_id = ?", [leg.clock_id])
            store.insert_rows("sla_clocks", [done.row()])
            stopped.append(done.to_dict())
    return stopped


def breaches(store: Store, spec: Spec, *, as_of: str | date | datetime | None = None, team: str | None = None,
             limit: int = 100) -> list[dict[str, Any]]:  # fmt: skip
    """Breached legs, latest due first: stopped after their due time, or running past it (for ``GET /v1/sla/breaches``).

    A running leg counts as breached once ``as_of`` passes its due time (paused legs excepted).
    """
    when = parse_as_of(as_of)
    where = "(status = 'breached' OR (stopped_at IS NULL AND status = 'open' AND due_at < ?))"
    params: list[Any] = [when]
    if team:
        where += " AND team = ?"
        params.append(team)
    rows = store.query(f"SELECT {COLUMNS} FROM sla_clocks WHERE {where} ORDER BY due_at DESC, clock_id LIMIT ?",
                       [*params, limit])  # fmt: skip
    names = {h.id: h.name for h in spec.handoffs}
    out = []
    for r in rows:
        leg = Leg.from_row(r)
        if leg.status == "open":
            leg = tick(leg_clock(spec, leg), leg, when, None, leg.updated_at or when)
        out.append(leg.to_dict() | {"handoff": names.get(leg.handoff_id, leg.handoff_id)})
    return out
