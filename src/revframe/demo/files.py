"""The export files: their paths, columns (with value kinds) and the mapping files for non-CRM sources."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from revframe.demo.encode import NULL_T, format_times, money

# kinds: s string, dt Salesforce datetime, d date, hs HubSpot datetime, iso 'YYYY-MM-DD HH:MM:SS',
#        n integer, m money (2 decimals), b boolean true/false
FILES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "User": (
        "salesforce/User.csv",
        [
            ("Id", "s"),
            ("FirstName", "s"),
            ("LastName", "s"),
            ("Name", "s"),
            ("Email", "s"),
            ("Username", "s"),
            ("Title", "s"),
            ("Department", "s"),
            ("UserRole.Name", "s"),
            ("Division", "s"),
            ("ManagerId", "s"),
            ("IsActive", "s"),
            ("Lead_Capacity__c", "s"),
            ("TimeZoneSidKey", "s"),
            ("Working_Hours__c", "s"),
            ("UserType", "s"),
            ("CreatedDate", "dt"),
            ("LastModifiedDate", "dt"),
        ],
    ),
    "Campaign": (
        "salesforce/Campaign.csv",
        [
            ("Id", "s"),
            ("Name", "s"),
            ("Type", "s"),
            ("Channel__c", "s"),
            ("Status", "s"),
            ("IsActive", "s"),
            ("StartDate", "d"),
            ("EndDate", "d"),
            ("BudgetedCost", "m"),
            ("ActualCost", "m"),
            ("CurrencyIsoCode", "s"),
            ("ParentId", "s"),
            ("OwnerId", "s"),
            ("CreatedDate", "dt"),
        ],
    ),
    "DatedConversionRate": (
        "salesforce/DatedConversionRate.csv",
        [("Id", "s"), ("IsoCode", "s"), ("ConversionRate", "s"), ("StartDate", "d")],
    ),
    "Account": (
        "salesforce/Account.csv",
        [
            ("Id", "s"),
            ("Name", "s"),
            ("Website", "s"),
            ("Domain__c", "s"),
            ("Industry", "s"),
            ("NumberOfEmployees", "n"),
            ("AnnualRevenue", "n"),
            ("CurrencyIsoCode", "s"),
            ("BillingCity", "s"),
            ("BillingState", "s"),
            ("BillingCountry", "s"),
            ("Phone", "s"),
            ("Type", "s"),
            ("Segment__c", "s"),
            ("Lifecycle_Stage__c", "s"),
            ("OwnerId", "s"),
            ("ParentId", "s"),
            ("CreatedDate", "dt"),
            ("LastModifiedDate", "dt"),
        ],
    ),
    "Contact": (
        "salesforce/Contact.csv",
        [
            ("Id", "s"),
            ("AccountId", "s"),
            ("FirstName", "s"),
            ("LastName", "s"),
            ("Email", "s"),
            ("Phone", "s"),
            ("MobilePhone", "s"),
            ("Title", "s"),
            ("MailingCity", "s"),
            ("MailingState", "s"),
            ("MailingCountry", "s"),
            ("LeadSource", "s"),
            ("Lifecycle_Stage__c", "s"),
            ("OwnerId", "s"),
            ("MQL_Date__c", "dt"),
            ("SQL_Date__c", "dt"),
            ("HasOptedOutOfEmail", "b"),
            ("CreatedDate", "dt"),
            ("LastModifiedDate", "dt"),
        ],
    ),
    "Lead": (
        "salesforce/Lead.csv",
        [
            ("Id", "s"),
            ("FirstName", "s"),
            ("LastName", "s"),
            ("Email", "s"),
            ("Phone", "s"),
            ("MobilePhone", "s"),
            ("Title", "s"),
            ("Company", "s"),
            ("Website", "s"),
            ("City", "s"),
            ("State", "s"),
            ("Country", "s"),
            ("LeadSource", "s"),
            ("Status", "s"),
            ("Lifecycle_Stage__c", "s"),
            ("OwnerId", "s"),
            ("IsConverted", "b"),
            ("ConvertedContactId", "s"),
            ("ConvertedAccountId", "s"),
            ("ConvertedOpportunityId", "s"),
            ("ConvertedDate", "d"),
            ("MQL_Date__c", "dt"),
            ("SQL_Date__c", "dt"),
            ("HasOptedOutOfEmail", "b"),
            ("CreatedDate", "dt"),
            ("LastModifiedDate", "dt"),
        ],
    ),
    "Opportunity": (
        "salesforce/Opportunity.csv",
        [
            ("Id", "s"),
            ("Name", "s"),
            ("AccountId", "s"),
            ("ContactId", "s"),
            ("OwnerId", "s"),
            ("StageName", "s"),
            ("Amount", "m"),
            ("CurrencyIsoCode", "s"),
            ("Probability", "n"),
            ("ForecastCategoryName", "s"),
            ("Type", "s"),
            ("LeadSource", "s"),
            ("IsClosed", "b"),
            ("IsWon", "b"),
            ("CloseDate", "d"),
            ("CreatedDate", "dt"),
            ("LastModifiedDate", "dt"),
        ],
    ),
    "OpportunityHistory": (
        "salesforce/OpportunityHistory.csv",
        [
            ("Id", "s"),
            ("OpportunityId", "s"),
            ("StageName", "s"),
            ("Amount", "m"),
            ("Probability", "n"),
            ("ForecastCategory", "s"),
            ("CloseDate", "d"),
            ("CreatedById", "s"),
            ("CreatedDate", "dt"),
        ],
    ),
    "Task": (
        "salesforce/Task.csv",
        [
            ("Id", "s"),
            ("WhoId", "s"),
            ("WhatId", "s"),
            ("AccountId", "s"),
            ("OwnerId", "s"),
            ("Subject", "s"),
            ("Type", "s"),
            ("TaskSubtype", "s"),
            ("Status", "s"),
            ("Priority", "s"),
            ("ActivityDate", "d"),
            ("CompletedDateTime", "dt"),
            ("CallDurationInSeconds", "n"),
            ("Is_Automated__c", "b"),
            ("CreatedDate", "dt"),
            ("LastModifiedDate", "dt"),
        ],
    ),
    "Event": (
        "salesforce/Event.csv",
        [
            ("Id", "s"),
            ("WhoId", "s"),
            ("WhatId", "s"),
            ("AccountId", "s"),
            ("OwnerId", "s"),
            ("Subject", "s"),
            ("Type", "s"),
            ("StartDateTime", "dt"),
            ("EndDateTime", "dt"),
            ("ActivityDate", "d"),
            ("DurationInMinutes", "n"),
            ("Is_Automated__c", "b"),
            ("CreatedDate", "dt"),
            ("LastModifiedDate", "dt"),
        ],
    ),
    "CampaignMember": (
        "salesforce/CampaignMember.csv",
        [
            ("Id", "s"),
            ("CampaignId", "s"),
            ("LeadId", "s"),
            ("ContactId", "s"),
            ("Status", "s"),
            ("HasResponded", "b"),
            ("FirstRespondedDate", "d"),
            ("Channel__c", "s"),
            ("Touchpoint_Type__c", "s"),
            ("CreatedDate", "dt"),
            ("LastModifiedDate", "dt"),
        ],
    ),
    "hs_contacts": (
        "hubspot/hubspot-contacts.csv",
        [
            ("Record ID", "s"),
            ("First Name", "s"),
            ("Last Name", "s"),
            ("Email", "s"),
            ("Phone Number", "s"),
            ("Mobile Phone Number", "s"),
            ("Job Title", "s"),
            ("Company Name", "s"),
            ("Website URL", "s"),
            ("Associated Company ID", "s"),
            ("Country/Region", "s"),
            ("State/Region", "s"),
            ("City", "s"),
            ("Original Source", "s"),
            ("Lead Status", "s"),
            ("Lifecycle Stage", "s"),
            ("Contact owner", "s"),
            ("Became a Marketing Qualified Lead Date", "hs"),
            ("Became a Sales Qualified Lead Date", "hs"),
            ("Unsubscribed from all email", "b"),
            ("Create Date", "hs"),
            ("Last Modified Date", "hs"),
        ],
    ),
    "hs_companies": (
        "hubspot/hubspot-companies.csv",
        [
            ("Record ID", "s"),
            ("Company name", "s"),
            ("Company Domain Name", "s"),
            ("Website URL", "s"),
            ("Industry", "s"),
            ("Number of Employees", "n"),
            ("Annual Revenue", "n"),
            ("Currency", "s"),
            ("Country/Region", "s"),
            ("State/Region", "s"),
            ("City", "s"),
            ("Phone Number", "s"),
            ("Type", "s"),
            ("Lifecycle Stage", "s"),
            ("Parent Company ID", "s"),
            ("Create Date", "hs"),
            ("Last Modified Date", "hs"),
        ],
    ),
    "hs_deals": (
        "hubspot/hubspot-deals.csv",
        [
            ("Record ID", "s"),
            ("Deal Name", "s"),
            ("Pipeline", "s"),
            ("Deal Stage", "s"),
            ("Amount", "m"),
            ("Deal Currency Code", "s"),
            ("Deal probability", "s"),
            ("Forecast category", "s"),
            ("Deal Type", "s"),
            ("Original Source", "s"),
            ("Is Deal Closed?", "b"),
            ("Is Closed Won", "b"),
            ("Close Date", "hs"),
            ("Associated Company ID", "s"),
            ("Associated Contact ID", "s"),
            ("Create Date", "hs"),
            ("Last Modified Date", "hs"),
        ],
    ),
    "subscriptions": (
        "billing/subscriptions.csv",
        [
            ("id", "s"),
            ("customer", "s"),
            ("sf_account_id", "s"),
            ("sf_opportunity_id", "s"),
            ("product", "s"),
            ("price_id", "s"),
            ("quantity", "n"),
            ("plan_amount", "m"),
            ("plan_interval", "s"),
            ("currency", "s"),
            ("status", "s"),
            ("current_period_start", "d"),
            ("current_period_end", "d"),
            ("canceled_at", "iso"),
            ("created", "iso"),
        ],
    ),
    "tickets": (
        "support/tickets.csv",
        [
            ("Id", "s"),
            ("Subject", "s"),
            ("Type", "s"),
            ("Priority", "s"),
            ("Status", "s"),
            ("Via", "s"),
            ("Requester", "s"),
            ("Requester email", "s"),
            ("Organization", "s"),
            ("sf_account_id", "s"),
            ("sf_contact_id", "s"),
            ("Satisfaction Score", "s"),
            ("CSAT", "s"),
            ("Created at", "iso"),
            ("Solved at", "iso"),
        ],
    ),
    "usage": (
        "product/usage.csv",
        [
            ("id", "s"),
            ("workspace_id", "s"),
            ("sf_account_id", "s"),
            ("feature", "s"),
            ("week_start", "d"),
            ("events", "s"),
            ("active_users", "s"),
        ],
    ),
    "onboarding": (
        "success/onboarding.csv",
        [
            ("Milestone ID", "s"),
            ("GS Company ID", "s"),
            ("sf_account_id", "s"),
            ("Company Name", "s"),
            ("Milestone", "s"),
            ("Due Date", "d"),
            ("Completed Date", "iso"),
            ("Status", "s"),
            ("CSM", "s"),
        ],
    ),
}

#: order of ingestion: (file key, mapping, object name)
LOAD_ORDER: list[tuple[str, str, str]] = [
    ("User", "salesforce", "User"),
    ("Campaign", "salesforce", "Campaign"),
    ("DatedConversionRate", "salesforce", "DatedConversionRate"),
    ("Account", "salesforce", "Account"),
    ("hs_companies", "hubspot", "companies"),
    ("Contact", "salesforce", "Contact"),
    ("Lead", "salesforce", "Lead"),
    ("hs_contacts", "hubspot", "contacts"),
    ("Opportunity", "salesforce", "Opportunity"),
    ("hs_deals", "hubspot", "deals"),
    ("OpportunityHistory", "salesforce", "OpportunityHistory"),
    ("Task", "salesforce", "Task"),
    ("Event", "salesforce", "Event"),
    ("CampaignMember", "salesforce", "CampaignMember"),
    ("subscriptions", "billing/mapping.yaml", "subscriptions"),
    ("tickets", "support/mapping.yaml", "tickets"),
    ("usage", "product/mapping.yaml", "usage"),
    ("onboarding", "success/mapping.yaml", "milestones"),
]

#: canonical table of each file
TABLE_OF = {
    "User": "users",
    "Campaign": "campaigns",
    "DatedConversionRate": "exchange_rates",
    "Account": "accounts",
    "hs_companies": "accounts",
    "Contact": "contacts",
    "Lead": "contacts",
    "hs_contacts": "contacts",
    "Opportunity": "opportunities",
    "hs_deals": "opportunities",
    "OpportunityHistory": "opportunity_stage_history",
    "Task": "activities",
    "Event": "activities",
    "CampaignMember": "touchpoints",
    "subscriptions": "subscriptions",
    "tickets": "tickets",
    "usage": "product_usage",
    "onboarding": "onboarding_milestones",
}

MAPPINGS: dict[str, str] = {
    "billing/mapping.yaml": """\
