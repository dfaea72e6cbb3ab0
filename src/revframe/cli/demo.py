"""`revframe demo`: generate a company, ingest it, run every engine, write a report."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, console, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.cli.ingest import progress_bar
from revframe.errors import UsageError


@app.command()
def demo(
    scale: Annotated[str, typer.Option(help="small (~10k contacts, seconds), medium (~200k), large (~1M).")] = "small",
    seed: Annotated[int, typer.Option(help="Same scale and seed, same company, byte for byte.")] = 7,
) -> None:
    """Generate a demo B2B SaaS company as CRM exports, ingest them, and write a report."""
    from revframe.demo import SCALES
    from revframe.demo.run import run_demo
    from revframe.workspace import Workspace

    if scale not in SCALES:
        raise UsageError(f"--scale {scale}: use one of {', '.join(SCALES)}")
    ws = workspace()
    if not ws.spec_path.exists():
        ws = Workspace.init(ws.root, STATE.store)
        say(f"Created workspace {ws.root} with the default framework")
    started = time.perf_counter()
    with progress_bar() as bar:
        result = run_demo(ws, scale, seed, bar)
    result["seconds"] = round(time.perf_counter() - started, 1)
    if STATE.format is Format.json:
        emit_json(result)
        return
    console.print(f"[bold]Demo company[/bold] {result['company']} ({scale}, seed {seed}) in {ws.root}")
    emit_rows(result["ingests"], title="Ingested exports")
    merged = any(m["records_merged_away"] for m in result["quality"]["merges"]["by_object"])
    emit_rows(
        result["tables"], title="Canonical store" + (" (contacts and accounts after the merges)" if merged else "")
    )
    emit_rows(result["quarantine"] or [{"object": "-", "reason": "nothing quarantined", "rows": 0}], title="Quarantine")
    emit_rows(result["planted_defects"], title="Planted defects (ground truth for the quality engines)")
    read, loaded, quarantined = (sum(r[k] for r in result["ingests"]) for k in ("read", "loaded", "quarantined"))
    say(f"rows read {read:,} = loaded {loaded:,} + quarantined {quarantined:,}")
    print_quality(result["quality"])
    print_process(result["process"])
    m = result["metrics"]
    title = f"Tier 1 metrics, {m['month']} against the month before (`revframe metrics` for all {m['metrics']})"
    emit_rows([{k: v for k, v in row.items() if k != "id"} for row in m["tier1"]], title=title)
    for note in m["notes"]:
        say(f"note: {note}")
    if "attribution" in result:
        from revframe.attribution.summary import disagreement_text

        a = result["attribution"]
        say(f"Attribution (`revframe attribution`): {a['conversions']:,.0f} won deals, {len(a['models'])} models; "
            f"{disagreement_text(a['disagreement'])}")  # fmt: skip
    say(f"took {result['seconds']} s")
    say(
        f"Report: {result['report']}\nMonthly business review: {result['cadence_report']}\nCharter: {result['charter']}"
    )
    say(f"Next: `revframe -w {ws.root} status`, or open the report in a browser.")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _scorecard_row(r: dict[str, Any], after: bool) -> dict[str, Any]:
    row = {
        "object": r["object"],
        "records": r["records"],
        "complete": _pct(r["completeness"]),
        "valid": _pct(r["validity"]),
        "duplicates": _pct(r["duplicate_rate"]),
        "stale": _pct(r["staleness"]),
        "issues": r["issues"],
    }
    if after:  # the duplicate rate and record count once the auto-merge clusters are merged
        deduped = r["duplicate_rate"] is not None
        row["after merge"] = (
            f"{r['records_after_merge']:,}, {_pct(r['duplicate_rate_after_merge'])} dup" if deduped else ""
        )
    return row


def print_quality(q: dict[str, Any]) -> None:
    """The data-quality summary: scorecard, duplicates against the ground truth, merges, matches."""
    console.print(f"\n[bold]Data quality[/bold] (as of {q['as_of']})")
    if q["note"]:
        say(f"[dim]note: {q['note']}[/dim]")
    after = q["scan"]["after_merge_scan_id"] is not None
    emit_rows(
        [_scorecard_row(r, after) for r in q["scorecard"] if r["records"]],
        title=f"Scorecard (scan {q['scan']['scan_id']}, the data as the CRMs delivered it)",
    )
    emit_rows(q["issues_by_rule"], title="Top issues by rule")
    emit_rows(
        [
            {k: d.get(k) for k in ("object", "records", "true_clusters", "clusters", "auto_merge", "review")}
            | {"precision": d.get("precision"), "recall": d.get("recall"), "F1": d.get("f1"),
               "cluster F1": d.get("cluster_f1")}
            for d in q["duplicates"]
        ],
        title="Duplicates found, scored against the ground truth",
    )  # fmt: skip
    m = q["merges"]
    emit_rows(
        [
            {
                "object": r["object"],
                "clusters merged": r["merged_clusters"],
                "records merged away": r["records_merged_away"],
                "keys moved": r["keys_moved"],
                "review waiting": r["review_waiting"],
            }
            for r in m["by_object"]
        ],
        title=f"Merges (auto-merge clusters, as {q['merge_role']}; undo with `revframe quality unmerge`)",
    )
    if m["keys_moved"]:
        say("keys moved: " + ", ".join(f"{k['key']} {k['moved']:,}" for k in m["keys_moved"]))
    t = q["matches"]
    say(
        f"{t['people_without_account']:,} people without an account: {t['matched']:,} matched to one at "
        f"confidence ≥ {t['min_confidence']:.2f}, {t['unmatched']:,} left unmatched"
    )
    emit_rows(t["by_method"], title="Matches by method")
    if t["examples"]:
        columns = ("person", "company", "account", "method", "confidence")
        emit_rows([{k: e[k] for k in columns} for e in t["examples"]], title="Examples (with reasons in the report)")


def _hours(h: float | None) -> str:
    if h is None:
        return "-"
    return f"{h * 60:.0f} min" if h < 1 else f"{h:.1f} h"


def print_process(p: dict[str, Any]) -> None:
    """The process summary: scores, lifecycle, routing, and the handoff SLAs by handoff and team."""
    s, r = p["scoring"], p["routing"]
    console.print(f"\n[bold]Process[/bold] (as of {p['as_of'][:10]})")
    say(
        f"Scored {s['people']:,} people: {s['mqls']:,} MQL ({s['hot']:,} hot), {s['disqualified']:,} disqualified "
        f"by the ICP; average fit {s['avg_fit']:.0f}, engagement {s['avg_engagement']:.0f}  (`revframe score`)"
    )
    emit_rows(p["lifecycle"]["stages"], title="Lifecycle stages")
    say(f"Routed {r['routed']:,} records that needed an owner: {r['assigned']:,} assigned, {r['queued']:,} queued")
    if r["by_rule"]:
        emit_rows(r["by_rule"], title="Routing by rule")
    if r["example"]:
        e = r["example"]
        say(f"Why this rep? {e['contact_id']} -> {e['assignee_name'] or e['queue']}: {e['reason']}")
        say(f"  (the whole path: `revframe -w {p['workspace']} route --explain {e['contact_id']}`)")
    handoffs = [
        {"handoff": h["handoff"], "clocks": h["clocks"], "met": h["met"], "breached": h["breached"],
         "open": h["open"], "compliance": "-" if h["compliance_pct"] is None else f"{h['compliance_pct']}%",
         "median response": _hours(h["p50_hours"]), "p90": _hours(h["p90_hours"])}
        for h in p["sla"]["handoffs"]
    ]  # fmt: skip
    if handoffs:
        emit_rows(handoffs, title="Handoff SLAs (`revframe sla`)")
    teams = [
        {"team": t["team"], "clocks": t["clocks"], "breached": t["breached"],
         "compliance": "-" if t["compliance_pct"] is None else f"{t['compliance_pct']}%",
         "median response": _hours(t["p50_hours"])}
        for t in p["sla"]["by_team"]
    ]  # fmt: skip
    if teams:
        emit_rows(teams, title="Breaches by team")
