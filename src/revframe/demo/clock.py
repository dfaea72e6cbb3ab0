"""The company's calendar: seasonality, working hours in local time zones, quarter ends.

Times are int64 epoch seconds (UTC). Samplers are vectorized over numpy arrays.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from revframe.demo.config import DAY, HOUR, N_DAYS, START_DATE

# Day grid from a year before the CRM went live (for pre-existing records) to after the as-of
# date (for expected close dates and renewals in the future).
GRID_START_DATE = START_DATE - dt.timedelta(days=400)
GRID_DAYS = N_DAYS + 400 + 800
GRID_START = (GRID_START_DATE - dt.date(1970, 1, 1)).days * DAY

_MONTH_FACTOR = np.array([0.95, 1.0, 1.1, 1.0, 1.05, 0.95, 0.75, 0.7, 1.05, 1.1, 1.15, 0.8])


def _grid_dates() -> list[dt.date]:
    return [GRID_START_DATE + dt.timedelta(days=i) for i in range(GRID_DAYS)]


_DATES = _grid_dates()
WEEKDAY = np.array([d.weekday() for d in _DATES], dtype=np.int64)
MONTH = np.array([d.month for d in _DATES], dtype=np.int64)
_QEND = np.array(
    [(dt.date(d.year + (d.month > 9), (((d.month - 1) // 3 + 1) * 3) % 12 + 1, 1) - d).days for d in _DATES],
    dtype=np.int64,
)  # days until the first day of the next quarter


def _cdf(weights: np.ndarray) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(weights)])
    return c / c[-1]


_growth = 1.0 + 0.8 * np.clip((np.arange(GRID_DAYS) - 400) / 365.0, 0, None)
_weekday_f = np.where(WEEKDAY < 4, 1.0, np.where(WEEKDAY == 4, 0.8, 0.08))
#: demand (lead creation, meetings): growth x seasonality x weekdays
DEMAND_CDF = _cdf(_growth * _MONTH_FACTOR[MONTH - 1] * _weekday_f)
#: closes: quarter-end spike, Q4 stronger, weekdays only
_qend_f = np.where(_QEND <= 10, np.where(MONTH == 12, 3.5, 2.4), 1.0)
CLOSE_CDF = _cdf(_qend_f * np.where(WEEKDAY < 5, 1.0, 0.03) * _MONTH_FACTOR[MONTH - 1])
UNIFORM_CDF = _cdf(np.where(WEEKDAY < 5, 1.0, 0.15))


def day_index(secs: np.ndarray) -> np.ndarray:
    """Grid day of epoch seconds."""
    return (np.asarray(secs, dtype=np.int64) - GRID_START) // DAY


def sample_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """Grid-day indices in [day(lo), day(hi)] drawn with the given seasonal weights."""
    dlo = np.clip(day_index(lo), 0, GRID_DAYS - 1)
    dhi = np.clip(day_index(hi), 0, GRID_DAYS - 1)
    dhi = np.maximum(dhi, dlo)
    u = cdf[dlo] + rng.random(dlo.shape[0]) * (cdf[dhi + 1] - cdf[dlo])
    days = np.searchsorted(cdf, u, side="right") - 1
    return np.clip(days, dlo, dhi)


# --- time zones -----------------------------------------------------------------------------

TIMEZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Copenhagen",
    "Africa/Johannesburg",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "America/Mexico_City",
]
TZ_INDEX = {name: i for i, name in enumerate(TIMEZONES)}


def _offsets() -> np.ndarray:
    out = np.zeros((len(TIMEZONES), GRID_DAYS), dtype=np.int64)
    for i, name in enumerate(TIMEZONES):
        zone = ZoneInfo(name)
        last = None
        for d in range(0, GRID_DAYS, 1):
            date = _DATES[d]
            noon = dt.datetime(date.year, date.month, date.day, 12, tzinfo=zone)
            off = noon.utcoffset()
            last = int(off.total_seconds()) if off is not None else 0
            out[i, d] = last
    return out


#: UTC offset in seconds of each time zone on each grid day (DST-aware)
TZ_OFFSET = _offsets()


def local_time(day: np.ndarray, local_seconds: np.ndarray, tz: np.ndarray) -> np.ndarray:
    """Epoch seconds of a local wall-clock time (seconds after local midnight) on a grid day."""
    day = np.clip(day, 0, GRID_DAYS - 1)
    return GRID_START + day * DAY + local_seconds - TZ_OFFSET[tz, day]


def local_day(secs: np.ndarray, tz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(grid day, seconds after local midnight) of epoch seconds in a time zone."""
    d0 = np.clip(day_index(secs), 0, GRID_DAYS - 1)
    local = np.asarray(secs) + TZ_OFFSET[tz, d0] - GRID_START
    return local // DAY, local % DAY


