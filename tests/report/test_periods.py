"""Which cadence a word names, and which period its report covers (the last complete one)."""

from __future__ import annotations

from datetime import date

import pytest

from revframe.errors import UsageError
from revframe.framework import Spec, default_spec_text, load_spec_text
from revframe.metrics.model import Period
from revframe.report.periods import (
    period_range,
    period_short,
    period_title,
    report_period,
    resolve_cadence,
    trend_periods,
)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec_text(default_spec_text())


@pytest.mark.parametrize(
    ("word", "cadence_id"),
    [
        ("weekly", "weekly_revops_review"),
        ("monthly", "monthly_business_review"),
        ("Quarterly", "quarterly_leadership_review"),
        ("annual", "annual_planning"),
        ("yearly", "annual_planning"),
        ("monthly_business_review", "monthly_business_review"),
    ],
)
def test_a_frequency_or_an_id_names_a_cadence(spec: Spec, word: str, cadence_id: str) -> None:
    assert resolve_cadence(spec, word).id == cadence_id


def test_an_unknown_cadence_lists_the_ones_there_are(spec: Spec) -> None:
    with pytest.raises(UsageError) as e:
        resolve_cadence(spec, "montly")
    message = str(e.value)
    assert e.value.exit_code == 2
    assert "did you mean 'monthly'" in message
    for c in spec.cadences:
        assert c.id in message and c.frequency in message


@pytest.mark.parametrize(
    ("grain", "as_of", "label"),
    [
        ("month", date(2026, 9, 30), "2026-09"),  # the last day completes the month
        ("month", date(2026, 9, 29), "2026-08"),
        ("month", date(2026, 10, 1), "2026-09"),
        ("month", date(2026, 1, 15), "2025-12"),
        ("week", date(2026, 9, 27), "2026-W39"),  # a Sunday ends its week
        ("week", date(2026, 9, 30), "2026-W39"),
        ("quarter", date(2026, 9, 30), "2026-Q3"),
        ("quarter", date(2026, 11, 2), "2026-Q3"),
        ("year", date(2026, 6, 1), "2025"),
        ("year", date(2026, 12, 31), "2026"),
    ],
)
def test_the_report_covers_the_last_complete_period(grain: str, as_of: date, label: str) -> None:
    assert report_period(grain, as_of).label == label  # type: ignore[arg-type]


def test_the_trend_ends_with_the_reported_period() -> None:
    p = Period.containing("month", date(2026, 9, 1))
    trend = trend_periods(p)
    assert len(trend) == 12 and trend[-1] == p and trend[0].label == "2025-10"
    assert all(a.end == b.start for a, b in zip(trend, trend[1:], strict=False))


def test_periods_read_as_people_name_them() -> None:
    month = Period.containing("month", date(2026, 9, 1))
    quarter = Period.containing("quarter", date(2026, 8, 1))
    week = Period.containing("week", date(2026, 9, 23))
    assert (period_title(month), period_short(month), period_range(month)) == (
        "September 2026", "Sep 2026", "1–30 Sep 2026",
    )  # fmt: skip
    assert period_title(quarter) == "Q3 2026 (Jul–Sep)" and period_range(quarter) == "1 Jul – 30 Sep 2026"
    assert period_title(week) == "Week 39, 2026 (21–27 Sep)" and period_short(week) == "W39 2026"