# Stripe-like subscription export: one row per subscription item and contract term.
name: billing
source_system: billing
objects:
  - source: subscriptions
    table: subscriptions
    files: ["subscriptions*"]
    fields:
      external_id: id
      account_id: {column: sf_account_id, ref_system: salesforce}
      opportunity_id: {column: sf_opportunity_id, ref_system: salesforce}
      product: product
      arr: plan_amount
      currency: currency
      seats: quantity
      start_date: current_period_start
      end_date: current_period_end
      status: {column: status, map: {active: active, past_due: active, trialing: active, canceled: cancelled,
               ended: expired, incomplete_expired: expired}, default: active}
      created_at: created
""",
    "support/mapping.yaml": """\
# Zendesk ticket export with the Salesforce ids of the organization and requester.
name: zendesk
source_system: zendesk
objects:
  - source: tickets
    table: tickets
    files: ["tickets*"]
    fields:
      external_id: Id
      account_id: {column: sf_account_id, ref_system: salesforce}
      contact_id: {column: sf_contact_id, ref_system: salesforce}
      subject: Subject
      priority: Priority
      status: Status
      csat: CSAT
      created_at: Created at
      closed_at: Solved at
""",
    "product/mapping.yaml": """\
# Product analytics: weekly usage per workspace (account) and feature; usage_date is the week's Monday.
name: product
source_system: product
objects:
  - source: usage
    table: product_usage
    files: ["usage*"]
    fields:
      external_id: id
      account_id: {column: sf_account_id, ref_system: salesforce}
      feature: feature
      usage_date: week_start
      events: events
      active_users: active_users