def business_time(
    rng: np.random.Generator, day: np.ndarray, tz: np.ndarray, start_h: float = 9.0, end_h: float = 17.5
) -> np.ndarray:
    """A time during local business hours on the given day (moved to Monday/Friday off weekends)."""
    wd = WEEKDAY[np.clip(day, 0, GRID_DAYS - 1)]
    day = np.where(wd == 5, day - 1, np.where(wd == 6, day + 1, day))
    hours = start_h + (end_h - start_h) * rng.beta(2.0, 2.2, size=np.shape(day))
    return local_time(day, (hours * HOUR).astype(np.int64), tz)


def next_business_days(day: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The grid day k working days (Mon-Fri) after day."""
    out = np.asarray(day, dtype=np.int64).copy()
    remaining = np.asarray(k, dtype=np.int64).copy()
    while (remaining > 0).any():
        step = remaining > 0
        out[step] += 1
        is_wd = WEEKDAY[np.clip(out, 0, GRID_DAYS - 1)] < 5
        remaining[step & is_wd] -= 1
    return out


def clamp(t: np.ndarray, lo: np.ndarray | int, hi: np.ndarray | int) -> np.ndarray:
    """Clip times into [lo, hi]."""
    return np.minimum(np.maximum(t, lo), hi)


# --- scalar helpers (Python ints; used in per-record loops) ---------------------------------

_WEEKDAY_L = WEEKDAY.tolist()
_OFFSET_L = TZ_OFFSET.tolist()


def sday(t: int) -> int:
    """Grid day of a time (clipped to the grid)."""
    return min(GRID_DAYS - 1, max(0, (t - GRID_START) // DAY))


def biz_at(r, day: int, tz: int, start_h: float = 9.0, end_h: float = 17.5) -> int:
    """A local business-hours time on a grid day (weekends move to Friday or Monday)."""
    day = min(GRID_DAYS - 2, max(1, day))
    wd = _WEEKDAY_L[day]
    if wd == 5:
        day -= 1
    elif wd == 6:
        day += 1
    h = start_h + (end_h - start_h) * r.betavariate(2.0, 2.2)
    return GRID_START + day * DAY + int(h * HOUR) - _OFFSET_L[tz][day]


def add_business_days(day: int, k: int) -> int:
    """The grid day k working days after day."""
    while k > 0:
        day += 1
        if day >= GRID_DAYS - 1 or _WEEKDAY_L[day] < 5:
            k -= 1
    return min(day, GRID_DAYS - 1)


def is_weekend(day: int) -> bool:
    return _WEEKDAY_L[min(GRID_DAYS - 1, max(0, day))] >= 5


def local_hour(t: int, tz: int) -> float:
    """Local hour of day of a time."""
    d = sday(t)
    return ((t + _OFFSET_L[tz][d] - GRID_START) % DAY) / HOUR


def quarter_end_day(t: int) -> int:
    """Grid day of the last day of t's quarter."""
    d = sday(t)
    return d + int(_QEND[d]) - 1


def business_minutes(start: int, end: int, hours: tuple[float, float], tz: int) -> float:
    """Minutes between two times that fall in working hours (Mon-Fri, local time of zone tz)."""
    total = 0.0
    a, b = hours
    t = start
    guard = 0
    while t < end and guard < 40:
        guard += 1
        d = sday(t)
        h = local_hour(t, tz)
        day_start = t - int(h * HOUR)
        if not is_weekend(d):
            ws, we = day_start + int(a * HOUR), day_start + int(b * HOUR)
            lo, hi = max(t, ws), min(end, we)
            if hi > lo:
                total += (hi - lo) / 60
        t = day_start + DAY
    return round(total, 1)


def iso(t: int | None) -> str | None:
    """ISO 8601 UTC text of a time (``2024-03-01T14:05:00Z``), None for None."""
    if t is None:
        return None
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
