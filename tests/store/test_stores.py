"""The store behaves the same on DuckDB, PostgreSQL and Spark."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from revframe.store import SCHEMA_VERSION, TABLES, Store
from revframe.store.arrow import to_arrow
from revframe.store.dialects import render


def _account(i: int, name: str) -> list:
    t = TABLES["accounts"]
    values = {c: None for c in t.column_names}
    values.update(
        id=f"crm:{i}",
        source_system="crm",
        external_id=str(i),
        name=name,
        employees=i * 10,
        annual_revenue=Decimal("1234.50"),
        created_at=datetime(2025, 1, i, 9, 30, tzinfo=UTC),
        _row_hash=f"h{i}-{name}",
        _run_id="r1",
        _loaded_at=datetime(2025, 2, 1, tzinfo=UTC),
    )
    return [values[c] for c in t.column_names]


def _stage(store: Store, rows: list[list]) -> str:
    t = TABLES["accounts"]
    name = store.create_staging(t)
    store.append_staging(name, t, to_arrow(t, [list(c) for c in zip(*rows, strict=True)]))
    return name


def test_migrate_creates_every_table_at_the_current_version(engine_store: Store) -> None:
    assert engine_store.schema_version() == SCHEMA_VERSION
    assert set(TABLES) <= engine_store.table_names()
    assert engine_store.migrate() == SCHEMA_VERSION  # idempotent
    assert engine_store.row_counts()["schema_migrations"] == SCHEMA_VERSION


def test_upsert_inserts_updates_and_leaves_equal_rows_alone(engine_store: Store) -> None:
    t = TABLES["accounts"]
    with engine_store.transaction():
        st = _stage(engine_store, [_account(1, "Acme"), _account(2, "Globex")])
        assert engine_store.upsert(t, st) == (2, 0, 0)
        engine_store.drop_staging(st)
    with engine_store.transaction():
        st = _stage(engine_store, [_account(1, "Acme"), _account(2, "Globex Corp"), _account(3, "Initech")])
        assert engine_store.upsert(t, st) == (1, 1, 1)
        engine_store.drop_staging(st)
    rows = engine_store.query("SELECT id, name, employees, annual_revenue FROM accounts ORDER BY id")
    assert [r[1] for r in rows] == ["Acme", "Globex Corp", "Initech"]
    assert rows[0][2] == 10 and Decimal(str(rows[0][3])) == Decimal("1234.50")


def test_a_failed_transaction_leaves_the_store_as_it_was(engine_store: Store) -> None:
    before = engine_store.checksum("accounts"), engine_store.row_counts()
    with pytest.raises(RuntimeError), engine_store.transaction():
        st = _stage(engine_store, [_account(1, "Acme")])
        engine_store.upsert(TABLES["accounts"], st)
        engine_store.insert_rows("ingest_runs", [("r", None, None, "m", "[]", 1, 1, 0, 1, 0, 0, "v", "x")])
        raise RuntimeError("boom")
    assert (engine_store.checksum("accounts"), engine_store.row_counts()) == before


def test_checksum_ignores_engine_representation(engine_store: Store, duck: Store) -> None:
    for s in (engine_store, duck):
        with s.transaction():
            st = _stage(s, [_account(1, "Acme"), _account(2, "Ümlaut GmbH")])
            s.upsert(TABLES["accounts"], st)
    assert engine_store.checksum("accounts") == duck.checksum("accounts")


def test_one_sql_source_renders_per_engine() -> None:
    sql = "SELECT count(*) FILTER (WHERE is_won) FROM opportunities WHERE close_date >= DATE '2025-01-01'"
    assert "FILTER" in render(sql, "postgres")
    assert render(sql, "duckdb") == sql
    assert "opportunities" in render(sql, "spark")


def test_dates_round_trip(engine_store: Store) -> None:
    t = TABLES["opportunities"]
    values = {c: None for c in t.column_names}
    values.update(
        id="crm:o1", source_system="crm", external_id="o1", close_date=date(2025, 3, 31), is_won=True, _row_hash="x"
    )
    with engine_store.transaction():
        st = engine_store.create_staging(t)
        engine_store.append_staging(st, t, to_arrow(t, [[values[c]] for c in t.column_names]))
        engine_store.upsert(t, st)
    assert engine_store.query("SELECT close_date, is_won FROM opportunities") == [(date(2025, 3, 31), True)]


def test_delete_where_on_every_engine(engine_store: Store) -> None:
    row = ("r1", None, None, "m", "[]", 1, 1, 0, 1, 0, 0, "v", "completed")
    with engine_store.transaction():
        engine_store.insert_rows("ingest_runs", [row, ("r2", *row[1:])])
        engine_store.delete_where("ingest_runs", "run_id", "r1")
        engine_store.delete_where("ingest_runs", "run_id", "nothing-matches")
    assert engine_store.query("SELECT run_id FROM ingest_runs") == [("r2",)]


def test_set_based_writes_on_every_engine(engine_store: Store) -> None:
    """insert_select, update_from and delete_in: what merges and unmerges are made of."""
    s = engine_store
    aliases = [("crm:1", "accounts", "crm:9", "m1", None), ("crm:2", "accounts", "crm:9", "m1", None)]
    s.insert_rows("record_aliases", aliases)
    with s.transaction():
        st = _stage(s, [_account(1, "Acme"), _account(2, "Globex"), _account(3, "Initech")])
        s.upsert(TABLES["accounts"], st)
        s.drop_staging(st)
    with s.transaction():
        remap = "SELECT alias_id AS k, survivor_id AS v FROM record_aliases"
        s.update_from("accounts", "parent_account_id", "id", remap)
        s.insert_select(
            "merge_moves",
            "SELECT 'm1', 'accounts', id, 'name', name, upper(name) FROM accounts WHERE id IN (?, ?)",
            ["crm:1", "crm:3"],
        )
    parents = {r[0]: r[1] for r in s.query("SELECT id, parent_account_id FROM accounts")}
    assert parents == {"crm:1": "crm:9", "crm:2": "crm:9", "crm:3": None}
    moved = [tuple(r) for r in s.query("SELECT record_id, old_value, new_value FROM merge_moves ORDER BY record_id")]
    assert moved == [("crm:1", "Acme", "ACME"), ("crm:3", "Initech", "INITECH")]
    with s.transaction():
        s.delete_in("accounts", "id", "SELECT alias_id AS k FROM record_aliases WHERE merge_id = ?", ["m1"])
    assert [r[0] for r in s.query("SELECT id FROM accounts ORDER BY id")] == ["crm:3"]
    with s.transaction():  # nothing matches: no change, no error
        s.update_from("accounts", "name", "id", "SELECT 'crm:404' AS k, 'x' AS v")
        s.delete_in("accounts", "id", "SELECT 'crm:404' AS k")
    assert [r[0] for r in s.query("SELECT name FROM accounts")] == ["Initech"]


def test_migrations_create_every_table() -> None:
    from revframe.store.migrations import V1_TABLES, V2_TABLES, V3_TABLES, V4_TABLES, V5_TABLES

    assert sorted(V1_TABLES + V2_TABLES + V3_TABLES + V4_TABLES + V5_TABLES) == sorted(TABLES)


def test_query_arrow_on_every_engine(engine_store: Store) -> None:
    with engine_store.transaction():
        st = _stage(engine_store, [_account(1, "Acme"), _account(2, "Globex")])
        engine_store.upsert(TABLES["accounts"], st)
        engine_store.drop_staging(st)
    table = engine_store.query_arrow("SELECT id, name AS account_name, employees FROM accounts ORDER BY id")
    assert table.column_names == ["id", "account_name", "employees"]
    assert table.to_pylist() == [
        {"id": "crm:1", "account_name": "Acme", "employees": 10},
        {"id": "crm:2", "account_name": "Globex", "employees": 20},
    ]


def test_question_marks_and_percents_inside_literals(engine_store: Store) -> None:
    """Only the markers outside quotes are parameters; a regex with ``?`` and a ``%`` literal stay as written."""
    with engine_store.transaction():
        st = _stage(engine_store, [_account(1, "Acme? 100%"), _account(2, "Globex")])
        engine_store.upsert(TABLES["accounts"], st)
        engine_store.drop_staging(st)
    rows = engine_store.query(
        "SELECT id, name || '?%' FROM accounts WHERE name LIKE '%?%' AND regexp_matches(name, '^Ac?me') AND id = ?",
        ["crm:1"],
    )
    assert [tuple(r) for r in rows] == [("crm:1", "Acme? 100%?%")]
