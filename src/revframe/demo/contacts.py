"""People at accounts: a new person and the contact journeys that do not start with an inbound lead.

An outbound journey is an SDR prospecting someone into a contact, booking a meeting and maybe
opening a new-business opportunity; a direct contact is created by hand, by list import or at an
event, and may get prospecting activities and marketing touches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revframe.demo import defects as dfx
from revframe.demo.accounts import Company
from revframe.demo.clock import biz_at, sday
from revframe.demo.config import AS_OF, REGION_INDEX
from revframe.demo.deals import maybe_nb_opp
from revframe.demo.people import claim_mailbox, job_title, person_name, phone, work_email
from revframe.demo.rows import add_contact
from revframe.demo.world import AccountState, Person

if TYPE_CHECKING:
    from revframe.demo.company import Chunk

_DIRECT_SOURCES = [
    ("List Import", 0.35),
    ("Sales Generated", 0.3),
    ("Event", 0.15),
    ("Customer Referral", 0.05),
    ("Web", 0.15),
]


def new_person(ch: Chunk, acc: AccountState | None, co: Company, created: int, source: str) -> Person:
    """A person at a company (name, title, work email, phones), registered with the chunk."""
    r = ch.r
    first, last = person_name(r, co.country)
    title = job_title(r, co.segment)
    email = claim_mailbox(ch.mailboxes, work_email(first, last, co.domain, co.email_pattern))
    ph = phone(r, co.country, co.area) if r.random() < 0.7 else None
    mob = phone(r, co.country, co.area, mobile=True) if r.random() < 0.35 else None
    typed = co.name
    u = r.random()
    if u < 0.15:
        typed = co.base
    elif u < 0.22:
        typed = dfx.case_variant(r, co.name)
    p = Person(
        first,
        last,
        email,
        ph,
        mob,
        title.title,
        typed,
        co.website if r.random() < 0.4 else None,
        co.country,
        co.country_label,
        co.city,
        co.state,
        source,
        created,
        acc.idx if acc else -1,
        opt_out=r.random() < 0.04,
    )
    ch.people.append(p)
    return p


def outbound(ch: Chunk, acc: AccountState, t: int) -> tuple[int, str] | None:
    """An SDR-sourced journey: a contact created by prospecting, a meeting, maybe an opportunity."""
    r, w = ch.r, ch.w
    co = acc.co
    if t < acc.blocked_until:
        return None
    sdr = w.team.pick(r, "SDR", co.region, "", t)
    person = new_person(ch, acc, co, t, "Outbound")
    contact_id = ch.new("003")
    s = biz_at(r, sday(t) + r.randint(5, 45), sdr.tz_idx)
    n = r.randint(3, 8)
    ch.prospect_work.append((contact_id, acc.id, sdr.idx, t + 60, min(AS_OF, s), n, 0.5))
    if s > AS_OF or r.random() < 0.45:
        add_contact(ch, acc, person, contact_id, t, sdr_owner=sdr)
        return t, contact_id
    person.sql = s
    person.hs_stage = "salesqualifiedlead"
    if maybe_nb_opp(ch, acc, contact_id, s, "Outbound", sdr):
        person.hs_stage = "opportunity"
    add_contact(ch, acc, person, contact_id, t, sdr_owner=sdr)
    return t, contact_id


def direct_contact(ch: Chunk, acc: AccountState, t: int) -> None:
    """A contact created directly on the account (list import, sales, event, referral, web)."""
    r = ch.r
    src = r.choices([s for s, _ in _DIRECT_SOURCES], [w for _, w in _DIRECT_SOURCES])[0]
    person = new_person(ch, acc, acc.co, t, src)
    person.hs_ok = r.random() < 0.4
    person.hs_stage = "lead"
    contact_id = ch.new("003")
    add_contact(ch, acc, person, contact_id, t, sdr_owner=None)
    if r.random() < 0.55:
        lo = t + 60
        n = r.randint(1, 7)
        owner = acc.owner if r.random() < 0.6 else ch.w.team.pick(r, "SDR", acc.co.region, "", t)
        ch.prospect_work.append((contact_id, acc.id, owner.idx, lo, AS_OF, n, 0.4))
    ch.touch_random.append(("", contact_id, REGION_INDEX[acc.co.region], t, AS_OF, ch.poisson(1.8)))
