"""Metrics added in the spec without Python: a ``measure`` or a ``ratio``, and the spec errors that stop them.

Computed on :func:`tests.metrics.stores.plant_flow` (and on PostgreSQL for the measure).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from revframe.errors import UsageError
from revframe.framework import Problem, Spec, SpecError, default_spec_text, load_spec_text
from revframe.store import Store
from tests.cli.test_cli import revframe
from tests.conftest import drop, make_store
from tests.metrics.stores import FEB, JAN, MAR, plant_flow, run, values, with_metrics


def metric(mid: str, unit: str, body: str) -> str:
    """One metric item for the spec's ``metrics:`` list, with ``body`` (its measure or ratio, filters...)."""
    return (
        f"  - id: {mid}\n    name: {mid.replace('_', ' ').title()}\n    tier: 3\n"
        f"    definition: Added by the tests.\n    formula: see measure or ratio\n"
        f"    time_dimension: opportunities.close_date\n    grain: opportunities\n"
        f"    system_of_record: salesforce\n    owner: cfo\n    cadence: monthly_business_review\n"
        f"    direction: up\n    unit: {unit}\n" + body
    )


ADDED = (
    metric("new_business_won", "currency", """\
    filters:
      - {field: opportunities.is_won, op: eq, value: true}
      - {field: opportunities.type, op: eq, value: New Business}
    measure: {agg: sum, field: opportunities.amount}
""")
    + metric("new_business_share", "percent", "    ratio: {numerator: new_business_won, denominator: bookings}\n")
    + metric("pipeline_per_win_point", "ratio", "    ratio: {numerator: pipeline_value, denominator: win_rate}\n")
    + metric("median_closed_amount", "currency", """\
    filters: [{field: opportunities.is_closed, op: eq, value: true}]
    measure: {agg: median, field: opportunities.amount}
""")
    + metric("deals_closed", "count", """\
    filters: [{field: opportunities.is_closed, op: eq, value: true}]
    measure: {agg: count}
""")
)  # fmt: skip
SPEC_ADDED = load_spec_text(with_metrics(ADDED))
IDS = ["new_business_won", "new_business_share", "pipeline_per_win_point", "median_closed_amount", "deals_closed"]


# --- computing them ------------------------------------------------------------------------------
def test_a_measure_with_filters_in_the_company_currency(flow: Store) -> None:
    res = run(flow, ["new_business_won"], spec=SPEC_ADDED).results["new_business_won"]
    # "New Business" matches new_business and New-Business; EUR 20,000 at 0.8 is 25,000
    assert values(res) == {"2026-01": 35000.0, "2026-02": 12000.0, "2026-03": None}
    assert res.series()[2].note == "no data in the period"
    assert "g0.amount / fx.rate" in res.sql  # converted in the SQL --explain shows


def test_measures_count_and_median(flow: Store) -> None:
    r = run(flow, ["deals_closed", "median_closed_amount"], spec=SPEC_ADDED)
    assert values(r.results["deals_closed"]) == {"2026-01": 4, "2026-02": 4, "2026-03": 1}
    # January closed: 5,000, 8,000, 10,000, 25,000; February: 1,000, 6,000, 12,000, 40,000
    assert values(r.results["median_closed_amount"]) == {"2026-01": 9000.0, "2026-02": 9000.0, "2026-03": 2000.0}


def test_a_measure_splits_by_dimension(flow: Store) -> None:
    res = run(flow, ["new_business_won"], spec=SPEC_ADDED, by=["segment"]).results["new_business_won"]
    assert res.value(JAN, segment="enterprise") == 10000.0 and res.value(JAN, segment="smb") == 25000.0
    assert res.value(FEB, segment="mid_market") == 12000.0


def test_a_ratio_of_two_metrics(flow: Store) -> None:
    res = run(flow, ["new_business_share"], spec=SPEC_ADDED).results["new_business_share"]
    jan, feb, mar = res.series()
    assert (jan.value, jan.numerator, jan.denominator) == (pytest.approx(100 * 35000 / 43000), 35000.0, 43000.0)
    assert feb.value == pytest.approx(100 * 12000 / 13000)  # percent: x 100
    assert mar.value is None and mar.note == "no value: new_business_won is empty"
    assert "new_business_won / bookings" in res.sql


