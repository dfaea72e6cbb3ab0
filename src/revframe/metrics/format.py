"""Metric values as people read them, by unit: currency, percent, ratio, days... An empty value is an em dash."""

from __future__ import annotations

EMPTY = "—"


def format_value(value: float | None, unit: str, currency: str = "") -> str:
    """``value`` formatted for its ``unit`` (``currency`` prefixes amounts when given)."""
    if value is None:
        return EMPTY
    if unit == "currency":
        return f"{currency + ' ' if currency else ''}{value:,.0f}"
    if unit == "currency_per_day":
        return f"{currency + ' ' if currency else ''}{value:,.0f}/day"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "ratio":
        return f"{value:.2f}x"
    if unit == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if unit == "days":
        return f"{value:.1f} d"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit == "minutes":
        return f"{value:,.0f} min" if value >= 10 else f"{value:.1f} min"
    return f"{value:,.2f}"
