"""Benchmark: every attribution model on 1M synthetic journeys over 15 channels; exact Markov against simulation.

    .venv/bin/python bench/attribution.py [--journeys 1000000] [--channels 15] [--draws 10000000] [--seed 7]
    .venv/bin/python bench/attribution.py --journeys 100000 --draws 1000000     # a quick run

Journeys are generated with numpy from ``--seed``: lengths 1-20 (geometric, mean about 4), channels
drawn with unequal popularity, days between touches exponential; a journey converts with a
probability that rises with the channels it holds (each channel has its own lift), converters get
a lognormal won amount. Then, in one process and one after the other:

  1. each model (first, last, linear, time_decay, u_shaped, w_shaped, full_path, markov at the
     spec's default order 1, shapley exact over 2^15 coalitions) through ``credit_journeys``: its
     time and its peak memory above the journeys (tracemalloc), and the process's peak RSS so far;
     every model's credits are checked to add up to each journey's conversions;
  2. Markov at orders 2, 3 and 4: states, time;
  3. the order-1 chain solved exactly (17 sparse solves: P(conversion) and one per removed channel)
     against a Monte-Carlo estimate of the same chain with ``--draws`` walks (one set of walks
     gives every removal effect): time of each, and the simulation's absolute error per channel.

Targets (issue 6): all models on 1M journeys in at most 60 s; the exact Markov faster than a
simulation with 1e7 draws (and with no sampling error). Prints the 1-minute load average first.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from revframe.attribution.credit import MODELS, credit_journeys  # noqa: E402
from revframe.attribution.journeys import Journeys  # noqa: E402
from revframe.attribution.markov import build_chain, simulate  # noqa: E402
from revframe.framework.attribution import Attribution  # noqa: E402

TARGET_ALL_S = 60.0


def generate(n: int, k: int, seed: int) -> Journeys:
    """``n`` journeys over ``k`` channels, vectorised."""
    g = np.random.default_rng(seed)
    lengths = np.minimum(g.geometric(0.25, n), 20).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    popularity = g.dirichlet(np.full(k, 2.0))
    channel = g.choice(k, int(offsets[-1]), p=popularity).astype(np.int64)
    lift = g.uniform(0.02, 0.25, k)
    jt = np.repeat(np.arange(n), lengths)
    # P(convert) = 1 - prod over distinct channels of (1 - lift): repeated channels add nothing
    first_of_pair = np.ones(channel.shape[0], dtype=bool)
    pair = jt * k + channel
    _, first_idx = np.unique(pair, return_index=True)
    first_of_pair[:] = False
    first_of_pair[first_idx] = True
    log_miss = np.bincount(jt, weights=np.where(first_of_pair, np.log1p(-lift[channel]), 0.0), minlength=n)
    p = 1.0 - np.exp(log_miss)
    conv = (g.random(n) < p).astype(np.float64)
    value = np.where(conv > 0, np.round(g.lognormal(10, 1, n), 2), 0.0)
    gaps = g.exponential(6.0, channel.shape[0])  # days between touches, newest last
    # days before the conversion: reverse cumulative sum of gaps within each journey
    csum = np.cumsum(gaps)
    end = csum[offsets[1:] - 1]
    days_before = end[jt] - csum
    return Journeys(
        channels=[f"channel_{c:02d}" for c in range(k)], offsets=offsets, channel=channel, conversions=conv,
        value=value, nulls=1.0 - conv, days_before=days_before,
    )  # fmt: skip


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--journeys", type=int, default=1_000_000)
    ap.add_argument("--channels", type=int, default=15)
    ap.add_argument("--draws", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cpus {os.cpu_count()}")
    t = time.perf_counter()
    j = generate(args.journeys, args.channels, args.seed)
    took = time.perf_counter() - t
    print(f"generated {j.n:,} journeys, {j.channel.shape[0]:,} touches, {args.channels} channels, "
          f"{int(j.conversions.sum()):,} conversions in {took:.1f} s; RSS {rss_mb():.0f} MB")  # fmt: skip
    spec = Attribution()
    jt = j.journey_of_touch
    total = 0.0
    print(f"\n{'model':<11} {'time s':>8} {'peak MB':>8} {'RSS MB':>8}  check")
    for m in MODELS:
        tracemalloc.start()
        t = time.perf_counter()
        (mc,) = credit_journeys(j, [m], spec)
        dt = time.perf_counter() - t
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        total += dt
        err = float(np.abs(np.bincount(jt, weights=mc.credit(j), minlength=j.n) - j.conversions).max())
        print(f"{m:<11} {dt:8.2f} {peak / 2**20:8.0f} {rss_mb():8.0f}  credits add up (max error {err:.1e})")
        assert err < 1e-9, m
    verdict = "met" if total <= TARGET_ALL_S else "MISSED"
    print(f"{'all models':<11} {total:8.2f}   target <= {TARGET_ALL_S:.0f} s: {verdict}")

    print("\nMarkov by order (exact: chain + 1 + channels sparse solves)")
    for order in (1, 2, 3, 4):
        t = time.perf_counter()
        chain = build_chain(j, order)
        effects = chain.removal_effects()
        print(f"  order {order}: {chain.states.shape[0]:>6,} states, {time.perf_counter() - t:6.2f} s, "
              f"removal effects {effects.min():.3f}-{effects.max():.3f}")  # fmt: skip

    print(f"\nExact vs Monte-Carlo ({args.draws:,} draws), order 1")
    chain = build_chain(j, 1)
    t = time.perf_counter()
    p_exact = chain.conversion_probability()
    eff_exact = chain.removal_effects()
    t_exact = time.perf_counter() - t
    t = time.perf_counter()
    p_sim, eff_sim = simulate(chain, args.draws, seed=args.seed)
    t_sim = time.perf_counter() - t
    err = np.abs(eff_sim - eff_exact)
    print(f"  exact:      {t_exact:7.4f} s  P(conversion) {p_exact:.6f}  sampling error 0")
    print(f"  simulation: {t_sim:7.2f} s  P(conversion) {p_sim:.6f}  |error| {abs(p_sim - p_exact):.2e}")
    print(f"  removal effects, |simulation - exact|: max {err.max():.2e}, mean {err.mean():.2e}")
    for c, name in enumerate(chain.channels):
        print(f"    {name}: exact {eff_exact[c]:.5f}  simulated {eff_sim[c]:.5f}  |error| {err[c]:.1e}")
    print(f"  exact faster than simulation: {'yes' if t_exact < t_sim else 'NO'} ({t_sim / t_exact:.0f}x)")
    print(f"\npeak RSS {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
