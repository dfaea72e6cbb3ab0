"""`revframe status`: what is in the store, the last ingests, quarantine counts."""

from __future__ import annotations

from revframe.cli import app
from revframe.cli._output import STATE, Format, console, emit_json, emit_rows
from revframe.cli._ws import workspace


@app.command()
def status() -> None:
    """Show each table's row count, the last ingests, and quarantine counts by reason."""
    ws = workspace()
    data = ws.status()
    if STATE.format is Format.json:
        emit_json(data)
        return
    if STATE.format is Format.csv:
        emit_rows(data["tables"])
        return
    console.print(f"workspace {data['workspace']}\nstore     {data['store']} (schema v{data['schema_version']})")
    emit_rows(data["tables"], title="Tables")
    if data["last_ingests"]:
        runs = [
            {
                "run": r["run_id"],
                "started": (r["started_at"] or "")[:19].replace("T", " "),
                "mapping": r["mapping"],
                "read": r["rows_read"],
                "loaded": r["rows_loaded"],
                "quarantined": r["rows_quarantined"],
            }
            for r in data["last_ingests"]
        ]
        emit_rows(runs, title="Last ingests")
    emit_rows(data["quarantine"] or [{"object": "-", "reason": "nothing quarantined", "rows": 0}], title="Quarantine")
