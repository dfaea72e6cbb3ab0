"""Benchmark: `POST /v1/leads` under an open-loop load, against the same app's no-op endpoint as the floor.

    .venv/bin/python bench/route_load.py [--accounts 100000] [--workers 2] [--duration 60] [--step-duration 20]
    .venv/bin/python bench/route_load.py --duration 10 --step-duration 5 --rates 100 200   # a quick run

Builds a PostgreSQL store (schema ``bench_route`` by default; dropped at the end unless ``--keep``) from
the small demo company (its users, accounts, contacts, touchpoints...: `generate_company` + `ingest`)
plus synthetic accounts up to ``--accounts`` (unique names and domains, the demo's industries, sizes,
countries and types, owned by the demo's active AEs of the country's region), then ``ANALYZE``.
Starts `revframe serve --workers W` as a subprocess, creates a ``crm_admin`` key, and drives it from
this process with an open-loop generator: request i is due at start + i/rate whether or not earlier
requests have answered, and its latency runs from that due time to the last byte of the answer
(queueing included: no coordinated omission). The client is a minimal HTTP/1.1 keep-alive client on
raw asyncio streams (uvloop when installed), a pool of ``--connections`` connections, so that the
client takes as little CPU as possible from the server on a small machine (``--client httpx`` to
compare). Every request is a distinct lead: a unique email, ~30% on the domain of an existing
account, ~15% on a free-mail domain, the rest on a new company's domain; countries in NA, EMEA, APAC
and elsewhere; ~25% ``form: demo_request``.

Phases: the floor (/v1/noop at 200/s for ``--duration``) and its ramp over ``--floor-rates``; then
/v1/leads at 200/s and at 500/s (``--duration`` each) and its ramp over ``--rates``, each of the three
on a freshly started server (``--no-restart``: one server throughout) after a warm-up (``--warmup`` s
at ``--warmup-rate``). Ramp steps last ``--step-duration`` s and stop at the first that fails (p99 >
50 ms, an error, or an achieved rate below 95% of the target); the highest sustained rate is the
last step that passed.

After each phase it checks the store directly (psycopg): every 201's ``decision.decision_id`` is in
``routing_decisions`` (else lost), the contacts created equal the leads accepted, no contact has two
decisions, every assigned contact carries its decision's owner, and every clock the answers report
is in ``sla_clocks``. CPU per phase: this client (getrusage), the server's processes and PostgreSQL's
(/proc), and the machine's (/proc/stat).

``--profile N`` then times N leads in-process with `LeadService.create_lead` against the same store
(single thread), step by step (wrapping the functions it calls; no revframe code is changed).
Targets (the issue): p99 <= 50 ms at 200 requests/s, zero errors, zero lost decisions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

DEFAULT_STORE = "postgresql://postgres@127.0.0.1:5432/test?schema=bench_route"
P99_TARGET_MS = 50.0
CPU_KEYS = ("client", "server", "postgres", "other")  # cores busy; other: the rest of the machine
IDLE_SECONDS = 4.0  # below uvicorn's keep-alive timeout (5 s)
TICK = os.sysconf("SC_CLK_TCK")
REVFRAME = Path(sys.executable).with_name("revframe")
HERE = Path(__file__).resolve()


# --- data -----------------------------------------------------------------------------------------------
def prepare(workdir: Path, store_url: str, accounts: int, seed: int) -> dict[str, int]:
    """A workspace with the default spec and a fresh PostgreSQL store: the small demo plus synthetic accounts."""
    from revframe.api.service import ensure_indexes
    from revframe.demo import generate_company
    from revframe.store import open_store
    from revframe.workspace import Workspace

    t0 = time.perf_counter()
    store = open_store(store_url)
    store.drop_schema()  # type: ignore[attr-defined]
    store.close()
    shutil.rmtree(workdir, ignore_errors=True)
    ws = Workspace.init(workdir, store_url)
    files = generate_company(workdir / "demo-data", "small", seed)
    for load in files.loads:
        ws.ingest([load.path], load.mapping, object_name=load.object)
    added = add_accounts(ws, accounts, seed)
    # the indexes the server creates at startup, created here once: two workers starting together on a
    # fresh schema race on CREATE INDEX IF NOT EXISTS and one dies (UniqueViolation on pg_class), which
    # stops `revframe serve`
    ensure_indexes(ws.store)
    ws.store.execute("ANALYZE")
    counts = ws.store.row_counts()
    ws.close()
    shutil.rmtree(workdir / "demo-data", ignore_errors=True)
    print(
        f"prepared {store_url} in {time.perf_counter() - t0:.0f} s: {counts['accounts']:,} accounts "
        f"({added:,} synthetic), {counts['contacts']:,} contacts, {counts['users']:,} users",
        flush=True,
    )
    return counts


def add_accounts(ws: Any, target: int, seed: int) -> int:
    """Synthetic accounts up to ``target``: the demo's attributes, new unique names and domains, AE owners."""
    from revframe.demo.people import ascii_slug
    from revframe.demo.vocab.companies import COMPANY_ROOTS, COMPANY_SECOND, INDUSTRIES, SUFFIXES
    from revframe.demo.vocab.names import LAST_NAMES
    from revframe.store import TABLES

    store = ws.store
    have = store.query("SELECT count(*) FROM accounts")[0][0]
    if have >= target:
        return 0
    r = random.Random(seed)
    templates = store.query(
        "SELECT industry, employees, annual_revenue, currency, country, state, city, type, segment, "
        "lifecycle_stage FROM accounts WHERE country IS NOT NULL"
    )
    taken = {d for (d,) in store.query("SELECT domain FROM accounts WHERE domain IS NOT NULL")}
    names = {n for (n,) in store.query("SELECT name FROM accounts WHERE name IS NOT NULL")}
    region_of = country_regions(ws.spec)
    aes: dict[str, list[str]] = defaultdict(list)
    for uid, region in store.query("SELECT id, region FROM users WHERE role = 'AE' AND is_active"):
        aes[region_alias(ws.spec, region)].append(uid)
    every_ae = [u for us in aes.values() for u in us]
    surnames = sorted({n for pool in LAST_NAMES.values() for n in pool})
    nouns = sorted({n for _w, ns, _l in INDUSTRIES.values() for n in ns})
    now = datetime.now(UTC)
    rows = []
    for n in range(target - have):
        t = r.choice(templates)
        while True:
            base = f"{r.choice(surnames)} {r.choice(COMPANY_ROOTS)}{r.choice(COMPANY_SECOND)} {r.choice(nouns)}"
            domain = f"{ascii_slug(base)}.{r.choice(('com', 'com', 'com', 'io', 'net', 'co'))}"
            if base not in names and domain not in taken:
                break
        names.add(base)
        taken.add(domain)
        suffix = r.choice([s for s, _w in SUFFIXES.get(t[4], [("Inc.", 1.0)])])
        name = f"{base} {suffix}".strip()
        owners = aes.get(region_of.get(t[4], ""), []) or every_ae
        ext = f"B{n:08d}"
        row = {
            "id": f"salesforce:{ext}", "source_system": "salesforce", "external_id": ext, "name": name,
            "domain": domain, "website": f"https://www.{domain}", "industry": t[0], "employees": t[1],
            "annual_revenue": t[2], "currency": t[3], "country": t[4], "state": t[5], "city": t[6], "type": t[7],
            "segment": t[8], "lifecycle_stage": t[9], "owner_id": r.choice(owners), "created_at": now,
            "updated_at": now, "_row_hash": f"bench{n}", "_run_id": "bench", "_loaded_at": now,
        }  # fmt: skip
        rows.append(tuple(row.get(c) for c in TABLES["accounts"].column_names))
    with store.transaction():
        for i in range(0, len(rows), 20_000):
            store.insert_rows("accounts", rows[i : i + 20_000])
        # the demo's reps are near their capacity already: without room nearly every lead would go to the
        # fallback queue (the light path); with room each is assigned, written and clocked (the heavy one)
        store.execute("UPDATE users SET capacity = 1000000 WHERE capacity IS NOT NULL")
    return len(rows)


