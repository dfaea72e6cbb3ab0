"""`revframe metrics`: the spec's metrics computed by period and dimension, stored in ``metric_values``.

Each metric is one SQL query (built-in library, or the spec's ``measure``), rendered for the store's
engine; ratios of metrics and pipeline velocity are combined from their parts' rows in Python, so
they can never disagree with them. Every empty value says why in its note: no data in the period,
or a division by zero. Nothing is ever a silent zero.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.framework.metrics import Metric
from revframe.framework.suggest import did_you_mean
from revframe.metrics.builtins import BUILTINS
from revframe.metrics.model import PERIODS, Grain, MetricResult, MetricRow, MetricRun, Period, periods_between
from revframe.metrics.sql import DIMENSIONS, MONEY, Ctx, Unsplittable, pretty
from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

DEFAULT_PERIODS = {"week": 13, "month": 12, "quarter": 8, "year": 3}
COMPOSITE = {"pipeline_velocity": ("pipeline_value", "win_rate", "avg_deal_size", "deal_cycle_length")}
"""Built-ins combined from other metrics' rows (same period and dimension values)."""
AGGREGATES = {
    "count": "count(*)", "count_distinct": "count(DISTINCT {f})", "sum": "sum({f})", "avg": "avg({f})",
    "median": "median({f})", "p90": "quantile_cont({f}, 0.9)", "min": "min({f})", "max": "max({f})",
}  # fmt: skip
HEALTH_NOTE = "no customer health scores yet: revframe's customer-health engine is not built (a later issue)"


@dataclass
class Plan:
    """What a run computes: the metrics asked for, and the ones they are combined from."""

    asked: list[Metric]
    needed: list[Metric]


def compute_metrics(
    store: Store,
    spec: Spec,
    ids: list[str] | None = None,
    tier: int | None = None,
    by: list[str] | None = None,
    grain: Grain = "month",
    start: date | None = None,
    end: date | None = None,
    save: bool = True,
) -> MetricRun:
    """Compute metrics by period (and by dimension) on the store's engine.

    Raises:
        UsageError: an unknown metric id or dimension, ``start`` after ``end``, a metric that cannot
            be split by a dimension or whose definition names what does not exist (exit code 2).
    """
    by = list(dict.fromkeys(by or []))
    if grain not in PERIODS:
        raise UsageError(f"--period {grain}: use one of {', '.join(PERIODS)}")
    for d in by:
        if d not in DIMENSIONS:
            raise UsageError(f"--by {d}: {did_you_mean(d, list(DIMENSIONS))}dimensions: {', '.join(DIMENSIONS)}")
    end = end or datetime.now(UTC).date()
    fiscal = spec.company.fiscal_year_start_month
    if start is None:
        start = Period.containing(grain, end, fiscal).start
        for _ in range(DEFAULT_PERIODS[grain] - 1):
            start = Period.containing(grain, start - timedelta(days=1), fiscal).start
    if start > end:
        raise UsageError(f"--from {start} is after --to {end}: swap them")
    plan = _plan(spec, ids, tier)
    periods = periods_between(grain, start, end, fiscal)
    ctx = Ctx(spec, grain, periods, by)
    run = MetricRun(uuid.uuid4().hex[:12], store.dialect, grain, periods, by, spec.company.currency,
                    datetime.now(UTC))  # fmt: skip
    done: dict[str, MetricResult] = {}
    explicit = set(ids or [])
    for m in plan.needed:
        try:
            done[m.id] = _compute_one(store, ctx, m, done)
        except Unsplittable as e:
            if m.id in explicit:  # asked for by name: say it cannot be split
                raise UsageError(str(e)) from None
            whole = replace(ctx, by=[])  # in a whole suite: its totals, and why
            done[m.id] = _compute_one(store, whole, m, done)
            done[m.id].notes.append(f"{e}: shown in total")
        done[m.id].rows.sort(key=lambda r: (r.period.start, sorted(r.dims.items())))
    run.results = {m.id: done[m.id] for m in plan.asked}
    run.rates, money_notes = _rates(store, spec, [done[m.id] for m in plan.needed])
    run.notes = money_notes + ctx.notes
    if save:
        save_run(store, spec, run)
    return run


