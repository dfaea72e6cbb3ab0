"""The funnel: lifecycle stages of people, opportunity pipeline stages, and lead scoring."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from revframe.framework.base import ID_PATTERN, Id, ObjectName, Percent, SpecModel, invalid
from revframe.framework.rules import Condition

ForecastCategory = Literal["pipeline", "best_case", "commit", "closed", "omitted"]


def _stage_or_any(value: str) -> str:
    if value != "*" and not re.match(ID_PATTERN, value):
        raise invalid(f"'{value}' is not a stage id", "write a stage id such as mql, or '*' for any stage")
    return value


StageOrAny = Annotated[str, AfterValidator(_stage_or_any)]


class LifecycleStage(SpecModel):
    """A lifecycle stage (Lead, MQL, SQL...). ``funnel: false`` marks exits such as Disqualified."""

    id: Id
    name: str = Field(min_length=1)
    order: int = Field(ge=0)
    owner_team: Id
    description: str = ""
    funnel: bool = True
    entry_criteria: Condition | None = None
    reasons: list[Id] = []


class Transition(SpecModel):
    """A move between two lifecycle stages; ``from: "*"`` means from any stage."""

    from_: StageOrAny = Field(alias="from")
    to: Id
    reason_required: bool = False
    description: str = ""


class Lifecycle(SpecModel):
    """Lifecycle stages in order, and which moves are allowed backward or never allowed.

    Forward moves (to a later funnel stage) and moves into a non-funnel stage (an exit such as
    Disqualified) are allowed. Backward moves, and moves out of a non-funnel stage, are allowed only
    when listed in ``allowed_backward``. ``forbidden_transitions`` always wins.
    """

    object: ObjectName = "contacts"
    stages: list[LifecycleStage] = Field(min_length=2)
    allowed_backward: list[Transition] = []
    forbidden_transitions: list[Transition] = []

    def stage(self, stage_id: str) -> LifecycleStage:
        """Return the stage with id ``stage_id`` (KeyError if none)."""
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    def is_allowed(self, from_id: str, to_id: str) -> bool:
        """Return whether a record may move from stage ``from_id`` to stage ``to_id``."""
        for t in self.forbidden_transitions:
            if t.from_ in (from_id, "*") and t.to == to_id:
                return False
        src, dst = self.stage(from_id), self.stage(to_id)
        if src.funnel and (not dst.funnel or dst.order >= src.order):
            return True
        return any(t.from_ in (from_id, "*") and t.to == to_id for t in self.allowed_backward)


class PipelineStage(SpecModel):
    """An opportunity stage with its win probability (percent, 0-100) and forecast category."""

    id: Id
    name: str = Field(min_length=1)
    order: int = Field(ge=0)
    probability: Percent
    forecast_category: ForecastCategory
    is_closed: bool = False
    is_won: bool = False
    description: str = ""
    entry_criteria: Condition | None = None
    max_days_in_stage: int | None = Field(default=None, gt=0)


class Pipeline(SpecModel):
    """Opportunity stages in order."""

    stages: list[PipelineStage] = Field(min_length=2)

    def stage(self, stage_id: str) -> PipelineStage:
        """Return the stage with id ``stage_id`` (KeyError if none)."""
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)


class EngagementPoints(SpecModel):
    """Points a touchpoint type, or a rep-logged activity type, adds to the engagement score (negative to
    subtract). An entry names exactly one of ``touchpoint`` (``touchpoints.type``) or ``activity``
    (``activities.type``: meeting, call, email, task); automated activities never count.
    """

    touchpoint: str | None = Field(default=None, min_length=1)
    activity: str | None = Field(default=None, min_length=1)
    points: int = Field(ge=-100, le=100)

    @model_validator(mode="after")
    def _one_kind(self) -> EngagementPoints:
        if (self.touchpoint is None) == (self.activity is None):
            raise invalid(
                "an engagement points entry names both or neither of touchpoint and activity",
                "write {touchpoint: webinar, points: 15} or {activity: meeting, points: 30}",
            )
        return self

    @property
    def kind(self) -> str:
        """``touchpoint`` or ``activity``."""
        return "touchpoint" if self.touchpoint is not None else "activity"

    @property
    def type(self) -> str:
        """The touchpoint or activity type the points are for."""
        return self.touchpoint if self.touchpoint is not None else str(self.activity)


class Engagement(SpecModel):
    """Engagement score: points per touchpoint or rep activity, halved every ``half_life_days``, capped at 100."""

    half_life_days: int = Field(default=30, gt=0)
    points: list[EngagementPoints] = Field(min_length=1)


class ScoreThresholds(SpecModel):
    """Total-score thresholds: ``mql`` makes a lead marketing-qualified, ``hot`` gets the fast SLA."""

    mql: Percent
    hot: Percent


class Scoring(SpecModel):
    """Lead scoring: total = fit x fit_weight% + engagement x (100 - fit_weight)%, each 0-100."""

    fit_weight: Percent = 50
    engagement: Engagement
    thresholds: ScoreThresholds
