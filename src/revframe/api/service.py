"""What the server does with a lead and an activity: the same engines as the batch commands, one record at a time.

``POST /v1/leads``: normalize → duplicate check (the mailbox key: case, plus-tags and Gmail dots
ignored; without an email, the same name at the same company) → insert the lead (and its form
touchpoint) → match it to an account (the shared :class:`AccountMatcher`) → score it → route it
(under the routing lock) → open the handoff's SLA clock when the lead is an MQL. All of it commits
in one transaction: a lead is stored with its score, decision and clock, or (on an error) not at all
and the client is told so with a 5xx, to send it again.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from revframe.api.schemas import ActivityIn, LeadIn, LeadOut
from revframe.errors import RevframeError
from revframe.ingest import normalize as nz
from revframe.process.reps import load_reps
from revframe.process.routing import (
    NO_MATCH_SQL,
    Decision,
    Router,
    RoutingBusy,
    facts_from_rows,
    facts_sql,
    route_one,
    write_decisions,
)
from revframe.process.routing_counts import refresh_loads
from revframe.process.scoring import one_person_sql, score_one, write_scores
from revframe.process.sql_template import SqlTemplate
from revframe.quality.features import GMAIL
from revframe.quality.match import AccountMatcher, Match
from revframe.quality.scan_rules import allowed_key
from revframe.store import TABLES, open_store

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

REFRESH_SECONDS = 300.0
log = logging.getLogger("revframe.api")
OPEN_WAIT = 10.0
POOL_SIZE = 4
BUSY_RETRIES = 5
SERVER_INDEXES = (
    ("contacts", "email"),
    ("contacts", "email_domain"),
    ("contacts", "owner_id"),
    ("contacts", "account_id"),
    ("routing_decisions", "decision_id"),
    ("routing_decisions", "contact_id"),
    ("sla_clocks", "record_id"),
    ("sla_clocks", "status"),
    ("lead_scores", "contact_id"),
    ("account_matches", "contact_id"),
    ("touchpoints", "contact_id"),
    ("activities", "contact_id"),
    ("api_keys", "key_id"),
)


def mailbox(email: str | None) -> str | None:
    """The mailbox an address delivers to: lower case, no plus-tag, no dots in a Gmail local part."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


class StoreUnavailable(RevframeError):
    """The store cannot take the request now (no connection, too many clients): answer 503, try again."""


class Stores:
    """Store connections for the server's request threads.

    PostgreSQL: a pool of at most :data:`POOL_SIZE` connections per worker process (env
    ``REVFRAME_POOL_SIZE``), opened on demand and reused; a request waits for a free one, so N
    workers hold at most N x POOL_SIZE connections whatever the thread count. DuckDB (one writer
    process at a time): the file is opened for each request and closed after it, one request at a
    time, so the CLI (`revframe sla`, `revframe route`...) can use the workspace while the server
    runs; a request waits up to :data:`OPEN_WAIT` seconds for a CLI command to finish.
    """

    def __init__(self, url: str, pool_size: int | None = None) -> None:
        self.url = url
        self.shared = not url.startswith(("postgresql://", "postgres://"))
        self.size = pool_size or int(os.environ.get("REVFRAME_POOL_SIZE") or POOL_SIZE)
        self._lock = threading.RLock()
        self._idle: queue.LifoQueue[Store] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(self.size)
        self._all: list[Store] = []
        first = self._open()
        if self.shared:
            first.close()
        else:
            self._all.append(first)
            self._idle.put(first)

    def _open(self) -> Store:
        deadline = time.monotonic() + OPEN_WAIT
        while True:
            try:
                store = open_store(self.url)
                break
            except RevframeError as e:
                if "lock" not in str(e).lower() or time.monotonic() > deadline:
                    raise StoreUnavailable(str(e)) from e
                time.sleep(0.05)
        store.migrate()
        return store

    @contextmanager
    def use(self) -> Iterator[Store]:
        if self.shared:
            with self._lock:
                store = self._open()
                try:
                    yield store
                finally:
                    store.close()
            return
        with self._slots:  # at most `size` connections in use at once
            try:
                store = self._idle.get_nowait()
            except queue.Empty:
                store = self._open()
                with self._lock:
                    self._all.append(store)
            try:
                yield store
            finally:
                self._idle.put(store)

    def close(self) -> None:
        for s in self._all:
            s.close()


