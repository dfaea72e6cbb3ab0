"""Opportunities: stage-by-stage progression, amounts, close dates with quarter-end seasonality.

Every opportunity starts in the first stage and moves forward one stage at a time to Closed Won
(from Negotiation) or Closed Lost (from any stage); a few planted stage skips break that rule and
are recorded in ground truth.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from revframe.demo.clock import biz_at, quarter_end_day, sday
from revframe.demo.config import AS_OF, DAY, LOST, STAGES, WON

_LOST_AT_W = [0.32, 0.26, 0.2, 0.14, 0.08]


@dataclass
class StageChange:
    stage: str
    probability: int
    forecast: str
    at: int
    amount: float | None
    close_date: int


@dataclass
class Opp:
    """One simulated opportunity with its stage history."""

    id: str
    name: str
    account_id: str
    contact_id: str | None
    owner_id: str
    type: str
    lead_source: str
    currency: str
    amount: float | None
    created: int
    close: int  # actual close time when closed, expected close date otherwise
    is_closed: bool
    is_won: bool
    history: list[StageChange] = field(default_factory=list)
    skip: tuple[str, str, str, int] | None = None  # (from, to, skipped, at)

    @property
    def stage(self) -> str:
        return self.history[-1].stage

    @property
    def probability(self) -> int:
        return self.history[-1].probability

    @property
    def forecast(self) -> str:
        return self.history[-1].forecast


def round_amount(x: float) -> float:
    """Round a deal amount the way reps do (to 100 / 500 / 1000)."""
    step = 100 if x < 20_000 else 500 if x < 100_000 else 1000
    return float(max(step, round(x / step) * step))


def simulate(
    r: random.Random,
    *,
    opp_id: str,
    name: str,
    account_id: str,
    contact_id: str | None,
    owner_id: str,
    tz: int,
    type_: str,
    lead_source: str,
    currency: str,
    amount: float,
    created: int,
    cycle_days: float,
    won: bool,
    plant_skip: bool = False,
    quarter_push: bool = True,
) -> Opp:
    """Simulate an opportunity from creation to its close (or to the as-of date when still open)."""
    if won:
        visited = list(range(len(STAGES)))
    else:
        lost_at = r.choices(range(len(STAGES)), _LOST_AT_W)[0]
        visited = list(range(lost_at + 1))
    close = created + int(cycle_days * DAY)
    if won and quarter_push:
        qe = quarter_end_day(close)
        if 0 <= qe - sday(close) <= 25 and r.random() < 0.45:
            close = biz_at(r, qe - r.randint(0, 3), tz)
    close = max(close, created + 3600)
    close = biz_at(r, sday(close), tz) if close - created > 2 * DAY else close
    close = max(close, created + 3600)
    # stage entry times: sorted fractions of the cycle
    fr = sorted(r.random() for _ in range(len(visited) - 1))
    entries = [created] + [created + int(f * (close - created) * 0.95) for f in fr]
    skip = None
    if plant_skip and len(visited) >= 3:
        hi = len(visited) if won else len(visited) - 1
        i = r.randrange(1, hi)
        skipped = visited.pop(i)
        entries.pop(i)
        frm = STAGES[visited[i - 1]][0]
        to = STAGES[visited[i]][0] if i < len(visited) else WON[0]
        at = entries[i] if i < len(entries) else close
        skip = (frm, to, STAGES[skipped][0], at)
    first_amount = round_amount(amount * r.uniform(0.7, 1.3)) if r.random() < 0.5 else amount
    planned = close + int(r.uniform(-0.25, 0.35) * (close - created))
    history: list[StageChange] = []
    for k, (st, t) in enumerate(zip(visited, entries, strict=True)):
        if t > AS_OF:
            break
        name_, prob, fc = STAGES[st]
        amt = first_amount if st < 3 else amount
        cd = planned if k < len(visited) - 1 or st < 4 else close
        history.append(StageChange(name_, prob, fc, t, amt, max(cd, t)))
    is_closed = close <= AS_OF
    if is_closed:
        name_, prob, fc = WON if won else LOST
        history.append(StageChange(name_, prob, fc, close, amount, close))
        close_date = close
    else:
        close_date = max(planned, AS_OF + r.randint(1, 60) * DAY) if r.random() < 0.85 else max(planned, created)
        if skip and skip[3] > AS_OF:
            skip = None
    if skip and not any(h.stage == skip[1] for h in history):
        skip = None
    return Opp(
        opp_id,
        name,
        account_id,
        contact_id,
        owner_id,
        type_,
        lead_source,
        currency,
        amount,
        created,
        close_date,
        is_closed,
        is_closed and won,
        history,
        skip,
    )


def nb_amount(r: random.Random, segment: str, employees: int, median_usd: float, sigma: float, fx: float) -> float:
    """A new-business ARR in the account's currency, growing with company size."""
    size = (max(employees, 10) / {"SMB": 60, "Mid-Market": 600, "Enterprise": 6000}[segment]) ** 0.25
    return round_amount(median_usd * size * math.exp(r.gauss(0, sigma)) * fx)


def cycle(r: random.Random, median_days: float, sigma: float = 0.5) -> float:
    """A sales-cycle length in days (log-normal)."""
    return max(2.0, median_days * math.exp(r.gauss(0, sigma)))
