"""Merge duplicate clusters, reversibly: survivorship, re-parenting, aliases, before-images.

A merge of one cluster (see ``docs/quality/merge.md``):

1. resolves each member through the aliases (a member merged away earlier stands for its
   survivor) and leaves out members that no longer exist and converted leads (a lead converted
   into a contact is its lineage, not its duplicate);
2. picks the survivor and every field's value (``revframe.quality.survivorship``);
3. records the merge (``merges``: survivor before and after, where each value came from),
   the removed rows whole (``merge_records``) and an alias per removed id (``record_aliases``);
4. removes the losing rows, rewrites the survivor, and re-parents every foreign key that named a
   losing id (``merge_moves`` keeps table, row, column, old and new value of each).

A batch (``--auto`` merges thousands of clusters) does this set-based: one insert per bookkeeping
table, one delete and one insert for the object's rows, and one insert plus one update per foreign
key column, whatever the number of clusters. Spark rewrites a table per statement, so this matters.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.quality.aliases import MERGEABLE, alias_map, move_references, references
from revframe.quality.dedupe import latest_run
from revframe.quality.survivorship import FieldChoice, Record, survive
from revframe.store.base import Store
from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec

FETCH_CHUNK = 500  # ids per IN list when fetching members that are not in the cluster rows themselves
CLUSTER_KEY = "run_id || '/' || cluster_id"  # duplicate_clusters rows of one cluster of one run


@dataclass
class Merge:
    """One cluster's merge, planned or done."""

    merge_id: str
    object: str
    run_id: str
    cluster_id: str
    survivor_id: str
    merged_ids: list[str]
    before: Record
    after: Record
    removed: list[Record]
    choices: dict[str, FieldChoice]
    moves: dict[str, int] = field(default_factory=dict)  # "table.column" -> keys moved

    def summary(self) -> dict[str, Any]:
        """What a person or a script wants to know about the merge."""
        changed = {
            f: {"value": _jsonable(c.value), "from": c.source_id, "rule": c.rule}
            for f, c in self.choices.items()
            if c.source_id != self.survivor_id and self.after.get(f) != self.before.get(f)
        }
        return {
            "merge_id": self.merge_id,
            "object": self.object,
            "cluster_id": self.cluster_id,
            "survivor_id": self.survivor_id,
            "merged_ids": self.merged_ids,
            "fields_from_others": changed,
            "moves": self.moves,
        }


@dataclass
class Skip:
    """A cluster left alone, and why."""

    object: str
    cluster_id: str
    reason: str


@dataclass
class MergeReport:
    """What ``merge_clusters`` did (or, with ``dry_run``, would do)."""

    merges: list[Merge] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "merges": [m.summary() for m in self.merges],
            "skipped": [vars(s) for s in self.skipped],
        }


class _DryRun(Exception):
    """Raised inside the transaction of a dry run: everything it wrote is rolled back."""


# --- rights ------------------------------------------------------------------------------------------
def check_rights(spec: Spec, role: str, action: str = "merge") -> None:
    """Raise ``UsageError`` unless the spec's ``dedup.merge_roles`` lets ``role`` merge and unmerge."""
    allowed = spec.dedup.merge_roles if spec.dedup else []
    roles = spec.people.role_ids()
    if role not in roles:
        raise UsageError(
            f"--as {role}: no such role in the spec (people.roles); roles that may {action}: "
            f"{', '.join(allowed) or 'none (add dedup.merge_roles to revframe.yaml)'}"
        )
    if role not in allowed:
        raise UsageError(
            f"--as {role}: this role may not {action} records; the spec's dedup.merge_roles allows: "
            f"{', '.join(allowed) or 'nobody'}. Ask one of them, or change dedup.merge_roles in revframe.yaml"
        )


# --- rows as JSON (before-images) -------------------------------------------------------------------
def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def row_json(record: Record) -> str:
    """A whole row as JSON text: every column, META included, in a form ``json_row`` restores exactly."""
    return json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False)


def json_row(obj: str, text: str) -> list[Any]:
    """A row stored by ``row_json``, as values in ``obj``'s column order with the canonical types."""
    data = json.loads(text)
    out: list[Any] = []
    for c in TABLES[obj].all_columns:
        v = data.get(c.name)
        if v is not None:
            if c.type == "timestamp":
                v = datetime.fromisoformat(v)
            elif c.type == "date":
                v = date.fromisoformat(v)
            elif c.type == "decimal":
                v = Decimal(v)
        out.append(v)
    return out


