"""Routing's counters in the store: round-robin state per pool, and each rep's open-lead count (capacity).

Both are read and written under the routing lock (:data:`ROUTING_LOCK`), so several server workers
see each other's picks. See :mod:`revframe.process.routing` for how they are used.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from revframe.process.criteria import Params, Subject, condition_sql, lit

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

ROUTING_LOCK = "revframe:routing"
"""Batch routing and recounts hold it exclusively; a server decision holds it shared plus its pool's lock."""


def pool_lock(rule_id: str | None) -> str:
    """The lock of one routing rule's pool: decisions of different rules run side by side."""
    return f"{ROUTING_LOCK}:{rule_id or 'fallback'}"


@dataclass
class PoolState:
    """Round-robin counters of one pool (a rule): assignments per rep and when last."""

    assigned: dict[str, float] = field(default_factory=dict)
    last: dict[str, datetime | None] = field(default_factory=dict)
    touched: bool = False
    order: dict[str, int] = field(default_factory=dict)
    """Pick order in this process: breaks ties of ``last`` (a batch decides many records at one time)."""
    stored: set[str] = field(default_factory=set)
    """Reps with a row in ``routing_state`` when it was read."""
    dirty: set[str] = field(default_factory=set)
    """Reps whose counters changed since (written one row each by :func:`save_state`)."""


# --- loads and state ----------------------------------------------------------------------------------


def open_lead_sql(spec: Spec, alias: str = "c") -> str:
    """SQL true for an open lead: a lead, not converted, not in an exit stage (Disqualified, Other...)."""
    ctx = Subject("contacts", datetime.now(UTC), Params(), set())
    exits = [condition_sql(s.entry_criteria, ctx) for s in spec.lifecycle.stages if not s.funnel and s.entry_criteria]
    sql, params = ctx.sql.render(" OR ".join(exits) or "FALSE")
    parts = sql.split("?")  # exit criteria compare text lists: inline them as literals (no markers to bind)
    values = [repr(v) if isinstance(v, int | float) else lit(str(v)) for v in params]
    sql = parts[0] + "".join(v + p for v, p in zip(values, parts[1:], strict=True))
    base = (
        "c.record_type = 'lead' AND c.converted_contact_id IS NULL AND c.converted_at IS NULL "
        f"AND NOT COALESCE({sql}, FALSE)"
    )
    return base.replace("c.", f"{alias}.") if alias != "c" else base


def open_loads(store: Store, spec: Spec, user_ids: list[str] | None = None) -> dict[str, int]:
    """Open leads per owner (what capacity is measured against)."""
    only, params = "", []
    if user_ids is not None:
        if not user_ids:
            return {}
        only, params = f" AND c.owner_id IN ({', '.join('?' * len(user_ids))})", list(user_ids)
    sql = f"SELECT c.owner_id, count(*) FROM contacts AS c WHERE c.owner_id IS NOT NULL{only} AND {open_lead_sql(spec)}"
    return {r[0]: int(r[1]) for r in store.query(sql + " GROUP BY c.owner_id", params)}


STATE_SQL = "SELECT pool, user_id, assigned, last_assigned_at FROM routing_state"
LOADS_SQL = "SELECT user_id, open_leads FROM rep_loads"


def load_state(store: Store) -> dict[str, PoolState]:
    return state_from(store.query(STATE_SQL))


def state_from(rows: list[tuple[Any, ...]]) -> dict[str, PoolState]:
    """The round-robin counters from the rows of :data:`STATE_SQL`."""
    states: dict[str, PoolState] = defaultdict(PoolState)
    for pool, user, assigned, last in rows:
        states[pool].assigned[user] = float(assigned or 0)
        states[pool].last[user] = last
        states[pool].stored.add(user)
    return states


def save_state(store: Store, states: dict[str, PoolState]) -> None:
    """Write the counters that changed: one row per rep updated in place (Spark: the pool rewritten)."""
    for pool, st in states.items():
        if not st.touched:
            continue
        if store.dialect == "spark":
            store.delete_where("routing_state", "pool", pool)
            rows = [(pool, u, int(n), st.last.get(u)) for u, n in sorted(st.assigned.items())]
            store.insert_rows("routing_state", rows)
        else:
            for u in sorted(st.dirty & st.stored):
                store.execute(
                    "UPDATE routing_state SET assigned = ?, last_assigned_at = ? WHERE pool = ? AND user_id = ?",
                    [int(st.assigned[u]), st.last.get(u), pool, u],
                )
            new = sorted(st.dirty - st.stored)
            store.insert_rows("routing_state", [(pool, u, int(st.assigned[u]), st.last.get(u)) for u in new])
        st.stored |= set(st.assigned)
        st.dirty.clear()
        st.touched = False


def store_loads(
    store: Store, loads: dict[str, int], at: datetime | None = None, users: list[str] | None = None
) -> None:
    """Keep each rep's open-lead count in ``rep_loads`` (call under the routing lock).

    Batch runs and the server (every few minutes) count them from the store; in between, each
    decision moves them, so a request reads one small table instead of counting leads.
    """
    store.delete_in("rep_loads", "user_id", "SELECT user_id AS k FROM rep_loads")
    when = at or datetime.now(UTC)
    # the row with an empty user id says when they were counted (so "no rows" means "never counted")
    counts = {**dict.fromkeys(users or [], 0), **loads}  # ``users``: a row each, even at 0 (moved in place later)
    store.insert_rows(
        "rep_loads", [("", 0, when), *((u, int(n), when) for u, n in sorted(counts.items()) if n or users)]
    )


def move_loads(store: Store, deltas: dict[str, int], kept: dict[str, int]) -> None:
    """Move a few reps' open-lead counts in ``rep_loads`` by ``deltas``, one row each, in place.

    Relative updates: decisions of different pools (holding different locks) may move the same
    rep's count at once, and the row lock orders them without losing one. A rep without a row
    (added since the last count) gets one.
    """
    for u, d in deltas.items():
        if u in kept:
            store.execute("UPDATE rep_loads SET open_leads = open_leads + ? WHERE user_id = ?", [d, u])
        else:
            store.insert_rows("rep_loads", [(u, max(d, 0), datetime.now(UTC))])


def kept_loads(store: Store) -> dict[str, int] | None:
    """The kept open-lead counts, or None before any routing run counted them."""
    return loads_from(store.query(LOADS_SQL))


def loads_from(rows: list[tuple[Any, ...]]) -> dict[str, int] | None:
    """The kept open-lead counts from the rows of :data:`LOADS_SQL` (None: never counted)."""
    return {r[0]: int(r[1] or 0) for r in rows if r[0]} if rows else None


def refresh_loads(store: Store, spec: Spec, users: list[str] | None = None) -> dict[str, int]:
    """Count every rep's open leads from the store, under the routing lock, and keep the counts.

    ``users``: every rep who can be assigned, so each has a row to move in place.
    """
    with store.transaction():
        store.lock(ROUTING_LOCK)
        loads = open_loads(store, spec)
        store_loads(store, loads, users=users)
    return loads
