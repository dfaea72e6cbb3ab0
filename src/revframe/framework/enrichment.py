"""Waterfall enrichment: providers in order, what third-party data may fill or overwrite, the budget."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from revframe.framework.base import Currency, FieldRef, Id, Share, SpecModel


class Provider(SpecModel):
    """An enrichment provider; providers are asked in list order until a field is found."""

    id: Id
    name: str = Field(min_length=1)
    supplies: list[FieldRef] = Field(min_length=1)
    cost_per_lookup: float = Field(ge=0)
    charged: Literal["per_lookup", "per_match"] = "per_match"
    min_confidence: Share = 0.0


class Budget(SpecModel):
    """Monthly enrichment budget; ``on_exhausted`` stops lookups or only alerts."""

    monthly: float = Field(ge=0)
    currency: Currency
    on_exhausted: Literal["stop", "alert"] = "stop"
    alert_channel: Id | None = None


class Enrichment(SpecModel):
    """Waterfall enrichment rules."""

    providers: list[Provider] = []
    fill_if_empty: list[FieldRef] = []
    may_overwrite: list[FieldRef] = []
    refresh_after_days: int | None = Field(default=None, gt=0)
    budget: Budget
