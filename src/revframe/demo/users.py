"""The go-to-market team: SDRs, AEs by segment, CSMs, managers, marketing and RevOps, by region."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from revframe.demo.clock import TZ_INDEX
from revframe.demo.config import AS_OF, COMPANY_DOMAIN, DAY, REGIONS, START
from revframe.demo.people import ascii_slug, person_name

_REGION_W = {"NA": 1.0, "EMEA": 0.6, "APAC": 0.3}
_REGION_TZ = {
    "NA": [
        ("America/New_York", 0.45),
        ("America/Chicago", 0.25),
        ("America/Denver", 0.1),
        ("America/Los_Angeles", 0.2),
    ],
    "EMEA": [
        ("Europe/London", 0.4),
        ("Europe/Berlin", 0.25),
        ("Europe/Paris", 0.15),
        ("Europe/Amsterdam", 0.1),
        ("Europe/Dublin", 0.1),
    ],
    "APAC": [("Australia/Sydney", 0.6), ("Asia/Singapore", 0.4)],
    "Global": [("America/New_York", 1.0)],
}
_REGION_COUNTRY = {"NA": "US", "EMEA": "GB", "APAC": "AU", "Global": "US"}
_HOURS = [((9.0, 17.0), 0.7), ((8.0, 16.5), 0.15), ((10.0, 18.0), 0.1), ((8.5, 17.5), 0.05)]


@dataclass
class User:
    """A Salesforce user."""

    idx: int
    id: str
    first: str
    last: str
    title: str
    team: str
    role: str
    region: str
    segment: str
    tz: str
    hours: tuple[float, float]
    capacity: int | None
    start: int
    end: int  # AS_OF + 1 when still active
    manager: str = ""
    is_integration: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def active(self) -> bool:
        return self.end > AS_OF

    @property
    def tz_idx(self) -> int:
        return TZ_INDEX[self.tz]

    @property
    def working_hours(self) -> str:
        a, b = self.hours
        return f"Mon-Fri {int(a):02d}:{int(round((a % 1) * 60)):02d}-{int(b):02d}:{int(round((b % 1) * 60)):02d}"


class Team:
    """All users plus the pools owners are drawn from."""

    def __init__(self, users: list[User]) -> None:
        self.users = users
        self.pools: dict[tuple[str, str, str], list[User]] = {}
        for u in users:
            self.pools.setdefault((u.role, u.region, u.segment), []).append(u)
        self.integration = next(u for u in users if u.is_integration)

    def pick(self, r: random.Random, role: str, region: str, segment: str, t: int) -> User:
        """An owner of the role active at time t (falls back to whoever held the seat)."""
        pool = self.pools.get((role, region, segment)) or self.pools[(role, "NA", segment)]
        active = [u for u in pool if u.start <= t < u.end]
        return r.choice(active or pool)

    def manager_of(self, role: str, region: str, segment: str) -> User | None:
        pool = self.pools.get((role + " Manager", region, segment)) or []
        return pool[0] if pool else None


def build_team(r: random.Random, scale_team: int, new_id) -> Team:
    """The team for a company scale; ``new_id(prefix)`` allocates Salesforce ids."""
    users: list[User] = []

    def add(
        title: str,
        team: str,
        role: str,
        region: str,
        segment: str = "",
        capacity: int | None = None,
        manager: str = "",
        churn: bool = True,
        integration: bool = False,
        name: tuple[str, str] | None = None,
    ) -> User:
        tzs = _REGION_TZ[region]
        tz = r.choices([t for t, _ in tzs], [w for _, w in tzs])[0]
        hours = r.choices([h for h, _ in _HOURS], [w for _, w in _HOURS])[0]
        first, last = name or person_name(r, _REGION_COUNTRY[region])
        start = START - r.randint(30, 700) * DAY - r.randint(0, DAY)
        u = User(
            len(users),
            new_id("005"),
            first,
            last,
            title,
            team,
            role,
            region,
            segment,
            tz,
            hours,
            capacity,
            start,
            AS_OF + 1,
            manager,
            integration,
        )
        users.append(u)
        if churn and r.random() < 0.12:
            left = START + r.randint(60, (AS_OF - START) // DAY - 60) * DAY + r.randint(0, DAY)
            u.end = left
            first2, last2 = person_name(r, _REGION_COUNTRY[region])
            v = User(
                len(users),
                new_id("005"),
                first2,
                last2,
                title,
                team,
                role,
                region,
                segment,
                tz,
                hours,
                capacity,
                left - r.randint(7, 30) * DAY,
                AS_OF + 1,
                manager,
            )
            users.append(v)
        return u

    add(
        "Integration User",
        "Systems",
        "Integration",
        "Global",
        churn=False,
        integration=True,
        name=("HubSpot", "Integration"),
    )
    cro = add("Chief Revenue Officer", "Leadership", "Executive", "Global", churn=False)
    vp_mkt = add("VP Marketing", "Marketing", "Marketing", "Global", manager=cro.id, churn=False)
    add("Director of Marketing Ops", "Marketing", "Marketing", "Global", manager=vp_mkt.id, churn=False)
    revops = add("Head of RevOps", "Revenue Operations", "RevOps", "Global", manager=cro.id, churn=False)
    add("RevOps Analyst", "Revenue Operations", "RevOps", "Global", manager=revops.id)
    vp_cs = add("VP Customer Success", "Customer Success", "Executive", "Global", manager=cro.id, churn=False)
    for region in REGIONS:
        w = _REGION_W[region]
        vp = add(f"VP Sales {region}", "Sales", "Executive", region, manager=cro.id, churn=False)
        mgr = add(f"SDR Manager, {region}", "Sales Development", "SDR Manager", region, manager=vp.id, churn=False)
        for _ in range(max(1, math.ceil(4 * scale_team * w))):
            add(
                "Sales Development Representative",
                "Sales Development",
                "SDR",
                region,
                capacity=r.choice([120, 150, 150, 200, 250]),
                manager=mgr.id,
            )
        for segment, n in (("SMB", 3.0), ("Mid-Market", 2.2), ("Enterprise", 1.5)):
            mgr = add(
                f"Sales Manager, {segment} {region}",
                f"{segment} Sales",
                "AE Manager",
                region,
                segment,
                manager=vp.id,
                churn=False,
            )
            title = {
                "SMB": "Account Executive",
                "Mid-Market": "Account Executive, Mid-Market",
                "Enterprise": "Enterprise Account Executive",
            }[segment]
            for _ in range(max(1, math.ceil(n * scale_team * w))):
                add(
                    title,
                    f"{segment} Sales",
                    "AE",
                    region,
                    segment,
                    capacity=r.choice([40, 50, 60, 80]),
                    manager=mgr.id,
                )
        cs_mgr = add(f"CS Manager, {region}", "Customer Success", "CSM Manager", region, manager=vp_cs.id, churn=False)
        for _ in range(max(1, math.ceil(3 * scale_team * w))):
            add("Customer Success Manager", "Customer Success", "CSM", region, manager=cs_mgr.id)
    # AE pools are keyed by segment; SDR and CSM pools by region only.
    return Team(users)


def user_rows(team: Team) -> list[dict]:
    """Salesforce User export rows."""
    rows = []
    for u in team.users:
        email = (
            f"{ascii_slug(u.first)}.{ascii_slug(u.last)}@{COMPANY_DOMAIN}"
            if not u.is_integration
            else f"hubspot.integration@{COMPANY_DOMAIN}"
        )
        rows.append(
            {
                "Id": u.id,
                "FirstName": u.first,
                "LastName": u.last,
                "Name": u.name,
                "Email": email,
                "Username": email + ".nwa",
                "Title": u.title,
                "Department": u.team,
                "UserRole.Name": u.role,
                "Division": u.region,
                "ManagerId": u.manager or None,
                "IsActive": "true" if u.active else "false",
                "Lead_Capacity__c": str(u.capacity) if u.capacity else None,
                "TimeZoneSidKey": u.tz,
                "Working_Hours__c": u.working_hours,
                "UserType": "Standard",
                "CreatedDate": u.start,
                "LastModifiedDate": min(AS_OF - 3600, max(u.start, u.end - DAY)),
            }
        )
    return rows
