"""`revframe metrics` as users run it (through ``revframe.cli.main``): tables, JSON, --explain, metric_values.

The workspace's store holds :func:`tests.metrics.stores.plant_flow`; the PostgreSQL store for
``--explain`` holds :func:`tests.metrics.stores.plant_stages`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from revframe.store import open_store
from tests.cli.test_cli import revframe
from tests.conftest import PG_URL, drop
from tests.metrics.stores import SPEC, plant_flow, plant_operations, plant_stages

Q1 = ("--from", "2026-01-01", "--to", "2026-03-31")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace made by ``revframe init`` whose DuckDB store holds the flow deals."""
    root = tmp_path_factory.mktemp("cli") / "acme-revops"
    assert revframe("init", root).code == 0
    spec = root / "revframe.yaml"  # calendar quarters, as the hand-worked figures (the fiscal year: test_fiscal)
    spec.write_text(spec.read_text().replace("fiscal_year_start_month: 2", "fiscal_year_start_month: 1", 1))
    store = open_store(f"duckdb://{root / '.revframe' / 'store.duckdb'}")
    try:
        store.migrate()
        plant_flow(store)
    finally:
        store.close()
    return root


def stored(ws: Path, sql: str) -> list[tuple[object, ...]]:
    store = open_store(f"duckdb://{ws / '.revframe' / 'store.duckdb'}")
    try:
        return store.query(sql)
    finally:
        store.close()


def test_table_output(ws: Path) -> None:
    r = revframe("-w", ws, "metrics", "win_rate", "--period", "quarter", *Q1)
    assert r.code == 0, r.err
    assert re.search(r"Metrics run [0-9a-f]{12} on duckdb: 1 metric\(s\), quarter periods 2026-Q1 to 2026-Q1", r.out)
    assert "amounts in USD" in r.out
    assert "Win rate (win_rate, tier 1, percent)" in r.out
    row = next(line for line in r.out.splitlines() if "│ 2026-Q1" in line)
    assert "55.6%" in row and "5 / 9" in row  # 5 won of 9 closed
    assert "Exchange rates applied (units per 1 USD)" in r.out and "0.75" in r.out and "2026-02-01" in r.out


def test_table_shows_empty_values_as_a_dash_with_the_note(ws: Path) -> None:
    r = revframe("-w", ws, "metrics", "bookings", *Q1, "--no-save")
    march = next(line for line in r.out.splitlines() if "│ 2026-03" in line)
    assert "—" in march and "no data in the period" in march
    assert "43,000" in r.out


def test_json_is_a_list_of_rows(ws: Path) -> None:
    rows = revframe("-w", ws, "--format", "json", "metrics", "win_rate", "--by", "segment", *Q1).json()
    assert isinstance(rows, list) and all(x["metric"] == "win_rate" for x in rows)
    got = {(x["period"], x["segment"]): (x["value"], x["numerator"], x["denominator"], x["n"]) for x in rows}
    assert got[("2026-01", "enterprise")] == (50.0, 1.0, 2.0, 2)
    assert got[("2026-03", "enterprise")] == (0.0, 0.0, 1.0, 1)
    first = rows[0]
    assert {"metric", "period", "period_start", "period_end", "segment", "value", "note"} <= set(first)
    total = revframe("-w", ws, "--format", "json", "metrics", "bookings", *Q1).json()
    assert [(x["period"], x["value"], x["note"]) for x in total] == [
        ("2026-01", 43000.0, None), ("2026-02", 13000.0, None), ("2026-03", None, "no data in the period")]  # fmt: skip


