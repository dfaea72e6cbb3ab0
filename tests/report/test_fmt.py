"""Numbers as the report prints them: by unit, empty as a dash (never 0), changes and targets by direction."""

from __future__ import annotations

import pytest

from revframe.report.fmt import DASH, change, compact_number, fmt_value, on_target, tone


@pytest.mark.parametrize(
    ("value", "unit", "compact", "text"),
    [
        (1_240_000, "currency", True, "EUR 1.24M"),
        (1_240_000, "currency", False, "EUR 1,240,000"),
        (84_200, "currency", True, "EUR 84.2K"),
        (3_600, "currency", True, "EUR 3,600"),
        (-110_000, "currency", False, "EUR −110,000"),
        (21_500, "currency_per_day", True, "EUR 21.5K/day"),
        (27.46, "percent", True, "27.5%"),
        (3.14, "ratio", True, "3.1x"),
        (0.0, "ratio", True, "0.0x"),
        (41.2, "days", True, "41 days"),
        (4.5, "days", True, "4.5 days"),
        (25.0, "minutes", True, "25 min"),
        (3.6, "minutes", True, "3.6 min"),
        (118.0, "minutes", True, "1 h 58 min"),
        (1527.0, "minutes", True, "25 h 27 min"),
        (5.25, "hours", True, "5.2 h"),
        (1840, "count", True, "1,840"),
        (0, "count", True, "0"),
        (72.5, "score", True, "72.5"),
    ],
)
def test_values_print_in_their_unit(value: float, unit: str, compact: bool, text: str) -> None:
    assert fmt_value(value, unit, "EUR", compact=compact) == text


@pytest.mark.parametrize("unit", ["currency", "percent", "ratio", "days", "minutes", "count"])
def test_an_empty_value_is_a_dash_never_zero(unit: str) -> None:
    assert fmt_value(None, unit, "USD") == DASH
    assert fmt_value(float("nan"), unit, "USD") == DASH


def test_compact_numbers_keep_three_significant_digits() -> None:
    assert [compact_number(x) for x in (999, 12_345, 999_500, 18_300_000, 2.5e9)] == [
        "999", "12.3K", "1M", "18.3M", "2.5B",
    ]  # fmt: skip


def test_percent_changes_are_in_points_others_relative() -> None:
    assert change(27.5, 25.0, "percent", "USD") == ("▲ 2.5 pts", 2.5)
    assert change(90.0, 100.0, "currency", "USD") == ("▼ 10.0%", -10.0)
    assert change(5.0, 0.0, "count", "USD") == ("▲ 5", 5.0)  # no share of 0: the amount itself
    assert change(3.0, 3.0, "ratio", "USD") == ("no change", 0.0)
    assert change(None, 3.0, "ratio", "USD") == (DASH, None)
    assert change(3.0, None, "ratio", "USD") == (DASH, None)


def test_the_tone_of_a_change_follows_the_metric_direction() -> None:
    assert tone(2.0, "up") == "good" and tone(-2.0, "up") == "bad"
    assert tone(2.0, "down") == "bad" and tone(-2.0, "down") == "good"  # response time going up is bad news
    assert tone(0.0, "up") == "flat" and tone(None, "down") == ""


def test_on_target_respects_direction() -> None:
    assert on_target(25.0, 25.0, "up") is True  # meeting the target counts
    assert on_target(24.9, 25.0, "up") is False
    assert on_target(26.0, 30.0, "down") is True  # 26 min response against a 30 min target
    assert on_target(34.0, 30.0, "down") is False
    assert on_target(30.0, 30.0, "down") is True
    assert on_target(None, 30.0, "down") is None  # no value: neither on nor off
    assert on_target(12.0, None, "up") is None  # no target
