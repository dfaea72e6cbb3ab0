"""Amounts in the company currency: dated rates from ``exchange_rates``, and currencies without a rate.

A rate is units of the currency per 1 unit of the company currency (USD in the default spec), so
``amount_c = amount / rate``; the rate in force on the record's date applies (the close date of an
opportunity, the start date of a subscription), and the first rate of a currency also applies
before its date. The store is :func:`tests.metrics.stores.plant_currency`; the same numbers are
expected on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from revframe.store import Store
from tests.conftest import drop, make_store
from tests.metrics.stores import plant_currency, run, values

ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=ENGINES)
def money(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = make_store(request.param, tmp_path_factory.mktemp("currency"))
    try:
        plant_currency(store)
        yield store
    finally:
        drop(store)


def test_eur_amounts_use_the_rate_in_force_on_the_close_date(money: Store) -> None:
    res = run(money, ["bookings"]).results["bookings"]
    # January: EUR 8,000 / 0.8 (before the first rate: the first rate applies) + EUR 8,000 / 0.8
    # February: EUR 7,500 / 0.75 (the new rate's first day) + eur 1,500 / 0.75 + 3,000 (no currency: USD);
    # the GBP deal has no rate and is left out
    assert values(res) == pytest.approx({"2026-01": 20000.0, "2026-02": 15000.0, "2026-03": None})
    assert [r.n for r in res.series()[:2]] == [2, 4]  # the GBP row is counted as a row, not in the amount


def test_a_row_without_a_rate_is_left_out_of_averages_not_counted_as_zero(money: Store) -> None:
    feb = run(money, ["avg_deal_size"]).results["avg_deal_size"].series()[1]
    assert (feb.value, feb.numerator, feb.denominator) == pytest.approx((5000.0, 15000.0, 3))


def test_subscriptions_convert_at_their_start_date(money: Store) -> None:
    res = run(money, ["arr"]).results["arr"]
    assert values(res) == pytest.approx({"2026-01": None, "2026-02": 16000.0, "2026-03": 16000.0})  # EUR 12,000 / 0.75


def test_the_run_lists_the_rates_and_notes_each_currency_without_one(money: Store) -> None:
    r = run(money, ["bookings", "arr"])
    assert [(x["currency"], x["rate"], x["valid_from"]) for x in r.rates] == [
        ("EUR", 0.8, "2026-01-15"),
        ("EUR", 0.75, "2026-02-01"),
        ("USD", 1.0, "2020-01-01"),
    ]
    assert all(x["meaning"] == f"{x['currency']} per 1 USD" for x in r.rates)
    gbp = [n for n in r.notes if "GBP" in n]
    assert len(gbp) == 2, r.notes  # one for opportunities, one for subscriptions
    assert gbp[0].startswith("1 opportunities in GBP have no exchange rate to USD")
    assert gbp[1].startswith("1 subscriptions in GBP have no exchange rate to USD")
    assert all("left out" in n and "exchange_rates" in n for n in gbp)
    assert not any("EUR" in n for n in r.notes)  # lower-case "eur" found its rate


def test_a_rate_of_the_company_currency_never_changes_its_amounts(money: Store) -> None:
    money.execute("UPDATE exchange_rates SET rate = 2.0 WHERE currency = 'USD'")
    try:
        feb = run(money, ["bookings"]).results["bookings"].series()[1]
        assert feb.value == pytest.approx(15000.0)  # the USD deal is still 3,000
    finally:
        money.execute("UPDATE exchange_rates SET rate = 1.0 WHERE currency = 'USD'")
