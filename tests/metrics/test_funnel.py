"""Cohort conversions (MQL -> SQL, SQL -> opportunity) and pipeline stage metrics.

Cohorts follow the people who entered the first stage in the period, whenever they reached the next
one (``ever``) and within the metric's ``within_days`` (a second row with dims ``{"within_days": "30"}``).
Stage metrics read ``opportunity_stage_history``, matching CRM stage names to the spec's stages by
letters and digits only. The stores are :func:`~tests.metrics.stores.plant_people` and
:func:`~tests.metrics.stores.plant_stages`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from revframe.metrics.model import MetricResult
from revframe.metrics.stages import stage_key
from revframe.store import Store
from tests.conftest import drop, make_store
from tests.metrics.stores import (
    FEB,
    JAN,
    MAR,
    account,
    fill,
    insert,
    lead,
    notes,
    opp,
    plant_stages,
    run,
    step,
    utc,
    values,
)

WITHIN = {"within_days": "30"}


def parts(res: MetricResult, **dims: str) -> dict[str, tuple[float | None, float | None, float | None]]:
    return {r.period.label: (r.value, r.numerator, r.denominator) for r in res.series(**dims)}


# --- cohorts -------------------------------------------------------------------------------------
def test_mql_to_sql_conversion_ever_and_within_30_days(people: Store) -> None:
    res = run(people, ["mql_to_sql_conversion"]).results["mql_to_sql_conversion"]
    # January's MQLs: L1 (SQL in 15 days), L2 (in 50 days), L3 (never), L4/C4 (in 5 days, one person)
    assert parts(res)["2026-01"] == (75.0, 3, 4)
    assert parts(res, **WITHIN)["2026-01"] == (50.0, 2, 4)
    # February's MQLs: L5, and L6 whose contact C6 carries the lead's dates
    assert parts(res)["2026-02"] == (100.0, 2, 2)
    assert parts(res, **WITHIN)["2026-02"] == (100.0, 2, 2)
    assert (values(res)["2026-03"], notes(res)["2026-03"]) == (None, "no data in the period")


def test_a_converted_lead_counts_once_through_its_contact(people: Store) -> None:
    res = run(people, ["mql_to_sql_conversion"]).results["mql_to_sql_conversion"]
    jan = res.series()[0]
    assert jan.n == 4  # L1, L2, L3 and C4: the lead L4 is the same person as C4


def test_sql_to_opportunity_conversion(people: Store) -> None:
    res = run(people, ["sql_to_opportunity_conversion"]).results["sql_to_opportunity_conversion"]
    # January's SQLs: L1 (opportunity 54 days later), C4 (16 days), L7 (its account's opportunity is older)
    assert parts(res)["2026-01"] == (pytest.approx(200 / 3), 2, 3)
    assert parts(res, **WITHIN)["2026-01"] == (pytest.approx(100 / 3), 1, 3)
    # February: L5 (no account) and C6 (5 days): March: L2 (no account), a real 0%
    assert parts(res)["2026-02"] == (50.0, 1, 2) and parts(res, **WITHIN)["2026-02"] == (50.0, 1, 2)
    assert parts(res)["2026-03"] == (0.0, 0, 1)
    assert notes(res)["2026-03"] is None


def test_timestamps_fall_in_the_company_time_zones_month(duck: Store) -> None:
    ny = ZoneInfo("America/New_York")
    late = datetime(2026, 1, 31, 22, 0, tzinfo=ny).astimezone(UTC)  # 2026-02-01 03:00 UTC
    fill(duck, people=[lead("late", mql_at=late)])
    res = run(duck, ["mql_to_sql_conversion"], end=date(2026, 2, 28)).results["mql_to_sql_conversion"]
    assert res.series()[0].n == 1  # a January MQL in New York


# --- stages ------------------------------------------------------------------------------------------
def test_crm_stage_names_match_the_spec_stages_by_letters_and_digits() -> None:
    assert stage_key("Solution / Demo") == stage_key("Solution Demo") == stage_key("solution-demo") == "solutiondemo"
    assert stage_key("Closed Won") == stage_key("closed_won")


def test_stage_conversion(stages: Store) -> None:
    res = run(stages, ["stage_conversion"]).results["stage_conversion"]
    jan = {r.dims["stage"]: (r.value, r.numerator, r.denominator) for r in res.rows if r.period == JAN}
    assert jan == {
        # P1 moved on, P3 skipped to Proposal (passed), P2 only reached Closed Lost, P5 is still there
        "discovery": (50.0, 2, 4),
        # P1 to Solution Demo, P4 straight to Closed Won: both moved on
        "qualification": (100.0, 2, 2),
        # "Solution Demo" in the CRM is the spec's "Solution / Demo"
        "solution": (100.0, 1, 1),
        # P1 won (in February: whenever), P3 lost
        "proposal": (50.0, 1, 2),
    }
    assert not [r for r in res.rows if r.period in (FEB, MAR) and r.value is not None]


def test_time_in_stage_median_and_p90(stages: Store) -> None:
    res = run(stages, ["time_in_stage"]).results["time_in_stage"]
    # stays that ended in January: discovery 4, 10, 6 days; qualification 10, 20; solution 10; proposal 21
    assert res.value(JAN, stage="discovery") == 6.0
    assert res.value(JAN, stage="discovery", statistic="p90") == pytest.approx(6 + 0.8 * (10 - 6))
    assert res.value(JAN, stage="qualification") == 15.0
    assert res.value(JAN, stage="qualification", statistic="p90") == pytest.approx(19.0)
    assert res.value(JAN, stage="solution") == 10.0
    assert res.value(JAN, stage="proposal") == 21.0
    # P1's proposal stay ended in February (11 days); P5 is still in discovery: not a finished stay
    assert res.value(FEB, stage="proposal") == 11.0
    assert {r.dims["stage"] for r in res.rows if r.period == FEB} == {"proposal"}
    assert all(r.n == 3 for r in res.rows if r.period == JAN and r.dims["stage"] == "discovery")


def test_a_stay_continues_through_history_rows_that_repeat_its_stage(duck: Store) -> None:
    """CRMs write a history row when the amount or close date changes: the stage is the same, the stay goes on.

    R1: Discovery 01-02, Discovery 01-07 (amount changed), Qualification 01-12, Closed Lost 01-14.
    R2: Discovery 01-02, Qualification 01-04, back to Discovery 01-06, Closed Lost 01-08.
    """
    fill(duck, accounts=[account("r")])
    insert(duck, "opportunities", [opp("R1", 10, date(2026, 1, 14), won=False, account_id="crm:r"),
                                   opp("R2", 10, date(2026, 1, 8), won=False, account_id="crm:r")])  # fmt: skip
    insert(duck, "opportunity_stage_history", [
        step("a1", "R1", "Discovery", utc(2026, 1, 2, 10)), step("a2", "R1", "Discovery", utc(2026, 1, 7, 10)),
        step("a3", "R1", "Qualification", utc(2026, 1, 12, 10)), step("a4", "R1", "Closed Lost", utc(2026, 1, 14, 10)),
        step("b1", "R2", "Discovery", utc(2026, 1, 2, 10)), step("b2", "R2", "Qualification", utc(2026, 1, 4, 10)),
        step("b3", "R2", "Discovery", utc(2026, 1, 6, 10)), step("b4", "R2", "Closed Lost", utc(2026, 1, 8, 10)),
    ])  # fmt: skip
    got = run(duck, ["time_in_stage", "stage_conversion"])
    tis = got.results["time_in_stage"]
    # discovery stays: R1 10 days (one stay, not 5 + 5), R2 2 days and 2 days
    assert tis.series(stage="discovery")[0].n == 3
    assert tis.value(JAN, stage="discovery") == 2.0
    assert tis.value(JAN, stage="discovery", statistic="p90") == pytest.approx(2 + 0.8 * 8)
    assert tis.value(JAN, stage="qualification") == 2.0  # R1 2 days, R2 2 days
    conv = got.results["stage_conversion"]
    # discovery: both moved on to qualification (R2 came back, which does not undo it); counted once each
    assert conv.series(stage="discovery")[0].denominator == 2
    assert conv.value(JAN, stage="discovery") == 100.0
    # qualification: R1 went to Closed Lost, R2 back to Discovery then lost: neither moved on
    assert conv.value(JAN, stage="qualification") == 0.0


@pytest.fixture(scope="module")
def pg_stages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = make_store("postgres", tmp_path_factory.mktemp("pg_stages"))
    try:
        plant_stages(store)
        yield store
    finally:
        drop(store)


@pytest.mark.postgres
def test_percentiles_on_postgresql_match(pg_stages: Store, stages: Store) -> None:
    on_pg = run(pg_stages, ["time_in_stage", "stage_conversion"])
    on_duck = run(stages, ["time_in_stage", "stage_conversion"])
    for mid in ("time_in_stage", "stage_conversion"):
        pg_rows = {(r.period.label, tuple(sorted(r.dims.items()))): r.value for r in on_pg.results[mid].rows}
        duck_rows = {(r.period.label, tuple(sorted(r.dims.items()))): r.value for r in on_duck.results[mid].rows}
        assert pg_rows == pytest.approx(duck_rows)
    assert on_pg.results["time_in_stage"].value(JAN, stage="discovery", statistic="p90") == pytest.approx(9.2)
    sql = on_pg.results["time_in_stage"].sql
    assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in sql and "PERCENTILE_CONT(0.9) WITHIN GROUP" in sql
    assert "MEDIAN(" not in sql.upper()


def test_a_persons_region_is_their_own_country_else_their_accounts(duck: Store) -> None:
    fill(duck, accounts=[account("de", country="DE")], people=[
        lead("n1", mql_at=utc(2026, 1, 5, 10), country="US", account_id="crm:de"),  # their own country wins
        lead("n2", mql_at=utc(2026, 1, 6, 10), account_id="crm:de"),  # no country: the account's
        lead("n3", mql_at=utc(2026, 1, 7, 10)),  # neither
    ])  # fmt: skip
    res = run(duck, ["mql_to_sql_conversion"], by=["region"]).results["mql_to_sql_conversion"]
    counts = {r.dims["region"]: r.n for r in res.rows if r.period == JAN and "within_days" not in r.dims}
    assert counts == {"north_america": 1, "emea": 1, "(none)": 1}