def test_explain_prints_the_definition_system_of_record_and_sql(ws: Path) -> None:
    r = revframe("-w", ws, "metrics", "avg_deal_size", "--explain", "--from", "2026-01-01", "--to", "2026-01-31")
    assert r.code == 0, r.err
    assert "Average deal size (avg_deal_size): Average amount of closed-won new-business opportunities." in r.out
    assert "system of record: salesforce; owner: vp_sales" in r.out
    assert "SQL (duckdb):" in r.out
    assert "AVG(b.amount_c)" in r.out and "= 'new_business'" in r.out and "FROM exchange_rates" in r.out
    explained = revframe("-w", ws, "--format", "json", "metrics", "avg_deal_size", "--explain", *Q1).json()
    assert explained[0]["engine"] == "duckdb" and explained[0]["system_of_record"] == "salesforce"
    assert explained[0]["sql"].startswith("WITH fx AS") and len(explained[0]["rows"]) == 3


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    url = f"{PG_URL}?schema=rf_metrics_{uuid.uuid4().hex[:10]}"
    store = open_store(url)
    try:
        store.migrate()
        plant_stages(store)
        store.close()
        yield url
    finally:
        drop(open_store(url))


@pytest.mark.postgres
def test_explain_on_postgresql_shows_postgresql_sql(ws: Path, pg_url: str) -> None:
    r = revframe("-w", ws, "--store", pg_url, "metrics", "time_in_stage", "--explain", "--no-save",
                 "--from", "2026-01-01", "--to", "2026-01-31")  # fmt: skip
    assert r.code == 0, r.err
    assert "on postgres" in r.out and "SQL (postgres):" in r.out
    assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in r.out and "PERCENTILE_CONT(0.9) WITHIN GROUP" in r.out
    assert "MEDIAN(" not in r.out and "QUANTILE_CONT" not in r.out
    rows = revframe("-w", ws, "--store", pg_url, "--format", "json", "metrics", "time_in_stage", "--no-save",
                    "--from", "2026-01-01", "--to", "2026-01-31").json()  # fmt: skip
    disc = {x.get("statistic", "median"): x["value"] for x in rows if x["stage"] == "discovery"}
    assert disc == {"median": 6.0, "p90": pytest.approx(9.2)}


def test_values_are_stored_with_the_run_id_and_not_with_no_save(ws: Path) -> None:
    r = revframe("-w", ws, "metrics", "win_rate", *Q1)
    run_id = re.search(r"Metrics run ([0-9a-f]{12})", r.out)
    assert run_id, r.out
    cols = "metric_id, period, period_start, period_end, dims, value, numerator, denominator, n, note, engine"
    rows = stored(ws, f"SELECT {cols}, framework_version FROM metric_values WHERE run_id = '{run_id[1]}' ORDER BY 2")
    assert [(x[0], x[1], x[5], x[6], x[7], x[8]) for x in rows] == [
        ("win_rate", "2026-01", 75.0, 3.0, 4.0, 4),
        ("win_rate", "2026-02", 50.0, 2.0, 4.0, 4),
        ("win_rate", "2026-03", 0.0, 0.0, 1.0, 1),
    ]
    assert str(rows[0][2]) == "2026-01-01" and str(rows[0][3]) == "2026-02-01"
    assert all(json.loads(str(x[4])) == {} for x in rows)
    assert {(x[10], x[11]) for x in rows} == {("duckdb", SPEC.version)}
    before = stored(ws, "SELECT count(*) FROM metric_values")[0][0]
    quiet = revframe("-w", ws, "metrics", "win_rate", *Q1, "--no-save")
    assert quiet.code == 0 and "(not stored)" in quiet.out
    assert stored(ws, "SELECT count(*) FROM metric_values")[0][0] == before


