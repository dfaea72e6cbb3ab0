"""The measurement pillar: canonical metrics (tiers 1-3) and the review cadences that read them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from revframe.framework.base import FieldRef, Id, ObjectName, SpecModel, TimeFieldRef, invalid
from revframe.framework.rules import Condition

Unit = Literal["currency", "currency_per_day", "percent", "ratio", "count", "days", "hours", "minutes", "score"]
Frequency = Literal["weekly", "biweekly", "monthly", "quarterly", "annual"]
TIER_NAMES = {1: "Executive", 2: "Operational", 3: "Diagnostic"}


Aggregate = Literal["count", "count_distinct", "sum", "avg", "median", "p90", "min", "max"]

BUILTIN_METRICS = frozenset(
    {
        "pipeline_value", "pipeline_coverage", "pipeline_velocity", "win_rate", "win_rate_amount", "avg_deal_size",
        "revenue_per_account", "net_revenue_retention", "gross_revenue_retention", "bookings", "arr",
        "arr_waterfall", "logo_churn", "marketing_sourced_revenue", "lead_response_time", "mql_to_sql_conversion",
        "sql_to_opportunity_conversion", "stage_conversion", "time_in_stage", "deal_cycle_length",
        "health_score_distribution", "lead_source_quality", "content_engagement_by_stage", "rep_activity",
        "onboarding_completion", "feature_adoption",
    }
)  # fmt: skip
"""Metric ids revframe computes itself (``revframe.metrics.builtins``); other metrics need ``measure`` or ``ratio``."""


class Measure(SpecModel):
    """A metric you add: an aggregate of one field over the grain's rows that pass the filters.

    Rows are placed in periods by the metric's ``time_dimension``. Amount fields of tables with a
    currency (opportunities, subscriptions, campaigns, accounts) are converted to the company currency.
    """

    agg: Aggregate
    field: FieldRef | None = None
    """``object.field`` of the metric's grain; not needed for ``count``."""


class Ratio(SpecModel):
    """A metric you add as one metric divided by another, in the same period and dimension values."""

    numerator: Id
    denominator: Id


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
    target_per: Literal["week", "month", "quarter", "year"] | None = None
    """For amounts that add up over time (bookings): the period ``target`` is for; other periods scale it by days."""
    measure: Measure | None = None
    ratio: Ratio | None = None
    within_days: int | None = Field(default=None, gt=0)
    """Cohort conversions: also report the share that converted within this many days."""

    @model_validator(mode="after")
    def _one_way(self) -> Metric:
        if self.measure is not None and self.ratio is not None:
            raise invalid(
                f"metric '{self.id}' has both measure and ratio", "keep one: a measure, or a ratio of two metrics"
            )
        m = self.measure
        if m is not None and m.agg != "count" and m.field is None:
            raise invalid(f"metric '{self.id}': aggregate '{m.agg}' needs a field", "add field: object.field")
        if m is not None and m.field is not None and m.field.split(".")[0] != self.grain:
            raise invalid(
                f"metric '{self.id}': measure field {m.field} is not a field of its grain '{self.grain}'",
                f"use a field of {self.grain}, or set grain: {m.field.split('.')[0]}",
            )
        return self


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
