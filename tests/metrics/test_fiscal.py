"""Quarters and years follow the spec's fiscal year (``company.fiscal_year_start_month``).

The default spec's fiscal year starts in February: FY2027 runs from 1 February 2026 to 31 January
2027 (named by the calendar year it ends in), its first quarter is February-April.
"""

from __future__ import annotations

from datetime import date

import pytest

from revframe.metrics.model import Period, periods_between
from revframe.report.periods import period_short, period_title, short_label
from revframe.store import Store
from tests.metrics.stores import FISCAL_SPEC, JAN, run, values


@pytest.mark.parametrize(
    ("day", "fiscal_start", "start", "end", "label"),
    [
        (date(2026, 1, 15), 1, date(2026, 1, 1), date(2026, 4, 1), "2026-Q1"),
        (date(2026, 12, 31), 1, date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
        (date(2026, 1, 15), 2, date(2025, 11, 1), date(2026, 2, 1), "FY2026-Q4"),
        (date(2026, 2, 1), 2, date(2026, 2, 1), date(2026, 5, 1), "FY2027-Q1"),
        (date(2026, 12, 31), 2, date(2026, 11, 1), date(2027, 2, 1), "FY2027-Q4"),
        (date(2026, 12, 31), 11, date(2026, 11, 1), date(2027, 2, 1), "FY2027-Q1"),
        (date(2026, 10, 31), 11, date(2026, 8, 1), date(2026, 11, 1), "FY2026-Q4"),
        (date(2026, 7, 1), 7, date(2026, 7, 1), date(2026, 10, 1), "FY2027-Q1"),
    ],
)
def test_fiscal_quarters(day: date, fiscal_start: int, start: date, end: date, label: str) -> None:
    q = Period.containing("quarter", day, fiscal_start)
    assert (q.start, q.end, q.label) == (start, end, label)
    assert q.previous().end == q.start and q.next().start == q.end
    assert q.previous().label != label and q.next().label != label


def test_fiscal_years_are_named_by_the_year_they_end_in() -> None:
    y = Period.containing("year", date(2026, 1, 31), 2)
    assert (y.start, y.end, y.label) == (date(2025, 2, 1), date(2026, 2, 1), "FY2026")
    assert y.next().label == "FY2027" and y.next().end == date(2027, 2, 1)
    assert Period.containing("year", date(2026, 1, 31)).label == "2026"  # the calendar year


def test_weeks_and_months_are_the_same_whatever_the_fiscal_year() -> None:
    assert Period.containing("month", date(2026, 1, 9), 2) == JAN
    assert periods_between("month", date(2026, 1, 1), date(2026, 3, 31), 2)[0] == JAN
    assert Period.containing("week", date(2026, 1, 9), 2) == Period.containing("week", date(2026, 1, 9))


def test_the_report_names_fiscal_periods() -> None:
    q = Period.containing("quarter", date(2026, 3, 1), 2)
    assert (period_title(q), period_short(q), short_label(q)) == ("Q1 FY2027 (Feb–Apr)", "Q1 FY2027", "Q1 FY27")
    y = Period.containing("year", date(2026, 3, 1), 2)
    assert (period_title(y), period_short(y)) == ("FY2027 (Feb 2026–Jan 2027)", "FY2027")


def test_metrics_by_quarter_follow_the_specs_fiscal_year(flow: Store) -> None:
    # won in January (FY2026-Q4: Nov-Jan): 10,000 + EUR 20,000 at 0.8 + 8,000; in February (FY2027-Q1): 12,000 + 1,000
    res = run(flow, ["bookings"], grain="quarter", spec=FISCAL_SPEC).results["bookings"]
    assert values(res) == {"FY2026-Q4": 43000.0, "FY2027-Q1": 13000.0}
    assert [(r.period.start, r.period.end) for r in res.series()] == [
        (date(2025, 11, 1), date(2026, 2, 1)), (date(2026, 2, 1), date(2026, 5, 1))]  # fmt: skip
    year = run(flow, ["bookings"], grain="year", spec=FISCAL_SPEC).results["bookings"]
    assert values(year) == {"FY2026": 43000.0, "FY2027": 13000.0}
