"""Routing: who gets a record, by the spec's rules in order (first match wins), with the reasons.

For each record the router tries ``routing.rules`` top to bottom. A rule applies when its ``when``
holds (compiled to SQL like lifecycle criteria, with the person's *matched* account standing in for
a lead's missing ``account_id``) and its strategy finds someone:

- ``account_owner``: the active owner of the matched account;
- ``named_accounts``: the rep the rule names for the matched account (by id, domain or name);
- ``territory``: the record's region, countries, segment or company size fit, then round robin
  over the rule's team (its reps in ``region`` when the rule names one);
- ``round_robin`` / ``weighted_round_robin``: the rule's team;
- ``queue``: a named queue.

Round robin passes over inactive reps, reps at capacity (open leads ≥ ``users.capacity``) and, per
``working_hours``, reps outside their hours; among the rest it picks the rep with the fewest
assignments in the rule's pool (per weight), ties to the longest waiting. Before each pick every
eligible rep's count is raised to at least the pool's highest minus one, so a rep who was away or
joined late is not flooded to catch up: over any run of N records with the same eligible reps,
counts differ by at most one. Nobody found → the next rule; no rule → ``fallback_queue``.

Every decision is stored in ``routing_decisions`` with the rule path (each rule tried and why it
did not apply), the candidates (each rep considered and why passed over) and the account match.
Picks and writes of one pool happen under :meth:`Store.lock`, so several server workers on
PostgreSQL never assign one record twice or skip a rep.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from revframe.errors import RevframeError
from revframe.framework.rules import describe
from revframe.process.criteria import Params, Subject, condition_sql
from revframe.process.reps import Rep, is_manager, load_reps
from revframe.process.routing_counts import (
    LOADS_SQL,
    ROUTING_LOCK,
    STATE_SQL,
    PoolState,
    load_state,
    loads_from,
    move_loads,
    open_lead_sql,
    open_loads,
    pool_lock,
    refresh_loads,
    save_state,
    state_from,
    store_loads,
)
from revframe.quality.match import website_domain
from revframe.quality.scan_rules import allowed_key
from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.people import RoutingRule
    from revframe.store import Store

_ACCOUNT_COLS = ("id", "owner_id", "type", "segment", "employees", "country", "domain", "website", "name")


class RoutingBusy(RevframeError):
    """The counters kept moving a record between pools while it was decided: nothing was written; try again."""


@dataclass
class Facts:
    """What routing knows about one record: the person, the matched account, each rule's ``when``."""

    id: str
    email: str | None
    country: str | None
    owner_id: str | None
    account: dict[str, Any] | None
    when: dict[str, bool | None]
    match: dict[str, Any] | None = None
    extra: dict[str, bool | None] = field(default_factory=dict)
    """Other conditions the caller asked about in the same query (the server: MQL, priority SLAs)."""


@dataclass
class Decision:
    """One routing decision, as stored in ``routing_decisions``."""

    decision_id: str
    contact_id: str
    rule_id: str | None
    strategy: str | None
    assigned_to: str | None
    queue: str | None
    team: str | None
    reason: str
    rule_path: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    account_id: str | None
    match: dict[str, Any] | None
    previous_owner: str | None
    decided_at: datetime
    assignee_name: str | None = None

    def row(self, run_id: str, version: str) -> tuple[Any, ...]:
        return (
            self.decision_id, run_id, self.contact_id, self.account_id, self.rule_id, self.strategy,
            self.assigned_to, self.queue, self.team, self.reason, json.dumps(self.rule_path),
            json.dumps(self.candidates), json.dumps(self.match) if self.match else None, self.previous_owner,
            self.decided_at, version,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "contact_id": self.contact_id,
            "assigned_to": self.assigned_to,
            "assignee_name": self.assignee_name,
            "queue": self.queue,
            "team": self.team,
            "rule_id": self.rule_id,
            "strategy": self.strategy,
            "reason": self.reason,
            "account_id": self.account_id,
            "match": self.match,
            "rule_path": self.rule_path,
            "candidates": self.candidates,
            "previous_owner": self.previous_owner,
            "decided_at": self.decided_at.isoformat(),
        }


# --- facts ------------------------------------------------------------------------------------------


