"""Small hand-built stores for the metrics tests, and the spec helpers they share.

Each ``plant_*`` function writes one topic's rows (flow, currency, subscriptions, people, stages,
operations) into a migrated store. The expected numbers in the tests are worked out by hand from
the rows below; comments next to the rows give the figures that matter.

Users, accounts and people are built with the routing tests' builders (``user``, ``account``,
``lead``, ``fill``), activities with the SLA tests' ``act``, canonical rows with ``rows``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from revframe.framework import Spec, default_spec_text, load_spec_text
from revframe.metrics.compute import compute_metrics
from revframe.metrics.model import Grain, MetricResult, MetricRun, Period
from revframe.store import Store
from tests.process.test_routing import account, fill, lead, system_rows, user
from tests.process.test_sla import act
from tests.quality.test_match_batch import rows

__all__ = ["act", "account", "fill", "lead", "user"]  # the shared builders, re-exported for the tests here

FISCAL_SPEC = load_spec_text(default_spec_text())
"""The default spec as shipped: its fiscal year starts in February."""
SPEC = load_spec_text(default_spec_text().replace("fiscal_year_start_month: 2", "fiscal_year_start_month: 1", 1))
"""The default spec on calendar quarters and years: the hand-worked figures below are by calendar quarter."""
JAN, FEB, MAR = (Period.containing("month", date(2026, m, 1)) for m in (1, 2, 3))
Q1 = Period.containing("quarter", date(2026, 1, 1))


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# --- row builders for the tables no other test builds ----------------------------------------------
def opp(oid: str, amount: float, close: date, *, won: bool | None = None, **kw: Any) -> dict[str, Any]:
    """An opportunity closing on ``close``: won (True), lost (False) or open (None); USD unless ``currency``."""
    closed = won is not None
    stage = "Proposal" if not closed else ("Closed Won" if won else "Closed Lost")
    base = {"id": f"crm:{oid}", "name": oid, "amount": amount, "currency": "USD", "close_date": close,
            "is_closed": closed, "is_won": bool(won), "stage": stage, "type": "New Business"}  # fmt: skip
    return base | kw


def sub(sid: str, acct: str, arr: float, start: date, end: date | None = None, **kw: Any) -> dict[str, Any]:
    """A subscription of ``acct`` active from ``start`` to ``end`` (its last day; None: still running)."""
    return {"id": f"crm:{sid}", "account_id": f"crm:{acct}", "arr": arr, "currency": "USD", "start_date": start,
            "end_date": end} | kw  # fmt: skip


def rate(rid: str, currency: str, value: float, valid_from: date) -> dict[str, Any]:
    """An exchange rate: ``value`` units of ``currency`` per 1 unit of the company currency."""
    return {"id": f"sf:{rid}", "currency": currency, "rate": value, "valid_from": valid_from}


def step(hid: str, opp_id: str, stage: str, at: datetime) -> dict[str, Any]:
    """One row of an opportunity's stage history: it entered ``stage`` (as the CRM names it) at ``at``."""
    return {"id": f"crm:{hid}", "opportunity_id": f"crm:{opp_id}", "stage": stage, "changed_at": at}


def clock(cid: str, record: str, started: datetime, minutes: float, **kw: Any) -> dict[str, Any]:
    """A stopped SLA leg of the MQL follow-up handoff, answered after ``minutes`` of counted time."""
    return {"clock_id": cid, "handoff_id": "marketing_to_sales", "leg": 1, "object": "contacts",
            "record_id": f"crm:{record}", "owner_id": "crm:ann", "team": "sales_development", "sla_id": "default",
            "sla_seconds": 4 * 3600.0, "started_at": started, "stopped_at": started, "stop_reason": "activity crm:x",
            "status": "met", "elapsed_seconds": minutes * 60, "paused_seconds": 0.0} | kw  # fmt: skip


def insert(store: Store, table: str, records: list[dict[str, Any]]) -> None:
    store.insert_rows(table, rows(table, records))


# --- the stores ------------------------------------------------------------------------------------
PEOPLE_USERS = [
    user("ann", name="Ann Lee", team="Enterprise Sales"),
    user("bo", name="Bo Chen", team="Mid-Market Sales"),
]
FLOW_ACCOUNTS = [
    account("a1", segment="enterprise", country="US"),  # north_america
    account("a2", segment="smb", country="DE"),  # emea
    account("a3", segment="mid_market", country="JP"),  # apac
]
EUR_RATES = [rate("r1", "EUR", 0.8, date(2026, 1, 15)), rate("r2", "EUR", 0.75, date(2026, 2, 1))]


