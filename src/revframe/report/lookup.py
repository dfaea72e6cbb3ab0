"""Finding a metric's value in the report's runs, and printing it with its note when it is empty.

The report reads several runs (all metrics over the trend periods; a few metrics again by
segment or stage), so a value is looked up by metric, period and the *names* of its dimensions:
``{}`` is the metric's total, ``{"segment"}`` its rows by segment. An empty value keeps its
reason: the cell shows a dash, the reason goes in a tooltip and a numbered footnote (a PDF has no
tooltips).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from revframe.report.fmt import DASH, fmt_value

if TYPE_CHECKING:
    from revframe.framework.metrics import Metric
    from revframe.metrics.model import MetricResult, MetricRow, MetricRun, Period

HEADLINE_DIMS: tuple[dict[str, str], ...] = ({}, {"statistic": "median"})
"""The row that stands for a metric as a whole: its total, or its median when it reports statistics."""


@dataclass
class Cell:
    """A printed value: its text, and for an empty value the note's tooltip and footnote number."""

    text: str
    title: str | None = None
    note: int | None = None
    value: float | None = None

    @property
    def empty(self) -> bool:
        return self.text == DASH


class Footnotes:
    """Numbered notes of a report; the same text gets the same number."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, text: str) -> int:
        if text not in self.texts:
            self.texts.append(text)
        return self.texts.index(text) + 1


class MetricLookup:
    """The rows of the report's runs, by metric, period and dimension names."""

    def __init__(self, runs: Iterable[MetricRun], metrics: dict[str, Metric]) -> None:
        self.runs = list(runs)
        self.metrics = metrics
        self._rows: dict[str, list[MetricRow]] = {}
        self._results: dict[str, MetricResult] = {}
        for run in self.runs:
            for mid, result in run.results.items():
                self._results.setdefault(mid, result)
                self._rows.setdefault(mid, []).extend(result.rows)

    def computed(self, metric_id: str) -> bool:
        """Whether any run computed the metric (it may still have no rows)."""
        return metric_id in self._results

    def result(self, metric_id: str) -> MetricResult | None:
        return self._results.get(metric_id)

    def rows(self, metric_id: str, period: Period, dims: Iterable[str] = ()) -> list[MetricRow]:
        """The metric's rows in ``period`` whose dimensions are exactly ``dims`` (names, any values)."""
        names = set(dims)
        return [r for r in self._rows.get(metric_id, []) if r.period == period and set(r.dims) == names]

    def row(self, metric_id: str, period: Period, **dims: str) -> MetricRow | None:
        """The row of ``period`` with exactly these dimension values."""
        return next((r for r in self._rows.get(metric_id, []) if r.period == period and r.dims == dims), None)

    def headline(self, metric_id: str, period: Period) -> MetricRow | None:
        """The row that stands for the metric in ``period``: its total, else its median."""
        for dims in HEADLINE_DIMS:
            found = self.row(metric_id, period, **dims)
            if found is not None:
                return found
        return None

    def has_headline(self, metric_id: str) -> bool:
        """Whether the metric has a total (or median) row in any period."""
        return any(r.dims in HEADLINE_DIMS for r in self._rows.get(metric_id, []))

    def breakdown(self, metric_id: str) -> tuple[str, ...]:
        """The dimensions a metric without a total is reported by (``stage``; ``touch_type`` and ``funnel_stage``).

        Rows that only add a statistic (a p90 next to each stage's median) do not count.
        """
        keys = {tuple(sorted(r.dims)) for r in self._rows.get(metric_id, []) if r.dims and "statistic" not in r.dims}
        return min(keys, key=len) if keys else ()

    def cell(self, metric_id: str, row: MetricRow | None, period: Period, notes: Footnotes, *,
             unit: str | None = None, currency: str = "", compact: bool = True) -> Cell:  # fmt: skip
        """``row``'s value printed in the metric's unit, or a dash with the reason as tooltip and footnote."""
        unit = unit or (self.metrics[metric_id].unit if metric_id in self.metrics else "count")
        if row is not None and row.value is not None:
            return Cell(fmt_value(row.value, unit, currency, compact=compact), value=float(row.value))
        why = self.why_empty(metric_id, row, period)
        return Cell(DASH, title=why, note=notes.add(why))

    def why_empty(self, metric_id: str, row: MetricRow | None, period: Period) -> str:
        """Why a value is missing, in words: the engine's note, no rows for the period, or not computed."""
        if row is not None:
            return row.note or f"no value for {period.label} (the metrics engine gave no reason)"
        if not self.computed(metric_id):
            if metric_id not in self.metrics:
                return f"{metric_id}: not a metric of this framework spec; add it to `metrics:` in revframe.yaml"
            return f"{metric_id}: not computed in this run"
        return f"no data in {period.label}"


NONE = "(none)"
"""The value the metrics engine gives a dimension a record has no value for."""


def _key(text: str) -> str:
    """A name as compared: letters and digits only, lower case (``Solution / Demo`` = ``solution demo``)."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _known(labels: dict[str, dict[str, str]], kind: str, value: str) -> tuple[int, str] | None:
    """The place and the spec's name of a value that is a spec id or name (in any spelling), if it is one."""
    for i, (key, name) in enumerate(labels.get(kind, {}).items()):
        if _key(value) in (_key(key), _key(name)):
            return i, name
    return None


def dim_label(labels: dict[str, dict[str, str]], kind: str, value: str) -> str:
    """How a dimension value prints: the spec's name for an id or a spelling of it (``mid_market``,
    ``Mid Market`` → ``Mid-Market``), else as stored."""
    if value == NONE:
        return "not set"
    known = _known(labels, kind, value)
    return known[1] if known else value.replace("_", " ")


def dim_rank(labels: dict[str, dict[str, str]], kind: str, value: str) -> int:
    """A dimension value's place in the spec's order (segments, pipeline stages); unknown values after the
    known ones, and "not set" last."""
    count = len(labels.get(kind, {}))
    if value == NONE:
        return count + 1
    known = _known(labels, kind, value)
    return known[0] if known else count
