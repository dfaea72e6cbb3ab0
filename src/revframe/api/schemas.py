"""Request and response bodies of the server's API (unknown fields are refused, text fields are bounded)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LeadIn(Body):
    """A new lead, as a web form or an integration sends it. Email is optional (matching then uses the name)."""

    email: Short | None = None
    first_name: Short | None = None
    last_name: Short | None = None
    company: Short | None = None
    title: Short | None = None
    phone: Short | None = None
    website: Short | None = None
    country: Short | None = Field(default=None, description="ISO alpha-2 code or a country name")
    state: Short | None = None
    city: Short | None = None
    lead_source: Short | None = None
    form: Short | None = Field(
        default=None, description="the form the lead filled (a touchpoint type, e.g. demo_request, content_download)"
    )
    campaign_id: Short | None = None
    source_system: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")] = "api"
    external_id: Short | None = Field(default=None, description="the lead's id in the sending system")


class ActivityIn(Body):
    """A rep's action on a record: a call, an email, a meeting. Automated touches never stop a clock."""

    type: Literal["call", "email", "meeting", "task"]
    contact_id: Short | None = None
    account_id: Short | None = None
    opportunity_id: Short | None = None
    owner_id: Short | None = None
    subject: Long | None = None
    status: Short | None = None
    is_automated: bool = False
    occurred_at: datetime | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    source_system: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")] = "api"
    external_id: Short | None = None


class LeadOut(BaseModel):
    """What happened to a lead: its id, duplicates, the account match, the score and the routing decision."""

    contact_id: str
    status: Literal["created", "duplicate"]
    duplicate_of: str | None = None
    match: dict[str, Any] | None = None
    score: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    sla_clock: dict[str, Any] | None = None
    notes: list[str] = []


class ActivityOut(BaseModel):
    activity_id: str
    stopped_clocks: list[dict[str, Any]]


class Problem(BaseModel):
    """An error: what is wrong, and per field what to change."""

    error: str
    fields: list[dict[str, Any]] = []