def plant_flow(store: Store) -> None:
    """Closed deals in January and February 2026 (USD and EUR), one lost deal and open pipeline in March.

    January, closed:  o1 won 10,000 (New Business, a1, Ann, 40 days), o2 won EUR 20,000 before the first
                      rate -> 0.8 -> 25,000 ("new_business", a2, Bo, 30 days), o3 lost 5,000 (a1, Ann),
                      o4 won 8,000 (Expansion, a3, Bo, 20 days).
    February, closed: o5 won 12,000 ("New-Business", a3, Bo, 40 days), o12 won 1,000 (Renewal, no account,
                      no owner, 10 days), o6 lost EUR 30,000 -> 0.75 -> 40,000 (a2, Bo), o7 lost 6,000 (a1, Ann).
    March, closed:    o13 lost 2,000 (a1, Ann): a win rate of 0, not an empty one.
    Open:             o10 7,000 closing 2026-02-25 (a3, Bo); o8 40,000 closing 2026-03-15 (a1, Ann),
                      o9 EUR 9,000 closing 2026-03-20 -> 0.75 -> 12,000 (a2, Bo).
    """
    ann: dict[str, Any] = {"owner_id": "crm:ann"}
    bo: dict[str, Any] = {"owner_id": "crm:bo"}
    accts: list[dict[str, Any]] = [{"account_id": f"crm:a{i}"} for i in (1, 2, 3)]
    a1, a2, a3 = accts
    a2eur = a2 | bo | {"currency": "EUR"}
    opps = [
        opp("o1", 10000, date(2026, 1, 11), won=True, created_at=utc(2025, 12, 2), **a1, **ann),
        opp("o2", 20000, date(2026, 1, 10), won=True, type="new_business", created_at=utc(2025, 12, 11), **a2eur),
        opp("o3", 5000, date(2026, 1, 25), won=False, created_at=utc(2025, 11, 1), **a1, **ann),
        opp("o4", 8000, date(2026, 1, 28), won=True, type="Expansion", created_at=utc(2026, 1, 8), **a3, **bo),
        opp("o5", 12000, date(2026, 2, 10), won=True, type="New-Business", created_at=utc(2026, 1, 1), **a3, **bo),
        opp("o12", 1000, date(2026, 2, 11), won=True, type="Renewal", created_at=utc(2026, 2, 1)),
        opp("o6", 30000, date(2026, 2, 15), won=False, currency="EUR", created_at=utc(2025, 12, 1), **a2, **bo),
        opp("o7", 6000, date(2026, 2, 20), won=False, created_at=utc(2026, 1, 2), **a1, **ann),
        opp("o13", 2000, date(2026, 3, 25), won=False, created_at=utc(2026, 3, 1), **a1, **ann),
        opp("o10", 7000, date(2026, 2, 25), created_at=utc(2026, 1, 20), **a3, **bo),
        opp("o8", 40000, date(2026, 3, 15), created_at=utc(2026, 1, 20), **a1, **ann),
        opp("o9", 9000, date(2026, 3, 20), currency="EUR", created_at=utc(2026, 1, 20), **a2, **bo),
    ]
    with store.transaction():
        fill(store, users=PEOPLE_USERS, accounts=FLOW_ACCOUNTS)
        insert(store, "opportunities", opps)
        insert(store, "exchange_rates", EUR_RATES)


def plant_currency(store: Store) -> None:
    """Won deals in EUR on both sides of each rate's date, one in lower-case eur, one in GBP (no rate).

    January:  c1 EUR 8,000 on 01-05 (before the first rate: 0.8) -> 10,000; c2 EUR 8,000 on 01-20 (0.8) -> 10,000.
    February: c3 EUR 7,500 on 02-01 (the day 0.75 starts) -> 10,000; c4 eur 1,500 on 02-10 -> 2,000;
              c5 GBP 5,000 (no rate: left out); c6 3,000 without a currency (the company's) -> 3,000.
    Subscriptions: s1 EUR 12,000 from 2026-02-01 (0.75) -> 16,000; s2 GBP 1,000 (no rate).
    The store also holds the company currency's own rate (USD 1.0), as Salesforce's DatedConversionRate does.
    """
    opps = [
        opp("c1", 8000, date(2026, 1, 5), won=True, currency="EUR"),
        opp("c2", 8000, date(2026, 1, 20), won=True, currency="EUR"),
        opp("c3", 7500, date(2026, 2, 1), won=True, currency="EUR"),
        opp("c4", 1500, date(2026, 2, 10), won=True, currency="eur"),
        opp("c5", 5000, date(2026, 2, 12), won=True, currency="GBP"),
        opp("c6", 3000, date(2026, 2, 15), won=True, currency=None),
    ]
    subs = [
        sub("s1", "x1", 12000, date(2026, 2, 1), currency="EUR"),
        sub("s2", "x2", 1000, date(2026, 2, 1), currency="GBP"),
    ]
    with store.transaction():
        fill(store, accounts=[account("x1"), account("x2")])
        insert(store, "opportunities", opps)
        insert(store, "subscriptions", subs)
        insert(store, "exchange_rates", [*EUR_RATES, rate("r0", "USD", 1.0, date(2020, 1, 1))])