def _plan(spec: Spec, ids: list[str] | None, tier: int | None) -> Plan:
    known = {m.id: m for m in spec.metrics}
    for i in ids or []:
        if i not in known:
            raise UsageError(f"metric '{i}' is not in the spec; {did_you_mean(i, list(known))}"
                             f"metrics: {', '.join(known)}")  # fmt: skip
    asked = [known[i] for i in ids] if ids else [m for m in spec.metrics if tier is None or m.tier == tier]
    if not asked:
        raise UsageError(f"no metric of tier {tier} in the spec")
    needed: list[Metric] = []

    def need(m: Metric) -> None:
        if m in needed:
            return
        parts: tuple[str, ...] = COMPOSITE.get(m.id, ()) if m.measure is None and m.ratio is None else ()
        if m.ratio is not None:
            parts = (m.ratio.numerator, m.ratio.denominator)
        for p in parts:
            if p not in known:
                raise UsageError(f"metric '{m.id}' is computed from '{p}', which is not in the spec; add it back")
            need(known[p])
        needed.append(m)

    for m in asked:
        need(m)
    return Plan(asked, needed)


def _result(m: Metric, by: list[str]) -> MetricResult:
    return MetricResult(m.id, m.name, m.tier, m.unit, m.direction, m.target, m.definition, m.system_of_record,
                        m.owner, by)  # fmt: skip


def _compute_one(store: Store, ctx: Ctx, m: Metric, done: dict[str, MetricResult]) -> MetricResult:
    res = _result(m, ctx.by)
    if m.ratio is not None:
        return _ratio(ctx, m, res, done[m.ratio.numerator], done[m.ratio.denominator])
    if m.measure is None and m.id in COMPOSITE:
        return _velocity(ctx, m, res, *(done[p] for p in COMPOSITE[m.id]))
    sql = measure_sql(ctx, m) if m.measure is not None else BUILTINS[m.id](ctx, m)
    if not sql:  # a built-in whose data does not exist yet
        res.notes.append(HEALTH_NOTE)
        res.rows = [MetricRow(m.id, p, {}, None, n=0, note=HEALTH_NOTE) for p in ctx.periods]
        return res
    res.raw_sql, res.dialect = store.explain_sql(sql), store.dialect
    names, extra = ctx.shape
    by_start = {p.start: p for p in ctx.periods}
    for r in store.query(sql):
        # period_start, dims..., value, numerator, denominator, w_..., n
        dims = {k: str(v) for k, v in zip(names, r[1 : 1 + len(names)], strict=True)}
        at = 1 + len(names)
        value, num, den = (_num(v) for v in r[at : at + 3])
        ext = dict(zip(extra, (_num(v) for v in r[at + 3 : at + 3 + len(extra)]), strict=True))
        n = int(r[-1]) if r[-1] is not None else None
        period = by_start[_as_date(r[0])]
        res.rows.append(_row(m, period, dims, value, num, den, n))
        _extra_rows(m, res, period, dims, ext, n)
    _fill(ctx, m, res)
    return res


def _row(m: Metric, period: Period, dims: dict[str, str], value: float | None, num: float | None,
         den: float | None, n: int | None) -> MetricRow:  # fmt: skip
    note = None
    if value is None and m.id == "pipeline_coverage" and num is not None and den is None:
        note = "no bookings target in the spec: set target and target_per on the bookings metric"
    elif value is None:
        note = "division by zero: the denominator is 0 in this period" if den == 0 else "no data in the period"
        if n == 0 or n is None:
            note = "no data in the period"
    return MetricRow(m.id, period, dims, value, num, den, n, note)


def _extra_rows(m: Metric, res: MetricResult, period: Period, dims: dict[str, str], ext: dict[str, float | None],
                n: int | None) -> None:  # fmt: skip
    """Rows from the ``w_`` columns: a cohort's share within N days, a p90, a source's SQL and won shares."""
    if "w_value" in ext:
        res.rows.append(_row(m, period, {**dims, "within_days": str(m.within_days)}, ext["w_value"],
                             ext.get("w_numerator"), ext.get("w_denominator"), n))  # fmt: skip
    for key, v in ext.items():
        if key in ("w_value", "w_numerator", "w_denominator"):
            continue
        res.rows.append(_row(m, period, {**dims, "statistic": key[2:]}, v, None, None, n))


