"""Record aliases: ids merged away still resolve to the record they were merged into.

A merge keeps each losing id in ``record_aliases`` (alias -> survivor, with the merge's id). A
survivor can itself be merged away later, so an alias may resolve through a chain; ``resolve``
follows it. ``move_references`` points foreign keys that name an alias at its survivor and records
every moved key in ``merge_moves`` under the alias's merge, so ``unmerge`` can move it back; merges,
unmerges and ingest all use it, which keeps one invariant: no stored foreign key names an alias.

Examples:
    >>> from revframe.store import open_store
    >>> store = open_store("duckdb:///:memory:"); _ = store.migrate()
    >>> store.insert_rows("record_aliases", [("hubspot:1", "contacts", "salesforce:7", "m1", None)])
    >>> resolve(store, "contacts", "hubspot:1")
    'salesforce:7'
    >>> resolve(store, "contacts", "salesforce:7")
    'salesforce:7'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from revframe.store.base import Store
from revframe.store.schema import DATA_TABLES, TABLES

MERGEABLE = ("contacts", "accounts")
MAX_CHAIN = 1000  # a chain longer than this means a cycle: aliases are written by merges only


def references(obj: str) -> list[tuple[str, str]]:
    """Every (table, column) of the data tables whose foreign key points at ``obj``.

    Examples:
        >>> ("opportunities", "contact_id") in references("contacts")
        True
    """
    return [(t, c.name) for t in DATA_TABLES for c in TABLES[t].columns if c.ref == obj]


def has_aliases(store: Store) -> bool:
    """Whether any merge is active (most stores have none: callers skip alias work then)."""
    return bool(store.query("SELECT 1 FROM record_aliases LIMIT 1"))


def alias_map(store: Store, obj: str) -> dict[str, str]:
    """Every alias of ``obj`` and the id it resolves to, chains followed to the live record."""
    direct = {
        str(a): str(s)
        for a, s in store.query("SELECT alias_id, survivor_id FROM record_aliases WHERE object = ?", [obj])
    }
    return {a: _follow(direct, a) for a in direct}


def _follow(direct: dict[str, str], rid: str) -> str:
    seen = 0
    while rid in direct and seen < MAX_CHAIN:
        rid, seen = direct[rid], seen + 1
    return rid


def resolve(store: Store, obj: str, rid: str) -> str:
    """The live id ``rid`` stands for: itself, or the record it was merged into (chains followed).

    Args:
        store: an open, migrated store.
        obj: ``contacts`` or ``accounts``.
        rid: a canonical id, e.g. ``hubspot:123``.

    Returns:
        ``rid`` when it was never merged away, else the survivor of the last merge in its chain.
    """
    for _ in range(MAX_CHAIN):
        rows = store.query("SELECT survivor_id FROM record_aliases WHERE object = ? AND alias_id = ?", [obj, rid])
        if not rows:
            return rid
        rid = str(rows[0][0])
    return rid


def move_references(
    store: Store, table: str, column: str, obj: str, where: str = "", params: Sequence[Any] = ()
) -> int:
    """Point ``table.column`` at the survivor wherever it names an alias of ``obj``; returns keys moved.

    Each moved key is recorded in ``merge_moves`` under the merge that made the alias. ``where``
    narrows the aliases (SQL over ``a``, the ``record_aliases`` row), e.g. to one batch of merges.
    One insert and one update per call, whatever the number of rows: set-based on every engine.
    """
    join = f"FROM {table} AS t JOIN record_aliases AS a ON a.alias_id = t.{column} AND a.object = ?" + (
        f" AND {where}" if where else ""
    )
    args = [obj, *params]
    moved = int(store.query(f"SELECT count(*) {join}", args)[0][0])
    if moved:
        store.insert_select(
            "merge_moves", f"SELECT a.merge_id, '{table}', t.id, '{column}', t.{column}, a.survivor_id {join}", args
        )
        store.update_from(table, column, "id", f"SELECT t.id AS k, a.survivor_id AS v {join}", args)
    return moved


def resolve_references(store: Store, table: str) -> int:
    """Move every foreign key of ``table`` that names an alias (of contacts or accounts) to its survivor.

    Chains (an alias whose survivor was merged away later) take one pass per link; each link's
    move is recorded under its own merge. Returns the keys moved.
    """
    moved = 0
    for col in TABLES[table].columns:
        if col.ref not in MERGEABLE:
            continue
        for _ in range(MAX_CHAIN):
            n = move_references(store, table, col.name, col.ref)
            moved += n
            if not n:
                break
    return moved


def merged_away(store: Store, obj: str, staging: str) -> int:
    """Staged rows of ``obj`` whose id is an alias: records merged away that an export still holds."""
    sql = f"SELECT count(*) FROM {staging} AS s JOIN record_aliases AS a ON a.alias_id = s.id AND a.object = ?"
    return int(store.query(sql, [obj])[0][0])


def drop_merged_away(store: Store, obj: str) -> None:
    """Delete rows of ``obj`` whose id is an alias (an upsert just wrote them back): merges stay merged."""
    store.delete_in(obj, "id", "SELECT alias_id AS k FROM record_aliases WHERE object = ?", [obj])
