"""Benchmark: revframe's whole built-in metrics suite, monthly by segment, against hand-written baselines.

    .venv/bin/python bench/metrics.py [--scale large] [--workspace DIR] [--repeat 3] [--strict]
    .venv/bin/python bench/metrics.py --scale small --repeat 1          # a quick run
    .venv/bin/python bench/metrics.py --sides R,a --pandas-columns all   # pandas reading whole tables

The demo company (``revframe demo --scale S --seed 7``: ingest, then the quality and process engines,
so that ``sla_clocks`` exist for lead response time) is built once in ``--workspace`` (reused when
it already holds a store). Then, in the same run and on the same DuckDB file, the three sides take
turns ``--repeat`` times, each time in a fresh process (read-only connection, the store's settings:
UTC, memory limit): a warm-up, then one timed run. Before the first, the script waits for a 1-minute
load average below ``--max-load`` (the machine is shared) and prints it:

  R. revframe: ``compute_metrics(store, spec, by=["segment"], grain="month", save=False)``, every
     metric of the default spec, over the demo's last 12 months (to ``AS_OF_DATE``);
  b. the floor: one hand-written DuckDB query per metric, computing the same definition as
     directly as a data engineer would (date_trunc, GROUP BY, no generality), one after the other;
  a. pandas: the needed columns of the needed tables read from the DuckDB file into DataFrames
     (counted in, as in an analyst's notebook), then each metric in idiomatic pandas.

Every value of (a) and (b) is compared with revframe's row for the same metric, month and
dimension values (relative tolerance 1e-6; an empty value must be empty on both sides); the
per-metric agreement table is printed and ``--strict`` exits 1 on any mismatch. Prints the input
tables, the per-metric times, the totals and the ratios with the issue's targets: R/b <= 1.5 and
a/R >= 5; and each side's peak RSS.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import operator
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
TOLERANCE = 1e-6
TARGET_RB, TARGET_AR = 1.5, 5.0
NONE = "(none)"
CURRENCY = "USD"  # the default spec's company currency (checked at start)
TZ = "America/New_York"  # its time zone: a timestamp's month is the month of its local date (checked at start)
HANDOFF = "marketing_to_sales"  # the handoff whose trigger is owner_assigned (checked at start)
# the default pipeline: a history row's stage matches by id or name, letters and digits only, lower case
STAGE_ORDER = {"discovery": 1, "qualification": 2, "solution": 3, "solutiondemo": 3, "proposal": 4,
               "negotiation": 5, "closedwon": 6, "closedlost": 7}  # fmt: skip
STAGE_ID = {1: "discovery", 2: "qualification", 3: "solution", 4: "proposal", 5: "negotiation"}
LOST = 7

Key = tuple[str, str, tuple[tuple[str, str], ...]]
"""(metric id, period start, sorted dimension values): one value of one metric."""
Values = dict[Key, float | None]


# --- the window: the demo's last 12 months ------------------------------------------------------------


def window() -> tuple[date, date, date]:
    """(first day, last day, day after) of the demo's last 12 months."""
    from revframe.demo.config import AS_OF_DATE
    from revframe.metrics.model import Period

    last = first = Period.containing("month", AS_OF_DATE)
    for _ in range(11):
        first = first.previous()
    return first.start, AS_OF_DATE, last.end


START, LAST_DAY, END = window()


# --- stores and connections -----------------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    """The instant ``day`` begins in the company's time zone."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(TZ))


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection with the settings revframe's DuckDB store applies to its own."""
    from revframe.store.duckdb_store import _half_the_ram

    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{os.environ.get('REVFRAME_DUCKDB_MEMORY') or _half_the_ram()}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def readonly_store(path: Path) -> Any:
    """revframe's DuckDB store on a read-only connection (the store itself opens files read-write)."""
    from revframe.store.duckdb_store import DuckDBStore

    class ReadOnlyDuckDBStore(DuckDBStore):
        def __init__(self, p: Path) -> None:
            self.url = f"duckdb://{p}"
            self.con = connect(p)

    return ReadOnlyDuckDBStore(path)


def default_spec() -> Any:
    from revframe.framework import default_spec_text, load_spec_text

    return load_spec_text(default_spec_text())


# --- the demo workspace ---------------------------------------------------------------------------------


def prepare(workspace: Path, scale: str, seed: int) -> Path:
    """The workspace's store; the demo is generated and run there first when it holds none."""
    store = workspace / ".revframe" / "store.duckdb"
    if store.exists():
        con = connect(store)
        n = con.execute("SELECT count(*) FROM opportunities").fetchone()[0]  # type: ignore[index]
        con.close()
        if n:
            return store
    print(f"building the demo in {workspace}: revframe demo --scale {scale} --seed {seed} ...", flush=True)
    t = time.perf_counter()
    cmd = [str(ROOT / ".venv" / "bin" / "revframe"), "-w", str(workspace), "demo", "--scale", scale, "--seed",
           str(seed)]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    print(f"demo built in {time.perf_counter() - t:.0f} s", flush=True)
    return store


LOAD = {
    "accounts": "id, segment",
    "exchange_rates": "currency, rate, valid_from",
    "opportunities": "id, account_id, contact_id, type, amount, currency, is_closed, is_won, close_date, created_at",
    "subscriptions": "account_id, arr, currency, start_date, end_date",
    "contacts": "id, account_id, lead_source, converted_contact_id, created_at, mql_at, sql_at",
    "touchpoints": "contact_id, campaign_id, type, occurred_at",
    "opportunity_stage_history": "id, opportunity_id, stage, changed_at",
    "activities": "account_id, type, is_automated, occurred_at",
    "onboarding_milestones": "account_id, due_date, completed_at",
    "product_usage": "account_id, feature, usage_date, events",
    "sla_clocks": "record_id, handoff_id, status, stopped_at, stop_reason, started_at, elapsed_seconds",
}
"""The tables the built-in metrics read, and the columns the pandas side loads of each."""


# --- (b) the floor: one hand-written DuckDB query per metric ------------------------------------------------


