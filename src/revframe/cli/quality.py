"""`revframe quality ...`: the data pillar's commands (scan, dedupe, merge, unmerge, match).

Each command lives in its own module (``quality_scan``, ``quality_dedupe``, ``quality_merge``,
``quality_match``) and registers on ``quality_app`` when imported.
"""

from __future__ import annotations

from enum import StrEnum

import typer

from revframe.cli import app

quality_app = typer.Typer(
    help="Data quality: scan the spec's rules, find and merge duplicates (reversibly), match leads to accounts.",
    no_args_is_help=True,
)
app.add_typer(quality_app, name="quality")


class RecordObject(StrEnum):
    """The objects duplicates are found and merged in: people (leads and contacts) and companies."""

    contacts = "contacts"
    accounts = "accounts"


def register() -> None:
    from revframe.cli import quality_dedupe, quality_match, quality_merge, quality_scan  # noqa: F401