def test_a_ratio_whose_denominator_is_zero_is_empty_and_names_it(flow: Store) -> None:
    res = run(flow, ["pipeline_per_win_point"], spec=SPEC_ADDED).results["pipeline_per_win_point"]
    jan, feb, mar = res.series()
    assert feb.value == pytest.approx(7000 / 50)  # unit ratio: no x 100
    assert (mar.value, mar.numerator, mar.denominator) == (None, 52000.0, 0.0)  # March: lost deals only
    assert mar.note == "division by zero: win_rate is 0 in this period"
    assert jan.value is None and jan.note == "no value: pipeline_value is empty"


def test_a_measure_placed_by_a_date_of_another_table_is_refused_at_run_time(flow: Store) -> None:
    item = metric("closed_count", "count", "    measure: {agg: count}\n").replace(
        "time_dimension: opportunities.close_date", "time_dimension: contacts.created_at"
    )
    spec = load_spec_text(with_metrics(item))  # a date field, so the spec is valid...
    with pytest.raises(UsageError, match=r"closed_count': its time_dimension must be a date field of its grain"):
        run(flow, ["closed_count"], spec=spec)  # ...but it cannot place opportunities in periods


@pytest.fixture(scope="module")
def pg_flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = make_store("postgres", tmp_path_factory.mktemp("pg_flow"))
    try:
        plant_flow(store)
        yield store
    finally:
        drop(store)


@pytest.mark.postgres
def test_declared_metrics_are_the_same_on_postgresql(pg_flow: Store, flow: Store) -> None:
    on_pg, on_duck = run(pg_flow, IDS, spec=SPEC_ADDED), run(flow, IDS, spec=SPEC_ADDED)
    for mid in IDS:
        got = [(r.period.label, r.value, r.note) for r in on_pg.results[mid].rows]
        ref = [(r.period.label, r.value, r.note) for r in on_duck.results[mid].rows]
        assert [(x[0], x[2]) for x in got] == [(x[0], x[2]) for x in ref], mid
        assert [x[1] for x in got] == pytest.approx([x[1] for x in ref]), mid
    assert on_pg.results["median_closed_amount"].value(MAR) == 2000.0
    assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in on_pg.results["median_closed_amount"].sql


# --- spec errors ---------------------------------------------------------------------------------
def problems(items: str) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load_spec_text(with_metrics(items))
    return info.value.problems


def line_of(items: str, needle: str) -> int:
    text = with_metrics(items)
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


BOTH = metric("both_ways", "currency", "    measure: {agg: sum, field: opportunities.amount}\n"
              "    ratio: {numerator: bookings, denominator: win_rate}\n")  # fmt: skip
NOPE = metric("nope_sum", "currency", "    measure: {agg: sum, field: opportunities.nope}\n")
UNKNOWN = metric("bad_ratio", "ratio", "    ratio: {numerator: bookings, denominator: bookingz}\n")
CYCLE = metric("cyc_a", "ratio", "    ratio: {numerator: cyc_b, denominator: bookings}\n") + metric(
    "cyc_b", "ratio", "    ratio: {numerator: cyc_a, denominator: bookings}\n"
)
NEITHER = metric("mystery_metric", "count", "")


def test_measure_and_ratio_both_set() -> None:
    (p,) = problems(BOTH)
    assert p.line == line_of(BOTH, "- id: both_ways") and "metrics[both_ways]" in p.message
    assert "both measure and ratio" in p.message and "keep one" in p.hint


def test_a_measure_of_an_unknown_field() -> None:
    (p,) = problems(NOPE)
    assert p.line == line_of(NOPE, "opportunities.nope")
    assert "metrics[nope_sum].measure.field" in p.message and p.value == "opportunities.nope"
    assert "amount" in p.hint  # the fields it could use


def test_a_ratio_of_an_unknown_metric() -> None:
    (p,) = problems(UNKNOWN)
    assert p.line == line_of(UNKNOWN, "ratio: {numerator: bookings, denominator: bookingz}")
    assert "metrics[bad_ratio].ratio.denominator" in p.message and "bookingz" in p.message
    assert "did you mean 'bookings'" in p.hint