def _contact_columns() -> str:
    cols = [c.name for c in TABLES["contacts"].all_columns if c.name != "account_id"]
    return ", ".join(f"c0.{c}" for c in cols)


def _bind(sql: str, params: list[Any], ctx: Subject) -> str:
    """Turn the ``?`` markers of ``sql`` into the context's named parameters (so text order holds)."""
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise ValueError(f"{len(parts) - 1} markers, {len(params)} parameters: {sql}")
    out = [parts[0]]
    for value, part in zip(params, parts[1:], strict=True):
        out += [ctx.sql.p(value), part]
    return "".join(out)


def load_facts(
    store: Store,
    spec: Spec,
    where: str,
    params: list[Any],
    matched_sql: str,
    matched_params: list[Any],
    as_of: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> list[Facts]:
    """Facts of the people ``where`` selects (on ``c0``); ``matched_sql`` gives (k = person, v = account).

    ``extra`` names more conditions to evaluate for each person in the same query (``Facts.extra``).
    """
    sql, bound = facts_sql(spec, where, params, matched_sql, matched_params, as_of, extra)
    return facts_from_rows(spec, store.query(sql, bound), extra)


def facts_sql(
    spec: Spec,
    where: str,
    params: list[Any],
    matched_sql: str,
    matched_params: list[Any],
    as_of: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, list[Any]]:
    """The query of :func:`load_facts` and its parameters."""
    rules = spec.routing.rules if spec.routing else []
    asked = list((extra or {}).items())
    ctx = Subject("contacts", as_of or datetime.now(UTC), Params(), set())
    flags = [condition_sql(r.when, ctx) if r.when is not None else "TRUE" for r in rules]
    flags += [condition_sql(cond, ctx) for _, cond in asked]
    flag_sql = "".join(f", {f} AS w{i}" for i, f in enumerate(flags))
    acc = ", ".join(f"a.{c} AS a_{c}" for c in _ACCOUNT_COLS)
    inner = (
        f"SELECT {_contact_columns()}, COALESCE(c0.account_id, m.v) AS account_id, "
        f"CASE WHEN c0.account_id IS NULL AND m.v IS NOT NULL THEN 'match' END AS matched_by "
        f"FROM contacts AS c0 LEFT JOIN ({_bind(matched_sql, matched_params, ctx)}) AS m ON m.k = c0.id "
        f"WHERE {_bind(where, params, ctx)}"
    )
    return ctx.sql.render(
        f"SELECT c.id, c.email, c.country, c.owner_id, c.matched_by, {acc}{flag_sql} "
        f"FROM ({inner}) AS c LEFT JOIN accounts AS a ON a.id = c.account_id ORDER BY c.id"
    )


def facts_from_rows(spec: Spec, rows: list[tuple[Any, ...]], extra: dict[str, Any] | None = None) -> list[Facts]:
    """The facts of each row of :func:`facts_sql` (asked the same ``extra`` conditions)."""
    rules = spec.routing.rules if spec.routing else []
    asked = list((extra or {}).items())
    n = len(_ACCOUNT_COLS)
    out = []
    for r in rows:
        account = dict(zip(_ACCOUNT_COLS, r[5 : 5 + n], strict=True)) if r[5] else None
        when = {rule.id: r[5 + n + i] for i, rule in enumerate(rules)}
        more = {name: r[5 + n + len(rules) + i] for i, (name, _) in enumerate(asked)}
        out.append(Facts(r[0], r[1], r[2], r[3], account, when, extra=more))
    return out


# --- the router ---------------------------------------------------------------------------------------


class Router:
    """Decides who gets each record; holds the reps, their open-lead loads and the round-robin state.

    Build it with :meth:`from_store`; :meth:`decide` is pure (no writes) so a batch can decide many
    records against in-memory counters and write once, and the server can decide one record under
    the pool lock.
    """

    def __init__(
        self,
        spec: Spec,
        reps: dict[str, Rep],
        loads: dict[str, int] | None,
        state: dict[str, PoolState],
    ) -> None:
        self.spec = spec
        self.reps = reps
        self.loads = loads if loads is not None else {}
        self.state = state
        self.by_email = {r.email.lower(): r for r in reps.values() if r.email}
        self.seen: tuple[dict[str, int], list[tuple[Any, ...]]] | None = None
        """The open-lead counts and round-robin rows :func:`route_one` read last: its guess of a record's pool."""

    @classmethod
    def from_store(cls, store: Store, spec: Spec) -> Router:
        return cls(spec, load_reps(store, spec), open_loads(store, spec), load_state(store))

    # --- one record -------------------------------------------------------------------------------
    def decide(self, facts: Facts, at: datetime) -> Decision:
        """Try the rules in order; the first that finds a rep or a queue decides."""
        path: list[dict[str, Any]] = []
        account_id = facts.account["id"] if facts.account else None
        routing = self.spec.routing
        for rule in routing.rules if routing else []:
            if rule.when is not None and facts.when.get(rule.id) is not True:
                state = "is unknown" if facts.when.get(rule.id) is None else "does not hold"
                path.append(_step(rule, False, f"condition {state}: {describe(rule.when)}"))
                continue
            rep, why, candidates = self._apply(rule, facts, at)
            if rep is None and rule.strategy != "queue":
                path.append(_step(rule, False, why))
                continue
            path.append(_step(rule, True, why))
            return self._decision(facts, at, rule, rep, why, path, candidates, account_id)
        queue = routing.fallback_queue if routing else "unassigned"
        reason = f"no rule assigned the record; queued in {queue}"
        return Decision(
            uuid.uuid4().hex, facts.id, None, None, None, queue, None, reason, path, [], account_id,
            facts.match, facts.owner_id, at,
        )  # fmt: skip

    def _decision(
        self,
        facts: Facts,
        at: datetime,
        rule: RoutingRule,
        rep: Rep | None,
        why: str,
        path: list[dict[str, Any]],
        candidates: list[dict[str, Any]],
        account_id: str | None,
    ) -> Decision:
        if rep is None:  # a queue rule
            return Decision(
                uuid.uuid4().hex, facts.id, rule.id, rule.strategy, None, rule.queue, None, why, path,
                candidates, account_id, facts.match, facts.owner_id, at,
            )  # fmt: skip
        self.loads[rep.id] = self.loads.get(rep.id, 0) + 1
        return Decision(
            uuid.uuid4().hex, facts.id, rule.id, rule.strategy, rep.id, None, rep.team or rule.team, why, path,
            candidates, account_id, facts.match, facts.owner_id, at, rep.name,
        )  # fmt: skip

    def _apply(self, rule: RoutingRule, facts: Facts, at: datetime) -> tuple[Rep | None, str, list[dict[str, Any]]]:
        """The rep a rule picks for the record (None when it finds nobody), why, and the candidates."""
        if rule.strategy == "queue":
            return None, f"rule {rule.id} queues the record in {rule.queue}", []
        if rule.strategy in ("account_owner", "named_accounts"):
            return self._named(rule, facts)
        if rule.strategy == "territory":
            miss = self._outside_territory(rule, facts)
            if miss:
                return None, miss, []
        return self._round_robin(rule, at)

    def _named(self, rule: RoutingRule, facts: Facts) -> tuple[Rep | None, str, list[dict[str, Any]]]:
        account = facts.account
        if account is None:
            return None, "no account matched the record", []
        label = account.get("name") or account["id"]
        if rule.strategy == "account_owner":
            user_id, whose = account.get("owner_id"), f"owner of account {label}"
        else:
            user_id, whose = self._named_rep(rule, account), f"named rep for account {label}"
        if not user_id:
            return None, f"account {label} has no {'owner' if rule.strategy == 'account_owner' else 'named rep'}", []
        rep = self.reps.get(user_id) or self.by_email.get(str(user_id).lower())
        if rep is None:
            return None, f"{whose} is user {user_id}, who is not in users", []
        cand = _candidate(rep, self.loads.get(rep.id, 0), None)
        if not rep.is_active:
            cand["why"] = "inactive"
            return None, f"{whose}, {rep.label()}, is inactive", [cand]
        cand["why"] = "chosen"
        return rep, f"{rep.label()} is the {whose}", [cand]

    @staticmethod
    def _named_rep(rule: RoutingRule, account: dict[str, Any]) -> str | None:
        keys = {account["id"], account.get("domain"), website_domain(account.get("website"))}
        keys |= {allowed_key(account["name"])} if account.get("name") else set()
        for k, user in rule.accounts.items():
            if k in keys or allowed_key(k) in keys:
                return user
        return None

    def _outside_territory(self, rule: RoutingRule, facts: Facts) -> str | None:
        """Why the record is outside the rule's territory, or None when it is inside."""
        company = self.spec.company
        account = facts.account or {}
        country = facts.country or account.get("country")
        if rule.region and company.region_for(country) != rule.region:
            return f"country {country or 'unknown'} is not in region {rule.region}"
        if rule.countries and country not in rule.countries:
            return f"country {country or 'unknown'} is not one of {', '.join(rule.countries)}"
        employees = account.get("employees")
        if rule.segment:
            seg = _segment(self.spec, account)
            if seg != rule.segment:
                return f"segment {seg or 'unknown'} is not {rule.segment}"
        if rule.employees and (employees is None or not rule.employees.contains(int(employees))):
            rng = f"{rule.employees.min}-{rule.employees.max or ''}"
            return f"company size {employees if employees is not None else 'unknown'} is outside {rng}"
        return None

    def pool(self, rule: RoutingRule) -> list[Rep]:
        """The reps a round-robin rule shares records among (team, and region for a territory rule)."""
        roles = self.spec.routing.rep_roles if self.spec.routing else []
        reps = [
            r
            for r in self.reps.values()
            if r.team == rule.team and (r.spec_role in roles if roles else not is_manager(self.spec, r))
        ]
        if rule.strategy == "territory" and rule.region:
            reps = [r for r in reps if r.region == rule.region]
        return sorted(reps, key=lambda r: r.id)

    def _round_robin(self, rule: RoutingRule, at: datetime) -> tuple[Rep | None, str, list[dict[str, Any]]]:
        reps = self.pool(rule)
        where = f"team {rule.team}" + (f" in {rule.region}" if rule.strategy == "territory" and rule.region else "")
        if not reps:
            return None, f"{where} has no reps in users", []
        cands = {r.id: _candidate(r, self.loads.get(r.id, 0), r.capacity) for r in reps}
        eligible = []
        for r in reps:
            if not r.is_active:
                cands[r.id]["why"] = "inactive"
            elif rule.respect_capacity and r.capacity is not None and self.loads.get(r.id, 0) >= r.capacity:
                cands[r.id]["why"] = f"at capacity ({self.loads.get(r.id, 0)} of {r.capacity} open leads)"
            else:
                eligible.append(r)
        in_hours = [r for r in eligible if r.in_hours(at)]
        if rule.working_hours == "strict" or (rule.working_hours == "prefer" and in_hours):
            for r in eligible:
                if r not in in_hours:
                    cands[r.id]["why"] = f"out of hours ({r.hours.tz if r.hours else ''})".replace(" ()", "")
            eligible = in_hours
        if not eligible:
            counts: dict[str, int] = defaultdict(int)
            for c in cands.values():
                counts[str(c["why"]).split(" (")[0]] += 1
            summary = ", ".join(f"{n} {why}" for why, n in counts.items())
            return None, f"no eligible rep in {where} ({summary})", list(cands.values())
        rep = self._pick(rule, eligible, at)
        st = self.state[rule.id]
        for r in eligible:
            cands[r.id]["why"] = "chosen" if r is rep else "waiting their turn"
            cands[r.id]["assigned_in_pool"] = int(st.assigned.get(r.id, 0))
        n = int(st.assigned[rep.id])
        how = "weighted round robin" if rule.strategy == "weighted_round_robin" else "round robin"
        why = f"{rep.label()} is next in the {how} of {where} ({len(eligible)} eligible of {len(reps)}; pick #{n})"
        return rep, why, list(cands.values())

    def _weight(self, rule: RoutingRule, rep: Rep) -> float:
        if rule.strategy != "weighted_round_robin":
            return 1.0
        w = rule.weights.get(rep.id, rule.weights.get(rep.email or "", 1.0))
        return max(float(w), 1e-9)

    def _pick(self, rule: RoutingRule, eligible: list[Rep], at: datetime) -> Rep:
        st = self.state.setdefault(rule.id, PoolState())
        w = {r.id: self._weight(rule, r) for r in eligible}
        norm = {r.id: st.assigned.get(r.id, 0.0) / w[r.id] for r in eligible}
        top = max(norm.values())
        for r in eligible:  # nobody is more than one turn behind: no flood after an absence
            raised = max(st.assigned.get(r.id, 0.0), math.floor((top - 1 / w[r.id]) * w[r.id]))
            if raised != st.assigned.get(r.id):
                st.assigned[r.id] = raised
                st.dirty.add(r.id)
        old = datetime.min.replace(tzinfo=UTC)
        rep = min(
            eligible,
            key=lambda r: ((st.assigned[r.id] + 1) / w[r.id], st.last.get(r.id) or old, st.order.get(r.id, 0), r.id),
        )
        st.assigned[rep.id] = st.assigned.get(rep.id, 0.0) + 1
        st.last[rep.id] = at
        st.order[rep.id] = max(st.order.values(), default=0) + 1
        st.touched = True
        st.dirty.add(rep.id)
        return rep


def _step(rule: RoutingRule, matched: bool, why: str) -> dict[str, Any]:
    return {"rule": rule.id, "strategy": rule.strategy, "matched": matched, "why": why}


def _candidate(rep: Rep, load: int, capacity: int | None) -> dict[str, Any]:
    return {"user_id": rep.id, "name": rep.name, "open_leads": load, "capacity": capacity, "why": ""}


def _segment(spec: Spec, account: dict[str, Any]) -> str | None:
    seg = account.get("segment")
    if seg:
        key = allowed_key(seg)
        for s in spec.company.segments:
            if key in (allowed_key(s.id), allowed_key(s.name)):
                return s.id
    employees = account.get("employees")
    return spec.company.segment_for(int(employees)) if employees is not None else None


def write_decisions(store: Store, spec: Spec, decisions: list[Decision], run_id: str) -> None:
    """Store the decisions and give each assigned record its new owner (inside the caller's transaction)."""
    if not decisions:
        return
    store.insert_rows("routing_decisions", [d.row(run_id, spec.version) for d in decisions])
    if len(decisions) == 1:  # the server's path: one record, by its id
        if decisions[0].assigned_to:
            store.execute(
                "UPDATE contacts SET owner_id = ? WHERE id = ?", [decisions[0].assigned_to, decisions[0].contact_id]
            )
        return
    store.update_from(
        "contacts",
        "owner_id",
        "id",
        "SELECT contact_id AS k, assigned_to AS v FROM routing_decisions WHERE run_id = ? AND assigned_to IS NOT NULL",
        [run_id],
    )


# --- batch and one record -----------------------------------------------------------------------------

NO_MATCH_SQL = "SELECT CAST(NULL AS VARCHAR) AS k, CAST(NULL AS VARCHAR) AS v WHERE FALSE"


@dataclass
class RouteReport:
    """What a `revframe route` run decided."""

    run_id: str
    as_of: datetime
    decisions: list[Decision]
    dry_run: bool
    match_run: str | None
    notes: list[str] = field(default_factory=list)

    def by_rule(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for d in self.decisions:
            out[d.rule_id if d.rule_id else f"fallback queue ({d.queue})"] += 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def by_assignee(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for d in self.decisions:
            out[d.assignee_name or d.assigned_to or f"queue {d.queue}"] += 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def to_dict(self, limit: int | None = 50) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "routed": len(self.decisions),
            "assigned": sum(1 for d in self.decisions if d.assigned_to),
            "queued": sum(1 for d in self.decisions if d.queue),
            "by_rule": self.by_rule(),
            "by_assignee": self.by_assignee(),
            "account_match_run": self.match_run,
            "notes": self.notes,
            "decisions": [d.to_dict() for d in self.decisions[:limit]],
        }


def latest_match_run(store: Store) -> str | None:
    rows = store.query("SELECT run_id FROM account_matches ORDER BY matched_at DESC LIMIT 1")
    return rows[0][0] if rows else None


def _trigger_stage(spec: Spec) -> str:
    """The stage whose people routing serves: the from-stage of the handoff triggered by assignment."""
    return next((h.from_stage for h in spec.handoffs if h.trigger.event == "owner_assigned" and h.from_stage), "mql")


def selection(spec: Spec, *, ids: list[str] | None, all_open: bool) -> tuple[str, list[Any], str]:
    """``WHERE`` on ``c0`` for the records a run routes, its parameters, and the selection in words."""
    if ids:
        return f"c0.id IN ({', '.join('?' * len(ids))})", list(ids), f"{len(ids)} record(s) by id"
    open_sql = open_lead_sql(spec, "c0")
    if all_open:
        return open_sql, [], "every open lead"
    stage = _trigger_stage(spec)
    latest = (
        "SELECT record_id FROM (SELECT record_id, to_stage, row_number() OVER (PARTITION BY record_id "
        "ORDER BY recorded_at DESC, occurred_at DESC) AS rn FROM lifecycle_events "
        "WHERE object = 'contacts' AND kind IN ('entry', 'forward', 'backward')) AS le "
        "WHERE le.rn = 1 AND le.to_stage = ?"
    )
    sql = (
        f"{open_sql} AND NOT EXISTS (SELECT 1 FROM routing_decisions AS d WHERE d.contact_id = c0.id "
        "AND (d.assigned_to IS NOT NULL OR d.rule_id IS NOT NULL)) AND ("
        "c0.owner_id IS NULL OR EXISTS (SELECT 1 FROM users AS u WHERE u.id = c0.owner_id AND u.is_active = FALSE) "
        f"OR (c0.mql_at IS NULL AND c0.id IN ({latest})))"
    )
    words = (
        f"open leads never assigned by routing that have no owner (the fallback queue's included), whose owner is "
        f"inactive, "
        f"or that became {stage} in revframe"
    )
    return sql, [stage], words


def route(
    store: Store,
    spec: Spec,
    *,
    ids: list[str] | None = None,
    all_open: bool = False,
    as_of: datetime | None = None,
    dry_run: bool = False,
) -> RouteReport:
    """Route records in bulk: decide each against shared counters, then write all in one transaction.

    Args:
        ids: route exactly these people; else ``all_open`` every open lead; else the records that
            need an owner (see :func:`selection`).
        as_of: the decision time (working hours are checked at it); now by default.
        dry_run: decide and report without writing.
    """
    at = as_of or datetime.now(UTC)
    run_id = uuid.uuid4().hex[:12]
    where, params, words = selection(spec, ids=ids, all_open=all_open)
    match_run = latest_match_run(store)
    matched, mparams = (
        ("SELECT contact_id AS k, account_id AS v FROM account_matches WHERE run_id = ?", [match_run])
        if match_run
        else (NO_MATCH_SQL, [])
    )
    notes = [f"selected: {words}"]
    if match_run is None:
        notes.append("no lead-to-account match run yet: leads without an account match none (`revframe quality match`)")
    with store.transaction():
        store.lock(ROUTING_LOCK)
        facts = load_facts(store, spec, where, params, matched, mparams, at)
        router = Router.from_store(store, spec)
        for f in facts:  # a record being routed again no longer weighs on its current owner
            if f.owner_id in router.loads:
                router.loads[f.owner_id] -= 1
        decisions = [router.decide(f, at) for f in facts]
        for d, f in zip(decisions, facts, strict=True):
            if f.account and d.account_id and match_run and f.owner_id != d.assigned_to:
                d.match = d.match or {"account_id": d.account_id, "match_run": match_run}
        if not dry_run:
            write_decisions(store, spec, decisions, run_id)
            save_state(store, router.state)
            store_loads(store, router.loads, users=list(router.reps))
    if spec.routing is None:
        notes.append("the spec has no routing section: every record goes to the fallback queue")
    return RouteReport(run_id, at, decisions, dry_run, match_run, notes)


def route_one(
    store: Store,
    spec: Spec,
    router: Router,
    contact_id: str,
    *,
    match: dict[str, Any] | None = None,
    at: datetime | None = None,
    exclude: set[str] | None = None,
    note: str | None = None,
    facts: Facts | None = None,
    then: Callable[[Decision], None] | None = None,
) -> Decision:
    """Route one person now (the server's path): decide under the routing lock and write, in one transaction.

    ``router`` supplies the reps (refreshed by the caller); loads and round-robin counters are read
    fresh under the lock, so concurrent workers see each other's picks. ``exclude`` passes over
    these users (a reassignment away from the current owner). ``then`` writes what goes with the
    decision (the server opens the SLA clock) in the same pipelined round trip: writes only, no reads.
    """
    account = match.get("account_id") if match else None
    matched = "SELECT CAST(? AS VARCHAR) AS k, CAST(? AS VARCHAR) AS v" if account else NO_MATCH_SQL
    mparams = [contact_id, account] if account else []
    with store.transaction():
        if facts is None:  # the record's facts do not depend on the counters: read them before the lock
            found = load_facts(store, spec, "c0.id = ?", [contact_id], matched, mparams, at)
            if not found:
                raise KeyError(contact_id)
            facts = found[0]
        # A decision changes only its rule's pool: lock that pool (and the routing lock shared, so a
        # batch run or a recount waits for decisions in flight), not every pool. Which rule takes the
        # record is guessed from the counters as this process last read them (else as they are now),
        # then decided again under the lock on counters read after it (in the same round trip); if
        # they moved the record to another pool meanwhile, that pool is locked too, or the caller retries.
        reads: list[tuple[str, list[Any] | None]] = [
            ("SELECT owner_id FROM contacts WHERE id = ?", [contact_id]), (LOADS_SQL, None), (STATE_SQL, None)
        ]  # fmt: skip
        facts.match = match

        def decide(owner: str | None, kept: dict[str, int], rows: list[tuple[Any, ...]]) -> tuple[Router, Decision]:
            when = at or datetime.now(UTC)  # after the lock: a worker that waited decides later, and says so
            facts.owner_id = owner  # as committed by whoever held the pool before
            fresh = Router(spec, router.reps, dict(kept), state_from(rows))
            if exclude:
                fresh.reps = {k: v for k, v in fresh.reps.items() if k not in exclude}
            return fresh, fresh.decide(facts, when)

        def lock_and_read(pool: str) -> list[list[tuple[Any, ...]]]:
            with store.pipeline():  # one round trip: the locks, then the counters as they are once held
                store.lock(ROUTING_LOCK, shared=True)
                store.lock(pool)
                return store.query_many(reads)

        held: set[str] = set()
        seen = router.seen
        if seen is not None:
            want = pool_lock(decide(facts.owner_id, *seen)[1].rule_id)
            rows = lock_and_read(want)
            held.add(want)
        else:
            rows = store.query_many(reads)
        for _ in range(4):
            owner, kept_rows, state_rows = rows
            kept = loads_from(kept_rows)
            if kept is None:  # never counted: count now (exclusive lock; the first decision of a store only)
                if held:  # not under the shared lock: start again without the guess
                    router.seen = None
                    raise RoutingBusy(f"{contact_id}: the open-lead counts are being recounted; try again")
                refresh_loads(store, spec, list(router.reps))
                rows = store.query_many(reads)
                continue
            router.seen = (kept, state_rows)
            fresh, decision = decide(owner[0][0] if owner else None, kept, state_rows)
            want = pool_lock(decision.rule_id)
            if not held:
                rows = lock_and_read(want)
                held.add(want)
            elif want in held:
                break
            elif store.try_lock(want):
                held.add(want)
                rows = store.query_many(reads)
            else:
                raise RoutingBusy(f"{contact_id}: the routing counters kept moving under the decision; try again")
        else:
            raise RoutingBusy(f"{contact_id}: the routing counters kept moving under the decision; try again")
        if note:
            decision.rule_path.insert(0, {"rule": "reassign", "strategy": None, "matched": True, "why": note})
        prev = decision.previous_owner
        moves: dict[str, int] = {}
        if decision.assigned_to and decision.assigned_to != prev:
            moves[decision.assigned_to] = 1
            if prev and kept.get(prev):
                moves[prev] = -1  # the record leaves its previous owner
        if store.dialect == "spark":
            for u, d in moves.items():
                kept[u] = kept.get(u, 0) + d
            store_loads(store, kept)
        with store.pipeline():
            write_decisions(store, spec, [decision], f"api-{decision.decision_id[:12]}")
            save_state(store, fresh.state)
            if moves and store.dialect != "spark":
                move_loads(store, moves, kept)
            if then is not None:
                then(decision)
    return decision


def reassign(
    store: Store, spec: Spec, contact_id: str, exclude_user_id: str | None, reason: str, at: datetime | None = None
) -> Decision:
    """Route a person again, passing over ``exclude_user_id`` (SLA escalation, or the owner left)."""
    exclude = {exclude_user_id} if exclude_user_id else set()
    return route_one(store, spec, Router.from_store(store, spec), contact_id, at=at, exclude=exclude, note=reason)