def sql_queries(target_per_month: float) -> dict[str, str]:
    """metric id -> one query: month, its dimension values (see OUT), its values."""
    s, e = f"DATE '{START}'", f"DATE '{END}'"
    fx = (  # rate ranges: units per 1 USD; a currency's first rate also applies before its date
        "fx AS (SELECT upper(currency) AS cur, rate, CASE WHEN valid_from = min(valid_from) OVER "
        "(PARTITION BY upper(currency)) THEN DATE '1900-01-01' ELSE valid_from END AS valid_from "
        f"FROM exchange_rates WHERE rate > 0 AND upper(currency) <> '{CURRENCY}' "
        f"UNION ALL SELECT '{CURRENCY}', 1.0, DATE '1900-01-01')"
    )
    fx_o = f"ASOF LEFT JOIN fx ON fx.cur = upper(coalesce(o.currency, '{CURRENCY}')) AND o.close_date >= fx.valid_from"
    months = (
        "months AS (SELECT m::DATE AS month, (m - INTERVAL 1 DAY)::DATE AS day_before, "
        "(m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS last_day, "
        "(m + INTERVAL 1 MONTH - INTERVAL 1 DAY - INTERVAL 12 MONTH)::DATE AS year_ago "
        f"FROM generate_series(TIMESTAMP '{START}', TIMESTAMP '{END}' - INTERVAL 1 MONTH, INTERVAL 1 MONTH) AS g(m))"
    )
    subs = (
        "subs AS (SELECT s.account_id, s.start_date, s.end_date, s.arr / fx.rate AS arr FROM subscriptions s "
        f"ASOF LEFT JOIN fx ON fx.cur = upper(coalesce(s.currency, '{CURRENCY}')) AND s.start_date >= fx.valid_from)"
    )
    people = (  # open leads and contacts; a contact carries the leads converted into it (min of each field)
        "people AS (SELECT k.id, coalesce(k.account_id, l.account_id) AS account_id, "
        "coalesce(k.lead_source, l.lead_source) AS lead_source, coalesce(l.created_at, k.created_at) AS created_at, "
        "coalesce(k.mql_at, l.mql_at) AS mql_at, coalesce(k.sql_at, l.sql_at) AS sql_at FROM contacts k "
        "LEFT JOIN (SELECT converted_contact_id, min(account_id) AS account_id, min(lead_source) AS lead_source, "
        "min(created_at) AS created_at, min(mql_at) AS mql_at, min(sql_at) AS sql_at FROM contacts "
        "WHERE converted_contact_id IS NOT NULL GROUP BY 1) l ON l.converted_contact_id = k.id "
        "WHERE k.converted_contact_id IS NULL)"
    )
    seg = f"coalesce(a.segment, '{NONE}')"
    in_window = "{c} >= " + s + " AND {c} < " + e  # dates
    ts0, ts1 = (local_midnight(d).isoformat() for d in (START, END))
    ts_window = "{c} >= TIMESTAMPTZ '" + ts0 + "' AND {c} < TIMESTAMPTZ '" + ts1 + "'"  # timestamps: local midnights
    ts_month = "date_trunc('month', {c} AT TIME ZONE '" + TZ + "')::DATE"
    active = "s.start_date <= m.{d} AND (s.end_date IS NULL OR s.end_date >= m.{d})"
    ord_ = (
        "CASE regexp_replace(lower(h.stage), '[^a-z0-9]', '', 'g') "
        + " ".join(f"WHEN '{k}' THEN {v}" for k, v in STAGE_ORDER.items())
        + " END"
    )
    stage = "CASE x.ord " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in STAGE_ID.items()) + " END"
    opps_month = "date_trunc('month', o.close_date)::DATE"

    def per_account(days: tuple[str, str]) -> str:
        """ARR per month and account on two days of the month (the subscriptions active on either)."""
        a0, a1 = (active.format(d=d) for d in days)
        return (
            f"acct AS (SELECT m.month, s.account_id, sum(CASE WHEN {a0} THEN s.arr ELSE 0 END) AS arr0, "
            f"sum(CASE WHEN {a1} THEN s.arr ELSE 0 END) AS arr1 FROM months m JOIN subs s ON ({a0}) OR ({a1}) "
            "GROUP BY ALL)"
        )

    def opp_metric(where: str, value: str, money: bool = True) -> str:
        return (
            (f"WITH {fx} " if money else "")
            + f"SELECT {opps_month}, {seg}, {value} FROM opportunities o {fx_o if money else ''} "
            f"LEFT JOIN accounts a ON a.id = o.account_id WHERE {where} AND {in_window.format(c='o.close_date')} "
            "GROUP BY ALL"
        )

    amt = "o.amount / fx.rate"
    q: dict[str, str] = {}
    q["pipeline_value"] = opp_metric("NOT coalesce(o.is_closed, FALSE)", f"sum({amt})")
    q["pipeline_coverage"] = (
        f"WITH {fx}, {months}, open AS (SELECT {opps_month} AS month, {amt} AS amt FROM opportunities o {fx_o} "
        f"WHERE NOT coalesce(o.is_closed, FALSE) AND {in_window.format(c='o.close_date')}) "
        f"SELECT m.month, sum(open.amt) / {target_per_month!r} FROM months m LEFT JOIN open USING (month) GROUP BY 1"
    )
    q["pipeline_velocity"] = (
        f"WITH {fx}, o AS (SELECT {opps_month} AS month, {seg} AS segment, o.is_closed, o.is_won, {amt} AS amt, "
        "lower(replace(replace(trim(o.type), ' ', '_'), '-', '_')) = 'new_business' AS new_business, "
        "(epoch(o.close_date::TIMESTAMPTZ) - epoch(o.created_at)) / 86400 AS days "
        f"FROM opportunities o {fx_o} LEFT JOIN accounts a ON a.id = o.account_id "
        f"WHERE {in_window.format(c='o.close_date')}), "
        "parts AS (SELECT month, segment, count(*) FILTER (WHERE NOT coalesce(is_closed, FALSE)) AS n_open, "
        "sum(amt) FILTER (WHERE NOT coalesce(is_closed, FALSE)) AS open_amount, "
        "100.0 * count(*) FILTER (WHERE is_closed AND is_won) / nullif(count(*) FILTER (WHERE is_closed), 0) AS rate, "
        "avg(amt) FILTER (WHERE is_won AND new_business) AS size, avg(days) FILTER (WHERE is_won) AS cycle "
        "FROM o GROUP BY ALL) "
        "SELECT month, segment, CASE WHEN open_amount IS NOT NULL THEN n_open * rate / 100 * size / nullif(cycle, 0) "
        "END FROM parts WHERE n_open > 0"
    )
    q["win_rate"] = opp_metric("o.is_closed", "100.0 * count(*) FILTER (WHERE o.is_won) / count(*)", money=False)
    q["win_rate_amount"] = opp_metric(
        f"o.is_closed AND {amt} IS NOT NULL",
        f"100.0 * coalesce(sum({amt}) FILTER (WHERE o.is_won), 0) / nullif(sum({amt}), 0)",
    )
    q["avg_deal_size"] = opp_metric(
        f"o.is_won AND {amt} IS NOT NULL "
        "AND lower(replace(replace(trim(o.type), ' ', '_'), '-', '_')) = 'new_business'",
        f"avg({amt})",
    )
    q["bookings"] = opp_metric("o.is_won", f"sum({amt})")
    q["deal_cycle_length"] = opp_metric(
        "o.is_won AND o.created_at IS NOT NULL",
        "avg((epoch(o.close_date::TIMESTAMPTZ) - epoch(o.created_at)) / 86400)",
        money=False,
    )
    q["marketing_sourced_revenue"] = (
        f"WITH {fx}, person AS (SELECT id AS person, converted_contact_id AS contact FROM contacts "
        "WHERE converted_contact_id IS NOT NULL), "
        f"won AS (SELECT o.id, o.contact_id, o.created_at, {opps_month} AS month, {seg} AS segment, {amt} AS amt "
        f"FROM opportunities o {fx_o} LEFT JOIN accounts a ON a.id = o.account_id "
        f"WHERE o.is_won AND {in_window.format(c='o.close_date')}), "
        "toucher AS (SELECT w.id, w.created_at, w.contact_id AS person FROM won w UNION ALL "
        "SELECT w.id, w.created_at, p.person FROM won w JOIN person p ON p.contact = w.contact_id), "
        "sourced AS (SELECT DISTINCT w.id FROM toucher w JOIN touchpoints t ON t.contact_id = w.person "
        "WHERE t.campaign_id IS NOT NULL AND t.occurred_at < w.created_at) "
        "SELECT month, segment, sum(amt) FROM won WHERE id IN (SELECT id FROM sourced) GROUP BY ALL"
    )
    q["arr"] = (
        f"WITH {fx}, {months}, {subs} SELECT m.month, {seg}, sum(s.arr) FROM months m "
        f"JOIN subs s ON {active.format(d='last_day')} LEFT JOIN accounts a ON a.id = s.account_id GROUP BY ALL"
    )
    q["revenue_per_account"] = (
        f"WITH {fx}, {months}, {subs}, acct AS (SELECT m.month, s.account_id, sum(s.arr) AS arr FROM months m "
        f"JOIN subs s ON {active.format(d='last_day')} GROUP BY ALL) "
        f"SELECT month, {seg}, sum(arr) / nullif(count(*) FILTER (WHERE arr > 0), 0) FROM acct "
        "LEFT JOIN accounts a ON a.id = acct.account_id GROUP BY ALL"
    )
    retention = (
        f"WITH {fx}, {months}, {subs}, {per_account(('year_ago', 'last_day'))} "
        f"SELECT month, {seg}, 100.0 * sum(CASE WHEN arr0 > 0 THEN {{now}} ELSE 0 END) "
        "/ nullif(sum(CASE WHEN arr0 > 0 THEN arr0 ELSE 0 END), 0) FROM acct "
        "LEFT JOIN accounts a ON a.id = acct.account_id GROUP BY ALL"
    )
    q["net_revenue_retention"] = retention.format(now="arr1")
    q["gross_revenue_retention"] = retention.format(now="least(arr1, arr0)")
    q["logo_churn"] = (
        f"WITH {fx}, {months}, {subs}, {per_account(('day_before', 'last_day'))} "
        f"SELECT month, {seg}, 100.0 * count(*) FILTER (WHERE arr0 > 0 AND arr1 <= 0) "
        "/ nullif(count(*) FILTER (WHERE arr0 > 0), 0) FROM acct LEFT JOIN accounts a ON a.id = acct.account_id "
        "GROUP BY ALL"
    )
    q["arr_waterfall"] = (
        f"WITH {fx}, {months}, {subs}, {per_account(('day_before', 'last_day'))}, "
        f"parts AS (SELECT month, {seg} AS segment, sum(arr0) AS start, "
        "sum(CASE WHEN arr0 <= 0 AND arr1 > 0 THEN arr1 ELSE 0 END) AS new, "
        "sum(CASE WHEN arr0 > 0 AND arr1 > arr0 THEN arr1 - arr0 ELSE 0 END) AS expansion, "
        "sum(CASE WHEN arr0 > 0 AND arr1 > 0 AND arr1 < arr0 THEN arr1 - arr0 ELSE 0 END) AS contraction, "
        'sum(CASE WHEN arr0 > 0 AND arr1 <= 0 THEN -arr0 ELSE 0 END) AS churn, sum(arr1) AS "end" '
        "FROM acct LEFT JOIN accounts a ON a.id = acct.account_id GROUP BY ALL) "
        "SELECT * FROM parts UNPIVOT INCLUDE NULLS "
        '(value FOR component IN (start, new, expansion, contraction, churn, "end"))'
    )
    q["lead_response_time"] = (
        f"WITH {people} SELECT {ts_month.format(c='k.started_at')}, {seg}, median(k.elapsed_seconds / 60.0), "
        "quantile_cont(k.elapsed_seconds / 60.0, 0.9) FROM sla_clocks k LEFT JOIN contacts r ON r.id = k.record_id "
        "LEFT JOIN people q ON q.id = coalesce(r.converted_contact_id, k.record_id) "
        f"LEFT JOIN accounts a ON a.id = q.account_id WHERE k.handoff_id = '{HANDOFF}' "
        "AND k.status IN ('met', 'breached') AND k.stopped_at IS NOT NULL AND k.stop_reason NOT LIKE 'closed:%' "
        f"AND {ts_window.format(c='k.started_at')} GROUP BY ALL"
    )
    q["mql_to_sql_conversion"] = (
        f"WITH {people} SELECT {ts_month.format(c='q.mql_at')}, {seg}, "
        "100.0 * count(*) FILTER (WHERE q.sql_at >= q.mql_at) / count(*), "
        "100.0 * count(*) FILTER (WHERE q.sql_at >= q.mql_at AND q.sql_at <= q.mql_at + INTERVAL 30 DAY) / count(*) "
        f"FROM people q LEFT JOIN accounts a ON a.id = q.account_id WHERE {ts_window.format(c='q.mql_at')} "
        "GROUP BY ALL"
    )
    q["sql_to_opportunity_conversion"] = (
        f"WITH {people}, cohort AS (SELECT q.id, q.account_id, q.sql_at, min(o.created_at) AS opp_at FROM people q "
        "LEFT JOIN opportunities o ON o.account_id = q.account_id AND o.created_at >= q.sql_at "
        f"WHERE {ts_window.format(c='q.sql_at')} GROUP BY ALL) "
        f"SELECT {ts_month.format(c='c.sql_at')}, {seg}, 100.0 * count(c.opp_at) / count(*), "
        "100.0 * count(*) FILTER (WHERE c.opp_at <= c.sql_at + INTERVAL 30 DAY) / count(*) "
        "FROM cohort c LEFT JOIN accounts a ON a.id = c.account_id GROUP BY ALL"
    )
    q["stage_conversion"] = (
        f"WITH h AS (SELECT h.opportunity_id, h.changed_at, {ord_} AS ord FROM opportunity_stage_history h), "
        "entered AS (SELECT opportunity_id, ord, min(changed_at) AS entered_at FROM h WHERE ord <= 5 GROUP BY ALL "
        f"HAVING {ts_window.format(c='min(changed_at)')}), "
        "x AS (SELECT e.opportunity_id, e.ord, e.entered_at, count(n.ord) > 0 AS moved FROM entered e "
        f"LEFT JOIN h n ON n.opportunity_id = e.opportunity_id AND n.ord > e.ord AND n.ord <> {LOST} "
        "AND n.changed_at >= e.entered_at GROUP BY ALL) "
        f"SELECT {ts_month.format(c='x.entered_at')}, {seg}, {stage}, 100.0 * count(*) FILTER (WHERE x.moved) "
        "/ count(*) FROM x JOIN opportunities o ON o.id = x.opportunity_id "
        "LEFT JOIN accounts a ON a.id = o.account_id GROUP BY ALL"
    )
    q["time_in_stage"] = (
        f"WITH h AS (SELECT h.id, h.opportunity_id, h.changed_at, {ord_} AS ord FROM opportunity_stage_history h), "
        "c AS (SELECT *, lag(ord) OVER (PARTITION BY opportunity_id ORDER BY changed_at, id) AS prev FROM h), "
        "x AS (SELECT opportunity_id, ord, changed_at AS entered_at, "
        "lead(changed_at) OVER (PARTITION BY opportunity_id ORDER BY changed_at, id) AS left_at "
        "FROM c WHERE prev IS NULL OR ord IS NULL OR prev <> ord), "
        "d AS (SELECT *, (epoch(left_at) - epoch(entered_at)) / 86400 AS days FROM x) "
        f"SELECT {ts_month.format(c='x.left_at')}, {seg}, {stage}, median(x.days), quantile_cont(x.days, 0.9) "
        "FROM d AS x JOIN opportunities o ON o.id = x.opportunity_id LEFT JOIN accounts a ON a.id = o.account_id "
        f"WHERE x.ord <= 5 AND {ts_window.format(c='x.left_at')} GROUP BY ALL"
    )
    q["health_score_distribution"] = f"WITH {months} SELECT month, CAST(NULL AS DOUBLE) FROM months"
    q["lead_source_quality"] = (
        f"WITH {people}, cohort AS (SELECT * FROM people q WHERE {ts_window.format(c='q.created_at')}), "
        "won AS (SELECT DISTINCT q.id FROM cohort q JOIN opportunities o ON o.contact_id = q.id AND o.is_won "
        "AND o.created_at >= q.created_at) "
        f"SELECT {ts_month.format(c='q.created_at')}, {seg}, coalesce(q.lead_source, '{NONE}'), "
        "100.0 * count(q.mql_at) / count(*), 100.0 * count(q.sql_at) / count(*), 100.0 * count(w.id) / count(*) "
        "FROM cohort q LEFT JOIN won w ON w.id = q.id LEFT JOIN accounts a ON a.id = q.account_id GROUP BY ALL"
    )
    q["content_engagement_by_stage"] = (
        f"WITH {people}, ao AS (SELECT account_id, min(close_date) FILTER (WHERE is_won) AS won_on, "
        "min(created_at) AS opp_on FROM opportunities GROUP BY account_id) "
        f"SELECT {ts_month.format(c='t.occurred_at')}, {seg}, coalesce(t.type, '{NONE}'), "
        "CASE WHEN ao.won_on <= t.occurred_at::DATE THEN 'customer' WHEN ao.opp_on <= t.occurred_at THEN 'opportunity' "
        "WHEN q.sql_at <= t.occurred_at THEN 'sql' WHEN q.mql_at <= t.occurred_at THEN 'mql' ELSE 'lead' END, "
        "count(*) * 1.0 / count(DISTINCT q.id) FROM touchpoints t JOIN contacts k ON k.id = t.contact_id "
        "JOIN people q ON q.id = coalesce(k.converted_contact_id, k.id) LEFT JOIN ao ON ao.account_id = q.account_id "
        f"LEFT JOIN accounts a ON a.id = q.account_id WHERE {ts_window.format(c='t.occurred_at')} GROUP BY ALL"
    )
    q["rep_activity"] = (
        f"SELECT {ts_month.format(c='x.occurred_at')}, {seg}, coalesce(x.type, '{NONE}'), count(*) "
        "FROM activities x LEFT JOIN accounts a ON a.id = x.account_id "
        f"WHERE NOT coalesce(x.is_automated, FALSE) AND {ts_window.format(c='x.occurred_at')} GROUP BY ALL"
    )
    q["onboarding_completion"] = (
        f"SELECT date_trunc('month', m.due_date)::DATE, {seg}, 100.0 * count(*) FILTER (WHERE m.completed_at "
        "< m.due_date::TIMESTAMPTZ + INTERVAL 1 DAY) / count(*) FROM onboarding_milestones m "
        f"LEFT JOIN accounts a ON a.id = m.account_id WHERE {in_window.format(c='m.due_date')} GROUP BY ALL"
    )
    q["feature_adoption"] = (
        f"WITH {months}, cust AS (SELECT DISTINCT m.month, s.account_id FROM months m JOIN subscriptions s "
        f"ON {active.format(d='last_day')}), feat AS (SELECT DISTINCT feature FROM product_usage), "
        "used AS (SELECT DISTINCT date_trunc('month', usage_date)::DATE AS month, account_id, feature "
        f"FROM product_usage WHERE {in_window.format(c='usage_date')} AND coalesce(events, 1) > 0), "
        "fed AS (SELECT DISTINCT month FROM used) "  # a month without any usage feed is empty, not 0%
        f"SELECT c.month, {seg}, coalesce(f.feature, '{NONE}'), CASE WHEN max(fed.month) IS NOT NULL "
        "THEN 100.0 * count(u.account_id) / count(*) END FROM cust c CROSS JOIN feat f "
        "LEFT JOIN used u ON u.month = c.month AND u.account_id = c.account_id AND u.feature = f.feature "
        "LEFT JOIN fed ON fed.month = c.month LEFT JOIN accounts a ON a.id = c.account_id GROUP BY ALL"
    )
    return q


