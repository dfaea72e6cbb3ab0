"""The technology pillar: systems, what each is the system of record for, integrations; webhooks."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from revframe.framework.base import Currency, Id, ObjectName, SpecModel, invalid

Category = Literal[
    "crm",
    "marketing_automation",
    "sales_engagement",
    "cs_platform",
    "billing",
    "data_warehouse",
    "enrichment",
    "bi",
    "support",
    "revenue_intelligence",
    "product_analytics",
    "cpq",
    "scheduling",
    "other",
]

_FREQUENCY = re.compile(r"^(real_time|hourly|daily|weekly|[1-9]\d*[mh])$")
_WEBHOOK = re.compile(r"^(|https://\S+|\$\{[A-Z_][A-Z0-9_]*\})$")


def _frequency(value: str) -> str:
    if not _FREQUENCY.match(value):
        raise invalid(
            f"'{value}' is not a sync frequency",
            "write real_time, hourly, daily, weekly, or an interval such as 15m or 6h",
        )
    return value


def _webhook(value: str) -> str:
    if not _WEBHOOK.match(value):
        raise invalid(
            "a webhook must be an https:// URL, ${ENV_VAR}, or empty",
            "keep secrets out of git: write ${SLACK_WEBHOOK_SALES} and set that variable",
        )
    return value


SyncFrequency = Annotated[str, AfterValidator(_frequency)]
WebhookUrl = Annotated[str, AfterValidator(_webhook)]


class Integration(SpecModel):
    """A documented data flow from this system to another."""

    to: Id
    direction: Literal["one_way", "bidirectional"]
    objects: list[ObjectName] = Field(min_length=1)
    frequency: SyncFrequency
    description: str = ""


class System(SpecModel):
    """A tool in the stack: what it is for, what it owns, what it costs, who owns it."""

    id: Id
    name: str = Field(min_length=1)
    category: Category
    purpose: str = ""
    system_of_record_for: list[ObjectName] = []
    integrations: list[Integration] = []
    annual_cost: float = Field(default=0, ge=0)
    currency: Currency | None = None
    seats_licensed: int | None = Field(default=None, ge=0)
    seats_used: int | None = Field(default=None, ge=0)
    owner: Id