def plant_subscriptions(store: Store) -> None:
    """Five customers whose ARR moves in the first quarter of 2026 (the figures are in the tests).

    A (enterprise): 12,000 in 2025, renewed at 18,000 from 2026-01-01 (expansion in January).
    B (smb, DE):    10,000 until 2026-01-31, renewed at 6,000 from 2026-02-01 (contraction in February).
    C (mid_market): 5,000 until 2026-02-15 (churn in February).
    D (smb, FR):    8,000 from 2026-03-10 (new in March).
    E (enterprise): 4,000 from 2025-06-01, plus an add-on of 1,000 from 2026-02-20 (expansion in February).
    """
    accounts = [
        account("A", segment="enterprise", country="US", owner_id="crm:ann"),
        account("B", segment="smb", country="DE", owner_id="crm:bo"),
        account("C", segment="mid_market", country="US", owner_id="crm:ann"),
        account("D", segment="smb", country="FR", owner_id="crm:bo"),
        account("E", segment="enterprise", country="CA", owner_id="crm:ann"),
    ]
    subs = [
        sub("A1", "A", 12000, date(2025, 1, 1), date(2025, 12, 31)),
        sub("A2", "A", 18000, date(2026, 1, 1), date(2026, 12, 31)),
        sub("B1", "B", 10000, date(2025, 1, 1), date(2026, 1, 31)),
        sub("B2", "B", 6000, date(2026, 2, 1)),
        sub("C1", "C", 5000, date(2025, 1, 1), date(2026, 2, 15)),
        sub("D1", "D", 8000, date(2026, 3, 10)),
        sub("E1", "E", 4000, date(2025, 6, 1)),
        sub("E2", "E", 1000, date(2026, 2, 20)),
    ]
    with store.transaction():
        fill(store, users=PEOPLE_USERS, accounts=accounts)
        insert(store, "subscriptions", subs)


def plant_people(store: Store) -> None:
    """Leads and contacts for the cohort conversions (MQL -> SQL, SQL -> opportunity).

    MQL cohort January: L1 (SQL after 15 days), L2 (SQL after 50 days), L3 (never SQL), and the lead L4
    converted into the contact C4 (both carry the same MQL and SQL dates: one person, counted once).
    MQL cohort February: L5 (SQL after 7 days), and the lead L6 converted into the contact C6, which has no
    dates of its own (it carries the lead's: MQL 02-15, SQL 02-20). March: nobody.
    SQL cohort January: L1 (its account's opportunity 54 days later), C4 (16 days later), L7 (its account's
    only opportunity is older than the SQL date: not converted). February: L5 (no account: not converted),
    C6 (its account's opportunity 5 days later). March: L2 (no account).
    """
    people = [
        lead("L1", mql_at=utc(2026, 1, 5, 10), sql_at=utc(2026, 1, 20, 10), account_id="crm:p1"),
        lead("L2", mql_at=utc(2026, 1, 10, 10), sql_at=utc(2026, 3, 1, 10)),
        lead("L3", mql_at=utc(2026, 1, 15, 10)),
        lead("L4", mql_at=utc(2026, 1, 20, 10), sql_at=utc(2026, 1, 25, 10), converted_contact_id="crm:C4"),
        lead(
            "C4", record_type="contact", account_id="crm:p4", mql_at=utc(2026, 1, 20, 10), sql_at=utc(2026, 1, 25, 10)
        ),
        lead("L5", mql_at=utc(2026, 2, 3, 10), sql_at=utc(2026, 2, 10, 10)),
        lead("L6", mql_at=utc(2026, 2, 15, 10), sql_at=utc(2026, 2, 20, 10), converted_contact_id="crm:C6"),
        lead("C6", record_type="contact", account_id="crm:p6"),
        lead("L7", mql_at=utc(2025, 12, 20, 10), sql_at=utc(2026, 1, 28, 10), account_id="crm:p7"),
    ]
    opps = [
        opp("q1", 1000, date(2026, 6, 30), account_id="crm:p1", created_at=utc(2026, 3, 15, 10)),
        opp("q4", 1000, date(2026, 6, 30), account_id="crm:p4", created_at=utc(2026, 2, 10, 10)),
        opp("q6", 1000, date(2026, 6, 30), account_id="crm:p6", created_at=utc(2026, 2, 25, 10)),
        opp("q7", 1000, date(2026, 6, 30), account_id="crm:p7", created_at=utc(2026, 1, 1, 10)),
    ]
    with store.transaction():
        fill(store, accounts=[account(f"p{i}") for i in (1, 4, 6, 7)], people=people)
        insert(store, "opportunities", opps)


