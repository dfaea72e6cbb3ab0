"""`revframe quality dedupe`: find duplicate contacts/leads or accounts and write them as clusters."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from revframe.cli._output import STATE, Format, console, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.cli.quality import RecordObject, quality_app
from revframe.errors import UsageError
from revframe.store import Store


class Backend(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@quality_app.command()
def dedupe(
    obj: Annotated[RecordObject, typer.Option("--object", help="contacts (with leads) or accounts.")],
    show: Annotated[int, typer.Option(help="Clusters to show in the table (people output only).")] = 10,
    backend: Annotated[
        Backend, typer.Option(help="Where the matching model runs: duckdb (in process) or spark (at scale).")
    ] = Backend.duckdb,
) -> None:
    """Find duplicates with the spec's keys and a match model trained on your data (no labels needed).

    Writes the run, each cluster with its members and each matched pair with per-field agreement;
    clusters at or above the spec's auto_merge threshold can be merged with `quality merge --auto`,
    the others wait for review. --format json prints the clusters as a list.
    """
    from revframe.quality.dedupe import dedupe as run_dedupe

    ws = workspace()
    spec, store = ws.spec, ws.store
    version = ws.record_framework_version(store)
    result = run_dedupe(store, spec, obj.value, framework_version=version, progress=say, backend=backend.value)
    clusters = clusters_of_run(store, result.run_id)
    if STATE.format is Format.json:
        emit_json(clusters)
        return
    summary = {k: v for k, v in result.to_dict().items() if k != "model"}
    if STATE.format is Format.csv:
        emit_rows([summary])
        return
    emit_rows([summary], title=f"Duplicates in {obj.value}")
    show_clusters(store, obj.value, clusters, show)
    say(
        f"Next: list them with `revframe -w {ws.root} quality duplicates --object {obj.value}`, "
        f"merge with `revframe -w {ws.root} quality merge --object {obj.value} --auto --as ROLE`."
    )


@quality_app.command()
def duplicates(
    obj: Annotated[RecordObject, typer.Option("--object", help="contacts (and leads) or accounts.")],
    decision: Annotated[str | None, typer.Option(help="Only auto_merge or review clusters.")] = None,
    limit: Annotated[int, typer.Option(help="Clusters to show in the table (people output only).")] = 20,
) -> None:
    """List the clusters of the latest dedupe run (--format json: all of them, with members and pairs)."""
    ws = workspace()
    store = ws.store
    from revframe.quality.dedupe import latest_run

    run_id = latest_run(store, obj.value)
    if run_id is None:
        raise UsageError(
            f"no dedupe run for {obj.value} yet: run `revframe -w {ws.root} quality dedupe --object {obj.value}`"
        )
    clusters = clusters_of_run(store, run_id)
    if decision:
        if decision not in ("auto_merge", "review"):
            raise UsageError(f"--decision {decision}: use auto_merge or review")
        clusters = [c for c in clusters if c["decision"] == decision]
    if STATE.format is not Format.table:
        emit_rows([{k: v for k, v in c.items() if k not in ("members", "pairs")} for c in clusters], data=clusters)
        return
    show_clusters(store, obj.value, clusters, limit)


def show_clusters(store: Store, object_name: str, clusters: list[dict[str, Any]], limit: int) -> None:
    """A table of clusters (review first, then the largest) with who each member is."""
    shown = sorted(clusters, key=lambda c: (c["decision"] != "review", -len(c["members"]), c["cluster_id"]))[:limit]
    if not shown:
        console.print("no duplicates found")
        return
    ids = [m["record_id"] for c in shown for m in c["members"]]
    label_sql = (
        "SELECT id, concat_ws(' ', first_name, last_name) || coalesce(' <' || email || '>', '') FROM contacts"
        if object_name == "contacts"
        else "SELECT id, coalesce(name, '?') || coalesce(' (' || domain || ')', '') FROM accounts"
    )
    marks = ", ".join("?" for _ in ids)
    labels = dict(store.query(f"{label_sql} WHERE id IN ({marks})", ids))
    console.print(f"[bold]{len(shown)} of {len(clusters):,} clusters[/] (review first)")
    emit_rows(
        [
            {
                "cluster": c["cluster_id"],
                "decision": c["decision"],
                "p": round(c["match_probability"], 3),
                "members": "\n".join(_member(labels, m) for m in c["members"]),
                "matched by": ", ".join(sorted({p["matched_by"] for p in c["pairs"]})),
            }
            for c in shown
        ]
    )


def _member(labels: dict[str, str], m: dict[str, Any]) -> str:
    kind = f"{m['source_system']} {m['record_type']}" if m["record_type"] else m["source_system"]
    return f"{labels.get(m['record_id'], '?')} [{kind}]"


def clusters_of_run(store: Store, run_id: str) -> list[dict[str, Any]]:
    """The clusters of a dedupe run, each with its members and its matched pairs."""
    members = store.query(
        "SELECT cluster_id, object, decision, record_id, source_system, external_id, record_type, match_probability "
        "FROM duplicate_clusters WHERE run_id = ? ORDER BY cluster_id, record_id",
        [run_id],
    )
    pairs = store.query(
        "SELECT cluster_id, left_id, right_id, match_probability, matched_by, agreements "
        "FROM duplicate_pairs WHERE run_id = ? ORDER BY cluster_id, left_id, right_id",
        [run_id],
    )
    out: dict[str, dict[str, Any]] = {}
    for cid, obj, decision, rid, system, ext, rtype, prob in members:
        c = out.setdefault(
            cid,
            {
                "cluster_id": cid,
                "run_id": run_id,
                "object": obj,
                "decision": decision,
                "match_probability": 1.0,
                "members": [],
                "pairs": [],
            },
        )
        c["members"].append(
            {
                "record_id": rid,
                "source_system": system,
                "external_id": ext,
                "record_type": rtype,
                "match_probability": prob,
            }
        )
    for cid, left, right, prob, matched_by, agreements in pairs:
        c = out[cid]
        c["match_probability"] = min(c["match_probability"], float(prob))
        c["pairs"].append(
            {
                "left_id": left,
                "right_id": right,
                "match_probability": float(prob),
                "matched_by": matched_by,
                "agreements": json.loads(agreements) if isinstance(agreements, str) else agreements,
            }
        )
    return list(out.values())
