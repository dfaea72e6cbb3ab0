"""Shapley values against brute-force enumeration of every order of the channels."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from revframe.attribution.journeys import from_paths
from revframe.attribution.shapley import shapley_shares, shapley_values


def brute_force(paths: list[list[str]], conv: list[float]) -> dict[str, float]:
    """Average over all n! orders of each channel's marginal contribution to v(S) = conversions within S."""
    names = sorted({c for p in paths for c in p})
    sets = [set(p) for p in paths]

    def v(s: set[str]) -> float:
        return sum(c for members, c in zip(sets, conv, strict=True) if members <= s)

    phi = dict.fromkeys(names, 0.0)
    for order in itertools.permutations(names):
        before: set[str] = set()
        for ch in order:
            phi[ch] += v(before | {ch}) - v(before)
            before.add(ch)
    return {k: x / math.factorial(len(names)) for k, x in phi.items()}


@pytest.mark.parametrize("seed", range(5))
def test_exact_equals_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    paths = [[f"ch{x}" for x in rng.integers(0, n, rng.integers(1, 5))] for _ in range(40)]
    conv = [float(x) for x in rng.integers(0, 4, 40)]
    j = from_paths(paths, conv)
    expected = brute_force(paths, conv)
    sv = shapley_values(j)
    assert sv.exact
    assert dict(zip(j.channels, sv.conversions, strict=True)) == pytest.approx(expected)
    # The per-conversion credits add up, per channel, to the same values (additivity).
    credit = shapley_shares(j) * j.conversions[j.journey_of_touch]
    assert np.bincount(j.channel, weights=credit, minlength=len(j.channels)) == pytest.approx(
        [expected[c] for c in j.channels]
    )


def test_hand_worked() -> None:
    # a>b (1): a 1/2, b 1/2; a (1): a 1; b>c>a (2): 2/3 each; c (1): c 1
    j = from_paths([["a", "b"], ["a"], ["b", "c", "a"], ["c"]], [1, 1, 2, 1], [10, 0, 6, 1])
    sv = shapley_values(j)
    assert sv.conversions == pytest.approx([0.5 + 1 + 2 / 3, 0.5 + 2 / 3, 2 / 3 + 1])
    assert sv.revenue == pytest.approx([5 + 2, 5 + 2, 2 + 1])


def test_sampled_above_the_exact_limit_within_its_error() -> None:
    rng = np.random.default_rng(7)
    paths = [[f"ch{x:02d}" for x in rng.integers(0, 8, rng.integers(1, 6))] for _ in range(200)]
    j = from_paths(paths, rng.integers(0, 3, 200))
    exact = shapley_values(j)
    sampled = shapley_values(j, exact_limit=4, samples=3000, seed=2)
    assert not sampled.exact and sampled.samples == 3000 and (sampled.stderr > 0).all()
    assert (np.abs(sampled.conversions - exact.conversions) <= 4 * sampled.stderr + 1e-9).all()
    assert sampled.conversions.sum() == pytest.approx(exact.conversions.sum())  # every permutation is efficient


def test_repeated_channel_splits_its_part_over_its_touches() -> None:
    j = from_paths([["a", "b", "a"]], [1])
    assert shapley_shares(j).tolist() == [0.25, 0.5, 0.25]
