"""Property: merges undone (in reverse, or an earlier one first when allowed) leave the store identical."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revframe import Workspace
from revframe.errors import UsageError
from revframe.framework import Spec
from revframe.quality.merge import merge_clusters
from revframe.quality.unmerge import unmerge
from revframe.store import Store
from tests.conftest import make_store
from tests.quality.test_merge import ROLE, at, clusters, row, snapshot

SYSTEMS = ["salesforce", "hubspot"]
TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "Acme", "acme inc", "+1 555 0100", "x@y.io"]))


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    return Workspace.init(tmp_path_factory.mktemp("ws")).spec


@pytest.fixture(scope="module")
def prop_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = make_store("duckdb", Path(tmp_path_factory.mktemp("prop")))
    yield store
    store.close()


def _empty(store: Store) -> None:
    for t in ("accounts", "contacts", "opportunities", "activities", "touchpoints", "tickets", "subscriptions"):
        store.execute(f"DELETE FROM {t}")
    for t in ("dedupe_runs", "duplicate_clusters", "merges", "merge_records", "merge_moves", "record_aliases"):
        store.execute(f"DELETE FROM {t}")


@st.composite
def stores(draw: st.DrawFn) -> dict:
    n_acc = draw(st.integers(2, 5))
    n_con = draw(st.integers(2, 6))
    accs = [f"{draw(st.sampled_from(SYSTEMS))}:A{i}" for i in range(n_acc)]
    cons = [f"{draw(st.sampled_from(SYSTEMS))}:C{i}" for i in range(n_con)]
    acc_ref = st.one_of(st.none(), st.sampled_from(accs))
    con_ref = st.one_of(st.none(), st.sampled_from(cons))
    accounts = [
        row("accounts", a, name=draw(TEXT), industry=draw(TEXT), parent_account_id=draw(acc_ref),
            employees=draw(st.one_of(st.none(), st.integers(1, 9))), updated_at=at(draw(st.integers(1, 12))))
        for a in accs
    ]  # fmt: skip
    contacts = [
        row("contacts", c, record_type=draw(st.sampled_from(["lead", "contact"])), email=draw(TEXT),
            phone=draw(TEXT), title=draw(TEXT), account_id=draw(acc_ref), created_at=at(draw(st.integers(1, 12))))
        for c in cons
    ]  # fmt: skip
    children = {
        "opportunities": [
            row("opportunities", f"salesforce:O{i}", account_id=draw(acc_ref), contact_id=draw(con_ref))
            for i in range(draw(st.integers(0, 4)))
        ],
        "activities": [
            row("activities", f"salesforce:T{i}", account_id=draw(acc_ref), contact_id=draw(con_ref))
            for i in range(draw(st.integers(0, 3)))
        ],
        "tickets": [row("tickets", f"zendesk:K{i}", contact_id=draw(con_ref)) for i in range(draw(st.integers(0, 2)))],
    }
    steps = []
    for k in range(draw(st.integers(1, 4))):
        obj, ids = draw(st.sampled_from([("accounts", accs), ("contacts", cons)]))
        members = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=4, unique=True))
        steps.append((obj, f"run{k}", members))
    return {"accounts": accounts, "contacts": contacts, **children, "steps": steps}


def _build(store: Store, data: dict) -> None:
    _empty(store)
    for t, rows in data.items():
        if t != "steps":
            store.insert_rows(t, rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=stores(), earlier_first=st.booleans())
def test_merges_then_unmerges_leave_every_table_identical(
    prop_store: Store, spec: Spec, data: dict, earlier_first: bool
) -> None:
    s = prop_store
    _build(s, data)
    before = snapshot(s)
    done: list[str] = []
    for obj, run, members in data["steps"]:
        clusters(s, obj, run, {"c": members})
        done.extend(m.merge_id for m in merge_clusters(s, spec, role=ROLE, objects=[obj]).merges)
    if earlier_first and len(done) > 1:  # an earlier merge first: allowed unless a later one built on it
        try:
            unmerge(s, spec, done[0], role=ROLE)
            done.pop(0)
        except UsageError as e:
            assert "later merge" in str(e)
    for merge_id in reversed(done):
        unmerge(s, spec, merge_id, role=ROLE)
    assert snapshot(s) == before
    assert s.query("SELECT count(*) FROM record_aliases") == [(0,)]
