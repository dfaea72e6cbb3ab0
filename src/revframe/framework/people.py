"""The people pillar: teams, roles, decision rights, and lead routing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from revframe.framework.base import Country, Id, ObjectName, SpecModel
from revframe.framework.company import EmployeeRange
from revframe.framework.rules import Condition

Function = Literal["executive", "marketing", "sales", "customer_success", "revops", "finance"]
Strategy = Literal["account_owner", "named_accounts", "territory", "round_robin", "weighted_round_robin", "queue"]
WorkingHours = Literal["prefer", "strict", "ignore"]
Permission = Literal["leads.write", "routing.read", "activities.write", "sla.read"]


class Team(SpecModel):
    """A team; ``manager`` is the role that manages it (escalations go there)."""

    id: Id
    name: str = Field(min_length=1)
    function: Function
    manager: Id | None = None
    aliases: list[str] = []
    """Team names the CRM's users table uses for this team (e.g. Enterprise Sales, SMB Sales)."""


class Role(SpecModel):
    """A role someone holds; decision rights, ownership and merge rights name roles."""

    id: Id
    name: str = Field(min_length=1)
    team: Id
    description: str = ""
    aliases: list[str] = []
    """Role names the CRM's users table uses for this role (e.g. AE Manager)."""


class DecisionRight(SpecModel):
    """Who decides, who is consulted and who is informed for one kind of change."""

    decision: Id
    description: str = ""
    decide: list[Id] = Field(min_length=1)
    consult: list[Id] = []
    inform: list[Id] = []


class People(SpecModel):
    """Teams, roles and decision rights."""

    teams: list[Team] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    decision_rights: list[DecisionRight] = []

    def role_ids(self) -> list[str]:
        """Ids of all roles, in spec order."""
        return [r.id for r in self.roles]

    def deciders(self, decision: str) -> list[str]:
        """Role ids that may take ``decision`` (empty when the decision is not listed)."""
        return next((d.decide for d in self.decision_rights if d.decision == decision), [])


class RoutingRule(SpecModel):
    """One routing rule; rules are tried top to bottom and the first that matches assigns the record.

    ``account_owner``: the owner of the matched account. ``named_accounts``: the rep named for the
    matched account in ``accounts`` (account id, domain or name -> user id or email).
    ``territory``: reps of ``team`` for records in ``region``/``countries``/``segment``/``employees``,
    round robin. ``round_robin``: reps of ``team``. ``weighted_round_robin``: reps of ``team`` in
    proportion to ``weights`` (user id or email -> weight; unlisted reps weigh 1). ``queue``: a named queue.

    ``working_hours``: ``prefer`` passes over reps outside their working hours while a rep is in
    hours; ``strict`` always does; ``ignore`` never does.
    """

    id: Id
    description: str = ""
    strategy: Strategy
    when: Condition | None = None
    team: Id | None = None
    region: Id | None = None
    countries: list[Country] = []
    segment: Id | None = None
    employees: EmployeeRange | None = None
    accounts: dict[str, str] = {}
    weights: dict[str, float] = {}
    queue: Id | None = None
    respect_capacity: bool = True
    working_hours: WorkingHours = "prefer"


class Routing(SpecModel):
    """Lead routing rules and the queue for records no rule assigns."""

    object: ObjectName = "contacts"
    rules: list[RoutingRule] = []
    fallback_queue: Id
    rep_roles: list[Id] = []
    """Roles whose users take round-robin records; empty: everyone in the team but its manager."""


class ApiRight(SpecModel):
    """Which roles an API key must carry to use one permission of the server's API."""

    permission: Permission
    roles: list[Id] = Field(min_length=1)
    description: str = ""


class Api(SpecModel):
    """Server mode: the rights API keys need (a key carries one role of ``people.roles``)."""

    rights: list[ApiRight] = []

    def roles_for(self, permission: str) -> list[str]:
        """Role ids that may use ``permission`` (empty when no right lists it)."""
        return [role for r in self.rights if r.permission == permission for role in r.roles]
