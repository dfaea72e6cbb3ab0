"""SLA clock legs: the row model, and how a leg moves on when an action, a new owner or a pause arrives.

One leg is a period of a handoff clock with one owner. Its ``elapsed_seconds`` and ``paused_seconds``
are counted on the leg's clock (business seconds for a business calendar, else wall seconds).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from revframe.process.calendar import BusinessClock, SlaClock, WallClock, utc

if TYPE_CHECKING:
    from revframe.framework import Spec

ACTIVE = ("open", "paused", "breached")
"""Statuses of a leg still running (a breached leg keeps running until the action comes)."""
ACTIVE_SQL = "stopped_at IS NULL AND status IN ('open', 'paused', 'breached')"


def active_sql(alias: str) -> str:
    """:data:`ACTIVE_SQL` for the ``sla_clocks`` row ``alias``."""
    return f"{alias}.stopped_at IS NULL AND {alias}.status IN ('open', 'paused', 'breached')"


CLOSED = "closed: "
"""Prefix of the stop reason of a leg that ended without the expected action (reassigned, owner left)."""


@dataclass
class Leg:
    """One ``sla_clocks`` row."""

    clock_id: str
    handoff_id: str
    leg: int
    object: str
    record_id: str
    owner_id: str | None
    team: str | None
    sla_id: str
    sla_seconds: float
    calendar: str
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None = None
    stop_reason: str | None = None
    status: str = "open"
    elapsed_seconds: float = 0.0
    paused_seconds: float = 0.0
    paused_since: datetime | None = None
    updated_at: datetime | None = None
    framework_version: str | None = None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Leg:
        leg = cls(*row)
        for name in ("started_at", "due_at", "stopped_at", "paused_since", "updated_at"):
            value = getattr(leg, name)
            if value is not None:
                setattr(leg, name, utc(value))
        leg.leg, leg.sla_seconds = int(leg.leg), float(leg.sla_seconds)
        leg.elapsed_seconds, leg.paused_seconds = float(leg.elapsed_seconds or 0), float(leg.paused_seconds or 0)
        return leg

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times in ISO 8601, hours next to seconds."""
        out: dict[str, Any] = asdict(self)
        for k, v in out.items():
            if isinstance(v, datetime):
                out[k] = v.isoformat()
        out["elapsed_hours"] = round(self.elapsed_seconds / 3600, 3)
        out["sla_hours"] = round(self.sla_seconds / 3600, 3)
        return out

    @property
    def active(self) -> bool:
        return self.stopped_at is None and self.status in ACTIVE

    @property
    def responded(self) -> bool:
        """Stopped by the expected action (not closed by a reassignment)."""
        return self.stopped_at is not None and not (self.stop_reason or "").startswith(CLOSED)


COLUMNS = ", ".join(f.name for f in fields(Leg))


def leg_clock(spec: Spec, leg: Leg) -> SlaClock:
    """The clock a leg counts on: its calendar's business hours, or the wall clock."""
    cal = next((c for c in spec.calendars if c.id == leg.calendar), None) if leg.calendar else None
    return BusinessClock(cal) if cal else WallClock()


def counted(clock: SlaClock, leg: Leg, at: datetime) -> float:
    """Counted time of ``leg`` from its start to ``at``: paused time (past pauses and a running one) excluded."""
    total = clock.elapsed(leg.started_at, at) - leg.paused_seconds
    if leg.paused_since is not None and at > leg.paused_since:
        total -= clock.elapsed(leg.paused_since, at)
    return max(total, 0.0)


def stop(clock: SlaClock, leg: Leg, at: datetime, reason: str, now: datetime) -> Leg:
    """The leg stopped at ``at`` by the expected action: met within the SLA, else breached."""
    used = counted(clock, leg, at)
    paused = leg.paused_seconds + (clock.elapsed(leg.paused_since, at) if leg.paused_since else 0.0)
    status = "met" if used <= leg.sla_seconds else "breached"
    return replace(leg, stopped_at=at, stop_reason=reason, status=status, elapsed_seconds=used,
                   paused_seconds=paused, paused_since=None, updated_at=now)  # fmt: skip


def close(clock: SlaClock, leg: Leg, at: datetime, why: str, now: datetime) -> Leg:
    """The leg closed without the action (new owner, owner left): past due it stays charged as breached."""
    used = counted(clock, leg, at)
    paused = leg.paused_seconds + (clock.elapsed(leg.paused_since, at) if leg.paused_since else 0.0)
    status = "breached" if used > leg.sla_seconds else "reassigned"
    return replace(leg, stopped_at=at, stop_reason=CLOSED + why, status=status, elapsed_seconds=used,
                   paused_seconds=paused, paused_since=None, updated_at=now)  # fmt: skip


def tick(clock: SlaClock, leg: Leg, at: datetime, paused_now: bool | None, now: datetime) -> Leg:
    """The leg still running at ``at``: pause or resume it, count its time, breached once past the SLA."""
    leg = replace(leg, updated_at=now)
    if paused_now and leg.paused_since is None:
        leg.paused_since = max(at, leg.started_at)
    elif paused_now is False and leg.paused_since is not None:
        leg.paused_seconds += clock.elapsed(leg.paused_since, at)
        leg.paused_since = None
    leg.elapsed_seconds = counted(clock, leg, at)
    leg.due_at = clock.add(leg.started_at, leg.sla_seconds + leg.paused_seconds)
    if leg.elapsed_seconds > leg.sla_seconds:
        leg.status = "breached"
    else:
        leg.status = "paused" if leg.paused_since is not None else "open"
    return leg


def next_leg(leg: Leg, owner: str | None, team: str | None, at: datetime, clock: SlaClock, now: datetime) -> Leg:
    """The next leg for a new owner, from ``at``, with a fresh SLA of the same length."""
    number = leg.leg + 1
    base = leg.clock_id.rsplit(":", 1)[0]
    return replace(
        leg, clock_id=f"{base}:{number}", leg=number, owner_id=owner, team=team or leg.team, started_at=at,
        due_at=clock.add(at, leg.sla_seconds), stopped_at=None, stop_reason=None, status="open",
        elapsed_seconds=0.0, paused_seconds=0.0, paused_since=None, updated_at=now,
    )  # fmt: skip
