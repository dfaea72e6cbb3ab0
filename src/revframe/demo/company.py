"""The company's history, one chunk of accounts at a time: people, funnel, pipeline and customers.

For each account the simulation walks time forward: inbound leads arrive (with touchpoints),
become MQLs, get a first response from an SDR, qualify to SQL, convert to contacts and open
new-business opportunities; outbound SDR journeys do the same without an MQL. Won deals become
customers whose contracts renew, expand, contract or churn (see :mod:`revframe.demo.revenue`).
Bulk records (activities, touchpoints, usage) are collected as compact work lists here and
expanded with numpy in :mod:`revframe.demo.activities` and :mod:`revframe.demo.touchpoints`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

from revframe.demo import defects as dfx
from revframe.demo.accounts import Company, CompanyFactory
from revframe.demo.campaigns import CHANNELS, EVENT_CHANNELS, FIRST_TOUCH_W, CampaignBook
from revframe.demo.clock import (
    DEMAND_CDF,
    TZ_INDEX,
    add_business_days,
    biz_at,
    is_weekend,
    local_hour,
    sample_days,
    sday,
)
from revframe.demo.config import (
    AS_OF,
    DAY,
    FX,
    HOUR,
    MINUTE,
    REGIONS,
    SEGMENT_ECONOMICS,
    START,
    Scale,
)
from revframe.demo.ids import IdBook
from revframe.demo.people import job_title, person_name, personal_email, phone, work_email
from revframe.demo.pipeline import Opp, cycle, nb_amount, simulate
from revframe.demo.users import Team, User
from revframe.demo.vocab import COUNTRIES

_CHANNEL_KEYS = list(CHANNELS)
_REGION_IDX = {r: i for i, r in enumerate(REGIONS)}
_CONTACTS_MEAN = {"SMB": 6.0, "Mid-Market": 15.0, "Enterprise": 40.0}
_LEADS_MEAN = {"SMB": 2.6, "Mid-Market": 4.5, "Enterprise": 7.5}
_OUTBOUND_P = {"SMB": 0.15, "Mid-Market": 0.3, "Enterprise": 0.5}
_P_MQL = {"SMB": 0.5, "Mid-Market": 0.55, "Enterprise": 0.6}
_P_SQL = 0.5
_DIRECT_SOURCES = [
    ("List Import", 0.35),
    ("Sales Generated", 0.3),
    ("Event", 0.15),
    ("Customer Referral", 0.05),
    ("Web", 0.15),
]


@dataclass
class World:
    """Everything shared by all chunks of one generation run."""

    seed: int
    scale: Scale
    ids: IdBook
    team: Team
    book: CampaignBook
    factory: CompanyFactory
    gt: dfx.GroundTruth


@dataclass
class Person:
    """One real-world person and every record that describes them."""

    first: str
    last: str
    email: str | None
    phone: str | None
    mobile: str | None
    title: str | None
    company: str
    website: str | None
    country: str
    country_label: str
    city: str
    state: str
    source: str
    created: int
    acct: int  # index of the account in the chunk, -1 for none
    mql: int | None = None
    sql: int | None = None
    hs_stage: str = "lead"
    lead_status: str = ""
    opt_out: bool = False
    records: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    hs_ok: bool = True  # may have a HubSpot copy


@dataclass
class AccountState:
    """One Salesforce account and the state of its relationship."""

    idx: int
    id: str
    co: Company
    tz: int
    owner: User
    created: int
    contacts: list[tuple[str, str, str]] = field(default_factory=list)
    blocked_until: int = 0
    customer_since: int | None = None
    churned_at: int | None = None
    has_open_opp: bool = False
    first_lead: int | None = None
    hs_company: str | None = None
    records: list[tuple[str, str, str, str, str]] = field(default_factory=list)


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
        # work lists expanded by numpy later
        self.lead_work: list[tuple] = []  # (who, owner_idx, mql, first_action, end, breach)
        self.opp_work: list[tuple] = []  # (opp, account, contact, owner_idx, lo, hi, n)
        self.prospect_work: list[tuple] = []  # (who, account, owner_idx, lo, hi, n, automated share)
        self.csm_work: list[tuple] = []  # (account, contact, owner_idx, lo, hi, n)
        self.touch_fixed: list[tuple] = []  # (lead, contact, campaign idx, t)
        self.touch_random: list[tuple] = []  # (lead, contact, region idx, lo, hi, n)
        self.customers: list[tuple] = []  # customer intervals for tickets and usage
        self.opps: list[Opp] = []
        self.orphan_companies: list[tuple[Company, int]] = []
        days = sample_days(
            self.g, np.full(8 * n_accounts + 64, START), np.full(8 * n_accounts + 64, AS_OF - DAY), DEMAND_CDF
        )
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

    # --- accounts ----------------------------------------------------------------------------

    def run(self) -> None:
        for i in range(self.n):
            self.account(i)
        n_orphans = int(self.n * 1.1)
        for _ in range(n_orphans):
            self.orphan_lead()

    def account(self, i: int) -> None:
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
        n_leads = self.poisson(_LEADS_MEAN[seg])
        starts = sorted((biz_at(r, self.demand_day(), tz, 6, 23), "in") for _ in range(n_leads))
        if r.random() < _OUTBOUND_P[seg]:
            starts.append((biz_at(r, self.demand_day(), tz), "out"))
            starts.sort()
        converted: list[tuple[int, str]] = []
        for t, kind in starts:
            if kind == "in":
                c = self.inbound_lead(acc, t)
            else:
                c = self.outbound(acc, t)
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
                self.direct_contact(acc, t)
        self.finish_account(acc)

    def finish_account(self, acc: AccountState) -> None:
        r = self.r
        co = acc.co
        now_customer = acc.customer_since is not None and acc.churned_at is None
        if now_customer:
            typ, stage = "Customer", "Customer"
        elif acc.churned_at is not None:
            typ, stage = "Former Customer", "Former Customer"
        else:
            typ = "Partner" if r.random() < 0.01 else "Prospect"
            stage = "Opportunity" if acc.has_open_opp else "Engaged" if acc.first_lead else "Target"
        row = {
            "Id": acc.id,
            "Name": co.name,
            "Website": co.website if r.random() < 0.92 else None,
            "Domain__c": co.domain if r.random() < 0.7 else None,
            "Industry": co.industry,
            "NumberOfEmployees": co.employees if r.random() < 0.93 else None,
            "AnnualRevenue": int(co.annual_revenue) if r.random() < 0.75 else None,
            "CurrencyIsoCode": co.currency,
            "BillingCity": co.city,
            "BillingState": co.state or None,
            "BillingCountry": co.country_label,
            "Phone": co.phone if r.random() < 0.85 else None,
            "Type": typ,
            "Segment__c": co.segment,
            "Lifecycle_Stage__c": stage,
            "OwnerId": acc.owner.id,
            "ParentId": None,
            "CreatedDate": acc.created,
            "LastModifiedDate": min(AS_OF, acc.created + r.randint(0, max(1, AS_OF - acc.created))),
        }
        gt = self.w.gt
        u = r.random()
        if u < 0.015:
            row["Industry"] = None
            gt.add(
                "missing_required",
                table="accounts",
                source_system="salesforce",
                external_id=acc.id,
                field="industry",
                column="Industry",
                defect="missing",
            )
        elif u < 0.025:
            row["BillingCountry"] = None
            gt.add(
                "missing_required",
                table="accounts",
                source_system="salesforce",
                external_id=acc.id,
                field="country",
                column="BillingCountry",
                defect="missing",
            )
        elif u < 0.03:
            value, kind = dfx.invalid_country(r)
            row["BillingCountry"] = value
            gt.add(
                "invalid_values",
                table="accounts",
                source_system="salesforce",
                external_id=acc.id,
                field="country",
                column="BillingCountry",
                value=value,
                defect=kind,
            )
        self.rows["Account"].append(row)
        acc.records.append(("accounts", "salesforce", acc.id, "original", ""))
        if r.random() < 0.025:
            self.duplicate_account(acc, row)

    def duplicate_account(self, acc: AccountState, row: dict) -> None:
        r = self.r
        co = acc.co
        kind = r.choice(["company_suffix", "company_suffix", "typo", "case", "missing_values"])
        dup = dict(row)
        dup["Id"] = self.new("001")
        dup["Type"], dup["Lifecycle_Stage__c"] = "Prospect", "Target"
        dup["CreatedDate"] = min(AS_OF - HOUR, acc.created + r.randint(5, 500) * DAY)
        dup["LastModifiedDate"] = dup["CreatedDate"]
        dup["OwnerId"] = self.w.team.pick(r, "AE", co.region, co.segment, dup["CreatedDate"]).id
        if kind == "company_suffix":
            dup["Name"] = dfx.suffix_variant(r, co.base, co.suffix)
            if dup["Name"] == co.name:
                dup["Name"] = co.base + " Group"
        elif kind == "typo":
            dup["Name"] = dfx.typo(r, co.base) + (f" {co.suffix}" if co.suffix else "")
        elif kind == "case":
            dup["Name"] = dfx.case_variant(r, co.name)
        else:
            dup["Website"] = dup["Domain__c"] = dup["Phone"] = None
            dup["Industry"] = dup["NumberOfEmployees"] = dup["AnnualRevenue"] = None
            self.w.gt.add(
                "missing_required",
                table="accounts",
                source_system="salesforce",
                external_id=dup["Id"],
                field="industry",
                column="Industry",
                defect="duplicate_missing_values",
            )
        if r.random() < 0.5 and kind != "missing_values":
            dup["Website"] = co.domain if r.random() < 0.5 else None
        self.rows["Account"].append(dup)
        acc.records.append(("accounts", "salesforce", dup["Id"], "duplicate", kind))

    # --- people ------------------------------------------------------------------------------

    def new_person(self, acc: AccountState | None, co: Company, created: int, source: str) -> Person:
        r = self.r
        first, last = person_name(r, co.country)
        title = job_title(r, co.segment)
        email = work_email(first, last, co.domain, co.email_pattern)
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
        self.people.append(p)
        return p

    def first_touch(self, t: int, region: str) -> tuple[int, int, str]:
        """(campaign idx, time, channel) of the touch that created a lead."""
        r = self.r
        ch = r.choices(_CHANNEL_KEYS, FIRST_TOUCH_W)[0]
        if ch in EVENT_CHANNELS:
            ev = self.w.book.event_near(t, max(START, t - 45 * DAY), min(AS_OF - DAY, t + 45 * DAY))
            if ev is not None:
                return ev[0], ev[1] + r.randint(0, 3 * HOUR), self.w.book.campaigns[ev[0]].channel
            ch = "organic"
        return self.w.book.always_on_for(t, ch, region), t, ch

    def inbound_lead(
        self, acc: AccountState | None, t: int, co: Company | None = None, can_convert: bool = True
    ) -> tuple[int, str] | None:
        """An inbound lead and its funnel; returns (conversion time, contact id) when it converts."""
        r, w = self.r, self.w
        co = co or acc.co  # type: ignore[union-attr]
        region = co.region
        camp, t0, ch = self.first_touch(t, region)
        lead_id = self.new("00Q")
        person = self.new_person(acc, co, t0, CHANNELS[ch][3])
        if acc is not None and acc.first_lead is None:
            acc.first_lead = t0
        created = t0 + r.randint(60, 8 * MINUTE)  # synced from HubSpot a few minutes later
        self.touch_fixed.append((lead_id, "", camp, t0))
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
            if mql <= created + 10 * MINUTE:
                mql = biz_at(r, add_business_days(sday(created), 1), sdr.tz_idx, a + 0.5, b - 2.5)
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
            self.touch_fixed.append((lead_id, "", trig, max(created, mql - r.randint(30, 600))))
            self.touch_random.append((lead_id, "", _REGION_IDX[region], created, mql - 600, self.poisson(2.4)))
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
            self.lead_work.append((lead_id, sdr.idx, mql, first if first is not None else -1, end, breach))
            gt = w.gt
            rt = {
                "table": "contacts",
                "source_system": "salesforce",
                "external_id": lead_id,
                "owner_id": sdr.id,
                "mql_at": _iso(mql),
                "assigned_at": _iso(mql),
                "first_automated_at": _iso(mql + 30) if mql + 30 <= AS_OF else None,
                "first_action_at": _iso(first) if first else None,
                "minutes": round((first - mql) / 60, 1) if first else None,
                "business_minutes": business_minutes(mql, first, sdr) if first else None,
                "planted_breach": "true" if breach else "false",
            }
            gt.add("response_times", **rt)
            if breach:
                gt.add(
                    "sla_breaches", **{k: v for k, v in rt.items() if k not in ("first_automated_at", "planted_breach")}
                )
        else:
            self.touch_random.append((lead_id, "", _REGION_IDX[region], created, end, self.poisson(1.5)))
        person.sql = sql
        contact_id = None
        opp_id = None
        if conv is not None and acc is not None:
            contact_id = self.new("003")
            person.hs_stage = "salesqualifiedlead"
            opp_id = self.maybe_nb_opp(acc, contact_id, conv, person.source, sdr)
            if opp_id:
                person.hs_stage = "opportunity"
            # post-MQL nurture touches until conversion carry both ids after conversion
            self.touch_random.append((lead_id, contact_id, _REGION_IDX[region], mql, conv, self.poisson(0.6)))
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
        self.lead_defects(lead, person)
        self.rows["Lead"].append(lead)
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
            self.contact_row(acc, person, contact_id, conv, sdr_owner=None)
            return conv, contact_id
        return None

    def lead_defects(self, lead: dict, person: Person) -> None:
        r, gt = self.r, self.w.gt
        u = r.random()
        lid = lead["Id"]
        if u < 0.005 and lead["Email"]:
            value, kind = dfx.invalid_email(r, lead["Email"])
            lead["Email"] = value
            gt.add(
                "invalid_values",
                table="contacts",
                source_system="salesforce",
                external_id=lid,
                field="email",
                column="Email",
                value=value,
                defect=kind,
            )
        elif u < 0.01 and lead["Phone"]:
            value, kind = dfx.invalid_phone(r)
            lead["Phone"] = value
            gt.add(
                "invalid_values",
                table="contacts",
                source_system="salesforce",
                external_id=lid,
                field="phone",
                column="Phone",
                value=value,
                defect=kind,
            )
        elif u < 0.015:
            lead["Email"] = None
            person.hs_ok = False
            gt.add(
                "missing_required",
                table="contacts",
                source_system="salesforce",
                external_id=lid,
                field="email",
                column="Email",
                defect="missing",
            )
        elif u < 0.035:
            lead["Country"] = None
            gt.add(
                "missing_required",
                table="contacts",
                source_system="salesforce",
                external_id=lid,
                field="country",
                column="Country",
                defect="missing",
            )

    def maybe_nb_opp(self, acc: AccountState, contact_id: str, at: int, source: str, sdr: User | None) -> str | None:
        """A new-business opportunity at conversion, unless one is open or the account is a customer."""
        r, w = self.r, self.w
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
        opp_id = self.new("006")
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
        self.add_opp(opp, ae, acc)
        if opp.is_closed and not opp.is_won and r.random() < 0.3:
            # the deal comes back after a while ("recycled" opportunity on the same contact)
            again = opp.close + r.randint(60, 240) * DAY
            if again < AS_OF:
                acc.blocked_until = 0
                self.maybe_nb_opp(acc, contact_id, again, source, sdr)
                return opp_id
        if opp.is_closed:
            acc.blocked_until = opp.close + r.randint(30, 180) * DAY
            if opp.is_won:
                from revframe.demo.revenue import customer_life

                churn = customer_life(self, acc, opp)
                acc.customer_since = opp.close
                acc.churned_at = churn
                acc.blocked_until = (churn + r.randint(120, 400) * DAY) if churn else AS_OF + DAY
        else:
            acc.blocked_until = AS_OF + DAY
            acc.has_open_opp = True
        return opp_id

    def add_opp(self, opp: Opp, owner: User, acc: AccountState, n_factor: float = 1.0) -> None:
        r, gt = self.r, self.w.gt
        self.opps.append(opp)
        last = opp.history[-1].at
        row = {
            "Id": opp.id,
            "Name": opp.name,
            "AccountId": opp.account_id,
            "ContactId": opp.contact_id,
            "OwnerId": opp.owner_id,
            "StageName": opp.stage,
            "Amount": opp.amount,
            "CurrencyIsoCode": opp.currency,
            "Probability": opp.probability,
            "ForecastCategoryName": opp.forecast,
            "Type": opp.type,
            "LeadSource": opp.lead_source,
            "IsClosed": opp.is_closed,
            "IsWon": opp.is_won,
            "CloseDate": opp.close,
            "CreatedDate": opp.created,
            "LastModifiedDate": min(AS_OF, last + r.randint(0, 5 * DAY)),
        }
        if not opp.is_closed and opp.history[-1].probability <= 20 and r.random() < 0.08:
            row["Amount"] = None
            gt.add(
                "missing_required",
                table="opportunities",
                source_system="salesforce",
                external_id=opp.id,
                field="amount",
                column="Amount",
                defect="missing",
            )
        self.rows["Opportunity"].append(row)
        for h in opp.history:
            self.rows["OpportunityHistory"].append(
                {
                    "Id": self.new("008"),
                    "OpportunityId": opp.id,
                    "StageName": h.stage,
                    "Amount": h.amount if row["Amount"] is not None else None,
                    "Probability": h.probability,
                    "ForecastCategory": h.forecast,
                    "CloseDate": h.close_date,
                    "CreatedById": opp.owner_id,
                    "CreatedDate": h.at,
                }
            )
        if opp.skip:
            frm, to, skipped, at = opp.skip
            gt.add(
                "stage_skips",
                table="opportunities",
                source_system="salesforce",
                external_id=opp.id,
                from_stage=frm,
                to_stage=to,
                skipped_stage=skipped,
                changed_at=_iso(at),
            )
        hi = min(AS_OF, opp.history[-1].at)
        span = max(1, (hi - opp.created) // DAY)
        seg_f = {"SMB": 0.8, "Mid-Market": 1.2, "Enterprise": 1.8}[acc.co.segment]
        n = max(1, int(round((3 + span**0.7) * seg_f * n_factor * r.uniform(0.6, 1.4))))
        self.opp_work.append((opp.id, acc.id, opp.contact_id or "", owner.idx, opp.created, hi, n))

    def outbound(self, acc: AccountState, t: int) -> tuple[int, str] | None:
        """An SDR-sourced journey: a contact created by prospecting, a meeting, maybe an opportunity."""
        r, w = self.r, self.w
        co = acc.co
        if t < acc.blocked_until:
            return None
        sdr = w.team.pick(r, "SDR", co.region, "", t)
        person = self.new_person(acc, co, t, "Outbound")
        contact_id = self.new("003")
        s = biz_at(r, sday(t) + r.randint(5, 45), sdr.tz_idx)
        n = r.randint(3, 8)
        self.prospect_work.append((contact_id, acc.id, sdr.idx, t + 60, min(AS_OF, s), n, 0.5))
        if s > AS_OF or r.random() < 0.45:
            self.contact_row(acc, person, contact_id, t, sdr_owner=sdr)
            return t, contact_id
        person.sql = s
        person.hs_stage = "salesqualifiedlead"
        if self.maybe_nb_opp(acc, contact_id, s, "Outbound", sdr):
            person.hs_stage = "opportunity"
        self.contact_row(acc, person, contact_id, t, sdr_owner=sdr)
        return t, contact_id

    def direct_contact(self, acc: AccountState, t: int) -> None:
        r = self.r
        src = r.choices([s for s, _ in _DIRECT_SOURCES], [w for _, w in _DIRECT_SOURCES])[0]
        person = self.new_person(acc, acc.co, t, src)
        person.hs_ok = r.random() < 0.4
        person.hs_stage = "lead"
        contact_id = self.new("003")
        self.contact_row(acc, person, contact_id, t, sdr_owner=None)
        if r.random() < 0.55:
            lo = t + 60
            n = r.randint(1, 7)
            owner = acc.owner if r.random() < 0.6 else self.w.team.pick(r, "SDR", acc.co.region, "", t)
            self.prospect_work.append((contact_id, acc.id, owner.idx, lo, AS_OF, n, 0.4))
        self.touch_random.append(("", contact_id, _REGION_IDX[acc.co.region], t, AS_OF, self.poisson(1.8)))

    def contact_row(
        self, acc: AccountState, person: Person, contact_id: str, created: int, sdr_owner: User | None
    ) -> None:
        r, gt = self.r, self.w.gt
        if acc.customer_since is not None and acc.churned_at is None:
            stage = "Customer"
        elif person.hs_stage == "opportunity":
            stage = "Opportunity"
        elif person.sql:
            stage = "SQL"
        elif person.mql:
            stage = "MQL"
        else:
            stage = "Lead"
        row = {
            "Id": contact_id,
            "AccountId": acc.id,
            "FirstName": person.first,
            "LastName": person.last,
            "Email": person.email,
            "Phone": person.phone,
            "MobilePhone": person.mobile,
            "Title": person.title,
            "MailingCity": person.city,
            "MailingState": person.state or None,
            "MailingCountry": person.country_label if r.random() < 0.8 else None,
            "LeadSource": person.source,
            "Lifecycle_Stage__c": stage,
            "OwnerId": (sdr_owner or acc.owner).id,
            "MQL_Date__c": person.mql,
            "SQL_Date__c": person.sql,
            "HasOptedOutOfEmail": person.opt_out,
            "CreatedDate": created,
            "LastModifiedDate": min(AS_OF, created + r.randint(0, max(1, AS_OF - created))),
        }
        u = r.random()
        if u < 0.005 and row["Email"]:
            value, kind = dfx.invalid_email(r, row["Email"])
            row["Email"] = value
            gt.add(
                "invalid_values",
                table="contacts",
                source_system="salesforce",
                external_id=contact_id,
                field="email",
                column="Email",
                value=value,
                defect=kind,
            )
        elif u < 0.01 and row["Phone"]:
            value, kind = dfx.invalid_phone(r)
            row["Phone"] = value
            gt.add(
                "invalid_values",
                table="contacts",
                source_system="salesforce",
                external_id=contact_id,
                field="phone",
                column="Phone",
                value=value,
                defect=kind,
            )
        elif u < 0.018:
            row["Email"] = None
            person.hs_ok = False
            gt.add(
                "missing_required",
                table="contacts",
                source_system="salesforce",
                external_id=contact_id,
                field="email",
                column="Email",
                defect="missing",
            )
        elif u < 0.035:
            row["Title"] = None
            gt.add(
                "missing_required",
                table="contacts",
                source_system="salesforce",
                external_id=contact_id,
                field="title",
                column="Title",
                defect="missing",
            )
        self.rows["Contact"].append(row)
        acc.contacts.append((contact_id, f"{person.first} {person.last}", row["Email"] or ""))
        person.records.append(("contacts", "salesforce", contact_id, "original", ""))
        v = r.random()
        if v < 0.03:
            self.duplicate_contact(acc, person, row)
        elif v < 0.04 and row["Email"]:
            self.lead_is_contact(acc, person, row)

    def duplicate_contact(self, acc: AccountState, person: Person, row: dict) -> None:
        r, gt = self.r, self.w.gt
        kind = r.choice(["typo", "nickname", "case", "swapped_names", "missing_values", "personal_email"])
        dup = dict(row)
        dup["Id"] = self.new("003")
        created = min(AS_OF - HOUR, row["CreatedDate"] + r.randint(3, 400) * DAY)
        dup.update(
            {
                "CreatedDate": created,
                "LastModifiedDate": created,
                "MQL_Date__c": None,
                "SQL_Date__c": None,
                "LeadSource": r.choice(["List Import", "Event", "Sales Generated"]),
                "Lifecycle_Stage__c": "Lead" if row["Lifecycle_Stage__c"] != "Customer" else "Customer",
            }
        )
        first, last = person.first, person.last
        domain = acc.co.domain
        if kind == "nickname":
            nick = dfx.nickname(r, first)
            if nick is None:
                kind = "typo"
            else:
                dup["FirstName"] = nick
                if r.random() < 0.5:
                    dup["Email"] = work_email(nick, last, domain, acc.co.email_pattern)
        if kind == "typo":
            if r.random() < 0.7:
                dup["LastName"] = dfx.typo(r, last)
            else:
                dup["FirstName"] = dfx.typo(r, first)
            if r.random() < 0.5:
                dup["Email"] = work_email(dup["FirstName"], dup["LastName"], domain, acc.co.email_pattern)
        elif kind == "case":
            dup["FirstName"] = dfx.case_variant(r, first)
            dup["LastName"] = dfx.case_variant(r, last)
            if dup["Email"] and r.random() < 0.5:
                dup["Email"] = dup["Email"].upper() if r.random() < 0.5 else dup["Email"].title()
        elif kind == "swapped_names":
            dup["FirstName"], dup["LastName"] = last, first
        elif kind == "missing_values":
            dup["Email"] = dup["Phone"] = dup["MobilePhone"] = dup["Title"] = dup["MailingCountry"] = None
            for fld, col in (("email", "Email"), ("title", "Title")):
                gt.add(
                    "missing_required",
                    table="contacts",
                    source_system="salesforce",
                    external_id=dup["Id"],
                    field=fld,
                    column=col,
                    defect="duplicate_missing_values",
                )
        elif kind == "personal_email":
            dup["Email"] = personal_email(r, first, last)
            dup["Phone"] = None
        self.rows["Contact"].append(dup)
        acc.contacts.append((dup["Id"], f"{dup['FirstName']} {dup['LastName']}", dup["Email"] or ""))
        person.records.append(("contacts", "salesforce", dup["Id"], "duplicate", kind))

    def lead_is_contact(self, acc: AccountState, person: Person, row: dict) -> None:
        r = self.r
        lead_id = self.new("00Q")
        created = min(AS_OF - HOUR, row["CreatedDate"] + r.randint(10, 500) * DAY)
        co = acc.co
        self.rows["Lead"].append(
            {
                "Id": lead_id,
                "FirstName": row["FirstName"],
                "LastName": row["LastName"],
                "Email": row["Email"] if r.random() < 0.7 else (row["Email"] or "").lower(),
                "Phone": row["Phone"],
                "MobilePhone": None,
                "Title": row["Title"],
                "Company": co.name if r.random() < 0.5 else dfx.suffix_variant(r, co.base, co.suffix),
                "Website": None,
                "City": co.city,
                "State": co.state or None,
                "Country": co.country_label,
                "LeadSource": r.choice(["Webinar", "Event", "Content Syndication"]),
                "Status": "Open - Not Contacted",
                "Lifecycle_Stage__c": "Lead",
                "OwnerId": self.w.team.integration.id,
                "IsConverted": False,
                "ConvertedContactId": None,
                "ConvertedAccountId": None,
                "ConvertedOpportunityId": None,
                "ConvertedDate": None,
                "MQL_Date__c": None,
                "SQL_Date__c": None,
                "HasOptedOutOfEmail": False,
                "CreatedDate": created,
                "LastModifiedDate": created,
            }
        )
        person.records.append(("contacts", "salesforce", lead_id, "duplicate", "lead_is_contact"))

    def orphan_lead(self) -> None:
        """A lead at a company that is not (yet) an account in the CRM."""
        r = self.r
        co = self.w.factory.make(r)
        tz = TZ_INDEX[COUNTRIES[co.country]["tz"]]
        t = biz_at(r, self.demand_day(), tz, 6, 23)
        self.inbound_lead(None, t, co=co, can_convert=False)
        self.people[-1].company = co.name if r.random() < 0.7 else co.base
        self.people[-1].acct = -1
        # keep the company for HubSpot (auto-created companies)
        self.people[-1].hs_ok = self.people[-1].hs_ok and r.random() < 0.95
        self.orphan_companies.append((co, len(self.people) - 1))


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


def _iso(t: int | None) -> str | None:
    if t is None:
        return None
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def business_minutes(start: int, end: int, user: User) -> float:
    """Minutes between two times that fall in the user's working hours (Mon-Fri, local time)."""
    total = 0.0
    a, b = user.hours
    tz = user.tz_idx
    t = start
    guard = 0
    while t < end and guard < 40:
        guard += 1
        d = sday(t)
        h = local_hour(t, tz)
        day_start = t - int(h * HOUR)
        if not is_weekend(d):
            ws, we = day_start + int(a * HOUR), day_start + int(b * HOUR)
            lo, hi = max(t, ws), min(end, we)
            if hi > lo:
                total += (hi - lo) / 60
        t = day_start + DAY
    return round(total, 1)


__all__ = ["Chunk", "World"]
