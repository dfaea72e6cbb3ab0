"""Helpers for framework tests: the default spec text, text mutations, and the problems they cause."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from revframe.framework import Problem, SpecError, default_spec_text, load_spec_text


def _mutate(text: str, old: str, new: str, after: str | None = None) -> str:
    """Replace ``old`` by ``new``: the only occurrence, or the first one after the marker ``after``."""
    if after is None:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the spec"
        start = 0
    else:
        assert text.count(after) == 1, f"marker {after!r} occurs {text.count(after)} times"
        start = text.index(after)
    i = text.index(old, start)
    return text[:i] + new + text[i + len(old) :]


def _line_of(text: str, needle: str, after: str | None = None) -> int:
    """1-based line where ``needle`` starts (the only one, or the first after ``after``)."""
    if after is None:
        assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times"
        i = text.index(needle)
    else:
        i = text.index(needle, text.index(after))
    return text.count("\n", 0, i) + 1


def _problems_of(text: str) -> list[Problem]:
    """The problems loading ``text`` reports (fails the test when it loads cleanly)."""
    with pytest.raises(SpecError) as info:
        load_spec_text(text)
    assert info.value.problems, "SpecError without problems"
    return info.value.problems


@pytest.fixture(scope="session")
def base() -> str:
    """The default spec text."""
    return default_spec_text()


@pytest.fixture(scope="session")
def mutate() -> Callable[..., str]:
    return _mutate


@pytest.fixture(scope="session")
def line_of() -> Callable[..., int]:
    return _line_of


@pytest.fixture(scope="session")
def problems_of() -> Callable[[str], list[Problem]]:
    return _problems_of


def at(problems: list[Problem], line: int, *words: str) -> Problem:
    """The problem on ``line`` whose message and value mention every word (assertion error otherwise)."""
    for p in problems:
        text = f"{p.message} {p.value}"
        if p.line == line and all(w in text for w in words):
            return p
    listing = "\n".join(str(p) for p in problems)
    raise AssertionError(f"no problem on line {line} mentioning {words}; got:\n{listing}")


@pytest.fixture(scope="session")
def find() -> Callable[..., Problem]:
    return at
