"""HubSpot, the marketing automation system: synced copies of Salesforce people and companies,
marketing-only contacts (subscribers), auto-created companies and a small self-serve deal pipeline.

Every person or company with more than one record (Salesforce lead + converted contact, HubSpot
copy, planted duplicates) becomes one cluster in ``ground_truth/duplicates.csv``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revframe.demo import defects as dfx
from revframe.demo.accounts import Company
from revframe.demo.clock import biz_at
from revframe.demo.config import AS_OF, DAY, HOUR, MINUTE
from revframe.demo.people import claim_mailbox, person_name, personal_email, work_email
from revframe.demo.vocab.companies import INDUSTRIES
from revframe.demo.vocab.places import COUNTRIES
from revframe.demo.vocab.sources import HS_SOURCES

if TYPE_CHECKING:
    from revframe.demo.company import Chunk
    from revframe.demo.world import AccountState, Person

_LEAD_STATUS = {
    "Open - Not Contacted": "New",
    "Working - Contacted": "In Progress",
    "Nurturing": "Bad Timing",
    "Closed - Not Converted": "Unqualified",
    "Closed - Converted": "Open Deal",
}


def _country_name(country: str) -> str:
    return COUNTRIES[country]["names"][0][0]


def _company_row(ch: Chunk, co: Company, created: int, stage: str, typ: str) -> dict:
    r = ch.r
    name = co.name
    u = r.random()
    if u < 0.06:
        name = dfx.case_variant(r, co.name)
    elif u < 0.12:
        name = co.base
    return {
        "Record ID": ch.w.ids.hubspot("company"),
        "Company name": name,
        "Company Domain Name": co.domain,
        "Website URL": f"https://{co.domain}" if r.random() < 0.8 else None,
        "Industry": INDUSTRIES[co.industry][2],
        "Number of Employees": co.employees if r.random() < 0.8 else None,
        "Annual Revenue": int(co.annual_revenue) if r.random() < 0.5 else None,
        "Currency": co.currency,
        "Country/Region": _country_name(co.country),
        "State/Region": co.state or None,
        "City": co.city,
        "Phone Number": co.phone if r.random() < 0.6 else None,
        "Type": typ,
        "Lifecycle Stage": stage,
        "Parent Company ID": None,
        "Create Date": created,
        "Last Modified Date": min(AS_OF, created + r.randint(0, max(1, AS_OF - created))),
    }


def build(ch: Chunk) -> None:
    """HubSpot rows and duplicate clusters of a chunk."""
    r = ch.r
    gt = ch.w.gt
    # companies synced from / to Salesforce accounts
    for acc in ch.accounts:
        p = 0.92 if acc.first_lead is not None else 0.2
        if r.random() < p:
            created = min(acc.created, acc.first_lead or acc.created) + r.randint(-10 * MINUTE, 2 * HOUR)
            created = min(max(created, acc.created - 400 * DAY), AS_OF - HOUR)
            customer = acc.customer_since is not None and acc.churned_at is None
            stage = "customer" if customer else "opportunity" if acc.has_open_opp else "lead"
            row = _company_row(ch, acc.co, created, stage, "Customer" if customer else "Prospect")
            acc.hs_company = row["Record ID"]
            ch.rows["hs_companies"].append(row)
            acc.records.append(("accounts", "hubspot", row["Record ID"], "duplicate", "cross_system"))
        if len(acc.records) > 1:
            gt.cluster(acc.records)
    # auto-created companies of leads whose company is not in Salesforce; some buy self-serve
    hs_of_orphan: dict[int, str] = {}
    for co, pi in ch.orphan_companies:
        if r.random() < 0.7:
            row = _company_row(ch, co, ch.people[pi].created, "lead", "Prospect")
            ch.rows["hs_companies"].append(row)
            hs_of_orphan[pi] = row["Record ID"]
    # contacts
    hs_contact_of: dict[int, str] = {}
    for pi, person in enumerate(ch.people):
        inbound = bool(person.records) and person.records[0][2].startswith("00Q")
        p = 0.97 if inbound else 0.45
        if person.hs_ok and person.email and r.random() < p:
            account = ch.accounts[person.acct] if person.acct >= 0 else None
            company_id = account.hs_company if account else hs_of_orphan.get(pi)
            row = _contact_row(ch, person, account, company_id, inbound)
            ch.rows["hs_contacts"].append(row)
            hs_contact_of[pi] = row["Record ID"]
            person.records.append(("contacts", "hubspot", row["Record ID"], "duplicate", "cross_system"))
        if len(person.records) > 1:
            gt.cluster(person.records)
    # self-serve deals
    for co, pi in ch.orphan_companies:
        if pi in hs_of_orphan and pi in hs_contact_of and r.random() < 0.12:
            created = ch.people[pi].created + r.randint(1, 40) * DAY
            if created >= AS_OF:
                continue
            u = r.random()
            close = created + r.randint(0, 14) * DAY + r.randint(0, 6 * HOUR)
            stage, prob = (
                ("Closed Won", "1.0")
                if u < 0.55
                else ("Closed Lost", "0.0")
                if u < 0.8
                else ("Checkout Started", "0.2")
            )
            if close > AS_OF:
                stage, prob = "Checkout Started", "0.2"
            closed = stage != "Checkout Started"
            ch.rows["hs_deals"].append(
                {
                    "Record ID": ch.w.ids.hubspot("deal"),
                    "Deal Name": f"Starter plan - {co.base}",
                    "Pipeline": "Self-Serve",
                    "Deal Stage": stage,
                    "Amount": float(r.choice([1200, 2400, 3600, 6000])),
                    "Deal Currency Code": "USD",
                    "Deal probability": prob,
                    "Forecast category": {"Closed Won": "Closed won", "Closed Lost": "Omitted"}.get(stage, "Pipeline"),
                    "Deal Type": "newbusiness",
                    "Original Source": "DIRECT_TRAFFIC",
                    "Is Deal Closed?": closed,
                    "Is Closed Won": stage == "Closed Won",
                    "Close Date": close if closed else min(AS_OF + 14 * DAY, close + 14 * DAY),
                    "Associated Company ID": hs_of_orphan[pi],
                    "Associated Contact ID": hs_contact_of[pi],
                    "Create Date": created,
                    "Last Modified Date": min(AS_OF, close),
                }
            )
    # marketing-only contacts: newsletter subscribers, event badge scans...
    for _ in range(int(ch.n * 0.5)):
        country = r.choice(["US", "US", "US", "GB", "DE", "FR", "CA", "AU", "NL"])
        first, last = person_name(r, country)
        created = min(biz_at(r, ch.demand_day(), 0, 7, 22), AS_OF - HOUR)
        if ch.orphan_companies and r.random() < 0.4:
            co = r.choice(ch.orphan_companies)[0]
            email = claim_mailbox(ch.mailboxes, work_email(first, last, co.domain, co.email_pattern))
            company = co.name
        else:
            email, company = personal_email(r, first, last), None
        ch.rows["hs_contacts"].append(
            {
                "Record ID": ch.w.ids.hubspot("contact"),
                "First Name": first,
                "Last Name": last,
                "Email": email,
                "Company Name": company,
                "Country/Region": _country_name(country) if r.random() < 0.6 else None,
                "Original Source": r.choice(["EMAIL_MARKETING", "ORGANIC_SEARCH", "SOCIAL_MEDIA", "DIRECT_TRAFFIC"]),
                "Lifecycle Stage": "subscriber" if r.random() < 0.8 else "other",
                "Unsubscribed from all email": r.random() < 0.1,
                "Create Date": created,
                "Last Modified Date": min(AS_OF, created + r.randint(0, 200) * DAY),
            }
        )


def _contact_row(ch: Chunk, person: Person, acc: AccountState | None, company_id: str | None, inbound: bool) -> dict:
    r = ch.r
    created = person.created if inbound else person.created + r.randint(2 * MINUTE, 3 * DAY)
    created = min(created, AS_OF - MINUTE)
    stage = person.hs_stage
    if acc is not None and acc.customer_since is not None and acc.churned_at is None and not inbound:
        stage = "customer"
    elif acc is not None and acc.customer_since is not None and stage == "opportunity" and acc.churned_at is None:
        stage = "customer"
    return {
        "Record ID": ch.w.ids.hubspot("contact"),
        "First Name": person.first,
        "Last Name": person.last,
        "Email": (person.email or "").lower() or None,
        "Phone Number": person.phone,
        "Mobile Phone Number": person.mobile,
        "Job Title": person.title,
        "Company Name": person.company,
        "Website URL": person.website,
        "Associated Company ID": company_id,
        "Country/Region": _country_name(person.country),
        "State/Region": person.state or None,
        "City": person.city,
        "Original Source": HS_SOURCES.get(person.source, "OFFLINE"),
        "Lead Status": _LEAD_STATUS.get(person.lead_status),
        "Lifecycle Stage": stage,
        "Contact owner": None,
        "Became a Marketing Qualified Lead Date": person.mql,
        "Became a Sales Qualified Lead Date": person.sql,
        "Unsubscribed from all email": person.opt_out,
        "Create Date": created,
        "Last Modified Date": min(AS_OF, max(created, (person.sql or person.mql or created) + r.randint(0, 30 * DAY))),
    }
