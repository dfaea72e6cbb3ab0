"""The demo's main job: generate the company, ingest its exports, run the engines, write a report.

Each pillar's engines contribute a section of the result and of the report. Data quality runs in
this order: dedupe contacts and accounts (scored against the ground truth), scan (so the
scorecard's duplicate rate counts the clusters just found: the data as the CRMs delivered it),
merge the auto-merge clusters, scan again (the scorecard after the merge), then match the people
still without an account to the merged accounts (a match to a record about to be merged away
would point nowhere: merges do not re-parent ``account_matches``).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader

from revframe.demo.config import AS_OF_DATE
from revframe.demo.generator import DemoFiles, generate_company

if TYPE_CHECKING:
    from rich.progress import Progress

    from revframe.quality.match import AccountMatcher, MatchRun
    from revframe.store import Store
    from revframe.workspace import Workspace

COMPANY = "Northwind Analytics"
MERGE_ROLE = "revops_lead"  # one of the default spec's dedup.merge_roles
TOP_RULES = 10  # (object, rule) issue counts the summary shows
EXAMPLES_PER_METHOD = 2  # matches shown for each method that matched anyone


def run_demo(ws: Workspace, scale: str, seed: int, bar: Progress | None = None) -> dict[str, Any]:
    """Generate, ingest and report; returns what the CLI prints (JSON-ready)."""
    data_dir = ws.root / "demo-data" / f"{scale}-seed{seed}"
    task = bar.add_task("generating the company", total=None) if bar else None
    files = generate_company(data_dir, scale, seed)
    if bar and task is not None:
        bar.remove_task(task)
    ingests: list[dict[str, Any]] = []
    for load in files.loads:
        task = bar.add_task(f"ingesting {load.path.name}", total=load.path.stat().st_size) if bar else None

        def progress(_p: Path, done: int, total: int, _t: Any = task) -> None:
            if bar and _t is not None:
                bar.update(_t, completed=done, total=total)

        s = ws.ingest([load.path], load.mapping, object_name=load.object, progress=progress)
        if bar and task is not None:
            bar.remove_task(task)
        # rows of records an earlier demo run merged away are loaded but not written back
        ingests.extend(f.row(str(Path(f.file).relative_to(data_dir))) for f in s.files)
    quality = run_quality(ws, files, bar)
    from revframe.demo.process import run_process

    process = run_process(ws, bar)
    from revframe.demo.metrics import run_metrics

    task = bar.add_task("metrics", total=None) if bar else None
    _, metrics = run_metrics(ws)
    if bar and task is not None:
        bar.remove_task(task)
    task = bar.add_task("attribution", total=None) if bar else None
    attribution = run_demo_attribution(ws)
    if bar and task is not None:
        bar.remove_task(task)
    status = ws.status()  # after the quality engines: their tables, and contacts and accounts as merged
    result: dict[str, Any] = {
        "company": COMPANY,
        "scale": scale,
        "seed": seed,
        "workspace": str(ws.root),
        "store": ws.store_url,
        "framework_version": ws.spec.version,
        "data": str(data_dir),
        "ground_truth": str(files.ground_truth),
        "ingests": ingests,
        "tables": [t for t in status["tables"] if not t["table"].startswith(("schema_", "framework_"))],
        "quarantine": status["quarantine"],
        "planted_defects": planted_defects(files.ground_truth),
    }
    result["quality"] = quality
    result["process"] = process
    result["metrics"] = metrics
    result["attribution"] = attribution
    result["charter"] = str(write_charter(ws))
    from revframe.report import write_report as write_cadence_report

    # the monthly business review of the demo's last month (the report covers the month before as_of)
    review = write_cadence_report(ws.root, ws.store, ws.spec, "monthly", as_of=AS_OF_DATE + timedelta(days=1))
    result["cadence_report"] = str(review.html)
    result["cadence_report_name"] = review.html.name
    result["report"] = str(write_report(ws, result))
    return result


def run_demo_attribution(ws: Workspace) -> dict[str, Any]:
    """Every attribution model on the won deals, stored; the summary line's figures."""
    from revframe.attribution.credit import MODELS
    from revframe.attribution.run import run_attribution
    from revframe.attribution.summary import demo_summary

    return demo_summary(run_attribution(ws.store, ws.spec, list(MODELS), conversion="closed_won"))


