"""A small hand-built store for the attribution tests; the comments give the journeys the tests expect.

Day 0 is 2026-01-01 (UTC). Company currency USD; 0.8 EUR per USD; no rate for JPY.

* Account a1: lead l1 (converted to contact p1) and contact p2. Account a2: contact p3. Account a3: p4.
* Touches (type, campaign, channel):
  l1 email_click k1 email day 1 00:00 and again at 02:00 (within 24 h: one touch), ad_click k2
  paid-search day 10; p2 webinar k3 day 20 (no channel on the touch: the campaign's, webinar);
  p1 ad_click k2 day 200 (after every conversion); p3 email_click k1 day 5 (a2 never converts: a null path).
* l1 created day 1 00:01 (its first touch came first), MQL day 12. p2 created day 15, p3 day 0.
* o1: a1, primary contact p1, created day 30, won day 60, 5,000 EUR (6,250 USD).
  o2: a1, contact p2, created day 40, open. o3: a3, contact p4, created day 45, won day 50, 1,000 JPY (no rate).
* Spend: k1 email 1,000 USD; k2 paid-search 800 EUR (1,000 USD); k3 webinar no actual_cost (a gap: it has a
  touch); k4 a program without cost, parent of k1; k5 planned, no cost, no touch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from revframe.store import Store
from revframe.store.schema import TABLES

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def day(n: float, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=n, hours=hours, minutes=minutes)


def d(n: int) -> date:
    return (T0 + timedelta(days=n)).date()


def rows(table: str, records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for r in records:
        src, ext = r["id"].split(":", 1)
        full = {"source_system": src, "external_id": ext, "_row_hash": "h", "_run_id": "t", "_loaded_at": T0} | r
        out.append(tuple(full.get(c) for c in TABLES[table].column_names))
    return out


ACCOUNTS = [{"id": f"crm:a{i}", "name": f"Account {i}"} for i in (1, 2, 3)]
PEOPLE = [
    {"id": "crm:l1", "record_type": "lead", "converted_contact_id": "crm:p1", "created_at": day(1, minutes=1),
     "mql_at": day(12), "account_id": None},
    {"id": "crm:p1", "record_type": "contact", "account_id": "crm:a1", "created_at": day(25)},
    {"id": "crm:p2", "record_type": "contact", "account_id": "crm:a1", "created_at": day(15)},
    {"id": "crm:p3", "record_type": "contact", "account_id": "crm:a2", "created_at": day(0)},
    {"id": "crm:p4", "record_type": "contact", "account_id": "crm:a3", "created_at": day(0)},
]  # fmt: skip
CAMPAIGNS = [
    {"id": "crm:k1", "name": "Newsletter", "channel": "email", "actual_cost": 1000, "currency": "USD",
     "start_date": d(0), "parent_campaign_id": "crm:k4"},
    {"id": "crm:k2", "name": "Search EU", "channel": "paid-search", "actual_cost": 800, "currency": "EUR",
     "start_date": d(0)},
    {"id": "crm:k3", "name": "Webinar Q1", "channel": "webinar", "actual_cost": None, "currency": "USD",
     "start_date": d(0)},
    {"id": "crm:k4", "name": "Program", "channel": "program", "actual_cost": None, "currency": "USD"},
    {"id": "crm:k5", "name": "Planned", "channel": "event", "actual_cost": None, "currency": "USD"},
]  # fmt: skip
TOUCHES = [
    {"id": "crm:t1", "contact_id": "crm:l1", "campaign_id": "crm:k1", "type": "email_click", "channel": "email",
     "occurred_at": day(1)},
    {"id": "crm:t2", "contact_id": "crm:l1", "campaign_id": "crm:k1", "type": "email_click", "channel": "email",
     "occurred_at": day(1, hours=2)},
    {"id": "crm:t3", "contact_id": "crm:l1", "campaign_id": "crm:k2", "type": "ad_click", "channel": "paid-search",
     "occurred_at": day(10)},
    {"id": "crm:t4", "contact_id": "crm:p2", "campaign_id": "crm:k3", "type": "webinar", "channel": None,
     "occurred_at": day(20)},
    {"id": "crm:t5", "contact_id": "crm:p1", "campaign_id": "crm:k2", "type": "ad_click", "channel": "paid-search",
     "occurred_at": day(200)},
    {"id": "crm:t6", "contact_id": "crm:p3", "campaign_id": "crm:k1", "type": "email_click", "channel": "email",
     "occurred_at": day(5)},
]  # fmt: skip
OPPS = [
    {"id": "crm:o1", "account_id": "crm:a1", "contact_id": "crm:p1", "created_at": day(30), "close_date": d(60),
     "is_closed": True, "is_won": True, "amount": 5000, "currency": "EUR", "type": "New Business"},
    {"id": "crm:o2", "account_id": "crm:a1", "contact_id": "crm:p2", "created_at": day(40), "close_date": d(90),
     "is_closed": False, "is_won": False, "amount": None, "currency": "USD", "type": "New Business"},
    {"id": "crm:o3", "account_id": "crm:a3", "contact_id": "crm:p4", "created_at": day(45), "close_date": d(50),
     "is_closed": True, "is_won": True, "amount": 1000, "currency": "JPY", "type": "New Business"},
]  # fmt: skip
RATES = [{"id": "crm:r1", "currency": "EUR", "rate": 0.8, "valid_from": date(2025, 1, 1)}]


def plant(store: Store) -> None:
    with store.transaction():
        tables = {"accounts": ACCOUNTS, "contacts": PEOPLE, "campaigns": CAMPAIGNS, "touchpoints": TOUCHES,
                  "opportunities": OPPS, "exchange_rates": RATES}  # fmt: skip
        for table, records in tables.items():
            store.insert_rows(table, rows(table, records))
