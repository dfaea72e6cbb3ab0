"""`revframe route`: assign records by the spec's routing rules, and explain any decision."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.errors import UsageError
from revframe.process.routing import route as route_records
from revframe.quality.scan import parse_as_of


@app.command()
def route(
    ids: Annotated[list[str] | None, typer.Option("--id", help="Route this person (repeatable).")] = None,
    all_open: Annotated[bool, typer.Option("--all", help="Route every open lead again.")] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Decide as of this time (working hours are checked at it).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Decide and show; write nothing.")] = False,
    explain: Annotated[
        str | None, typer.Option("--explain", help="Show why a person was routed as they were (latest decision).")
    ] = None,
) -> None:
    """Assign records by the spec's routing rules (first match wins); store each decision with its reasons.

    By default routes the open leads that need an owner and were never routed: no owner, an
    inactive owner, or newly MQL in revframe's lifecycle. Each decision keeps the rules tried, the
    reps considered and why each was passed over; `--explain ID` prints them. See docs/process/routing.md.
    """
    ws = workspace()
    if explain:
        _explain(ws.store, explain)
        return
    at = parse_as_of(as_of) if as_of else None
    report = route_records(ws.store, ws.spec, ids=ids or None, all_open=all_open, as_of=at, dry_run=dry_run)
    if STATE.format is Format.json:
        emit_json(report.to_dict())
        return
    rules = [{"rule": k, "records": v} for k, v in report.by_rule().items()]
    if STATE.format is Format.csv:
        emit_rows([d.to_dict() | {"rule_path": None, "candidates": None} for d in report.decisions])
        return
    verb = "would route" if dry_run else "routed"
    when = f"{report.as_of:%Y-%m-%d %H:%M} UTC"
    say(f"Routing run {report.run_id}: {verb} {len(report.decisions):,} record(s) as of {when}")
    emit_rows(rules or [{"rule": "nothing to route", "records": 0}], title="Decisions by rule")
    top = [{"assignee": k, "records": v} for k, v in list(report.by_assignee().items())[:15]]
    if top:
        emit_rows(top, title="Most assigned")
    examples = [
        {"person": d.contact_id, "to": d.assignee_name or d.assigned_to or f"queue {d.queue}", "why": d.reason}
        for d in report.decisions[:8]
    ]
    if examples:
        emit_rows(examples, title="Examples (revframe route --explain ID for the whole path)")
    for note in report.notes:
        say(f"[dim]note: {note}[/dim]")


def _explain(store: Any, contact_id: str) -> None:
    cols = "decision_id, run_id, assigned_to, queue, team, rule_id, reason, rule_path, candidates, match, decided_at"
    rows = store.query(
        f"SELECT {cols} FROM routing_decisions WHERE contact_id = ? ORDER BY decided_at DESC LIMIT 1", [contact_id]
    )
    if not rows:
        raise UsageError(
            f"--explain {contact_id}: no routing decision for this person; route it with --id {contact_id}"
        )
    d = dict(zip([c.strip() for c in cols.split(",")], rows[0], strict=True))
    for key in ("rule_path", "candidates", "match"):
        d[key] = json.loads(d[key]) if isinstance(d[key], str) else d[key]
    if STATE.format is Format.json:
        emit_json(d)
        return
    say(f"{contact_id} -> {d['assigned_to'] or 'queue ' + str(d['queue'])} ({d['decided_at']:%Y-%m-%d %H:%M} UTC)")
    say(f"Why: {d['reason']}")
    path = [{"rule": s["rule"], "applied": "yes" if s["matched"] else "no", "why": s["why"]} for s in d["rule_path"]]
    emit_rows(path, title="Rules tried, in order")
    if d["candidates"]:
        emit_rows(
            [{"rep": c["name"], "open leads": c["open_leads"], "capacity": c["capacity"], "why": c["why"]}
             for c in d["candidates"]],
            title="Reps considered",
        )  # fmt: skip
    if d["match"]:
        say(f"Account match: {d['match']}")
