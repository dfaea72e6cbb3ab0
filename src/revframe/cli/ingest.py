"""`revframe ingest`: load export files with validation, normalization and quarantine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_rows, err_console, say
from revframe.cli._ws import workspace
from revframe.ingest.load import IngestSummary


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def print_summary(summary: IngestSummary) -> None:
    rows = [f.row(Path(f.file).name) for f in summary.files]
    emit_rows(rows, title=f"Ingest {summary.run_id} ({summary.mapping})", data=summary.to_dict())
    if STATE.format is Format.table:
        say(
            f"rows read {summary.read:,} = loaded {summary.loaded:,} + quarantined {summary.quarantined:,}"
            + ("  (see `revframe status` for the reasons)" if summary.quarantined else "")
        )
        away = summary.to_dict()["rows_merged_away"]
        if away:
            say(
                f"{away:,} loaded rows are records merged away (their ids are aliases): the merges stand; "
                "see `revframe quality merges`"
            )


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="CSV, Parquet or JSON-lines export files.")],
    mapping: Annotated[str, typer.Option("--mapping", "-m", help="hubspot, salesforce, or a mapping YAML file.")],
    object_name: Annotated[
        str | None, typer.Option("--object", help="Source object or canonical table (e.g. Contact, contacts).")
    ] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default ',' ; tab for .tsv).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding (default UTF-8, BOM or not).")] = None,
    date_format: Annotated[str | None, typer.Option(help="strptime format for non-ISO dates, e.g. %d/%m/%Y.")] = None,
) -> None:
    """Ingest exports: map, validate, normalize, quarantine bad rows, upsert the rest (one transaction)."""
    ws = workspace()
    with progress_bar() as bar:
        tasks: dict[Path, TaskID] = {}

        def on_progress(path: Path, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(path.name, total=total)
            bar.update(tasks[path], completed=done)

        summary = ws.ingest(
            paths,
            mapping,
            object_name=object_name,
            delimiter=delimiter,
            encoding=encoding,
            date_format=date_format,
            progress=on_progress,
        )
    print_summary(summary)
