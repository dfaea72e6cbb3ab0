"""The command line as users run it: exit codes through ``revframe.cli.main``, messages, JSON/CSV, docs.

Most cases run ``main()`` in-process with ``sys.argv`` patched (fast, and the exit code is the one
``main()``'s error mapping produces); the demo runs once through the installed ``revframe`` script.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import click
import pytest

from revframe.cli import _output, main
from revframe.store import open_store
from tests.conftest import PG_URL, drop, write

REPO = Path(__file__).resolve().parents[2]
REVFRAME = Path(sys.executable).with_name("revframe")  # the console script users run
UNREACHABLE_PG = "postgresql://postgres@127.0.0.1:1/test"  # nothing listens on port 1

# A Salesforce Contact export: two good rows and one whose CreatedDate cannot be read (quarantined).
CONTACTS = """Id,FirstName,LastName,Email,AccountId,CreatedDate,LastModifiedDate
003C1,Ada,Lovelace,ada@analytical.io,001X,2025-01-02T10:00:00Z,2025-01-02T10:00:00Z
003C2,Grace,Hopper,grace@navy.mil,,2025-01-03T10:00:00Z,2025-01-03T10:00:00Z
003C3,Alan,Turing,alan@bletchley.org,,not-a-date,2025-01-04T10:00:00Z
"""
CONTACT_ROWS = CONTACTS.count("\n") - 1


# --- running the CLI -------------------------------------------------------------------------------
@dataclass
class Run:
    """What one ``revframe`` invocation did: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, f"exit {self.code}: {self.err}"
        return json.loads(self.out)


