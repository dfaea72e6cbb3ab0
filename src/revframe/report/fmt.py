"""Numbers as a reader expects them: by the metric's unit, with empty values shown as a dash, never 0.

Percent metrics carry their values in percent points, like their targets in the spec
(``win_rate: target: 25`` is 25%), so ``25.3`` prints ``25.3%`` and the change between two
periods is in points, not a percent of a percent.
"""

from __future__ import annotations

import math
from typing import Literal

DASH = "—"
"""What an empty value prints: no data, or a division by zero. A 0 would be a claim."""

Tone = Literal["good", "bad", "flat", ""]


def _sig(x: float, digits: int = 3) -> str:
    """``x`` with about ``digits`` significant digits, no trailing zeros (``1.2``, ``12.3``, ``123``)."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def compact_number(x: float) -> str:
    """``1234567`` as ``1.23M``, ``84200`` as ``84.2K``, ``950`` as ``950``."""
    sign = "−" if x < 0 else ""
    a = abs(x)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= size * 0.9995 and (suffix != "K" or a >= 10_000):
            return f"{sign}{_sig(a / size)}{suffix}"
    return f"{sign}{a:,.0f}"


def _minutes(v: float) -> str:
    if abs(v) < 60:
        return f"{v:,.0f} min" if abs(v) >= 10 else f"{v:,.1f} min"
    hours, minutes = divmod(round(v), 60)
    return f"{hours:,} h {minutes:02d} min" if hours < 48 else f"{v / 60:,.0f} h"


def fmt_value(value: float | None, unit: str, currency: str, *, compact: bool = True) -> str:
    """A value in its unit: ``USD 1.24M``, ``27.5%``, ``3.1x``, ``42 days``, ``25 min``; ``—`` for empty.

    Examples:
        >>> fmt_value(1_240_000, "currency", "EUR")
        'EUR 1.24M'
        >>> fmt_value(1_240_000, "currency", "EUR", compact=False)
        'EUR 1,240,000'
        >>> fmt_value(None, "percent", "USD")
        '—'
        >>> fmt_value(3.14, "ratio", "USD"), fmt_value(27.46, "percent", "USD"), fmt_value(0, "count", "USD")
        ('3.1x', '27.5%', '0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    v = float(value)
    if unit in ("currency", "currency_per_day"):
        amount = compact_number(v) if compact else f"{v:,.0f}".replace("-", "−")
        return f"{currency} {amount}" + ("/day" if unit == "currency_per_day" else "")
    if unit == "percent":
        return f"{v:,.1f}%"
    if unit == "ratio":
        return f"{v:,.1f}x" if abs(v) < 100 else f"{v:,.0f}x"
    if unit == "days":
        return f"{v:,.1f} days" if abs(v) < 10 else f"{v:,.0f} days"
    if unit == "hours":
        return f"{v:,.1f} h"
    if unit == "minutes":
        return _minutes(v)
    if unit == "count":
        return compact_number(v) if compact and abs(v) >= 100_000 else f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    return f"{v:,.1f}"


def change(now: float | None, before: float | None, unit: str, currency: str) -> tuple[str, float | None]:
    """The change from ``before`` to ``now`` as text, and its signed size (None when it cannot be told).

    Percent metrics change in points; others by a share of the earlier value, or by the amount
    itself when the earlier value was 0.

    Examples:
        >>> change(27.5, 25.0, "percent", "USD")
        ('▲ 2.5 pts', 2.5)
        >>> change(90.0, 100.0, "currency", "USD")
        ('▼ 10.0%', -10.0)
        >>> change(None, 100.0, "currency", "USD")
        ('—', None)
    """
    if now is None or before is None:
        return DASH, None
    delta = float(now) - float(before)
    if delta == 0:
        return "no change", 0.0
    arrow = "▲" if delta > 0 else "▼"
    if unit == "percent":
        return f"{arrow} {abs(delta):,.1f} pts", delta
    if before != 0:
        rel = 100 * delta / abs(float(before))
        return f"{arrow} {abs(rel):,.1f}%", rel
    return f"{arrow} {fmt_value(abs(delta), unit, currency)}", delta


def tone(delta: float | None, direction: str) -> Tone:
    """Whether a change is good news: up is good for ``direction: up`` metrics, down for ``down`` ones."""
    if delta is None:
        return ""
    if delta == 0:
        return "flat"
    return "good" if (delta > 0) == (direction == "up") else "bad"


def on_target(value: float | None, target: float | None, direction: str) -> bool | None:
    """Whether ``value`` meets ``target``: at least it for ``up`` metrics, at most it for ``down`` ones.

    None when there is no value or no target (neither on nor off target).

    Examples:
        >>> on_target(28, 25, "up"), on_target(45, 30, "down"), on_target(None, 25, "up"), on_target(5, None, "up")
        (True, False, None, None)
    """
    if value is None or target is None:
        return None
    return value >= target if direction == "up" else value <= target
