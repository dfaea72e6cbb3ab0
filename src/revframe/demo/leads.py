"""Inbound leads: first touch, MQL, the SDR's first response, SQL and conversion.

An inbound lead is created by a marketing touch (an event, or an always-on campaign of its
channel), may become an MQL (after a trigger touch) and get a first genuine response from an SDR
(a few planted responses breach the SLA), may qualify to SQL and convert into a contact with a
new-business opportunity. Every MQL's response time goes to ``ground_truth/response_times.csv``.
Leads at companies that are not accounts in the CRM ("orphan" leads) never convert.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from revframe.demo.accounts import Company
from revframe.demo.campaigns import CHANNELS, EVENT_CHANNELS, FIRST_TOUCH_W
from revframe.demo.clock import TZ_INDEX, add_business_days, biz_at, business_minutes, iso, local_hour, sday
from revframe.demo.config import AS_OF, DAY, HOUR, MINUTE, REGION_INDEX, START
from revframe.demo.contacts import new_person
from revframe.demo.deals import maybe_nb_opp
from revframe.demo.planting import lead_defects
from revframe.demo.rows import add_contact
from revframe.demo.vocab.places import COUNTRIES
from revframe.demo.world import AccountState

if TYPE_CHECKING:
    from revframe.demo.company import Chunk

_CHANNEL_KEYS = list(CHANNELS)
_P_MQL = {"SMB": 0.5, "Mid-Market": 0.55, "Enterprise": 0.6}
_P_SQL = 0.5


def first_touch(ch: Chunk, t: int, region: str) -> tuple[int, int, str]:
    """(campaign idx, time, channel) of the touch that created a lead."""
    r = ch.r
    ch_key = r.choices(_CHANNEL_KEYS, FIRST_TOUCH_W)[0]
    if ch_key in EVENT_CHANNELS:
        ev = ch.w.book.event_near(t, max(START, t - 45 * DAY), min(AS_OF - DAY, t + 45 * DAY))
        if ev is not None:
            return ev[0], ev[1] + r.randint(0, 3 * HOUR), ch.w.book.campaigns[ev[0]].channel
        ch_key = "organic"
    return ch.w.book.always_on_for(t, ch_key, region), t, ch_key


def inbound_lead(
    ch: Chunk, acc: AccountState | None, t: int, co: Company | None = None, can_convert: bool = True
) -> tuple[int, str] | None:
    """An inbound lead and its funnel; returns (conversion time, contact id) when it converts.

    The lead is at ``acc``'s company, or at ``co`` for a company that is not an account.
    """
    r, w = ch.r, ch.w
    if co is None:
        if acc is None:
            raise ValueError("an inbound lead needs an account or a company")
        co = acc.co
    region = co.region
    camp, t0, channel = first_touch(ch, t, region)
    lead_id = ch.new("00Q")
    person = new_person(ch, acc, co, t0, CHANNELS[channel][3])
    if acc is not None and acc.first_lead is None:
        acc.first_lead = t0
    created = t0 + r.randint(60, 8 * MINUTE)  # synced from HubSpot a few minutes later
    ch.touch_fixed.append((lead_id, "", camp, t0))
    sdr = w.team.pick(r, "SDR", region, "", created)
    seg = co.segment
    mql = first = sql = conv = None
    end = min(AS_OF, created + 180 * DAY)
    breach = False
    owner = w.team.integration
    if r.random() < _P_MQL[seg]:
        gap = 0 if r.random() < 0.2 else int(min(150.0, math.exp(r.gauss(math.log(10), 1.0))) * DAY)
        a, b = sdr.hours
        mql = biz_at(r, sday(created + gap), sdr.tz_idx, a + 0.5, b - 2.5)
        day = sday(created)
        while mql <= created + 10 * MINUTE:  # "next business day" in the SDR's zone can still be today in UTC
            day = add_business_days(day, 1)
            mql = biz_at(r, day, sdr.tz_idx, a + 0.5, b - 2.5)
        if mql > AS_OF:
            mql = None
    if mql is not None:
        sdr = w.team.pick(r, "SDR", region, "", mql)
        owner = sdr
        a, b = sdr.hours
        if r.random() < 0.06:
            breach = True
            # at least one full working day later: same local clock time or later, 1-3 days on
            day = add_business_days(sday(mql), r.randint(1, 3))
            h = local_hour(mql, sdr.tz_idx)
            first = biz_at(r, day, sdr.tz_idx, min(h + 0.1, b - 0.3), b - 0.2)
        else:
            delay = r.uniform(40, 300) if r.random() < 0.35 else min(7200.0, 60 * math.exp(r.gauss(2.9, 0.9)))
            first = mql + int(delay)
        # the MQL trigger (demo request / high-intent touch) just before the MQL
        trig = w.book.always_on_for(mql, "organic", region)
        ch.touch_fixed.append((lead_id, "", trig, max(created, mql - r.randint(30, 600))))
        ch.touch_random.append((lead_id, "", REGION_INDEX[region], created, mql - 600, ch.poisson(2.4)))
        end = min(AS_OF, mql + r.randint(3, 25) * DAY)
        person.mql = mql
        if first > AS_OF:
            first = None
        if first is not None and can_convert and acc is not None and r.random() < _P_SQL:
            s = first + int(math.exp(r.gauss(math.log(4), 0.9)) * DAY)
            s = biz_at(r, sday(s), sdr.tz_idx, a, b - 0.5)
            if s <= first + 30 * MINUTE:
                s = first + r.randint(30, 180) * MINUTE
            if s <= AS_OF:
                sql = s
                conv = min(AS_OF, s + r.randint(10 * MINUTE, 20 * HOUR))
                end = sql
        ch.lead_work.append((lead_id, sdr.idx, mql, first if first is not None else -1, end, breach))
        gt = w.gt
        rt = {
            "table": "contacts",
            "source_system": "salesforce",
            "external_id": lead_id,
            "owner_id": sdr.id,
            "mql_at": iso(mql),
            "assigned_at": iso(mql),
            "first_automated_at": iso(mql + 30) if mql + 30 <= AS_OF else None,
            "first_action_at": iso(first) if first else None,
            "minutes": round((first - mql) / 60, 1) if first else None,
            "business_minutes": business_minutes(mql, first, sdr.hours, sdr.tz_idx) if first else None,
            "planted_breach": "true" if breach else "false",
        }
        gt.add("response_times", **rt)
        if breach:
            gt.add("sla_breaches", **{k: v for k, v in rt.items() if k not in ("first_automated_at", "planted_breach")})
    else:
        ch.touch_random.append((lead_id, "", REGION_INDEX[region], created, end, ch.poisson(1.5)))
    person.sql = sql
    contact_id = None
    opp_id = None
    if conv is not None and acc is not None:
        contact_id = ch.new("003")
        person.hs_stage = "salesqualifiedlead"
        opp_id = maybe_nb_opp(ch, acc, contact_id, conv, person.source, sdr)
        if opp_id:
            person.hs_stage = "opportunity"
        # post-MQL nurture touches until conversion carry both ids after conversion
        ch.touch_random.append((lead_id, contact_id, REGION_INDEX[region], mql, conv, ch.poisson(0.6)))
    status, stage = lead_status(r, created, mql, first, sql, conv)
    person.lead_status = status
    if mql and not sql:
        person.hs_stage = "marketingqualifiedlead"
    elif not mql:
        person.hs_stage = "lead" if r.random() < 0.7 else "subscriber"
    lead = {
        "Id": lead_id,
        "FirstName": person.first,
        "LastName": person.last,
        "Email": person.email,
        "Phone": person.phone,
        "MobilePhone": person.mobile,
        "Title": person.title,
        "Company": person.company,
        "Website": person.website,
        "City": co.city,
        "State": co.state or None,
        "Country": co.country_label,
        "LeadSource": person.source,
        "Status": status,
        "Lifecycle_Stage__c": stage,
        "OwnerId": owner.id,
        "IsConverted": conv is not None,
        "ConvertedContactId": contact_id,
        "ConvertedAccountId": acc.id if conv is not None and acc else None,
        "ConvertedOpportunityId": opp_id,
        "ConvertedDate": conv,
        "MQL_Date__c": mql,
        "SQL_Date__c": sql,
        "HasOptedOutOfEmail": person.opt_out,
        "CreatedDate": created,
        "LastModifiedDate": min(AS_OF, max(created, conv or end)),
    }
    lead_defects(ch, lead, person)
    ch.rows["Lead"].append(lead)
    person.records.append(
        (
            "contacts",
            "salesforce",
            lead_id,
            "original" if conv is None else "converted_lead",
            "" if conv is None else "converted_lead",
        )
    )
    if conv is not None and acc is not None and contact_id is not None:
        add_contact(ch, acc, person, contact_id, conv, sdr_owner=None)
        return conv, contact_id
    return None


def orphan_lead(ch: Chunk) -> None:
    """A lead at a company that is not (yet) an account in the CRM."""
    r = ch.r
    co = ch.w.factory.make(r)
    tz = TZ_INDEX[COUNTRIES[co.country]["tz"]]
    t = biz_at(r, ch.demand_day(), tz, 6, 23)
    inbound_lead(ch, None, t, co=co, can_convert=False)
    ch.people[-1].company = co.name if r.random() < 0.7 else co.base
    ch.people[-1].acct = -1
    # keep the company for HubSpot (auto-created companies)
    ch.people[-1].hs_ok = ch.people[-1].hs_ok and r.random() < 0.95
    ch.orphan_companies.append((co, len(ch.people) - 1))


def lead_status(
    r: random.Random, created: int, mql: int | None, first: int | None, sql: int | None, conv: int | None
) -> tuple[str, str]:
    """(Status, Lifecycle_Stage__c) of a lead at the as-of date."""
    if conv is not None:
        return "Closed - Converted", "SQL"
    if mql is None:
        if AS_OF - created < 30 * DAY:
            return "Open - Not Contacted", "Lead"
        return ("Nurturing", "Lead") if r.random() < 0.6 else ("Closed - Not Converted", "Disqualified")
    if first is None or AS_OF - mql < 21 * DAY:
        return ("Working - Contacted" if first else "Open - Not Contacted"), "MQL"
    return ("Nurturing", "Recycled") if r.random() < 0.55 else ("Closed - Not Converted", "Disqualified")
