"""Scales, the company's calendar and the pipeline definition of the demo company."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

COMPANY = "Northwind Analytics"
COMPANY_DOMAIN = "northwind-analytics.com"

#: The company's history ends at the end of this day (UTC); nothing is generated after it.
AS_OF_DATE = dt.date(2026, 9, 30)
#: The CRM went live here (an initial import happened on this day).
START_DATE = dt.date(2023, 10, 2)

EPOCH = dt.date(1970, 1, 1)
DAY = 86_400
HOUR = 3_600
MINUTE = 60
START = (START_DATE - EPOCH).days * DAY
AS_OF = (AS_OF_DATE - EPOCH).days * DAY + DAY - 1
N_DAYS = (AS_OF_DATE - START_DATE).days + 1


@dataclass(frozen=True)
class Scale:
    """How big a generated company is.

    Attributes:
        accounts: Salesforce accounts (before planted duplicates).
        contacts_per_account: mean Salesforce contacts per account.
        chunk: accounts generated (and written) per chunk; bounds memory.
        team: multiplier of the go-to-market team size.
        campaigns_per_quarter: event-type campaigns (webinars, field events) per quarter.
        leads_per_account: multiplier of the mean inbound leads per account (per segment).
        outbound_journeys: mean extra outbound SDR journeys per account over the history, times
            the segment's outbound propensity (a bigger SDR team re-prospects accounts).
        recycle_p: probability that a lost new-business deal comes back later on the same contact.
        expansions_per_year: expansion attempts per customer contract year (each later attempt
            is less likely and pitches another add-on or more seats).
        demand_days_per_account: seasonal demand days pre-drawn per account (must cover the
            journeys a chunk starts, or days repeat).
    """

    name: str
    accounts: int
    contacts_per_account: float
    chunk: int
    team: int
    campaigns_per_quarter: int
    leads_per_account: float = 1.0
    outbound_journeys: float = 0.0
    recycle_p: float = 0.3
    expansions_per_year: int = 1
    demand_days_per_account: int = 8


SCALES: dict[str, Scale] = {
    "small": Scale("small", 1_000, 10.0, 1_000, 1, 6),
    "medium": Scale("medium", 20_000, 10.0, 2_500, 5, 12),
    # the large company: ~100k accounts, ~1M contacts, ~200k opportunities and ~10M
    # activities and touchpoints: more inbound leads per account, a re-prospecting SDR team,
    # more recycled deals and repeated expansion attempts per contract year
    "large": Scale(
        "large",
        100_000,
        10.0,
        2_500,
        14,
        20,
        leads_per_account=1.4,
        outbound_journeys=3.0,
        recycle_p=0.5,
        expansions_per_year=3,
        demand_days_per_account=12,
    ),
}

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
REGIONS = ("NA", "EMEA", "APAC")
#: region -> its index in REGIONS (compact codes in work lists)
REGION_INDEX = {r: i for i, r in enumerate(REGIONS)}

#: Opportunity stages in order, with probability and forecast category.
STAGES: list[tuple[str, int, str]] = [
    ("Qualification", 10, "Pipeline"),
    ("Discovery", 20, "Pipeline"),
    ("Solution Demo", 40, "Best Case"),
    ("Proposal", 60, "Best Case"),
    ("Negotiation", 80, "Commit"),
]
WON = ("Closed Won", 100, "Closed")
LOST = ("Closed Lost", 0, "Omitted")

#: Per segment: (median NB cycle days, win rate, median ARR in USD, ARR sigma)
SEGMENT_ECONOMICS: dict[str, tuple[float, float, float, float]] = {
    "SMB": (28.0, 0.30, 9_000.0, 0.45),
    "Mid-Market": (62.0, 0.24, 42_000.0, 0.5),
    "Enterprise": (125.0, 0.19, 185_000.0, 0.6),
}
#: churn, contraction, uplift probability at renewal per segment
RENEWAL_ODDS: dict[str, tuple[float, float, float]] = {
    "SMB": (0.17, 0.10, 0.25),
    "Mid-Market": (0.10, 0.12, 0.30),
    "Enterprise": (0.06, 0.12, 0.35),
}
#: probability that a customer opens an expansion opportunity per contract year
EXPANSION_ODDS = {"SMB": 0.2, "Mid-Market": 0.4, "Enterprise": 0.6}
FX = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79}

PRODUCTS = ["Northwind Platform", "Add-on: Data Quality", "Add-on: Attribution", "Add-on: Forecasting"]
FEATURES = ["dashboards", "data_quality", "attribution", "forecasting"]

#: The campaign naming convention the framework enforces.
CAMPAIGN_NAME_PATTERN = r"^\d{4}-Q[1-4]_[a-z]+(-[a-z]+)*_[a-z0-9]+(-[a-z0-9]+)*$"
