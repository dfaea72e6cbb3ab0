"""The company's history, one chunk of accounts at a time: the per-account walk through time.

For each account the simulation walks time forward: inbound leads arrive (with touchpoints),
become MQLs, get a first response from an SDR, qualify to SQL, convert to contacts and open
new-business opportunities (:mod:`revframe.demo.leads`); outbound SDR journeys do the same
without an MQL, and contacts are also created directly (:mod:`revframe.demo.contacts`). Won
deals (:mod:`revframe.demo.deals`) become customers whose contracts renew, expand, contract or
churn (:mod:`revframe.demo.revenue`). Rows are built in :mod:`revframe.demo.rows` and defects
planted in :mod:`revframe.demo.planting`. Bulk records (activities, touchpoints, usage) are
collected as compact work lists on the :class:`Chunk` and expanded with numpy in
:mod:`revframe.demo.activities` and :mod:`revframe.demo.touchpoints`.
"""

from __future__ import annotations

import math
import random

import numpy as np

from revframe.demo import contacts, leads, rows
from revframe.demo.accounts import Company
from revframe.demo.clock import DEMAND_CDF, TZ_INDEX, biz_at, sample_days, sday
from revframe.demo.config import AS_OF, DAY, HOUR, START
from revframe.demo.pipeline import Opp
from revframe.demo.vocab.places import COUNTRIES
from revframe.demo.world import AccountState, Person, World

_CONTACTS_MEAN = {"SMB": 6.0, "Mid-Market": 15.0, "Enterprise": 40.0}
_LEADS_MEAN = {"SMB": 2.6, "Mid-Market": 4.5, "Enterprise": 7.5}
_OUTBOUND_P = {"SMB": 0.15, "Mid-Market": 0.3, "Enterprise": 0.5}


class Chunk:
    """Simulates one chunk of accounts (plus leads of companies not in the CRM)."""

    def __init__(self, world: World, index: int, n_accounts: int) -> None:
        self.w = world
        self.index = index
        self.n = n_accounts
        self.r = random.Random(f"revframe-demo:{world.seed}:{index}")
        self.g = np.random.default_rng([world.seed, index, 17])
        self.rows: dict[str, list[dict]] = {
            k: []
            for k in (
                "Account",
                "Contact",
                "Lead",
                "Opportunity",
                "OpportunityHistory",
                "hs_contacts",
                "hs_companies",
                "hs_deals",
                "subscriptions",
                "onboarding",
            )
        }
        self.accounts: list[AccountState] = []
        self.people: list[Person] = []
        self.mailboxes: set[str] = set()  # work addresses given out: a company never gives one twice
        # work lists expanded by numpy later
        self.lead_work: list[tuple] = []  # (who, owner_idx, mql, first_action, end, breach)
        self.opp_work: list[tuple] = []  # (opp, account, contact, owner_idx, lo, hi, n)
        self.prospect_work: list[tuple] = []  # (who, account, owner_idx, lo, hi, n, automated share)
        self.csm_work: list[tuple] = []  # (account, contact, owner_idx, lo, hi, n)
        self.touch_fixed: list[tuple] = []  # (lead, contact, campaign idx, t)
        self.touch_random: list[tuple] = []  # (lead, contact, region idx, lo, hi, n)
        self.customers: list[tuple] = []  # customer intervals for tickets and usage
        self.won: list[tuple] = []  # (account, new-business close, CSM index): onboarding kickoffs
        self.opps: list[Opp] = []
        self.orphan_companies: list[tuple[Company, int]] = []
        n_days = world.scale.demand_days_per_account * n_accounts + 64
        days = sample_days(self.g, np.full(n_days, START), np.full(n_days, AS_OF - DAY), DEMAND_CDF)
        self._days = days.tolist()
        self._di = 0

    # --- helpers ---------------------------------------------------------------------------

    def demand_day(self) -> int:
        d = self._days[self._di % len(self._days)]
        self._di += 1
        return d

    def new(self, prefix: str) -> str:
        return self.w.ids.new(prefix)

    def poisson(self, lam: float) -> int:
        # Knuth for small lambda (deterministic with random.Random)
        if lam > 30:
            return max(0, int(round(self.r.gauss(lam, math.sqrt(lam)))))
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.r.random()
            if p <= limit:
                return k
            k += 1

    # --- the walk ----------------------------------------------------------------------------

    def run(self) -> None:
        for i in range(self.n):
            self.account(i)
        n_orphans = int(self.n * 1.1)
        for _ in range(n_orphans):
            leads.orphan_lead(self)

    def account(self, i: int) -> None:
        """One account's history: its journeys in time order, then its directly created contacts."""
        r, w = self.r, self.w
        co = w.factory.make(r)
        tz = TZ_INDEX[COUNTRIES[co.country]["tz"]]
        seg = co.segment
        if r.random() < 0.25:
            created0 = START + 14 * HOUR + r.randint(0, 3 * HOUR)  # go-live import
        else:
            created0 = biz_at(r, self.demand_day(), tz, 8, 19)
        owner = w.team.pick(r, "AE", co.region, seg, AS_OF if r.random() < 0.95 else created0)
        acc = AccountState(i, self.new("001"), co, tz, owner, created0)
        self.accounts.append(acc)
        # journeys: inbound leads and outbound SDR prospecting, in time order
        sc = w.scale
        n_leads = self.poisson(_LEADS_MEAN[seg] * sc.leads_per_account)
        starts = sorted((biz_at(r, self.demand_day(), tz, 6, 23), "in") for _ in range(n_leads))
        if r.random() < _OUTBOUND_P[seg]:
            starts.append((biz_at(r, self.demand_day(), tz), "out"))
            starts.sort()
        if sc.outbound_journeys > 0:
            # a bigger SDR team re-prospects accounts over the years (skipped while a deal is open
            # or the account is a customer)
            for _ in range(self.poisson(sc.outbound_journeys * _OUTBOUND_P[seg])):
                starts.append((biz_at(r, self.demand_day(), tz), "out"))
            starts.sort()
        converted: list[tuple[int, str]] = []
        for t, kind in starts:
            if kind == "in":
                c = leads.inbound_lead(self, acc, t)
            else:
                c = contacts.outbound(self, acc, t)
            if c:
                converted.append(c)
        first_conv = min((c[0] for c in converted), default=None)
        if first_conv is not None and (first_conv < acc.created or r.random() < 0.5):
            acc.created = first_conv - r.randint(5, 60)
        # directly created contacts
        target = max(
            1,
            int(
                round(
                    math.exp(r.gauss(math.log(_CONTACTS_MEAN[seg] * w.scale.contacts_per_account / 10.0) - 0.18, 0.6))
                )
            ),
        )
        for _ in range(max(0, target - len(converted))):
            if r.random() < 0.4:
                t = acc.created + r.randint(0, 600)
            else:
                lo_day = sday(acc.created)
                t = biz_at(r, lo_day + int(r.random() ** 1.5 * max(1, sday(AS_OF) - lo_day)), tz)
                t = max(t, acc.created + 60)
            if t < AS_OF:
                contacts.direct_contact(self, acc, t)
        rows.add_account(self, acc)


__all__ = ["Chunk"]
