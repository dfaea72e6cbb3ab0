"""Rule-based models on hand-worked journeys: every expected share below is worked out in the comment next to it."""

from __future__ import annotations

import numpy as np
import pytest

from revframe.attribution.journeys import Journeys, from_paths
from revframe.attribution.rules import rule_shares
from revframe.errors import UsageError
from revframe.framework.attribution import Attribution, FullPath, TimeDecay, UShaped, WShaped

A = Attribution()


def shares(j: Journeys, model: str, spec: Attribution = A) -> list[float]:
    return [round(float(x), 9) for x in rule_shares(j, model, spec)]


def test_first_last_linear() -> None:
    j = from_paths([["a", "b", "c"], ["b"]], [1, 1])
    assert shares(j, "first") == [1, 0, 0, 1]
    assert shares(j, "last") == [0, 0, 1, 1]
    assert shares(j, "linear") == [round(1 / 3, 9)] * 3 + [1]


def test_time_decay_halves_every_half_life() -> None:
    j = from_paths([["a", "b", "c"]], [1])
    j.days_before = np.array([14.0, 7.0, 0.0])  # 2, 1 and 0 half-lives back: weights 1/4, 1/2, 1 of 7/4
    assert shares(j, "time_decay") == [round(1 / 7, 9), round(2 / 7, 9), round(4 / 7, 9)]
    spec = Attribution(time_decay=TimeDecay(half_life_days=14))  # 1, 1/2 and 0 half-lives: 2^-1, 2^-0.5, 1
    w = [2**-1, 2**-0.5, 1.0]
    assert shares(j, "time_decay", spec) == [round(x / sum(w), 9) for x in w]


def test_time_decay_without_times_counts_one_half_life_per_touch() -> None:
    j = from_paths([["a", "b", "c"]], [1])  # path files: weights 1/4, 1/2, 1
    assert shares(j, "time_decay") == [round(1 / 7, 9), round(2 / 7, 9), round(4 / 7, 9)]


def test_time_decay_of_very_old_touches_does_not_underflow() -> None:
    j = from_paths([["a", "b"]], [1])
    j.days_before = np.array([100_000.0, 99_993.0])  # 7 days apart, both ancient: 1/3, 2/3
    assert shares(j, "time_decay") == [round(1 / 3, 9), round(2 / 3, 9)]


def test_u_shaped() -> None:
    j = from_paths([["a", "b", "c", "d"], ["a", "b"], ["a"]], [1, 1, 1])
    # 4 touches: 40% first, 40% last, 20% over 2 middle touches; 2 touches: 40/40 normalised; 1 touch: all
    assert shares(j, "u_shaped") == [0.4, 0.1, 0.1, 0.4, 0.5, 0.5, 1.0]
    spec = Attribution(u_shaped=UShaped(first=0.5, last=0.3))  # 3 touches: 0.5, 0.2, 0.3
    assert shares(from_paths([["a", "b", "c"]], [1]), "u_shaped", spec) == [0.5, 0.2, 0.3]


def test_w_shaped_uses_the_lead_creation_touch() -> None:
    j = from_paths([["a", "b", "c", "d", "e"], ["a", "b", "c"]], [1, 1])
    j.lead_idx = np.array([1, 0])
    # 5 touches, lead at 2nd: 30% first, 30% lead, 30% last, 10% over the 2 others
    # 3 touches, lead at the first touch: first 30%+30%, middle 10%, last 30%
    assert shares(j, "w_shaped") == [0.3, 0.3, 0.05, 0.05, 0.3, 0.6, 0.1, 0.3]


def test_w_shaped_by_position_without_milestones() -> None:
    j = from_paths([["a", "b", "c", "d"]], [1])  # path files: the lead touch is touch (4-1)//2 = 2nd
    assert shares(j, "w_shaped") == [0.3, 0.3, 0.1, 0.3]


def test_full_path() -> None:
    j = from_paths([["a", "b", "c", "d", "e", "f"]], [1])
    j.lead_idx, j.opp_idx = np.array([1]), np.array([3])
    # 22.5% each to first, lead, opportunity, last; 10% over the two others
    assert shares(j, "full_path") == [0.225, 0.225, 0.05, 0.225, 0.05, 0.225]
    spec = Attribution(full_path=FullPath(first=0.4, lead=0.2, opportunity=0.2, last=0.2))  # all of it to milestones
    assert shares(j, "full_path", spec) == [0.4, 0.2, 0.0, 0.2, 0.0, 0.2]


def test_milestones_with_no_share_fall_back_to_linear() -> None:
    spec = Attribution(w_shaped=WShaped(first=0, lead=0, last=0))
    assert shares(from_paths([["a", "b"]], [1]), "w_shaped", spec) == [0.5, 0.5]


def test_shares_over_one_are_a_spec_error() -> None:
    with pytest.raises(ValueError, match="add up to 1.1"):
        UShaped(first=0.6, last=0.5)


def test_a_journey_without_touches_is_refused() -> None:
    with pytest.raises(UsageError, match="no touches"):
        Journeys(["a"], np.array([0, 1, 1]), np.array([0]), np.ones(2), np.zeros(2), np.zeros(2))
