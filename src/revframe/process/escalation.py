"""Escalations: the spec's ladder (notify owner, notify manager, reassign) fired once per leg and step,
and an outbox that delivers each as a Slack-compatible incoming-webhook message.

Firing writes a ``sla_escalations`` row (status ``pending``) inside the SLA run; delivery happens
after, never inside a request: :func:`deliver_pending` posts pending and failed rows to the channel's
URL from the spec's ``webhooks`` (``${ENV_VAR}`` values are read from the environment), retrying
timeouts, connection errors and 5xx answers with exponential backoff. A channel without a URL marks
its rows ``disabled`` (kept, never sent). A failure stays ``failed`` and the next delivery retries
it. Nothing here raises: the report says what happened.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from revframe.process.sla_clocks import Leg

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.handoffs import EscalationStep, Handoff
    from revframe.process.calendar import SlaClock
    from revframe.process.reps import Rep
    from revframe.store import Store

_ENV = re.compile(r"^\$\{([A-Z_][A-Z0-9_]*)\}$")
COLUMNS = (
    "escalation_id, clock_id, step, action, channel, fired_at, payload, status, attempts, last_error, delivered_at"
)
ACTION_WORDS = {"notify_owner": "Owner notified", "notify_manager": "Manager notified", "reassign": "Reassign"}


def threshold(step: EscalationStep, leg: Leg, clock: SlaClock) -> float:
    """Counted seconds after which ``step`` fires: a percent of the leg's SLA, or a duration on its clock."""
    if step.after_percent is not None:
        return leg.sla_seconds * step.after_percent / 100
    assert step.after is not None
    return clock.seconds(step.after)


def due_steps(h: Handoff, leg: Leg, clock: SlaClock, fired: set[int]) -> list[int]:
    """Ladder steps whose threshold the leg's counted time has reached and that have not fired for it."""
    return [i for i, s in enumerate(h.escalation) if i not in fired and leg.elapsed_seconds >= threshold(s, leg, clock)]


def _who(reps: dict[str, Rep], user_id: str | None) -> str:
    rep = reps.get(user_id or "")
    return f"{rep.name} <{rep.email}>" if rep and rep.email else (rep.name if rep else (user_id or "unassigned"))


def payload(h: Handoff, leg: Leg, step: EscalationStep, reps: dict[str, Rep]) -> dict[str, Any]:
    """The Slack-compatible message (``text`` for any client, ``blocks`` for Slack)."""
    owner = reps.get(leg.owner_id or "")
    hours = f"{leg.elapsed_seconds / 3600:.1f} h of {leg.sla_seconds / 3600:.1f} h"
    late = "breached" if leg.elapsed_seconds > leg.sla_seconds else "at risk"
    lines = [
        f"*{h.name}*: SLA {late} ({hours}{', business time' if leg.calendar else ''})",
        f"Record: {leg.object} {leg.record_id} (leg {leg.leg})",
        f"Owner: {_who(reps, leg.owner_id)}, team {leg.team or h.to_team}",
        f"Started {leg.started_at:%Y-%m-%d %H:%M} UTC, due {leg.due_at:%Y-%m-%d %H:%M} UTC",
        f"Expected: {h.expected_action.description}",
    ]
    if step.action == "notify_manager":
        lines.append(f"Manager: {_who(reps, owner.manager_id if owner else None)}")
    if step.action == "reassign":
        lines.append(step.description or "The record is routed again to another rep.")
    text = f"{ACTION_WORDS[step.action]}: " + " | ".join(line.replace("*", "") for line in lines)
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]}


def escalation_row(leg: Leg, i: int, step: EscalationStep, body: dict[str, Any], at: datetime) -> tuple[Any, ...]:
    import json

    return (f"{leg.clock_id}:{i}", leg.clock_id, i, step.action, step.channel, at, json.dumps(body),
            "pending", 0, None, None)  # fmt: skip


# --- delivery ---------------------------------------------------------------------------------------


def webhook_url(spec: Spec, channel: str | None) -> tuple[str, str | None]:
    """The URL of a channel, and why there is none (empty URL, unset variable, unknown channel)."""
    if not channel:
        return "", "the escalation step names no channel"
    if channel not in spec.webhooks:
        return "", f"channel '{channel}' is not in the spec's webhooks"
    raw = spec.webhooks[channel]
    m = _ENV.match(raw)
    if m:
        value = os.environ.get(m.group(1), "").strip()
        return value, None if value else f"{m.group(1)} is not set: channel '{channel}' is disabled"
    return raw, None if raw else f"channel '{channel}' has an empty URL: disabled"


@dataclass
class DeliveryReport:
    """What one delivery pass did: rows sent, failed (retried next time), disabled; attempts made."""

    sent: int = 0
    failed: int = 0
    disabled: int = 0
    attempts: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "disabled": self.disabled, "attempts": self.attempts,
                "errors": self.errors[:20]}  # fmt: skip


