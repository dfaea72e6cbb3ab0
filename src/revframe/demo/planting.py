"""Where the walk plants defects: blank required fields, invalid values and duplicate records.

Each planter draws from the chunk's random source, changes or adds rows and records what it
planted in the ground truth (``missing_required``, ``invalid_values``; duplicates become records
of their real-world entity, clustered later). The mutations themselves (typos, nicknames, case
and suffix variants, invalid emails, phones and countries) are in :mod:`revframe.demo.defects`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revframe.demo import defects as dfx
from revframe.demo.config import AS_OF, DAY, HOUR
from revframe.demo.people import personal_email, work_email
from revframe.demo.pipeline import Opp
from revframe.demo.world import AccountState, Person

if TYPE_CHECKING:
    from revframe.demo.company import Chunk

# --- field defects -------------------------------------------------------------------------------


def account_defects(ch: Chunk, row: dict, acc_id: str) -> None:
    """Maybe blank the industry or country of an account row, or make its country invalid."""
    r, gt = ch.r, ch.w.gt
    u = r.random()
    if u < 0.015:
        row["Industry"] = None
        gt.add(
            "missing_required",
            table="accounts",
            source_system="salesforce",
            external_id=acc_id,
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
            external_id=acc_id,
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
            external_id=acc_id,
            field="country",
            column="BillingCountry",
            value=value,
            defect=kind,
        )


def contact_defects(ch: Chunk, row: dict, person: Person, contact_id: str) -> str | None:
    """Maybe make a contact row's email or phone invalid, or blank its email or title.

    Returns the email the row ends up with.
    """
    r, gt = ch.r, ch.w.gt
    email: str | None = row["Email"]
    u = r.random()
    if u < 0.005 and email:
        email, kind = dfx.invalid_email(r, email)
        row["Email"] = email
        gt.add(
            "invalid_values",
            table="contacts",
            source_system="salesforce",
            external_id=contact_id,
            field="email",
            column="Email",
            value=email,
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
        row["Email"] = email = None
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
    return email


def lead_defects(ch: Chunk, lead: dict, person: Person) -> None:
    """Maybe make a lead row's email or phone invalid, or blank its email or country."""
    r, gt = ch.r, ch.w.gt
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


def opportunity_defects(ch: Chunk, row: dict, opp: Opp) -> None:
    """Maybe blank the amount of an early-stage open opportunity."""
    if not opp.is_closed and opp.history[-1].probability <= 20 and ch.r.random() < 0.08:
        row["Amount"] = None
        ch.w.gt.add(
            "missing_required",
            table="opportunities",
            source_system="salesforce",
            external_id=opp.id,
            field="amount",
            column="Amount",
            defect="missing",
        )


# --- duplicate records ---------------------------------------------------------------------------


def duplicate_account(ch: Chunk, acc: AccountState, row: dict) -> None:
    """A second account row for the same company, created later by someone else."""
    r = ch.r
    co = acc.co
    kind = r.choice(["company_suffix", "company_suffix", "typo", "case", "missing_values"])
    dup = dict(row)
    dup["Id"] = ch.new("001")
    dup["Type"], dup["Lifecycle_Stage__c"] = "Prospect", "Target"
    dup["CreatedDate"] = min(AS_OF - HOUR, acc.created + r.randint(5, 500) * DAY)
    dup["LastModifiedDate"] = dup["CreatedDate"]
    dup["OwnerId"] = ch.w.team.pick(r, "AE", co.region, co.segment, dup["CreatedDate"]).id
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
        ch.w.gt.add(
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
    ch.rows["Account"].append(dup)
    acc.records.append(("accounts", "salesforce", dup["Id"], "duplicate", kind))


def duplicate_contact(ch: Chunk, acc: AccountState, person: Person, row: dict) -> None:
    """A second contact row for the same person, entered later with a variant of their details."""
    r, gt = ch.r, ch.w.gt
    kind = r.choice(["typo", "nickname", "case", "swapped_names", "missing_values", "personal_email"])
    dup = dict(row)
    dup["Id"] = ch.new("003")
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
    ch.rows["Contact"].append(dup)
    acc.contacts.append((dup["Id"], f"{dup['FirstName']} {dup['LastName']}", dup["Email"] or ""))
    person.records.append(("contacts", "salesforce", dup["Id"], "duplicate", kind))


def lead_is_contact(ch: Chunk, acc: AccountState, person: Person, row: dict) -> None:
    """A new lead for someone who is already a contact (e.g. after a webinar sign-up)."""
    r = ch.r
    lead_id = ch.new("00Q")
    created = min(AS_OF - HOUR, row["CreatedDate"] + r.randint(10, 500) * DAY)
    co = acc.co
    ch.rows["Lead"].append(
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
            "OwnerId": ch.w.team.integration.id,
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