def plant_stages(store: Store) -> None:
    """Stage histories in January 2026, with the CRM's stage names (``Solution Demo`` is ``Solution / Demo``).

    P1: Discovery 01-01, Qualification 01-05, Solution Demo 01-15, Proposal 01-25, Closed Won 02-05.
    P2: Discovery 01-02, Closed Lost 01-12.
    P3: Discovery 01-03, Proposal 01-09 (skips two stages), Closed Lost 01-30.
    P4: Qualification 01-04, Closed Won 01-24.
    P5: Discovery 01-06, still there.
    """
    hist = [
        step("h11", "P1", "Discovery", utc(2026, 1, 1, 10)),
        step("h12", "P1", "Qualification", utc(2026, 1, 5, 10)),
        step("h13", "P1", "Solution Demo", utc(2026, 1, 15, 10)),
        step("h14", "P1", "Proposal", utc(2026, 1, 25, 10)),
        step("h15", "P1", "Closed Won", utc(2026, 2, 5, 10)),
        step("h21", "P2", "Discovery", utc(2026, 1, 2, 10)),
        step("h22", "P2", "closed lost", utc(2026, 1, 12, 10)),
        step("h31", "P3", "Discovery", utc(2026, 1, 3, 10)),
        step("h32", "P3", "Proposal", utc(2026, 1, 9, 10)),
        step("h33", "P3", "Closed Lost", utc(2026, 1, 30, 10)),
        step("h41", "P4", "Qualification", utc(2026, 1, 4, 10)),
        step("h42", "P4", "Closed-Won", utc(2026, 1, 24, 10)),
        step("h51", "P5", "Discovery", utc(2026, 1, 6, 10)),
    ]
    opps = [
        opp("P1", 1000, date(2026, 2, 5), won=True, account_id="crm:g1", owner_id="crm:ann"),
        opp("P2", 1000, date(2026, 1, 12), won=False, account_id="crm:g1", owner_id="crm:ann"),
        opp("P3", 1000, date(2026, 1, 30), won=False, account_id="crm:g2", owner_id="crm:bo"),
        opp("P4", 1000, date(2026, 1, 24), won=True, account_id="crm:g2", owner_id="crm:bo"),
        opp("P5", 1000, date(2026, 4, 30), account_id="crm:g2", owner_id="crm:bo"),
    ]
    accounts = [account("g1", segment="enterprise", country="US"), account("g2", segment="smb", country="DE")]
    with store.transaction():
        fill(store, users=PEOPLE_USERS, accounts=accounts)
        insert(store, "opportunities", opps)
        insert(store, "opportunity_stage_history", hist)