def country_regions(spec: Any) -> dict[str, str]:
    return {c: reg.id for reg in spec.company.regions for c in reg.countries}


def region_alias(spec: Any, value: str | None) -> str:
    """The spec region a users.region value names (NA -> north_america), or the value."""
    for reg in spec.company.regions:
        if value and (value == reg.id or value.lower() in {a.lower() for a in reg.aliases}):
            return str(reg.id)
    return value or ""


# --- leads ----------------------------------------------------------------------------------------------
COUNTRIES = [  # (value as a form sends it, weight): NA, EMEA, APAC and elsewhere, codes and names
    ("US", 30), ("United States", 6), ("CA", 5), ("GB", 10), ("Germany", 4), ("DE", 4), ("FR", 5), ("NL", 3),
    ("ES", 2), ("SE", 2), ("AU", 5), ("SG", 3), ("JP", 3), ("IN", 4), ("BR", 3), ("MX", 2),
]  # fmt: skip
TITLES = [
    "VP Sales", "Head of Sales", "Revenue Operations Manager", "Sales Operations Analyst", "Marketing Manager",
    "Chief Revenue Officer", "Demand Generation Lead", "Software Engineer", "CFO", "Director of Marketing Operations",
    "Account Executive", "Founder & CEO",
]  # fmt: skip
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com")