# --- data quality ------------------------------------------------------------------------------------
def run_quality(ws: Workspace, files: DemoFiles, bar: Progress | None = None) -> dict[str, Any]:
    """Dedupe (scored against the ground truth), scan, merge, scan again, match; the summary, JSON-ready.

    A store that already holds merges (the demo ran before in this workspace) keeps them: dedupe
    and merge are not run again, and the duplicates shown are those of the latest dedupe runs,
    scored over the records as they were before the merges.
    """
    from revframe.quality.dedupe import OBJECTS, dedupe
    from revframe.quality.match import AccountMatcher, run_matching
    from revframe.quality.merge import merge_clusters
    from revframe.quality.scan import scan

    store, spec = ws.store, ws.spec
    version = ws.record_framework_version(store)
    task = bar.add_task("data quality", total=None) if bar else None

    def step(text: str) -> None:
        if bar and task is not None:
            bar.update(task, description=text)

    def steps_of(obj: str) -> Callable[[str], None]:
        return lambda msg: step(f"dedupe {obj}: {msg}")

    earlier = int(store.query("SELECT count(*) FROM merges WHERE status = 'merged'")[0][0])
    if not earlier:
        for obj in OBJECTS:
            dedupe(store, spec, obj, framework_version=version, progress=steps_of(obj))
    duplicates = [_duplicates(store, obj, files.ground_truth / "duplicates.csv") for obj in OBJECTS]
    step("quality scan")
    delivered = scan(store, spec, as_of=AS_OF_DATE, framework_version=version)
    merged_now = 0
    after = None
    if not earlier:
        step("merging the auto-merge clusters")
        report = merge_clusters(
            store, spec, role=MERGE_ROLE, framework_version=version, in_transaction=ws.record_framework_version
        )
        merged_now = len(report.merges)
        step("quality scan after the merge")
        after = scan(store, spec, as_of=AS_OF_DATE, framework_version=version)
    step("matching people without an account to accounts")
    matcher = AccountMatcher.from_store(store, spec)
    matching = run_matching(store, matcher)
    if bar and task is not None:
        bar.remove_task(task)
    after_rows = {r["object"]: r for r in after.scores if r["scope"] == "object"} if after else {}
    scorecard = [
        {
            **{k: r[k] for k in ("object", "records", "completeness", "validity", "duplicate_rate", "staleness")},
            "issues": r["issues"],
            "records_after_merge": after_rows[r["object"]]["records"] if after_rows else None,
            "duplicate_rate_after_merge": after_rows[r["object"]]["duplicate_rate"] if after_rows else None,
        }
        for r in delivered.scores
        if r["scope"] == "object"
    ]
    note = (
        f"this store already held {earlier:,} merges from an earlier run: dedupe and merge did not run again; "
        "the duplicates are those of the latest dedupe runs"
        if earlier
        else None
    )
    return {
        "as_of": AS_OF_DATE.isoformat(),
        "merge_role": MERGE_ROLE,
        "note": note,
        "scan": {
            "scan_id": delivered.scan_id,
            "after_merge_scan_id": after.scan_id if after else None,
            "records_scanned": delivered.records_scanned,
            "issues": delivered.issues,
            "issues_after_merge": after.issues if after else None,
        },
        "scorecard": scorecard,
        "issues_by_rule": sorted(delivered.counts, key=lambda c: (-c["issues"], c["object"], c["rule"]))[:TOP_RULES],
        "duplicates": duplicates,
        "merges": _merges(store, merged_now, {d["object"]: d.get("review_open", 0) for d in duplicates}),
        "matches": _matches(matcher, matching),
    }


def _duplicates(store: Store, obj: str, truth_csv: Path) -> dict[str, Any]:
    """The latest dedupe run of ``obj``: its counts and its scores against the demo's truth."""
    from revframe.quality.evaluate import dedupe_universe, ground_truth, latest_clusters, score

    run_id, predicted = latest_clusters(store, obj)
    row: dict[str, Any] = {"object": obj, "run_id": run_id}
    if run_id is None:
        return row
    records, clusters, auto, review = store.query(
        "SELECT records, clusters, auto_merge, review FROM dedupe_runs WHERE run_id = ?", [run_id]
    )[0]
    # records merged away since the run still count: the run saw them
    away = {r[0] for r in store.query("SELECT alias_id FROM record_aliases WHERE object = ?", [obj])}
    scores = score(ground_truth(truth_csv, obj), predicted, dedupe_universe(store, obj) | away)
    waiting = store.query(
        "SELECT count(DISTINCT cluster_id) FROM duplicate_clusters "
        "WHERE run_id = ? AND decision = 'review' AND status = 'open'",
        [run_id],
    )[0][0]
    return row | {
        "records": int(records),
        "clusters": int(clusters),
        "auto_merge": int(auto),
        "review": int(review),
        "review_open": int(waiting),
        "duplicate_records": len(predicted),
        "true_clusters": scores.true_clusters,
        "exact_clusters": scores.exact_clusters,
        "precision": scores.precision,
        "recall": scores.recall,
        "f1": scores.f1,
        "cluster_f1": scores.cluster_f1,
    }


