"""Handoffs between teams: trigger, expected action, SLA clock, escalation ladder, quality standard.

Also the business calendars SLA clocks run on.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from revframe.framework.base import FieldRef, Id, SpecModel, TimeZone, invalid
from revframe.framework.rules import Condition

Unit = Literal["minutes", "hours", "days", "business_hours", "business_days"]
Clock = Literal["business", "wall"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TriggerEvent = Literal["stage_entered", "owner_assigned", "signal", "disqualified", "recycled"]
EscalationAction = Literal["notify_owner", "notify_manager", "reassign"]

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Duration(SpecModel):
    """A length of time, e.g. ``{duration: 4, unit: business_hours}``."""

    duration: float = Field(gt=0)
    unit: Unit


class Sla(Duration):
    """How long the receiving team has to act.

    ``business_*`` units count only the calendar's working hours; ``clock: business`` does the same
    for minutes/hours/days. The calendar defaults to the one assigned to the receiving team.
    """

    clock: Clock | None = None
    calendar: Id | None = None

    @property
    def effective_clock(self) -> Clock:
        """``business`` for business units or an explicit business clock, else ``wall``."""
        if self.unit.startswith("business_"):
            return "business"
        return self.clock or "wall"


class PrioritySla(SpecModel):
    """A faster SLA for records matching ``when`` (the first match replaces the default SLA)."""

    id: Id
    description: str = ""
    when: Condition
    sla: Sla


class EscalationStep(SpecModel):
    """One rung of the escalation ladder, after a fixed time or a percent of the SLA elapsed."""

    after: Duration | None = None
    after_percent: int | None = Field(default=None, gt=0, le=1000)
    action: EscalationAction
    channel: Id | None = None
    description: str = ""

    @model_validator(mode="after")
    def _one_trigger(self) -> EscalationStep:
        if (self.after is None) == (self.after_percent is None):
            raise invalid(
                "an escalation step needs exactly one of after / after_percent",
                "write after_percent: 100 (at breach) or after: {duration: 2, unit: hours}",
            )
        return self


class Trigger(SpecModel):
    """What starts the handoff clock."""

    event: TriggerEvent
    signal: Id | None = None
    description: str = Field(min_length=1)
    when: Condition | None = None

    @model_validator(mode="after")
    def _signal_named(self) -> Trigger:
        if self.event == "signal" and not self.signal:
            raise invalid("a signal trigger needs a signal name", "add signal: expansion (or churn_risk)")
        return self


class ExpectedAction(SpecModel):
    """What the receiving team must do; the SLA clock stops when ``done_when`` holds."""

    description: str = Field(min_length=1)
    done_when: Condition


class QualityStandard(SpecModel):
    """What the handoff package must carry: canonical fields that must be filled, plus a checklist."""

    required_fields: list[FieldRef] = []
    checklist: list[str] = []


class Handoff(SpecModel):
    """A documented handoff between two teams (trigger, action, SLA, escalation, quality standard)."""

    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    from_team: Id
    to_team: Id
    owner_team: Id
    from_stage: Id | None = None
    to_stage: Id | None = None
    trigger: Trigger
    expected_action: ExpectedAction
    sla: Sla
    priority_slas: list[PrioritySla] = []
    escalation: list[EscalationStep] = []
    quality_standard: QualityStandard | None = None
    pause_when: Condition | None = None
    """While this holds for the record (e.g. lead_status on_hold), the clock is paused."""


class BusinessHours(SpecModel):
    """Working hours of a day, 24-hour ``HH:MM`` in the calendar's time zone."""

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise invalid(f"'{value}' is not a time of day", "write 24-hour HH:MM in quotes, e.g. '09:00'")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.end <= self.start:
            raise invalid(f"hours end {self.end} is not after start {self.start}", "make end later than start")
        return self


class Calendar(SpecModel):
    """Business hours of teams or regions: time zone, working days, hours and holidays."""

    id: Id
    name: str = Field(min_length=1)
    timezone: TimeZone
    working_days: list[Weekday] = Field(min_length=1)
    hours: BusinessHours
    holidays: list[date] = []
    teams: list[Id] = []
    regions: list[Id] = []
