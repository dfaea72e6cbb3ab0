"""Business time: how much of an interval an SLA clock counts, and when an SLA falls due.

A :class:`BusinessClock` counts only a spec calendar's working hours: its working days, between
``hours.start`` and ``hours.end`` in its IANA time zone, holidays excepted. Each day's window is
built from local wall times and converted to UTC, so a day keeps its 9 hours across a daylight-saving
change and the instants are right on both sides of it. A :class:`WallClock` counts every second.

Both take and return aware datetimes (naive ones are read as UTC) and answer in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from revframe.framework.handoffs import Calendar, Duration, Sla

if TYPE_CHECKING:
    from revframe.framework import Spec

_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_MAX_DAYS = 3660  # how far add() walks looking for working time (ten years): a calendar of only holidays ends here

Interval = tuple[datetime, datetime]


class SlaClock(Protocol):
    """What SLA clocks need of a clock: count time, and find when a length of counted time ends."""

    @property
    def calendar_id(self) -> str: ...

    def elapsed(self, start: datetime, end: datetime, pauses: Iterable[Interval] = ()) -> float: ...

    def add(self, start: datetime, seconds: float) -> datetime: ...

    def seconds(self, duration: Duration) -> float: ...


def utc(at: datetime) -> datetime:
    """``at`` as an aware UTC datetime (naive values are taken as UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _merged(pauses: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """Pauses clipped to [start, end], sorted and merged so that no second is subtracted twice."""
    clipped = sorted((max(utc(a), start), min(utc(b), end)) for a, b in pauses)
    out: list[Interval] = []
    for a, b in clipped:
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _overlap(a: Interval, b: Interval) -> float:
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return max((hi - lo).total_seconds(), 0.0)


@dataclass
class WallClock:
    """Every second counts (``clock: wall``).

    Examples:
        >>> start = datetime(2026, 3, 6, 22, tzinfo=UTC)
        >>> WallClock().elapsed(start, start + timedelta(hours=2))
        7200.0
    """

    calendar_id: str = ""

    def elapsed(self, start: datetime, end: datetime, pauses: Iterable[Interval] = ()) -> float:
        """Seconds from ``start`` to ``end`` (0 if ``end`` is earlier), pauses excepted."""
        start, end = utc(start), utc(end)
        if end <= start:
            return 0.0
        paused = sum((b - a).total_seconds() for a, b in _merged(pauses, start, end))
        return (end - start).total_seconds() - paused

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant ``seconds`` after ``start``."""
        return utc(start) + timedelta(seconds=max(seconds, 0.0))

    def seconds(self, duration: Duration) -> float:
        """A spec duration in wall seconds (business units count as calendar time here)."""
        per = {"minutes": 60, "hours": 3600, "days": 86400, "business_hours": 3600, "business_days": 86400}
        return duration.duration * per[duration.unit]


@dataclass
class BusinessClock:
    """Only a calendar's working hours count (``business_hours``, ``business_days``, ``clock: business``).

    A business day is the calendar's working day (``hours.end - hours.start``), so with hours
    09:00-18:00, ``{duration: 2, unit: business_days}`` is 18 business hours.

    Examples:
        >>> cal = Calendar(id="ny", name="NY", timezone="America/New_York", working_days=["mon", "tue", "wed",
        ...     "thu", "fri"], hours={"start": "09:00", "end": "18:00"})
        >>> friday = datetime(2026, 3, 6, 22, 30, tzinfo=UTC)  # 17:30 in New York
        >>> BusinessClock(cal).elapsed(friday, datetime(2026, 3, 9, 13, 30, tzinfo=UTC)) / 3600  # Monday 09:30
        1.0
        >>> BusinessClock(cal).add(friday, 3600).isoformat()
        '2026-03-09T13:30:00+00:00'
    """

    calendar: Calendar
    tz: ZoneInfo = field(init=False)
    days: frozenset[int] = field(init=False)
    start: time = field(init=False)
    end: time = field(init=False)
    holidays: frozenset[date] = field(init=False)

    def __post_init__(self) -> None:
        cal = self.calendar
        self.tz = ZoneInfo(cal.timezone)
        self.days = frozenset(_WEEKDAYS.index(d) for d in cal.working_days)
        self.start = time.fromisoformat(cal.hours.start)
        self.end = time.fromisoformat(cal.hours.end)
        self.holidays = frozenset(cal.holidays)

    @property
    def calendar_id(self) -> str:
        return self.calendar.id

    @property
    def day_seconds(self) -> float:
        """Seconds in one working day (the length of ``hours``)."""
        base = date(2000, 1, 3)
        return (datetime.combine(base, self.end) - datetime.combine(base, self.start)).total_seconds()

    def window(self, day: date) -> Interval | None:
        """The working hours of a local calendar day, in UTC; None for a weekend day or holiday."""
        if day.weekday() not in self.days or day in self.holidays:
            return None
        a = datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        b = datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
        return (a, b) if b > a else None

    def windows(self, start: datetime, end: datetime | None = None) -> Iterator[Interval]:
        """Working windows that end after ``start`` (and start before ``end``), in order."""
        day = utc(start).astimezone(self.tz).date() - timedelta(days=1)
        last = utc(end).astimezone(self.tz).date() + timedelta(days=1) if end else day + timedelta(days=_MAX_DAYS)
        while day <= last:
            w = self.window(day)
            day += timedelta(days=1)
            if w and w[1] > start and (end is None or w[0] < end):
                yield w

    def elapsed(self, start: datetime, end: datetime, pauses: Iterable[Interval] = ()) -> float:
        """Working seconds between ``start`` and ``end`` (0 if ``end`` is earlier), pauses excepted."""
        start, end = utc(start), utc(end)
        if end <= start:
            return 0.0
        paused: Sequence[Interval] = _merged(pauses, start, end)
        total = 0.0
        for w in self.windows(start, end):
            span = (max(w[0], start), min(w[1], end))
            total += _overlap(span, span) - sum(_overlap(span, p) for p in paused)
        return total

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant at which ``seconds`` of working time have passed since ``start``.

        Zero seconds is ``start`` itself, even outside working hours.
        """
        start = utc(start)
        left = max(seconds, 0.0)
        if left == 0:
            return start
        for w in self.windows(start):
            lo = max(w[0], start)
            room = (w[1] - lo).total_seconds()
            if left <= room:
                return lo + timedelta(seconds=left)
            left -= room
        raise ValueError(f"calendar {self.calendar.id}: no working time within {_MAX_DAYS} days of {start}")

    def seconds(self, duration: Duration) -> float:
        """A spec duration in working seconds: days are working days; minutes and hours are themselves."""
        per = {"minutes": 60.0, "hours": 3600.0, "business_hours": 3600.0}
        return duration.duration * per.get(duration.unit, self.day_seconds)


def clock_for(spec: Spec, sla: Sla, team: str | None) -> SlaClock:
    """The clock an SLA runs on.

    A wall clock for ``clock: wall`` (or plain units without ``clock: business``); else the SLA's
    ``calendar``, or the first calendar that lists the receiving ``team``. A business SLA with no
    calendar at all runs on the wall clock (``revframe validate`` warns about it).

    Examples:
        >>> from revframe.framework import default_spec_text, load_spec_text
        >>> spec = load_spec_text(default_spec_text())
        >>> clock_for(spec, spec.handoff("marketing_to_sales").sla, "sales_development").calendar_id
        'north_america_business'
    """
    if sla.effective_clock == "wall":
        return WallClock()
    cal = None
    if sla.calendar:
        cal = next((c for c in spec.calendars if c.id == sla.calendar), None)
    if cal is None and team:
        cal = spec.calendar_for_team(team)
    return BusinessClock(cal) if cal else WallClock()
