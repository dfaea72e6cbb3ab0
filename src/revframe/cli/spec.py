"""Commands on the framework spec: init, validate, framework doc."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_json, say
from revframe.cli._ws import workspace
from revframe.workspace import Workspace

framework_app = typer.Typer(help="Work with the framework spec: render it as a charter.", no_args_is_help=True)
app.add_typer(framework_app, name="framework")


@app.command()
def init(
    directory: Annotated[Path | None, typer.Argument(help="Folder to create (default: the workspace).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing revframe.yaml.")] = False,
) -> None:
    """Write a workspace with the default framework (the guides' B2B SaaS framework)."""
    ws = Workspace.init(directory or Path(STATE.workspace), STATE.store, force=force)
    if STATE.format is Format.json:
        emit_json({"workspace": str(ws.root), "spec": str(ws.spec_path), "store": ws.store_url})
        return
    say(f"Wrote {ws.spec_path}\nNext: read and edit it, then `revframe -w {ws.root} validate`.")


@app.command()
def validate() -> None:
    """Check the spec: every problem with file:line:column, the value, and what to write instead."""
    ws = workspace()
    spec = ws.spec  # raises SpecError → exit 2 with every problem listed
    if STATE.format is Format.json:
        emit_json({"spec": str(ws.spec_path), "valid": True, "version": spec.version, "problems": []})
        return
    say(f"{ws.spec_path}: valid (framework version {spec.version})")


@framework_app.command("doc")
def framework_doc(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: reports/charter.md and .html).")
    ] = None,
    fmt: Annotated[str, typer.Option("--as", help="md, html, or both.")] = "both",
) -> None:
    """Render the spec as a readable charter: the one-page charter and the definitions dictionary."""
    from revframe.errors import UsageError
    from revframe.framework import render_charter

    ws = workspace()
    spec = ws.spec  # before anything is written: no spec, no reports folder
    if fmt not in ("md", "html", "both"):
        raise UsageError(f"--as {fmt}: write md, html or both")
    kinds = ["md", "html"] if fmt == "both" else [fmt]
    written = []
    for k in kinds:
        target = out if out and len(kinds) == 1 else (out or ws.root / "reports" / "charter").with_suffix(f".{k}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_charter(spec, k), encoding="utf-8")
        written.append(str(target))
    if STATE.format is Format.json:
        emit_json({"written": written, "version": spec.version})
        return
    say("Wrote " + ", ".join(written))