class LeadMaker:
    """Distinct leads, deterministic for a seed; ``tag`` keeps a run's emails and ids apart from earlier runs."""

    def __init__(self, accounts: list[tuple[str, str]], seed: int, tag: str) -> None:
        from revframe.demo.vocab.names import FIRST_NAMES, LAST_NAMES

        self.r = random.Random(seed)
        self.accounts = accounts
        self.first = sorted({n for pool in FIRST_NAMES.values() for n in pool})
        self.last = sorted({n for pool in LAST_NAMES.values() for n in pool})
        self.countries = [c for c, _w in COUNTRIES]
        self.weights = [w for _c, w in COUNTRIES]
        self.tag = tag

    def body(self, i: int) -> bytes:
        r = self.r
        first, last = r.choice(self.first), r.choice(self.last)
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isascii() and (ch.isalnum() or ch == "."))
        pick = r.random()
        if pick < 0.30:  # the domain of an existing account: the matcher finds it
            domain, company = r.choice(self.accounts)
        elif pick < 0.45:
            domain, company = r.choice(FREE_MAIL), f"{last} Consulting"
        else:
            company = f"{last} {r.choice(('Analytics', 'Systems', 'Labs', 'Logistics', 'Health', 'Retail'))}"
            domain = f"{company.lower().replace(' ', '')}{self.tag}{i}.com"
        lead: dict[str, Any] = {
            "email": f"{local}.{self.tag}{i}@{domain}",
            "first_name": first,
            "last_name": last,
            "company": company,
            "title": r.choice(TITLES),
            "country": r.choices(self.countries, self.weights)[0],
            "website": f"https://{domain}" if domain not in FREE_MAIL else None,
            "lead_source": r.choice(("website", "paid_search", "content", "webinar")),
            "external_id": f"{self.tag}-{i}",
        }
        form = r.random()
        if form < 0.25:
            lead["form"] = "demo_request"
        elif form < 0.55:
            lead["form"] = "content_download"
        return json.dumps({k: v for k, v in lead.items() if v is not None}).encode()