def _post(client: httpx.Client, url: str, body: str, max_attempts: int, backoff: float,
          sleep: Callable[[float], None]) -> tuple[bool, int, str | None]:  # fmt: skip
    """Post with retries on timeouts, connection errors and 5xx; (delivered, attempts, last error)."""
    error: str | None = None
    for attempt in range(1, max_attempts + 1):
        try:
            r = client.post(url, content=body, headers={"Content-Type": "application/json"})
            if r.status_code < 300:
                return True, attempt, None
            error = f"HTTP {r.status_code}: {r.text[:200]}"
            if r.status_code < 500:
                return False, attempt, error  # a 4xx will not change on retry
        except httpx.TimeoutException:
            error = "timed out"
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"
        if attempt < max_attempts:
            sleep(backoff * 2 ** (attempt - 1))
    return False, max_attempts, error


def deliver_pending(
    store: Store,
    spec: Spec,
    *,
    timeout: float = 2.0,
    max_attempts: int = 5,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    limit: int = 100_000,
) -> DeliveryReport:
    """Post pending and failed escalations to their channels' webhooks; never raises.

    Args:
        store: the store holding ``sla_escalations``.
        spec: the spec (its ``webhooks``).
        timeout: seconds per HTTP attempt.
        max_attempts: attempts per row in this pass (a failed row is retried by the next pass).
        backoff: the first wait between attempts, doubled after each.
        sleep: how to wait (tests pass a recorder).
        limit: most rows per pass, oldest first.

    Returns:
        Rows sent, failed and disabled, and the attempts made.

    Examples:
        >>> from revframe import Workspace
        >>> import tempfile
        >>> ws = Workspace.init(tempfile.mkdtemp())
        >>> deliver_pending(ws.store, ws.spec).sent
        0
    """
    report = DeliveryReport()
    try:
        rows = store.query(
            f"SELECT {COLUMNS} FROM sla_escalations WHERE status IN ('pending', 'failed') "
            "ORDER BY fired_at, escalation_id LIMIT ?",
            [limit],
        )
    except Exception as e:  # the store is down: say so, do not raise into the caller (the server)
        report.errors.append(f"reading the outbox failed: {e}")
        return report
    with httpx.Client(timeout=timeout) as client:
        for row in rows:
            eid, clock_id, step, action, channel, fired_at, body, _status, attempts, _err, _at = row
            url, why = webhook_url(spec, channel)
            if not url:
                status, tried, error, done = "disabled", 0, why, None
                report.disabled += 1
            else:
                ok, tried, error = _post(client, url, body or "{}", max_attempts, backoff, sleep)
                status, done = ("sent", datetime.now(UTC)) if ok else ("failed", None)
                report.attempts += tried
                report.sent += ok
                report.failed += not ok
                if error and not ok:
                    report.errors.append(f"{eid}: {error}")
            tries = int(attempts or 0) + tried
            new = (eid, clock_id, step, action, channel, fired_at, body, status, tries, error, done)
            try:
                with store.transaction():
                    store.execute("DELETE FROM sla_escalations WHERE escalation_id = ?", [eid])
                    store.insert_rows("sla_escalations", [new])
            except Exception as e:
                report.errors.append(f"{eid}: recording the delivery failed: {e}")
    return report


class Deliverer:
    """Delivers the outbox in a background thread every ``interval`` seconds (for the server).

    Request handlers only write pending rows; this thread posts them, so a slow or failing webhook
    never holds up a request. Give it a store URL to have it open its own connection (a store
    connection is not shared between threads). ``stop()`` ends the thread after the current pass.

    Examples:
        >>> from revframe import Workspace
        >>> import tempfile
        >>> ws = Workspace.init(tempfile.mkdtemp())
        >>> d = Deliverer.start(ws.store, ws.spec, interval=0.05)
        >>> d.stop()
        >>> d.passes >= 1
        True
    """

    def __init__(self, store: Store | str, spec: Spec, *, interval: float = 10.0, **options: Any) -> None:
        self.store, self.spec, self.interval, self.options = store, spec, interval, options
        self.passes = 0
        self.last: DeliveryReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="revframe-webhooks", daemon=True)

    @classmethod
    def start(cls, store: Store | str, spec: Spec, *, interval: float = 10.0, **options: Any) -> Deliverer:
        """A running deliverer: ``store`` is a store, or a URL the thread opens its own connection to."""
        d = cls(store, spec, interval=interval, **options)
        d._thread.start()
        return d

    def _run(self) -> None:
        store = self.store
        if isinstance(store, str):
            from revframe.store import open_store

            try:
                store = open_store(store)
            except Exception as e:
                self.last = DeliveryReport(errors=[f"opening the store failed: {e}"])
                return
        try:
            while True:
                self.last = deliver_pending(store, self.spec, **self.options)
                self.passes += 1
                if self._stop.wait(self.interval):
                    return
        finally:
            if store is not self.store:
                store.close()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._thread.join(timeout)
