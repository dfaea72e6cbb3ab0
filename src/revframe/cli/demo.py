"""`revframe demo`: generate a company, ingest it, run every engine, write a report."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, console, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.cli.ingest import progress_bar
from revframe.errors import UsageError


@app.command()
def demo(
    scale: Annotated[str, typer.Option(help="small (~10k contacts, seconds), medium (~200k), large (~1M).")] = "small",
    seed: Annotated[int, typer.Option(help="Same scale and seed, same company, byte for byte.")] = 7,
) -> None:
    """Generate a demo B2B SaaS company as CRM exports, ingest them, and write a report."""
    from revframe.demo import SCALES
    from revframe.demo.run import run_demo
    from revframe.workspace import Workspace

    if scale not in SCALES:
        raise UsageError(f"--scale {scale}: use one of {', '.join(SCALES)}")
    ws = workspace()
    if not ws.spec_path.exists():
        ws = Workspace.init(ws.root, STATE.store)
        say(f"Created workspace {ws.root} with the default framework")
    started = time.perf_counter()
    with progress_bar() as bar:
        result = run_demo(ws, scale, seed, bar)
    result["seconds"] = round(time.perf_counter() - started, 1)
    if STATE.format is Format.json:
        emit_json(result)
        return
    console.print(f"[bold]Demo company[/bold] {result['company']} ({scale}, seed {seed}) in {ws.root}")
    emit_rows(result["ingests"], title="Ingested exports")
    emit_rows(result["tables"], title="Canonical store")
    emit_rows(result["quarantine"] or [{"object": "-", "reason": "nothing quarantined", "rows": 0}], title="Quarantine")
    emit_rows(result["planted_defects"], title="Planted defects (ground truth for the quality engines)")
    read, loaded, quarantined = (sum(r[k] for r in result["ingests"]) for k in ("read", "loaded", "quarantined"))
    say(f"rows read {read:,} = loaded {loaded:,} + quarantined {quarantined:,}; took {result['seconds']} s")
    say(f"Report: {result['report']}\nCharter: {result['charter']}")
    say(f"Next: `revframe -w {ws.root} status`, or open the report in a browser.")
