"""Empty values are explicit and say why; bad input is refused with a message that says what to do."""

from __future__ import annotations

from datetime import date

import pytest

from revframe.errors import UsageError
from revframe.metrics.compute import HEALTH_NOTE
from revframe.store import Store
from tests.metrics.stores import MAR, insert, opp, run

NO_DATA = "no data in the period"


def test_an_empty_store_gives_explicit_empty_values_never_zero(duck: Store) -> None:
    r = run(duck, None)
    assert len(r.results) == 26
    for res in r.results.values():
        assert [row.period.label for row in res.rows] == ["2026-01", "2026-02", "2026-03"], res.metric_id
        for row in res.rows:
            assert row.value is None, (res.metric_id, row)
            if res.metric_id == "health_score_distribution":
                assert row.note == HEALTH_NOTE
            elif res.metric_id == "pipeline_velocity":  # combined from other metrics: says which are empty
                assert row.note is not None and row.note.startswith("no value: pipeline_value")
            else:
                assert row.note == NO_DATA, (res.metric_id, row)


def test_a_division_by_zero_is_empty_with_its_note(duck: Store) -> None:
    insert(duck, "opportunities", [opp(f"z{d}", 0, date(2026, 1, d), won=False) for d in (10, 12)])
    r = run(duck, ["win_rate_amount", "win_rate"])
    jan = r.results["win_rate_amount"].series()[0]
    assert (jan.value, jan.numerator, jan.denominator, jan.n) == (None, 0.0, 0.0, 2)
    assert jan.note == "division by zero: the denominator is 0 in this period"
    assert r.results["win_rate"].series()[0].value == 0.0  # two lost deals: 0%, a real value
    assert r.results["win_rate"].series()[1].note == NO_DATA  # February: no closed deal at all


def test_a_period_without_data_is_explicit_for_a_metric_with_breakdowns(operations: Store) -> None:
    res = run(operations, ["rep_activity"]).results["rep_activity"]
    march = [r for r in res.rows if r.period == MAR]  # activities only in January and February
    assert march and all(r.value is None and r.note == NO_DATA for r in march)


def test_from_after_to_says_swap(duck: Store) -> None:
    with pytest.raises(UsageError, match=r"--from 2026-03-01 is after --to 2026-01-31: swap them"):
        run(duck, ["win_rate"], start=date(2026, 3, 1), end=date(2026, 1, 31))


def test_an_unknown_metric_suggests_the_closest(duck: Store) -> None:
    with pytest.raises(UsageError) as info:
        run(duck, ["win_rat"])
    assert "metric 'win_rat' is not in the spec" in str(info.value) and "did you mean 'win_rate'" in str(info.value)


def test_an_unknown_dimension_lists_the_known_ones(duck: Store) -> None:
    with pytest.raises(UsageError) as info:
        run(duck, ["win_rate"], by=["segmnt"])
    msg = str(info.value)
    assert msg.startswith("--by segmnt") and "did you mean 'segment'" in msg
    assert "segment, region, source, owner, team, stage, type" in msg


def test_an_unknown_grain(duck: Store) -> None:
    with pytest.raises(UsageError, match="--period fortnight: use one of week, month, quarter, year"):
        run(duck, ["win_rate"], grain="fortnight")  # type: ignore[arg-type]


def test_from_inside_a_period_covers_the_whole_period(duck: Store) -> None:
    insert(duck, "opportunities", [opp("w1", 100, date(2026, 1, 3), won=True)])
    r = run(duck, ["bookings"], start=date(2026, 1, 15), end=date(2026, 1, 20))
    assert [(row.period.label, row.value) for row in r.results["bookings"].rows] == [("2026-01", 100.0)]
