"""``--by``: segment and region through the account, owner and team through the user, and what cannot be split.

The store is :func:`tests.metrics.stores.plant_flow`: a1 enterprise/US (Ann), a2 smb/DE (Bo),
a3 mid_market/JP (Bo); o12 has no account and no owner. Regions come from the spec's
``company.regions`` by country (US: north_america, DE: emea, JP: apac).
"""

from __future__ import annotations

import pytest

from revframe.errors import UsageError
from revframe.store import Store
from tests.metrics.stores import FEB, JAN, MAR, run


def split(store: Store, metric: str, by: list[str]) -> dict[tuple[str, tuple[str, ...]], float | None]:
    res = run(store, [metric], by=by).results[metric]
    return {(r.period.label, tuple(r.dims[d] for d in by)): r.value for r in res.rows}


def test_by_segment(flow: Store) -> None:
    got = split(flow, "bookings", ["segment"])
    assert got == {
        ("2026-01", ("enterprise",)): 10000.0, ("2026-01", ("smb",)): 25000.0, ("2026-01", ("mid_market",)): 8000.0,
        ("2026-02", ("mid_market",)): 12000.0, ("2026-02", ("(none)",)): 1000.0,  # o12 has no account
    }  # fmt: skip
    wr = run(flow, ["win_rate"], by=["segment"]).results["win_rate"]
    assert wr.value(JAN, segment="enterprise") == 50.0  # o1 won, o3 lost
    assert wr.value(FEB, segment="smb") == 0.0  # o6 lost
    assert wr.value(MAR, segment="enterprise") == 0.0


def test_by_region_from_the_spec_regions_by_country(flow: Store) -> None:
    got = split(flow, "bookings", ["region"])
    assert got == {
        ("2026-01", ("north_america",)): 10000.0, ("2026-01", ("emea",)): 25000.0, ("2026-01", ("apac",)): 8000.0,
        ("2026-02", ("apac",)): 12000.0, ("2026-02", ("(none)",)): 1000.0,
    }  # fmt: skip


def test_by_owner_and_team(flow: Store) -> None:
    assert split(flow, "bookings", ["owner"]) == {
        ("2026-01", ("Ann Lee",)): 10000.0, ("2026-01", ("Bo Chen",)): 33000.0,
        ("2026-02", ("Bo Chen",)): 12000.0, ("2026-02", ("(none)",)): 1000.0,
    }  # fmt: skip
    assert split(flow, "pipeline_value", ["team"]) == {
        ("2026-02", ("Mid-Market Sales",)): 7000.0,
        ("2026-03", ("Enterprise Sales",)): 40000.0, ("2026-03", ("Mid-Market Sales",)): 12000.0,
    }  # fmt: skip


def test_the_parts_add_up_to_the_total(flow: Store) -> None:
    total = run(flow, ["bookings"]).results["bookings"]
    for dim in ("segment", "region", "owner", "team"):
        res = run(flow, ["bookings"], by=[dim]).results["bookings"]
        for p in (JAN, FEB):
            assert sum(r.value or 0 for r in res.rows if r.period == p) == total.value(p), dim


def test_two_dimensions_at_once(flow: Store) -> None:
    got = split(flow, "bookings", ["owner", "region"])
    assert got[("2026-01", ("Bo Chen", "emea"))] == 25000.0
    assert got[("2026-01", ("Bo Chen", "apac"))] == 8000.0


def test_velocity_by_segment_combines_the_segments_own_parts(flow: Store) -> None:
    res = run(flow, ["pipeline_velocity"], by=["segment"]).results["pipeline_velocity"]
    # February, mid_market: 1 open deal x 100% (o5 won) x 12,000 / 40 days
    assert res.value(FEB, segment="mid_market") == pytest.approx(300.0)


def test_a_metric_named_explicitly_that_cannot_be_split_is_an_error(flow: Store) -> None:
    with pytest.raises(UsageError) as info:
        run(flow, ["pipeline_coverage"], by=["segment"])
    msg = str(info.value)
    assert "pipeline_coverage" in msg and "cannot be split by segment" in msg
    with pytest.raises(UsageError, match="rep_activity.*cannot be split by source.*owner, team"):
        run(flow, ["rep_activity"], by=["source"])


def test_in_a_whole_suite_run_it_is_shown_in_total_with_a_note(flow: Store) -> None:
    r = run(flow, None, by=["segment"])
    cov = r.results["pipeline_coverage"]
    assert all(row.dims == {} for row in cov.rows)
    assert cov.value(FEB) == pytest.approx(7000 / (2_000_000 / 3))
    assert any("cannot be split by segment" in n and "shown in total" in n for n in cov.notes), cov.notes
    assert r.results["bookings"].value(JAN, segment="smb") == 25000.0  # the others are split
    assert not any("shown in total" in n for n in r.results["bookings"].notes)
