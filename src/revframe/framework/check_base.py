"""The machinery semantic checks share: the Issue a check yields, registration, and reference helpers.

A check is a function ``(spec, ctx) -> Iterable[Issue]`` registered with the sections it reads;
the loader runs it only when those sections validated, so a typo in one section never hides the
problems of another, and never causes false alarms in checks that read it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from revframe.framework.suggest import did_you_mean, one_of
from revframe.framework.yamlpos import Path

if TYPE_CHECKING:
    from revframe.framework.models import Spec


@dataclass(frozen=True)
class Issue:
    """A semantic problem at ``path`` (``key=True``: at the key itself, e.g. a misspelled field name)."""

    path: Path
    message: str
    value: Any = None
    hint: str = ""
    key: bool = False


@dataclass(frozen=True)
class Context:
    """What checks may ask the loader: the 1-based line of a path (for "first defined on line N")."""

    line: Callable[[Path], int]


CheckFn = Callable[["Spec", Context], Iterable[Issue]]


@dataclass(frozen=True)
class Check:
    """A registered check and the top-level sections (YAML keys) it reads."""

    needs: tuple[str, ...]
    fn: CheckFn


class CheckList(list[Check]):
    """A module's checks; ``@CHECKS.needs("lifecycle", "people")`` registers a function."""

    def needs(self, *sections: str) -> Callable[[CheckFn], CheckFn]:
        """Register the decorated check as reading ``sections``."""

        def register(fn: CheckFn) -> CheckFn:
            self.append(Check(tuple(sections), fn))
            return fn

        return register


def unknown(
    value: str | None, known: Collection[str], path: Path, what: str, defined_in: str, *, key: bool = False
) -> Iterator[Issue]:
    """Yield an Issue when ``value`` is set and not among ``known``.

    Args:
        value: the reference as written (None: nothing to check).
        known: the ids it may name.
        path: where the reference is.
        what: what kind of thing it names, e.g. "role".
        defined_in: where those things are defined, e.g. "people.roles".
        key: the reference is a mapping key.
    """
    if value is None or value in known:
        return
    hint = f"{did_you_mean(value, known)}use a {what} defined under {defined_in}: {one_of(known)}"
    yield Issue(path, f"unknown {what} '{value}'", value, hint, key)


def unknown_all(
    values: Iterable[str], known: Collection[str], path: Path, what: str, defined_in: str
) -> Iterator[Issue]:
    """Yield an Issue for each item of a list of references that is not among ``known``."""
    for i, value in enumerate(values):
        yield from unknown(value, known, (*path, i), what, defined_in)


def duplicates(
    ids: Iterable[str], path: Path, what: str, ctx: Context, *, attr: str = "id", fold: bool = False
) -> Iterator[Issue]:
    """Yield an Issue for every id that repeats an earlier one in the same list.

    Args:
        ids: the ids in list order.
        path: the list's path; item ``i`` is at ``(*path, i, attr)``.
        what: what the ids name, e.g. "stage".
        ctx: gives the line of the first occurrence.
        attr: the key that holds the id in each item (None: the items are the ids).
        fold: compare case-insensitively (dictionary terms).
    """
    seen: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        norm = item_id.casefold() if fold else item_id
        at = (*path, i, attr) if attr else (*path, i)
        if norm in seen:
            first = (*path, seen[norm], attr) if attr else (*path, seen[norm])
            yield Issue(
                at,
                f"duplicate {what} '{item_id}' (first defined on line {ctx.line(first)})",
                item_id,
                f"give each {what} a unique {attr or 'value'}, or remove one of the two",
            )
        else:
            seen[norm] = i
