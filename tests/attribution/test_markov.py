"""Markov attribution against chains worked out by hand, and against a simulation of the same chain."""

from __future__ import annotations

import numpy as np
import pytest

from revframe.attribution.journeys import from_paths
from revframe.attribution.markov import build_chain, markov_shares, simulate


def textbook():
    """The classic 3-channel example: C1>C2>C3 converts, C1 and C2>C3 do not.

    start -> C1 2/3, C2 1/3; C1 -> C2 1/2, null 1/2; C2 -> C3 1; C3 -> conv 1/2, null 1/2.
    P(conv) = 2/3 * 1/2 * 1/2 + 1/3 * 1/2 = 1/3. Without C1: 1/3 * 1/2 = 1/6 (effect 1/2);
    without C2 or C3: 0 (effect 1). Normalised: C1 0.2, C2 0.4, C3 0.4.
    """
    return from_paths([["C1", "C2", "C3"], ["C1"], ["C2", "C3"]], [1, 0, 0], nulls=[0, 1, 1])


def test_textbook_three_channels() -> None:
    j = textbook()
    chain = build_chain(j, 1)
    assert chain.conversion_probability() == pytest.approx(1 / 3)
    assert chain.conversion_probability(without=0) == pytest.approx(1 / 6)
    assert chain.removal_effects() == pytest.approx([0.5, 1.0, 1.0])
    share, effects, p = markov_shares(j, 1)
    assert share[:3] == pytest.approx([0.2, 0.4, 0.4])  # the converting journey's three touches


def test_order_two_remembers_where_a_walk_came_from() -> None:
    """A>B converts, C>B does not.

    Order 1: B converts half the time whoever led there, so A and C look alike: each removal
    halves P(conv) = 1/2 (effects A 1/2, B 1, C 1/2), and A>B's credit is A 1/3, B 2/3.
    Order 2: state (A,B) always converts and (C,B) never does: without A nothing converts
    (effect 1), without C nothing changes (0); A>B's credit is A 1/2, B 1/2.
    """
    j = from_paths([["A", "B"], ["C", "B"]], [1, 0], nulls=[0, 1])
    assert build_chain(j, 1).removal_effects() == pytest.approx([0.5, 1.0, 0.5])
    assert build_chain(j, 2).removal_effects() == pytest.approx([1.0, 1.0, 0.0])
    assert markov_shares(j, 1)[0][:2] == pytest.approx([1 / 3, 2 / 3])
    assert markov_shares(j, 2)[0][:2] == pytest.approx([0.5, 0.5])


def test_repeated_channel_is_a_self_loop() -> None:
    """A>A converts, A does not: A -> A 1/3 (1 of 3 steps out of A), conv 1/3, null 1/3; P = x with x = 1/3 x + 1/3."""
    j = from_paths([["A", "A"], ["A"]], [1, 0], nulls=[0, 1])
    chain = build_chain(j, 1)
    assert chain.conversion_probability() == pytest.approx(0.5)
    assert chain.removal_effects() == pytest.approx([1.0])


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_exact_matches_simulation(order: int) -> None:
    rng = np.random.default_rng(3)
    paths = [[f"c{x}" for x in rng.integers(0, 4, rng.integers(1, 5))] for _ in range(300)]
    conv = rng.integers(0, 2, 300)
    j = from_paths(paths, conv, nulls=1 - conv)
    chain = build_chain(j, order)
    p_sim, eff_sim = simulate(chain, 200_000, seed=1)
    assert p_sim == pytest.approx(chain.conversion_probability(), abs=0.01)
    assert eff_sim == pytest.approx(chain.removal_effects(), abs=0.03)


def test_nothing_converts() -> None:
    j = from_paths([["a", "b"]], [0], nulls=[2])
    share, effects, p = markov_shares(j, 1)
    assert p == 0 and effects.tolist() == [0.0, 0.0]
    assert share.tolist() == [0.5, 0.5]  # no effect anywhere: split evenly (and times 0 conversions)


def test_large_chains_iterate_to_the_lu_solution(monkeypatch: pytest.MonkeyPatch) -> None:
    import revframe.attribution.markov as markov

    rng = np.random.default_rng(5)
    paths = [[f"c{x}" for x in rng.integers(0, 6, rng.integers(1, 7))] for _ in range(3000)]
    conv = rng.integers(0, 2, 3000)
    j = from_paths(paths, conv, nulls=1 - conv)
    chain = build_chain(j, 3)
    assert chain.states.shape[0] > 100
    direct = chain.removal_effects()
    monkeypatch.setattr(markov, "DIRECT_LIMIT", 10)  # the same chain through the iteration
    assert chain.removal_effects() == pytest.approx(direct, abs=1e-12)
