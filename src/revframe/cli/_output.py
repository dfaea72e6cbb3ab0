"""Output for people (rich tables) and machines (JSON, CSV): one place, every command."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(emoji=False)  # data holds ids like crm:zzz: never turn them into emoji
err_console = Console(stderr=True, emoji=False)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@dataclass
class State:
    """Global options, set once by the app callback."""

    workspace: str = "."
    store: str | None = None
    format: Format = Format.table


STATE = State()


def _default(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    raise TypeError(f"not JSON serializable: {type(v).__name__}")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_default, indent=2, ensure_ascii=False) + "\n")


def emit_rows(rows: Sequence[dict[str, Any]], *, title: str | None = None, data: Any = None) -> None:
    """Print rows as a table, JSON (``data`` if given, else the rows) or CSV."""
    fmt = STATE.format
    if fmt is Format.json:
        emit_json(rows if data is None else data)
        return
    cols = list(rows[0].keys()) if rows else []
    if fmt is Format.csv:
        w = csv.DictWriter(sys.stdout, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: _default(v) if isinstance(v, datetime | date | Decimal) else v for k, v in r.items()})
        return
    t = Table(title=title, title_justify="left", header_style="bold")
    for c in cols:
        t.add_column(c, justify="right" if rows and isinstance(rows[0][c], int | float | Decimal) else "left")
    for r in rows:
        t.add_row(*("" if r[c] is None else f"{r[c]:,}" if isinstance(r[c], int) else str(r[c]) for c in cols))
    console.print(t)


def say(msg: str) -> None:
    """A message for people; silent in JSON/CSV mode so stdout stays machine-readable."""
    if STATE.format is Format.table:
        console.print(msg)
    else:
        err_console.print(msg)