def ensure_indexes(store: Store) -> None:
    """Indexes the server's one-record lookups need (PostgreSQL and DuckDB; Spark has none)."""
    if store.dialect == "spark":
        return
    for table, col in SERVER_INDEXES:
        store.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{col} ON {table} ({col})")


class LeadService:
    """Holds what every request reuses: the spec, the account matcher and the reps.

    They are rebuilt every :data:`REFRESH_SECONDS` (env ``REVFRAME_REFRESH_SECONDS``) in a
    background thread and swapped in whole, so no request waits for a rebuild; accounts and users
    loaded since are seen at the next one. The reps' open-lead counts (capacity) are counted from the
    store at the same time; in between, each decision moves them.
    """

    def __init__(self, spec: Spec, stores: Stores) -> None:
        self.spec = spec
        self.stores = stores
        self.every = float(os.environ.get("REVFRAME_REFRESH_SECONDS") or REFRESH_SECONDS)
        self._loaded = 0.0
        self._refreshing = threading.Lock()
        with stores.use() as store:
            try:
                ensure_indexes(store)
            except Exception as e:  # another worker creating the same index at the same moment
                log.info("indexes: %s", e)
            self.matcher, self.router = self._build(store)
            refresh_loads(store, spec, list(self.router.reps))
        self._loaded = time.monotonic()
        _freeze()

    def _build(self, store: Store) -> tuple[AccountMatcher, Router]:
        return AccountMatcher.from_store(store, self.spec), Router(self.spec, load_reps(store, self.spec), None, {})

    def maybe_refresh(self) -> None:
        """Start a background rebuild when the matcher and reps are older than the refresh interval."""
        if time.monotonic() - self._loaded < self.every or not self._refreshing.acquire(blocking=False):
            return
        threading.Thread(target=self._rebuild, name="revframe-refresh", daemon=True).start()

    def _rebuild(self) -> None:
        try:
            with self.stores.use() as store:
                built = self._build(store)
                refresh_loads(store, self.spec, list(built[1].reps))  # capacity counts, from the leads as they are now
            self.matcher, self.router = built  # each a whole snapshot; a request may pair a new one with an old one
            _freeze()
        except Exception as e:  # keep serving with what was loaded; try again at the next interval
            log.warning("refreshing the account matcher and reps failed: %s", e)
        finally:
            self._loaded = time.monotonic()
            self._refreshing.release()

    # --- leads -------------------------------------------------------------------------------------
    def create_lead(self, store: Store, lead: LeadIn) -> LeadOut:
        """Store, match, score, route and clock one lead (one transaction; retried when routing is busy)."""
        self.maybe_refresh()
        for attempt in range(BUSY_RETRIES):
            try:
                return self._create_lead(store, lead)
            except RoutingBusy:  # rolled back whole: nothing of this lead was written
                if attempt == BUSY_RETRIES - 1:
                    raise
                time.sleep(0.001 * (attempt + 1))
        raise AssertionError("unreachable")

    def _create_lead(self, store: Store, lead: LeadIn) -> LeadOut:
        now = datetime.now(UTC)
        ctx = nz.Context(default_region=self.spec.company.default_phone_region)
        email = nz.email(lead.email, ctx) if lead.email else None
        external = lead.external_id or uuid.uuid4().hex
        contact_id = f"{lead.source_system}:{external}"
        country = nz.country_code(lead.country) if lead.country else None
        phone = nz.phone(lead.phone, ctx) if lead.phone else None
        values: dict[str, Any] = {
            "id": contact_id, "source_system": lead.source_system, "external_id": external, "record_type": "lead",
            "first_name": lead.first_name, "last_name": lead.last_name, "email": email,
            "email_domain": nz.email_domain(email), "phone": phone, "title": lead.title, "company": lead.company,
            "website": lead.website, "country": country or lead.country, "state": lead.state, "city": lead.city,
            "lead_source": lead.lead_source, "lead_status": "New", "created_at": now, "updated_at": now,
            "_run_id": "api", "_loaded_at": now,
        }  # fmt: skip
        values["_row_hash"] = hashlib.sha256(json.dumps(values, default=str, sort_keys=True).encode()).hexdigest()
        notes: list[str] = []
        if country is None and lead.country:
            notes.append(f"country '{lead.country}' is not a known country; kept as given")
        # The store is reached in a few round trips, each a pipeline of statements run in order:
        # (1) the person's lock, the duplicate and id checks; (2) the lead, its touchpoint and its
        # score's features; (3) its score, then the facts routing and the clock need; (4) and (5) in
        # route_one: the routing locks with the counters, then the decision's writes; the commit.
        with store.transaction():  # one commit: the lead, its score, its decision and its clock, or nothing
            # the same person sent twice at once (several workers): the second waits, then finds the first
            name = f"{lead.first_name}|{lead.last_name}|{allowed_key(lead.company or '')}".lower()
            person = mailbox(email) or (name if lead.first_name and lead.last_name else contact_id)
            dup_query = self._duplicate_query(email, lead)
            checks = [("SELECT 1 FROM contacts WHERE id = ?", [contact_id])]
            with store.pipeline():
                store.lock(f"revframe:lead:{person}")
                found_rows = store.query_many([*checks, *([dup_query[:2]] if dup_query else [])])
            dup = dup_query[2](found_rows[1]) if dup_query else None
            if dup is not None:
                return self._duplicate(store, dup, now)
            if found_rows[0]:
                return self._duplicate(store, (contact_id, None), now)
            match = self.matcher.evaluate({**values, "id": contact_id})
            match_out = (
                {"account_id": match.account_id, "method": match.method, "confidence": match.confidence,
                 "reason": match.reason}
                if isinstance(match, Match) else {"account_id": None, "reason": match.reason}
            )  # fmt: skip
            scoring = self.spec.scoring is not None and self.spec.icp is not None
            with store.pipeline():
                store.insert_rows("contacts", [tuple(values.get(c) for c in TABLES["contacts"].column_names)])
                if lead.form:
                    tid = uuid.uuid4().hex
                    tp = (f"api:{tid}", "api", tid, contact_id, lead.campaign_id, lead.form, None, "responded", now,
                          now, None, "api", now)  # fmt: skip
                    store.insert_rows("touchpoints", [_row("touchpoints", tp)])
                score_rows = store.query(*one_person_sql(self.spec, contact_id, now)) if scoring else []
            # scored like `revframe score --ids` (the same query and fit), without a second round trip
            scored = score_one(self.spec, score_rows) if scoring else None
            score = vars(scored).copy() if scored else None  # asdict() without deep-copying the reasons
            # what routing needs and what the clock needs (the MQL stage, priority SLAs), read before the
            # routing lock: the lock is held only to pick, write the decision and open the clock
            handoff = next((h for h in self.spec.handoffs if h.trigger.event == "owner_assigned"), None)
            account = match.account_id if isinstance(match, Match) else None
            with store.pipeline():
                if scoring:  # written as `revframe score` writes it: the person's earlier score no longer current
                    scores = [scored] if scored else []
                    write_scores(store, self.spec, f"api-{uuid.uuid4().hex[:12]}", "rules", scores, datetime.now(UTC))
                facts_rows = store.query(*self._facts_sql(handoff)(contact_id, account, now))
            facts = facts_from_rows(self.spec, facts_rows, self._questions(handoff))[0]
            is_mql = bool(score and score.get("is_mql")) or facts.extra.get("mql") is True
            opened: list[dict[str, Any]] = []

            def open_for(decision: Decision) -> None:  # written with the decision, under the routing lock
                if decision.assigned_to and is_mql and handoff is not None:
                    from revframe.process.sla import open_clock

                    priority = [facts.extra.get(f"priority:{ps.id}") is True for ps in handoff.priority_slas]
                    opened.append(open_clock(
                        store, self.spec, handoff.id, "contacts", contact_id, decision.assigned_to, now,
                        reps=self.router.reps, priority=priority, new_record=True,
                    ))  # fmt: skip

            decision = route_one(
                store, self.spec, self.router, contact_id, match=match_out, facts=facts, then=open_for
            )  # fmt: skip
            clock = opened[0] if opened else None
            if decision.assigned_to and clock is None:
                notes.append("not an MQL yet: no SLA clock opened (it opens when the lead becomes an MQL)")
        return LeadOut(
            contact_id=contact_id, status="created", match=match_out, score=score, decision=decision.to_dict(),
            sla_clock=clock, notes=notes,
        )  # fmt: skip

    def find_duplicate(self, store: Store, email: str | None, lead: LeadIn) -> tuple[str, str | None] | None:
        """An existing person the lead duplicates: (id, owner), or None."""
        query = self._duplicate_query(email, lead)
        return query[2](store.query(query[0], query[1])) if query else None

    def _duplicate_query(
        self, email: str | None, lead: LeadIn
    ) -> tuple[str, list[Any], Callable[[list[tuple[Any, ...]]], tuple[str, str | None] | None]] | None:
        """The query that finds the lead's duplicates, its parameters, and what picks the duplicate from its rows.

        None: nothing to look for (no email, and not a first and last name with a company).
        """
        key = mailbox(email)
        if key:
            # every stored address of the same mailbox: the same domain, and a local part that starts like this
            # one (a plus-tag may follow); Gmail ignores dots, so there only the first letter is certain
            local, _, domain = key.partition("@")
            start = local[:1] if domain == "gmail.com" else local
            prefix = start.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            domains = list(GMAIL) if domain == "gmail.com" else [nz.email_domain(email)] * 2
            where, params = "email_domain IN (?, ?) AND email LIKE ? ESCAPE '\\'", [*domains, prefix]

            def same_mailbox(rows: list[tuple[Any, ...]]) -> tuple[str, str | None] | None:
                return next(((r[0], r[1]) for r in rows if mailbox(r[2]) == key), None)

            sql = f"SELECT id, owner_id, email FROM contacts WHERE email = ? OR ({where}) ORDER BY record_type DESC, id"
            return sql, [email, *params], same_mailbox
        if lead.first_name and lead.last_name and lead.company:
            company = allowed_key(lead.company)

            def same_company(rows: list[tuple[Any, ...]]) -> tuple[str, str | None] | None:
                return next(((r[0], r[1]) for r in rows if r[2] and allowed_key(r[2]) == company), None)

            sql = "SELECT id, owner_id, company FROM contacts WHERE lower(first_name) = ? AND lower(last_name) = ?"
            return sql, [lead.first_name.lower(), lead.last_name.lower()], same_company
        return None

    def _duplicate(self, store: Store, dup: tuple[str, str | None], now: datetime) -> LeadOut:
        existing, owner = dup
        rep = self.router.reps.get(owner) if owner else None
        if rep is not None and rep.is_active:
            d = Decision(
                uuid.uuid4().hex, existing, "existing_owner", "existing_owner", rep.id, None, rep.team,
                f"duplicate of {existing}: kept with its owner {rep.label()}", [], [], None, None, owner, now, rep.name,
            )  # fmt: skip
            with store.transaction():
                write_decisions(store, self.spec, [d], f"api-{d.decision_id[:12]}")
        else:
            why = "inactive" if rep else "no owner"
            d = route_one(store, self.spec, self.router, existing, at=now, note=f"duplicate of {existing} ({why})")
        return LeadOut(contact_id=existing, status="duplicate", duplicate_of=existing, decision=d.to_dict(),
                       notes=["the lead duplicates an existing person; nothing new was created"])  # fmt: skip

    def _facts_sql(self, handoff: Any) -> Callable[[str, str | None, datetime], tuple[str, list[Any]]]:
        """The query of a new lead's routing facts (and MQL stage, priority SLAs): built once, reused."""
        asked = self._questions(handoff)

        def build(contact_id: str, account: str | None, now: datetime) -> tuple[str, list[Any]]:
            matched = "SELECT CAST(? AS VARCHAR) AS k, CAST(? AS VARCHAR) AS v" if account else NO_MATCH_SQL
            mparams = [contact_id, account] if account else []
            return facts_sql(self.spec, "c0.id = ?", [contact_id], matched, mparams, now, asked)

        return SqlTemplate.cached(self.spec, f"facts:lead:{handoff.id if handoff else ''}", build)

    def _questions(self, handoff: Any) -> dict[str, Any]:
        """The conditions a new lead's answer needs besides routing: the MQL stage, the handoff's priority SLAs."""
        asked: dict[str, Any] = {}
        try:
            mql = self.spec.lifecycle.stage(handoff.from_stage if handoff and handoff.from_stage else "mql")
        except KeyError:
            mql = None
        if mql is not None and mql.entry_criteria is not None:
            asked["mql"] = mql.entry_criteria
        for ps in handoff.priority_slas if handoff else []:
            asked[f"priority:{ps.id}"] = ps.when
        return asked

    # --- activities ---------------------------------------------------------------------------------
    def log_activity(self, store: Store, act: ActivityIn) -> tuple[str, list[dict[str, Any]]]:
        now = datetime.now(UTC)
        external = act.external_id or uuid.uuid4().hex
        activity_id = f"{act.source_system}:{external}"
        values = {
            "id": activity_id, "source_system": act.source_system, "external_id": external, "type": act.type,
            "subject": act.subject, "status": act.status, "is_automated": act.is_automated,
            "contact_id": act.contact_id, "account_id": act.account_id, "opportunity_id": act.opportunity_id,
            "owner_id": act.owner_id, "occurred_at": act.occurred_at or now, "duration_minutes": act.duration_minutes,
            "created_at": now, "_run_id": "api", "_loaded_at": now,
        }  # fmt: skip
        values["_row_hash"] = hashlib.sha256(json.dumps(values, default=str, sort_keys=True).encode()).hexdigest()
        with store.transaction():
            store.insert_rows("activities", [tuple(values.get(c) for c in TABLES["activities"].column_names)])
        from revframe.process.sla import stop_for_activity

        stopped = stop_for_activity(store, self.spec, {k: v for k, v in values.items() if not k.startswith("_")})
        return activity_id, stopped


def _freeze() -> None:
    """Keep the garbage collector off what was just loaded (the matcher's 100k accounts, the reps).

    A full collection scans every tracked object: with the matcher loaded that is ~400,000 objects
    and ~130 ms during which no request of the worker runs. Frozen objects are never scanned (they
    are still freed when nothing refers to them: the matcher and the reps hold no cycles).
    """
    gc.collect(1)  # the young cycles first, so that none is frozen
    gc.freeze()


def _row(table: str, data: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row of ``table`` from (id, source_system, external_id, data columns..., _row_hash, _run_id, _loaded_at)."""
    cols = TABLES[table].column_names
    if len(data) != len(cols):
        raise ValueError(f"{table}: {len(data)} values for {len(cols)} columns")
    return data
