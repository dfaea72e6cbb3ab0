"""The workspace a command runs in, from the global options."""

from __future__ import annotations

from revframe.cli._output import STATE
from revframe.workspace import Workspace


def workspace() -> Workspace:
    return Workspace(STATE.workspace, STATE.store)
