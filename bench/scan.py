"""Benchmark: `revframe quality scan` with the full default rule set on a demo store.

    .venv/bin/python bench/scan.py --workspace /tmp/rf-large [--as-of 2026-09-30] [--copy]
    .venv/bin/python bench/scan.py --scale small --workdir /tmp/rf-bench-scan

With ``--workspace`` it scans an existing demo workspace (made by `revframe demo`); the scan only
appends its findings and scorecard to the store (``--copy`` scans a copy of the store instead).
Without it, it generates and ingests the demo at ``--scale`` into ``--workdir`` (once; reused).
The scan runs in its own process, so time and peak memory are its own. It uses the spec of the
current revframe (the default framework), not the workspace's file, so every run measures the same
rules. Prints records scanned, issues, seconds and peak RSS; the target (issue 3) is a scan of the
large demo in at most 60 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def prepare(workdir: Path, scale: str, seed: int) -> Path:
    """A demo workspace at ``scale``, generated and ingested once."""
    from revframe.demo import generate_company
    from revframe.workspace import Workspace

    root = workdir / f"{scale}-seed{seed}"
    if (root / "READY").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    ws = Workspace.init(root)
    files = generate_company(root / "demo-data", scale, seed)
    for load in files.loads:
        ws.ingest([load.path], load.mapping, object_name=load.object)
    ws.close()
    (root / "READY").touch()
    return root


def run_scan(store_path: str, as_of: str) -> None:
    """The measured part (child process): one scan, then a JSON line with the figures."""
    from revframe.framework import default_spec_text, load_spec_text
    from revframe.quality.scan import scan
    from revframe.store import open_store

    spec = load_spec_text(default_spec_text())
    store = open_store(f"duckdb://{store_path}")
    store.migrate()
    start = time.perf_counter()
    report = scan(store, spec, as_of=as_of, framework_version=spec.version)
    seconds = time.perf_counter() - start
    store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "scan_id": report.scan_id,
        "records_scanned": report.records_scanned,
        "issues": report.issues,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(figures))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workspace", type=Path, help="an existing demo workspace (its .revframe/store.duckdb)")
    p.add_argument("--copy", action="store_true", help="scan a copy of the workspace's store")
    p.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "rf-bench-scan")
    p.add_argument("--as-of", default="2026-09-30", help="the demo company's as-of date")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        run_scan(args.child, args.as_of)
        return
    root = args.workspace or prepare(args.workdir, args.scale, args.seed)
    store = root / ".revframe" / "store.duckdb"
    if not store.exists():
        sys.exit(f"{store}: no store; pass the folder of a demo workspace (made by `revframe demo`)")
    with tempfile.TemporaryDirectory(dir=root / ".revframe") as tmp:
        if args.copy:
            target = Path(tmp) / "store.duckdb"
            shutil.copyfile(store, target)
            store = target
        cmd = [sys.executable, str(HERE), "--child", str(store), "--as-of", args.as_of]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode:
            sys.exit(out.stderr)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"store {root}: {figures['records_scanned']:,} records scanned, {figures['issues']:,} issues, "
        f"{figures['seconds']} s, peak RSS {figures['peak_rss_mb']:,} MB (target: 60 s at large)"
    )


if __name__ == "__main__":
    main()
