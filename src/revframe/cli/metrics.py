"""`revframe metrics`: the spec's metrics by period and dimension, with their definitions and SQL."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_json, emit_rows, err_console, say
from revframe.cli._ws import workspace
from revframe.errors import UsageError
from revframe.metrics.compute import compute_metrics
from revframe.metrics.format import format_value
from revframe.metrics.model import Grain, MetricResult


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value}: not a date; write YYYY-MM-DD, e.g. 2026-01-31") from None


@app.command()
def metrics(
    ids: Annotated[list[str] | None, typer.Argument(help="Metric ids (default: every metric in the spec).")] = None,
    tier: Annotated[int | None, typer.Option("--tier", min=1, max=3, help="Only metrics of this tier.")] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Split by segment, region, source, owner, team, stage or type; repeat for more."),
    ] = None,
    period: Annotated[str, typer.Option("--period", help="week, month, quarter or year (calendar periods).")] = "month",
    start: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD); default 12 periods back.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD); default today.")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Also print each metric's definition, system of record and exact SQL.")
    ] = False,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the values in metric_values.")] = True,
) -> None:
    """Compute metrics: one canonical definition each, the same numbers on DuckDB, PostgreSQL and Spark.

    Values are by period (--period, --from, --to) and by dimension (--by), stored in metric_values
    with the run id. An empty value is explicit and says why (no data in the period, division by
    zero); amounts are in the company currency with the exchange rates listed. --format json prints
    one object per value: metric, period, dimension values, value. See docs/metrics.md.
    """
    ws = workspace()
    dims = [d.strip() for item in by or [] for d in item.split(",") if d.strip()]
    run = compute_metrics(
        ws.store, ws.spec, ids=ids or None, tier=tier, by=dims, grain=_grain(period),
        start=_day(start, "--from"), end=_day(end, "--to"), save=save,
    )  # fmt: skip
    if STATE.format is not Format.table:  # machine output stays a list of rows; the run's notes go to stderr
        for note in [*(f"{r.metric_id}: {n}" for r in run.results.values() for n in r.notes), *run.notes]:
            err_console.print(escape(f"note: {note}"))
    if STATE.format is Format.json:
        if explain:
            emit_json(
                [_explained(r, run.engine) | {"rows": [x.to_dict() for x in r.rows]} for r in run.results.values()]
            )
        else:
            emit_json([r.to_dict() for r in run.rows()])
        return
    if STATE.format is Format.csv:  # one header for every row: the union of their columns, in order seen
        emit_rows(_same_columns([r.to_dict() for r in run.rows()]))
        return
    first, last = run.periods[0], run.periods[-1]
    say(
        f"Metrics run {run.run_id} on {run.engine}: {len(run.results)} metric(s), {run.grain} periods "
        f"{first.label} to {last.label}" + (f", by {', '.join(run.by)}" if run.by else "")
        + f"; amounts in {run.currency}" + ("" if save else " (not stored)")
    )  # fmt: skip
    for res in run.results.values():
        if explain:
            _print_explained(res, run.engine)
        emit_rows(_table(res), title=f"{res.name} ({res.metric_id}, tier {res.tier}, {res.unit})")
        if not explain:
            for note in res.notes:
                say(escape(f"{res.metric_id}: {note}"))
    if run.rates:
        emit_rows(run.rates, title=f"Exchange rates applied (units per 1 {run.currency})")
    for note in run.notes:
        say(f"note: {note}")


def _grain(period: str) -> Grain:
    if period not in ("week", "month", "quarter", "year"):
        raise UsageError(f"--period {period}: use week, month, quarter or year")
    return period  # type: ignore[return-value]


def _table(res: MetricResult) -> list[dict[str, Any]]:
    rows = []
    for r in res.rows:
        row: dict[str, Any] = {"period": r.period.label, **r.dims}
        row["value"] = format_value(r.value, res.unit)
        if r.numerator is not None or r.denominator is not None:
            row["of"] = f"{_plain(r.numerator)} / {_plain(r.denominator)}"
        row["n"] = "" if r.n is None else r.n
        row["note"] = r.note or ""
        rows.append(row)
    return _same_columns(rows, "") or [{"period": "-", "value": "no rows"}]


def _same_columns(rows: list[dict[str, Any]], missing: Any = None) -> list[dict[str, Any]]:
    """Rows with the union of their keys (a run mixes metrics split by different dimensions)."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return [{k: row.get(k, missing) for k in keys} for row in rows]


def _plain(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"


def _explained(res: MetricResult, engine: str) -> dict[str, Any]:
    return {
        "metric": res.metric_id, "name": res.name, "tier": res.tier, "definition": res.definition,
        "system_of_record": res.system_of_record, "owner": res.owner, "unit": res.unit, "direction": res.direction,
        "target": res.target, "engine": engine, "sql": res.sql, "notes": res.notes,
    }  # fmt: skip


def _print_explained(res: MetricResult, engine: str) -> None:
    say(f"\n[bold]{res.name}[/bold] ({res.metric_id}): {res.definition}")
    say(f"system of record: {res.system_of_record}; owner: {res.owner}; direction: {res.direction} is good"
        + (f"; target {res.target:g}" if res.target is not None else ""))  # fmt: skip
    say(escape(f"SQL ({engine}):\n{res.sql or '(none: ' + '; '.join(res.notes) + ')'}"))
