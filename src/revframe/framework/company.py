"""Who the company is and who it sells to: company settings, regions, segments, ICP, charter, definitions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from revframe.framework.base import Country, Currency, Id, SpecModel, TimeZone, invalid
from revframe.framework.rules import Condition


class EmployeeRange(SpecModel):
    """An employee-count range; ``max`` empty means no upper bound."""

    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> EmployeeRange:
        if self.max is not None and self.max < self.min:
            raise invalid(f"employee range {self.min}..{self.max} is empty", "make max at least min")
        return self

    def contains(self, employees: int) -> bool:
        """Return whether a company of ``employees`` people falls in this range."""
        return employees >= self.min and (self.max is None or employees <= self.max)


class Segment(SpecModel):
    """A market segment by company size, e.g. SMB, mid-market, enterprise."""

    id: Id
    name: str
    employees: EmployeeRange
    description: str = ""


class Region(SpecModel):
    """A sales region: a named group of countries (territories, calendars and ICP refer to it)."""

    id: Id
    name: str
    countries: list[Country] = Field(min_length=1)
    aliases: list[str] = []
    """Region names the CRM's users table uses for this region (e.g. NA, AMER)."""


class Company(SpecModel):
    """Company-wide settings every engine reads."""

    name: str = Field(min_length=1)
    currency: Currency
    timezone: TimeZone
    default_phone_region: Country
    date_order: Literal["MDY", "DMY", "YMD"]
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    regions: list[Region] = []
    segments: list[Segment] = []

    def segment_for(self, employees: int | None) -> str | None:
        """Return the id of the segment a company of ``employees`` people belongs to, if any."""
        if employees is None:
            return None
        return next((s.id for s in self.segments if s.employees.contains(employees)), None)

    def region_for(self, country: str | None) -> str | None:
        """Return the id of the region that holds ``country`` (ISO alpha-2), if any."""
        return next((r.id for r in self.regions if country in r.countries), None)


class FitWeights(SpecModel):
    """How much each ICP criterion contributes to the fit score; the weights sum to 100."""

    industry: float = Field(default=0, ge=0)
    company_size: float = Field(default=0, ge=0)
    geography: float = Field(default=0, ge=0)
    title: float = Field(default=0, ge=0)
    seniority: float = Field(default=0, ge=0)
    function: float = Field(default=0, ge=0)

    @property
    def total(self) -> float:
        """Sum of the weights."""
        return self.industry + self.company_size + self.geography + self.title + self.seniority + self.function


Seniority = Literal["c_level", "vp", "head", "director", "manager", "individual_contributor"]


class Disqualifier(SpecModel):
    """A rule that puts a record outside the ICP whatever its fit score."""

    id: Id
    description: str
    when: Condition


class Icp(SpecModel):
    """The ideal customer profile: who fits, how fit is weighted, who never fits."""

    description: str = ""
    industries: list[str] = Field(min_length=1)
    employees: EmployeeRange
    countries: list[Country] = []
    regions: list[Id] = []
    titles: list[str] = []
    seniorities: list[Seniority] = []
    functions: list[Id] = []
    fit_weights: FitWeights
    disqualifiers: list[Disqualifier] = []


class Stakeholder(SpecModel):
    """A role with a stake in RevOps and what it needs from it."""

    role: Id
    interest: str


class Scope(SpecModel):
    """What RevOps owns and what it does not."""

    includes: list[str] = Field(min_length=1)
    excludes: list[str] = []


class Charter(SpecModel):
    """The one-page RevOps charter: mission, scope, stakeholders and how decisions get made."""

    mission: str = Field(min_length=1)
    owner: Id
    scope: Scope
    stakeholders: list[Stakeholder] = []
    decision_process: str = Field(min_length=1)
    change_process: str = ""
    review_cadence: Id | None = None


class Definition(SpecModel):
    """One entry of the shared dictionary: what a term means and who owns the definition."""

    term: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    owner: Id
    stage: Id | None = None
    aliases: list[str] = []