OUT: dict[str, tuple[list[str], list[dict[str, str]]]] = {
    "pipeline_coverage": ([], [{}]),
    "health_score_distribution": ([], [{}]),
    "arr_waterfall": (["segment", "component"], [{}]),
    "lead_response_time": (["segment"], [{}, {"statistic": "p90"}]),
    "mql_to_sql_conversion": (["segment"], [{}, {"within_days": "30"}]),
    "sql_to_opportunity_conversion": (["segment"], [{}, {"within_days": "30"}]),
    "stage_conversion": (["segment", "stage"], [{}]),
    "time_in_stage": (["segment", "stage"], [{}, {"statistic": "p90"}]),
    "lead_source_quality": (["segment", "source"], [{}, {"statistic": "sql_pct"}, {"statistic": "won_pct"}]),
    "content_engagement_by_stage": (["segment", "touch_type", "funnel_stage"], [{}]),
    "rep_activity": (["segment", "activity_type"], [{}]),
    "feature_adoption": (["segment", "feature"], [{}]),
}
"""How the baselines' rows read: after the month, these dimensions, then one value per entry (the extra
dimension values of its row, as revframe names them). Metrics not listed: by segment, one value."""


def shape(metric: str) -> tuple[list[str], list[dict[str, str]]]:
    return OUT.get(metric, (["segment"], [{}]))


