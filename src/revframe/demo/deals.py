"""New-business deals: the opportunity opened when a lead converts or an SDR books a meeting.

A lost deal may come back later on the same contact; a won deal makes the account a customer
(subscriptions, renewals, expansions and churn in :mod:`revframe.demo.revenue`). While a deal is
open, or the account is a customer, no other new-business deal starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revframe.demo.config import AS_OF, DAY, FX, MINUTE, SEGMENT_ECONOMICS
from revframe.demo.pipeline import cycle, nb_amount, simulate
from revframe.demo.revenue import customer_life
from revframe.demo.rows import add_opportunity
from revframe.demo.users import User
from revframe.demo.world import AccountState

if TYPE_CHECKING:
    from revframe.demo.company import Chunk


def maybe_nb_opp(ch: Chunk, acc: AccountState, contact_id: str, at: int, source: str, sdr: User | None) -> str | None:
    """A new-business opportunity at conversion, unless one is open or the account is a customer."""
    r, w = ch.r, ch.w
    if at < acc.blocked_until:
        return None
    co = acc.co
    seg = co.segment
    med_cycle, win, med_arr, sigma = SEGMENT_ECONOMICS[seg]
    ae = w.team.pick(r, "AE", co.region, seg, at)
    created = at + r.randint(0, 40 * MINUTE)
    if created > AS_OF:
        return None
    amount = nb_amount(r, seg, co.employees, med_arr, sigma, FX[co.currency])
    won = r.random() < win
    opp_id = ch.new("006")
    opp = simulate(
        r,
        opp_id=opp_id,
        name=f"{co.name} - Northwind Platform",
        account_id=acc.id,
        contact_id=contact_id,
        owner_id=ae.id,
        tz=ae.tz_idx,
        type_="New Business",
        lead_source=source,
        currency=co.currency,
        amount=amount,
        created=created,
        cycle_days=cycle(r, med_cycle * (1 if won else 0.8)),
        won=won,
        plant_skip=r.random() < 0.04,
    )
    add_opportunity(ch, opp, ae, acc)
    if opp.is_closed and not opp.is_won and r.random() < w.scale.recycle_p:
        # the deal comes back after a while ("recycled" opportunity on the same contact)
        again = opp.close + r.randint(60, 240) * DAY
        if again < AS_OF:
            acc.blocked_until = 0
            maybe_nb_opp(ch, acc, contact_id, again, source, sdr)
            return opp_id
    if opp.is_closed:
        acc.blocked_until = opp.close + r.randint(30, 180) * DAY
        if opp.is_won:
            churn = customer_life(ch, acc, opp)
            acc.customer_since = opp.close
            acc.churned_at = churn
            acc.blocked_until = (churn + r.randint(120, 400) * DAY) if churn else AS_OF + DAY
    else:
        acc.blocked_until = AS_OF + DAY
        acc.has_open_opp = True
    return opp_id
