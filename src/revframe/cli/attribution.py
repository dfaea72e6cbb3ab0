"""`revframe attribution`: credit conversions and won revenue to channels and campaigns, by every model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_rows, err_console, say
from revframe.cli._ws import workspace

attribution_app = typer.Typer(invoke_without_command=True)  # help: the callback's docstring
app.add_typer(attribution_app, name="attribution")

ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        help="first, last, linear, time_decay, u_shaped, w_shaped, full_path, markov, shapley; several "
        "comma-separated, or all.",
    ),
]
ConversionOpt = Annotated[
    str | None,
    typer.Option(
        "--conversion",
        help="lead_created, mql, sql, opportunity_created or closed_won (default: the spec's default_conversion).",
    ),
]
ByOpt = Annotated[str, typer.Option("--by", help="Sum credits by channel or campaign.")]
FormatOpt = Annotated[Format | None, typer.Option("--format", help="table, json or csv (same as the global --format).")]


def _format(fmt: Format | None) -> None:
    if fmt is not None:
        STATE.format = fmt


@attribution_app.callback()
def attribution(
    ctx: typer.Context,
    model: ModelOpt = "all",
    conversion: ConversionOpt = None,
    by: ByOpt = "channel",
    level: Annotated[
        str | None,
        typer.Option("--level", help="Opportunity journeys per account (buying group) or contact; default: spec."),
    ] = None,
    order: Annotated[
        int | None, typer.Option("--order", help="Markov order 1-4 (default: the spec's markov_order).")
    ] = None,
    paths: Annotated[
        Path | None,
        typer.Option(
            "--paths",
            help="Attribute a path file (path;total_conversions;total_conversion_value;"
            "total_null) instead of the store's journeys.",
            dir_okay=False,
        ),
    ] = None,  # fmt: skip
    export_paths: Annotated[
        Path | None, typer.Option("--export-paths", help="Also write the journeys as a path file.", dir_okay=False)
    ] = None,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the credits in attribution_credits.")] = True,
    fmt: FormatOpt = None,
) -> None:
    """Credit conversions and won revenue to channels and campaigns: rule-based, Markov and Shapley models.

    Each conversion (and its won revenue) goes to the touches of its journey, under every model asked.
    A journey is the eligible touches of a person, or for opportunity events of every contact at the
    account, in the spec's lookback window before the conversion. Each conversion's credits add up to
    that conversion under every model; conversions without an eligible touch are shown as
    (unattributed). --paths reads aggregated journeys exported from web analytics instead of the
    store. Credits are stored in attribution_credits with the run. See docs/attribution.md.
    """
    if ctx.invoked_subcommand is not None:
        return
    from revframe.attribution.credit import model_names
    from revframe.attribution.paths import path_rows, write_paths
    from revframe.attribution.run import run_attribution

    _format(fmt)
    models = model_names(model)
    if paths is not None:
        ws = workspace()
        spec = ws.spec if ws.spec_path.exists() else _default_spec()
        store = ws.store if ws.spec_path.exists() and save else None
        run = run_attribution(store, spec, models, by=by, paths=paths, order=order, save=store is not None)
    else:
        ws = workspace()
        run = run_attribution(ws.store, ws.spec, models, conversion=conversion, by=by, level=level, order=order,
                              save=save)  # fmt: skip
    if export_paths is not None and run.journeys is not None:
        write_paths(path_rows(run.journeys), export_paths)
    if STATE.format is not Format.table:
        for note in run.notes:
            err_console.print(escape(f"note: {note}"))
        rows = run.totals() if run.journeys is not None else []
        emit_rows(rows)
        return
    say(
        f"Attribution run {run.run_id}: {run.conversions:,.0f} {run.conversion} conversion(s)"
        + (f" from {run.source}" if run.source != "store" else f" on {run.engine}, {run.level} journeys")
        + (f", won revenue {run.revenue:,.0f} {_currency(ws)}" if run.revenue else "")
        + ("" if save else " (not stored)")
    )
    if run.journeys is None:
        say("no conversion has an eligible touch: nothing to credit")
    else:
        _print_side_by_side(run.totals(), by, run.models)
        _print_model_details(run)
    for note in run.notes:
        say(escape(f"note: {note}"))
    if export_paths is not None:
        say(f"Paths written to {export_paths}")


def _currency(ws: Any) -> str:
    try:
        return str(ws.spec.company.currency)
    except Exception:  # a path file outside a workspace
        return ""


def _default_spec() -> Any:
    import tempfile

    from revframe.framework import default_spec_text, load_spec

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "revframe.yaml"
        p.write_text(default_spec_text(), encoding="utf-8")
        return load_spec(p)


def _print_side_by_side(rows: list[dict[str, Any]], by: str, models: list[str]) -> None:
    for measure, title in (("conversions", "Conversions credited"), ("revenue", "Won revenue credited")):
        if measure == "revenue" and not any(r["revenue"] for r in rows):
            continue
        table: dict[str, dict[str, Any]] = {}
        for r in rows:
            table.setdefault(r[by], {by: r[by]})[r["model"]] = r[measure]
        out = [{by: k, **{m: _short(v.get(m, 0.0), measure) for m in models}} for k, v in table.items()]
        unit = " (M: millions, k: thousands)" if measure == "revenue" else ""
        emit_rows(out, title=f"{title} by {by}, per model{unit}")


def _short(v: float, measure: str) -> str:
    if measure == "conversions":
        return f"{v:,.1f}"
    return f"{v / 1e6:,.2f}M" if abs(v) >= 1e6 else f"{v / 1e3:,.0f}k" if abs(v) >= 1e3 else f"{v:,.0f}"


def _print_model_details(run: Any) -> None:
    for mc in run.credits:
        if mc.model == "markov":
            effects = ", ".join(f"{k} {v:.3f}" for k, v in mc.details["removal_effects"].items())
            say(f"markov (order {mc.details['order']}): P(conversion) {mc.details['conversion_probability']:.4f}; "
                f"removal effects: {escape(effects)}")  # fmt: skip
        if mc.model == "shapley" and not mc.details["exact"]:
            say(f"shapley: sampled ({mc.details['samples']} permutations), channel values within "
                f"±{mc.details['error_bound_95']:.3g} conversions (95%)")  # fmt: skip


@attribution_app.command("spend")
def spend(
    model: ModelOpt = "all",
    by: ByOpt = "channel",
    fmt: FormatOpt = None,
) -> None:
    """Spend efficiency per model: cost per lead, per opportunity and per won deal, ROI and CAC.

    Spend is campaigns.actual_cost in the company currency, all time; leads, opportunities, won deals
    and new customers are the conversions each model credits to the channel (campaign). A channel
    with a campaign of unknown spend or an unconvertible currency gets no figures, and says why.
    """
    from revframe.attribution.credit import model_names
    from revframe.attribution.spend import spend_report

    _format(fmt)
    ws = workspace()
    report = spend_report(ws.store, ws.spec, model_names(model), by=by)
    if STATE.format is not Format.table:
        for note in report.notes:
            err_console.print(escape(f"note: {note}"))
        emit_rows(report.rows)
        return
    say(f"Spend efficiency by {by}, in {ws.spec.company.currency} (all time)")
    emit_rows(report.table_rows(), title="Per model")
    emit_rows(report.favours(), title="Share of won revenue by model (▲/▼: 5+ points above/below the models' mean)")
    for note in report.notes:
        say(escape(f"note: {note}"))


@attribution_app.command("explain")
def explain(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="An opportunity, account or contact id.")],
    conversion: ConversionOpt = None,
    model: ModelOpt = "all",
    fmt: FormatOpt = None,
) -> None:
    """Show one opportunity's, account's or contact's journey and the credit each model gave each touch, and why."""
    from revframe.attribution.credit import model_names
    from revframe.attribution.explain import explain_record

    _format(fmt)
    ws = workspace()
    ex = explain_record(ws.store, ws.spec, record_id, model_names(model), conversion=conversion)
    if STATE.format is not Format.table:
        emit_rows(ex.rows)
        return
    for block in ex.blocks:
        say(escape(block.heading))
        emit_rows(block.rows)
    for line in ex.why:
        say(escape(line))
