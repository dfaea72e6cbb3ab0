"""The attribution section: which conversions count, which touches count, and each model's parameters.

``revframe attribution`` reads it (see docs/attribution.md). Every weight set is a share per milestone
touch; what a set does not give its milestones is spread evenly over the other touches of the journey.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from revframe.framework.base import SpecModel, invalid

ConversionEvent = Literal["lead_created", "mql", "sql", "opportunity_created", "closed_won"]
CONVERSION_EVENTS: tuple[str, ...] = ("lead_created", "mql", "sql", "opportunity_created", "closed_won")
Share = float


class TimeDecay(SpecModel):
    """Time decay: a touch's weight halves every ``half_life_days`` before the conversion."""

    half_life_days: float = Field(default=7.0, gt=0)


class UShaped(SpecModel):
    """U-shaped (position-based): shares of the first touch and the last touch before conversion."""

    first: Share = Field(default=0.4, ge=0, le=1)
    last: Share = Field(default=0.4, ge=0, le=1)

    @model_validator(mode="after")
    def _at_most_one(self) -> UShaped:
        _check_total("u_shaped", self.first + self.last)
        return self


class WShaped(SpecModel):
    """W-shaped: shares of the first touch, the lead-creation touch and the last touch."""

    first: Share = Field(default=0.3, ge=0, le=1)
    lead: Share = Field(default=0.3, ge=0, le=1)
    last: Share = Field(default=0.3, ge=0, le=1)

    @model_validator(mode="after")
    def _at_most_one(self) -> WShaped:
        _check_total("w_shaped", self.first + self.lead + self.last)
        return self


class FullPath(SpecModel):
    """Full path (Z-shaped): first touch, lead creation, opportunity creation and the last touch."""

    first: Share = Field(default=0.225, ge=0, le=1)
    lead: Share = Field(default=0.225, ge=0, le=1)
    opportunity: Share = Field(default=0.225, ge=0, le=1)
    last: Share = Field(default=0.225, ge=0, le=1)

    @model_validator(mode="after")
    def _at_most_one(self) -> FullPath:
        _check_total("full_path", self.first + self.lead + self.opportunity + self.last)
        return self


def _check_total(name: str, total: float) -> None:
    if total > 1 + 1e-9:
        raise invalid(
            f"{name} shares add up to {total:g}, more than 1",
            "lower them so they add up to at most 1; the rest is spread over the middle touches",
        )


class Attribution(SpecModel):
    """How marketing and sales touches are credited with conversions and won revenue."""

    conversions: list[ConversionEvent] = Field(
        default=["lead_created", "mql", "sql", "opportunity_created", "closed_won"], min_length=1
    )
    """The conversion events attribution may be run for."""
    default_conversion: ConversionEvent = "opportunity_created"
    lookback_days: int = Field(default=90, gt=0, le=3650)
    """Touches more than this many days before a conversion are not part of its journey."""
    touch_types: list[str] = []
    """touchpoints.type values that count; empty: every type."""
    dedupe_hours: float = Field(default=24, ge=0)
    """A touch of the same person on the same campaign within this many hours of the previous one counts once."""
    buying_group: bool = True
    """Opportunity conversions take the touches of every contact at the account (else: the primary contact's)."""
    time_decay: TimeDecay = TimeDecay()
    u_shaped: UShaped = UShaped()
    w_shaped: WShaped = WShaped()
    full_path: FullPath = FullPath()
    markov_order: int = Field(default=1, ge=1, le=4)
    shapley_exact_limit: int = Field(default=15, ge=1, le=20)
    """Channels up to which Shapley values are exact (2^n coalitions); above it they are sampled."""
    shapley_samples: int = Field(default=2000, ge=100)
    """Permutations sampled above the exact limit (the standard error is reported)."""

    @model_validator(mode="after")
    def _default_is_listed(self) -> Attribution:
        if self.default_conversion not in self.conversions:
            raise invalid(
                f"default_conversion '{self.default_conversion}' is not in conversions",
                f"add it to conversions, or pick one of: {', '.join(self.conversions)}",
            )
        if len(set(self.touch_types)) != len(self.touch_types):
            raise invalid("touch_types lists a type twice", "list each touchpoints.type once")
        return self
