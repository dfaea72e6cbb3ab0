"""Rep activity, onboarding, feature adoption, customer health and lead response time.

The store is :func:`tests.metrics.stores.plant_operations`.
"""

from __future__ import annotations

from datetime import date

import pytest

from revframe.metrics.compute import HEALTH_NOTE
from revframe.store import Store
from tests.metrics.stores import FEB, JAN, MAR, account, act, clock, fill, insert, lead, opp, run, utc, values
from tests.process.test_routing import system_rows

NO_DATA = "no data in the period"


def test_rep_activity_counts_genuine_activities_by_type(operations: Store) -> None:
    res = run(operations, ["rep_activity"]).results["rep_activity"]
    jan = {r.dims["activity_type"]: r.value for r in res.rows if r.period == JAN}
    assert jan == {"call": 2, "email": 1, "meeting": 1}  # Bo's automated email is left out
    assert {r.dims["activity_type"]: r.value for r in res.rows if r.period == FEB} == {"call": 1}


def test_rep_activity_by_owner_and_team(operations: Store) -> None:
    res = run(operations, ["rep_activity"], by=["owner", "team"]).results["rep_activity"]
    assert res.value(JAN, owner="Ann Lee", team="Enterprise Sales", activity_type="call") == 2
    assert res.value(JAN, owner="Bo Chen", team="Mid-Market Sales", activity_type="email") == 1
    assert res.value(JAN, owner="Bo Chen", team="Mid-Market Sales", activity_type="meeting") == 1


def test_rep_activity_counts_an_activity_without_the_automated_flag(duck: Store) -> None:
    insert(duck, "activities", [act("n1", utc(2026, 1, 5, 15), "call", owner_id="crm:ann", is_automated=None)])
    res = run(duck, ["rep_activity"]).results["rep_activity"]
    assert res.value(JAN, activity_type="call") == 1


def test_pipeline_value_counts_a_deal_whose_is_closed_is_empty(duck: Store) -> None:
    insert(duck, "opportunities", [opp("n1", 500, date(2026, 1, 20), is_closed=None, is_won=None)])
    assert run(duck, ["pipeline_value"]).results["pipeline_value"].value(JAN) == 500.0


def test_onboarding_completion_is_done_by_the_end_of_the_due_day(operations: Store) -> None:
    res = run(operations, ["onboarding_completion"]).results["onboarding_completion"]
    got = {r.period.label: (r.value, r.numerator, r.denominator) for r in res.series()}
    # January: done on its due day, done early; late, not done
    assert got == {"2026-01": (50.0, 2, 4), "2026-02": (100.0, 1, 1), "2026-03": (None, None, None)}
    assert res.series()[2].note == NO_DATA


def test_feature_adoption_per_feature_and_an_empty_period_is_not_zero(operations: Store) -> None:
    res = run(operations, ["feature_adoption"]).results["feature_adoption"]
    # two customers all quarter
    assert res.value(JAN, feature="dashboards") == 50.0 and res.value(JAN, feature="alerts") == 50.0
    # February: u2's dashboards row has 0 events (not a use); nobody used alerts while usage was recorded: 0%
    assert res.value(FEB, feature="dashboards") == 50.0
    alerts_feb = next(r for r in res.rows if r.period == FEB and r.dims == {"feature": "alerts"})
    assert (alerts_feb.value, alerts_feb.numerator, alerts_feb.denominator, alerts_feb.note) == (0.0, 0, 2, None)
    # March: no usage rows at all: the feed does not cover it, so nothing is known
    march = [r for r in res.rows if r.period == MAR]
    assert {r.dims["feature"] for r in march} == {"dashboards", "alerts"}
    assert all(r.value is None and r.note == NO_DATA for r in march)


def test_health_score_distribution_is_explicitly_empty_with_its_note(operations: Store) -> None:
    res = run(operations, ["health_score_distribution"]).results["health_score_distribution"]
    assert [(r.value, r.note) for r in res.series()] == [(None, HEALTH_NOTE)] * 3
    assert HEALTH_NOTE in res.notes and "health" in HEALTH_NOTE
    assert res.sql == ""


def test_lead_response_time_median_and_p90_from_sla_clocks(operations: Store) -> None:
    res = run(operations, ["lead_response_time"]).results["lead_response_time"]
    # January's answered legs: 10, 20, 40, 100 minutes. Left out: the leg closed by a reassignment (500),
    # the open one, and the other handoff's
    assert res.value(JAN) == 30.0
    assert res.value(JAN, statistic="p90") == pytest.approx(40 + 0.7 * 60)
    assert res.series()[0].n == 4
    assert res.value(FEB) == 15.0
    assert values(res)["2026-03"] is None and res.series()[-1].note == NO_DATA


def test_lead_response_time_by_owner(operations: Store) -> None:
    res = run(operations, ["lead_response_time"], by=["owner"]).results["lead_response_time"]
    assert res.value(JAN, owner="Ann Lee") == 40.0  # 10, 40, 100
    assert res.value(JAN, owner="Ann Lee", statistic="p90") == pytest.approx(40 + 0.8 * 60)
    assert res.value(JAN, owner="Bo Chen") == 20.0


def test_a_converted_leads_response_time_is_split_by_the_person_it_became(duck: Store) -> None:
    """The clock runs on the lead; once converted, its segment is that of the contact's account."""
    fill(duck, accounts=[account("v1", segment="enterprise")], people=[
        lead("x1", converted_contact_id="crm:x2"), lead("x2", record_type="contact", account_id="crm:v1"),
        lead("x3"),
    ])  # fmt: skip
    clocks = [clock("c1", "x1", utc(2026, 1, 5, 14), 30), clock("c2", "x3", utc(2026, 1, 6, 14), 10)]
    duck.insert_rows("sla_clocks", system_rows("sla_clocks", clocks))
    res = run(duck, ["lead_response_time"], by=["segment"]).results["lead_response_time"]
    assert res.value(JAN, segment="enterprise") == 30.0
    assert res.value(JAN, segment="(none)") == 10.0
