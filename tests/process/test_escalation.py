"""Escalations: the ladder fires once per leg and step; the outbox posts to a real local webhook server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from revframe.process.escalation import Deliverer, deliver_pending
from revframe.process.sla import run_sla
from revframe.store import Store
from tests.process.test_sla import SPEC, lead, ny, users
from tests.quality.test_match_batch import rows


class Hook:
    """A local webhook: answers the codes queued in ``answers`` (then 200), or sleeps ``delay`` seconds."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.delay = 0.0
        self.bodies: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.bodies.append(json.loads(body))
                if hook.delay:
                    time.sleep(hook.delay)
                code = hook.answers.pop(0) if hook.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"boom")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hook]:
    h = Hook()
    monkeypatch.setenv("REVFRAME_WEBHOOK_SALES", h.url)
    yield h
    h.server.shutdown()


def stalled(store: Store) -> None:
    """A lead assigned Thursday 09:00 to Ann (manager Max) that nobody touches."""
    users(store)
    store.insert_rows("contacts", rows("contacts", [lead("stall", mql_at=ny(2026, 3, 12, 9), owner_id="crm:u1")]))


def fired(store: Store) -> list[tuple[Any, ...]]:
    return store.query("SELECT step, action, status, attempts, payload FROM sla_escalations ORDER BY step")


def test_ladder_fires_once_per_step(duck: Store, hook: Hook) -> None:
    stalled(duck)
    run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 11), deliver=False)  # 2h of 4: nothing yet
    assert fired(duck) == []
    run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 12), deliver=False)  # 3h = 75%: notify the owner
    assert [(s, a, st) for s, a, st, *_ in fired(duck)] == [(0, "notify_owner", "pending")]
    run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 12), deliver=False)  # same time again: nothing new
    run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 14), deliver=False)  # 5h > 100%: the manager
    assert [a for _, a, *_ in fired(duck)] == ["notify_owner", "notify_manager"]
    msg = json.loads(fired(duck)[1][4])
    assert "Max Manager" in msg["text"] and "Marketing to Sales" in msg["text"] and "crm:stall" in msg["text"]
    assert msg["blocks"][0]["type"] == "section" and "5.0 h of 4.0 h" in msg["blocks"][0]["text"]["text"]
    calls: list[tuple[Any, ...]] = []

    def reassign(contact_id: str, exclude: str | None, reason: str, at: datetime) -> str:
        calls.append((contact_id, exclude))
        return "crm:u2"

    run_sla(duck, SPEC, as_of=ny(2026, 3, 13, 9), deliver=False, reassign=reassign)  # 9h > 200%: reassign
    assert [a for _, a, *_ in fired(duck)] == ["notify_owner", "notify_manager", "reassign"]
    assert calls == [("crm:stall", "crm:u1")]
    legs = duck.query("SELECT leg, owner_id, status FROM sla_clocks ORDER BY leg")
    assert legs == [(1, "crm:u1", "breached"), (2, "crm:u2", "open")]  # the breach stays charged to Ann
    report = deliver_pending(duck, SPEC, sleep=lambda s: None)
    assert (report.sent, report.failed) == (3, 0)
    assert len(hook.bodies) == 3 and all("text" in b for b in hook.bodies)
    assert deliver_pending(duck, SPEC).sent == 0  # nothing left to send


def test_retries_with_backoff_then_sent(duck: Store, hook: Hook) -> None:
    stalled(duck)
    run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 12), deliver=False)
    hook.answers = [500]
    waits: list[float] = []
    report = deliver_pending(duck, SPEC, backoff=0.5, sleep=waits.append)
    assert (report.sent, report.attempts, waits) == (1, 2, [0.5])
    (_, _, status, attempts, _), = fired(duck)  # fmt: skip
    assert (status, attempts) == ("sent", 2)


def test_failures_kept_and_retried_next_pass(duck: Store, hook: Hook) -> None:
    stalled(duck)
    run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 12), deliver=False)
    hook.answers = [500, 502, 503]
    waits: list[float] = []
    report = deliver_pending(duck, SPEC, max_attempts=3, backoff=1, sleep=waits.append)
    assert (report.sent, report.failed, waits) == (0, 1, [1, 2])  # exponential backoff between attempts
    row = duck.query("SELECT status, attempts, last_error FROM sla_escalations")[0]
    assert row[:2] == ("failed", 3) and "503" in row[2]
    assert deliver_pending(duck, SPEC, sleep=waits.append).sent == 1  # the next pass retries it
    assert duck.query("SELECT status, attempts FROM sla_escalations")[0] == ("sent", 4)


def test_timeout_is_a_failure_not_a_crash(duck: Store, hook: Hook) -> None:
    stalled(duck)
    run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 12), deliver=False)
    hook.delay = 0.5
    waits: list[float] = []
    report = deliver_pending(duck, SPEC, timeout=0.1, max_attempts=2, sleep=waits.append)
    assert (report.failed, report.attempts, len(waits)) == (1, 2, 1)
    assert duck.query("SELECT status, last_error FROM sla_escalations")[0] == ("failed", "timed out")


def test_empty_or_unset_url_disables(duck: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REVFRAME_WEBHOOK_SALES", raising=False)
    stalled(duck)
    report = run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 14))
    assert report.delivery and report.delivery["disabled"] == 2
    rows_ = duck.query("SELECT status, last_error FROM sla_escalations")
    assert {r[0] for r in rows_} == {"disabled"} and "REVFRAME_WEBHOOK_SALES is not set" in rows_[0][1]
    spec = SPEC.model_copy(update={"webhooks": {**SPEC.webhooks, "sales_alerts": ""}})
    duck.execute("UPDATE sla_escalations SET status = 'pending'")
    assert deliver_pending(duck, spec).disabled == 2  # an empty URL: kept, never sent


def test_deliverer_thread_does_not_block(duck: Store, hook: Hook) -> None:
    stalled(duck)
    run_sla(duck, SPEC, as_of=ny(2026, 3, 12, 12), deliver=False)
    hook.delay = 0.3
    started = time.monotonic()
    d = Deliverer.start(duck, SPEC, interval=0.05, sleep=lambda s: None)
    assert time.monotonic() - started < 0.1  # the caller goes on while the webhook is slow
    for _ in range(100):
        if d.last and d.last.sent:
            break
        time.sleep(0.05)
    d.stop()
    assert d.last is not None and d.passes >= 1
    assert duck.query("SELECT status FROM sla_escalations")[0][0] == "sent"