# --- planning ----------------------------------------------------------------------------------------
def _fetch(store: Store, obj: str, run_id: str, cluster: str | None, ids: set[str]) -> dict[str, Record]:
    """The live rows of ``ids``: those named by the run's cluster rows in one query, the rest by id."""
    cols = TABLES[obj].column_names
    select = f"SELECT {', '.join(cols)} FROM {obj}"
    where = "run_id = ? AND object = ?" + (" AND cluster_id = ?" if cluster is not None else "")
    params = [run_id, obj] + ([cluster] if cluster is not None else [])
    rows = store.query(f"{select} WHERE id IN (SELECT record_id FROM duplicate_clusters WHERE {where})", params)
    found = {str(r[0]): dict(zip(cols, r, strict=True)) for r in rows}
    rest = sorted(ids - found.keys())
    for i in range(0, len(rest), FETCH_CHUNK):
        chunk = rest[i : i + FETCH_CHUNK]
        for r in store.query(f"{select} WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
            found[str(r[0])] = dict(zip(cols, r, strict=True))
    return {k: v for k, v in found.items() if k in ids}


def _is_converted_lead(r: Record) -> bool:
    return r.get("record_type") == "lead" and bool(r.get("converted_contact_id"))


def plan_merges(
    store: Store, spec: Spec, obj: str, *, cluster: str | None = None, batch: str = ""
) -> tuple[list[Merge], list[Skip]]:
    """The merges of ``obj``'s latest dedupe run: one cluster, or every open ``auto_merge`` cluster.

    Nothing is written. A cluster is skipped (with the reason) when it is not open, when fewer
    than two live, mergeable records remain after alias resolution, or when it shares a record
    with a cluster planned earlier in the same batch (merge again to take it).
    """
    run_id = latest_run(store, obj)
    if run_id is None:
        return [], []
    cond = "cluster_id = ?" if cluster is not None else "decision = 'auto_merge' AND status = 'open'"
    params = [run_id, obj] + ([cluster] if cluster is not None else [])
    rows = store.query(
        f"SELECT cluster_id, record_id, status FROM duplicate_clusters WHERE run_id = ? AND object = ? AND {cond} "
        "ORDER BY cluster_id, record_id",
        params,
    )
    members: dict[str, list[str]] = {}
    statuses: dict[str, set[str]] = {}
    for cid, rid, status in rows:
        members.setdefault(str(cid), []).append(str(rid))
        statuses.setdefault(str(cid), set()).add(str(status or "open"))
    aliases = alias_map(store, obj)
    resolved = {cid: list(dict.fromkeys(aliases.get(r, r) for r in rids)) for cid, rids in members.items()}
    records = _fetch(store, obj, run_id, cluster, {r for rids in resolved.values() for r in rids})
    fields = [c.name for c in TABLES[obj].columns]
    settings = spec.dedup.objects.get(obj) if spec.dedup else None
    rules = settings.survivorship if settings else None
    sor_system = spec.system_of_record(obj)
    sor = sor_system.id if sor_system else None
    merges: list[Merge] = []
    skipped: list[Skip] = []
    claimed: dict[str, str] = {}
    for cid, rids in resolved.items():
        if "open" not in statuses[cid]:
            skipped.append(Skip(obj, cid, _not_open(store, obj, cid, statuses[cid])))
            continue
        live = [records[r] for r in rids if r in records]
        gone = [r for r in rids if r not in records]
        converted = [r["id"] for r in live if _is_converted_lead(r)]
        live = [r for r in live if not _is_converted_lead(r)]
        taken = [r["id"] for r in live if r["id"] in claimed]
        if taken:
            other = claimed[taken[0]]
            skipped.append(Skip(obj, cid, f"shares {taken[0]} with cluster {other} merged in this run; merge again"))
            continue
        if len(live) < 2:
            why = []
            if gone:
                why.append(f"{len(gone)} member(s) no longer exist ({', '.join(gone[:3])})")
            if converted:
                why.append(f"{len(converted)} converted lead(s) are never merged into their contact")
            if len(members[cid]) > len(rids):
                why.append("members were already merged into one record")
            reason = "; ".join(why) or "fewer than two records"
            skipped.append(Skip(obj, cid, f"nothing to merge: {reason}"))
            continue
        before, after, choices = survive(live, fields, rules, sor)
        survivor = str(before["id"])
        removed = [r for r in live if r["id"] != survivor]
        for r in live:
            claimed[r["id"]] = cid
        merge_id = f"{batch}-{len(merges) + 1}" if batch else uuid.uuid4().hex[:12]
        merges.append(
            Merge(
                merge_id, obj, run_id, cid, survivor, [str(r["id"]) for r in removed], before, after, removed, choices
            )
        )
    return merges, skipped


def _not_open(store: Store, obj: str, cid: str, statuses: set[str]) -> str:
    done = store.query(
        "SELECT merge_id FROM merges WHERE object = ? AND cluster_id = ? AND status = 'merged' ORDER BY merge_id",
        [obj, cid],
    )
    by = f" by merge {', '.join(str(r[0]) for r in done)}" if done else ""
    return f"cluster is already {'/'.join(sorted(statuses))}{by}; nothing to do"


# --- writing -----------------------------------------------------------------------------------------
def _write(store: Store, obj: str, merges: Sequence[Merge], batch: str, role: str, framework_version: str) -> None:
    """Apply planned merges of one object (inside the caller's transaction)."""
    now = datetime.now(UTC)
    cols = TABLES[obj].column_names
    store.insert_rows(
        "merges",
        [
            (
                m.merge_id,
                obj,
                m.run_id,
                m.cluster_id,
                m.survivor_id,
                json.dumps(m.merged_ids),
                role,
                now,
                "merged",
                None,
                None,
                row_json(m.before),
                row_json(m.after),
                json.dumps({f: c.explain() for f, c in m.choices.items()}),
                framework_version,
            )
            for m in merges
        ],
    )
    store.insert_rows("merge_records", [(m.merge_id, obj, r["id"], row_json(r)) for m in merges for r in m.removed])
    store.insert_rows(
        "record_aliases", [(rid, obj, m.survivor_id, m.merge_id, now) for m in merges for rid in m.merged_ids]
    )
    like = f"{batch}-%"
    store.delete_in(
        obj,
        "id",
        "SELECT alias_id AS k FROM record_aliases WHERE merge_id LIKE ? AND object = ? "
        "UNION ALL SELECT survivor_id AS k FROM merges WHERE merge_id LIKE ? AND object = ?",
        [like, obj, like, obj],
    )
    store.insert_rows(obj, [[m.after[c] for c in cols] for m in merges])
    for table, column in references(obj):
        move_references(store, table, column, obj, "a.merge_id LIKE ?", [like])
    by_merge = {m.merge_id: m for m in merges}
    for mid, table, column, n in store.query(
        "SELECT merge_id, table_name, column_name, count(*) FROM merge_moves WHERE merge_id LIKE ? "
        "GROUP BY merge_id, table_name, column_name",
        [like],
    ):
        if mid in by_merge:
            by_merge[mid].moves[f"{table}.{column}"] = int(n)
    store.update_from(
        "duplicate_clusters",
        "status",
        CLUSTER_KEY,
        "SELECT DISTINCT CAST(? AS VARCHAR) || '/' || cluster_id AS k, 'merged' AS v FROM merges "
        "WHERE merge_id LIKE ? AND object = ?",
        [merges[0].run_id, like, obj],
    )


def merge_clusters(
    store: Store,
    spec: Spec,
    *,
    role: str,
    cluster: str | None = None,
    objects: Iterable[str] = MERGEABLE,
    dry_run: bool = False,
    framework_version: str = "",
    in_transaction: Callable[[Store], object] | None = None,
) -> MergeReport:
    """Merge one cluster (``cluster``) or every open ``auto_merge`` cluster of the latest dedupe runs.

    Args:
        store: an open, migrated store.
        spec: the framework spec (survivorship, system of record, merge rights).
        role: who merges; must be one of the spec's ``dedup.merge_roles``.
        cluster: a cluster id of the latest dedupe run; None merges every open auto_merge cluster.
        objects: ``contacts`` and/or ``accounts``.
        dry_run: plan and count, then roll back: the store is left as it was.
        framework_version: recorded with each merge.
        in_transaction: more writes that commit with the merges (e.g. the framework version).

    Returns:
        The merges (with the keys each moved) and the clusters skipped, with reasons.

    Raises:
        UsageError: a role without the right, an unknown object, or an unknown cluster id.

    Examples:
        >>> from revframe import Workspace
        >>> import tempfile
        >>> ws = Workspace.init(tempfile.mkdtemp())
        >>> merge_clusters(ws.store, ws.spec, role="crm_admin").merges
        []
    """
    check_rights(spec, role)
    objs = list(objects)
    for o in objs:
        if o not in MERGEABLE:
            raise UsageError(f"--object {o}: only {' and '.join(MERGEABLE)} are merged")
    batch = uuid.uuid4().hex[:8]
    report = MergeReport(dry_run=dry_run)
    for o in objs:
        merges, skipped = plan_merges(store, spec, o, cluster=cluster, batch=f"{batch}{o[0]}")
        report.merges.extend(merges)
        report.skipped.extend(skipped)
    if cluster is not None and not report.merges and not report.skipped:
        raise UsageError(_unknown_cluster(store, cluster, objs))
    if not report.merges:
        return report
    try:
        with store.transaction():
            for o in objs:
                mine = [m for m in report.merges if m.object == o]
                if mine:
                    _write(store, o, mine, f"{batch}{o[0]}", role, framework_version)
            if dry_run:
                raise _DryRun
            if in_transaction is not None:
                in_transaction(store)
    except _DryRun:
        pass
    return report


def _unknown_cluster(store: Store, cluster: str, objs: list[str]) -> str:
    runs = store.query(
        "SELECT DISTINCT object, run_id FROM duplicate_clusters WHERE cluster_id = ? ORDER BY object, run_id", [cluster]
    )
    latest = {o: latest_run(store, o) for o in objs}
    if runs:
        where = ", ".join(f"{o} run {r}" for o, r in runs)
        now = ", ".join(f"{o}: {r}" for o, r in latest.items() if r) or "none"
        return (
            f"--cluster {cluster}: the cluster belongs to an older dedupe run ({where}); the latest runs are {now}. "
            "Merge a cluster of the latest run (see `revframe quality dedupe`)"
        )
    if not any(latest.values()):
        return f"--cluster {cluster}: no dedupe run yet; run `revframe quality dedupe` first"
    return f"--cluster {cluster}: no such cluster in the latest dedupe run; list them with `revframe quality dedupe`"
