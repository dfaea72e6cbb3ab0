"""Property: under every model, each conversion's credits add up to that conversion, and its revenue to its value."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from revframe.attribution.credit import MODELS, credit_journeys
from revframe.attribution.journeys import from_paths
from revframe.framework.attribution import Attribution

CHANNELS = st.sampled_from(["email", "paid search", "organic", "event", "a>b-free", "partner", "x"])
JOURNEY = st.tuples(
    st.lists(CHANNELS, min_size=1, max_size=8),
    st.floats(0, 50, allow_nan=False, allow_subnormal=False),
    st.floats(0, 1e6, allow_nan=False, allow_subnormal=False),
    st.floats(0, 20, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=60, deadline=None)
@given(
    journeys=st.lists(JOURNEY, min_size=1, max_size=25),
    order=st.integers(1, 4),
    limit=st.integers(1, 6),
    data=st.data(),
)
def test_credits_add_up_to_each_conversion(journeys, order, limit, data) -> None:
    paths = [p for p, *_ in journeys]
    conv = np.array([c for _, c, _, _ in journeys])
    value = np.array([v if c > 0 else 0.0 for _, c, v, _ in journeys])
    nulls = np.array([z for *_, z in journeys])
    j = from_paths(paths, conv, value, nulls)
    if data.draw(st.booleans()):  # store journeys: times and milestones known
        j.days_before = np.array(data.draw(st.lists(st.floats(0, 400), min_size=len(j.channel),
                                                    max_size=len(j.channel))))  # fmt: skip
        j.lead_idx = np.array([data.draw(st.integers(-1, len(p) - 1)) for p in paths])
        j.opp_idx = np.array([data.draw(st.integers(-1, len(p) - 1)) for p in paths])
    spec = Attribution(shapley_exact_limit=limit, shapley_samples=100)
    jt = j.journey_of_touch
    for mc in credit_journeys(j, list(MODELS), spec, order):
        assert (mc.share >= -1e-12).all(), mc.model
        credit = np.bincount(jt, weights=mc.credit(j), minlength=j.n)
        revenue = np.bincount(jt, weights=mc.revenue(j), minlength=j.n)
        np.testing.assert_allclose(credit, conv, rtol=1e-9, atol=1e-9, err_msg=mc.model)
        np.testing.assert_allclose(revenue, value, rtol=1e-9, atol=1e-6, err_msg=mc.model)
