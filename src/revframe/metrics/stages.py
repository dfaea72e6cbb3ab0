"""The pipeline stage metrics: stage conversion and time in stage, read from ``opportunity_stage_history``.

CRM stage names match the spec's stages by id or name on letters and digits only (:func:`stage_key`).
Registered in :data:`revframe.metrics.builtins.BUILTINS` when that module is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revframe.metrics.builtins import OPP, builtin
from revframe.metrics.filters import literal
from revframe.metrics.sql import Ctx, days_between, share

if TYPE_CHECKING:
    from revframe.framework.metrics import Metric


def stage_key(text: str) -> str:
    """A stage name as compared: letters and digits only, lower case (``Solution / Demo`` = ``solution demo``)."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _stage_order(c: Ctx, key: str) -> str:
    """SQL: the spec's order of the stage whose :func:`stage_key` is in ``key``, NULL when unknown."""
    cases = []
    for st in c.spec.pipeline.stages:
        for k in sorted({stage_key(st.id), stage_key(st.name)}):
            cases.append(f"WHEN {literal(k)} THEN {st.order}")
    return f"CASE {key} " + " ".join(cases) + " END"


def _stage_rows(c: Ctx, m: Metric) -> str:
    """The stage history rows passing the metric's filters, each with its stage's order in the pipeline."""
    key = "regexp_replace(lower(CAST(h.stage AS VARCHAR)), '[^a-z0-9]', '', 'g')"
    return (
        f"SELECT h.id, h.opportunity_id, h.changed_at, {_stage_order(c, 'h.k')} AS ord "
        f"FROM (SELECT h.*, {key} AS k FROM opportunity_stage_history AS h WHERE {c.filters(m, 'h')}) AS h"
    )


def _stage_names(c: Ctx) -> str:
    cases = " ".join(f"WHEN {st.order} THEN {literal(st.id)}" for st in c.spec.pipeline.stages)
    return f"CASE b.ord {cases} END"


def _open_orders(c: Ctx) -> str:
    return ", ".join(str(st.order) for st in c.spec.pipeline.stages if not st.is_closed) or "NULL"


def _with_opportunity(c: Ctx, rows: str) -> str:
    """``rows`` (one per opportunity and stage) with the opportunity's dimensions."""
    country, join = c.account_country("o.account_id")
    return (
        f"SELECT e.*, o.account_id, o.owner_id, o.lead_source, o.type, {country} AS country FROM ({rows}) AS e "
        f"JOIN opportunities AS o ON o.id = e.opportunity_id {join}"
    )


@builtin("stage_conversion")
def stage_conversion(c: Ctx, m: Metric) -> str:
    """For each open stage: of the opportunities entering it in the period, the share that reached a later
    stage other than a lost one (skipped stages count as passed). An opportunity enters a stage when it
    first reaches it; it moved on when it entered a later stage at that time or after."""
    lost = [st.order for st in c.spec.pipeline.stages if st.is_closed and not st.is_won]
    won_or_open = f"NOT IN ({', '.join(str(o) for o in lost)})" if lost else "IS NOT NULL"
    # per opportunity and stage: its first and last entry
    entries = (
        "stage_entries AS (SELECT opportunity_id, ord, min(changed_at) AS first_at, max(changed_at) AS last_at "
        f"FROM ({_stage_rows(c, m)}) AS r WHERE ord IS NOT NULL GROUP BY opportunity_id, ord)"
    )
    moved = (
        "SELECT e.opportunity_id, e.ord, e.first_at AS t, max(CASE WHEN n.opportunity_id IS NULL THEN 0 ELSE 1 END) "
        "AS moved FROM stage_entries AS e LEFT JOIN stage_entries AS n ON n.opportunity_id = e.opportunity_id "
        f"AND n.ord > e.ord AND n.ord {won_or_open} AND n.last_at >= e.first_at "
        f"WHERE e.ord IN ({_open_orders(c)}) AND {c.within('e.first_at')} GROUP BY e.opportunity_id, e.ord, e.first_at"
    )
    return c.aggregate(m, _with_opportunity(c, moved), {"value": share("sum(b.moved)", "count(*)"),
                       "numerator": "sum(b.moved)", "denominator": "count(*)"}, has=OPP - {"stage"},
                       own={"stage": _stage_names(c)}, ctes=[entries])  # fmt: skip


@builtin("time_in_stage")
def time_in_stage(c: Ctx, m: Metric) -> str:
    """Median days in each open stage, of the stays that ended in the period (the opportunity moved on).

    A stay runs from a history row entering the stage to the next row naming another stage: rows
    that repeat the stage (an amount or date changed) continue the stay.
    """
    ordered = "OVER (PARTITION BY r.opportunity_id ORDER BY r.changed_at, r.id)"
    changes = f"SELECT r.*, lag(r.ord) {ordered} AS prev FROM ({_stage_rows(c, m)}) AS r"
    stays = (
        f"SELECT r.opportunity_id, r.ord, r.changed_at AS entered_at, lead(r.changed_at) {ordered} AS left_at "
        f"FROM ({changes}) AS r WHERE r.prev IS NULL OR r.ord IS NULL OR r.prev <> r.ord"
    )
    ended = (
        f"SELECT s.opportunity_id, s.ord, s.left_at AS t, {days_between('s.entered_at', 's.left_at')} AS days "
        f"FROM ({stays}) AS s WHERE s.left_at IS NOT NULL AND s.ord IN ({_open_orders(c)}) "
        f"AND {c.within('s.left_at')}"
    )
    return c.aggregate(m, _with_opportunity(c, ended), {"value": "median(b.days)",
                       "w_p90": "quantile_cont(b.days, 0.9)"}, has=OPP - {"stage"},
                       own={"stage": _stage_names(c)})  # fmt: skip