def test_a_ratio_cycle() -> None:
    found = problems(CYCLE)
    assert {p.line for p in found} == {
        line_of(CYCLE, "ratio: {numerator: cyc_b"),
        line_of(CYCLE, "ratio: {numerator: cyc_a"),
    }
    assert all("cycle" in p.message for p in found)
    assert {p.value for p in found} == {"cyc_a", "cyc_b"}


def test_a_metric_with_neither_measure_ratio_nor_builtin_id() -> None:
    (p,) = problems(NEITHER)
    assert p.line == line_of(NEITHER, "- id: mystery_metric")
    assert "metric 'mystery_metric' has no way to be computed" in p.message
    assert "measure:" in p.hint and "ratio:" in p.hint and "win_rate" in p.hint


@pytest.mark.parametrize(
    "items", [BOTH, NOPE, UNKNOWN, CYCLE, NEITHER], ids=["both", "nope", "unknown", "cycle", "neither"]
)
def test_revframe_validate_reports_it_with_file_and_line(items: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert revframe("init", root).code == 0
    (root / "revframe.yaml").write_text(with_metrics(items), encoding="utf-8")
    r = revframe("-w", root, "validate")
    assert r.code == 2, r.out + r.err
    first = problems(items)[0]
    assert f"revframe.yaml:{first.line}:{first.column}" in r.err and first.message in r.err.replace("\n", "")
    assert revframe("-w", root, "metrics", "win_rate").code == 2  # no run on a broken spec


# --- filters from the spec on built-in metrics ---------------------------------------------------------
def with_filters(mid: str, filters: str) -> Spec:
    """The default spec with metric ``mid``'s ``filters:`` set to ``filters`` (a YAML flow list)."""
    text = default_spec_text()
    start = text.index(f"  - id: {mid}\n")
    end = text.index("\n  - id: ", start + 1)
    block = text[start:end]
    if "\n    filters: [" in block:
        block = re.sub(r"\n    filters: \[.*\]", f"\n    filters: {filters}", block)
    else:
        assert "\n    filters:" not in block, "a block-style filters list: extend this helper"
        block = block.replace(f"  - id: {mid}\n", f"  - id: {mid}\n    filters: {filters}\n")
    return load_spec_text(text[:start] + block + text[end:])


def test_a_spec_filter_narrows_a_builtin(flow: Store) -> None:
    spec = with_filters("win_rate", "[{field: opportunities.type, op: in, value: [New Business]}]")
    res = run(flow, ["win_rate"], spec=spec).results["win_rate"]
    # new business only: January o1, o2 won, o3 lost; February o5 won, o6 and o7 lost (o12 renewal out)
    got = {r.period.label: (r.numerator, r.denominator) for r in res.series()}
    assert got == {"2026-01": (2, 3), "2026-02": (1, 3), "2026-03": (0, 1)}


def test_a_filter_on_an_account_field_of_an_account_metric(subscriptions: Store) -> None:
    spec = with_filters("logo_churn", "[{field: accounts.segment, op: eq, value: enterprise}]")
    res = run(subscriptions, ["logo_churn"], spec=spec).results["logo_churn"]
    # the enterprise customers A and E: none lost in the quarter
    assert [(r.value, r.denominator) for r in res.series()] == [(0.0, 2), (0.0, 2), (0.0, 2)]


def test_a_cohort_filter_on_any_contact_field(people: Store) -> None:
    spec = with_filters("mql_to_sql_conversion", "[{field: contacts.email, op: exists}]")
    res = run(people, ["mql_to_sql_conversion"], spec=spec).results["mql_to_sql_conversion"]
    assert res.value(JAN) == 75.0  # everyone has an email: the same as without the filter


def test_lead_response_time_applies_its_filters(operations: Store) -> None:
    spec = with_filters("lead_response_time", "[{field: contacts.lead_source, op: eq, value: webinar}]")
    res = run(operations, ["lead_response_time"], spec=spec).results["lead_response_time"]
    assert res.value(JAN) is None  # no lead of the store came from a webinar