""",
    "success/mapping.yaml": """\
# Gainsight onboarding milestones (timeline export).
name: gainsight
source_system: gainsight
objects:
  - source: milestones
    table: onboarding_milestones
    files: ["onboarding*"]
    fields:
      external_id: Milestone ID
      account_id: {column: sf_account_id, ref_system: salesforce}
      milestone: Milestone
      due_date: Due Date
      completed_at: Completed Date
      status: {column: Status, map: {Complete: completed, "In Progress": in_progress, "Not Started": not_started,
               Overdue: overdue}, default: not_started}
""",
}


def render(rows: Sequence[dict], spec: list[tuple[str, str]]) -> dict[str, object]:
    """Row dicts -> column arrays of strings, per the file's value kinds."""
    out: dict[str, object] = {}
    for col, kind in spec:
        vals = [row.get(col) for row in rows]
        if kind == "s":
            out[col] = vals
        elif kind in ("dt", "d", "hs", "iso"):
            style = {"dt": "sf", "d": "date", "hs": "hs", "iso": "iso"}[kind]
            out[col] = format_times(np.array([NULL_T if v is None else v for v in vals], dtype=np.int64), style)
        elif kind == "n":
            out[col] = [None if v is None else str(int(v)) for v in vals]
        elif kind == "m":
            mask = np.array([v is None for v in vals], dtype=bool)
            out[col] = money(np.array([0.0 if v is None else v for v in vals], dtype=np.float64), mask)
        elif kind == "b":
            out[col] = [None if v is None else ("true" if v else "false") for v in vals]
        else:  # pragma: no cover
            raise ValueError(kind)
    return out


def empty_strings(n: int) -> pa.Array:
    return pa.nulls(n, type=pa.string())
