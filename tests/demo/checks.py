"""Readers and coherence checks shared by the demo tests (plain functions, no fixtures)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def bad_ids(root: Path) -> set[str]:
    return {row["external_id"] for row in read(root / "ground_truth" / "bad_rows.csv")}


def funnel_problems(root: Path) -> list[str]:
    """Every violation of MQL <= SQL <= opportunity created <= close date, and touches after conversion."""
    sf = root / "salesforce"
    bad = bad_ids(root)
    problems: list[str] = []
    leads = [row for row in read(sf / "Lead.csv") if row["Id"] not in bad]
    contacts = {row["Id"]: row for row in read(sf / "Contact.csv") if row["Id"] not in bad}
    opps = {row["Id"]: row for row in read(sf / "Opportunity.csv") if row["Id"] not in bad}
    for lead in leads:
        mql, sql, conv = lead["MQL_Date__c"], lead["SQL_Date__c"], lead["ConvertedDate"]
        if mql and lead["CreatedDate"] > mql:
            problems.append(f"lead {lead['Id']}: created after MQL")
        if mql and sql and not mql <= sql:
            problems.append(f"lead {lead['Id']}: MQL {mql} after SQL {sql}")
        if sql and conv and not sql[:10] <= conv:
            problems.append(f"lead {lead['Id']}: SQL after conversion")
        if conv and not lead["ConvertedContactId"]:
            problems.append(f"lead {lead['Id']}: converted without contact")
        opp_id = lead["ConvertedOpportunityId"]
        if opp_id and opp_id in opps:
            opp = opps[opp_id]
            if sql and not sql <= opp["CreatedDate"]:
                problems.append(f"opp {opp_id}: created before SQL")
    for opp in opps.values():
        if not opp["CreatedDate"][:10] <= opp["CloseDate"]:
            problems.append(f"opp {opp['Id']}: closes before created")
        c = contacts.get(opp["ContactId"])
        if c and c["SQL_Date__c"] and opp["Type"] == "New Business" and not c["SQL_Date__c"] <= opp["CreatedDate"]:
            problems.append(f"opp {opp['Id']}: created before its contact's SQL")
    conv_date = {lead["Id"]: lead["ConvertedDate"] for lead in leads if lead["ConvertedDate"]}
    for tp in read(sf / "CampaignMember.csv"):
        d = conv_date.get(tp["LeadId"])
        if d and tp["FirstRespondedDate"] > d:
            problems.append(f"touchpoint {tp['Id']}: after conversion of {tp['LeadId']}")
    hist: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for h in read(sf / "OpportunityHistory.csv"):
        hist[h["OpportunityId"]].append((h["CreatedDate"], h["StageName"]))
    for oid, rows in hist.items():
        times = [t for t, _ in rows]
        if times != sorted(times):
            problems.append(f"opp {oid}: history out of order")
    return problems
