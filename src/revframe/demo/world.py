"""The state of a generation run: what every chunk shares, and the records the walk builds up.

:class:`World` is shared by all chunks of one run; :class:`AccountState` is one Salesforce account
and its relationship so far; :class:`Person` is one real-world person with every record (lead,
contact, planted duplicates, HubSpot copy) that describes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from revframe.demo import defects as dfx
from revframe.demo.accounts import Company, CompanyFactory
from revframe.demo.campaigns import CampaignBook
from revframe.demo.config import Scale
from revframe.demo.ids import IdBook
from revframe.demo.users import Team, User

#: One record of a real-world entity: (table, source system, external id, role, defect).
Record = tuple[str, str, str, str, str]


@dataclass
class World:
    """Everything shared by all chunks of one generation run."""

    seed: int
    scale: Scale
    ids: IdBook
    team: Team
    book: CampaignBook
    factory: CompanyFactory
    gt: dfx.GroundTruth


@dataclass
class Person:
    """One real-world person and every record that describes them."""

    first: str
    last: str
    email: str | None
    phone: str | None
    mobile: str | None
    title: str | None
    company: str
    website: str | None
    country: str
    country_label: str
    city: str
    state: str
    source: str
    created: int
    acct: int  # index of the account in the chunk, -1 for none
    mql: int | None = None
    sql: int | None = None
    hs_stage: str = "lead"
    lead_status: str = ""
    opt_out: bool = False
    records: list[Record] = field(default_factory=list)
    hs_ok: bool = True  # may have a HubSpot copy


@dataclass
class AccountState:
    """One Salesforce account and the state of its relationship."""

    idx: int
    id: str
    co: Company
    tz: int
    owner: User
    created: int
    contacts: list[tuple[str, str, str]] = field(default_factory=list)  # (id, full name, email or "")
    blocked_until: int = 0
    customer_since: int | None = None
    churned_at: int | None = None
    has_open_opp: bool = False
    first_lead: int | None = None
    hs_company: str | None = None
    records: list[Record] = field(default_factory=list)


__all__ = ["AccountState", "Person", "Record", "World"]
