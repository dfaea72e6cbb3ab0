"""Round-robin fairness as properties: in bulk and one at a time, with reps coming and going, weighted, concurrent.

The properties, each checked against counts this file keeps itself (never the router's own counters):

(a) N leads over K eligible reps, routed by ``route`` in batches and ``route_one`` one at a time in
    any mix: each lead gets exactly one decision, the owners are the decisions, and per-rep counts
    differ by at most one.
(b) Reps leave (inactive, or at capacity) and come back at random. Split the picks into *stretches*:
    maximal runs of consecutive picks during which the set of eligible reps does not change. Within
    every stretch the per-rep counts differ by at most one; so a rep who comes back after any absence
    gets at most one lead more than each rep eligible with it before they all have had one (no flood
    to catch up), and with two or more eligible reps nobody gets two leads in a row. Every pick is an
    eligible rep; with nobody eligible the lead goes to the fallback queue.
(c) Weighted: with integer weights w_i summing to W, W x m picks give each rep exactly w_i x m.
(d) PostgreSQL, four workers each with its own connection calling ``route_one`` at once: every lead
    has exactly one decision, the owners equal the decisions, per-rep counts differ by at most one,
    and the stored counters add up. Two workers routing the *same* lead at once: both decisions are
    stored, serialized by the lock - the second saw the first's owner (its ``previous_owner``) and
    the first's pick (it chose another rep) - and the person's owner is the second's pick. A worker
    that waited for the lock decides later, and its decision is the latest by ``decided_at``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revframe.framework import Spec
from revframe.process.reps import Rep
from revframe.process.routing import ROUTING_LOCK, Facts, Router, route, route_one
from revframe.store import Store, open_store
from tests.conftest import drop, make_store
from tests.process.test_routing import AS_OF, FALLBACK, RR, fill, lead, owners, spec_for, user

SPEC = spec_for([RR])
FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def spread(counts: Counter[str], reps: list[str]) -> int:
    """Highest minus lowest count over ``reps`` (a rep with nothing counts zero)."""
    values = [counts.get(r, 0) for r in reps]
    return max(values) - min(values) if values else 0


def decisions_per_lead(store: Store) -> dict[str, list[str | None]]:
    out: dict[str, list[str | None]] = {}
    for cid, rep in store.query("SELECT contact_id, assigned_to FROM routing_decisions ORDER BY decided_at"):
        out.setdefault(cid, []).append(rep)
    return out


# --- (a) bulk and single steps, mixed, on a real store -------------------------------------------------
@FEW
@given(
    k=st.integers(1, 8),
    n=st.integers(0, 200),
    plan=st.lists(st.tuples(st.booleans(), st.integers(1, 40)), min_size=1, max_size=12),
)
def test_counts_differ_by_at_most_one_in_bulk_and_single_steps(k: int, n: int, plan: list[tuple[bool, int]]) -> None:
    store = open_store("duckdb:///:memory:")
    store.migrate()
    reps = [f"crm:r{i}" for i in range(k)]
    fill(
        store, [user(f"r{i}") for i in range(k)] + [user("off", is_active=False)], [lead(f"p{i:03d}") for i in range(n)]
    )
    ids = [f"crm:p{i:03d}" for i in range(n)]
    router = Router.from_store(store, SPEC)
    at, i, step = AS_OF, 0, 0
    while i < n:
        bulk, size = plan[step % len(plan)]
        chunk, i, step = ids[i : i + size], i + size, step + 1
        at += timedelta(minutes=1)
        if bulk:
            route(store, SPEC, ids=chunk, as_of=at)
        else:
            for cid in chunk:
                at += timedelta(seconds=1)
                route_one(store, SPEC, router, cid, at=at)
    decided = decisions_per_lead(store)
    assert sorted(decided) == ids and all(len(v) == 1 for v in decided.values())  # each lead once
    assert owners(store) == {cid: v[0] for cid, v in decided.items()}
    counts = Counter(v[0] for v in decided.values())
    assert set(counts) <= set(reps)  # the inactive rep got nothing, nobody was queued
    assert spread(counts, reps) <= 1
    store.close()


# --- (b) reps leaving and coming back -------------------------------------------------------------------
def rep(i: int) -> Rep:
    return Rep(
        id=f"crm:r{i}", name=f"R{i}", email=f"r{i}@yourco.com", team="sales_development", crm_team="Sales Development",
        role="Sales Development Rep", spec_role="sdr", region=None, is_active=True, capacity=None, timezone=None,
        hours=None, manager_id=None,
    )  # fmt: skip


def facts(i: int) -> Facts:
    return Facts(id=f"crm:p{i}", email=None, country=None, owner_id=None, account=None, when={})


ACTIONS = st.one_of(
    st.tuples(st.just("pick"), st.integers(1, 12)),
    st.tuples(st.just("inactive"), st.integers(0, 7)),  # the rep leaves
    st.tuples(st.just("full"), st.integers(0, 7)),  # the rep is at capacity now
    st.tuples(st.just("cap"), st.integers(0, 7), st.integers(1, 4)),  # the rep fills up after a few more
    st.tuples(st.just("back"), st.integers(0, 7)),  # active again, no capacity limit
)


@settings(max_examples=150, deadline=None)
@given(k=st.integers(1, 8), actions=st.lists(ACTIONS, min_size=1, max_size=40), one_time=st.booleans())
def test_no_flood_after_an_absence(k: int, actions: list[tuple], one_time: bool) -> None:
    router = Router(SPEC, {r.id: r for r in map(rep, range(k))}, {}, {})
    load: Counter[str] = Counter()  # open leads per rep, kept here
    picks: list[tuple[frozenset[str], str | None]] = []  # (eligible before the pick, who got it)
    at = AS_OF
    for action in actions:
        if action[0] != "pick":
            r = router.reps.get(f"crm:r{action[1] % k}")
            assert r is not None
            change = {"inactive": {"is_active": False}, "full": {"capacity": load[r.id]},
                      "back": {"is_active": True, "capacity": None}}.get(action[0])  # fmt: skip
            router.reps[r.id] = replace(r, **(change or {"capacity": load[r.id] + action[2]}))
            continue
        for _ in range(action[1]):
            eligible = frozenset(
                r.id for r in router.reps.values() if r.is_active and (r.capacity is None or load[r.id] < r.capacity)
            )
            at = at if one_time else at + timedelta(seconds=1)
            d = router.decide(facts(len(picks)), at)
            if eligible:
                assert d.assigned_to in eligible
                load[d.assigned_to] += 1
            else:
                assert (d.assigned_to, d.queue) == (None, FALLBACK)
            picks.append((eligible, d.assigned_to))
    # split into stretches of one eligible set, and check each
    stretches: list[tuple[frozenset[str], list[str]]] = []
    for eligible, who in picks:
        if not eligible:
            continue
        if stretches and stretches[-1][0] == eligible and who is not None:
            stretches[-1][1].append(who)
        else:
            stretches.append((eligible, [who] if who else []))
    for eligible, who_list in stretches:
        assert spread(Counter(who_list), sorted(eligible)) <= 1, (sorted(eligible), who_list)
        if len(eligible) > 1:
            assert all(a != b for a, b in zip(who_list, who_list[1:], strict=False)), who_list


# --- (c) weighted ---------------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(
    weights=st.lists(st.integers(1, 5), min_size=1, max_size=6),
    by_email=st.lists(st.booleans(), min_size=6, max_size=6),
    m=st.integers(1, 4),
    one_time=st.booleans(),
)
def test_weighted_picks_are_in_proportion(weights: list[int], by_email: list[bool], m: int, one_time: bool) -> None:
    keyed = {(f"r{i}@yourco.com" if by_email[i] else f"crm:r{i}"): w for i, w in enumerate(weights) if w != 1}
    spec = spec_for([{"id": "wrr", "strategy": "weighted_round_robin", "team": "sales_development", "weights": keyed}])
    router = Router(spec, {r.id: r for r in map(rep, range(len(weights)))}, {}, {})
    at = AS_OF
    got: Counter[str] = Counter()
    for i in range(sum(weights) * m):
        at = at if one_time else at + timedelta(seconds=1)
        got[router.decide(facts(i), at).assigned_to or "queue"] += 1
    assert got == {f"crm:r{i}": w * m for i, w in enumerate(weights)}


# --- (d) concurrency on PostgreSQL ---------------------------------------------------------------------
@pytest.fixture
def pg(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = make_store("postgres", tmp_path)
    yield store
    drop(store)


def run_workers(url: str, jobs: list[list[str]], barrier_each: bool = False, spec: Spec = SPEC) -> list[BaseException]:
    """Run one thread per job list, each with its own PostgreSQL connection, calling ``route_one`` per lead."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def work(ids: list[str]) -> None:
        store = open_store(url)
        try:
            router = Router.from_store(store, spec)
            start.wait()
            for cid in ids:
                if barrier_each:
                    start.wait()
                route_one(store, spec, router, cid, at=datetime.now(UTC))
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)
            start.abort()
        finally:
            store.close()

    threads = [threading.Thread(target=work, args=(ids,)) for ids in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return errors


def test_concurrent_workers_assign_each_lead_once_and_fairly(pg: Store) -> None:
    k, n = 3, 200
    reps = [f"crm:r{i}" for i in range(k)]
    fill(pg, [user(f"r{i}") for i in range(k)], [lead(f"p{i:03d}") for i in range(n)])
    ids = [f"crm:p{i:03d}" for i in range(n)]
    assert run_workers(pg.url, [ids[w::4] for w in range(4)]) == []
    decided = decisions_per_lead(pg)
    assert sorted(decided) == ids and all(len(v) == 1 for v in decided.values())
    assert owners(pg) == {cid: v[0] for cid, v in decided.items()}
    counts = Counter(v[0] for v in decided.values())
    assert set(counts) == set(reps) and spread(counts, reps) <= 1
    stored_state = {r[0]: int(r[1]) for r in pg.query("SELECT user_id, assigned FROM routing_state WHERE pool = 'rr'")}
    assert stored_state == dict(counts)  # no lost counter update


def test_two_workers_routing_the_same_lead_are_serialized(pg: Store) -> None:
    k, n = 3, 20
    fill(pg, [user(f"r{i}") for i in range(k)], [lead(f"p{i:02d}") for i in range(n)])
    ids = [f"crm:p{i:02d}" for i in range(n)]
    assert run_workers(pg.url, [ids, ids], barrier_each=True) == []
    rows = pg.query("SELECT contact_id, assigned_to, previous_owner FROM routing_decisions")
    by_lead: dict[str, list[tuple[str, str | None]]] = {}
    for cid, rep_id, prev in rows:
        by_lead.setdefault(cid, []).append((rep_id, prev))
    assert sorted(by_lead) == ids and all(len(v) == 2 for v in by_lead.values())
    now = owners(pg)
    for cid, pair in by_lead.items():
        # the lock orders them: one saw no owner, the other saw the first's pick as the owner
        first = next(d for d in pair if d[1] is None)
        second = next(d for d in pair if d is not first)
        assert second[1] == first[0], pair
        assert second[0] != first[0], pair  # the second saw the first's counter: another rep's turn
        assert now[cid] == second[0]
    counts = Counter(rep_id for _, rep_id, _ in rows)
    assert sum(counts.values()) == 2 * n and spread(counts, [f"crm:r{i}" for i in range(k)]) <= 1
    stored_state = {r[0]: int(r[1]) for r in pg.query("SELECT user_id, assigned FROM routing_state WHERE pool = 'rr'")}
    assert stored_state == dict(counts)


def test_a_decision_made_after_waiting_for_the_lock_is_the_latest(pg: Store) -> None:
    """Worker B asks to route a lead while worker A holds the routing lock; A routes it too and commits.

    B decides after A (the lock orders them), so B's decision must be the latest by ``decided_at`` -
    the one ``revframe route --explain`` shows - and B's pick the owner.
    """
    fill(pg, [user("r0"), user("r1")], [lead("p0")])
    router = Router.from_store(pg, SPEC)
    other = open_store(pg.url)
    waiting, result = threading.Event(), {}

    def worker_b() -> None:
        waiting.set()
        result["b"] = route_one(other, SPEC, Router.from_store(other, SPEC), "crm:p0")

    with pg.transaction():
        pg.lock(ROUTING_LOCK)
        thread = threading.Thread(target=worker_b)
        thread.start()
        waiting.wait(10)
        time.sleep(0.3)  # B is now blocked on the lock
        a = route_one(pg, SPEC, router, "crm:p0")
    thread.join(30)
    other.close()
    b = result["b"]
    assert b.previous_owner == a.assigned_to and b.assigned_to != a.assigned_to
    assert owners(pg)["crm:p0"] == b.assigned_to
    latest = pg.query("SELECT assigned_to FROM routing_decisions ORDER BY decided_at DESC LIMIT 1")
    assert latest == [(b.assigned_to,)]


def test_pools_decide_side_by_side_and_keep_exact_counters(pg: Store) -> None:
    """Two rules (two pools, the same reps) under 4 concurrent workers: each pool locks only itself, yet
    every lead is decided once, each pool's round robin is fair and its stored counters exact, and the
    reps' kept open-lead counts (moved by both pools at once) equal the leads they hold."""
    k, n = 3, 160
    de_rule = {"id": "de", "strategy": "territory", "countries": ["DE"], "team": "sales_development"}
    spec = spec_for([de_rule, RR])
    reps = [f"crm:r{i}" for i in range(k)]
    leads = [lead(f"p{i:03d}", country="DE" if i % 2 else "US") for i in range(n)]
    fill(pg, [user(f"r{i}") for i in range(k)], leads)
    ids = [f"crm:p{i:03d}" for i in range(n)]
    assert run_workers(pg.url, [ids[w::4] for w in range(4)], spec=spec) == []
    decided = decisions_per_lead(pg)
    assert sorted(decided) == ids and all(len(v) == 1 for v in decided.values())
    rules = dict(pg.query("SELECT contact_id, rule_id FROM routing_decisions"))
    assert {rules[f"crm:p{i:03d}"] for i in range(1, n, 2)} == {"de"}
    assert {rules[f"crm:p{i:03d}"] for i in range(0, n, 2)} == {"rr"}
    for pool in ("de", "rr"):
        counts = Counter(v[0] for cid, v in decided.items() if rules[cid] == pool)
        assert spread(counts, reps) <= 1, (pool, counts)
        stored = {
            r[0]: int(r[1]) for r in pg.query("SELECT user_id, assigned FROM routing_state WHERE pool = ?", [pool])
        }
        assert stored == dict(counts), pool  # no lost update within a pool
    held = Counter(owners(pg).values())
    kept = {r[0]: int(r[1]) for r in pg.query("SELECT user_id, open_leads FROM rep_loads WHERE user_id <> ''")}
    assert kept == {r: held[r] for r in reps}  # both pools moved the same rows: nothing lost