# --- the server -----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(ws: Path, store_url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [str(REVFRAME), "-w", str(ws), "--store", store_url, "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                if resp.status == 200:
                    time.sleep(3)  # every worker up, none died starting
                    if proc.poll() is None:
                        return proc
                    sys.exit(f"the server exited ({proc.returncode}):\n{log.read_text()}")
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    sys.exit(f"the server did not answer /health within 120 s:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the uvicorn workers go with it
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def create_key(ws: Path, store_url: str) -> str:
    cmd = [
        str(REVFRAME),
        "-w",
        str(ws),
        "--store",
        store_url,
        "--format",
        "json",
        "keys",
        "create",
        "--role",
        "crm_admin",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return str(json.loads(out.stdout)["key"])


# --- CPU accounting (/proc) -----------------------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def _procs() -> list[tuple[int, int, str, float, float]]:
    """(pid, ppid, comm, own cpu s, reaped children's cpu s) of every process."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        f = _stat(int(d))
        try:
            comm = Path(f"/proc/{d}/comm").read_text().strip()
        except OSError:
            continue
        if f:
            out.append((int(d), int(f[1]), comm, (int(f[11]) + int(f[12])) / TICK, (int(f[13]) + int(f[14])) / TICK))
    return out


def machine_busy(seconds: float) -> float:
    """Cores busy on the whole machine over ``seconds``."""

    def busy() -> float:
        ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(ticks) - ticks[3] - ticks[4]) / TICK

    b0 = busy()
    time.sleep(seconds)
    return (busy() - b0) / seconds


def wait_quiet(limit: float) -> None:
    """Wait (up to ``limit`` s) until the machine is idle: other engineers' tests share it."""
    deadline = time.monotonic() + limit
    while True:
        cores = machine_busy(5)
        if cores < 0.3 or time.monotonic() > deadline:
            note = "" if cores < 0.3 else f" (still busy after {limit:.0f} s: figures may suffer)"
            print(f"machine before the phases: {cores:.2f} cores busy, load average {os.getloadavg()[0]:.2f}{note}")
            return
        print(f"waiting for a quiet machine: {cores:.2f} cores busy", flush=True)
        time.sleep(10)


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    procs = _procs()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, ppid, *_ in procs:
        children[ppid].append(pid)
    tree, todo = set(), [server_pid]
    while todo:
        p = todo.pop()
        tree.add(p)
        todo.extend(children.get(p, []))
    by_pid = {p[0]: p for p in procs}
    server = sum(by_pid[p][3] + by_pid[p][4] for p in tree if p in by_pid)
    pg = sum(p[3] + (p[4] if p[1] == 1 or by_pid.get(p[1], (0, 0, ""))[2] != "postgres" else 0)
             for p in procs if p[2] == "postgres")  # fmt: skip
    ru = resource.getrusage(resource.RUSAGE_SELF)
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in fields]
    busy = (sum(ticks) - ticks[3] - ticks[4]) / TICK  # minus idle and iowait
    return {"client": ru.ru_utime + ru.ru_stime, "server": server, "postgres": pg, "machine": busy}


# --- the HTTP client ------------------------------------------------------------------------------------
class RawPool:
    """HTTP/1.1 keep-alive connections on asyncio streams: a request, then its Content-Length answer."""

    def __init__(self, port: int, key: str, size: int) -> None:
        self.port, self.size, self.open = port, size, 0
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.waiters: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        self.waiting = 0
        self.head = f"Host: 127.0.0.1:{port}\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\n"

    async def _get(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self.idle:
            reader, writer, since = self.idle.pop()
            if time.perf_counter() - since < IDLE_SECONDS:
                return reader, writer
            writer.close()  # uvicorn closes keep-alive connections idle for 5 s: never reuse one that old
            self.open -= 1
        if self.open < self.size:
            self.open += 1
            try:
                return await asyncio.open_connection("127.0.0.1", self.port)
            except BaseException:
                self.open -= 1
                raise
        self.waiting += 1
        try:
            return await self.waiters.get()
        finally:
            self.waiting -= 1

    def _put(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        if self.waiting:
            self.waiters.put_nowait(conn)
        else:
            self.idle.append((*conn, time.perf_counter()))

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        conn = await self._get()
        reader, writer = conn
        try:
            writer.write(f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            i = lower.find(b"content-length:")
            length = int(lower[i + 15 : lower.index(b"\r\n", i)]) if i >= 0 else 0
            data = await reader.readexactly(length) if length else b""
        except BaseException:
            writer.close()
            self.open -= 1
            raise
        if b"connection: close" in lower:
            writer.close()
            self.open -= 1
        else:
            self._put(conn)
        return status, data

    async def close(self) -> None:
        for _r, w, _t in self.idle:
            w.close()


class HttpxPool:
    def __init__(self, port: int, key: str, size: int) -> None:
        import httpx

        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=None,
            headers={"X-API-Key": key, "Content-Type": "application/json"},
        )  # fmt: skip

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        resp = await self.client.post(path, content=body)
        return resp.status_code, resp.content

    async def close(self) -> None:
        await self.client.aclose()


# --- one phase ------------------------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    path: str
    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)  # ms, answered requests (any status)
    statuses: Counter[int | str] = field(default_factory=Counter)
    bodies: list[bytes] = field(default_factory=list)  # 2xx answers of /v1/leads
    ids: list[str] = field(default_factory=list)  # contact ids every request asked for (external_id)
    elapsed: float = 0.0
    samples: dict[int, bytes] = field(default_factory=dict)  # the first answer of each error status
    pg_connections: int = 0  # the server's PostgreSQL connections after the phase
    max_lag_ms: float = 0.0  # how late the generator sent a request (client saturation)
    cpu: dict[str, float] = field(default_factory=dict)
    check: dict[str, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if isinstance(s, int) and 200 <= s < 300)

    @property
    def errors(self) -> int:
        return self.sent - self.ok

    def error_kinds(self) -> str:
        return ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items(), key=str) if not str(s).startswith("2"))

    @property
    def achieved(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(q * len(s)))]

    def passed(self) -> bool:
        lost = self.check.get("lost", 0) + self.check.get("missing_contacts", 0) + self.check.get("twice", 0)
        return self.pct(0.99) <= P99_TARGET_MS and self.errors == 0 and self.achieved >= 0.95 * self.rate and not lost


