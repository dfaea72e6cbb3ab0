"""`revframe serve --workers 2` on PostgreSQL, as users run it: no lead assigned twice, no decision lost.

One real server (two uvicorn worker processes sharing one PostgreSQL schema) takes concurrent POSTs
from eight threads. The routing lock (a PostgreSQL advisory lock) must make the two processes take
turns: every decision the clients were told about is stored, each lead has exactly one, the owner
written on the lead is the decision's, and the round robin stays fair across processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from revframe.store import open_store
from tests.api.seed import SDR, USERS, Env, drop_store, pg_url, seed

REVFRAME = Path(sys.executable).with_name("revframe")
EXTRA_NA_SDR = "crm:sdr_na4"
POOL = ["crm:sdr_na1", "crm:sdr_na2", EXTRA_NA_SDR]  # the active, non-manager SDRs in North America
N_LEADS, N_THREADS = 120, 8


@dataclass
class Server:
    env: Env
    base: str
    key: str

    def post(self, client: httpx.Client, lead: dict[str, Any]) -> httpx.Response:
        return client.post(f"{self.base}/v1/leads", json=lead, headers={"X-API-Key": self.key}, timeout=60)

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        store = open_store(self.env.url)
        try:
            return store.query(sql, params or [])
        finally:
            store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    users = [*USERS, {"id": EXTRA_NA_SDR, "name": "Nat NA4", "email": "nat@yourco.com", "region": "NA"} | SDR]
    env = seed(tmp_path_factory.mktemp("workers") / "ws", pg_url(), users)
    port = free_port()
    log = (env.root / "server.log").open("wb")
    environ = {k: v for k, v in os.environ.items() if k != "REVFRAME_STORE"}
    proc = subprocess.Popen(
        [str(REVFRAME), "-w", str(env.root), "--store", env.url, "serve", "--port", str(port), "--workers", "2"],
        stdout=log, stderr=subprocess.STDOUT, env=environ, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the server exited: {(env.root / 'server.log').read_text()}"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /health within 60 s"
            time.sleep(0.2)
        yield Server(env, base, env.keys["crm_admin"])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its workers: their own process group
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()
        drop_store(env.url)


def test_two_workers_really_serve(server: Server) -> None:
    r = httpx.get(f"{server.base}/health", timeout=5)
    assert r.json()["store"] == "postgres"
    assert httpx.post(f"{server.base}/v1/leads", json={"email": "x@y.io"}, timeout=5).status_code == 401


def test_concurrent_leads_each_get_exactly_one_decision(server: Server) -> None:
    domain = f"pool-{uuid.uuid4().hex[:8]}.io"  # no account has it: the North America territory decides
    leads = [{"email": f"p{i}@{domain}", "country": "US", "form": "demo_request"} for i in range(N_LEADS)]
    local = threading.local()

    def send(lead: dict[str, Any]) -> httpx.Response:
        if not hasattr(local, "client"):
            local.client = httpx.Client()
        return server.post(local.client, lead)

    with ThreadPoolExecutor(N_THREADS) as pool:
        answers = list(pool.map(send, leads))
    assert [r.status_code for r in answers] == [201] * N_LEADS, {r.status_code: r.text for r in answers}
    out = [r.json() for r in answers]
    told = {o["contact_id"]: o["decision"] for o in out}
    assert len(told) == N_LEADS

    rows = server.query(
        "SELECT c.id, c.owner_id, d.decision_id, d.assigned_to, d.rule_id FROM contacts AS c "
        "LEFT JOIN routing_decisions AS d ON d.contact_id = c.id WHERE c.email LIKE ?",
        [f"%@{domain}"],
    )
    assert len(rows) == N_LEADS  # one row per lead: exactly one decision each, none missing
    assert {r[0] for r in rows} == set(told)
    for cid, owner, decision_id, assigned, rule in rows:
        assert decision_id == told[cid]["decision_id"]  # the decision the client was told is the stored one
        assert owner == assigned == told[cid]["assigned_to"]
        assert rule == "north_america_territory"
    counts = Counter(r[1] for r in rows)
    assert set(counts) == set(POOL)
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    # every MQL has exactly one running clock, charged to its owner
    clocks = server.query(
        "SELECT record_id, owner_id, sla_id, status FROM sla_clocks WHERE record_id IN "
        "(SELECT id FROM contacts WHERE email LIKE ?)",
        [f"%@{domain}"],
    )
    assert sorted(clocks) == sorted((cid, d["assigned_to"], "hot_lead", "open") for cid, d in told.items())


def test_same_email_at_once_creates_one_person(server: Server) -> None:
    """Four clients send the same person at the same moment: one is created, three answer duplicate."""
    domain = f"dup-{uuid.uuid4().hex[:8]}.io"
    for i in range(5):
        email = f"same{i}@{domain}"
        barrier = threading.Barrier(4)

        def send(n: int, email: str = email, barrier: threading.Barrier = barrier) -> httpx.Response:
            with httpx.Client() as client:
                barrier.wait()
                return server.post(client, {"email": email if n % 2 else email.upper(), "country": "US"})

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(send, range(4)))
        codes = sorted(r.status_code for r in answers)
        people = server.query("SELECT id FROM contacts WHERE lower(email) = ?", [email])
        assert len(people) == 1, (email, people, [r.text for r in answers])
        assert codes == [200, 200, 200, 201], [r.text for r in answers]
        created = next(r.json() for r in answers if r.status_code == 201)
        assert created["contact_id"] == people[0][0]
        assert all(r.json()["duplicate_of"] == people[0][0] for r in answers if r.status_code == 200)
