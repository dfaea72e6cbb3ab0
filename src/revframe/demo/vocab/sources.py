"""Where people come from: the Salesforce LeadSource picklist and the matching HubSpot original
sources.
"""

from __future__ import annotations

#: Lead / contact sources (Salesforce LeadSource picklist) and HubSpot original sources.
LEAD_SOURCES = [
    "Web",
    "Webinar",
    "Paid Search",
    "Paid Social",
    "Event",
    "Content Syndication",
    "Organic Search",
    "Partner Referral",
    "Outbound",
    "Customer Referral",
]
HS_SOURCES = {
    "Web": "DIRECT_TRAFFIC",
    "Webinar": "OFFLINE",
    "Paid Search": "PAID_SEARCH",
    "Paid Social": "PAID_SOCIAL",
    "Event": "OFFLINE",
    "Content Syndication": "REFERRALS",
    "Organic Search": "ORGANIC_SEARCH",
    "Partner Referral": "REFERRALS",
    "Outbound": "OFFLINE",
    "Customer Referral": "REFERRALS",
    "Newsletter": "EMAIL_MARKETING",
}
