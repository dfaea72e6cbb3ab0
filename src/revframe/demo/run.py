"""The demo's main job: generate the company, ingest its exports, run the engines, write a report.

Later pillars add their engines here (quality, process, metrics...); each contributes a section
of the result and of the report.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader

from revframe.demo.generator import generate_company

if TYPE_CHECKING:
    from rich.progress import Progress

    from revframe.workspace import Workspace

COMPANY = "Northwind Analytics"


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
        ingests.extend(f.row(str(Path(f.file).relative_to(data_dir))) for f in s.files)
    status = ws.status()
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
    result["charter"] = str(write_charter(ws))
    result["report"] = str(write_report(ws, result))
    return result


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
    )
    target = ws.root / "reports" / "demo.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target
