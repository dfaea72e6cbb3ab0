"""The measurement pillar: canonical metrics (tiers 1-3) and the review cadences that read them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from revframe.framework.base import FieldRef, Id, ObjectName, SpecModel, TimeFieldRef
from revframe.framework.rules import Condition

Unit = Literal["currency", "currency_per_day", "percent", "ratio", "count", "days", "hours", "minutes", "score"]
Frequency = Literal["weekly", "biweekly", "monthly", "quarterly", "annual"]
TIER_NAMES = {1: "Executive", 2: "Operational", 3: "Diagnostic"}


class Metric(SpecModel):
    """One canonical metric: its definition, the date field that places it in time, who owns it.

    Tier 1 are executive metrics, tier 2 operational, tier 3 diagnostic (read when 1/2 degrade).
    """

    id: Id
    name: str = Field(min_length=1)
    tier: Literal[1, 2, 3]
    definition: str = Field(min_length=1)
    formula: str = Field(min_length=1)
    time_dimension: TimeFieldRef | None = None
    grain: ObjectName
    filters: list[Condition] = []
    dimensions: list[FieldRef] = []
    system_of_record: Id
    owner: Id
    cadence: Id
    direction: Literal["up", "down"]
    unit: Unit
    target: float | None = None


class Covers(SpecModel):
    """What a review covers: metric ids and discussion topics."""

    metrics: list[Id] = []
    topics: list[str] = []


class Cadence(SpecModel):
    """A governance review: how often, who attends, what it covers, which report sections it gets."""

    id: Id
    name: str = Field(min_length=1)
    frequency: Frequency
    schedule: str = ""
    purpose: str = ""
    owner: Id
    attendees: list[Id] = Field(min_length=1)
    covers: Covers = Covers()
    report_sections: list[Id] = []
