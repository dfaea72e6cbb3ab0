"""Markov-chain attribution, solved exactly: absorption probabilities from a sparse linear system.

States are the last ``order`` channels of a journey (1 to 4); each journey walks start -> its touch
states -> conversion (``conversions`` times) or null (``nulls`` times). With ``Q`` the transitions
between touch states and ``r`` the step into conversion, the conversion probability from each state
is ``x = (I - Q)^-1 r`` (:func:`absorption`), and P(conversion) is the start distribution times ``x``.
Removing a channel sends every walk that enters a state holding it to null: the same solve over the
other states. The removal effect of a channel is ``1 - P(conversion without it) / P(conversion)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from revframe.attribution.journeys import FloatArray, IntArray, Journeys, split_by_channel


@dataclass
class MarkovChain:
    """The chain of one set of journeys at one order.

    Attributes:
        order: states remember this many channels.
        states: per transient state, its code (channels, most recent first, base ``len(channels) + 1``).
        start: start probabilities per state.
        q: transitions between states (CSR, rows add up with ``conv`` and ``null`` to 1).
        conv, null: per state, the probability of converting / dropping out next.
        holds: ``holds[c]`` is the boolean mask of states that hold channel ``c``.
    """

    order: int
    channels: list[str]
    states: IntArray
    start: FloatArray
    q: sp.csr_matrix
    """Transitions between states."""
    conv: FloatArray
    null: FloatArray
    holds: list[np.ndarray]

    def conversion_probability(self, without: int | None = None) -> float:
        """P(a walk from the start converts), optionally with channel ``without`` removed."""
        keep = np.ones(self.states.shape[0], dtype=bool) if without is None else ~self.holds[without]
        if not keep.any():
            return 0.0
        idx = np.flatnonzero(keep)
        x = absorption(self.q[idx][:, idx], self.conv[idx])
        return float(self.start[idx] @ x)

    def removal_effects(self) -> FloatArray:
        """Per channel, ``1 - P(conv | channel removed) / P(conv)`` (0 for all when nothing converts)."""
        base = self.conversion_probability()
        if base <= 0:
            return np.zeros(len(self.channels))
        return np.array([1.0 - self.conversion_probability(c) / base for c in range(len(self.channels))])


DIRECT_LIMIT = 1000
"""Chains up to this many states are solved by sparse LU; larger ones by fixed-point iteration (see absorption)."""


def absorption(q: sp.csr_matrix, r: FloatArray, max_iter: int = 100_000) -> FloatArray:
    """The solution of ``(I - Q) x = r``: per state, the probability of ending in conversion.

    Small chains: sparse LU. Larger chains of higher order fill an LU in (order 4: a million
    non-zeros from twenty thousand), so they iterate ``x <- r + Q x``, which converges for an
    absorbing chain, until an update changes nothing at double precision; the residual is then
    checked (at most 1e-12), else LU after all. Either way the result is the linear system's, not a sample.
    """
    k = q.shape[0]
    if k <= DIRECT_LIMIT:
        return np.asarray(splu((sp.identity(k, format="csc") - q).tocsc()).solve(r), dtype=np.float64)
    q = q.tocsr()
    x = r.copy()
    for _ in range(max_iter):
        nxt = r + q @ x
        if np.abs(nxt - x).max() <= 1e-15 * max(1.0, float(np.abs(nxt).max())):
            x = nxt
            break
        x = nxt
    if np.abs(x - q @ x - r).max() > 1e-12:
        return np.asarray(splu((sp.identity(k, format="csc") - q).tocsc()).solve(r), dtype=np.float64)
    return np.asarray(x, dtype=np.float64)


def state_codes(j: Journeys, order: int) -> IntArray:
    """Per touch, the code of its state: its channel and the ``order - 1`` before it in the journey."""
    base = len(j.channels) + 1
    pos = j.position
    code = np.zeros(j.channel.shape[0], dtype=np.int64)
    for lag in range(order):
        prev = np.where(pos >= lag, j.channel[np.maximum(np.arange(j.channel.shape[0]) - lag, 0)] + 1, 0)
        code += prev * base**lag
    return code


def build_chain(j: Journeys, order: int = 1) -> MarkovChain:
    """Count transitions of every journey (weighted by conversions plus nulls) into a chain."""
    if not 1 <= order <= 4:
        raise ValueError("Markov order must be 1 to 4")
    codes = state_codes(j, order)
    states, sid = np.unique(codes, return_inverse=True)
    k = states.shape[0]
    weight = j.conversions + j.nulls
    jt = j.journey_of_touch
    first, last = j.offsets[:-1], j.offsets[1:] - 1
    inner = np.ones(codes.shape[0], dtype=bool)
    inner[last] = False
    src, dst = sid[inner], sid[np.flatnonzero(inner) + 1]
    counts = sp.coo_matrix((weight[jt][inner], (src, dst)), shape=(k, k)).tocsr()
    counts.sum_duplicates()
    to_conv = np.bincount(sid[last], weights=j.conversions, minlength=k)
    to_null = np.bincount(sid[last], weights=j.nulls, minlength=k)
    out = np.asarray(counts.sum(axis=1)).ravel() + to_conv + to_null
    safe = np.where(out > 0, out, 1.0)
    q = sp.diags(1.0 / safe) @ counts
    start = np.bincount(sid[first], weights=weight, minlength=k)
    start = start / start.sum() if start.sum() > 0 else start
    base = len(j.channels) + 1
    digits = [(states // base**lag) % base for lag in range(order)]
    holds = [np.any(np.stack([d == c + 1 for d in digits]), axis=0) for c in range(len(j.channels))]
    return MarkovChain(order, list(j.channels), states.astype(np.int64), np.asarray(start, dtype=np.float64),
                       sp.csr_matrix(q), to_conv / safe, to_null / safe, holds)  # fmt: skip


def markov_shares(j: Journeys, order: int = 1) -> tuple[FloatArray, FloatArray, float]:
    """Per touch, its share of its journey by removal effect; also the removal effects and P(conversion).

    A journey's credit goes to its channels in proportion to their removal effects (a channel's part
    split evenly over its touches), so each conversion's credits add up to it.
    """
    chain = build_chain(j, order)
    effects = chain.removal_effects()
    return split_by_channel(j, np.maximum(effects, 0.0)), effects, chain.conversion_probability()


def simulate(chain: MarkovChain, draws: int, seed: int = 0, batch: int = 1_000_000) -> tuple[float, FloatArray]:
    """Monte-Carlo estimate of P(conversion) and of each removal effect by walking the chain.

    One set of walks serves every channel: a walk converts without channel ``c`` when it converts and
    never visits a state holding ``c``. For the benchmark: the exact solve should match it.
    """
    rng = np.random.default_rng(seed)
    k = chain.states.shape[0]
    n_ch = len(chain.channels)
    q = chain.q.tocsr()
    # Next-step table per state: transient targets, then conversion (k) and null (k + 1).
    indptr = np.zeros(k + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.diff(q.indptr) + 2)
    targets = np.empty(indptr[-1], dtype=np.int64)
    cum = np.empty(indptr[-1], dtype=np.float64)
    for s in range(k):  # once per state, not per walk
        a, b = q.indptr[s], q.indptr[s + 1]
        t = np.concatenate([q.indices[a:b], [k, k + 1]])
        probs = np.concatenate([q.data[a:b], [chain.conv[s], chain.null[s]]])
        targets[indptr[s] : indptr[s + 1]] = t
        cum[indptr[s] : indptr[s + 1]] = np.cumsum(probs) / max(probs.sum(), 1e-300)
    state_mask = np.zeros(k, dtype=np.int64)
    for c in range(n_ch):
        state_mask |= chain.holds[c].astype(np.int64) << c
    start_cum = np.cumsum(chain.start)
    converted = 0
    converted_without = np.zeros(n_ch)
    done = 0
    while done < draws:
        m = min(batch, draws - done)
        done += m
        state = np.minimum(np.searchsorted(start_cum, rng.random(m) * start_cum[-1], side="right"), k - 1)
        seen = state_mask[state]
        alive = np.arange(m)
        conv = np.zeros(m, dtype=bool)
        while alive.shape[0]:
            s = state[alive]
            lo, hi = indptr[s], indptr[s + 1]
            u = rng.random(alive.shape[0])
            # Position of u in each state's cumulative row: a vectorised search over ragged rows.
            step = _ragged_search(cum, lo, hi, u)
            nxt = targets[step]
            conv[alive[nxt == k]] = True
            going = nxt < k
            alive, nxt = alive[going], nxt[going]
            state[alive] = nxt
            seen[alive] |= state_mask[nxt]
        converted += int(conv.sum())
        for c in range(n_ch):
            converted_without[c] += int((conv & ((seen >> c) & 1 == 0)).sum())
    p = converted / draws
    effects: FloatArray = 1.0 - (converted_without / draws) / p if p > 0 else np.zeros(n_ch)
    return p, effects


def _ragged_search(cum: FloatArray, lo: IntArray, hi: IntArray, u: FloatArray) -> IntArray:
    """Per walk, the first index in ``cum[lo:hi]`` whose value exceeds ``u`` (binary search, all walks at once)."""
    a, b = lo.copy(), hi - 1
    while True:
        open_ = a < b
        if not open_.any():
            return a
        mid = (a + b) // 2
        right = cum[mid] <= u
        a = np.where(open_ & right, mid + 1, a)
        b = np.where(open_ & ~right, mid, b)