def test_stored_dims_and_empty_values(ws: Path) -> None:
    r = revframe("-w", ws, "metrics", "bookings", "--by", "owner", *Q1)
    run_id = re.search(r"Metrics run ([0-9a-f]{12})", r.out)
    assert run_id
    rows = stored(ws, f"SELECT period, dims, value FROM metric_values WHERE run_id = '{run_id[1]}'")
    got = {(p, json.loads(str(d))["owner"]): v for p, d, v in rows}
    assert got == {("2026-01", "Ann Lee"): 10000.0, ("2026-01", "Bo Chen"): 33000.0,
                   ("2026-02", "Bo Chen"): 12000.0, ("2026-02", "(none)"): 1000.0}  # fmt: skip
    r = revframe("-w", ws, "metrics", "avg_deal_size", *Q1)
    run_id = re.search(r"Metrics run ([0-9a-f]{12})", r.out)
    assert run_id
    march = stored(ws, f"SELECT value, note FROM metric_values WHERE run_id = '{run_id[1]}' AND period = '2026-03'")
    assert march == [(None, "no data in the period")]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("win_rate", "--from", "2026-03-01", "--to", "2026-01-31"), "swap them"),
        (("win_ratee",), "did you mean 'win_rate'"),
        (("win_rate", "--by", "segmnt"), "did you mean 'segment'"),
        (("win_rate", "--period", "fortnight"), "use week, month, quarter or year"),
        (("win_rate", "--from", "2026-13-01"), "not a date; write YYYY-MM-DD"),
        (("pipeline_coverage", "--by", "segment", *Q1), "cannot be split by segment"),
    ],
    ids=["from-after-to", "unknown-metric", "unknown-by", "unknown-period", "bad-date", "unsplittable"],
)
def test_bad_input_exits_2_with_a_message(ws: Path, args: tuple[str, ...], says: str) -> None:
    before = stored(ws, "SELECT count(*) FROM metric_values")[0][0]
    r = revframe("-w", ws, "metrics", *args)
    assert r.code == 2, r.out + r.err
    assert says in r.err.replace("\n", " ")
    assert stored(ws, "SELECT count(*) FROM metric_values")[0][0] == before


def test_whole_suite_by_segment_shows_unsplittable_metrics_in_total(ws: Path) -> None:
    rows = revframe("-w", ws, "--format", "json", "metrics", "--tier", "1", "--by", "segment", *Q1, "--no-save").json()
    coverage = [x for x in rows if x["metric"] == "pipeline_coverage"]
    assert [x["period"] for x in coverage] == ["2026-01", "2026-02", "2026-03"]
    assert all("segment" not in x for x in coverage)
    assert any(x["metric"] == "bookings" and x.get("segment") == "smb" for x in rows)


def test_whole_suite_table_says_why_a_metric_is_in_total(ws: Path) -> None:
    r = revframe("-w", ws, "metrics", "--tier", "1", "--by", "segment", *Q1, "--no-save")
    assert r.code == 0
    assert "shown in total" in r.out + r.err


def test_csv_output(ws: Path) -> None:
    r = revframe("-w", ws, "--format", "csv", "metrics", "bookings", "--by", "segment", *Q1, "--no-save")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert {(x["period"], x["segment"]): x["value"] for x in rows}[("2026-01", "smb")] == "25000.0"


def test_csv_output_of_rows_with_different_dimensions(ws: Path, tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path / 'operations.duckdb'}"
    store = open_store(url)
    try:
        store.migrate()
        plant_operations(store)
    finally:
        store.close()
    r = revframe("-w", ws, "--store", url, "--format", "csv", "metrics", "lead_response_time", *Q1, "--no-save")
    assert r.code == 0
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [(x["period"], x["statistic"], x["value"]) for x in rows][:2] == [
        ("2026-01", "", "30.0"),
        ("2026-01", "p90", "82.0"),
    ]


def test_json_output_puts_the_runs_notes_on_stderr(ws: Path) -> None:
    r = revframe("-w", ws, "--format", "json", "metrics", "--tier", "1", "--by", "segment", *Q1, "--no-save")
    assert r.code == 0, r.err
    assert isinstance(r.json(), list)  # stdout stays the rows
    assert "note: pipeline_coverage: metric 'pipeline_coverage' cannot be split by segment" in r.err.replace("\n", " ")
