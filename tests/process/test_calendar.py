"""Business time: working hours, time zones, DST, holidays and pauses; add and elapsed agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revframe.framework import default_spec_text, load_spec_text
from revframe.framework.handoffs import Calendar, Duration, Sla
from revframe.process.calendar import BusinessClock, WallClock, clock_for

NY = ZoneInfo("America/New_York")
CAL = Calendar(
    id="ny",
    name="New York",
    timezone="America/New_York",
    working_days=["mon", "tue", "wed", "thu", "fri"],
    hours={"start": "09:00", "end": "18:00"},  # type: ignore[arg-type]
    holidays=[date(2026, 5, 25)],  # Memorial Day, a Monday
)
CLOCK = BusinessClock(CAL)
H = 3600.0


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)  # type: ignore[misc]


def test_friday_evening_to_monday_morning() -> None:
    # Friday 17:30 -> Monday 09:30 New York: 30 minutes on Friday, 30 on Monday
    assert CLOCK.elapsed(ny(2026, 3, 6, 17, 30), ny(2026, 3, 9, 9, 30)) == 1 * H
    assert CLOCK.add(ny(2026, 3, 6, 17, 30), 4 * H) == ny(2026, 3, 9, 12, 30)


def test_dst_weekend() -> None:
    # 2026-03-08 clocks go forward in New York: Friday is UTC-5, Monday UTC-4; both days still have 9 hours
    fri, mon = ny(2026, 3, 6, 9), ny(2026, 3, 9, 18)
    assert fri.hour == 14 and mon.hour == 22
    assert CLOCK.elapsed(fri, mon) == 18 * H
    assert CLOCK.add(fri, 10 * H) == datetime(2026, 3, 9, 14, tzinfo=UTC)  # Monday 10:00 EDT


def test_holiday_weekend_and_night_count_nothing() -> None:
    assert CLOCK.elapsed(ny(2026, 5, 23, 0), ny(2026, 5, 26, 9)) == 0  # Sat, Sun, Memorial Day, Tue before 9
    assert CLOCK.elapsed(ny(2026, 5, 26, 18), ny(2026, 5, 27, 9)) == 0
    assert CLOCK.add(ny(2026, 5, 22, 17), 2 * H) == ny(2026, 5, 26, 10)  # Fri 17:00 + 2h -> Tue 10:00


def test_pauses_subtract_once() -> None:
    start, end = ny(2026, 3, 10, 9), ny(2026, 3, 10, 18)
    pauses = [(ny(2026, 3, 10, 10), ny(2026, 3, 10, 12)), (ny(2026, 3, 10, 11), ny(2026, 3, 10, 13)),
              (ny(2026, 3, 10, 20), ny(2026, 3, 11, 10))]  # fmt: skip
    assert CLOCK.elapsed(start, end, pauses) == 6 * H  # 9h minus 10:00-13:00 (overlap counted once)
    assert WallClock().elapsed(start, end, pauses) == 6 * H


def test_durations() -> None:
    assert CLOCK.seconds(Duration(duration=2, unit="business_days")) == 18 * H
    assert CLOCK.seconds(Duration(duration=4, unit="business_hours")) == 4 * H
    assert WallClock().seconds(Duration(duration=5, unit="minutes")) == 300


def test_clock_for_spec() -> None:
    spec = load_spec_text(default_spec_text())
    m2s = spec.handoff("marketing_to_sales")
    assert clock_for(spec, m2s.sla, "sales_development").calendar_id == "north_america_business"
    assert isinstance(clock_for(spec, m2s.priority_slas[0].sla, "sales_development"), WallClock)
    team_cal = Sla(duration=1, unit="business_days")
    assert clock_for(spec, team_cal, "customer_success").calendar_id == "north_america_business"
    assert isinstance(clock_for(spec, team_cal, "finance"), WallClock)  # no calendar lists finance


def test_calendar_of_only_holidays_fails_clearly() -> None:
    cal = Calendar(id="x", name="X", timezone="UTC", working_days=["mon"], hours={"start": "09:00", "end": "10:00"})  # type: ignore[arg-type]
    clock = BusinessClock(cal)
    clock.holidays = frozenset(date(2026, 1, 5) + timedelta(weeks=i) for i in range(600))
    with pytest.raises(ValueError, match="no working time"):
        clock.add(datetime(2026, 1, 1, tzinfo=UTC), 60)


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
lengths = st.floats(min_value=0, max_value=40 * H, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(instants, lengths)
def test_add_and_elapsed_are_inverse(start: datetime, seconds: float) -> None:
    due = CLOCK.add(start, seconds)
    assert due >= start
    assert CLOCK.elapsed(start, due) == pytest.approx(seconds, abs=1e-3)
    # nothing later than `due` would do: one second earlier is short of the length (when there is one)
    if seconds >= 1:
        assert CLOCK.elapsed(start, due - timedelta(seconds=1)) < seconds


@settings(max_examples=200, deadline=None)
@given(instants, instants, instants)
def test_elapsed_is_additive(a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert CLOCK.elapsed(a, c) == pytest.approx(CLOCK.elapsed(a, b) + CLOCK.elapsed(b, c), abs=1e-6)
    assert 0 <= CLOCK.elapsed(a, c) <= (c - a).total_seconds()


@settings(max_examples=100, deadline=None)
@given(instants, st.integers(min_value=0, max_value=23))
def test_zero_outside_working_hours(at: datetime, hours: int) -> None:
    local = at.astimezone(NY)
    night = datetime(local.year, local.month, local.day, 18, tzinfo=NY)  # 18:00 -> next day 09:00 is never working
    assert CLOCK.elapsed(night, night + timedelta(hours=min(hours, 15))) == 0
    saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7)
    sat = datetime(saturday.year, saturday.month, saturday.day, tzinfo=NY)
    assert CLOCK.elapsed(sat, sat + timedelta(hours=24 + hours)) == 0


@settings(max_examples=100, deadline=None)
@given(instants, instants, instants, instants)
def test_pauses_subtract(a: datetime, b: datetime, p: datetime, q: datetime) -> None:
    a, b = sorted((a, b))
    p, q = sorted((p, q))
    inside = (max(a, p), max(min(b, q), max(a, p)))
    assert CLOCK.elapsed(a, b, [(p, q)]) == pytest.approx(CLOCK.elapsed(a, b) - CLOCK.elapsed(*inside), abs=1e-6)
    assert WallClock().elapsed(a, b, [(p, q)]) == pytest.approx(
        (b - a).total_seconds() - (inside[1] - inside[0]).total_seconds(), abs=1e-6
    )
