"""The ``revframe`` command line: one Typer app, one module per command group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.markup import escape

from revframe.cli._output import STATE, Format, err_console
from revframe.errors import RevframeError

app = typer.Typer(
    name="revframe",
    help="Run your revenue-operations framework as software: one spec, enforced and measured on your CRM data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Workspace folder (holds revframe.yaml).", file_okay=False)
    ] = Path("."),
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar="REVFRAME_STORE",
            help="Store URL: duckdb:///PATH, postgresql://USER@HOST/DB?schema=NAME, spark:///WAREHOUSE. "
            "Default: the workspace's DuckDB file.",
        ),
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="Output: table for people, json or csv for machines.")
    ] = Format.table,
) -> None:
    """Global options shared by every command."""
    STATE.workspace = str(workspace)
    STATE.store = store
    STATE.format = fmt


def _register() -> None:
    from revframe.cli import (  # noqa: F401 - commands register on import
        attribution,
        demo,
        ingest,
        lifecycle,
        metrics,
        quality,
        report,
        route,
        score,
        serve,
        sla,
        spec,
        status,
    )

    quality.register()


def main() -> None:
    """Console entry point: maps errors to exit codes (0 done, 1 run failed, 2 bad usage or input)."""
    _register()
    try:
        rv = app(standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except RevframeError as e:
        err_console.print(f"[red]error:[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except Exception as e:
        from revframe.framework import SpecError

        if type(e).__module__.split(".")[0] in ("duckdb", "_duckdb", "psycopg", "pyspark", "py4j"):
            err_console.print(
                f"[red]the store failed:[/red] {escape(str(e).strip().splitlines()[0])}\n"
                "Nothing was written: the command's transaction was rolled back.",
                highlight=False,
                soft_wrap=True,
            )
            sys.exit(1)
        if not isinstance(e, SpecError):
            raise
        err_console.print(f"[red]the framework spec has {len(e.problems)} problem(s):[/red]")
        for p in e.problems:
            err_console.print(escape(str(p)), highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted; the store is unchanged by the unfinished command")
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
