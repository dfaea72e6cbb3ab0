"""Customers: subscriptions (ARR per contract term), renewals, expansions, contractions and churn,
plus what customers leave behind in other systems: support tickets, product usage, onboarding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from revframe.demo.clock import biz_at, sday
from revframe.demo.config import (
    AS_OF,
    DAY,
    EXPANSION_ODDS,
    FEATURES,
    HOUR,
    PRODUCTS,
    RENEWAL_ODDS,
    SEGMENT_ECONOMICS,
)
from revframe.demo.encode import bytes_col, format_times, ints, pick
from revframe.demo.pipeline import Opp, cycle, round_amount, simulate
from revframe.demo.rows import add_opportunity

if TYPE_CHECKING:
    from revframe.demo.company import Chunk
    from revframe.demo.world import AccountState

_SEAT_PRICE = {"USD": 720.0, "EUR": 660.0, "GBP": 570.0}
_MILESTONES = [
    ("Kickoff", 7),
    ("Technical Setup", 21),
    ("Data Integration", 35),
    ("Admin Training", 45),
    ("Go-Live", 60),
]
_ONB_SCALE = {"SMB": 1.0, "Mid-Market": 1.4, "Enterprise": 2.0}
#: each further expansion attempt in a contract year is this much less likely than the one before
_EXPANSION_DECAY = 0.6


def _day0(t: int) -> int:
    return t - t % DAY


def _month(t: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m")


def _date(t: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")


def customer_life(ch: Chunk, acc: AccountState, nb: Opp) -> int | None:
    """Subscriptions and renewal/expansion deals after a won new-business deal; returns the churn time."""
    r, w = ch.r, ch.w
    co = acc.co
    seg = co.segment
    gt = w.gt
    start = _day0(nb.close) + r.randint(1, 10) * DAY
    if start > AS_OF:
        return None
    csm = w.team.pick(r, "CSM", co.region, "", start)
    ae = w.team.pick(r, "AE", co.region, seg, start)
    cus = w.ids.stripe("cus")
    products: dict[str, float] = {PRODUCTS[0]: float(nb.amount or 0.0)}
    motions: list[tuple[str, int, float, str]] = [("new", start, products[PRODUCTS[0]], nb.id)]
    rows: list[dict] = []
    _onboarding(ch, acc, start, csm.name)
    churn: int | None = None
    med_cycle = SEGMENT_ECONOMICS[seg][0]
    expanded = False

    def sub_row(product: str, s: int, e: int, arr: float, opp_id: str) -> dict:
        seats = max(3, int(round(arr / _SEAT_PRICE[co.currency])))
        row = {
            "id": w.ids.stripe("sub"),
            "customer": cus,
            "sf_account_id": acc.id,
            "sf_opportunity_id": opp_id,
            "product": product,
            "price_id": f"price_{product.split(': ')[-1].lower().replace(' ', '_')}_annual",
            "quantity": seats,
            "plan_amount": arr,
            "plan_interval": "year",
            "currency": co.currency.lower(),
            "status": "active",
            "current_period_start": s,
            "current_period_end": e,
            "canceled_at": None,
            "created": min(AS_OF, max(s - DAY, nb.close) + r.randint(0, 4 * HOUR)),
        }
        rows.append(row)
        return row

    opp_of = {PRODUCTS[0]: nb.id}
    while True:
        end = start + 364 * DAY
        period = [sub_row(p, start, end, a, opp_of[p]) for p, a in products.items()]
        pitched: set[str] = set()
        last_pitch = 0  # day of this contract year's latest expansion attempt
        for k in range(w.scale.expansions_per_year):
            if r.random() >= EXPANSION_ODDS[seg] * _EXPANSION_DECAY**k:
                continue
            if not last_pitch:
                day = sday(start) + r.randint(45, 260)
            else:
                day = max(sday(start) + 45, last_pitch + 30) + r.randint(0, 180)
            last_pitch = day
            created = biz_at(r, day, ae.tz_idx)
            if created >= AS_OF or created >= end - 60 * DAY:
                continue
            amount = round_amount(products[PRODUCTS[0]] * r.uniform(0.15, 0.6))
            won = r.random() < 0.55
            contact = r.choice(acc.contacts)[0] if acc.contacts else nb.contact_id
            addon = next(
                (p for p in PRODUCTS[1:] if p not in products and p not in pitched),
                PRODUCTS[0] + " - Additional Seats",
            )
            pitched.add(addon)
            exp = simulate(
                r,
                opp_id=ch.new("006"),
                name=f"{co.name} - {addon}",
                account_id=acc.id,
                contact_id=contact,
                owner_id=ae.id,
                tz=ae.tz_idx,
                type_="Expansion",
                lead_source="Existing Customer",
                currency=co.currency,
                amount=amount,
                created=created,
                cycle_days=cycle(r, med_cycle * 0.45),
                won=won,
            )
            add_opportunity(ch, exp, ae, acc, 0.6)
            if exp.is_won and exp.close < end - 14 * DAY:
                s2 = _day0(exp.close) + DAY
                period.append(sub_row(addon, s2, end, amount, exp.id))
                products[addon] = products.get(addon, 0.0) + amount
                opp_of[addon] = exp.id
                motions.append(("expansion", s2, amount, exp.id))
                expanded = True
        lead_days = 45 if seg == "SMB" else 90
        rc = biz_at(r, sday(end) - lead_days + r.randint(-10, 10), ae.tz_idx)
        if rc > AS_OF:
            break
        total = sum(products.values())
        p_churn, p_contr, p_up = RENEWAL_ODDS[seg]
        u = r.random()
        new_products = dict(products)
        if u < p_churn:
            outcome = "churn"
        elif u < p_churn + p_contr:
            outcome = "contraction"
            new_products[PRODUCTS[0]] = round_amount(products[PRODUCTS[0]] * r.uniform(0.55, 0.9))
            addons = [p for p in products if p != PRODUCTS[0]]
            if addons and r.random() < 0.4:
                new_products.pop(r.choice(addons))
        elif u < p_churn + p_contr + p_up:
            outcome = "uplift"
            f = r.uniform(1.03, 1.12)
            new_products = {p: round_amount(a * f) for p, a in products.items()}
        else:
            outcome = "flat"
        new_total = sum(new_products.values())
        close = biz_at(r, sday(end) - r.randint(0, 20), ae.tz_idx)
        contact = r.choice(acc.contacts)[0] if acc.contacts else nb.contact_id
        ren = simulate(
            r,
            opp_id=ch.new("006"),
            name=f"{co.name} - Renewal {_date(end + DAY)[:4]}",
            account_id=acc.id,
            contact_id=contact,
            owner_id=ae.id,
            tz=ae.tz_idx,
            type_="Renewal",
            lead_source="Existing Customer",
            currency=co.currency,
            amount=total if outcome == "churn" else new_total,
            created=rc,
            cycle_days=max(1.0, (close - rc) / DAY),
            won=outcome != "churn",
            quarter_push=False,
        )
        add_opportunity(ch, ren, ae, acc, 0.5)
        if not ren.is_closed:
            break
        if outcome == "churn":
            for row in period:
                row["status"] = "canceled"
                row["canceled_at"] = ren.close
            churn = end + DAY
            if churn <= AS_OF:
                motions.append(("churn", churn, -total, ren.id))
            break
        next_start = end + DAY
        if next_start > AS_OF:
            break
        for row in period:
            row["status"] = "ended"
        if new_total != total:
            motions.append(("contraction" if new_total < total else "expansion", next_start, new_total - total, ren.id))
        products = new_products
        opp_of = {p: ren.id for p in products}
        start = next_start
    ch.rows["subscriptions"].extend(rows)
    for motion, t, delta, opp_id in motions:
        gt.rows["customer_motions"].append(
            {
                "account_id": acc.id,
                "source_system": "salesforce",
                "motion": motion,
                "month": _month(t),
                "effective_date": _date(t),
                "arr_delta": f"{delta:.2f}",
                "currency": co.currency,
                "opportunity_id": opp_id,
            }
        )
    gt.protected.add(acc.id)
    seats = max(3, int(round(products[PRODUCTS[0]] / _SEAT_PRICE[co.currency]))) if PRODUCTS[0] in products else 3
    feats = [FEATURES[PRODUCTS.index(p)] for p in products if p in PRODUCTS]
    ch.customers.append((acc, first_start(motions), churn, seats, feats, csm.idx, expanded))
    ch.won.append((acc, nb.close, csm.idx))
    return churn


def first_start(motions: list[tuple[str, int, float, str]]) -> int:
    return motions[0][1]


def _onboarding(ch: Chunk, acc: AccountState, start: int, csm_name: str) -> None:
    r = ch.r
    f = _ONB_SCALE[acc.co.segment]
    gs_id = f"1P02{acc.id[6:15].upper()}"
    done = True
    for name, offset in _MILESTONES:
        due = start + int(offset * f) * DAY
        completed = None
        if done and r.random() < 0.88:
            completed = due + int(r.gauss(-2, 6) * DAY) + r.randint(9, 17) * HOUR
            if completed > AS_OF:
                completed = None
        if completed is None:
            done = False
        if completed is not None:
            status = "Complete"
        elif due > AS_OF:
            status = "Not Started" if due - AS_OF > 14 * DAY else "In Progress"
        else:
            status = "Overdue" if r.random() < 0.7 else "In Progress"
        ch.rows["onboarding"].append(
            {
                "Milestone ID": f"MS-{ch.w.ids.counter('milestone'):07d}",
                "GS Company ID": gs_id,
                "sf_account_id": acc.id,
                "Company Name": acc.co.name,
                "Milestone": name,
                "Due Date": due,
                "Completed Date": completed,
                "Status": status,
                "CSM": csm_name,
            }
        )


# --- bulk: tickets and usage -----------------------------------------------------------------

_SUBJECTS = [
    "Dashboard not loading",
    "How do I set up lead routing?",
    "Salesforce sync error",
    "SSO login issue",
    "Question about invoice",
    "Duplicate records after import",
    "Attribution report looks wrong",
    "Feature request: custom fields",
    "API rate limit exceeded",
    "Need help with forecast setup",
    "User provisioning",
    "Data export request",
    "HubSpot connector disconnected",
    "Slow report performance",
]
_TYPES = ["question", "incident", "problem", "task"]
_PRIOS = ["low", "normal", "high", "urgent"]
_VIA = ["email", "web", "chat", "api"]
_TICKET_RATE = {"SMB": 0.35, "Mid-Market": 0.9, "Enterprise": 2.2}


def ticket_columns(ch: Chunk) -> dict[str, object] | None:
    """Zendesk ticket rows of the chunk's customers, column-wise."""
    g = ch.g
    parts: list[tuple] = []
    for acc, start, churn, _seats, _f, _csm, _exp in ch.customers:
        end = min(AS_OF, churn or AS_OF)
        months = max(0.0, (end - start) / (30 * DAY))
        if not acc.contacts or months <= 0:
            continue
        rate = _TICKET_RATE[acc.co.segment] * (1.6 if churn else 1.0)
        n = int(g.poisson(months * rate))
        if n == 0:
            continue
        t = np.sort(g.integers(start, end, n))
        who = g.integers(0, len(acc.contacts), n)
        parts.append((acc, t, who, churn is not None))
    if not parts:
        return None
    times = np.concatenate([p[1] for p in parts])
    n = len(times)
    acc_ids = np.concatenate([np.full(p[1].shape[0], p[0].id.encode(), dtype="S18") for p in parts])
    contact_ids = np.concatenate([np.array([p[0].contacts[i][0].encode() for i in p[2]], dtype="S18") for p in parts])
    names = [p[0].contacts[i][1] for p in parts for i in p[2]]
    emails = [p[0].contacts[i][2] or None for p in parts for i in p[2]]
    orgs = [p[0].co.name for p in parts for _ in p[1]]
    churned = np.concatenate([np.full(p[1].shape[0], p[3]) for p in parts])
    resolve = (np.exp(g.normal(2.5, 1.3, n)) * HOUR).astype(np.int64)
    solved = times + resolve
    age = AS_OF - times
    status = np.where(solved > AS_OF, np.where(g.random(n) < 0.6, 1, 2), np.where(age > 30 * DAY, 4, 3))
    solved = np.where(status >= 3, solved, -1)
    answered = (status >= 3) & (g.random(n) < 0.45)
    mean = np.where(churned, 3.1, 4.3)
    csat = np.clip(np.round(g.normal(mean, 0.9)), 1, 5).astype(np.int64)
    score = np.where(answered, np.where(csat >= 4, 0, 1), np.where(status >= 3, 2, 3))
    ticket_ids = np.arange(ch.w.ids.other["ticket"], ch.w.ids.other["ticket"] + n)
    ch.w.ids.other["ticket"] += n
    return {
        "Id": ints(ticket_ids),
        "Subject": pick(_SUBJECTS, g.integers(0, len(_SUBJECTS), n)),
        "Type": pick(_TYPES, g.choice(4, n, p=[0.5, 0.3, 0.1, 0.1])),
        "Priority": pick(_PRIOS, g.choice(4, n, p=[0.25, 0.5, 0.2, 0.05])),
        "Status": pick(["new", "open", "pending", "solved", "closed"], status),
        "Via": pick(_VIA, g.integers(0, 4, n)),
        "Requester": names,
        "Requester email": emails,
        "Organization": orgs,
        "sf_account_id": bytes_col(acc_ids),
        "sf_contact_id": bytes_col(contact_ids),
        "Satisfaction Score": pick(["good", "bad", "offered", "unoffered"], score),
        "CSAT": ints(csat, mask=~answered),
        "Created at": format_times(times, "iso"),
        "Solved at": format_times(solved, "iso"),
    }


