"""`revframe report CADENCE`: the review's report as one self-contained HTML page (and PDF with --pdf)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.errors import UsageError


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of '{value}': not a date; write it as YYYY-MM-DD (e.g. 2026-10-01)") from None


def _metric(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "metric": line["id"], "name": line["name"], "tier": line["tier"], "unit": line["unit"],
        "value": line["now"].value, "prior": line["prior"].value, "shown": line["now"].text,
        "note": line["now"].title, "change": line["change"] or None, "target_shown": line["target"] or None,
        "on_target": {"on": True, "off": False}.get(line["status"]["cls"]),
    }  # fmt: skip


@app.command()
def report(
    cadence: Annotated[
        str,
        typer.Argument(
            help="weekly, biweekly, monthly, quarterly or annual (the spec's cadence of that frequency), "
            "or a cadence id such as monthly_business_review."
        ),
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Report the last complete period before this date (YYYY-MM-DD; default today)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the HTML (default: <workspace>/reports/<cadence>-<period>.html).",
            dir_okay=False,
        ),  # fmt: skip
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write the same report as a PDF next to the HTML.")] = False,
) -> None:
    """Write a cadence's review report: tier-1 metrics, funnel, pipeline, ARR, deal cycle, SLAs, data quality.

    The report covers the last complete period of the cadence (a week, month, quarter or year)
    and compares it with the one before. It is one HTML file with its charts inline (no network,
    no JavaScript): mail it or open it in a browser. --pdf renders the same page to A4 PDF.
    Metrics are computed now; SLA figures are those of the last `revframe sla` run and the
    scorecard that of the last `revframe quality scan`. See docs/report.md.
    """
    from revframe.report.periods import period_title
    from revframe.report.render import section_summary
    from revframe.report.write import write_report

    ws = workspace()
    written = write_report(ws.root, ws.store, ws.spec, cadence, as_of=_as_of(as_of), out=out, pdf=pdf)
    chosen, data, view, target, pdf_path, charter = (
        written.cadence,
        written.data,
        written.view,
        written.html,
        written.pdf,
        written.charter,
    )
    sections = section_summary(view)
    if STATE.format is Format.json:
        emit_json({
            "cadence": chosen.id, "name": chosen.name, "frequency": chosen.frequency,
            "period": data.period.label, "period_start": data.period.start, "period_end": data.period.end,
            "prior_period": data.prior.label, "framework_version": data.framework_version,
            "generated_at": data.generated_at, "html": str(target), "pdf": str(pdf_path) if pdf_path else None,
            "sections": sections,
            "metrics": [_metric(x) for x in view["tier1"]["lines"] + view["other"]["lines"]],
            "empty_values": view["footnotes"], "notes": view["run_notes"], "rates": view["rates"],
            "runs": [r.run_id for r in data.runs], "charter": str(charter) if charter.exists() else None,
        })  # fmt: skip
        return
    rows = [{"section": f"{i}. {s['title']}", "content": "data" if s["has_data"] else s["note"] or "no data"}
            for i, s in enumerate(sections, 1)]  # fmt: skip
    if STATE.format is Format.csv:
        emit_rows(rows)
        return
    say(f"{chosen.name}: {period_title(data.period)} compared with {period_title(data.prior)}")
    emit_rows(rows, title="Sections")
    say(f"Wrote {target}")
    if pdf_path:
        say(f"Wrote {pdf_path}")
    if not charter.exists():
        say("[dim]The report links to the charter for definitions: write it with `revframe framework doc`.[/dim]")
