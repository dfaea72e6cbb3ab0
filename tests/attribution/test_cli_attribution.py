"""`revframe attribution` as users run it: path files in, credits out (table, JSON, CSV), explain, spend, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from revframe.store import open_store
from tests.attribution.stores import plant
from tests.cli.test_cli import revframe

PATHS = "path;total_conversions;total_conversion_value;total_null\nemail>paid search;1;100;0\npaid search;1;0;2\n"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attr") / "acme"
    assert revframe("init", root).code == 0
    store = open_store(f"duckdb://{root / '.revframe' / 'store.duckdb'}")
    try:
        store.migrate()
        plant(store)
    finally:
        store.close()
    return root


def test_path_file_json(tmp_path: Path) -> None:
    f = tmp_path / "paths.csv"
    f.write_text(PATHS)
    r = revframe("-w", tmp_path, "attribution", "--paths", f, "--model", "first,linear", "--format", "json")
    assert r.code == 0, r.err
    got = {(x["model"], x["channel"]): (x["conversions"], x["revenue"]) for x in json.loads(r.out)}
    # first: email 1 (100), paid search 1; linear: email 1/2 (50), paid search 1 1/2 (50)
    assert got == {("first", "email"): (1, 100), ("first", "paid search"): (1, 0),
                   ("linear", "email"): (0.5, 50), ("linear", "paid search"): (1.5, 50)}  # fmt: skip


def test_path_file_csv_with_the_global_option(tmp_path: Path) -> None:
    f = tmp_path / "paths.csv"
    f.write_text(PATHS)
    r = revframe("-w", tmp_path, "--format", "csv", "attribution", "--paths", f, "--model", "all")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert {x["model"] for x in rows} == {"first", "last", "linear", "time_decay", "u_shaped", "w_shaped",
                                          "full_path", "markov", "shapley"}  # fmt: skip
    for model in {x["model"] for x in rows}:  # every model credits the 2 conversions and 100 of revenue
        assert sum(float(x["conversions"]) for x in rows if x["model"] == model) == pytest.approx(2)
        assert sum(float(x["revenue"]) for x in rows if x["model"] == model) == pytest.approx(100)


def test_bad_path_file_is_exit_2_naming_the_line(tmp_path: Path) -> None:
    f = tmp_path / "paths.csv"
    f.write_text(PATHS + "email;-4;0;0\n")
    r = revframe("-w", tmp_path, "attribution", "--paths", f)
    assert r.code == 2 and "paths.csv:4: total_conversions -4 is negative" in r.err


def test_store_run_table(ws: Path) -> None:
    r = revframe("-w", ws, "attribution", "--conversion", "opportunity_created", "--model", "all")
    assert r.code == 0, r.err
    assert "3 opportunity_created conversion(s) on duckdb, account journeys" in r.out
    assert "Conversions credited by channel, per model" in r.out and "(unattributed)" in r.out
    assert "markov (order 1): P(conversion)" in r.out
    assert "1 of 3 conversions have no eligible touch" in r.out


def test_export_paths(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "journeys.csv"
    r = revframe("-w", ws, "attribution", "--model", "last", "--export-paths", out, "--no-save")
    assert r.code == 0, r.err
    assert out.read_text().splitlines() == [
        "path;total_conversions;total_conversion_value;total_null",
        "email;0.0;0.0;1.0",
        "email>paid-search>webinar;2.0;6250.0;0.0",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "markof"), "--model markof: did you mean 'markov'?"),
        (("--conversion", "demo"), "--conversion demo: not in the spec's attribution.conversions"),
        (("--by", "region"), "--by region: use channel or campaign"),
        (("--order", "5"), "--order 5: Markov order is 1 to 4"),
    ],
)
def test_bad_usage_is_exit_2(ws: Path, args: tuple[str, ...], message: str) -> None:
    r = revframe("-w", ws, "attribution", *args)
    assert r.code == 2 and message in r.err, r.err


def test_explain(ws: Path) -> None:
    r = revframe("-w", ws, "attribution", "explain", "crm:o1", "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert [x["channel"] for x in rows] == ["email", "paid-search", "webinar"]
    assert [x["first"] for x in rows] == ["100.0%", "0.0%", "0.0%"]
    r = revframe("-w", ws, "attribution", "explain", "crm:o1")
    assert r.code == 0 and "won revenue 6,250" in r.out and "u_shaped: first 40%" in r.out
    r = revframe("-w", ws, "attribution", "explain", "crm:nope")
    assert r.code == 2 and "crm:nope: no opportunity, account or contact" in r.err


def test_spend(ws: Path) -> None:
    r = revframe("-w", ws, "attribution", "spend", "--model", "linear", "--format", "json")
    assert r.code == 0, r.err
    email = next(x for x in json.loads(r.out) if x["channel"] == "email")
    assert email["spend"] == 1000 and email["cost_per_lead"] == 1000
    assert "no actual_cost" in r.err  # the notes go to stderr in JSON mode
    r = revframe("-w", ws, "attribution", "spend", "--model", "first,last")
    assert r.code == 0 and "Share of won revenue by model" in r.out


def test_shapley_above_the_exact_limit_states_its_error(tmp_path: Path) -> None:
    f = tmp_path / "paths.csv"
    rows = [f"ch{i:02d}>ch{(i + 1) % 17:02d};{i + 1};0;3" for i in range(17)]  # 17 channels > 15
    f.write_text("path;total_conversions;total_conversion_value;total_null\n" + "\n".join(rows) + "\n")
    r = revframe("-w", tmp_path, "attribution", "--paths", f, "--model", "shapley")
    assert r.code == 0, r.err
    assert "shapley: sampled (2000 permutations), channel values within ±" in r.out
