"""What a metrics run produces: one row per metric, period and dimension values, with how it was computed.

The shapes the CLI, the report and ``metric_values`` share. A value of ``None`` is an explicit
empty value (no data in the period, or a division by zero); its ``note`` says which.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

Grain = Literal["week", "month", "quarter", "year"]
PERIODS: tuple[Grain, ...] = ("week", "month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    """A period ``[start, end)``: a Monday-to-Sunday week, a month, a quarter or a year.

    Quarters and years follow the fiscal year, which starts in month ``fiscal_start`` (the spec's
    ``company.fiscal_year_start_month``; 1 is the calendar year). A fiscal year is named by the
    calendar year it ends in (a year starting in February 2026 is FY2027), and its periods are
    labelled ``FY2027-Q1``, ``FY2027``; calendar quarters keep ``2026-Q1``.
    """

    grain: Grain
    start: date
    end: date
    fiscal_start: int = 1

    @property
    def label(self) -> str:
        if self.grain == "week":
            y, w, _ = self.start.isocalendar()
            return f"{y}-W{w:02d}"
        if self.grain == "month":
            return f"{self.start:%Y-%m}"
        year = f"FY{self.fiscal_year}" if self.fiscal_start != 1 else f"{self.fiscal_year}"
        return f"{year}-Q{self.quarter}" if self.grain == "quarter" else year

    @property
    def quarter(self) -> int:
        """The quarter of the (fiscal) year the period starts in: 1-4."""
        return (self.start.month - self.fiscal_start) % 12 // 3 + 1

    @property
    def fiscal_year(self) -> int:
        """The (fiscal) year the period starts in, named by the calendar year it ends in."""
        first = Period.containing("year", self.start, self.fiscal_start).start
        return first.year + (1 if self.fiscal_start != 1 else 0)

    @classmethod
    def containing(cls, grain: Grain, day: date, fiscal_start: int = 1) -> Period:
        """The period of ``grain`` that contains ``day`` (quarters and years of the fiscal year
        starting in month ``fiscal_start``)."""
        if grain == "week":
            start = day - timedelta(days=day.weekday())
            return cls(grain, start, start + timedelta(days=7))
        if grain == "month":
            start, fiscal_start = day.replace(day=1), 1  # a month is the same whatever the fiscal year
        else:
            into = (day.month - fiscal_start) % 12  # months since the fiscal year began
            back = into % 3 if grain == "quarter" else into  # months since the period began
            m = day.month - 1 - back  # may be negative: the period began last calendar year
            start = date(day.year + m // 12, m % 12 + 1, 1)
        months = {"month": 1, "quarter": 3, "year": 12}[grain]
        m = start.month - 1 + months
        return cls(grain, start, start.replace(year=start.year + m // 12, month=m % 12 + 1), fiscal_start)

    def previous(self) -> Period:
        return Period.containing(self.grain, self.start - timedelta(days=1), self.fiscal_start)

    def next(self) -> Period:
        return Period.containing(self.grain, self.end, self.fiscal_start)


def periods_between(grain: Grain, first: date, last: date, fiscal_start: int = 1) -> list[Period]:
    """Every period of ``grain`` from the one containing ``first`` to the one containing ``last``."""
    out = [Period.containing(grain, first, fiscal_start)]
    while out[-1].end <= last:
        out.append(out[-1].next())
    return out


@dataclass
class MetricRow:
    """One value: a metric in one period for one combination of dimension values.

    ``dims`` holds the ``--by`` dimensions (``segment``, ``region``, ``source``, ``owner``, ``team``)
    and the metric's own breakdowns (``stage`` for stage conversion, ``component`` for the ARR
    waterfall, ``statistic`` for median/p90, ``feature``, ``band``...). ``numerator`` and
    ``denominator`` are set for ratios, ``n`` counts the records behind the value.
    """

    metric_id: str
    period: Period
    dims: dict[str, str]
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    n: int | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as ``--format json`` prints it."""
        return {
            "metric": self.metric_id, "period": self.period.label, "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(), **self.dims, "value": self.value,
            "numerator": self.numerator, "denominator": self.denominator, "n": self.n, "note": self.note,
        }  # fmt: skip


@dataclass
class MetricResult:
    """One metric's rows in a run, the SQL that produced them (for the engine in use) and notes."""

    metric_id: str
    name: str
    tier: int
    unit: str
    direction: str
    target: float | None
    definition: str
    system_of_record: str
    owner: str
    by: list[str]
    rows: list[MetricRow] = field(default_factory=list)
    raw_sql: str = ""
    """The query as run (in the engine's dialect); :attr:`sql` lays it out for reading."""
    dialect: str = "duckdb"
    notes: list[str] = field(default_factory=list)

    @property
    def sql(self) -> str:
        """The query laid out one clause a line (done when first read: most runs never show it)."""
        if self.raw_sql.startswith("--") or not self.raw_sql:
            return self.raw_sql
        from revframe.metrics.sql import pretty

        return pretty(self.raw_sql, self.dialect)

    def value(self, period: Period, **dims: str) -> float | None:
        """The value for ``period`` and exactly these dimension values (None when there is none)."""
        for r in self.rows:
            if r.period == period and r.dims == dims:
                return r.value
        return None

    def series(self, **dims: str) -> list[MetricRow]:
        """The rows with exactly these dimension values, in period order."""
        return sorted((r for r in self.rows if r.dims == dims), key=lambda r: r.period.start)


@dataclass
class MetricRun:
    """Everything one ``revframe metrics`` call computed."""

    run_id: str
    engine: str
    grain: Grain
    periods: list[Period]
    by: list[str]
    currency: str
    computed_at: datetime
    results: dict[str, MetricResult] = field(default_factory=dict)
    rates: list[dict[str, Any]] = field(default_factory=list)
    """The exchange rates applied: currency, rate to the company currency, valid from (and rows converted)."""
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[MetricRow]:
        return [r for res in self.results.values() for r in res.rows]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["periods"] = [p.label for p in self.periods]
        return d