async def run_phase(
    pool: Any, phase: Phase, body_of: Callable[[int], bytes], first: int, tag: str, timeout: float, server_pid: int
) -> Phase:
    loop = asyncio.get_running_loop()
    n = round(phase.rate * phase.seconds)
    bodies = [body_of(first + i) for i in range(n)]  # built before the clock starts
    phase.ids = [f"api:{tag}-{first + i}" for i in range(n)]
    keep = phase.path == "/v1/leads"

    async def one(body: bytes, due: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                status, data = await pool.post(phase.path, body)
        except TimeoutError:
            phase.statuses["timeout"] += 1
            return
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            phase.statuses[type(e).__name__] += 1
            return
        phase.latencies.append((time.perf_counter() - due) * 1000)
        phase.statuses[status] += 1
        if keep and 200 <= status < 300:
            phase.bodies.append(data)
        elif status >= 300:
            phase.samples.setdefault(status, data[:400])

    cpu0 = cpu_snapshot(server_pid)
    tasks = set()
    start = time.perf_counter() + 0.05
    for i, body in enumerate(bodies):
        due = start + i / phase.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            phase.max_lag_ms = max(phase.max_lag_ms, -delay * 1000)
        t = loop.create_task(one(body, due))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*list(tasks))
    phase.elapsed = max(time.perf_counter() - start, phase.seconds)
    cpu1 = cpu_snapshot(server_pid)
    phase.cpu = {k: (cpu1[k] - cpu0[k]) / phase.elapsed for k in cpu0}
    phase.cpu["other"] = max(
        0.0, phase.cpu["machine"] - phase.cpu["client"] - phase.cpu["server"] - phase.cpu["postgres"]
    )
    return phase


def verify(con: psycopg.Connection[Any], phase: Phase) -> None:
    """The store holds every decision and contact the answers report, once each."""
    if phase.path != "/v1/leads":
        return
    answers = [json.loads(b) for b in phase.bodies]
    phase.bodies = []
    created = [a for a in answers if a["status"] == "created"]
    decisions = [a["decision"]["decision_id"] for a in created]
    contacts = [a["contact_id"] for a in created]
    clocks = [a["sla_clock"] for a in created if a.get("sla_clock")]

    def one(sql: str, *params: Any) -> int:
        return int(con.execute(sql, params).fetchone()[0])  # type: ignore[index]

    found = one("SELECT count(*) FROM routing_decisions WHERE decision_id = ANY(%s)", decisions)
    stored = one("SELECT count(*) FROM contacts WHERE id = ANY(%s)", contacts)
    every = one("SELECT count(*) FROM contacts WHERE id = ANY(%s)", phase.ids)  # incl. errors and timeouts
    twice = one(
        "SELECT count(*) FROM (SELECT contact_id FROM routing_decisions WHERE contact_id = ANY(%s) "
        "GROUP BY contact_id HAVING count(*) > 1) AS t",
        phase.ids,
    )
    wrong_owner = one(
        "SELECT count(*) FROM routing_decisions AS d JOIN contacts AS c ON c.id = d.contact_id "
        "WHERE d.decision_id = ANY(%s) AND d.assigned_to IS NOT NULL AND c.owner_id IS DISTINCT FROM d.assigned_to",
        decisions,
    )
    stored_clocks = one("SELECT count(*) FROM sla_clocks WHERE record_id = ANY(%s)", contacts)
    phase.check = {
        "accepted": len(created),
        "duplicates": len(answers) - len(created),
        "lost": len(decisions) - found,
        "missing_contacts": len(contacts) - stored,
        "committed_unanswered": every - stored,  # stored although the client saw an error or a timeout
        "twice": twice,
        "wrong_owner": wrong_owner,
        "clocks": len(clocks),
        "clocks_missing": len(clocks) - stored_clocks,
        "assigned": sum(1 for a in created if a["decision"].get("assigned_to")),
        "matched": sum(1 for a in created if (a.get("match") or {}).get("account_id")),
    }


def row_of(p: Phase) -> dict[str, Any]:
    c = p.check
    return {
        "phase": p.name,
        "target/s": f"{p.rate:g}",
        "achieved/s": f"{p.achieved:.1f}",
        "sent": p.sent,
        "p50 ms": f"{p.pct(0.50):.1f}",
        "p90 ms": f"{p.pct(0.90):.1f}",
        "p99 ms": f"{p.pct(0.99):.1f}",
        "max ms": f"{max(p.latencies, default=float('nan')):.0f}",
        "errors": p.errors if not p.errors else f"{p.errors} ({p.error_kinds()})",
        "lost": c.get("lost", "-"),
        "twice": c.get("twice", "-"),
        "cores client/server/pg/other": "/".join(f"{p.cpu.get(k, 0):.2f}" for k in CPU_KEYS),
        "gen lag ms": f"{p.max_lag_ms:.0f}",
        "pg conns": p.pg_connections,
    }  # fmt: skip