def _fill(ctx: Ctx, m: Metric, res: MetricResult) -> None:
    """Every period gets a row: where the query found nothing, an explicit empty value (never a silent 0).

    Without breakdowns that is the period's total row; a metric split by its own dimensions (stage,
    component, feature...) gets one row without dimension values for a period where it found
    nothing at all. Split by ``--by``, a period without data has no rows (the totals show it).
    """
    if ctx.by:
        return
    split = any(set(r.dims) - {"within_days", "statistic"} for r in res.rows)
    have = {r.period for r in res.rows} if split else {r.period for r in res.rows if not r.dims}
    for p in ctx.periods:
        if p not in have:
            res.rows.append(MetricRow(m.id, p, {}, None, n=0, note="no data in the period"))


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def _as_date(v: Any) -> date:
    return v.date() if isinstance(v, datetime) else v  # type: ignore[no-any-return]


# --- declared metrics: measures, ratios --------------------------------------------------------------


def measure_sql(ctx: Ctx, m: Metric) -> str:
    """A spec ``measure``: the aggregate of a field of the grain, its rows placed in periods by ``time_dimension``."""
    assert m.measure is not None
    grain = m.grain
    if m.time_dimension is None or m.time_dimension.split(".")[0] != grain:
        raise UsageError(
            f"metric '{m.id}': its time_dimension must be a date field of its grain '{grain}' "
            f"(e.g. {grain}.created_at), not {m.time_dimension}"
        )
    cols = set(TABLES[grain].column_names)
    field = m.measure.field.split(".")[1] if m.measure.field else None
    money = field is not None and field == MONEY.get(grain, ("",))[0]
    source = f"({ctx.converted(grain, 'g0')})" if money else grain
    account = "g.id" if grain == "accounts" else ("g.account_id" if "account_id" in cols else "CAST(NULL AS VARCHAR)")
    country = "COALESCE(g.country, acc.country)" if "country" in cols else "acc.country"
    carried = [c for c in ("owner_id", "lead_source", "stage", "type") if c in cols]
    value = "g.amount_c" if money else (f"g.{field}" if field else "NULL")
    base = (
        f"SELECT g.{m.time_dimension.split('.')[1]} AS t, {account} AS account_id, {country} AS country, "
        + "".join(f"g.{c}, " for c in carried)
        + f"{value} AS v FROM {source} AS g LEFT JOIN accounts AS acc ON acc.id = {account} "
        f"WHERE {ctx.filters(m, 'g')}"
    )  # fmt: skip
    has = {"t", "country", *carried} | ({"account_id"} if "account_id" in cols or grain == "accounts" else set())
    dated = TABLES[grain].column(m.time_dimension.split(".")[1]).type == "date"
    return ctx.aggregate(m, base, {"value": AGGREGATES[m.measure.agg].format(f="b.v")}, has=has, dated=dated,
                         ctes=[ctx.fx_cte()] if money else None)  # fmt: skip


def _ratio(ctx: Ctx, m: Metric, res: MetricResult, num: MetricResult, den: MetricResult) -> MetricResult:
    scale = 100.0 if m.unit == "percent" else 1.0
    parts = {(r.period, tuple(sorted(r.dims.items()))): r for r in den.rows}
    for r in num.rows:
        d = parts.get((r.period, tuple(sorted(r.dims.items()))))
        top, bottom = r.value, d.value if d else None
        if top is None or bottom is None:
            empty = num.metric_id if top is None else den.metric_id
            res.rows.append(MetricRow(m.id, r.period, r.dims, None, top, bottom, None, f"no value: {empty} is empty"))
        elif bottom == 0:
            res.rows.append(MetricRow(m.id, r.period, r.dims, None, top, bottom, None,
                                      f"division by zero: {den.metric_id} is 0 in this period"))  # fmt: skip
        else:
            res.rows.append(MetricRow(m.id, r.period, r.dims, scale * top / bottom, top, bottom, None))
    res.raw_sql = f"-- {m.id} = {num.metric_id} / {den.metric_id}" + (" x 100" if scale != 1 else "")
    return res


