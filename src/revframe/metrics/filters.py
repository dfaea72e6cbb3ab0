"""A metric's ``filters`` from the spec as SQL on its grain's rows (literals inlined: --explain reads whole).

Text compares as everywhere in revframe (:mod:`revframe.process.criteria`): case, spaces and hyphens
are ignored, so ``New Business``, ``new-business`` and ``new_business`` are one value.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from revframe.errors import UsageError
from revframe.framework.rules import AllOf, AnyOf, Condition, FieldCondition, NotOf
from revframe.process.criteria import field_predicate, lit


def literal(v: Any) -> str:
    """A Python value as a SQL literal (DuckDB dialect)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, datetime):
        return f"CAST({lit(v.isoformat())} AS TIMESTAMPTZ)"
    if isinstance(v, date):
        return f"DATE {lit(v.isoformat())}"
    return lit(str(v))


def filter_sql(metric_id: str, grain: str, conditions: list[Condition], alias: str) -> str:
    """``TRUE`` when there are no filters, else the conditions ANDed, on ``alias`` (a row of ``grain``)."""
    return " AND ".join(_cond(metric_id, grain, c, alias) for c in conditions) or "TRUE"


def _cond(metric_id: str, grain: str, c: Condition, alias: str) -> str:
    if isinstance(c, AllOf):
        return "(" + " AND ".join(_cond(metric_id, grain, x, alias) for x in c.all) + ")"
    if isinstance(c, AnyOf):
        return "(" + " OR ".join(_cond(metric_id, grain, x, alias) for x in c.any) + ")"
    if isinstance(c, NotOf):
        return f"NOT COALESCE({_cond(metric_id, grain, c.not_, alias)}, FALSE)"
    if not isinstance(c, FieldCondition):
        raise UsageError(
            f"metric '{metric_id}': filters can only test fields of its grain ({grain}), not {type(c).__name__}"
        )
    obj, _, col = str(c.field).partition(".")
    if obj != grain:
        raise UsageError(
            f"metric '{metric_id}': filter field {c.field} is not a field of its grain '{grain}'; "
            f"filter on {grain}.<field> (see `revframe framework doc` for the fields)"
        )
    return "(" + _predicate(c, f"{alias}.{col}") + ")"


def _predicate(c: FieldCondition, col: str) -> str:
    return field_predicate(c, col, literal, lit, empty_is_false=True)
