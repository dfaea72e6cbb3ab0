"""Turn pydantic validation errors into Problems: position from the error's ``loc``, value, and a fix."""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from revframe.framework.base import ID_PATTERN
from revframe.framework.problems import Problem
from revframe.framework.rules import CONDITION_HELP, CONDITION_KEYS
from revframe.framework.suggest import did_you_mean, one_of
from revframe.framework.yamlpos import Locator, show_value

_TYPE_HINTS = {
    "int_parsing": "write a whole number without quotes, e.g. 4",
    "int_type": "write a whole number without quotes, e.g. 4",
    "int_from_float": "write a whole number, e.g. 4",
    "float_parsing": "write a number without quotes, e.g. 4 or 0.5",
    "float_type": "write a number without quotes, e.g. 4 or 0.5",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "string_type": "write text; quote values YAML reads as numbers, dates or booleans, e.g. '2026'",
    "list_type": "write a list: one '- item' per line, or [a, b]",
    "dict_type": "write a mapping: 'key: value' lines indented under this key",
    "model_type": "write a mapping: 'key: value' lines indented under this key",
    "model_attributes_type": "write a mapping: 'key: value' lines indented under this key",
    "date_parsing": "write a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "write a date as YYYY-MM-DD",
    "date_type": "write a date as YYYY-MM-DD",
    "too_short": "give at least {min_length} item(s)",
    "too_long": "give at most {max_length} item(s)",
    "string_too_short": "write at least {min_length} character(s)",
    "string_too_long": "shorten it to at most {max_length} characters",
    "greater_than": "use a number greater than {gt}",
    "greater_than_equal": "use a number of at least {ge}",
    "less_than": "use a number less than {lt}",
    "less_than_equal": "use a number of at most {le}",
    "condition_kind": CONDITION_HELP,
    "union_tag_not_found": CONDITION_HELP,
    "union_tag_invalid": CONDITION_HELP,
}


def problems_from_validation(
    exc: ValidationError, root_type: type[BaseModel], locator: Locator, filename: str
) -> list[Problem]:
    """Map every error of ``exc`` to a Problem located in the YAML text.

    Args:
        exc: the error pydantic raised while validating the whole document as ``root_type``.
        root_type: the model validated (used to list allowed keys and values in hints).
        locator: positions of the YAML document that was validated.
        filename: the spec file name to report.
    """
    return [_problem(err, root_type, locator, filename) for err in exc.errors()]


def _problem(err: ErrorDetails, root_type: type[BaseModel], locator: Locator, filename: str) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "extra_forbidden":
        pos = locator.find(loc, key=True)
        name = str(loc[-1])
        allowed = _allowed_keys(root_type, loc[:-1])
        hint = f"{did_you_mean(name, allowed)}allowed keys here: {one_of(allowed, limit=40)}"
        return Problem(filename, pos.line, pos.column, f"{pos.path}: unknown key '{name}'", None, hint)
    pos = locator.find(loc)
    if kind == "missing":
        name = str(loc[-1])
        options = _literal_options(_annotation_at(root_type, loc))
        choice = f" (one of: {', '.join(options)})" if options else ""
        if len([el for el in loc if not str(el).startswith("<")]) == 1:
            message = f"missing required section '{name}'"
            hint = f"add a '{name}:' section; `revframe init` writes a complete example"
        else:
            message = f"{pos.path}: missing required key '{name}'"
            hint = f"add '{name}:'{choice} under {pos.path}"
        return Problem(filename, pos.line, pos.column, message, None, hint)
    shown = show_value(value)
    if kind == "revframe":
        return Problem(filename, pos.line, pos.column, f"{pos.path}: {err['msg']}", shown, str(ctx.get("hint", "")))
    if kind == "literal_error":
        options = _literal_options(_annotation_at(root_type, loc)) or re.findall(
            r"'([^']*)'", str(ctx.get("expected", ""))
        )
        hint = f"{did_you_mean(value, options)}use one of: {', '.join(options)}"
        return Problem(filename, pos.line, pos.column, f"{pos.path}: not an allowed value", shown, hint)
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        fixed = re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_")
        fixed = fixed if re.match(ID_PATTERN, fixed) else f"x_{fixed}" if fixed else "my_id"
        hint = f"write '{fixed}' (ids are snake_case: lower-case letters, digits and _, starting with a letter)"
        return Problem(filename, pos.line, pos.column, f"{pos.path}: not a snake_case id", shown, hint)
    if kind in ("condition_kind", "union_tag_not_found") and isinstance(value, dict):
        keys = [str(k) for k in value]
        guess = next((did_you_mean(k, CONDITION_KEYS) for k in keys if did_you_mean(k, CONDITION_KEYS)), "")
        message = f"{pos.path}: not a condition (keys found: {', '.join(keys) or 'none'})"
        return Problem(filename, pos.line, pos.column, message, None, guess + CONDITION_HELP)
    message = err["msg"].replace("Input should be", "should be")
    template = _TYPE_HINTS.get(kind, "see docs/framework.md for what this key takes")
    try:
        hint = template.format(**ctx)
    except (KeyError, IndexError):
        hint = template
    return Problem(filename, pos.line, pos.column, f"{pos.path}: {message}", shown, hint)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional; keep tagged unions (their members are told apart by Tag)."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
            elif any(_tag(m) for m in members):
                return tp
            else:
                return None
        else:
            return tp


def _tag(tp: Any) -> str | None:
    if get_origin(tp) is Annotated:
        for meta in get_args(tp)[1:]:
            if isinstance(meta, Tag):
                return meta.tag
    return None


def _annotation_at(root: Any, loc: tuple[Any, ...]) -> Any:
    """The type annotation a pydantic ``loc`` points at, or None when it cannot be followed."""
    tp: Any = root
    for el in loc:
        tp = _unwrap(tp)
        if tp is None:
            return None
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if (f.alias or n) == el), None)
            if field is None:
                return None
            tp = field.annotation
        elif origin is list:
            tp = get_args(tp)[0]
        elif origin is dict:
            if el == "[key]":
                return get_args(tp)[0]
            tp = get_args(tp)[1]
        elif origin in (Union, types.UnionType):
            tp = next((m for m in get_args(tp) if _tag(m) == el), None)
        else:
            return None
    return tp


def _allowed_keys(root: Any, loc: tuple[Any, ...]) -> list[str]:
    model = _unwrap(_annotation_at(root, loc))
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or n for n, f in model.model_fields.items()]
    return []


def _literal_options(tp: Any) -> list[str]:
    tp = _unwrap(tp)
    if get_origin(tp) is Literal:
        return [str(a) for a in get_args(tp)]
    return []
