"""Errors that map to the CLI's exit codes: 2 for bad usage or input, 1 for a failed run."""

from __future__ import annotations


class RevframeError(Exception):
    """A run failed (exit code 1). The message says what happened and what to do."""

    exit_code = 1


class UsageError(RevframeError):
    """Bad usage or bad input (exit code 2): the message names the file, row or field and the fix."""

    exit_code = 2