def _velocity(ctx: Ctx, m: Metric, res: MetricResult, pv: MetricResult, wr: MetricResult, ads: MetricResult,
              cyc: MetricResult) -> MetricResult:  # fmt: skip
    """Open opportunities x win rate x average deal size / cycle days, each for the same period and dims."""

    def index(r: MetricResult) -> dict[tuple[Period, tuple[tuple[str, str], ...]], MetricRow]:
        return {(x.period, tuple(sorted(x.dims.items()))): x for x in r.rows if not set(x.dims) & {"within_days",
                "statistic"}}  # fmt: skip

    w, a, c = index(wr), index(ads), index(cyc)
    for key, p in index(pv).items():
        found = [x.get(key) for x in (w, a, c)]
        parts = [p.n if p.value is not None else None, *(f.value if f is not None else None for f in found)]
        if any(v is None for v in parts):
            missing = [n for n, v in zip(COMPOSITE[m.id], parts, strict=True) if v is None]
            res.rows.append(MetricRow(m.id, key[0], dict(key[1]), None, note=f"no value: {', '.join(missing)} empty"))
        elif parts[3] == 0:
            res.rows.append(MetricRow(m.id, key[0], dict(key[1]), None, note="division by zero: cycle length is 0"))
        else:
            count, rate, size, days = (float(v) for v in parts)  # type: ignore[arg-type]
            res.rows.append(MetricRow(m.id, key[0], dict(key[1]), count * rate / 100 * size / days, n=int(count)))
    res.raw_sql = ("-- pipeline_velocity = n(pipeline_value) x win_rate / 100 x avg_deal_size / deal_cycle_length, "
               "each for the same period and dimensions (their SQL: `revframe metrics ID --explain`)")  # fmt: skip
    return res


# --- currency, storage ---------------------------------------------------------------------------------


def _rates(store: Store, spec: Spec, results: list[MetricResult]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rates a run applied, and a note per currency without a rate (its rows are left out of amounts)."""
    cur = spec.company.currency.upper()
    rates = [
        {
            "currency": r[0],
            "rate": float(r[1]),
            "valid_from": r[2].isoformat() if r[2] else None,
            "meaning": f"{r[0]} per 1 {cur}",
        }
        for r in store.query(
            "SELECT upper(currency), rate, valid_from FROM exchange_rates WHERE rate > 0 ORDER BY 1, 3"
        )  # fmt: skip
    ]
    known = {r["currency"] for r in rates} | {cur}
    notes = []
    for table in ("opportunities", "subscriptions"):
        for code, n in store.query(f"SELECT upper(currency), count(*) FROM {table} WHERE currency IS NOT NULL "
                                   "GROUP BY 1 ORDER BY 1"):  # fmt: skip
            if code not in known:
                notes.append(f"{n} {table} in {code} have no exchange rate to {cur}: left out of amounts; "
                             f"load rates into exchange_rates (Salesforce DatedConversionRate)")  # fmt: skip
    return rates, notes


def save_run(store: Store, spec: Spec, run: MetricRun) -> None:
    """Append the run's rows to ``metric_values`` (one transaction)."""
    rows = [
        (run.run_id, r.metric_id, r.period.label, r.period.start, r.period.end, json.dumps(r.dims, sort_keys=True),
         r.value, r.numerator, r.denominator, r.n, r.note, run.engine, spec.version, run.computed_at)
        for r in run.rows()
    ]  # fmt: skip
    with store.transaction():
        store.insert_rows("metric_values", rows)


def definition_sql(spec: Spec, m: Metric) -> str:
    """A metric's SQL as the charter shows it: DuckDB's dialect, over the period spine ``periods``.

    ``periods`` has one row per period: period_start, period_end (the day after), day_before,
    last_day, year_ago (a year before the last day), target, and ts_start/ts_end (the instants the
    period's first day and the next period's begin in the company's time zone). Ratios and pipeline velocity are
    combined from other metrics' rows: their formula is given instead.
    """
    ctx = Ctx(spec, "month", [], [], symbolic=True)
    if m.ratio is not None:
        return f"-- {m.id} = {m.ratio.numerator} / {m.ratio.denominator}, same period and dimension values"
    if m.measure is None and m.id in COMPOSITE:
        return "-- pipeline_velocity = n(pipeline_value) x win_rate / 100 x avg_deal_size / deal_cycle_length"
    sql = measure_sql(ctx, m) if m.measure is not None else BUILTINS[m.id](ctx, m)
    return pretty(sql) if sql else f"-- {HEALTH_NOTE}"
