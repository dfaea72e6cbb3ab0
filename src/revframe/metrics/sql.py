"""The SQL every metric shares: the period spine, currency conversion, dimensions, and the aggregate around a base.

Each metric is one query in revframe's SQL (DuckDB dialect), rendered for the engine in use (sqlglot),
so DuckDB, PostgreSQL and Spark compute the same thing from the same text, and ``--explain`` shows
exactly that text. Dates are computed here, in Python, and sent as literals in the period spine:
the engines only compare, they never do calendar arithmetic of their own.

A metric's *base* is a query with one row per thing counted and these columns, as far as they apply:
``t`` (the time that places the row in a period), ``account_id``, ``owner_id``, ``lead_source``,
``country``, ``stage``, ``type`` (the ``--by`` dimensions reach accounts and users through them),
plus whatever the metric aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from revframe.errors import UsageError
from revframe.metrics.filters import filter_sql, literal
from revframe.metrics.model import Grain, Period

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.metrics import Metric

DIMENSIONS = ("segment", "region", "source", "owner", "team", "stage", "type")
"""What ``--by`` can split on."""

NEEDS = {"segment": "account_id", "region": "country", "source": "lead_source", "owner": "owner_id",
         "team": "owner_id", "stage": "stage", "type": "type"}  # fmt: skip
"""The base column each dimension is reached through."""

NONE = "'(none)'"
MAX_CASE_PERIODS = 120
"""Up to this many periods a row finds its period by a CASE on the periods' ends; beyond, by a range join."""
DAYS = {"week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}
MONEY = {"opportunities": ("amount", "close_date"), "subscriptions": ("arr", "start_date"),
         "campaigns": ("actual_cost", "start_date"), "accounts": ("annual_revenue", "created_at")}  # fmt: skip
"""Tables with amounts in a currency: the amount column and the date whose exchange rate applies."""


class Unsplittable(UsageError):
    """A metric asked to be split by a dimension its rows cannot reach."""


@dataclass
class Ctx:
    """What one metrics run's queries share: the spec, the periods, the ``--by`` dimensions."""

    spec: Spec
    grain: Grain
    periods: list[Period]
    by: list[str]
    notes: list[str] = field(default_factory=list)
    symbolic: bool = False
    """Name the period spine ``periods`` instead of listing its rows (the charter shows SQL for any period)."""
    shape: tuple[list[str], list[str]] = ([], [])
    """The last :meth:`aggregate`'s dimension names and ``w_`` columns (how to read its rows)."""

    @property
    def currency(self) -> str:
        return self.spec.company.currency

    # --- the period spine -----------------------------------------------------------------------
    def spine(self, target: Metric | None = None) -> str:
        """The periods as an inline table: start, end (exclusive), the day before the start, the last
        day, the day a year before the last day, (with ``target``) that metric's target for the
        period, and the instants its first and next day begin in the company's time zone."""
        if self.symbolic:
            return "periods AS p"
        rows = []
        for p in self.periods:
            last = p.end - timedelta(days=1)
            year_ago = last - relativedelta(months=12)
            goal = scaled_target(target, self.grain) if target is not None else None
            rows.append(
                f"({literal(p.start)}, {literal(p.end)}, {literal(p.start - timedelta(days=1))}, {literal(last)}, "
                f"{literal(year_ago)}, CAST({literal(goal)} AS DOUBLE), {literal(self.midnight(p.start))}, "
                f"{literal(self.midnight(p.end))})"
            )
        cols = "period_start, period_end, day_before, last_day, year_ago, target, ts_start, ts_end"
        return f"(VALUES {', '.join(rows)}) AS p({cols})"

    def within(self, col: str, *, dated: bool = False) -> str:
        """SQL: ``col`` (a timestamp, or with ``dated`` a date) falls in the run's periods (TRUE in the charter)."""
        if self.symbolic or not self.periods:
            return "TRUE"
        lo, hi = self.periods[0].start, self.periods[-1].end
        if dated:
            return f"{col} >= {literal(lo)} AND {col} < {literal(hi)}"
        return f"{col} >= {literal(self.midnight(lo))} AND {col} < {literal(self.midnight(hi))}"

    def midnight(self, day: date) -> datetime:
        """The first instant of ``day`` in the company's time zone, in UTC (a period of timestamps starts there)."""
        local = datetime.combine(day, time(0), tzinfo=ZoneInfo(self.spec.company.timezone))
        return local.astimezone(UTC)

    # --- currency -------------------------------------------------------------------------------
    def fx_cte(self) -> str:
        """``fx``: each currency's rate ranges (units of the currency per one unit of the company currency).

        The first rate of a currency also applies before its date; the company currency is 1.
        """
        return (
            "fx AS (SELECT upper(currency) AS currency, rate, "
            "CASE WHEN row_number() OVER (PARTITION BY upper(currency) ORDER BY valid_from) = 1 "
            "THEN DATE '1900-01-01' ELSE valid_from END AS valid_from, "
            "lead(valid_from) OVER (PARTITION BY upper(currency) ORDER BY valid_from) AS valid_to "
            f"FROM exchange_rates WHERE rate > 0 AND upper(currency) <> {literal(self.currency)} "
            f"UNION ALL SELECT {literal(self.currency)}, 1.0, DATE '1900-01-01', CAST(NULL AS DATE))"
        )

    def converted(self, table: str, alias: str, where: str = "TRUE") -> str:
        """``table``'s rows passing ``where`` with ``amount_c``: the amount in the company currency
        (NULL when its currency has no rate: counted apart, never as zero)."""
        amount, day = MONEY[table]
        return (
            f"SELECT {alias}.*, {alias}.{amount} / fx.rate AS amount_c, fx.rate AS fx_rate "
            f"FROM {table} AS {alias} LEFT JOIN fx ON fx.currency = upper(COALESCE({alias}.currency, "
            f"{literal(self.currency)})) AND CAST({alias}.{day} AS DATE) >= fx.valid_from "
            f"AND (fx.valid_to IS NULL OR CAST({alias}.{day} AS DATE) < fx.valid_to) WHERE {where}"
        )

    def account_country(self, account_id: str) -> tuple[str, str]:
        """(SQL of the country of the account ``account_id`` names, the join it needs): the join only
        when ``--by region`` reads the country (a base carries ``country`` either way)."""
        cols, join = self.account_columns(account_id, "country")
        return cols.removesuffix(" AS country"), join

    def account_columns(self, account_id: str, *columns: str) -> tuple[str, str]:
        """(``acc.owner_id AS owner_id, ...``, the join to ``accounts``) for the account ``account_id``
        names: each column NULL, and no join, when no ``--by`` dimension reads it (owner and team
        read ``owner_id``, region reads ``country``)."""
        wanted = {NEEDS[d] for d in self.by}
        used = [c for c in columns if c in wanted]
        cols = ", ".join(f"acc.{c} AS {c}" if c in used else f"CAST(NULL AS VARCHAR) AS {c}" for c in columns)
        return cols, (f"LEFT JOIN accounts AS acc ON acc.id = {account_id}" if used else "")

    def filters(self, metric: Metric, alias: str) -> str:
        return filter_sql(metric.id, metric.grain, metric.filters, alias)

    # --- dimensions -----------------------------------------------------------------------------
    def dims(
        self, has: set[str], metric_id: str, own: dict[str, str] | None = None
    ) -> tuple[list[str], str, list[str]]:
        """(``expr AS d_name`` list, the joins they need, their names) for ``--by`` plus the metric's own.

        ``has``: the base columns the metric carries. A dimension it cannot reach is an error that
        says which dimensions it can be split by.
        """
        exprs, names, joins = [], [], []
        for d in self.by:
            if NEEDS[d] not in has:
                can = [x for x in DIMENSIONS if NEEDS[x] in has]
                raise Unsplittable(
                    f"metric '{metric_id}' cannot be split by {d} (its rows carry no {NEEDS[d]}); "
                    f"it can be split by {', '.join(can) or 'nothing'}"
                )
            exprs.append(f"{self._dim(d)} AS d_{d}")
            names.append(d)
        if any(d in self.by for d in ("segment", "region")) and "account_id" in has:
            joins.append("LEFT JOIN accounts AS da ON da.id = b.account_id")
        if any(d in self.by for d in ("owner", "team")):
            joins.append("LEFT JOIN users AS du ON du.id = b.owner_id")
        for name, expr in (own or {}).items():
            exprs.append(f"COALESCE(CAST({expr} AS VARCHAR), {NONE}) AS d_{name}")
            names.append(name)
        return exprs, " ".join(joins), names

    def _dim(self, d: str) -> str:
        if d == "segment":
            return f"COALESCE(da.segment, {NONE})"
        if d == "region":
            cases = " ".join(
                f"WHEN b.country IN ({', '.join(literal(c) for c in r.countries)}) THEN {literal(r.id)}"
                for r in self.spec.company.regions
            )
            return f"CASE {cases} ELSE {NONE} END" if cases else NONE
        if d == "source":
            return f"COALESCE(b.lead_source, {NONE})"
        if d == "owner":
            return f"COALESCE(du.name, b.owner_id, {NONE})"
        if d == "team":
            return f"COALESCE(du.team, {NONE})"
        return f"COALESCE(CAST(b.{d} AS VARCHAR), {NONE})"

    def period_case(self, col: str, dated: bool) -> str:
        """SQL: the start of the run's period that ``col`` (in the run's range) falls in."""
        arms = [
            f"WHEN {col} < {literal(p.end if dated else self.midnight(p.end))} THEN {literal(p.start)}"
            for p in self.periods[:-1]
        ]
        return (
            f"CASE {' '.join(arms)} ELSE {literal(self.periods[-1].start)} END"
            if arms
            else literal(self.periods[-1].start)
        )

    # --- the aggregate --------------------------------------------------------------------------
    def aggregate(
        self,
        metric: Metric,
        base: str,
        values: dict[str, str],
        *,
        has: set[str],
        when: str | None = None,
        dated: bool = False,
        own: dict[str, str] | None = None,
        ctes: list[str] | None = None,
        target: Metric | None = None,
    ) -> str:
        """``SELECT period_start, d_..., value, numerator, denominator, n`` of ``base`` grouped by period and dims.

        ``when`` places a base row ``b`` in a period ``p`` (default: its time ``t`` falls in it:
        a timestamp between the period's first and last midnight in the company's time zone, or
        with ``dated`` a date between its first and last day; snapshots compare dates with
        ``p.last_day``). ``values`` maps value, numerator, denominator
        and n to aggregate expressions over ``b`` (missing ones are NULL); ``w_value``, ``w_numerator``
        and ``w_denominator`` are the same within the metric's ``within_days`` (cohort conversions).
        """
        where = ""
        if when is None and not self.symbolic and len(self.periods) <= MAX_CASE_PERIODS:
            # the rows of the run's range, each given its period's start by comparing its time with the
            # periods' ends: an equi-join on the spine instead of a range join (sorting millions of rows)
            base = (
                f"SELECT b0.*, {self.period_case('b0.t', dated)} AS p_start FROM ({base}) AS b0 "
                f"WHERE {self.within('b0.t', dated=dated)}"
            )
            when = "p.period_start = b.p_start"
        elif when is None:
            when = "b.t >= p.period_start AND b.t < p.period_end" if dated else "b.t >= p.ts_start AND b.t < p.ts_end"
            where = f"WHERE {self.within('b.t', dated=dated)} "
        exprs, joins, names = self.dims(has, metric.id, own)
        keys = ["value", "numerator", "denominator", *(k for k in values if k.startswith("w_"))]
        self.shape = (names, keys[3:])
        cols = ", ".join(f"{values[k]} AS {k}" if k in values else f"CAST(NULL AS DOUBLE) AS {k}" for k in keys)
        group = ", ".join(["p.period_start", *(e.rsplit(" AS ", 1)[0] for e in exprs)])
        head = ", ".join(["p.period_start", *exprs])
        with_ = "WITH " + ", ".join(ctes) + " " if ctes else ""
        return (
            f"{with_}SELECT {head}, {cols}, {values.get('n', 'count(*)')} AS n "
            f"FROM ({base}) AS b JOIN {self.spine(target)} ON {when} {joins} "
            f"{where}GROUP BY {group}"
        )


def scaled_target(metric: Metric, grain: Grain) -> float | None:
    """``metric.target`` for a period of ``grain``: as given, or scaled by days when it is per another period."""
    if metric.target is None:
        return None
    if metric.target_per is None or metric.target_per == grain:
        return float(metric.target)
    return float(metric.target) * DAYS[grain] / DAYS[metric.target_per]


def share(part: str, whole: str) -> str:
    """100 x part / whole, NULL when whole is 0 (a division by zero is an empty value, never 0)."""
    return f"100.0 * ({part}) / NULLIF({whole}, 0)"


def days_between(start: str, end: str) -> str:
    """Days (fractional) from ``start`` to ``end``, two timestamps."""
    return f"(epoch(CAST({end} AS TIMESTAMPTZ)) - epoch(CAST({start} AS TIMESTAMPTZ))) / 86400.0"


@lru_cache(maxsize=256)
def pretty(sql: str, dialect: str = "duckdb") -> str:
    """SQL laid out for reading (one clause a line), in ``dialect``."""
    import sqlglot

    return ";\n".join(sqlglot.transpile(sql, read=dialect, write=dialect, pretty=True))
