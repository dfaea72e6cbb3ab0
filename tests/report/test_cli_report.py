"""`revframe report` as users run it: exit codes, where it writes, what --format json says, on real stores.

The real path runs the metrics engine on a small demo company: its Salesforce exports (users,
rates, accounts, people, opportunities and their history, tasks) and billing ingested, SLA clocks
run and a quality scan made, as a user would before a review.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from revframe.cli import _output, main
from revframe.workspace import Workspace

pytestmark = pytest.mark.xdist_group("report_company")  # one worker builds the company once
AS_OF = "2026-09-30"  # the demo company's last day
LOADS = {"User.csv", "DatedConversionRate.csv", "Account.csv", "Contact.csv", "Lead.csv", "Opportunity.csv",
         "OpportunityHistory.csv", "Task.csv", "subscriptions.csv"}  # fmt: skip


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, f"exit {self.code}: {self.err}"
        return json.loads(self.out)


def revframe(*args: str | Path) -> Run:
    """Run ``revframe ARGS...`` through ``revframe.cli.main`` in this process (exit code as main() maps it)."""
    out, err = io.StringIO(), io.StringIO()
    environ = {k: v for k, v in os.environ.items() if k != "REVFRAME_STORE"} | {"COLUMNS": "200"}
    with (
        mock.patch.dict(os.environ, environ, clear=True),
        mock.patch.object(sys, "argv", ["revframe", *map(str, args)]),
        mock.patch.object(_output.console, "_width", 200),
        mock.patch.object(_output.err_console, "_width", 200),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as exited,
    ):
        main()
    code = exited.value.code
    return Run(code if isinstance(code, int) else 0 if code is None else 1, out.getvalue(), err.getvalue())


@pytest.fixture
def empty_ws(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    Workspace.init(root)
    return root


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding a small demo company's exports, its SLA clocks and a quality scan."""
    from revframe.demo.generator import generate_company
    from revframe.process.sla import run_sla
    from revframe.quality.scan import scan

    base = tmp_path_factory.mktemp("report-company")
    ws = Workspace.init(base / "northwind")
    files = generate_company(base / "exports", "small", 3)
    for load in files.loads:
        if load.path.name in LOADS:
            ws.ingest([load.path], load.mapping, object_name=load.object)
    run_sla(ws.store, ws.spec, as_of=AS_OF, deliver=False)
    scan(ws.store, ws.spec, as_of=AS_OF)
    ws.store.close()
    return ws.root


# --- bad input -------------------------------------------------------------------------------------------
def test_an_unknown_cadence_exits_2_with_the_cadences(empty_ws: Path) -> None:
    r = revframe("-w", empty_ws, "report", "fortnightly")
    assert r.code == 2
    assert "cadence 'fortnightly'" in r.err
    for word in ("weekly (weekly_revops_review)", "monthly (monthly_business_review)", "annual (annual_planning)"):
        assert word in r.err
    assert not list((empty_ws / "reports").glob("*.html"))  # nothing written


def test_a_bad_as_of_exits_2_saying_how_to_write_it(empty_ws: Path) -> None:
    r = revframe("-w", empty_ws, "report", "monthly", "--as-of", "30/09/2026")
    assert r.code == 2 and "--as-of '30/09/2026'" in r.err and "YYYY-MM-DD" in r.err


def test_a_folder_without_a_spec_exits_2(tmp_path: Path) -> None:
    r = revframe("-w", tmp_path, "report", "monthly")
    assert r.code == 2 and "revframe init" in r.err


# --- an empty store ---------------------------------------------------------------------------------------
def test_an_empty_store_still_gets_its_report_with_no_data_sections(empty_ws: Path) -> None:
    r = revframe("-w", empty_ws, "--format", "json", "report", "quarterly", "--as-of", "2026-10-01")
    out = r.json()
    html = Path(out["html"])
    # the default spec's fiscal year starts in February: on 30 September the last complete quarter is May-July
    assert html == empty_ws / "reports" / "quarterly_leadership_review-FY2027-Q2.html" and html.is_file()
    assert out["period"] == "FY2027-Q2" and out["prior_period"] == "FY2027-Q1" and out["pdf"] is None
    assert not any(s["has_data"] for s in out["sections"])
    assert {m["metric"] for m in out["metrics"]} == {"pipeline_coverage", "net_revenue_retention", "win_rate",
                                                     "lead_source_quality"}  # fmt: skip
    assert all(m["value"] is None and m["shown"] == "—" for m in out["metrics"])
    text = html.read_text("utf-8")
    assert "No quality scan yet" in text and "No SLA clocks in the store yet" in text


def test_the_table_output_lists_sections_and_the_file(empty_ws: Path) -> None:
    r = revframe("-w", empty_ws, "report", "weekly_revops_review", "--as-of", "2026-09-30")
    assert r.code == 0, r.err
    assert "Weekly RevOps review: Week 39, 2026 (21–27 Sep)" in r.out
    assert "weekly_revops_review-2026-W39.html" in r.out and "Funnel and conversions" in r.out


# --- a real store -----------------------------------------------------------------------------------------
def test_the_monthly_report_of_a_company(company: Path) -> None:
    out = revframe("-w", company, "--format", "json", "report", "monthly", "--as-of", AS_OF, "--pdf").json()
    sections = {s["id"]: s for s in out["sections"]}
    for sid in ("tier1", "funnel", "pipeline", "arr", "cycle", "response", "quality", "other"):
        assert sections[sid]["has_data"], sections[sid]
    assert sections["arr"]["charts"] == 1 and sections["response"]["charts"] == 2  # response time and SLA
    html = Path(out["html"]).read_text("utf-8")
    assert Path(out["html"]) == company / "reports" / "monthly_business_review-2026-09.html"
    assert Path(out["pdf"]).read_bytes().startswith(b"%PDF-")
    assert "http://" not in html and "https://" not in html and "<script" not in html
    metrics = {m["metric"]: m for m in out["metrics"]}
    assert metrics["arr"]["value"] > 0 and metrics["arr"]["shown"].startswith("USD ")
    assert metrics["win_rate"]["shown"].endswith("%")
    for m in out["metrics"]:  # every empty value says why
        assert m["value"] is not None or m["shown"] != "—" or m["note"], m
    pipeline = html.split('<section id="pipeline"')[1].split("</section>")[0]
    assert re.search(r'class="value">\d+\.\dx<', pipeline)  # coverage of the next period, as a ratio
    assert metrics["arr_waterfall"]["shown"] == "by component"  # its own section shows it
    assert out["rates"] and {r["currency"] for r in out["rates"]} >= {"EUR", "GBP"}
    assert "EUR" in html.split("<footer>")[1]  # the exchange rates used, in the footer
    assert len(out["runs"]) == 4  # all metrics; deal cycle by segment; next period: pipeline, and by stage


def test_out_and_store_options(company: Path, tmp_path: Path) -> None:
    target = tmp_path / "mail" / "mbr.html"
    url = f"duckdb://{company / '.revframe' / 'store.duckdb'}"
    r = revframe("-w", company, "--store", url, "--format", "json", "report", "annual", "--as-of", AS_OF,
                 "--out", target)  # fmt: skip
    out = r.json()
    assert out["html"] == str(target) and target.is_file() and out["period"] == "FY2026"  # Feb 2025-Jan 2026
    charter = os.path.relpath(company / "reports" / "charter.html", target.parent)
    assert f'href="{charter}"' in target.read_text("utf-8")  # the definitions link still finds the charter
