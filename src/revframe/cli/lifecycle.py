"""`revframe lifecycle`: evaluate every person's and account's stage and record the changes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.process.lifecycle import evaluate_lifecycle


class LifecycleObject(StrEnum):
    """The objects that have a lifecycle stage."""

    contacts = "contacts"
    accounts = "accounts"


@app.command()
def lifecycle(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as of this date (YYYY-MM-DD; default now).")
    ] = None,
    obj: Annotated[
        LifecycleObject | None,
        typer.Option("--object", help="Only people (contacts) or only accounts (default both, people first)."),
    ] = None,
) -> None:
    """Evaluate every stage from the spec's entry criteria; record transitions; forbidden ones become issues.

    Changes go to lifecycle_events (entry, forward, backward, skipped, forbidden); forbidden moves
    are also quality issues (rule lifecycle_transition). Score criteria wait for `revframe score`:
    until then they are never met. See docs/process.md.
    """
    ws = workspace()
    report = evaluate_lifecycle(ws.store, ws.spec, objects=[obj.value] if obj else None, as_of=as_of)
    if STATE.format is Format.json:
        emit_json(report.to_dict())
        return
    stages = [{"object": o, "stage": s, "records": n} for o, counts in report.stages.items() for s, n in counts.items()]
    moves = [{"object": o, "kind": k, "rows": n} for o, counts in report.transitions.items() for k, n in counts.items()]
    if STATE.format is Format.csv:
        emit_rows(stages)
        return
    say(f"Lifecycle run {report.run_id} as of {report.as_of:%Y-%m-%d %H:%M} UTC")
    emit_rows(stages or [{"object": "-", "stage": "no records", "records": 0}], title="Stages")
    emit_rows(moves or [{"object": "-", "kind": "nothing changed", "rows": 0}], title="Transitions recorded")
    if report.issues:
        say(
            f"{report.issues:,} forbidden move(s) written as quality issues "
            "(`revframe quality issues --scan lifecycle`)."
        )
    for note in report.notes:
        say(f"[dim]note: {note}[/dim]")
