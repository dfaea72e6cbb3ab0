"""Flow metrics on opportunities: each row counts in the period its close date falls in.

The store is :func:`tests.metrics.stores.plant_flow`; every expected number is worked out from its
docstring by hand (EUR amounts at the rate in force on the close date: 0.8, then 0.75 from 2026-02-01).
"""

from __future__ import annotations

from datetime import date

import pytest

from revframe.framework import default_spec_text, load_spec_text
from revframe.metrics.sql import scaled_target
from revframe.store import Store
from tests.metrics.stores import FEB, JAN, MAR, Q1, SPEC, notes, run, values

NO_DATA = "no data in the period"


def test_bookings_sum_won_amounts_by_close_date_in_the_company_currency(flow: Store) -> None:
    res = run(flow, ["bookings"]).results["bookings"]
    # January: 10,000 + EUR 20,000 / 0.8 + 8,000; February: 12,000 + 1,000; March: only a lost deal
    assert values(res) == {"2026-01": 43000.0, "2026-02": 13000.0, "2026-03": None}
    assert notes(res)["2026-03"] == NO_DATA
    assert [r.n for r in res.series()] == [3, 2, 0]


def test_win_rate_by_count_with_numerator_and_denominator(flow: Store) -> None:
    res = run(flow, ["win_rate"]).results["win_rate"]
    got = {r.period.label: (r.value, r.numerator, r.denominator) for r in res.series()}
    assert got == {"2026-01": (75.0, 3, 4), "2026-02": (50.0, 2, 4), "2026-03": (0.0, 0, 1)}
    assert res.series()[2].note is None  # a lost deal and no win: a real 0%, not an empty value


def test_win_rate_by_amount(flow: Store) -> None:
    res = run(flow, ["win_rate_amount"]).results["win_rate_amount"]
    jan, feb, mar = res.series()
    assert (jan.numerator, jan.denominator) == (43000.0, 48000.0)  # lost: 5,000
    assert jan.value == pytest.approx(100 * 43000 / 48000)
    assert (feb.numerator, feb.denominator) == pytest.approx((13000.0, 59000.0))  # lost: EUR 30,000 / 0.75 + 6,000
    assert feb.value == pytest.approx(100 * 13000 / 59000)
    assert (mar.value, mar.numerator, mar.denominator) == (0.0, 0.0, 2000.0)


def test_avg_deal_size_is_new_business_only_whatever_the_crm_spelling(flow: Store) -> None:
    res = run(flow, ["avg_deal_size"]).results["avg_deal_size"]
    # "New Business", "new_business" and "New-Business" are one type; Expansion and Renewal are left out
    assert values(res) == {"2026-01": (10000 + 25000) / 2, "2026-02": 12000.0, "2026-03": None}
    assert [(r.numerator, r.denominator) for r in res.series()[:2]] == [(35000.0, 2), (12000.0, 1)]
    assert notes(res)["2026-03"] == NO_DATA


def test_deal_cycle_length_is_mean_days_from_creation_to_close_of_won_deals(flow: Store) -> None:
    res = run(flow, ["deal_cycle_length"]).results["deal_cycle_length"]
    # January: 40, 30 and 20 days; February: 40 and 10 days (the renewal counts: every won deal)
    assert values(res) == {"2026-01": 30.0, "2026-02": 25.0, "2026-03": None}
    assert res.series()[0].numerator == 90.0 and res.series()[0].denominator == 3


def test_pipeline_value_is_open_amount_by_expected_close_date(flow: Store) -> None:
    res = run(flow, ["pipeline_value"]).results["pipeline_value"]
    # February: 7,000; March: 40,000 + EUR 9,000 / 0.75; closed deals never count
    assert values(res) == {"2026-01": None, "2026-02": 7000.0, "2026-03": 52000.0}
    assert [r.n for r in res.series()] == [0, 1, 2]
    q = run(flow, ["pipeline_value"], grain="quarter").results["pipeline_value"]
    assert q.value(Q1) == 59000.0


def test_scaled_target_scales_a_per_quarter_target_by_days() -> None:
    bookings = SPEC.metric("bookings")
    assert (bookings.target, bookings.target_per) == (2_000_000, "quarter")
    assert scaled_target(bookings, "quarter") == 2_000_000
    assert scaled_target(bookings, "year") == 8_000_000
    assert scaled_target(bookings, "month") == pytest.approx(2_000_000 / 3)
    assert scaled_target(bookings, "week") == pytest.approx(2_000_000 * 7 / (365.25 / 4))
    coverage = SPEC.metric("pipeline_coverage")  # a target without target_per is the same for every period
    assert scaled_target(coverage, "week") == scaled_target(coverage, "year") == 3.0
    assert scaled_target(SPEC.metric("arr"), "month") is None


