"""`revframe quality scan` and `revframe quality issues`: run the data rules, show the scorecard and findings."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.cli.quality import quality_app
from revframe.quality.scan import ScanReport, list_issues, scan

TOP = 10  # owners, teams and fields shown in the table view (all of them in JSON)


def _pct(value: float | None, delta: float | None) -> str:
    """``84.2% ▲1.3`` : a share in percent, with its change in points against the previous scan."""
    if value is None:
        return "-"
    text = f"{value:.1%}"
    if delta:
        text += f" {'▲' if delta > 0 else '▼'}{abs(delta) * 100:.1f}"
    return text


def _issues(row: dict[str, Any]) -> str:
    delta = row.get("issues_delta")
    return f"{row['issues']:,}" + (f" ({int(delta):+,})" if delta else "")


def _view(row: dict[str, Any], *first: str) -> dict[str, Any]:
    head = {k: ("-" if row.get(k) is None else row[k]) for k in first}
    return {
        **head,
        "records": row["records"],
        "complete": _pct(row["completeness"], row["completeness_delta"]),
        "valid": _pct(row["validity"], row["validity_delta"]),
        "duplicates": _pct(row["duplicate_rate"], row["duplicate_rate_delta"]),
        "stale": _pct(row["staleness"], row["staleness_delta"]),
        "issues": _issues(row),
    }


def _worst(rows: list[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    picked = [r for r in rows if r["scope"] == scope and r["issues"]]
    return sorted(picked, key=lambda r: (-r["issues"], r["object"], str(r.get("field") or r.get("owner_id") or "")))


def print_scorecard(report: ScanReport) -> None:
    """The scorecard for people: objects, then the worst fields, owners and teams, then findings by rule."""
    rows = report.scores
    since = f"; trend against {report.previous_scan_id}" if report.previous_scan_id else "; first scan, no trend yet"
    say(
        f"Scan {report.scan_id} as of {report.as_of:%Y-%m-%d %H:%M} UTC: {report.records_scanned:,} records, "
        f"{report.issues:,} issues{since}"
    )
    emit_rows([_view(r, "object") for r in rows if r["scope"] == "object"], title="Objects")
    sections = (("field", "Fields", ("object", "field")), ("owner", "Owners", ("object", "owner", "team")))
    for scope, title, first in (*sections, ("team", "Teams", ("object", "team"))):
        worst = [
            {**r, "owner": r.get("owner_name") or r["owner_id"] or "(no owner)", "team": r["team"] or "(no team)"}
            for r in _worst(rows, scope)
        ]
        if worst:
            more = f" (worst {TOP} of {len(worst)} with issues; all in --format json)" if len(worst) > TOP else ""
            emit_rows([_view(r, *first) for r in worst[:TOP]], title=f"{title}{more}")
    if report.counts:
        emit_rows(report.counts, title="Issues by rule")
    for note in report.notes:
        say(f"[dim]note: {note}[/dim]")
    if report.issues:
        say("List them with `revframe quality issues` (--object, --rule, --severity, --limit).")


@quality_app.command("scan")
def scan_command(
    objects: Annotated[
        list[str] | None, typer.Option("--object", help="Scan only this table (repeatable), e.g. contacts.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Measure staleness as of this date (YYYY-MM-DD; default now).")
    ] = None,
) -> None:
    """Run the spec's data rules on the store; keep the findings and a scorecard snapshot with its trend."""
    ws = workspace()
    report = scan(ws.store, ws.spec, objects=objects, as_of=as_of, framework_version=ws.spec.version)
    if STATE.format is Format.json:
        emit_json(report.to_dict())
    elif STATE.format is Format.csv:
        emit_rows(report.scores)
    else:
        print_scorecard(report)


@quality_app.command("issues")
def issues_command(
    objects: Annotated[list[str] | None, typer.Option("--object", help="Only this table (repeatable).")] = None,
    rules: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule (repeatable): required, format, reference...")
    ] = None,
    severity: Annotated[str | None, typer.Option(help="Only this severity: error, warning or info.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many findings.")] = 50,
    scan: Annotated[
        str | None,
        typer.Option(help="This scan id, or 'lifecycle' for the forbidden moves of the latest `revframe lifecycle`."),
    ] = None,
) -> None:
    """List the findings of the latest quality scan (or of --scan), errors first."""
    ws = workspace()
    scan_id, found = list_issues(ws.store, objects=objects, rules=rules, severity=severity, limit=limit, scan=scan)
    if scan_id is None:
        say(
            "No lifecycle findings yet."
            if scan == "lifecycle"
            else "No quality scan yet; run `revframe quality scan` first."
        )
        if STATE.format is Format.json:
            emit_json({"scan_id": None, "issues": []})
        return
    if STATE.format is Format.json:
        emit_json({"scan_id": scan_id, "issues": found})
        return
    view = [{k: ("" if v is None else v) for k, v in r.items() if k != "owner_id"} for r in found]
    if not view:
        say(f"The latest scan ({scan_id}) has no finding that matches; `revframe quality scan` scans every object.")
        return
    emit_rows(view, title=f"Findings of {scan_id}")
