"""Reps as routing and SLA clocks see them: the CRM's users, resolved to the spec's teams and regions.

The CRM names teams and regions its own way ("Sales Development", "NA"); a user belongs to the spec
team whose id, name or one of whose ``aliases`` equals the CRM's team name (case, spaces and
hyphens ignored), and likewise for regions. Working hours come from ``users.working_hours``
(``Mon-Fri 09:00-17:00``) in ``users.timezone``; a user without them is taken as always in hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from revframe.quality.scan_rules import allowed_key

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HOURS = re.compile(
    r"^\s*(?P<days>[A-Za-z]{3}(?:\s*[-,]\s*[A-Za-z]{3})*)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


@dataclass(frozen=True)
class Hours:
    """Weekly working hours: the weekdays (0 = Monday) and the daily start and end, in ``tz``."""

    days: frozenset[int]
    start: time
    end: time
    tz: str

    def contains(self, at: datetime) -> bool:
        """Whether the aware instant ``at`` falls inside these hours."""
        local = at.astimezone(ZoneInfo(self.tz))
        return local.weekday() in self.days and self.start <= local.time() < self.end


@lru_cache(maxsize=512)
def parse_hours(text: str | None, tz: str | None) -> Hours | None:
    """``'Mon-Fri 09:00-17:00'`` (or ``'Mon,Wed,Fri 10:00-16:00'``) in time zone ``tz``; None if unreadable."""
    if not text or not tz:
        return None
    m = _HOURS.match(text)
    if not m:
        return None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    days: set[int] = set()
    for part in re.split(r"\s*,\s*", m["days"].lower()):
        a, _, b = part.partition("-")
        a, b = a.strip()[:3], (b.strip()[:3] or a.strip()[:3])
        if a not in _DAYS or b not in _DAYS:
            return None
        i, j = _DAYS.index(a), _DAYS.index(b)
        days.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
    try:
        start, end = time.fromisoformat(m["start"].zfill(5)), time.fromisoformat(m["end"].zfill(5))
    except ValueError:
        return None
    if end <= start:
        return None
    return Hours(frozenset(days), start, end, tz)


@dataclass(frozen=True)
class Rep:
    """A user who can own records: the CRM's row with its spec team and region resolved."""

    id: str
    name: str
    email: str | None
    team: str | None
    """The spec team id (None when the CRM's team name matches no spec team)."""
    crm_team: str | None
    role: str | None
    spec_role: str | None
    """The spec role id (by id or name), None when the CRM's role matches none."""
    region: str | None
    """The spec region id (None when the CRM's region matches none)."""
    is_active: bool
    capacity: int | None
    timezone: str | None
    hours: Hours | None
    manager_id: str | None

    def in_hours(self, at: datetime) -> bool:
        """Whether ``at`` is inside the rep's working hours (True when the hours are unknown)."""
        return self.hours is None or self.hours.contains(at)

    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


def _index(entries: list[tuple[str, list[str]]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec_id, names in entries:
        for name in names:
            out.setdefault(allowed_key(name), spec_id)
    return out


def team_index(spec: Spec) -> dict[str, str]:
    """CRM team name key -> spec team id (by id, name and aliases)."""
    return _index([(t.id, [t.id, t.name, *t.aliases]) for t in spec.people.teams])


def region_index(spec: Spec) -> dict[str, str]:
    """CRM region name key -> spec region id (by id, name and aliases)."""
    return _index([(r.id, [r.id, r.name, *r.aliases]) for r in spec.company.regions])


def resolve(index: dict[str, str], crm_name: str | None) -> str | None:
    return index.get(allowed_key(crm_name)) if crm_name else None


REP_COLUMNS = "id, name, email, team, role, region, is_active, capacity, timezone, working_hours, manager_id"


def role_index(spec: Spec) -> dict[str, str]:
    """CRM role name key -> spec role id (by id, name and aliases)."""
    return _index([(r.id, [r.id, r.name, *r.aliases]) for r in spec.people.roles])


def rep_from_row(row: tuple, teams: dict[str, str], regions: dict[str, str], roles: dict[str, str]) -> Rep:
    uid, name, email, team, role, region, active, capacity, tz, hours, manager = row
    return Rep(
        id=uid,
        name=name or "",
        email=email,
        team=resolve(teams, team),
        crm_team=team,
        role=role,
        spec_role=resolve(roles, role),
        region=resolve(regions, region),
        is_active=active is not False,  # unknown counts as active: the CRM did not say otherwise
        capacity=int(capacity) if capacity is not None else None,
        timezone=tz,
        hours=parse_hours(hours, tz),
        manager_id=manager,
    )


def load_reps(store: Store, spec: Spec) -> dict[str, Rep]:
    """Every user as a :class:`Rep`, by id."""
    teams, regions, roles = team_index(spec), region_index(spec), role_index(spec)
    rows = store.query(f"SELECT {REP_COLUMNS} FROM users ORDER BY id")
    return {r[0]: rep_from_row(r, teams, regions, roles) for r in rows}


def is_manager(spec: Spec, rep: Rep) -> bool:
    """Whether the rep holds the managing role of their team (managers take escalations, not leads)."""
    team = next((t for t in spec.people.teams if t.id == rep.team), None)
    return team is not None and team.manager is not None and rep.spec_role == team.manager
