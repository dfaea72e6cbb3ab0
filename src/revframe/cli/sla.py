"""`revframe sla`: run the handoff SLA clocks, fire escalations, report compliance and response times."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.process.sla import run_sla

_COLS = ("clocks", "met", "breached", "open", "reassigned", "compliance_pct", "p50_hours", "p90_hours")


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}%"


def _hours(v: float | None) -> str:
    return "-" if v is None else f"{v:,.2f}"


def _row(first: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    return first | {
        "clocks": s["clocks"], "met": s["met"], "breached": s["breached"], "open": s["open"] + s["paused"],
        "reassigned": s["reassigned"], "compliance": _pct(s["compliance_pct"]), "p50 h": _hours(s["p50_hours"]),
        "p90 h": _hours(s["p90_hours"]),
    }  # fmt: skip


@app.command()
def sla(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Run as of this date (YYYY-MM-DD; default now).")] = None,
    handoff: Annotated[
        list[str] | None, typer.Option("--handoff", help="Only this handoff id (repeat for more; default all).")
    ] = None,
    no_deliver: Annotated[
        bool, typer.Option("--no-deliver", help="Record escalations but do not post them to the webhooks.")
    ] = False,
    reassign: Annotated[
        bool,
        typer.Option("--reassign", help="Route again the records whose owner left or that reached a reassign step."),
    ] = False,
) -> None:
    """Open, stop and pause handoff SLA clocks; fire the escalation ladder; report compliance.

    A clock opens at each handoff's trigger and stops at the first expected action after it (a
    genuine rep action: automated touches do not count), on the business hours of the spec's
    calendars. Each owner gets its own leg, so a breach is charged to the right team. See
    docs/process/sla.md.
    """
    ws = workspace()
    bound = None
    if reassign:
        from revframe.process.routing import reassign as route_again

        def bound(contact_id: str, exclude: str | None, reason: str, at: datetime) -> Any:
            return route_again(ws.store, ws.spec, contact_id, exclude, reason, at)

    report = run_sla(ws.store, ws.spec, as_of=as_of, handoffs=handoff or None, deliver=not no_deliver,
                     reassign=bound)  # fmt: skip
    if STATE.format is Format.json:
        emit_json(report.to_dict())
        return
    per = [_row({"handoff": hid}, s) for hid, s in report.handoffs.items()]
    if STATE.format is Format.csv:
        emit_rows(per)
        return
    say(f"SLA clocks as of {report.as_of:%Y-%m-%d %H:%M} UTC")
    emit_rows(per, title="Handoffs")
    emit_rows([_row({"team": r["team"]}, r) for r in report.by_team] or [{"team": "-", "clocks": 0}], title="By team")
    reps = [_row({"rep": r["name"] or r["owner_id"], "team": r["team"]}, r) for r in report.by_rep[:10]]
    emit_rows(reps or [{"rep": "-", "clocks": 0}], title="By rep (most breaches first, top 10)")
    quality = [
        {
            "handoff": hid,
            "records": q["records"],
            "complete": _pct(q["complete_pct"]),
            "most missing": ", ".join(f"{f} ({n})" for f, n in sorted(q["missing"].items(), key=lambda x: -x[1]) if n)[
                :90
            ]
            or "-",
        }  # fmt: skip
        for hid, q in report.quality.items()
    ]
    if quality:
        emit_rows(quality, title="Handoff quality (required fields present)")
    fired = [{"action": a, **{s: n for s, n in sorted(c.items())}} for a, c in report.escalations.items()]
    if fired:
        emit_rows([{"action": f["action"], "status": ", ".join(f"{k} {v:,}" for k, v in f.items() if k != "action")}
                   for f in fired], title="Escalations")  # fmt: skip
    if report.delivery:
        d = report.delivery
        say(f"Delivery: {d['sent']} sent, {d['failed']} failed (retried next run), {d['disabled']} disabled "
            f"(no webhook URL), {d['attempts']} attempt(s).")  # fmt: skip
    if report.rerouted:
        say(f"{report.rerouted} record(s) routed again; their next legs are open.")
    for note in report.notes:
        say(f"[dim]note: {note}[/dim]")
