"""Reps: working hours read from text, checked in the rep's time zone (DST included), CRM names to spec ids."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from revframe.framework import default_spec_text, load_spec_text
from revframe.process.reps import (
    Hours,
    Rep,
    is_manager,
    load_reps,
    parse_hours,
    region_index,
    resolve,
    role_index,
    team_index,
)
from revframe.store import Store
from tests.quality.test_match_batch import rows

SPEC = load_spec_text(default_spec_text())
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


# --- parse_hours ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("Mon-Fri 09:00-17:00", {MON, TUE, WED, THU, FRI}, time(9), time(17)),
        ("mon-fri 9:00-17:30", {MON, TUE, WED, THU, FRI}, time(9), time(17, 30)),
        ("Mon,Wed,Fri 10:00-16:00", {MON, WED, FRI}, time(10), time(16)),
        ("Mon , Wed-Thu 08:15 - 12:45", {MON, WED, THU}, time(8, 15), time(12, 45)),
        ("Sat-Sun 10:00-14:00", {SAT, SUN}, time(10), time(14)),
        ("Fri-Mon 07:00-19:00", {FRI, SAT, SUN, MON}, time(7), time(19)),  # wraps past Sunday
        ("Sun-Tue 00:00-23:59", {SUN, MON, TUE}, time(0), time(23, 59)),
        ("Wed 12:00-13:00", {WED}, time(12), time(13)),
    ],
)
def test_parse_hours_reads_ranges_lists_and_wrap_around(text: str, days: set[int], start: time, end: time) -> None:
    assert parse_hours(text, "Europe/Berlin") == Hours(frozenset(days), start, end, "Europe/Berlin")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "whenever",
        "9-5",
        "Mon-Fri",
        "Mon-Fri 17:00-09:00",  # ends before it starts
        "Mon-Fri 09:00-09:00",  # empty
        "Mon-Fri 25:00-26:00",  # no such hour
        "Mon-Fri 09:75-17:00",
        "Xyz-Fri 09:00-17:00",
        "Monday-Friday 09:00-17:00",
        "Mon-Fri 09:00",
    ],
)
def test_parse_hours_gives_none_for_unreadable_text(text: str) -> None:
    assert parse_hours(text, "America/New_York") is None


@pytest.mark.parametrize("tz", [None, "", "Mars/Olympus_Mons", "EST5EDT/Nowhere", "../etc/passwd"])
def test_parse_hours_gives_none_for_an_unknown_time_zone(tz: str | None) -> None:
    assert parse_hours("Mon-Fri 09:00-17:00", tz) is None


def test_parse_hours_gives_none_without_text() -> None:
    assert parse_hours(None, "UTC") is None


# --- in_hours across time zones and DST -------------------------------------------------------------
def rep(**kw: Any) -> Rep:
    base: dict[str, Any] = {
        "id": "crm:u1", "name": "Ann", "email": "ann@yourco.com", "team": "sales_development",
        "crm_team": "Sales Development", "role": "Sales Development Rep", "spec_role": "sdr",
        "region": None, "is_active": True, "capacity": None, "timezone": None, "hours": None, "manager_id": None,
    }  # fmt: skip
    return Rep(**(base | kw))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Each case: the instant in UTC and whether it is inside Mon-Fri 09:00-17:00 local time, worked out by
# hand from the zone's offset on that date (New York: EST -5 until 2024-03-10, EDT -4 after;
# Berlin: CET +1 until 2024-03-31, CEST +2 after; Tokyo: +9, no DST; Kolkata: +5:30).
HOURS_CASES = [
    ("America/New_York", utc(2024, 3, 8, 14, 30), True),  # Fri 09:30 EST
    ("America/New_York", utc(2024, 3, 8, 13, 30), False),  # Fri 08:30 EST
    ("America/New_York", utc(2024, 3, 11, 13, 30), True),  # Mon 09:30 EDT: the same UTC hour is now inside
    ("America/New_York", utc(2024, 3, 11, 21, 30), False),  # Mon 17:30 EDT
    ("America/New_York", utc(2024, 3, 8, 21, 30), True),  # Fri 16:30 EST
    ("America/New_York", utc(2024, 3, 9, 15, 0), False),  # Sat 10:00
    ("America/New_York", utc(2024, 11, 4, 13, 30), False),  # Mon 08:30 EST (DST ended on Nov 3)
    ("America/New_York", utc(2024, 11, 1, 13, 30), True),  # Fri 09:30 EDT
    ("Europe/Berlin", utc(2024, 3, 29, 8, 30), True),  # Fri 09:30 CET
    ("Europe/Berlin", utc(2024, 3, 29, 7, 30), False),  # Fri 08:30 CET
    ("Europe/Berlin", utc(2024, 4, 2, 7, 30), True),  # Tue 09:30 CEST
    ("Europe/Berlin", utc(2024, 4, 2, 15, 0), False),  # Tue 17:00 CEST: the end is not inside
    ("Asia/Tokyo", utc(2024, 3, 10, 23, 30), False),  # Mon 08:30 JST (Sunday in UTC)
    ("Asia/Tokyo", utc(2024, 3, 11, 0, 0), True),  # Mon 09:00 JST: the start is inside
    ("Asia/Tokyo", utc(2024, 3, 15, 7, 59), True),  # Fri 16:59 JST
    ("Asia/Tokyo", utc(2024, 3, 15, 8, 0), False),  # Fri 17:00 JST
    ("Asia/Tokyo", utc(2024, 3, 15, 20, 0), False),  # Sat 05:00 JST (Friday in UTC)
    ("Asia/Kolkata", utc(2024, 3, 11, 3, 30), True),  # Mon 09:00 IST
    ("Asia/Kolkata", utc(2024, 3, 11, 3, 29), False),  # Mon 08:59 IST
]


@pytest.mark.parametrize(("tz", "at", "inside"), HOURS_CASES)
def test_in_hours_is_local_time_in_the_reps_zone(tz: str, at: datetime, inside: bool) -> None:
    r = rep(timezone=tz, hours=parse_hours("Mon-Fri 09:00-17:00", tz))
    assert r.in_hours(at) is inside


def test_in_hours_with_an_aware_time_in_another_zone() -> None:
    from zoneinfo import ZoneInfo

    r = rep(timezone="Europe/London", hours=parse_hours("Mon-Fri 09:00-17:00", "Europe/London"))
    # 2024-07-01 10:30 in New York (EDT) is 15:30 in London (BST): inside; 12:30 NY is 17:30 London: outside
    assert r.in_hours(datetime(2024, 7, 1, 10, 30, tzinfo=ZoneInfo("America/New_York")))
    assert not r.in_hours(datetime(2024, 7, 1, 12, 30, tzinfo=ZoneInfo("America/New_York")))


def test_weekend_hours_wrap_in_local_time() -> None:
    hours = parse_hours("Fri-Mon 22:00-23:00", "Pacific/Auckland")  # NZDT +13 in January
    r = rep(timezone="Pacific/Auckland", hours=hours)
    assert r.in_hours(utc(2024, 1, 14, 9, 30))  # Sun 22:30 local (Sunday 09:30 UTC)
    assert r.in_hours(utc(2024, 1, 15, 9, 30))  # Mon 22:30 local
    assert not r.in_hours(utc(2024, 1, 16, 9, 30))  # Tue 22:30 local
    assert not r.in_hours(utc(2024, 1, 14, 8, 30))  # Sun 21:30 local


def test_a_rep_without_hours_is_always_in_hours() -> None:
    r = rep()
    assert all(r.in_hours(utc(2024, 3, d, h)) for d in range(1, 8) for h in range(24))


# --- teams, regions and roles by id, name and alias --------------------------------------------------
@pytest.mark.parametrize(
    ("crm_name", "team"),
    [
        ("sales_development", "sales_development"),  # the spec id
        ("Sales Development", "sales_development"),  # the spec name
        ("SALES-DEVELOPMENT", "sales_development"),  # case and hyphens ignored
        ("  Sales Development ", "sales_development"),
        ("Account Executives", "sales"),
        ("Enterprise Sales", "sales"),  # aliases
        ("smb-sales", "sales"),
        ("Mid-Market Sales", "sales"),
        ("RevOps", "revops"),
        ("Revenue Operations", "revops"),
        ("Partnerships", None),
        ("", None),
        (None, None),
    ],
)
def test_team_resolves_by_id_name_and_alias(crm_name: str | None, team: str | None) -> None:
    assert resolve(team_index(SPEC), crm_name) == team


@pytest.mark.parametrize(
    ("crm_name", "region"),
    [
        ("north_america", "north_america"),
        ("North America", "north_america"),
        ("NA", "north_america"),
        ("amer", "north_america"),
        ("Europe, Middle East & Africa", "emea"),
        ("EMEA", "emea"),
        ("europe", "emea"),
        ("Asia Pacific", "apac"),
        ("APAC", "apac"),
        ("LATAM", None),
        (None, None),
    ],
)
def test_region_resolves_by_id_name_and_alias(crm_name: str | None, region: str | None) -> None:
    assert resolve(region_index(SPEC), crm_name) == region


@pytest.mark.parametrize(
    ("crm_name", "role"),
    [
        ("sdr", "sdr"),
        ("Sales Development Rep", "sdr"),
        ("SDR Manager", "sdr_manager"),
        ("sdr-manager", "sdr_manager"),
        ("Account Executive", "account_executive"),
        ("Sales Development Representative", None),
        (None, None),
    ],
)
def test_role_resolves_by_id_and_name(crm_name: str | None, role: str | None) -> None:
    assert resolve(role_index(SPEC), crm_name) == role


def test_load_reps_reads_users_with_spec_ids(duck: Store) -> None:
    users = [
        {"id": "crm:u1", "name": "Ann", "email": "ann@yourco.com", "team": "SMB Sales", "role": "Account Executive",
         "region": "NA", "is_active": True, "capacity": 40, "timezone": "America/Chicago",
         "working_hours": "Mon-Fri 08:00-16:00"},
        {"id": "crm:u2", "name": "Bo", "team": "Sales Development", "role": "SDR Manager", "region": "EMEA",
         "is_active": False, "timezone": "Mars/Base", "working_hours": "Mon-Fri 08:00-16:00"},
        {"id": "crm:u3", "name": None, "team": "Partnerships", "role": "Partner Manager", "region": "LATAM",
         "working_hours": "always", "timezone": "UTC"},
    ]  # fmt: skip
    with duck.transaction():
        duck.insert_rows("users", rows("users", users))
    reps = load_reps(duck, SPEC)
    assert list(reps) == ["crm:u1", "crm:u2", "crm:u3"]
    ann, bo, anon = reps["crm:u1"], reps["crm:u2"], reps["crm:u3"]
    assert (ann.team, ann.crm_team, ann.spec_role, ann.region) == (
        "sales",
        "SMB Sales",
        "account_executive",
        "north_america",
    )
    assert (ann.is_active, ann.capacity, ann.timezone) == (True, 40, "America/Chicago")
    assert ann.hours == Hours(frozenset(range(5)), time(8), time(16), "America/Chicago")
    assert (bo.team, bo.spec_role, bo.region, bo.is_active) == ("sales_development", "sdr_manager", "emea", False)
    assert bo.hours is None  # unknown zone: taken as always in hours, not a crash
    assert (anon.team, anon.spec_role, anon.region, anon.name, anon.hours) == (None, None, None, "", None)
    assert anon.is_active is True  # the CRM did not say: counts as active
    assert anon.label() == "crm:u3" and ann.label() == "Ann (crm:u1)"


# --- managers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("team", "spec_role", "manager"),
    [
        ("sales_development", "sdr_manager", True),  # the team's manager role
        ("sales_development", "sdr", False),
        ("sales", "vp_sales", True),
        ("sales", "sales_manager", False),  # a manager by title, but not the role that manages the team
        ("sales_development", "vp_sales", False),  # manages another team
        (None, "sdr_manager", False),  # no team: nothing to manage
        ("sales_development", None, False),
    ],
)
def test_is_manager_is_the_teams_managing_role(team: str | None, spec_role: str | None, manager: bool) -> None:
    assert is_manager(SPEC, rep(team=team, spec_role=spec_role)) is manager