def period_key(v: Any) -> str:
    import pandas as pd

    if isinstance(v, pd.Period):
        return v.start_time.date().isoformat()
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    raise TypeError(f"not a month: {v!r}")


def number(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def to_values(metric: str, rows: list[tuple[Any, ...]]) -> Values:
    """A baseline's rows (month, dims..., values...) as keyed values."""
    dims, extras = shape(metric)
    out: Values = {}
    for r in rows:
        base = {d: str(v) for d, v in zip(dims, r[1 : 1 + len(dims)], strict=True)}
        for extra, v in zip(extras, r[1 + len(dims) :], strict=True):
            out[(metric, period_key(r[0]), tuple(sorted({**base, **extra}.items())))] = number(v)
    return out


# --- (a) pandas, as an analyst would ---------------------------------------------------------------------------


Loader = Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]


def pandas_side(all_columns: bool = False) -> tuple[Loader, Callable[..., Any], dict[str, Callable[..., Any]]]:
    """(load, prep, metric id -> function(tables, prepared) -> DataFrame of month, dims..., values...)."""
    import numpy as np
    import pandas as pd

    lo, hi = pd.Timestamp(START), pd.Timestamp(END)
    months = [pd.Period(f"{START:%Y-%m}", "M") + i for i in range(12)]
    spine = [
        {
            "month": p,
            "day_before": p.start_time - pd.Timedelta(days=1),
            "last_day": p.end_time.normalize(),
            "year_ago": p.end_time.normalize() - pd.DateOffset(months=12),
        }
        for p in months
    ]

    def local(s: pd.Series) -> pd.Series:
        """Dates as they are; timestamps as local times in the company's time zone."""
        return s.dt.tz_convert(TZ).dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s

    def in_window(s: pd.Series) -> pd.Series:
        s = local(s)
        return (s >= lo) & (s < hi)

    def month(s: pd.Series) -> pd.Series:
        return local(s).dt.to_period("M")

    def key(s: pd.Series) -> pd.Series:  # a text value as a filter compares it: new-business = New Business
        return s.str.strip(" ").str.replace(" ", "_").str.replace("-", "_").str.lower()

    def load(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return {
            name: con.execute(f"SELECT {'*' if all_columns else cols} FROM {name}").df() for name, cols in LOAD.items()
        }

    def to_currency(df: pd.DataFrame, amount: str, day: str, rates: pd.DataFrame) -> pd.DataFrame:
        df = df.assign(cur=df["currency"].fillna(CURRENCY).str.upper())
        dated = df[df[day].notna()].sort_values(day)
        m = pd.merge_asof(dated, rates.astype({"valid_from": dated[day].dtype}), left_on=day, right_on="valid_from",
                          by="cur")  # fmt: skip
        m["amt"] = m[amount] / m["rate"]
        return pd.concat([m, df[df[day].isna()]], ignore_index=True)

    def prep(t: dict[str, Any]) -> dict[str, Any]:
        segment = t["accounts"].set_index("id")["segment"]

        def seg(ids: pd.Series) -> pd.Series:
            return ids.map(segment).fillna(NONE)

        r = t["exchange_rates"]
        r = r[r["rate"] > 0].assign(cur=lambda x: x["currency"].str.upper())
        r = r[r["cur"] != CURRENCY]
        first = r.groupby("cur")["valid_from"].transform("min")
        r = r.assign(valid_from=r["valid_from"].where(r["valid_from"] != first, pd.Timestamp("1900-01-01")))
        usd = pd.DataFrame({"cur": [CURRENCY], "rate": [1.0], "valid_from": [pd.Timestamp("1900-01-01")]})
        rates = pd.concat([r[["cur", "rate", "valid_from"]], usd], ignore_index=True).sort_values("valid_from")

        o = to_currency(t["opportunities"], "amount", "close_date", rates)
        o["segment"] = seg(o["account_id"])
        ow = o[in_window(o["close_date"])].copy()
        ow["month"] = month(ow["close_date"])
        subs = to_currency(t["subscriptions"], "arr", "start_date", rates)

        c = t["contacts"]
        conv = c["converted_contact_id"].notna()
        cols = ["account_id", "lead_source", "created_at", "mql_at", "sql_at"]
        leads = c[conv].groupby("converted_contact_id")[cols].min()
        p = c[~conv].merge(leads, left_on="id", right_index=True, how="left", suffixes=("", "_lead"))
        people = pd.DataFrame({
            "id": p["id"], "account_id": p["account_id"].fillna(p["account_id_lead"]),
            "lead_source": p["lead_source"].fillna(p["lead_source_lead"]),
            "created_at": p["created_at_lead"].fillna(p["created_at"]), "mql_at": p["mql_at"].fillna(p["mql_at_lead"]),
            "sql_at": p["sql_at"].fillna(p["sql_at_lead"]),
        })  # fmt: skip
        people["segment"] = seg(people["account_id"])

        h = t["opportunity_stage_history"]
        h = h.assign(ord=h["stage"].str.lower().str.replace("[^a-z0-9]", "", regex=True).map(STAGE_ORDER))
        return {"seg": seg, "opps": o, "ow": ow, "subs": subs, "people": people, "history": h}

    def out(g: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        return g.reset_index()[cols]

    def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
        return num / den.where(den != 0)

    f: dict[str, Callable[..., Any]] = {}

    def metric(fn: Callable[..., Any]) -> Callable[..., Any]:
        f[fn.__name__] = fn
        return fn

    # opportunities
    @metric
    def pipeline_value(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        o = x["ow"][~x["ow"]["is_closed"].eq(True)]
        return out(o.groupby(["month", "segment"])["amt"].sum(min_count=1), ["month", "segment", "amt"])

    @metric
    def pipeline_coverage(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        o = x["ow"][~x["ow"]["is_closed"].eq(True)]
        v = o.groupby("month")["amt"].sum(min_count=1).reindex(pd.PeriodIndex(months, name="month"))
        return out(v / x["target"], ["month", "amt"])

    @metric
    def pipeline_velocity(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        o = x["ow"].assign(days=lambda d: (d["close_date"].dt.tz_localize("UTC") - d["created_at"]).dt.total_seconds()
                           / 86400)  # fmt: skip
        keys = ["month", "segment"]
        open_ = o[~o["is_closed"].eq(True)].groupby(keys)["amt"].agg(["size", "count"])
        closed = o[o["is_closed"].eq(True)]
        rate = closed["is_won"].eq(True).groupby([closed["month"], closed["segment"]]).mean() * 100
        won = o[o["is_won"].eq(True)]
        size = won[key(won["type"]).eq("new_business")].groupby(keys)["amt"].mean()
        cycle = won.groupby(keys)["days"].mean()
        v = open_["size"].where(open_["count"] > 0) * rate.reindex(open_.index) / 100 * size.reindex(open_.index)
        v = v / cycle.reindex(open_.index).replace(0, np.nan)
        return out(v.rename("v"), ["month", "segment", "v"])

    @metric
    def win_rate(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        o = x["ow"][x["ow"]["is_closed"].eq(True)]
        v = o["is_won"].eq(True).groupby([o["month"], o["segment"]]).mean() * 100
        return out(v, ["month", "segment", "is_won"])

    @metric
    def win_rate_amount(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        o = x["ow"][x["ow"]["is_closed"].eq(True) & x["ow"]["amt"].notna()]
        o = o.assign(won=o["amt"].where(o["is_won"].eq(True), 0.0))
        g = o.groupby(["month", "segment"])[["won", "amt"]].sum()
        return out(100 * ratio(g["won"], g["amt"]).rename("v"), ["month", "segment", "v"])

    @metric
    def avg_deal_size(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        o = x["ow"]
        o = o[o["is_won"].eq(True) & o["amt"].notna() & key(o["type"]).eq("new_business")]
        return out(o.groupby(["month", "segment"])["amt"].mean(), ["month", "segment", "amt"])

    @metric
    def bookings(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        o = x["ow"][x["ow"]["is_won"].eq(True)]
        return out(o.groupby(["month", "segment"])["amt"].sum(min_count=1), ["month", "segment", "amt"])

    @metric
    def arr(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        a = arr_by_account(x, ("last_day",))
        return out(a.groupby(["month", "segment"])["arr0"].sum(min_count=1), ["month", "segment", "arr0"])

    def arr_by_account(x: dict[str, Any], days: tuple[str, ...]) -> pd.DataFrame:
        """ARR per month and account on each of ``days`` (arr0, arr1), of the subscriptions active on any."""
        s = x["subs"]
        parts = []
        for p in spine:
            active = [(s["start_date"] <= p[d]) & (s["end_date"].isna() | (s["end_date"] >= p[d])) for d in days]
            on_any = functools.reduce(operator.or_, active)
            a = pd.DataFrame({f"arr{i}": s["amt"].where(act, 0.0)[on_any] for i, act in enumerate(active)})
            a["account_id"] = s["account_id"][on_any]
            g = a.groupby("account_id", dropna=False).sum(min_count=1).reset_index()
            g["month"] = p["month"]
            parts.append(g)
        a = pd.concat(parts, ignore_index=True)
        a["segment"] = x["seg"](a["account_id"])
        return a

    @metric
    def arr_waterfall(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        a = arr_by_account(x, ("day_before", "last_day"))
        s, e = a["arr0"], a["arr1"]
        a = a.assign(
            start=s,
            new=e.where((s <= 0) & (e > 0), 0.0),
            expansion=(e - s).where((s > 0) & (e > s), 0.0),
            contraction=(e - s).where((s > 0) & (e > 0) & (e < s), 0.0),
            churn=(-s).where((s > 0) & (e <= 0), 0.0),
            end=e,
        )
        parts = ["start", "new", "expansion", "contraction", "churn", "end"]
        g = a.groupby(["month", "segment"])[parts].sum(min_count=1).reset_index()
        return g.melt(id_vars=["month", "segment"], value_vars=parts, var_name="component")

    @metric
    def revenue_per_account(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        a = arr_by_account(x, ("last_day",))
        g = (
            a.assign(customer=a["arr0"] > 0)
            .groupby(["month", "segment"])
            .agg(arr=("arr0", lambda v: v.sum(min_count=1)), customers=("customer", "sum"))
        )
        return out(ratio(g["arr"], g["customers"]).rename("v"), ["month", "segment", "v"])

    def retention(x: dict[str, Any], capped: bool) -> pd.DataFrame:
        a = arr_by_account(x, ("year_ago", "last_day"))
        was = a["arr0"] > 0
        now = np.minimum(a["arr1"], a["arr0"]) if capped else a["arr1"]
        a = a.assign(then=a["arr0"].where(was, 0.0), now=now.where(was, 0.0))
        g = a.groupby(["month", "segment"])[["then", "now"]].sum(min_count=1)
        return out(100 * ratio(g["now"], g["then"]).rename("v"), ["month", "segment", "v"])

    @metric
    def net_revenue_retention(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        return retention(x, capped=False)

    @metric
    def gross_revenue_retention(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        return retention(x, capped=True)

    @metric
    def logo_churn(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        a = arr_by_account(x, ("day_before", "last_day"))
        a = a.assign(was=a["arr0"] > 0, lost=(a["arr0"] > 0) & (a["arr1"] <= 0))
        g = a.groupby(["month", "segment"])[["was", "lost"]].sum()
        return out(100 * ratio(g["lost"], g["was"]).rename("v"), ["month", "segment", "v"])

    @metric
    def marketing_sourced_revenue(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        won = x["ow"][x["ow"]["is_won"].eq(True)]
        c = t["contacts"]
        # the deal's primary contact, or a lead converted into it, touched a campaign before the deal
        ids = won["contact_id"].dropna().unique()
        person = pd.concat([
            pd.DataFrame({"person": ids, "contact": ids}),
            c.loc[c["converted_contact_id"].notna(), ["id", "converted_contact_id"]].set_axis(["person", "contact"],
                                                                                            axis=1),
        ])  # fmt: skip
        tp = t["touchpoints"]
        tp = tp.loc[tp["campaign_id"].notna(), ["contact_id", "occurred_at"]].rename(columns={"contact_id": "person"})
        m = won[["id", "contact_id", "created_at"]].merge(person, left_on="contact_id", right_on="contact")
        m = m.merge(tp, on="person")
        sourced = m.loc[m["occurred_at"] < m["created_at"], "id"].unique()
        won = won[won["id"].isin(sourced)]
        return out(won.groupby(["month", "segment"])["amt"].sum(min_count=1), ["month", "segment", "amt"])

    # people
    @metric
    def lead_response_time(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        k = t["sla_clocks"]
        k = k[k["handoff_id"].eq(HANDOFF) & k["status"].isin(["met", "breached"]) & k["stopped_at"].notna()
              & k["stop_reason"].notna() & ~k["stop_reason"].str.startswith("closed:", na=False)
              & in_window(k["started_at"])]  # fmt: skip
        became = t["contacts"].set_index("id")["converted_contact_id"]  # a converted lead's clock: its person's
        k = k.assign(person=k["record_id"].map(became).fillna(k["record_id"]))
        k = k.merge(x["people"][["id", "segment"]], left_on="person", right_on="id", how="left")
        k = k.assign(month=month(k["started_at"]), segment=k["segment"].fillna(NONE),
                     minutes=k["elapsed_seconds"] / 60.0)  # fmt: skip
        g = k.groupby(["month", "segment"])["minutes"]
        return pd.concat([g.median().rename("median"), g.quantile(0.9).rename("p90")], axis=1).reset_index()

    @metric
    def mql_to_sql_conversion(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        p = x["people"]
        p = p[in_window(p["mql_at"])]
        reached = p["sql_at"] >= p["mql_at"]
        p = p.assign(month=month(p["mql_at"]), ever=reached,
                     soon=reached & (p["sql_at"] <= p["mql_at"] + pd.Timedelta(days=30)))  # fmt: skip
        g = p.groupby(["month", "segment"])[["ever", "soon"]].mean() * 100
        return g.reset_index()

    @metric
    def sql_to_opportunity_conversion(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        p = x["people"]
        p = p[in_window(p["sql_at"])]
        o = x["opps"]
        o = o.loc[o["account_id"].notna() & o["created_at"].notna(), ["account_id", "created_at"]]
        m = p[["id", "account_id", "sql_at"]].merge(o, on="account_id")
        first = m[m["created_at"] >= m["sql_at"]].groupby("id")["created_at"].min()
        p = p.assign(month=month(p["sql_at"]), opp_at=p["id"].map(first))
        p = p.assign(ever=p["opp_at"].notna(), soon=p["opp_at"] <= p["sql_at"] + pd.Timedelta(days=30))
        g = p.groupby(["month", "segment"])[["ever", "soon"]].mean() * 100
        return g.reset_index()

    @metric
    def stage_conversion(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        h = x["history"]
        e = h[h["ord"] <= 5].groupby(["opportunity_id", "ord"])["changed_at"].min().rename("entered_at").reset_index()
        e = e[in_window(e["entered_at"])]
        later = h.loc[h["ord"].notna() & (h["ord"] != LOST), ["opportunity_id", "ord", "changed_at"]]
        m = e.merge(later, on="opportunity_id", suffixes=("", "_next"))
        m = m[(m["ord_next"] > m["ord"]) & (m["changed_at"] >= m["entered_at"])]
        moved = pd.MultiIndex.from_frame(m[["opportunity_id", "ord"]])
        e = e.assign(moved=pd.MultiIndex.from_frame(e[["opportunity_id", "ord"]]).isin(moved))
        e = e.merge(x["opps"][["id", "segment"]], left_on="opportunity_id", right_on="id")
        e = e.assign(month=month(e["entered_at"]), stage=e["ord"].map(STAGE_ID))
        g = e.groupby(["month", "segment", "stage"])["moved"].mean() * 100
        return g.reset_index()

    @metric
    def time_in_stage(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        h = x["history"].sort_values(["opportunity_id", "changed_at", "id"])
        h = h[h["ord"].ne(h.groupby("opportunity_id")["ord"].shift(1))]  # a row repeating the stage: same stay
        h = h.assign(left_at=h.groupby("opportunity_id")["changed_at"].shift(-1))
        h = h[(h["ord"] <= 5) & in_window(h["left_at"])]
        h = h.merge(x["opps"][["id", "segment"]], left_on="opportunity_id", right_on="id")
        h = h.assign(month=month(h["left_at"]), stage=h["ord"].map(STAGE_ID),
                     days=(h["left_at"] - h["changed_at"]).dt.total_seconds() / 86400)  # fmt: skip
        g = h.groupby(["month", "segment", "stage"])["days"]
        return pd.concat([g.median().rename("median"), g.quantile(0.9).rename("p90")], axis=1).reset_index()

    @metric
    def deal_cycle_length(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        o = x["ow"]
        o = o[o["is_won"].eq(True) & o["created_at"].notna()]
        days = (o["close_date"].dt.tz_localize("UTC") - o["created_at"]).dt.total_seconds() / 86400
        return out(days.groupby([o["month"], o["segment"]]).mean().rename("v"), ["month", "segment", "v"])

    @metric
    def health_score_distribution(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        return pd.DataFrame({"month": months, "v": np.nan})  # no health scores yet: empty, as revframe says

    @metric
    def lead_source_quality(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        p = x["people"]
        p = p[in_window(p["created_at"])]
        o = x["opps"]
        o = o.loc[o["is_won"].eq(True) & o["contact_id"].notna(), ["contact_id", "created_at"]]
        m = p[["id", "created_at"]].merge(o, left_on="id", right_on="contact_id", suffixes=("", "_opp"))
        won = m.loc[m["created_at_opp"] >= m["created_at"], "id"].unique()
        p = p.assign(month=month(p["created_at"]), source=p["lead_source"].fillna(NONE), mql=p["mql_at"].notna(),
                     sql=p["sql_at"].notna(), won=p["id"].isin(won))  # fmt: skip
        g = p.groupby(["month", "segment", "source"])[["mql", "sql", "won"]].mean() * 100
        return g.reset_index()

    @metric
    def content_engagement_by_stage(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        tp = t["touchpoints"][["contact_id", "type", "occurred_at"]]
        tp = tp[in_window(tp["occurred_at"])]
        c = t["contacts"]
        tp = tp.merge(c[["id", "converted_contact_id"]], left_on="contact_id", right_on="id")
        tp = tp.assign(person=tp["converted_contact_id"].fillna(tp["id"]))
        people = x["people"][["id", "account_id", "segment", "mql_at", "sql_at"]].rename(columns={"id": "person"})
        tp = tp.merge(people, on="person")
        o = x["opps"]
        ao = pd.DataFrame({
            "won_on": o["close_date"].where(o["is_won"].eq(True)).groupby(o["account_id"]).min(),
            "opp_on": o.groupby("account_id")["created_at"].min(),
        })  # fmt: skip
        tp = tp.join(ao, on="account_id")
        at = tp["occurred_at"]
        stage = np.select(
            [tp["won_on"] <= at.dt.tz_convert(None).dt.floor("D"), tp["opp_on"] <= at, tp["sql_at"] <= at,
             tp["mql_at"] <= at],
            ["customer", "opportunity", "sql", "mql"], "lead",
        )  # fmt: skip
        tp = tp.assign(month=month(at), touch_type=tp["type"].fillna(NONE), funnel_stage=stage)
        g = tp.groupby(["month", "segment", "touch_type", "funnel_stage"])["person"].agg(["size", "nunique"])
        return out((g["size"] / g["nunique"]).rename("v"), ["month", "segment", "touch_type", "funnel_stage", "v"])

    @metric
    def rep_activity(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        a = t["activities"]
        a = a[~a["is_automated"].eq(True) & in_window(a["occurred_at"])]
        a = a.assign(month=month(a["occurred_at"]), segment=x["seg"](a["account_id"]), kind=a["type"].fillna(NONE))
        return a.groupby(["month", "segment", "kind"]).size().reset_index()

    @metric
    def onboarding_completion(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        m = t["onboarding_milestones"]
        m = m[in_window(m["due_date"])]
        due_end = m["due_date"].dt.tz_localize("UTC") + pd.Timedelta(days=1)
        m = m.assign(month=month(m["due_date"]), segment=x["seg"](m["account_id"]), done=m["completed_at"] < due_end)
        return (m.groupby(["month", "segment"])["done"].mean() * 100).reset_index()

    @metric
    def feature_adoption(t: dict[str, Any], x: dict[str, Any]) -> pd.DataFrame:
        s, u = t["subscriptions"], t["product_usage"]
        features = pd.DataFrame({"feature": u["feature"].unique()})
        used = u[in_window(u["usage_date"]) & (u["events"].fillna(1) > 0)]
        used = used.assign(month=month(used["usage_date"]))[["month", "account_id", "feature"]].drop_duplicates()
        fed = set(used["month"])
        used = used.dropna(subset=["account_id", "feature"]).assign(used=True)  # NULL never matches
        parts = []
        for p in spine:
            d = p["last_day"]
            customers = s.loc[(s["start_date"] <= d) & (s["end_date"].isna() | (s["end_date"] >= d)), "account_id"]
            parts.append(pd.DataFrame({"month": p["month"], "account_id": customers.unique()}))
        cu = pd.concat(parts, ignore_index=True).merge(features, how="cross")
        cu = cu.merge(used, on=["month", "account_id", "feature"], how="left")
        cu = cu.assign(used=cu["used"].eq(True), segment=x["seg"](cu["account_id"]),
                       feature=cu["feature"].fillna(NONE))  # fmt: skip
        g = cu.groupby(["month", "segment", "feature"])["used"].mean() * 100
        g = g.where(g.index.get_level_values("month").isin(list(fed)))  # no usage feed that month: empty
        return g.reset_index()

    return load, prep, f


# --- the sides, each in its own process ------------------------------------------------------------------------


def run_side(side: str, store_path: Path, repeat: int, all_columns: bool = False) -> dict[str, Any]:
    """Warm-up, then ``repeat`` timed runs of one side; its times, values and peak RSS."""
    spec = default_spec()
    runs: list[dict[str, Any]] = []
    values: Values = {}
    extra: dict[str, Any] = {}
    for i in range(repeat + 1):
        if side == "R":
            times, values, extra = time_revframe(store_path, spec)
        elif side == "b":
            times, values = time_sql(store_path, spec)
        else:
            times, values, extra = time_pandas(store_path, spec, sizes=i == repeat, all_columns=all_columns)
        if i:  # the first run warms up
            runs.append(times)
    return {"runs": runs, "values": values, "extra": extra,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def time_revframe(store_path: Path, spec: Any) -> tuple[dict[str, float], Values, dict[str, Any]]:
    import revframe.metrics.compute as compute

    store = readonly_store(store_path)
    per: dict[str, float] = {}
    engine: dict[str, float] = {}
    render: dict[str, float] = {}
    current = [""]
    one, pretty, query = compute._compute_one, compute.pretty, store._query

    def timed_one(store_: Any, ctx: Any, m: Any, done: Any) -> Any:
        current[0] = m.id
        t = time.perf_counter()
        try:
            return one(store_, ctx, m, done)
        finally:
            per[m.id] = per.get(m.id, 0.0) + time.perf_counter() - t
            current[0] = ""

    def timed(fn: Callable[..., Any], into: dict[str, float]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                into[current[0]] = into.get(current[0], 0.0) + time.perf_counter() - t

        return wrapper

    compute._compute_one = timed_one  # type: ignore[assignment]
    compute.pretty = timed(pretty, render)  # type: ignore[assignment]
    store._query = timed(query, engine)  # type: ignore[method-assign]
    try:
        t = time.perf_counter()
        run = compute.compute_metrics(store, spec, by=["segment"], grain="month", start=START, end=LAST_DAY,
                                      save=False)  # fmt: skip
        total = time.perf_counter() - t
    finally:
        compute._compute_one, compute.pretty = one, pretty  # type: ignore[assignment]
        store.close()
    times = {**per, **{f"{k} db": v for k, v in engine.items() if k}, "(total)": total,
             "(db)": sum(engine.values()), "(sqlglot)": sum(render.values())}  # fmt: skip
    values: Values = {}
    for r in run.rows():
        values[(r.metric_id, r.period.start.isoformat(), tuple(sorted(r.dims.items())))] = number(r.value)
    notes = {mid: res.notes for mid, res in run.results.items() if res.notes}
    return times, values, {"notes": notes, "run_notes": run.notes}


def target_per_month(spec: Any) -> float:
    """The bookings target for a month, as pipeline coverage divides by it (2,000,000 a quarter: a third)."""
    b = spec.metric("bookings")
    per = {"month": 1, "quarter": 3, "year": 12}[b.target_per or "month"]
    return float(b.target) / per


def time_sql(store_path: Path, spec: Any) -> tuple[dict[str, float], Values]:
    con = connect(store_path)
    times: dict[str, float] = {}
    rows: dict[str, list[tuple[Any, ...]]] = {}
    queries = sql_queries(target_per_month(spec))
    start = time.perf_counter()
    for mid in [m.id for m in spec.metrics]:
        t = time.perf_counter()
        rows[mid] = con.execute(queries[mid]).fetchall()
        times[mid] = time.perf_counter() - t
    times["(total)"] = time.perf_counter() - start
    con.close()
    values: Values = {}
    for mid, rs in rows.items():
        values |= to_values(mid, rs)
    return times, values


def time_pandas(
    store_path: Path, spec: Any, sizes: bool, all_columns: bool = False
) -> tuple[dict[str, float], Values, dict[str, Any]]:
    import gc

    load, prep, fns = pandas_side(all_columns)
    times: dict[str, float] = {}
    frames: dict[str, Any] = {}
    start = time.perf_counter()
    con = connect(store_path)
    tables = load(con)
    con.close()
    times["(load)"] = time.perf_counter() - start
    t = time.perf_counter()
    prepared = prep(tables)
    prepared["target"] = target_per_month(spec)
    times["(prep)"] = time.perf_counter() - t
    for mid in [m.id for m in spec.metrics]:
        t = time.perf_counter()
        frames[mid] = fns[mid](tables, prepared)
        times[mid] = time.perf_counter() - t
    times["(total)"] = time.perf_counter() - start
    values: Values = {}
    for mid, df in frames.items():
        values |= to_values(mid, list(df.itertuples(index=False, name=None)))
    extra: dict[str, Any] = {}
    if sizes:
        extra["frames_mb"] = {n: float(df.memory_usage(deep=True).sum()) / 1e6 for n, df in tables.items()}
    del tables, prepared, frames
    gc.collect()
    return times, values, extra


def measured(side: str, store_path: Path, repeat: int, all_columns: bool = False) -> dict[str, Any]:
    """Run one side in a fresh process (its peak RSS is its own); its results."""
    with tempfile.NamedTemporaryFile(suffix=".pickle") as f:
        cmd = [sys.executable, str(HERE), "--child", side, "--store", str(store_path), "--repeat", str(repeat),
               "--out", f.name] + (["--pandas-columns", "all"] if all_columns else [])  # fmt: skip
        subprocess.run(cmd, check=True)
        return dict(pickle.loads(Path(f.name).read_bytes()))


# --- comparing and reporting ------------------------------------------------------------------------------------


def agree(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def compare(ref: Values, other: Values, metric: str) -> tuple[int, int, list[str]]:
    """(values compared, mismatches, a few examples) of one metric."""
    keys = {k for k in ref if k[0] == metric} | {k for k in other if k[0] == metric}
    bad = []
    for k in sorted(keys):
        if k not in ref:
            bad.append(f"{k[1]} {dict(k[2])}: only in the baseline ({other[k]})")
        elif k not in other:
            bad.append(f"{k[1]} {dict(k[2])}: missing (revframe {ref[k]})")
        elif not agree(ref[k], other[k]):
            bad.append(f"{k[1]} {dict(k[2])}: revframe {ref[k]} vs {other[k]}")
    return len(keys), len(bad), bad[:3]


def med(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r.get(key, 0.0) for r in runs)


def best(runs: list[dict[str, float]], key: str) -> float:
    return min(r.get(key, 0.0) for r in runs)


def wait_for_quiet(limit: float, max_wait: float) -> None:
    """Wait until the 1-minute load average is below ``limit`` (the machine is shared), up to ``max_wait`` s."""
    start = time.monotonic()
    while os.getloadavg()[0] >= limit and time.monotonic() - start < max_wait:
        print(f"  load average {os.getloadavg()[0]:.2f} >= {limit}: waiting ...", flush=True)
        time.sleep(30)
    la = os.getloadavg()
    waited = time.monotonic() - start
    print(f"load average before measuring: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} (waited {waited:.0f} s)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workspace", type=Path, help="a demo workspace (built there when it holds no store)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per side, after one warm-up")
    p.add_argument("--strict", action="store_true", help="exit 1 when a baseline disagrees with revframe")
    p.add_argument("--sides", default="b,R,a", help="which sides, in this order (default: b,R,a)")
    p.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-minute load average below this")
    p.add_argument("--max-wait", type=float, default=900, help="seconds to wait for it at most")
    p.add_argument("--json", type=Path, help="also write every figure to this file")
    p.add_argument(
        "--pandas-columns",
        default="needed",
        choices=["needed", "all"],
        help="pandas reads the columns the metrics use (default), or whole tables (SELECT *)",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        warnings.filterwarnings("ignore", message="The inplace keyword")  # inside DuckDB's .df() on pandas 3
        all_columns = args.pandas_columns == "all"
        args.out.write_bytes(pickle.dumps(run_side(args.child, args.store, args.repeat, all_columns)))
        return

    spec = default_spec()
    handoff = next((h.id for h in spec.handoffs if h.trigger.event == "owner_assigned"), None)
    stages = {k: s.order for s in spec.pipeline.stages for k in {stage_key(s.id), stage_key(s.name)}}
    if (spec.company.currency, spec.company.timezone, handoff, stages) != (CURRENCY, TZ, HANDOFF, STAGE_ORDER):
        sys.exit(
            "the default spec changed (currency, time zone, handoffs or stages): update the hand-written baselines"
        )
    workspace = args.workspace or Path(tempfile.gettempdir()) / "rf-bench-metrics" / f"{args.scale}-seed{args.seed}"
    store_path = prepare(workspace, args.scale, args.seed)

    con = connect(store_path)
    print(f"store {store_path} ({store_path.stat().st_size / 1e9:.2f} GB); DuckDB {duckdb.__version__}; "
          f"{os.cpu_count()} cores; Python {sys.version.split()[0]}")  # fmt: skip
    counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in LOAD}  # type: ignore[index]
    con.close()
    print(f"metrics: {len(spec.metrics)} (the default spec), by segment, monthly {START} to {LAST_DAY} (12 months)")
    if not counts["sla_clocks"]:
        print("NOTE: sla_clocks is empty (run `revframe sla`): lead_response_time is empty on every side")

    sides = args.sides.split(",")
    wait_for_quiet(args.max_load, args.max_wait)
    results: dict[str, dict[str, Any]] = {}
    names = {"R": "revframe", "b": "hand-written DuckDB SQL", "a": "pandas"}
    runs: dict[str, list[dict[str, float]]] = {s: [] for s in sides}
    for i in range(args.repeat):  # the sides take turns, so that a busier minute does not fall on one side only
        for side in sides:
            r = measured(side, store_path, 1, args.pandas_columns == "all")
            runs[side].append(r["runs"][0])
            if side in results:
                results[side]["peak_rss_mb"] = max(results[side]["peak_rss_mb"], r["peak_rss_mb"])
            else:
                results[side] = r
        la = os.getloadavg()
        totals = ", ".join(f"{s} {runs[s][-1]['(total)']:.2f} s" for s in sides)
        print(f"  run {i + 1}/{args.repeat} (each side: a warm-up, then the timed run): {totals}; "
              f"load average {la[0]:.2f}", flush=True)  # fmt: skip

    frames_mb = results.get("a", {}).get("extra", {}).get("frames_mb", {})
    loaded = "all columns" if args.pandas_columns == "all" else "the columns the metrics use"
    print(f"\ninput tables (rows; pandas side: {loaded}, MB in memory)")
    for t in LOAD:
        cols = len(LOAD[t].split(","))
        mb = f"{frames_mb[t]:,.0f} MB" if t in frames_mb else ""
        print(f"  {t:28} {counts[t]:>12,}  {cols if args.pandas_columns == 'needed' else 'all':>3} cols  {mb:>9}")
    print(f"  {'total':28} {sum(counts.values()):>12,}")

    ids = [m.id for m in spec.metrics]
    mismatches = 0
    if "R" in results:
        ref = results["R"]["values"]
        print(f"\nagreement with revframe (relative tolerance {TOLERANCE:g}; empty = empty)")
        print(f"  {'metric':32} {'values':>7}  {'SQL (b)':>10}  {'pandas (a)':>10}")
        for mid in ids:
            cells = []
            n = sum(1 for k in ref if k[0] == mid)
            for side in ("b", "a"):
                if side not in results:
                    cells.append("-")
                    continue
                total, bad, examples = compare(ref, results[side]["values"], mid)
                mismatches += bad
                cells.append("agree" if not bad else f"{bad} DIFFER")
                for e in examples:
                    print(f"    !! {mid} ({names[side]}): {e}")
            empty = sum(1 for k in ref if k[0] == mid and ref[k] is None)
            print(f"  {mid:32} {n:>7}  {cells[0]:>10}  {cells[1]:>10}" + (f"  ({empty} empty)" if empty else ""))
        for mid, notes in results["R"]["extra"]["notes"].items():
            print(f"  note {mid}: {'; '.join(notes)}")
        if mismatches:
            print(f"\n!!! {mismatches} VALUES DISAGREE WITH REVFRAME: the times below compare unlike things !!!")

    print(f"\nseconds per metric (median of {args.repeat} runs after a warm-up; R: DuckDB time in brackets)")
    print(f"  {'metric':32} {'R':>16} {'b':>8} {'a':>8} {'R/b':>6} {'a/R':>6}")
    for mid in ["(load)", "(prep)", *ids]:
        r = med(runs["R"], mid) if "R" in runs and mid in runs["R"][0] else None
        b = med(runs["b"], mid) if "b" in runs and mid in runs["b"][0] else None
        a = med(runs["a"], mid) if "a" in runs and mid in runs["a"][0] else None
        rs = f"{r:8.3f} ({med(runs['R'], mid + ' db'):5.2f})" if r is not None else "-"
        cells = [f"{v:8.3f}" if v is not None else "-" for v in (b, a)]
        rb = f"{r / b:6.2f}" if r is not None and b else ""
        ar = f"{a / r:6.1f}" if r and a is not None else ""
        print(f"  {mid:32} {rs:>16} {cells[0]:>8} {cells[1]:>8} {rb:>6} {ar:>6}")

    summary: dict[str, Any] = {"counts": counts, "frames_mb": frames_mb, "mismatches": mismatches,
                               "load_average": os.getloadavg(), "repeat": args.repeat, "sides": {}}  # fmt: skip
    print("\ntotals (seconds)")
    for s in results:
        tot = [r["(total)"] for r in runs[s]]
        summary["sides"][s] = {"best": min(tot), "median": statistics.median(tot), "runs": tot,
                               "peak_rss_mb": results[s]["peak_rss_mb"]}  # fmt: skip
        print(f"  {names[s]:24} best {min(tot):8.2f}  median {statistics.median(tot):8.2f}  "
              f"runs {', '.join(f'{x:.2f}' for x in tot)}  peak RSS {results[s]['peak_rss_mb']:,.0f} MB")  # fmt: skip
    if "R" in results:
        render, engine = med(runs["R"], "(sqlglot)"), med(runs["R"], "(db)")
        print(f"  revframe (median): {engine:.2f} s in DuckDB, {render:.2f} s laying out SQL for --explain (sqlglot)")
    if {"R", "b"} <= set(results):
        for how in ("best", "median"):
            rb = summary["sides"]["R"][how] / summary["sides"]["b"][how]
            print(f"  R/b ({how}): {rb:.2f}  target <= {TARGET_RB}: {'PASS' if rb <= TARGET_RB else 'MISSED'}")
            summary[f"R/b {how}"] = rb
    if {"R", "a"} <= set(results):
        for how in ("best", "median"):
            ar = summary["sides"]["a"][how] / summary["sides"]["R"][how]
            print(f"  a/R ({how}): {ar:.1f}  target >= {TARGET_AR}: {'PASS' if ar >= TARGET_AR else 'MISSED'}")
            summary[f"a/R {how}"] = ar
    la = os.getloadavg()
    print(f"load average after: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}")
    if args.json:
        summary["per_metric"] = {s: {k: med(runs[s], k) for k in runs[s][0]} for s in runs}
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    if mismatches and args.strict:
        sys.exit(1)


def stage_key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


if __name__ == "__main__":
    main()
