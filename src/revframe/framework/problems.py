"""What ``load_spec`` reports: a :class:`Problem` per mistake, all raised together in a :class:`SpecError`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in the spec, with where it is, what was found and how to fix it.

    Attributes:
        file: the spec file name as given to the loader.
        line: 1-based line of the offending YAML node (0 when the problem has no position).
        column: 1-based column of the offending YAML node (0 when the problem has no position).
        message: what is wrong, starting with the path of the offending key.
        value: the offending value as written, or None when nothing was written.
        hint: what to write instead.
    """

    file: str
    line: int
    column: int
    message: str
    value: str | None = None
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (got: {self.value})"
        if self.hint:
            text += f". Fix: {self.hint}"
        return text


class SpecError(Exception):
    """The spec could not be loaded; ``problems`` lists every mistake found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.message))
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