def test_pipeline_coverage_divides_by_the_bookings_target_for_the_period(flow: Store) -> None:
    res = run(flow, ["pipeline_coverage"]).results["pipeline_coverage"]
    month_target = 2_000_000 / 3
    jan, feb, mar = res.series()
    assert (jan.value, jan.note) == (None, NO_DATA)
    assert feb.numerator == 7000.0 and feb.denominator == pytest.approx(month_target)
    assert feb.value == pytest.approx(7000 / month_target)
    assert mar.value == pytest.approx(52000 / month_target)
    q = run(flow, ["pipeline_coverage"], grain="quarter").results["pipeline_coverage"].series()[0]
    assert (q.numerator, q.denominator, q.value) == (59000.0, 2_000_000.0, pytest.approx(59000 / 2_000_000))


def test_pipeline_coverage_without_a_bookings_target_says_so(flow: Store) -> None:
    text = default_spec_text()
    target = "    target: 2000000\n    target_per: quarter\n"
    assert text.count(target) == 1
    spec = load_spec_text(text.replace(target, ""))
    feb = run(flow, ["pipeline_coverage"], spec=spec).results["pipeline_coverage"].series()[1]
    assert (feb.value, feb.numerator, feb.denominator) == (None, 7000.0, None)
    assert feb.note is not None and "no bookings target" in feb.note and "target_per" in feb.note


def test_pipeline_velocity_from_the_same_periods_rows(flow: Store) -> None:
    month = run(flow, ["pipeline_velocity"]).results["pipeline_velocity"]
    jan, feb, mar = month.series()
    assert jan.value is None and "pipeline_value" in (jan.note or "")  # nothing open closing in January
    # February: 1 open deal x 50% x 12,000 / 25 days
    assert feb.value == pytest.approx(1 * 0.50 * 12000 / 25) and feb.n == 1
    # March: a win rate of 0 but no won deal: average deal size and cycle length are empty, so is velocity
    assert mar.value is None and "avg_deal_size" in (mar.note or "") and "deal_cycle_length" in (mar.note or "")
    quarter = run(flow, ["pipeline_velocity", "win_rate", "avg_deal_size", "deal_cycle_length", "pipeline_value"],
                  grain="quarter")  # fmt: skip
    parts = {k: quarter.results[k].value(Q1) for k in ("win_rate", "avg_deal_size", "deal_cycle_length")}
    assert parts == pytest.approx({"win_rate": 100 * 5 / 9, "avg_deal_size": 47000 / 3, "deal_cycle_length": 28.0})
    n_open = quarter.results["pipeline_value"].series()[0].n
    assert n_open == 3
    expected = 3 * (5 / 9) * (47000 / 3) / 28
    assert quarter.results["pipeline_velocity"].value(Q1) == pytest.approx(expected)
    assert quarter.results["pipeline_velocity"].value(Q1) == pytest.approx(
        n_open * parts["win_rate"] / 100 * parts["avg_deal_size"] / parts["deal_cycle_length"]
    )


def test_only_the_metrics_asked_for_are_in_the_run(flow: Store) -> None:
    r = run(flow, ["pipeline_velocity"])
    assert list(r.results) == ["pipeline_velocity"]  # its parts are computed, not reported
    assert [p.label for p in r.periods] == [JAN.label, FEB.label, MAR.label]


def test_weeks_are_monday_to_sunday_and_place_deals_by_close_date(flow: Store) -> None:
    res = run(flow, ["bookings"], grain="week", start=date(2026, 1, 1), end=date(2026, 1, 31)).results["bookings"]
    # 2026-01-01 is a Thursday: its week (W01) starts on Monday 2025-12-29; the 31st is in W05.
    # o2 closes Saturday 01-10 and o1 Sunday 01-11: both in W02; o4 (Wednesday 01-28) in W05.
    assert values(res) == {"2026-W01": None, "2026-W02": 35000.0, "2026-W03": None, "2026-W04": None,
                           "2026-W05": 8000.0}  # fmt: skip
    assert res.series()[0].period.start == date(2025, 12, 29)


def test_a_period_label_for_every_grain(flow: Store) -> None:
    r = run(flow, ["bookings"], grain="year", start=date(2025, 6, 1), end=date(2026, 2, 1))
    assert values(r.results["bookings"]) == {"2025": None, "2026": 56000.0}
