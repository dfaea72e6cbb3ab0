"""The server's fast paths give what the batch engines give: a lead's score equals `revframe score`'s.

The server scores a new lead from one query sent with the lead's insert (the same query and fit as
`revframe score --ids`, its text built once per spec); these tests pin it to ``score_people`` for the
same person at the same time, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from revframe import Workspace
from revframe.process.scoring import score_people
from revframe.store.schema import TABLES
from tests.api.conftest import TestClient
from tests.api.seed import Env
from tests.quality.test_match_batch import rows

LEADS: list[dict[str, Any]] = [
    {"email": "ana@fernhill.example", "first_name": "Ana", "last_name": "Ruiz", "company": "Fernhill Systems",
     "title": "VP Sales", "country": "US", "form": "demo_request"},
    {"email": "bo.lee@gmail.com", "first_name": "Bo", "last_name": "Lee", "company": "Lee Consulting",
     "title": "Revenue Operations Manager", "country": "CA", "form": "content_download"},  # personal email
    {"first_name": "Cy", "last_name": "Noemail", "company": "Quietco", "title": "Software Engineer"},
    {"email": "dee@acme.com", "first_name": "Dee", "last_name": "Acme", "company": "Acme Corp",
     "title": "Chief Revenue Officer", "country": "United States", "form": "demo_request"},  # a customer's domain
    {"email": "eve@orphan.example", "first_name": "Eve", "last_name": "Orphan", "company": "Orphanage Labs",
     "source_system": "web", "external_id": "orph1", "form": "webinar"},  # touchpoints stored before the person
    {"email": "fay@matched.example", "first_name": "Fay", "last_name": "Matched", "company": "Globex",
     "title": "CFO", "country": "Germany", "source_system": "web", "external_id": "matched1"},  # a stored match
    {"email": "taro@toyota.example", "first_name": "太郎", "last_name": "山田", "company": "トヨタ自動車株式会社",
     "title": "営業部長", "country": "JP", "form": "demo_request"},
]  # fmt: skip


def test_server_score_equals_batch_score(client: TestClient, env: Env) -> None:
    store = env.store()
    try:
        long_ago = datetime.now(UTC) - timedelta(days=3)
        orphan = {"id": "web:tp-orph1", "contact_id": "web:orph1", "type": "Demo Request", "occurred_at": long_ago}
        match = ("m-old", "web:matched1", "crm:globex", 0.9, "company_name", "test", long_ago)
        with store.transaction():
            store.insert_rows("touchpoints", rows("touchpoints", [orphan]))
            store.insert_rows("account_matches", [match])
        assert len(TABLES["account_matches"].column_names) == len(match)
    finally:
        store.close()
    answers = []
    for lead in LEADS:
        r = client.post("/v1/leads", json=lead, headers=env.headers("crm_admin"))
        assert r.status_code == 201, r.text
        answers.append(r.json())
    spec = Workspace(env.root, env.url).spec
    store = env.store()
    try:
        seen = set()
        for out in answers:
            cid = out["contact_id"]
            # the server scored the lead at the moment it stored it (its created_at and its form's time)
            created = store.query("SELECT created_at FROM contacts WHERE id = ?", [cid])[0][0]
            current = store.query(
                "SELECT total, grade, is_mql FROM lead_scores WHERE contact_id = ? AND is_current", [cid]
            )
            assert current == [(out["score"]["total"], out["score"]["grade"], out["score"]["is_mql"])]
            batch = score_people(store, spec, ids=[cid], as_of=created).scores[cid]
            assert asdict(batch) == out["score"], cid
            seen |= {r["factor"] for r in batch.reasons}
            seen |= {batch.disqualified_by} if batch.disqualified_by else set()
        # the cases above reach what they are meant to: an orphan touchpoint, a stored match, a disqualifier
        assert {"touchpoint:demo_request", "touchpoint:webinar", "industry", "personal_email"} <= seen
    finally:
        store.close()


def test_a_frozen_matcher_is_still_freed_when_replaced() -> None:
    """The server freezes what it loads for the garbage collector; a rebuild's old matcher must still go."""
    import gc
    import weakref

    from revframe.api.service import _freeze
    from revframe.quality.match import Account, AccountMatcher

    matcher = AccountMatcher([Account(f"a{i}", f"Company {i} Systems", domain=f"d{i}.example") for i in range(500)])
    matcher.evaluate({"email": "x@new.example", "company": "Compny 1 Systms"})  # fills the fuzzy cache too
    gone = weakref.ref(matcher)
    _freeze()
    try:
        assert gc.get_freeze_count() > 0
        del matcher
        assert gone() is None  # nothing in it is a cycle: freed by reference counting, frozen or not
    finally:
        gc.unfreeze()
