"""Shapley values of channels: a coalition of channels is worth the conversions it can explain alone.

``v(S)`` is the conversions (and revenue) of journeys whose every channel is in ``S``. Up to the
spec's exact limit (15 channels by default: 2^15 coalitions) every coalition's worth is computed by a
subset-sum (zeta) transform over bitmasks and the Shapley formula is summed exactly. Above it, random
permutations estimate the values, with a standard error per channel.

Because ``v`` is a sum over journeys, the Shapley value is too (the additivity axiom): each journey's
conversion goes in equal parts to its distinct channels (Zhao et al. 2018). Credits per conversion
use that; the coalition computation gives the same totals per channel and is reported as a check.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

from revframe.attribution.journeys import FloatArray, IntArray, Journeys, split_by_channel


@dataclass
class ShapleyValues:
    """Per channel: Shapley value in conversions and revenue, and the standard error (0 when exact)."""

    conversions: FloatArray
    revenue: FloatArray
    stderr: FloatArray
    exact: bool
    samples: int = 0


def channel_sets(j: Journeys) -> IntArray:
    """Per journey, the bitmask of its distinct channels."""
    if len(j.channels) > 62:
        raise ValueError("Shapley over more than 62 channels is not supported")
    bits = np.left_shift(np.int64(1), j.channel)
    return np.bitwise_or.reduceat(bits, j.offsets[:-1]) if j.n else np.zeros(0, dtype=np.int64)


def shapley_shares(j: Journeys) -> FloatArray:
    """Per touch, its share of its journey: an equal part per distinct channel, split over that channel's touches."""
    return split_by_channel(j, np.ones(len(j.channels)))


def shapley_values(j: Journeys, exact_limit: int = 15, samples: int = 2000, seed: int = 0) -> ShapleyValues:
    """Channel Shapley values of ``v(S)`` = conversions (revenue) of journeys within ``S``.

    Examples:
        >>> from revframe.attribution.journeys import from_paths
        >>> sv = shapley_values(from_paths([["a", "b"], ["a"]], [1, 1]))
        >>> sv.conversions.tolist()
        [1.5, 0.5]
    """
    n = len(j.channels)
    masks = channel_sets(j)
    sets, inverse = np.unique(masks, return_inverse=True)
    w: FloatArray = np.stack(
        [
            np.bincount(inverse, weights=j.conversions, minlength=sets.shape[0]),
            np.bincount(inverse, weights=j.value, minlength=sets.shape[0]),
        ],
        axis=1,
    ).astype(np.float64)
    if n <= exact_limit:
        phi = _exact(n, sets, w)
        return ShapleyValues(phi[:, 0], phi[:, 1], np.zeros(n), True)
    mean, se = _sampled(n, sets, w, samples, seed)
    return ShapleyValues(mean[:, 0], mean[:, 1], se[:, 0], False, samples)


def _exact(n: int, sets: IntArray, w: FloatArray) -> FloatArray:
    size = 1 << n
    v = np.zeros((size, w.shape[1]))
    np.add.at(v, sets, w)
    for i in range(n):  # zeta transform: v[S] = sum of w[T] over T subset of S
        blocks = v.reshape(-1, 2, 1 << i, w.shape[1])  # a view: bit i clear, then set
        blocks[:, 1] += blocks[:, 0]
    masks = np.arange(size, dtype=np.int64)
    popcount = np.zeros(size, dtype=np.int64)
    for i in range(n):
        popcount += (masks >> i) & 1
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)] + [0.0])
    phi = np.zeros((n, w.shape[1]))
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = (weight[popcount[without]][:, None] * (v[without | (1 << i)] - v[without])).sum(axis=0)
    return phi


def _sampled(n: int, sets: IntArray, w: FloatArray, samples: int, seed: int) -> tuple[FloatArray, FloatArray]:
    """Permutation sampling: a set's worth goes to its member that comes last in the permutation."""
    rng = np.random.default_rng(seed)
    member = ((sets[:, None] >> np.arange(n)) & 1).astype(bool)
    total = np.zeros((n, w.shape[1]))
    total_sq = np.zeros((n, w.shape[1]))
    for _ in range(samples):
        rank = rng.permutation(n)
        last = np.argmax(np.where(member, rank[None, :], -1), axis=1)
        contrib = np.stack([np.bincount(last, weights=w[:, k], minlength=n) for k in range(w.shape[1])], axis=1)
        total += contrib
        total_sq += contrib**2
    mean = total / samples
    var = np.maximum(total_sq / samples - mean**2, 0.0) * samples / max(samples - 1, 1)
    return mean, np.sqrt(var / samples)
