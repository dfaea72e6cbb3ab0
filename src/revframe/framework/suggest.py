"""Did-you-mean suggestions for misspelled keys, ids and values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, options: Iterable[str]) -> str | None:
    """Return the option closest to ``word`` (case-insensitive), or None when nothing is close.

    Args:
        word: what the user wrote.
        options: the valid spellings.

    Returns:
        The best match among ``options``, or None.
    """
    opts = [str(o) for o in options]
    by_lower = {o.lower(): o for o in opts}
    if word.lower() in by_lower:
        return by_lower[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def did_you_mean(word: object, options: Iterable[str]) -> str:
    """Return ``"did you mean 'x'? "`` when an option is close to ``word``, else ``""``."""
    if not isinstance(word, str):
        return ""
    best = closest(word, options)
    return f"did you mean '{best}'? " if best and best != word else ""


def one_of(options: Iterable[str], limit: int = 20) -> str:
    """Render options as ``a, b, c`` (sorted, shortened after ``limit``)."""
    opts = sorted({str(o) for o in options})
    if not opts:
        return "(none defined)"
    if len(opts) > limit:
        return ", ".join(opts[:limit]) + f", ... ({len(opts) - limit} more)"
    return ", ".join(opts)