def print_rows(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.rjust(width[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).rjust(width[c]) for c in cols))
    sys.stdout.flush()


# --- in-process profile ---------------------------------------------------------------------------------
def profile(ws_root: Path, store_url: str, n: int, maker: LeadMaker, first: int) -> None:
    """Time ``n`` leads through `LeadService.create_lead` in this process, step by step (ms)."""
    import revframe.api.service as service_mod
    import revframe.process.routing as routing_mod
    import revframe.process.scoring as scoring_mod
    import revframe.process.sla as sla_mod
    from revframe.api.schemas import LeadIn
    from revframe.api.service import LeadService, Stores
    from revframe.process.routing import Router
    from revframe.quality.match import AccountMatcher
    from revframe.workspace import Workspace

    spec = Workspace(ws_root, store_url).spec
    times: dict[str, list[float]] = defaultdict(list)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                times[name].append((time.perf_counter() - t) * 1000)

        return wrapper

    stores = Stores(store_url)
    with stores.use() as store:
        t = time.perf_counter()
        AccountMatcher.from_store(store, spec)
        matcher_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        Router.from_store(store, spec)
        router_ms = (time.perf_counter() - t) * 1000
    svc = LeadService(spec, stores)
    patches = [
        (LeadService, "find_duplicate", "1 duplicate check"),
        (AccountMatcher, "evaluate", "3 account match"),
        (LeadService, "_score", "4 score (score_people)"),  # before 2026-12-04 (afternoon)
        (service_mod, "score_one", "4 score (score_one: the fit in Python, from the rows sent with the insert)"),
        (service_mod, "write_scores", "4b write_scores (queued)"),
        (service_mod, "route_one", "5 route_one (total)"),
        (service_mod, "load_facts", "5a facts, MQL and priority SLAs (one query, before the lock)"),
        (service_mod, "facts_from_rows", "5a facts, MQL and priority SLAs (from the rows sent with the score)"),
        (routing_mod, "load_state", "5b   load_state"),
        (routing_mod.Router, "decide", "5c   decide"),
        (routing_mod, "write_decisions", "5d   write_decisions"),
        (routing_mod, "save_state", "5e   save_state"),
        (sla_mod, "open_clock", "7 open SLA clock"),
        (scoring_mod, "score_people", "4a   score_people"),
    ]
    saved = []
    for owner, attr, label in patches:
        if hasattr(owner, attr):
            saved.append((owner, attr, getattr(owner, attr)))
            setattr(owner, attr, timed(label, getattr(owner, attr)))
    held: list[float] = []  # when the routing lock was taken, until the commit that releases it

    def lock_taken(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, key: str, *a: Any, **k: Any) -> Any:
            out = fn(self, key, *a, **k)
            if key == routing_mod.ROUTING_LOCK:  # not the per-person lock the service takes first
                held.append(time.perf_counter())
            return out

        return wrapper

    def commit_done(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            out = fn(*a, **k)
            if held:
                times["9 routing lock held (lock to commit)"].append((time.perf_counter() - held[0]) * 1000)
                held.clear()
            return out

        return wrapper

    with stores.use() as store:
        cls = type(store)
        for attr, label in (("insert_rows", "2 insert_rows (all tables)"), ("_commit", "8 commit"),
                            ("lock", "5f   advisory locks (wait)"), ("_begin", "0a begin"),
                            ("query_many", "6 query_many (duplicate and id checks; locks and counters)"),
                            ("query", "6b query (score features, facts: the pipelines' round trips)")):  # fmt: skip
            saved.append((cls, attr, getattr(cls, attr)))
            setattr(cls, attr, timed(label, getattr(cls, attr)))
        cls.lock = lock_taken(cls.lock)
        cls._commit = commit_done(cls._commit)
        leads = [LeadIn.model_validate_json(maker.body(first + i)) for i in range(n)]
        total = []
        for lead in leads:
            t = time.perf_counter()
            svc.create_lead(store, lead)
            total.append((time.perf_counter() - t) * 1000)
    for owner, attr, fn in saved:
        setattr(owner, attr, fn)
    stores.close()
    times["0 create_lead (total)"] = total
    print(f"\nin-process profile: {n} leads, one thread, `LeadService.create_lead` (ms per lead)")
    rows = []
    for name in sorted(times):
        v = sorted(times[name])
        calls = len(v) / n
        p99 = v[min(len(v) - 1, int(0.99 * len(v)))]
        rows.append({"step": name, "calls/lead": f"{calls:.1f}", "mean (per lead)": f"{sum(v) / n:.2f}",
                     "p50 (per call)": f"{statistics.median(v):.2f}", "p99 (per call)": f"{p99:.2f}"})  # fmt: skip
    print_rows(rows)
    print(f"AccountMatcher.from_store: {matcher_ms:.0f} ms; Router.from_store: {router_ms:.0f} ms "
          f"(rebuilt in a background thread every REVFRAME_REFRESH_SECONDS, 300 by default)")  # fmt: skip


# --- main -----------------------------------------------------------------------------------------------
class Server:
    """`revframe serve` in a subprocess, restarted on demand (a fresh server: fresh threads and connections)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts = 0

    def start(self) -> None:
        self.stop()
        self.port = free_port()
        self.starts += 1
        log = self.args.workdir / f"server-{self.starts}.log"
        self.proc = start_server(self.args.workdir, self.args.store, self.port, self.args.workers, log)

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)
            self.proc = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


def pg_connections(root: int) -> int:
    """Established TCP connections to port 5432 held by ``root`` and its descendants."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[2].endswith(":1538") and f[3] == "01":  # remote port 5432, ESTABLISHED
                inodes.add(f[9])
    procs = _procs()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, ppid, *_ in procs:
        children[ppid].append(pid)
    n, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                n += 1
    return n


async def drive(args: argparse.Namespace, server: Server, key: str, maker: LeadMaker) -> list[Phase]:
    con = psycopg.connect(args.store.split("?")[0], autocommit=True)
    schema = args.store.split("schema=")[1].split("&")[0]
    con.execute(f'SET search_path TO "{schema}"')
    done: list[Phase] = []
    counter = 0
    pool: Any = None

    async def fresh_server(path: str, rate: float) -> None:
        """A new server (unless --no-restart), warmed up at a rate it sustains."""
        nonlocal pool
        if pool is not None:
            await pool.close()
        if args.restart or server.proc is None:
            server.start()
        pool = (RawPool if args.client == "raw" else HttpxPool)(server.port, key, args.connections)
        await phase(f"warm-up {path[4:]}", path, rate, args.warmup)

    async def phase(name: str, path: str, rate: float, seconds: float) -> Phase:
        nonlocal counter
        await asyncio.sleep(2)  # let the previous phase's commits settle
        p = Phase(name, path, rate, seconds)
        await run_phase(pool, p, maker.body, counter, maker.tag, args.timeout, server.pid)
        counter += round(rate * seconds)
        p.pg_connections = pg_connections(server.pid)
        verify(con, p)
        print_rows([row_of(p)])
        for status, data in p.samples.items():
            print(f"  first {status} answer: {data.decode(errors='replace')}")
        return p

    loop = type(asyncio.get_running_loop()).__module__
    print(f"client: {args.client}, {args.connections} connections, loop {loop}", flush=True)
    # the floor first, then each /v1/leads phase on a fresh server, so that one phase's overload
    # (requests still running after their client timed out; before the connection pool, leaked
    # PostgreSQL connections) does not weigh on the next one
    await fresh_server("/v1/noop", 100)
    done.append(await phase("floor noop", "/v1/noop", 200, args.duration))
    for rate in args.floor_rates:
        p = await phase("ramp noop", "/v1/noop", rate, args.step_duration)
        done.append(p)
        if not p.passed():
            break
    for rate in (200, 500):
        await fresh_server("/v1/leads", args.warmup_rate)
        done.append(await phase("leads", "/v1/leads", rate, args.duration))
    await fresh_server("/v1/leads", args.warmup_rate)
    for rate in args.rates:
        p = await phase("ramp leads", "/v1/leads", rate, args.step_duration)
        done.append(p)
        if not p.passed():
            break
    await pool.close()
    totals = con.execute(
        "SELECT (SELECT count(*) FROM contacts WHERE _run_id = 'api'), "
        "(SELECT count(*) FROM routing_decisions WHERE contact_id IN (SELECT id FROM contacts WHERE _run_id = 'api')), "
        "(SELECT count(*) FROM (SELECT contact_id FROM routing_decisions GROUP BY contact_id HAVING count(*) > 1) t)"
    ).fetchone()
    print(f"store after the run: {totals[0]:,} API contacts, {totals[1]:,} decisions for them, "  # type: ignore[index]
          f"{totals[2]:,} contacts with more than one decision")  # type: ignore[index]  # fmt: skip
    con.close()
    return done


def summarize(phases: list[Phase]) -> None:
    print("\nsummary")
    print_rows([row_of(p) | {"pass": "yes" if p.passed() else "no"} for p in phases])
    floor = next(p for p in phases if p.name == "floor noop")
    l200 = next(p for p in phases if p.name == "leads" and p.rate == 200)
    l500 = next(p for p in phases if p.name == "leads" and p.rate == 500)
    for p in (l200, l500):
        print(f"leads at {p.rate:g}/s: p99 {p.pct(0.99):.1f} ms = {p.pct(0.99) / floor.pct(0.99):.1f}x the floor's "
              f"{floor.pct(0.99):.1f} ms; checks {p.check}")  # fmt: skip
    ok = l200.pct(0.99) <= P99_TARGET_MS and l200.errors == 0 and not l200.check["lost"] + l500.check["lost"]
    print(f"target (p99 <= {P99_TARGET_MS:g} ms at 200/s, no errors, no lost decisions): {'met' if ok else 'MISSED'}")
    best = {}
    for label in ("ramp leads", "ramp noop"):
        steps = [p for p in phases if p.name == label]
        passing = [p.rate for p in steps if p.passed()]
        top = max(passing, default=0.0)
        all_pass = bool(steps) and len(passing) == len(steps)
        best[label] = top
        print(f"{label}: highest sustained {top:g}/s" + (" (every step passed: at least that)" if all_pass else ""))
    if best["ramp noop"]:
        print(f"highest sustained leads / floor: {best['ramp leads']:g} / {best['ramp noop']:g} = "
              f"{best['ramp leads'] / best['ramp noop']:.2f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", default=DEFAULT_STORE, help="a PostgreSQL URL with ?schema= (dropped at the end)")
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--duration", type=float, default=60, help="seconds of each fixed-rate phase")
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=[10, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 600, 800],
        help="the /v1/leads ramp (requests/s)",
    )
    ap.add_argument(
        "--floor-rates",
        type=float,
        nargs="+",
        default=[100, 200, 400, 600, 800, 1000, 1200, 1600],
        help="the /v1/noop ramp (requests/s)",
    )
    ap.add_argument("--warmup-rate", type=float, default=10, help="/v1/leads requests/s of each warm-up")
    ap.add_argument(
        "--no-restart",
        dest="restart",
        action="store_false",
        help="one server for every phase (an overloaded phase then weighs on the next ones)",
    )
    ap.add_argument("--step-duration", type=float, default=20, help="seconds of each ramp step")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw")
    ap.add_argument("--timeout", type=float, default=10, help="seconds before a request counts as a timeout")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="then time N leads in-process, step by step")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rf-bench-route"))
    ap.add_argument("--wait-quiet", type=float, default=900, help="wait up to this many s for an idle machine")
    ap.add_argument("--keep", action="store_true", help="keep the schema and the workspace")
    args = ap.parse_args()

    git = ["git", "-C", str(HERE.parent.parent)]
    head = subprocess.run([*git, "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout.strip()
    paths = ["src/revframe/api", "src/revframe/process/routing.py"]
    dirty = subprocess.run([*git, "status", "--short", *paths], capture_output=True, text=True).stdout.split()
    print(f"revframe at {head[:90]}" + (f" (uncommitted changes in {', '.join(dirty[1::2])})" if dirty else ""))
    load = os.getloadavg()[0]
    print(
        f"load average before the run: {load:.2f}"
        + ("  (other work is running: figures may suffer)" if load > 1.5 else "")
    )
    counts = prepare(args.workdir, args.store, args.accounts, args.seed)
    con = psycopg.connect(args.store.split("?")[0], autocommit=True)
    con.execute(f'SET search_path TO "{args.store.split("schema=")[1].split("&")[0]}"')
    rows = con.execute("SELECT domain, name FROM accounts WHERE domain IS NOT NULL ORDER BY id").fetchall()
    con.close()
    tag = f"b{int(time.time()) % 100000}"
    maker = LeadMaker(rows, args.seed, tag)
    server = Server(args)
    try:
        key = create_key(args.workdir, args.store)
        data = f"{counts['accounts']:,} accounts, {counts['contacts']:,} contacts, {counts['users']:,} users"
        print(f"server: revframe serve --workers {args.workers}; {data}")
        wait_quiet(args.wait_quiet)
        if args.client == "raw":
            try:
                import uvloop

                runner: Any = uvloop.run
            except ImportError:
                runner = asyncio.run
        else:
            runner = asyncio.run
        phases = runner(drive(args, server, key, maker))
    finally:
        server.stop()
    summarize(phases)
    if args.profile:
        profile(args.workdir, args.store, args.profile, maker, 10_000_000)
    if not args.keep:
        from revframe.store import open_store

        store = open_store(args.store)
        store.drop_schema()  # type: ignore[attr-defined]
        store.close()
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
