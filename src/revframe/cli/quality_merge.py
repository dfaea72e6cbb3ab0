"""`revframe quality merge`, `unmerge` and `merges`: merge duplicate clusters reversibly, undo, list."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.cli.quality import RecordObject, quality_app
from revframe.errors import UsageError
from revframe.quality.aliases import MERGEABLE
from revframe.quality.merge import MergeReport, merge_clusters
from revframe.quality.unmerge import merge_list, unmerge

SHOWN = 20  # merges detailed in the table view (all of them in JSON)


class MergeStatus(StrEnum):
    merged = "merged"
    unmerged = "unmerged"


Role = Annotated[str, typer.Option("--as", help="The role you act as; the spec's dedup.merge_roles must allow it.")]


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def print_merges(report: MergeReport) -> None:
    """Merges as a table (and the field values taken from other records), then the skipped clusters."""
    if STATE.format is Format.json:
        emit_json(report.to_dict())
        return
    verb = "would merge" if report.dry_run else "merged"
    rows = [
        {
            "merge_id": "-" if report.dry_run else m.merge_id,
            "object": m.object,
            "cluster": m.cluster_id,
            "survivor": m.survivor_id,
            "merged": len(m.merged_ids),
            "keys moved": sum(m.moves.values()),
        }
        for m in report.merges
    ]
    if rows:
        emit_rows(rows[:SHOWN], title=f"{'Dry run: ' if report.dry_run else ''}{len(rows):,} cluster(s) {verb}")
        if len(rows) > SHOWN:
            say(f"... and {len(rows) - SHOWN:,} more (all of them with --format json)")
    if STATE.format is Format.table:
        for m in report.merges[:SHOWN]:
            fields = [
                {"field": f, "value": _text(c["value"]), "from": c["from"], "rule": c["rule"]}
                for f, c in m.summary()["fields_from_others"].items()
            ]
            if fields:
                emit_rows(fields, title=f"{m.survivor_id}: values taken from merged records")
            if m.moves:
                moves = [{"foreign key": k, "keys moved": n} for k, n in sorted(m.moves.items())]
                emit_rows(moves, title=f"{m.survivor_id}: foreign keys {'to move' if report.dry_run else 'moved'}")
    for skip in report.skipped:
        say(f"skipped {skip.object} cluster {skip.cluster_id}: {skip.reason}")
    if not report.merges and not report.skipped:
        say("nothing to merge: no open auto_merge cluster in the latest dedupe runs")
    elif report.dry_run:
        say("dry run: nothing was written")
    elif report.merges:
        say("undo a merge with `revframe quality unmerge MERGE_ID --as ROLE`")


@quality_app.command("merge")
def merge_command(
    role: Role,
    auto: Annotated[
        bool, typer.Option("--auto", help="Merge every open auto_merge cluster of the latest dedupe runs.")
    ] = False,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Merge this cluster of the latest dedupe run (auto or review).")
    ] = None,
    objects: Annotated[
        list[RecordObject] | None, typer.Option("--object", help="Only this object (repeatable): contacts, accounts.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen; write nothing.")] = False,
) -> None:
    """Merge duplicates with the spec's survivorship; re-parent related records; keep everything to unmerge."""
    if auto == (cluster is not None):
        raise UsageError("say what to merge: --auto (every open auto_merge cluster) or --cluster ID (one cluster)")
    ws = workspace()
    report = merge_clusters(
        ws.store,
        ws.spec,
        role=role,
        cluster=cluster,
        objects=[o.value for o in objects] if objects else MERGEABLE,
        dry_run=dry_run,
        framework_version=ws.spec.version,
        in_transaction=ws.record_framework_version,
    )
    print_merges(report)


@quality_app.command("unmerge")
def unmerge_command(
    merge_id: Annotated[str, typer.Argument(help="The merge to undo (see `revframe quality merges`).")],
    role: Role,
) -> None:
    """Undo a merge: restore its records and every foreign key it moved, exactly."""
    ws = workspace()
    report = unmerge(ws.store, ws.spec, merge_id, role=role, in_transaction=ws.record_framework_version)
    if STATE.format is Format.json:
        emit_json(report.to_dict())
        return
    say(
        f"unmerged {merge_id}: restored {len(report.restored_ids):,} {report.object} record(s) "
        f"next to {report.survivor_id}"
    )
    rows = [
        {"foreign key": k, "moved back": n, "kept (changed since)": report.keys_kept.get(k, 0)}
        for k, n in sorted(report.keys_moved_back.items())
    ]
    if rows:
        emit_rows(rows, title="Foreign keys")


@quality_app.command("merges")
def merges_command(
    obj: Annotated[RecordObject | None, typer.Option("--object", help="Only merges of this object.")] = None,
    status: Annotated[MergeStatus | None, typer.Option("--status", help="Only merged or only unmerged.")] = None,
) -> None:
    """List merges: id, object, survivor, records merged, who, when, and whether it was undone."""
    ws = workspace()
    ws.require_spec_file()
    rows = merge_list(ws.store, obj.value if obj else None, status.value if status else None)
    emit_rows(rows, title="Merges")
    if not rows:
        say("no merges yet: `revframe quality merge --auto --as ROLE` merges the clusters dedupe found")
