"""Snapshot metrics from subscriptions: ARR on a day, the ARR waterfall, churn and retention.

A subscription is active on day d when it started on or before d and its end date (its last active
day) is empty or not before d; a renewal starts the day after. The store is
:func:`tests.metrics.stores.plant_subscriptions`; ARR by account on the days that matter:

    account        2025-01-31  2025-12-31  2026-01-31  2026-02-28  2026-03-31
    A (enterprise)     12,000      12,000      18,000      18,000      18,000
    B (smb)            10,000      10,000      10,000       6,000       6,000
    C (mid_market)      5,000       5,000       5,000           0           0
    D (smb)                 0           0           0           0       8,000
    E (enterprise)          0       4,000       4,000       5,000       5,000
    total              27,000      31,000      37,000      29,000      37,000

(2025-02-28 and 2025-03-31 are as 2025-01-31.)
"""

from __future__ import annotations

import pytest

from revframe.metrics.model import MetricResult
from revframe.store import Store
from tests.metrics.stores import FEB, JAN, MAR, run, values

COMPONENTS = ("start", "new", "expansion", "contraction", "churn", "end")


def waterfall(res: MetricResult, period_label: str, **dims: str) -> dict[str, float | None]:
    return {r.dims["component"]: r.value for r in res.rows if r.period.label == period_label
            and {k: v for k, v in r.dims.items() if k != "component"} == dims}  # fmt: skip


def test_arr_is_read_on_the_last_day_of_the_period(subscriptions: Store) -> None:
    res = run(subscriptions, ["arr"]).results["arr"]
    assert values(res) == {"2026-01": 37000.0, "2026-02": 29000.0, "2026-03": 37000.0}
    assert [r.n for r in res.series()] == [4, 3, 4]  # customers with ARR that day


def test_a_renewal_the_day_after_the_end_date_is_not_counted_twice(subscriptions: Store) -> None:
    # B's first subscription ends 2026-01-31 and its renewal starts 2026-02-01: on the 31st only the first counts
    res = run(subscriptions, ["arr"], by=["segment"]).results["arr"]
    assert res.value(JAN, segment="smb") == 10000.0
    assert res.value(FEB, segment="smb") == 6000.0


def test_revenue_per_account(subscriptions: Store) -> None:
    res = run(subscriptions, ["revenue_per_account"]).results["revenue_per_account"]
    got = {r.period.label: (r.value, r.numerator, r.denominator) for r in res.series()}
    assert got == {"2026-01": (9250.0, 37000.0, 4), "2026-02": (pytest.approx(29000 / 3), 29000.0, 3),
                   "2026-03": (9250.0, 37000.0, 4)}  # fmt: skip


def test_arr_waterfall_components(subscriptions: Store) -> None:
    res = run(subscriptions, ["arr_waterfall"]).results["arr_waterfall"]
    assert waterfall(res, "2026-01") == {"start": 31000, "new": 0, "expansion": 6000, "contraction": 0,
                                         "churn": 0, "end": 37000}  # fmt: skip
    assert waterfall(res, "2026-02") == {"start": 37000, "new": 0, "expansion": 1000, "contraction": -4000,
                                         "churn": -5000, "end": 29000}  # fmt: skip
    assert waterfall(res, "2026-03") == {"start": 29000, "new": 8000, "expansion": 0, "contraction": 0,
                                         "churn": 0, "end": 37000}  # fmt: skip
    arr = run(subscriptions, ["arr"]).results["arr"]
    for p in (JAN, FEB, MAR):  # the waterfall's end is the period's ARR, its start the previous period's
        assert waterfall(res, p.label)["end"] == arr.value(p)


@pytest.mark.parametrize("by", [[], ["segment"], ["owner", "region"]], ids=["total", "segment", "owner-region"])
def test_arr_waterfall_adds_up_in_every_period(subscriptions: Store, by: list[str]) -> None:
    res = run(subscriptions, ["arr_waterfall"], by=by).results["arr_waterfall"]
    groups = {(r.period.label, tuple(sorted((k, v) for k, v in r.dims.items() if k != "component"))) for r in res.rows}
    assert len(groups) >= 3
    for label, dims in groups:
        w = waterfall(res, label, **dict(dims))
        assert set(w) == set(COMPONENTS), (label, dims)
        parts = [w[k] or 0.0 for k in COMPONENTS[:-1]]
        assert sum(parts) == pytest.approx(w["end"] or 0.0), (label, dims, w)


def test_logo_churn(subscriptions: Store) -> None:
    res = run(subscriptions, ["logo_churn"]).results["logo_churn"]
    got = {r.period.label: (r.value, r.numerator, r.denominator) for r in res.series()}
    # February: A, B, C and E were customers on 01-31; C had no ARR on 02-28
    assert got == {"2026-01": (0.0, 0, 4), "2026-02": (25.0, 1, 4), "2026-03": (0.0, 0, 3)}


def test_net_and_gross_revenue_retention(subscriptions: Store) -> None:
    r = run(subscriptions, ["net_revenue_retention", "gross_revenue_retention"])
    nrr, grr = r.results["net_revenue_retention"], r.results["gross_revenue_retention"]
    # the cohort: A, B and C had 27,000 a year before each last day (E started 2025-06-01: not in it)
    # January: now 18,000 + 10,000 + 5,000; GRR caps A at 12,000
    # February and March: 18,000 + 6,000 + 0; GRR: 12,000 + 6,000 + 0
    assert {p: (x.numerator, x.denominator) for p, x in ((x.period.label, x) for x in nrr.series())} == {
        "2026-01": (33000, 27000), "2026-02": (24000, 27000), "2026-03": (24000, 27000)}  # fmt: skip
    assert values(nrr) == pytest.approx({"2026-01": 100 * 33 / 27, "2026-02": 100 * 24 / 27, "2026-03": 100 * 24 / 27})
    assert values(grr) == pytest.approx({"2026-01": 100.0, "2026-02": 100 * 18 / 27, "2026-03": 100 * 18 / 27})
    assert [x.n for x in nrr.series()] == [3, 3, 3]
    for p in (JAN, FEB, MAR):
        g, n = grr.value(p), nrr.value(p)
        assert g is not None and n is not None
        assert g <= n + 1e-9 and g <= 100 + 1e-9


def test_snapshots_split_by_owner_and_region_through_the_account(subscriptions: Store) -> None:
    res = run(subscriptions, ["arr"], by=["owner", "region"]).results["arr"]
    # Ann owns A, C and E (US, US, CA: north_america); Bo owns B (DE) and D (FR): emea
    assert res.value(FEB, owner="Ann Lee", region="north_america") == 23000.0
    assert res.value(FEB, owner="Bo Chen", region="emea") == 6000.0
    assert res.value(MAR, owner="Bo Chen", region="emea") == 14000.0
