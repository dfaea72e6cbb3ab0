"""Unmerge: restore a merge's records and every key it moved, exactly, in one transaction.

What a merge recorded is enough to undo it: the survivor before the merge (``merges``), the
removed rows whole (``merge_records``), and each moved foreign key (``merge_moves``). A key is
moved back only while it still holds the value the merge gave it: a later ingest that changed it
wins. A later merge that built on this one (it merged this survivor away, merged more records
into it, moved a key of this survivor, or removed or rewrote a record whose key this merge moved)
must be unmerged first: the unmerge refuses and names it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.quality.aliases import resolve_references
from revframe.quality.merge import CLUSTER_KEY, check_rights, json_row
from revframe.store.base import Store
from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec


@dataclass
class UnmergeReport:
    """What an unmerge restored."""

    merge_id: str
    object: str
    survivor_id: str
    restored_ids: list[str]
    keys_moved_back: dict[str, int] = field(default_factory=dict)  # "table.column" -> keys
    keys_kept: dict[str, int] = field(default_factory=dict)  # changed since the merge: left as they are

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


_MERGE_COLS = TABLES["merges"].column_names


def _load(store: Store, merge_id: str) -> dict[str, Any]:
    rows = store.query(f"SELECT {', '.join(_MERGE_COLS)} FROM merges WHERE merge_id = ?", [merge_id])
    if not rows:
        raise UsageError(f"merge {merge_id}: no such merge; list them with `revframe quality merges`")
    m = dict(zip(_MERGE_COLS, rows[0], strict=True))
    if m["status"] != "merged":
        raise UsageError(
            f"merge {merge_id}: already {m['status']} by {m['unmerged_by']} at {m['unmerged_at']}; nothing to do"
        )
    return m


def later_dependents(store: Store, m: dict[str, Any]) -> list[str]:
    """Active merges made after ``m`` that depend on it (they must be unmerged first)."""
    mid, obj, at = m["merge_id"], m["object"], m["merged_at"]
    later = "m2.status = 'merged' AND m2.merge_id <> ? AND m2.merged_at >= ?"
    queries = [
        # this survivor was merged away later, or took in more records
        (
            f"SELECT m2.merge_id FROM merges AS m2 WHERE {later} AND m2.object = ? AND (m2.survivor_id = ? OR "
            "EXISTS (SELECT 1 FROM merge_records AS r WHERE r.merge_id = m2.merge_id AND r.record_id = ?))",
            [mid, at, obj, m["survivor_id"], m["survivor_id"]],
        ),
        # a record whose key this merge moved was later merged away, or rewritten as a survivor
        (
            "SELECT m2.merge_id FROM merge_moves AS mv JOIN merge_records AS r ON r.record_id = mv.record_id "
            "AND r.object = mv.table_name JOIN merges AS m2 ON m2.merge_id = r.merge_id "
            f"WHERE mv.merge_id = ? AND {later}",
            [mid, mid, at],
        ),
        (
            "SELECT m2.merge_id FROM merge_moves AS mv JOIN merges AS m2 ON m2.survivor_id = mv.record_id "
            f"AND m2.object = mv.table_name WHERE mv.merge_id = ? AND {later}",
            [mid, mid, at],
        ),
        # a later merge moved a key of this survivor (restoring it would hide that move)
        (
            "SELECT m2.merge_id FROM merge_moves AS mv2 JOIN merges AS m2 ON m2.merge_id = mv2.merge_id "
            f"WHERE mv2.table_name = ? AND mv2.record_id = ? AND {later}",
            [obj, m["survivor_id"], mid, at],
        ),
        # the same key was moved again by a later merge
        (
            "SELECT m2.merge_id FROM merge_moves AS mv JOIN merge_moves AS mv2 ON mv2.table_name = mv.table_name "
            "AND mv2.record_id = mv.record_id AND mv2.column_name = mv.column_name "
            f"JOIN merges AS m2 ON m2.merge_id = mv2.merge_id WHERE mv.merge_id = ? AND {later}",
            [mid, mid, at],
        ),
    ]
    found: set[str] = set()
    for sql, params in queries:
        found.update(str(r[0]) for r in store.query(sql, params))
    return sorted(found)


def unmerge(
    store: Store,
    spec: Spec,
    merge_id: str,
    *,
    role: str,
    in_transaction: Callable[[Store], object] | None = None,
) -> UnmergeReport:
    """Undo merge ``merge_id``: its records and every key it moved come back as they were.

    Args:
        store: an open, migrated store.
        spec: the framework spec (merge rights).
        merge_id: the id ``revframe quality merges`` lists.
        role: who unmerges; must be one of the spec's ``dedup.merge_roles``.
        in_transaction: more writes that commit with the unmerge.

    Returns:
        The restored ids and the keys moved back (and those left because they changed since).

    Raises:
        UsageError: unknown or already unmerged merge, a role without the right, or a later
            merge that must be unmerged first (named in the message).
    """
    check_rights(spec, role, "unmerge")
    m = _load(store, merge_id)
    blockers = later_dependents(store, m)
    if blockers:
        raise UsageError(
            f"merge {merge_id}: later merge(s) {', '.join(blockers)} built on it; unmerge "
            f"{'them' if len(blockers) > 1 else 'it'} first (`revframe quality unmerge {blockers[-1]}`)"
        )
    obj = m["object"]
    records = [str(r[0]) for r in store.query("SELECT row FROM merge_records WHERE merge_id = ?", [merge_id])]
    rows = [json_row(obj, m["survivor_before"]), *(json_row(obj, r) for r in records)]
    report = UnmergeReport(merge_id, obj, str(m["survivor_id"]), sorted(str(r[0]) for r in rows[1:]))
    moved = store.query(
        "SELECT table_name, column_name, count(DISTINCT record_id) FROM merge_moves WHERE merge_id = ? "
        "GROUP BY table_name, column_name ORDER BY table_name, column_name",
        [merge_id],
    )
    with store.transaction():
        store.delete_where("record_aliases", "merge_id", merge_id)
        for table, column, total in moved:
            back = (
                f"SELECT mv.record_id AS k, max(mv.old_value) AS v FROM merge_moves AS mv JOIN {table} AS t "
                f"ON t.id = mv.record_id AND t.{column} = mv.new_value "
                "WHERE mv.merge_id = ? AND mv.table_name = ? AND mv.column_name = ? GROUP BY mv.record_id"
            )
            params = [merge_id, table, column]
            n = int(store.query(f"SELECT count(*) FROM ({back}) AS b", params)[0][0])
            store.update_from(table, column, "id", back, params)
            report.keys_moved_back[f"{table}.{column}"] = n
            if int(total) > n:
                report.keys_kept[f"{table}.{column}"] = int(total) - n
        store.delete_in(
            obj,
            "id",
            "SELECT survivor_id AS k FROM merges WHERE merge_id = ? UNION ALL "
            "SELECT record_id AS k FROM merge_records WHERE merge_id = ?",
            [merge_id, merge_id],
        )
        store.insert_rows(obj, rows)
        resolve_references(store, obj)  # restored rows may name records merged away by other merges since
        store.delete_where("merges", "merge_id", merge_id)
        m.update(status="unmerged", unmerged_by=role, unmerged_at=datetime.now(UTC))
        store.insert_rows("merges", [[m[c] for c in _MERGE_COLS]])
        run = m["run_id"]
        if run is not None:
            store.update_from(
                "duplicate_clusters",
                "status",
                CLUSTER_KEY,
                "SELECT DISTINCT run_id || '/' || cluster_id AS k, 'open' AS v FROM duplicate_clusters "
                "WHERE run_id = ? AND object = ? AND cluster_id = ?",
                [run, obj, m["cluster_id"]],
            )
        if in_transaction is not None:
            in_transaction(store)
    return report


def merge_list(store: Store, obj: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """Every merge, newest first: id, object, survivor, how many records, who, when, and its state."""
    where, params = [], []
    if obj:
        where.append("object = ?")
        params.append(obj)
    if status:
        where.append("status = ?")
        params.append(status)
    sql = (
        "SELECT merge_id, object, cluster_id, survivor_id, merged_ids, merged_by, merged_at, status, unmerged_by, "
        f"unmerged_at FROM merges {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY merged_at DESC, merge_id"
    )
    out = []
    for mid, o, cid, sid, ids, by, at, st, uby, uat in store.query(sql, params):
        out.append(
            {
                "merge_id": mid,
                "object": o,
                "cluster_id": cid,
                "survivor_id": sid,
                "merged": len(json.loads(ids or "[]")),
                "merged_by": by,
                "merged_at": at,
                "status": st,
                "unmerged_by": uby,
                "unmerged_at": uat,
            }
        )
    return out
