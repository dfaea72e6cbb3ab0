"""Salesforce rows of the walk's records: Account, Contact, Opportunity and OpportunityHistory.

Each builder writes the row as the record looks at the as-of date (lifecycle stage, sparse
optional fields), lets :mod:`revframe.demo.planting` plant its defects and duplicates, and notes
the record on its real-world entity for the duplicate clusters of the ground truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revframe.demo import planting
from revframe.demo.clock import iso
from revframe.demo.config import AS_OF, DAY
from revframe.demo.pipeline import Opp
from revframe.demo.users import User
from revframe.demo.world import AccountState, Person

if TYPE_CHECKING:
    from revframe.demo.company import Chunk


def add_account(ch: Chunk, acc: AccountState) -> None:
    """The account's row once its history is known (type and lifecycle stage at the as-of date)."""
    r = ch.r
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
    planting.account_defects(ch, row, acc.id)
    ch.rows["Account"].append(row)
    acc.records.append(("accounts", "salesforce", acc.id, "original", ""))
    if r.random() < 0.025:
        planting.duplicate_account(ch, acc, row)


def add_contact(
    ch: Chunk, acc: AccountState, person: Person, contact_id: str, created: int, sdr_owner: User | None
) -> None:
    """A person's contact row on the account (owned by the SDR who sourced it, else the AE)."""
    r = ch.r
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
    email = planting.contact_defects(ch, row, person, contact_id)
    ch.rows["Contact"].append(row)
    acc.contacts.append((contact_id, f"{person.first} {person.last}", email or ""))
    person.records.append(("contacts", "salesforce", contact_id, "original", ""))
    v = r.random()
    if v < 0.03:
        planting.duplicate_contact(ch, acc, person, row)
    elif v < 0.04 and email:
        planting.lead_is_contact(ch, acc, person, row)


def add_opportunity(ch: Chunk, opp: Opp, owner: User, acc: AccountState, n_factor: float = 1.0) -> None:
    """An opportunity's row, its stage history, any planted stage skip, and its activity work.

    ``n_factor`` scales the number of sales activities logged against it.
    """
    r, gt = ch.r, ch.w.gt
    ch.opps.append(opp)
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
    planting.opportunity_defects(ch, row, opp)
    ch.rows["Opportunity"].append(row)
    for h in opp.history:
        ch.rows["OpportunityHistory"].append(
            {
                "Id": ch.new("008"),
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
            changed_at=iso(at),
        )
    hi = min(AS_OF, opp.history[-1].at)
    span = max(1, (hi - opp.created) // DAY)
    seg_f = {"SMB": 0.8, "Mid-Market": 1.2, "Enterprise": 1.8}[acc.co.segment]
    n = max(1, int(round((3 + span**0.7) * seg_f * n_factor * r.uniform(0.6, 1.4))))
    ch.opp_work.append((opp.id, acc.id, opp.contact_id or "", owner.idx, opp.created, hi, n))
