"""Benchmark: revframe ingest of a Salesforce Contact export vs DuckDB's own read_csv, in one run.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--workers N] [--keep]

Writes a deterministic, realistic export (phones in national and international shapes, mixed
country spellings, ISO timestamps, a few bad rows), then times, on the same file:
  1. revframe: read, map, validate, normalize (emails, E.164 phones, domains, countries,
     timestamps), quarantine, upsert into a fresh DuckDB store — end to end, one transaction;
  2. baseline: DuckDB `CREATE TABLE AS SELECT * FROM read_csv(...)` (no validation at all).
Prints rows/s of each, the ratio, peak memory, and checks read = loaded + quarantined.
Targets (issue 2): >= 50,000 rows/s end to end, and within 10x of read_csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from revframe.ingest import Context, ingest
from revframe.store import open_store

FIRST = "Ada Grace Alan Katherine Bob Li Priya Omar Sven Chloé Mateo Aisha Hiroshi Fatima Noah Emma Lukas Sofia".split()
LAST = "Smith Jones Ng Patel Müller Garcia Kim Rossi Nguyen Okafor Dubois Kowalski Silva Tanaka Cohen".split()
TITLES = ["VP Sales", "Head of RevOps", "Director, Marketing Operations", "CFO", "Data Analyst", "Account Executive"]
COUNTRIES = [
    "United States",
    "USA",
    "US",
    "United Kingdom",
    "UK",
    "Germany",
    "Deutschland",
    "France",
    "FR",
    "Canada",
    "Australia",
    "Netherlands",
    "Spain",
    "India",
    "Brazil",
]
AREA = [201, 212, 213, 303, 305, 312, 404, 415, 469, 512, 617, 646, 702, 718, 757, 773, 813, 917, 949, 978]
INTL = ["+44 20 7946 {:04d}", "+49 30 {:08d}", "+33 1 42 68 {:04d}", "+61 2 9374 {:04d}", "+91 98200 {:05d}"]


def phone(r: random.Random) -> str:
    x = r.random()
    if x < 0.1:
        return ""
    if x < 0.7:
        a, e, n = r.choice(AREA), r.randrange(200, 1000), r.randrange(10000)
        shape = r.choice(["({a}) {e}-{n:04d}", "+1 {a} {e} {n:04d}", "{a}-{e}-{n:04d}", "+1 ({a}) {e}.{n:04d}"])
        return shape.format(a=a, e=e, n=n)
    if x < 0.98:
        return r.choice(INTL).format(r.randrange(10**4))
    return r.choice(["555-0100", "n/a", "+1 000 000 0000"])  # not dialable: kept raw, flagged later


def write_export(path: Path, rows: int, seed: int = 42) -> None:
    r = random.Random(seed)
    header = ["Id", "FirstName", "LastName", "Email", "Phone", "AccountId", "Title", "MailingCountry", "LeadSource"]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([*header, "CreatedDate", "LastModifiedDate"])
        for i in range(rows):
            fn, ln, acct = r.choice(FIRST), r.choice(LAST), r.randrange(rows // 10 + 1)
            email = f"{fn.lower()}.{ln.lower()}{i}@company{acct}.com" if r.random() > 0.01 else f"{fn}(at)company{acct}"
            month, day, hour, minute = r.randrange(1, 13), r.randrange(1, 29), r.randrange(24), r.randrange(60)
            created = f"2025-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00.000+0000"
            if r.random() < 0.0005:
                created = "not-a-date"
            w.writerow(
                [
                    f"003{i:012d}",
                    fn,
                    ln,
                    email,
                    phone(r),
                    f"001{acct:012d}",
                    r.choice(TITLES),
                    r.choice(COUNTRIES),
                    "Web",
                    created,
                    "2025-12-31T00:00:00Z",
                ]
            )


def run_baseline(csv_path: Path, tmp: Path) -> dict[str, float]:
    con = duckdb.connect(str(tmp / "baseline.duckdb"))
    t = time.perf_counter()
    con.execute(f"CREATE TABLE contacts AS SELECT * FROM read_csv('{csv_path}', header = true, all_varchar = true)")
    seconds = time.perf_counter() - t
    rows = con.execute("SELECT count(*) FROM contacts").fetchone()[0]  # type: ignore[index]
    con.close()
    return {"seconds": seconds, "rows": rows}


def run_revframe(csv_path: Path, tmp: Path, workers: int | None) -> dict[str, float]:
    store = open_store(f"duckdb://{tmp / 'store.duckdb'}")
    store.migrate()
    t = time.perf_counter()
    s = ingest(store, [csv_path], "salesforce", ctx=Context(default_region="US"), workers=workers)
    seconds = time.perf_counter() - t
    store.close()
    assert s.read == s.loaded + s.quarantined, "accounting broken"
    return {"seconds": seconds, "rows": s.read, "loaded": s.loaded, "quarantined": s.quarantined}


def measured(side: str, csv_path: Path, tmp: Path, workers: int | None) -> dict[str, float]:
    """Run one side in a fresh process, so each peak memory figure is its own."""
    code = (
        "import json, resource, sys; sys.path.insert(0, 'bench'); import ingest as b; from pathlib import Path; "
        f"r = b.run_{side}(Path({str(csv_path)!r}), Path({str(tmp)!r})"
        + (f", {workers!r})" if side == "revframe" else ")")
        + "; r['main_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
        "r['worker_mb'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; print(json.dumps(r))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=None, help="normalizer processes (default: one per core)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="revframe-bench-"))
    csv_path = tmp / "Contact.csv"
    t = time.perf_counter()
    write_export(csv_path, args.rows)
    size = csv_path.stat().st_size
    print(f"export: {args.rows:,} rows, {size / 1e6:.0f} MB, written in {time.perf_counter() - t:.1f} s")

    base = measured("baseline", csv_path, tmp, None)
    rf = measured("revframe", csv_path, tmp, args.workers)
    rf_rate, base_rate = rf["rows"] / rf["seconds"], base["rows"] / base["seconds"]
    ratio = rf["seconds"] / base["seconds"]
    print(
        f"duckdb read_csv (baseline): {base['rows']:,} rows in {base['seconds']:6.2f} s = {base_rate:>10,.0f} rows/s"
        f"  (peak RSS {base['main_mb']:,.0f} MB)"
    )
    print(
        f"revframe ingest           : {rf['rows']:,} rows in {rf['seconds']:6.2f} s = {rf_rate:>10,.0f} rows/s"
        f"  (loaded {rf['loaded']:,}, quarantined {rf['quarantined']:,}; peak RSS main {rf['main_mb']:,.0f} MB,"
        f" largest worker {rf['worker_mb']:,.0f} MB)"
    )
    print(f"ratio revframe/read_csv: {ratio:.1f}x the time")
    print(
        f"targets: >= 50,000 rows/s: {'met' if rf_rate >= 50_000 else 'NOT met'}; "
        f"within 10x of read_csv: {'met' if ratio <= 10 else 'NOT met'}"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
