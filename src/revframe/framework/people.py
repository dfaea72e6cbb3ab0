"""The people pillar: teams, roles, decision rights, and lead routing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from revframe.framework.base import Id, ObjectName, SpecModel
from revframe.framework.rules import Condition

Function = Literal["executive", "marketing", "sales", "customer_success", "revops", "finance"]
Strategy = Literal["account_owner", "territory", "round_robin", "queue"]


class Team(SpecModel):
    """A team; ``manager`` is the role that manages it (escalations go there)."""

    id: Id
    name: str = Field(min_length=1)
    function: Function
    manager: Id | None = None


class Role(SpecModel):
    """A role someone holds; decision rights, ownership and merge rights name roles."""

    id: Id
    name: str = Field(min_length=1)
    team: Id
    description: str = ""


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

    ``account_owner``: the owner of the matched account. ``territory``: reps of ``team`` in
    ``region``/``segment``, round robin. ``round_robin``: reps of ``team``. ``queue``: a named queue.
    """

    id: Id
    description: str = ""
    strategy: Strategy
    when: Condition | None = None
    team: Id | None = None
    region: Id | None = None
    segment: Id | None = None
    queue: Id | None = None
    respect_capacity: bool = True


class Routing(SpecModel):
    """Lead routing rules and the queue for records no rule assigns."""

    object: ObjectName = "contacts"
    rules: list[RoutingRule] = []
    fallback_queue: Id
