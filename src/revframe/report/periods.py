"""Which review a report is for, and which period it covers.

A cadence report covers the last *complete* period of the cadence's frequency before the as-of
date, and compares it with the period before. Half-finished periods are never reported: a CRO
reading "bookings down 60%" on the 10th of the month would be reading a calendar artefact.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from revframe.errors import UsageError
from revframe.framework.suggest import did_you_mean
from revframe.metrics.model import Grain, Period

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.metrics import Cadence

GRAIN: dict[str, Grain] = {
    "weekly": "week",
    "biweekly": "week",  # the metrics engine has no two-week grain: the report reads the last week
    "monthly": "month",
    "quarterly": "quarter",
    "annual": "year",
}
"""The metrics grain of each cadence frequency."""

TREND_PERIODS: dict[Grain, int] = {"week": 12, "month": 12, "quarter": 8, "year": 4}
"""How many periods the sparklines show (the reported period last)."""

WORDS = {"yearly": "annual"}
"""Other words users write for a frequency."""


def resolve_cadence(spec: Spec, name: str) -> Cadence:
    """The spec's cadence named by ``name``: a cadence id, or a frequency (``weekly``, ``monthly``...).

    A frequency picks the first cadence of the spec with that frequency.

    Raises:
        UsageError: no cadence has that id or frequency; the message lists the ones there are.

    Examples:
        >>> from revframe.framework import load_spec_text, default_spec_text
        >>> resolve_cadence(load_spec_text(default_spec_text()), "monthly").id
        'monthly_business_review'
    """
    for c in spec.cadences:
        if c.id == name:
            return c
    frequency = WORDS.get(name.lower(), name.lower())
    for c in spec.cadences:
        if c.frequency == frequency:
            return c
    choices = [f"{c.frequency} ({c.id})" for c in spec.cadences]
    words = [c.frequency for c in spec.cadences] + [c.id for c in spec.cadences]
    listed = ", ".join(choices) if choices else "none: add a `cadences:` section to revframe.yaml"
    raise UsageError(f"cadence '{name}': not a cadence of the spec; {did_you_mean(name, words)}cadences: {listed}")


def report_period(grain: Grain, as_of: date, fiscal_start: int = 1) -> Period:
    """The last complete period of ``grain`` on ``as_of`` (a date counts to its end); quarters and
    years of the fiscal year starting in month ``fiscal_start``.

    Examples:
        >>> report_period("month", date(2026, 9, 30)).label   # September ends with the 30th
        '2026-09'
        >>> report_period("month", date(2026, 9, 29)).label
        '2026-08'
        >>> report_period("week", date(2026, 9, 30)).label
        '2026-W39'
        >>> report_period("quarter", date(2026, 9, 30), fiscal_start=2).label   # Feb-Apr, May-Jul, Aug-Oct
        'FY2027-Q1'
    """
    current = Period.containing(grain, as_of, fiscal_start)
    return current if current.end <= as_of + timedelta(days=1) else current.previous()


def trend_periods(period: Period) -> list[Period]:
    """The periods the sparklines cover: :data:`TREND_PERIODS` of them, ``period`` last."""
    out = [period]
    for _ in range(TREND_PERIODS[period.grain] - 1):
        out.insert(0, out[0].previous())
    return out


def period_title(period: Period) -> str:
    """How a person names the period: ``September 2026``, ``Q3 2026 (Jul-Sep)``, ``Week 39, 2026 (21-27 Sep)``.

    Examples:
        >>> period_title(Period.containing("quarter", date(2026, 8, 1)))
        'Q3 2026 (Jul–Sep)'
        >>> period_title(Period.containing("quarter", date(2026, 8, 1), fiscal_start=2))
        'Q2 FY2027 (May–Jul)'
        >>> period_title(Period.containing("year", date(2026, 8, 1), fiscal_start=2))
        'FY2027 (Feb 2026–Jan 2027)'
    """
    last = period.end - timedelta(days=1)
    if period.grain == "week":
        _, week, _ = period.start.isocalendar()
        first = f"{period.start.day}" if period.start.month == last.month else f"{period.start:%-d %b}"
        return f"Week {week}, {period.start.isocalendar()[0]} ({first}–{last:%-d %b})"
    if period.grain == "month":
        return f"{period.start:%B %Y}"
    if period.grain == "quarter":
        return f"Q{period.quarter} {_year(period)} ({period.start:%b}–{last:%b})"
    if period.fiscal_start != 1:
        return f"{_year(period)} ({period.start:%b %Y}–{last:%b %Y})"
    return str(period.start.year)


def _year(period: Period, short: bool = False) -> str:
    """The (fiscal) year's name: ``2026``, ``FY2027`` (``26``, ``FY27`` when ``short``)."""
    year = f"{period.fiscal_year % 100:02d}" if short else str(period.fiscal_year)
    return f"FY{year}" if period.fiscal_start != 1 else year


def short_label(period: Period) -> str:
    """A compact label for chart axes: ``Sep 26``, ``Q3 26``, ``W39``, ``2026``."""
    if period.grain == "week":
        return f"W{period.start.isocalendar()[1]:02d}"
    if period.grain == "month":
        return f"{period.start:%b %y}"
    if period.grain == "quarter":
        return f"Q{period.quarter} {_year(period, short=True)}"
    return _year(period)


def period_short(period: Period) -> str:
    """The period in a table header or a legend: ``Sep 2026``, ``Q3 2026``, ``W39 2026``, ``2026``."""
    if period.grain == "week":
        year, week, _ = period.start.isocalendar()
        return f"W{week:02d} {year}"
    if period.grain == "month":
        return f"{period.start:%b %Y}"
    if period.grain == "quarter":
        return f"Q{period.quarter} {_year(period)}"
    return _year(period)


def period_range(period: Period) -> str:
    """The period's first and last days: ``1–30 Sep 2026``, ``1 Jul – 30 Sep 2026``, ``29 Dec 2025 – 4 Jan 2026``."""
    first, last = period.start, period.end - timedelta(days=1)
    if first.year != last.year:
        return f"{first:%-d %b %Y} – {last:%-d %b %Y}"
    if first.month != last.month:
        return f"{first:%-d %b} – {last:%-d %b %Y}"
    return f"{first.day}–{last:%-d %b %Y}"