def _merges(store: Store, merged_now: int, review: dict[str, int]) -> dict[str, Any]:
    """The merges in the store (active ones): clusters, records merged away, foreign keys moved; reviews left."""
    active = "FROM merges AS m WHERE m.status = 'merged'"
    clusters = dict(store.query(f"SELECT m.object, count(*) {active} GROUP BY m.object"))
    away = dict(
        store.query(
            "SELECT a.object, count(*) FROM record_aliases AS a JOIN merges AS m ON m.merge_id = a.merge_id "
            "WHERE m.status = 'merged' GROUP BY a.object"
        )
    )
    moves = store.query(
        "SELECT m.object, k.table_name, k.column_name, count(*) FROM merge_moves AS k "
        "JOIN merges AS m ON m.merge_id = k.merge_id WHERE m.status = 'merged' "
        "GROUP BY m.object, k.table_name, k.column_name ORDER BY 4 DESC, 2, 3"
    )
    by_object = [
        {
            "object": obj,
            "merged_clusters": int(clusters.get(obj, 0)),
            "records_merged_away": int(away.get(obj, 0)),
            "keys_moved": sum(int(n) for o, _t, _c, n in moves if o == obj),
            "review_waiting": review.get(obj, 0),
        }
        for obj in ("contacts", "accounts")
    ]
    return {
        "merged_this_run": merged_now,
        "by_object": by_object,
        "keys_moved": [{"object": o, "key": f"{t}.{c}", "moved": int(n)} for o, t, c, n in moves],
    }


def _matches(matcher: AccountMatcher, run: MatchRun) -> dict[str, Any]:
    """Counts by method and a few examples of each method that matched anyone."""
    examples = []
    for method, n in run.counts_by_method().items():
        for m in [m for m in run.matches if m.method == method][: EXAMPLES_PER_METHOD if n else 0]:
            person = run.person(m.contact_id)
            examples.append(
                {
                    "person": person["email"] or f"({person['source_system']} {person['external_id']})",
                    "company": person["company"],
                    "record_type": person["record_type"],
                    "account": matcher.account(m.account_id).name,
                    "method": m.method,
                    "confidence": m.confidence,
                    "reason": m.reason,
                }
            )
    return {
        "run_id": run.run_id,
        "people_without_account": len(run.people),
        "matched": len(run.matches),
        "unmatched": len(run.unmatched),
        "min_confidence": matcher.settings.min_confidence,
        "by_method": [{"method": k, "matches": n} for k, n in run.counts_by_method().items()],
        "examples": examples,
    }


def planted_defects(folder: Path) -> list[dict[str, Any]]:
    """Counts of each planted defect, read back from the ground-truth files."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            records = list(csv.DictReader(f))
        kinds = Counter(r.get("defect") or r.get("motion") or "" for r in records)
        detail = ", ".join(f"{k} {n}" for k, n in kinds.most_common(6) if k)
        rows.append({"file": path.name, "rows": len(records), "detail": detail})
    return rows


def write_charter(ws: Workspace) -> Path:
    from revframe.framework import render_charter

    target = ws.root / "reports" / "charter.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_charter(ws.spec, "html"), encoding="utf-8")
    return target


def write_report(ws: Workspace, result: dict[str, Any]) -> Path:
    """A self-contained HTML report of the demo run (no network, no external assets)."""
    ingests = result["ingests"]
    env = Environment(loader=PackageLoader("revframe.demo", "templates"), autoescape=True)
    html = env.get_template("report.html.j2").render(
        r=result,
        now=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        read=sum(i["read"] for i in ingests),
        loaded=sum(i["loaded"] for i in ingests),
        quarantined=sum(i["quarantined"] for i in ingests),
        merged_away=sum(i.get("merged_away", 0) for i in ingests),
    )
    target = ws.root / "reports" / "demo.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target
