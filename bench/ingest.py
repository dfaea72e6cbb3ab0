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
import random
import resource
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

    con = duckdb.connect(str(tmp / "baseline.duckdb"))
    t = time.perf_counter()
    con.execute(f"CREATE TABLE contacts AS SELECT * FROM read_csv('{csv_path}', header = true, all_varchar = true)")
    base_s = time.perf_counter() - t
    base_rows = con.execute("SELECT count(*) FROM contacts").fetchone()[0]  # type: ignore[index]
    con.close()

    store = open_store(f"duckdb://{tmp / 'store.duckdb'}")
    store.migrate()
    t = time.perf_counter()
    s = ingest(store, [csv_path], "salesforce", ctx=Context(default_region="US"), workers=args.workers)
    rf_s = time.perf_counter() - t
    store.close()
    peak_mb = (
        max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        / 1024
    )

    assert s.read == s.loaded + s.quarantined == args.rows, "accounting broken"
    rf_rate, base_rate = s.read / rf_s, base_rows / base_s
    print(f"duckdb read_csv (baseline): {base_rows:,} rows in {base_s:6.2f} s = {base_rate:>10,.0f} rows/s")
    print(
        f"revframe ingest           : {s.read:,} rows in {rf_s:6.2f} s = {rf_rate:>10,.0f} rows/s "
        f"(loaded {s.loaded:,}, quarantined {s.quarantined:,})"
    )
    print(f"ratio revframe/read_csv: {rf_s / base_s:.1f}x slower; peak RSS {peak_mb:,.0f} MB")
    print(
        f"targets: >= 50,000 rows/s: {'met' if rf_rate >= 50_000 else 'NOT met'}; "
        f"within 10x of read_csv: {'met' if rf_s / base_s <= 10 else 'NOT met'}"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