def usage_columns(ch: Chunk) -> dict[str, object] | None:
    """Weekly usage per customer workspace and feature over the last 26 weeks."""
    g = ch.g
    last_monday = AS_OF - (AS_OF // DAY + 3) % 7 * DAY  # 1970-01-01 was a Thursday
    last_monday -= last_monday % DAY
    weeks = last_monday - np.arange(25, -1, -1) * 7 * DAY
    acc_col, feat_col, week_col, events_col, users_col = [], [], [], [], []
    for acc, start, churn, seats, feats, _csm, expanded in ch.customers:
        end = churn or AS_OF + DAY
        active = weeks[(weeks >= start - 6 * DAY) & (weeks < end)]
        if active.shape[0] == 0:
            continue
        adoption = g.uniform(0.3, 0.9)
        if churn:
            trend = np.clip((churn - active) / (16 * 7 * DAY), 0.15, 1.0)
        else:
            trend = 1.0 + (0.15 if expanded else 0.03) * (active - active[0]) / (26 * 7 * DAY)
        for k, feat in enumerate(feats):
            f_adopt = adoption * (1.0 if k == 0 else g.uniform(0.3, 0.8))
            u = np.maximum(0, np.round(seats * f_adopt * trend * g.lognormal(0, 0.15, active.shape[0])))
            u = np.minimum(u, seats).astype(np.int64)
            ev = np.round(u * g.uniform(15, 80) * g.lognormal(0, 0.3, active.shape[0])).astype(np.int64)
            acc_col.append(np.full(active.shape[0], acc.id.encode(), dtype="S18"))
            feat_col.append(np.full(active.shape[0], FEATURES.index(feat)))
            week_col.append(active)
            events_col.append(ev)
            users_col.append(u)
    if not acc_col:
        return None
    accs = bytes_col(np.concatenate(acc_col))
    ws = pc.binary_join_element_wise(pa.scalar("ws"), pc.utf8_slice_codeunits(accs, 5, 15), "-")
    feats_a = pick(FEATURES, np.concatenate(feat_col))
    week_a = format_times(np.concatenate(week_col), "date")
    return {
        "id": pc.binary_join_element_wise(ws, feats_a, week_a, ":"),
        "workspace_id": ws,
        "sf_account_id": accs,
        "feature": feats_a,
        "week_start": week_a,
        "events": ints(np.concatenate(events_col)),
        "active_users": ints(np.concatenate(users_col)),
    }
