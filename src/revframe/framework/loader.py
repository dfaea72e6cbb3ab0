"""Load ``revframe.yaml``: parse (keeping positions), validate, run semantic checks, report it all.

Every problem found is reported at once, each with file:line:column, the value found and a fix:

1. YAML is composed into a node tree (every node knows its line and column) and constructed into
   plain data; a syntax error stops here with one Problem.
2. pydantic validates the data against :class:`~revframe.framework.models.Spec`; each error's
   ``loc`` is followed through the node tree to its line:column (``errors.py``, ``yamlpos.py``).
3. Semantic checks (``checks.py``) run on every section that validated, even when others did not.
"""

from __future__ import annotations

import importlib.resources
import re
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import Node

from revframe.framework.check_base import Context, Issue
from revframe.framework.checks import run_checks
from revframe.framework.errors import problems_from_validation
from revframe.framework.models import Spec
from revframe.framework.problems import Problem, SpecError
from revframe.framework.yamlpos import Locator, show_value

TEMPLATE = "templates/revframe.yaml"
_KINDS = {"list": "list", "str": "text", "int": "number", "float": "number", "bool": "boolean"}


def default_spec_text() -> str:
    """Return the default framework spec (the commented template ``revframe init`` writes)."""
    return importlib.resources.files("revframe.framework").joinpath(TEMPLATE).read_text(encoding="utf-8")


def load_spec(path: Path) -> Spec:
    """Load and check a spec file.

    Args:
        path: the ``revframe.yaml`` to read.

    Returns:
        The validated spec.

    Raises:
        SpecError: with every problem found (syntax, types, meaning), each with file:line:column.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(
            [Problem(name, 0, 0, "file not found", None, "run `revframe init` to write the default framework")]
        ) from None
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Problem(name, 0, 0, f"not UTF-8 text ({exc.reason})", None, "save the file as UTF-8")]
        ) from None
    except OSError as exc:
        raise SpecError(
            [Problem(name, 0, 0, f"cannot read the file: {exc.strerror}", None, "check the path and its permissions")]
        ) from None
    return load_spec_text(text, filename=name)


def load_spec_text(text: str, filename: str = "revframe.yaml") -> Spec:
    """Load and check a spec from text.

    Args:
        text: the YAML text.
        filename: the name to report in problems.

    Returns:
        The validated spec.

    Raises:
        SpecError: with every problem found, in file order.
    """
    node, data = _parse(text, filename)
    if node is None or not isinstance(data, dict):
        kind = "empty" if node is None else f"a {_KINDS.get(type(data).__name__, 'value')}, not a mapping of sections"
        problem = Problem(
            filename,
            1,
            1,
            f"the spec is {kind}",
            None,
            "start from the default: `revframe init` writes a complete revframe.yaml",
        )
        raise SpecError([problem])
    locator = Locator(node)
    problems: list[Problem] = []
    try:
        spec = Spec.model_validate(data)
        valid = set(data) | {_key(name) for name in Spec.model_fields}
    except ValidationError as exc:
        problems += problems_from_validation(exc, Spec, locator, filename)
        spec, valid = _partial(data)
    ctx = Context(line=lambda p: locator.find(p).line)
    problems += [_issue_problem(issue, locator, filename) for issue in run_checks(spec, valid, ctx)]
    if problems:
        raise SpecError(problems)
    return spec


def _parse(text: str, filename: str) -> tuple[Node | None, Any]:
    """Compose the YAML (positions) and construct it (data); a syntax error becomes a Problem."""
    yaml = YAML(typ="safe", pure=False)  # libyaml when ruamel.yaml.clib is installed
    try:
        node = yaml.compose(text)
        data = None if node is None else yaml.constructor.construct_document(node)
    except MarkedYAMLError as exc:
        what = " ".join((exc.problem or exc.context or "invalid YAML").split())
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and exc.context_mark is not None and mark.line >= text.count("\n"):
            mark = exc.context_mark  # an unclosed bracket or quote: point where it opens, not at the end
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        duplicate = re.match(r'found duplicate key "([^"]*)"', what)
        if duplicate:
            what = f"duplicate key '{duplicate.group(1)}'"
        if exc.context and exc.context_mark is not None and exc.problem:
            start = exc.context_mark
            what += f" ({exc.context} that starts at line {start.line + 1}, column {start.column + 1})"
        lines = text.splitlines()
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        hint = _syntax_hint(what + (" tab" if "\t" in source[: len(source) - len(source.lstrip())] else ""))
        problem = Problem(filename, line, col, f"YAML syntax error: {what}", None, hint)
        raise SpecError([problem]) from None
    except YAMLError as exc:
        raise SpecError([Problem(filename, 0, 0, f"YAML syntax error: {exc}", None, _syntax_hint(str(exc)))]) from None
    return node, data


def _syntax_hint(what: str) -> str:
    if "tab" in what or "\t" in what:
        return "indent with spaces, not tabs"
    if "duplicate key" in what:
        return "each key may appear once per mapping: merge the two entries or rename one"
    if "flow sequence" in what or "']'" in what:
        return "close the list with ] (or write it as '- item' lines)"
    if "flow mapping" in what or "'}'" in what:
        return "close the mapping with } (or write it as 'key: value' lines)"
    if "mapping values are not allowed" in what:
        return "quote values that contain ': ' (e.g. description: 'Stage: Demo'), or fix the indentation"
    if "found character that cannot start any token" in what:
        return "quote values that start with @, ` or %, and indent with spaces"
    if any(m in what for m in ("could not find expected ':'", "expected <block end>", "expected key", "'-' indicator")):
        return "check the indentation: keys of one mapping line up, list items start with '- '"
    if "quoted scalar" in what:
        return "close the quote"
    return "check indentation (spaces only), colons after keys, and matching quotes and brackets"


def _key(name: str) -> str:
    field = Spec.model_fields[name]
    return field.alias or name


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    annotation: Any = Spec.model_fields[name].annotation
    return TypeAdapter(annotation)


def _partial(data: dict[Any, Any]) -> tuple[Spec, set[str]]:
    """Validate each section on its own so checks can run on the sections that are fine."""
    values: dict[str, Any] = {}
    valid: set[str] = set()
    for name, field in Spec.model_fields.items():
        key = _key(name)
        if key in data:
            try:
                values[name] = _adapter(name).validate_python(data[key])
                valid.add(key)
            except ValidationError:
                values[name] = None
        elif not field.is_required():
            values[name] = field.get_default(call_default_factory=True)
            valid.add(key)
        else:
            values[name] = None
    return Spec.model_construct(**values), valid


def _issue_problem(issue: Issue, locator: Locator, filename: str) -> Problem:
    pos = locator.find(issue.path, key=issue.key)
    value = None if issue.value is None else show_value(issue.value)
    return Problem(filename, pos.line, pos.column, f"{pos.path}: {issue.message}", value, issue.hint)