def plant_operations(store: Store) -> None:
    """Activities, onboarding milestones, product usage and SLA clocks in January and February 2026.

    Activities, January: Ann 2 calls; Bo 1 automated email (left out), 1 email, 1 meeting. February: Ann 1 call.
    Milestones due in January: 2 of 4 done by the end of their due day; February: 1 of 1.
    Usage: customers u1 and u2 all quarter; January u1 dashboards, u2 alerts; February u1 dashboards
    (u2's dashboards row has 0 events: not a use); March: no usage rows at all.
    SLA legs (MQL follow-up) started in January: 10, 20, 40 and 100 minutes, plus one closed by a
    reassignment (500), one still open and one of another handoff; February: 15 minutes.
    """
    ann: dict[str, Any] = {"owner_id": "crm:ann"}
    bo: dict[str, Any] = {"owner_id": "crm:bo"}
    acts = [
        act("t1", utc(2026, 1, 5, 15), "call", account_id="crm:u1", **ann),
        act("t2", utc(2026, 1, 6, 15), "call", account_id="crm:u1", **ann),
        act("t3", utc(2026, 1, 7, 15), "email", True, account_id="crm:u2", **bo),
        act("t4", utc(2026, 1, 8, 15), "email", account_id="crm:u2", **bo),
        act("t5", utc(2026, 1, 9, 15), "meeting", account_id="crm:u2", **bo),
        act("t6", utc(2026, 2, 2, 15), "call", account_id="crm:u1", **ann),
    ]
    milestones = [
        {"id": "crm:m1", "account_id": "crm:u1", "milestone": "kickoff", "due_date": date(2026, 1, 10),
         "completed_at": utc(2026, 1, 10, 12)},  # on its due day: done
        {"id": "crm:m2", "account_id": "crm:u1", "milestone": "training", "due_date": date(2026, 1, 20),
         "completed_at": utc(2026, 1, 25, 12)},  # late
        {"id": "crm:m3", "account_id": "crm:u2", "milestone": "kickoff", "due_date": date(2026, 1, 31)},  # not done
        {"id": "crm:m4", "account_id": "crm:u2", "milestone": "setup", "due_date": date(2026, 1, 5),
         "completed_at": utc(2026, 1, 1, 12)},  # early
        {"id": "crm:m5", "account_id": "crm:u2", "milestone": "training", "due_date": date(2026, 2, 10),
         "completed_at": utc(2026, 2, 9, 12)},
    ]  # fmt: skip
    usage = [
        {"id": "amp:1", "account_id": "crm:u1", "feature": "dashboards", "usage_date": date(2026, 1, 12), "events": 4},
        {"id": "amp:2", "account_id": "crm:u2", "feature": "alerts", "usage_date": date(2026, 1, 13), "events": 2},
        {"id": "amp:3", "account_id": "crm:u1", "feature": "dashboards", "usage_date": date(2026, 2, 3), "events": 5},
        {"id": "amp:4", "account_id": "crm:u2", "feature": "dashboards", "usage_date": date(2026, 2, 4), "events": 0},
    ]
    clocks = [
        clock("k1", "w1", utc(2026, 1, 5, 14), 10),
        clock("k2", "w2", utc(2026, 1, 6, 14), 20, owner_id="crm:bo"),
        clock("k3", "w3", utc(2026, 1, 7, 14), 40, status="breached"),
        clock("k4", "w4", utc(2026, 1, 8, 14), 100, status="breached"),
        clock("k5", "w5", utc(2026, 1, 9, 14), 500, status="breached", stop_reason="closed: reassigned to crm:bo"),
        clock("k6", "w6", utc(2026, 1, 9, 15), 5, status="open", stopped_at=None, stop_reason=None),
        clock("k7", "w7", utc(2026, 1, 9, 16), 1, handoff_id="sales_to_cs"),
        clock("k8", "w8", utc(2026, 2, 2, 14), 15),
    ]
    people = [lead(f"w{i}", owner_id="crm:ann" if i != 2 else "crm:bo") for i in range(1, 9)]
    with store.transaction():
        fill(store, users=PEOPLE_USERS, people=people,
             accounts=[account("u1", segment="enterprise"), account("u2", segment="smb")])  # fmt: skip
        insert(store, "activities", acts)
        insert(store, "onboarding_milestones", milestones)
        insert(store, "product_usage", usage)
        insert(store, "subscriptions", [sub(f"us{i}", f"u{i}", 1000, date(2025, 1, 1)) for i in (1, 2)])
        store.insert_rows("sla_clocks", system_rows("sla_clocks", clocks))


# --- running and reading ---------------------------------------------------------------------------
def run(
    store: Store,
    ids: list[str] | None,
    *,
    grain: Grain = "month",
    start: date = date(2026, 1, 1),
    end: date = date(2026, 3, 31),
    by: list[str] | None = None,
    spec: Spec = SPEC,
) -> MetricRun:
    """A metrics run over the first quarter of 2026 (monthly unless ``grain``), not saved."""
    return compute_metrics(store, spec, ids=ids, by=by, grain=grain, start=start, end=end, save=False)


def values(res: MetricResult, **dims: str) -> dict[str, float | None]:
    """Period label -> value, of the rows with exactly these dimension values."""
    return {r.period.label: r.value for r in res.series(**dims)}


def notes(res: MetricResult, **dims: str) -> dict[str, str | None]:
    return {r.period.label: r.note for r in res.series(**dims)}


def with_metrics(items: str, text: str | None = None) -> str:
    """The default spec text with ``items`` (YAML list items, two-space indented) appended to ``metrics:``."""
    text = text or default_spec_text()
    metrics = re.search(r"(?m)^metrics:", text)
    assert metrics, "the default spec has no metrics: section"
    marker = re.compile(r"(?m)^# -+\n# [A-Z]").search(text, metrics.end())  # the next section's banner
    assert marker, "no section banner after the default spec's metrics"
    return text[: marker.start()] + items.rstrip("\n") + "\n\n" + text[marker.start() :]
