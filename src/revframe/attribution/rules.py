"""Rule-based models: first, last, linear, time decay, U-, W-shaped and full path, over all journeys at once.

Each returns a per-touch share of its journey; a journey's shares add up to 1. Milestone models give
each milestone touch its share; shares of milestones that fall on the same touch add up; what the
milestones do not take is spread evenly over the other touches, and a journey with no other touch
divides its 1 among its milestones in proportion to their shares (a 2-touch U-shaped journey: 50/50).
"""

from __future__ import annotations

import numpy as np

from revframe.attribution.journeys import FloatArray, IntArray, Journeys, segment_sum
from revframe.framework.attribution import Attribution

RULE_MODELS = ("first", "last", "linear", "time_decay", "u_shaped", "w_shaped", "full_path")


def rule_shares(j: Journeys, model: str, spec: Attribution) -> FloatArray:
    """Per touch, the share of its journey's conversion ``model`` gives it.

    Examples:
        >>> from revframe.attribution.journeys import from_paths
        >>> j = from_paths([["a", "b", "c", "d"]], [1])
        >>> rule_shares(j, "u_shaped", Attribution()).round(2).tolist()
        [0.4, 0.1, 0.1, 0.4]
    """
    pos = j.position
    jt = j.journey_of_touch
    length = j.lengths[jt]
    if model == "first":
        return (pos == 0).astype(np.float64)
    if model == "last":
        return (pos == length - 1).astype(np.float64)
    if model == "linear":
        return 1.0 / length
    if model == "time_decay":
        return _time_decay(j, spec.time_decay.half_life_days, pos, length, jt)
    first = j.offsets[:-1]
    last = j.offsets[1:] - 1
    if model == "u_shaped":
        u = spec.u_shaped
        return _milestones(j, [(first, u.first), (last, u.last)])
    if model == "w_shaped":
        w = spec.w_shaped
        return _milestones(j, [(first, w.first), (_lead_touch(j, 2), w.lead), (last, w.last)])
    if model == "full_path":
        f = spec.full_path
        lead, opp = _lead_touch(j, 3), _opp_touch(j)
        return _milestones(j, [(first, f.first), (lead, f.lead), (opp, f.opportunity), (last, f.last)])
    raise ValueError(f"not a rule model: {model}")


def _time_decay(j: Journeys, half_life: float, pos: IntArray, length: IntArray, jt: IntArray) -> FloatArray:
    """Weights halve every half-life before the conversion; without times, every touch back is one half-life."""
    steps_back = (length - 1 - pos).astype(np.float64)
    if j.days_before is None:
        age = steps_back
    else:
        age = np.where(np.isnan(j.days_before), steps_back * half_life, np.maximum(j.days_before, 0.0)) / half_life
    # Relative to the journey's newest touch, so long journeys do not underflow to 0.
    youngest = np.full(j.n, np.inf)
    np.minimum.at(youngest, jt, age)
    w = np.exp2(-(age - youngest[jt]))
    return w / segment_sum(w, jt, j.n)[jt]


def _lead_touch(j: Journeys, parts: int) -> IntArray:
    """Global index of each journey's lead-creation touch.

    Known from the store (the last touch at or before the lead was created). Without it (path files),
    placed by position: the middle touch for W-shaped (``parts`` 2), a third of the way for full path (3).
    """
    length = j.lengths
    by_position = (length - 1) // parts
    local = by_position if j.lead_idx is None else np.where(j.lead_idx >= 0, j.lead_idx, by_position)
    return j.offsets[:-1] + np.minimum(local, length - 1)


def _opp_touch(j: Journeys) -> IntArray:
    """Global index of each journey's opportunity-creation touch (by position: two thirds of the way)."""
    length = j.lengths
    by_position = 2 * (length - 1) // 3
    local = by_position if j.opp_idx is None else np.where(j.opp_idx >= 0, j.opp_idx, by_position)
    return j.offsets[:-1] + np.minimum(local, length - 1)


def _milestones(j: Journeys, marks: list[tuple[IntArray, float]]) -> FloatArray:
    touches = j.channel.shape[0]
    jt = j.journey_of_touch
    w = np.zeros(touches)
    is_mark = np.zeros(touches, dtype=bool)
    taken = 0.0
    for where, share in marks:
        np.add.at(w, where, share)
        is_mark[where] = True
        taken += share
    middle = ~is_mark
    n_middle = np.bincount(jt, weights=middle.astype(np.float64), minlength=j.n)
    rest = max(0.0, 1.0 - taken)
    w += np.where(middle, rest / np.maximum(n_middle[jt], 1.0), 0.0)
    total = segment_sum(w, jt, j.n)
    # All shares 0 (a spec that gives milestones nothing and a journey of milestones only): linear.
    even = 1.0 / j.lengths[jt]
    return np.where(total[jt] > 0, w / np.where(total[jt] > 0, total[jt], 1.0), even)