def revframe(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    """Run ``revframe ARGS...`` through ``revframe.cli.main`` in this process, as the console script does.

    ``REVFRAME_STORE`` is unset unless ``env`` sets it, so the developer's environment cannot leak in.
    """
    out, err = io.StringIO(), io.StringIO()
    environ = {k: v for k, v in os.environ.items() if k != "REVFRAME_STORE"} | {"COLUMNS": "250"} | (env or {})
    with (
        mock.patch.dict(os.environ, environ, clear=True),
        mock.patch.object(sys, "argv", ["revframe", *map(str, args)]),
        mock.patch.object(_output.console, "_width", 250),  # rich fixes the width at import if COLUMNS is set
        mock.patch.object(_output.err_console, "_width", 250),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as exited,  # main() always ends with sys.exit(code)
    ):
        main()
    code = exited.value.code
    return Run(code if isinstance(code, int) else 0 if code is None else 1, out.getvalue(), err.getvalue())


def revframe_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the installed ``revframe`` console script (end to end)."""
    assert REVFRAME.exists(), f"{REVFRAME}: console script missing; run scripts/setup"
    env = {k: v for k, v in os.environ.items() if k != "REVFRAME_STORE"} | {"COLUMNS": "250"}
    return subprocess.run(
        [str(REVFRAME), *map(str, args)], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A fresh workspace made by ``revframe init``."""
    root = tmp_path / "acme-revops"
    r = revframe("init", root)
    assert r.code == 0, r.err
    return root


@pytest.fixture
def contacts_csv(tmp_path: Path) -> Path:
    return write(tmp_path / "exports" / "Contact.csv", CONTACTS)


def table_rows(status: dict[str, Any]) -> dict[str, int]:
    return {t["table"]: t["rows"] for t in status["tables"]}


# --- every command is documented ------------------------------------------------------------------
def _load_cli_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_docs", REPO / "scripts" / "cli_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cli_docs() -> ModuleType:
    return _load_cli_docs()


def test_every_command_has_help_and_is_documented(cli_docs: ModuleType) -> None:
    commands = list(cli_docs.walk())
    names = {" ".join(path) for path, _ in commands}
    assert {"init", "validate", "ingest", "status", "demo", "framework", "framework doc"} <= names
    docs = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for path, cmd in commands:
        title = " ".join(["revframe", *path])
        assert (cmd.help or "").strip(), f"`{title}` has no help text: give it a docstring"
        assert f"\n## {title}\n" in docs, f"`{title}` is missing from docs/cli.md; run scripts/cli_docs.py"
        for param in cmd.params:
            if isinstance(param, click.Option | click.Argument) and param.name != "help":
                assert (getattr(param, "help", None) or "").strip(), f"`{title}` {param.name}: no help text"


def test_cli_reference_is_up_to_date(cli_docs: ModuleType) -> None:
    assert cli_docs.check() is None, cli_docs.check()


def test_cli_docs_check_fails_on_a_stale_reference(cli_docs: ModuleType, tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    assert cli_docs.main(["--out", str(stale)]) == 0
    assert cli_docs.main(["--check", "--out", str(stale)]) == 0
    stale.write_text(stale.read_text(encoding="utf-8").replace("Show this message", "Show a message"), "utf-8")
    with contextlib.redirect_stderr(io.StringIO()) as err:
        assert cli_docs.main(["--check", "--out", str(stale)]) == 1
    assert str(stale) in err.getvalue() and "scripts/cli_docs.py" in err.getvalue()


def test_help_exits_0_for_every_command(cli_docs: ModuleType) -> None:
    for path, _ in cli_docs.walk():
        r = revframe(*path, "--help")
        assert r.code == 0, (path, r.err)
        assert f"revframe {' '.join(path)}".strip() in r.out


# --- init and validate ----------------------------------------------------------------------------
def test_init_then_validate(tmp_path: Path) -> None:
    root = tmp_path / "acme"
    r = revframe("init", root)
    assert r.code == 0, r.err
    assert (root / "revframe.yaml").is_file() and "validate" in r.out
    r = revframe("-w", root, "validate")
    assert r.code == 0, r.err
    assert "valid" in r.out


def test_init_twice_is_refused_naming_the_file_and_force(ws: Path) -> None:
    (ws / "revframe.yaml").write_text("# my edits\n" + (ws / "revframe.yaml").read_text("utf-8"), "utf-8")
    r = revframe("init", ws)
    assert r.code == 2
    assert str(ws / "revframe.yaml") in r.err and "--force" in r.err
    assert (ws / "revframe.yaml").read_text("utf-8").startswith("# my edits")  # untouched
    assert revframe("init", ws, "--force").code == 0
    assert not (ws / "revframe.yaml").read_text("utf-8").startswith("# my edits")


def test_yaml_syntax_error_names_file_and_line(ws: Path) -> None:
    spec = ws / "revframe.yaml"
    text = spec.read_text("utf-8") + "lifecycle:\n  stages: [oops\n"
    spec.write_text(text, "utf-8")
    r = revframe("-w", ws, "validate")
    assert r.code == 2
    assert f"revframe.yaml:{text.count(chr(10))}:" in r.err  # the line of the unclosed list
    assert "]" in r.err  # the fix: close the list


def test_wrong_type_names_file_line_and_column(ws: Path) -> None:
    spec = ws / "revframe.yaml"
    lines = spec.read_text("utf-8").splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if line.startswith("  fit_weight: "))
    lines[i] = lines[i].replace("fit_weight: 50", "fit_weight: lots", 1)
    assert "lots" in lines[i]
    spec.write_text("".join(lines), "utf-8")
    r = revframe("-w", ws, "validate")
    assert r.code == 2
    assert f"{spec}:{i + 1}:{lines[i].index('lots') + 1}:" in r.err
    assert "fit_weight" in r.err and "number" in r.err


# --- bad input: exit 2 with the fix ---------------------------------------------------------------
def test_ingest_of_a_missing_file(ws: Path, tmp_path: Path) -> None:
    missing = tmp_path / "exports" / "Nope.csv"
    r = revframe("-w", ws, "ingest", missing, "--mapping", "salesforce")
    assert r.code == 2
    assert "Nope.csv" in r.err


def test_ingest_with_an_unknown_mapping(ws: Path, contacts_csv: Path) -> None:
    r = revframe("-w", ws, "ingest", contacts_csv, "--mapping", "pipedrive")
    assert r.code == 2
    assert "pipedrive" in r.err and "hubspot" in r.err and "salesforce" in r.err


def test_unknown_option_is_bad_usage(ws: Path) -> None:
    r = revframe("-w", ws, "validate", "--strict")
    assert r.code == 2
    assert "--strict" in r.err


NO_SPEC_COMMANDS = {
    "validate": ["validate"],
    "framework doc": ["framework", "doc"],
    "ingest": ["ingest", "{csv}", "--mapping", "salesforce"],
    "status": ["status"],
}


def _run_without_spec(name: str, tmp_path: Path, contacts_csv: Path) -> tuple[Path, Run]:
    empty = tmp_path / "not-a-workspace"
    empty.mkdir()
    args = [str(contacts_csv) if a == "{csv}" else a for a in NO_SPEC_COMMANDS[name]]
    return empty, revframe("-w", empty, *args)


@pytest.mark.parametrize("name", list(NO_SPEC_COMMANDS))
def test_a_folder_without_a_spec_says_run_init(name: str, tmp_path: Path, contacts_csv: Path) -> None:
    empty, r = _run_without_spec(name, tmp_path, contacts_csv)
    assert r.code == 2, r.out
    assert str(empty / "revframe.yaml") in r.err and "revframe init" in r.err


@pytest.mark.parametrize(
    "name",
    list(NO_SPEC_COMMANDS),
)
def test_a_folder_without_a_spec_is_left_untouched(name: str, tmp_path: Path, contacts_csv: Path) -> None:
    empty, _ = _run_without_spec(name, tmp_path, contacts_csv)
    assert sorted(p.name for p in empty.iterdir()) == []


# --- machine-readable output ----------------------------------------------------------------------
def test_json_output_of_init_and_validate(tmp_path: Path) -> None:
    root = tmp_path / "acme"
    init = revframe("--format", "json", "init", root).json()
    assert Path(init["spec"]) == root / "revframe.yaml" and Path(init["workspace"]) == root
    assert init["store"].startswith("duckdb://")
    valid = revframe("-w", root, "--format", "json", "validate").json()
    assert valid["valid"] is True and valid["problems"] == []
    assert Path(valid["spec"]) == root / "revframe.yaml" and valid["version"]


def test_json_output_of_ingest_and_status(ws: Path, contacts_csv: Path) -> None:
    r = revframe("-w", ws, "--format", "json", "ingest", contacts_csv, "--mapping", "salesforce")
    summary = r.json()
    read, loaded, quarantined = (summary[k] for k in ("rows_read", "rows_loaded", "rows_quarantined"))
    assert read == CONTACT_ROWS and read == loaded + quarantined and quarantined >= 1
    assert [Path(f["file"]).name for f in summary["files"]] == ["Contact.csv"]

    status = revframe("-w", ws, "--format", "json", "status").json()
    assert isinstance(status["tables"], list)
    assert table_rows(status)["contacts"] == loaded
    assert table_rows(status)["quarantine"] == quarantined
    assert status["last_ingests"][0]["run_id"] == summary["run_id"]
    assert sum(q["rows"] for q in status["quarantine"]) == quarantined


def test_csv_output_of_status(ws: Path, contacts_csv: Path) -> None:
    assert revframe("-w", ws, "ingest", contacts_csv, "--mapping", "salesforce").code == 0
    r = revframe("-w", ws, "--format", "csv", "status")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    want = table_rows(revframe("-w", ws, "--format", "json", "status").json())
    assert rows and list(rows[0]) == ["table", "rows"]  # the header
    assert {row["table"]: int(row["rows"]) for row in rows} == want


def test_framework_doc_writes_the_charter(ws: Path) -> None:
    r = revframe("-w", ws, "--format", "json", "framework", "doc")
    written = r.json()["written"]
    assert sorted(Path(p) for p in written) == [ws / "reports" / "charter.html", ws / "reports" / "charter.md"]
    md = (ws / "reports" / "charter.md").read_text("utf-8")
    html = (ws / "reports" / "charter.html").read_text("utf-8")
    assert md.strip() and "<html" in html.lower()
    version = revframe("-w", ws, "--format", "json", "validate").json()["version"]
    assert r.json()["version"] == version


# --- choosing the store ---------------------------------------------------------------------------
@pytest.fixture
def pg_url() -> Iterator[str]:
    url = f"{PG_URL}?schema=rf_cli_{uuid.uuid4().hex[:10]}"
    yield url
    drop(open_store(url))  # drops the schema


@pytest.mark.postgres
def test_store_option_selects_postgres(ws: Path, contacts_csv: Path, pg_url: str) -> None:
    summary = revframe("-w", ws, "--store", pg_url, "--format", "json", "ingest", contacts_csv, "-m", "salesforce")
    loaded = summary.json()["rows_loaded"]
    status = revframe("-w", ws, "--store", pg_url, "--format", "json", "status").json()
    assert status["store"] == pg_url
    assert table_rows(status)["contacts"] == loaded > 0
    store = open_store(pg_url)  # the rows are really in that schema...
    try:
        assert store.row_counts()["contacts"] == loaded
    finally:
        store.close()
    assert not (ws / ".revframe" / "store.duckdb").exists()  # ...and not in the workspace's DuckDB file


@pytest.mark.postgres
def test_env_var_selects_the_store_and_the_option_wins(ws: Path, contacts_csv: Path, pg_url: str) -> None:
    env = {"REVFRAME_STORE": pg_url}
    loaded = revframe("-w", ws, "--format", "json", "ingest", contacts_csv, "-m", "salesforce", env=env).json()
    status = revframe("-w", ws, "--format", "json", "status", env=env).json()
    assert status["store"] == pg_url
    assert table_rows(status)["contacts"] == loaded["rows_loaded"] > 0
    duck = f"duckdb://{ws / 'other.duckdb'}"
    status = revframe("-w", ws, "--store", duck, "--format", "json", "status", env=env).json()
    assert status["store"] == duck and table_rows(status)["contacts"] == 0


def test_an_unreachable_store_is_a_failed_run(ws: Path) -> None:
    r = revframe("-w", ws, "--store", UNREACHABLE_PG, "status")
    assert r.code == 1
    assert UNREACHABLE_PG in r.err and "PostgreSQL" in r.err
    assert "Traceback" not in r.err


def test_an_unknown_store_url_is_bad_usage(ws: Path) -> None:
    r = revframe("-w", ws, "--store", "mysql://localhost/crm", "status")
    assert r.code == 2
    assert "mysql://localhost/crm" in r.err and "duckdb://" in r.err


# --- the demo: once through the console script, then again to prove re-ingesting inserts nothing -----
ONE_DEMO_WORKER = pytest.mark.xdist_group("cli_demo")  # with --dist loadgroup, the demo runs on one worker


@dataclass
class DemoRuns:
    root: Path
    first: subprocess.CompletedProcess[str]
    status_after_first: Run
    second: Run
    status_after_second: Run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRuns:
    root = tmp_path_factory.mktemp("demo") / "northwind"  # does not exist yet
    first = revframe_script("-w", root, "demo", "--scale", "small", "--seed", "3")
    after_first = revframe("-w", root, "--format", "json", "status")
    second = revframe("-w", root, "--format", "json", "demo", "--scale", "small", "--seed", "3")
    after_second = revframe("-w", root, "--format", "json", "status")
    return DemoRuns(root, first, after_first, second, after_second)


@ONE_DEMO_WORKER
def test_demo_creates_a_workspace_and_a_report(demo: DemoRuns) -> None:
    assert demo.first.returncode == 0, demo.first.stderr
    assert (demo.root / "revframe.yaml").is_file()
    assert "Created workspace" in demo.first.stdout
    company = demo.second.json()["company"]
    assert company and company in demo.first.stdout
    report = demo.root / "reports" / "demo.html"
    assert report.is_file() and company in report.read_text("utf-8")
    assert table_rows(demo.status_after_first.json())["contacts"] > 5_000


@ONE_DEMO_WORKER
def test_demo_json_accounts_for_every_row(demo: DemoRuns) -> None:
    result = demo.second.json()
    assert result["ingests"]
    for i in result["ingests"]:
        assert i["read"] == i["loaded"] + i["quarantined"], i
    assert Path(result["report"]) == demo.root / "reports" / "demo.html"
    assert {t["table"]: t["rows"] for t in result["tables"]}["contacts"] == table_rows(demo.status_after_second.json())[
        "contacts"
    ]


@ONE_DEMO_WORKER
def test_running_the_demo_again_inserts_nothing(demo: DemoRuns) -> None:
    ingests = demo.second.json()["ingests"]
    assert ingests and sum(i["unchanged"] for i in ingests) > 0
    for i in ingests:  # rows of records the first run merged away stay merged away
        assert (i["inserted"], i["updated"], i["unchanged"] + i["merged_away"]) == (0, 0, i["loaded"]), i
    assert sum(i["merged_away"] for i in ingests) > 0
    before, after = table_rows(demo.status_after_first.json()), table_rows(demo.status_after_second.json())
    # each run appends its ingest runs, scans, matches, scores and metric values; nothing else may change (no
    # second dedupe or merge, no second routing of a record already routed, no second clock for a handoff)
    appended = (
        "ingest_runs", "quarantine", "schema_migrations", "quality_scans", "quality_issues", "quality_scores",
        "lead_scores", "metric_values", "attribution_runs", "attribution_credits",
    )  # fmt: skip
    # routing tries the fallback queue again (nobody is assigned twice: test_demo_runs_the_process_engines)
    data_tables = [t for t in before if t not in (*appended, "account_matches", "routing_decisions")]
    assert {t: after[t] for t in data_tables} == {t: before[t] for t in data_tables}
    retried = demo.second.json()["process"]["routing"]["routed"]
    assert after["routing_decisions"] - before["routing_decisions"] == retried
    assert before["merges"] > 0 and before["dedupe_runs"] == 2
    assert after["metric_values"] == 2 * before["metric_values"] > 0  # one more run, the same values


@ONE_DEMO_WORKER
def test_demo_runs_the_process_engines(demo: DemoRuns) -> None:
    for title in ("Process", "Lifecycle stages", "Routing by rule", "Handoff SLAs", "Breaches by team"):
        assert title in demo.first.stdout, title
    html = (demo.root / "reports" / "demo.html").read_text("utf-8")
    assert "<h2>Process</h2>" in html and "Breaches by team" in html and "Why this rep?" in html
    p = demo.second.json()["process"]
    assert p["scoring"]["people"] > 0 and sum(g["people"] for g in p["scoring"]["grades"]) == p["scoring"]["people"]
    # the second run tries only the fallback queue again (the reps are still full): nobody is assigned twice
    assert p["routing"]["routed"] == p["routing"]["queued"] and p["routing"]["assigned"] == 0
    from revframe import Workspace

    ws = Workspace(demo.root)
    twice = ws.store.query(
        "SELECT count(*) FROM (SELECT contact_id FROM routing_decisions WHERE assigned_to IS NOT NULL "
        "GROUP BY contact_id HAVING count(*) > 1) AS t"
    )[0][0]
    ws.close()
    assert twice == 0
    handoffs = {h["handoff"]: h for h in p["sla"]["handoffs"]}
    m2s = handoffs["marketing_to_sales"]
    assert m2s["clocks"] == m2s["met"] + m2s["breached"] + m2s["open"] + m2s["paused"] + m2s["reassigned"]
    judged = m2s["met"] + m2s["breached"]
    assert m2s["compliance_pct"] == round(100 * m2s["met"] / judged, 1)
    assert {t["team"] for t in p["sla"]["by_team"]} >= {"sales_development"}


@ONE_DEMO_WORKER
def test_demo_runs_the_quality_engines(demo: DemoRuns) -> None:
    for title in (
        "Data quality",
        "Scorecard",
        "after merge",
        "Duplicates found, scored against the ground truth",
        "Merges",
    ):
        assert title in demo.first.stdout, title
    html = (demo.root / "reports" / "demo.html").read_text("utf-8")
    assert "<h2>Data quality</h2>" in html and "Duplicates against the ground truth" in html
    q = demo.second.json()["quality"]
    assert {"contacts", "accounts", "opportunities"} <= {r["object"] for r in q["scorecard"]}
    scores = {r["object"]: r for r in q["scorecard"]}
    assert scores["contacts"]["completeness"] > 0.9 and scores["contacts"]["validity"] < 1
    assert scores["contacts"]["duplicate_rate"] < 0.01  # scanned after the first run's merges
    assert q["issues_by_rule"] and q["scan"]["issues"] > 0
    # the second run keeps the first run's merges and scores the first run's clusters against the truth
    assert q["note"] and "merges" in q["note"] and q["merges"]["merged_this_run"] == 0
    for d in q["duplicates"]:
        assert d["f1"] >= 0.97 and d["cluster_f1"] >= 0.97, d
        assert d["clusters"] > 100 and d["auto_merge"] + d["review"] == d["clusters"], d
    merged = {m["object"]: m for m in q["merges"]["by_object"]}
    for obj in ("contacts", "accounts"):
        assert (
            merged[obj]["merged_clusters"] > 0 and merged[obj]["records_merged_away"] >= merged[obj]["merged_clusters"]
        )
    assert sum(m["keys_moved"] for m in merged.values()) > 0
    t = q["matches"]
    assert t["matched"] > 0 and t["matched"] + t["unmatched"] == t["people_without_account"]
    assert sum(b["matches"] for b in t["by_method"]) == t["matched"] and t["examples"]


def test_a_damaged_store_is_a_failed_run_with_a_way_out(ws: Path) -> None:
    (ws / ".revframe").mkdir(exist_ok=True)
    (ws / ".revframe" / "store.duckdb").write_text("not a database")
    r = revframe("-w", ws, "status")
    assert r.code == 1
    assert "store.duckdb" in r.err and "--store" in r.err


def test_ids_that_look_like_emoji_codes_are_printed_as_they_are(tmp_path: Path) -> None:
    ws = tmp_path / "acme"
    assert revframe("init", ws).code == 0
    r = revframe("-w", ws, "quality", "unmerge", "crm:zzz:1", "--as", "revops_lead")
    assert "crm:zzz:1" in r.out + r.err and "💤" not in r.out + r.err
