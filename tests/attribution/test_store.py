"""Journeys and credits from a real store (DuckDB and PostgreSQL), on the hand-built company in ``stores``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from revframe.attribution.explain import explain_record
from revframe.attribution.run import run_attribution
from revframe.attribution.spend import spend_report
from revframe.errors import UsageError
from revframe.framework import default_spec_text, load_spec_text
from revframe.store import Store
from tests.attribution.stores import plant
from tests.conftest import drop, make_store

SPEC = load_spec_text(default_spec_text())


@pytest.fixture(
    params=[
        "duckdb",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("spark", marks=pytest.mark.spark),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = make_store(request.param, tmp_path)
    plant(s)
    yield s
    drop(s)


def by_channel(run, model: str) -> dict[str, tuple[float, float]]:
    return {r["channel"]: (round(r["conversions"], 6), round(r["revenue"], 2)) for r in run.totals()
            if r["model"] == model}  # fmt: skip


def test_opportunity_journeys_are_the_buying_group(store: Store) -> None:
    run = run_attribution(store, SPEC, ["linear", "first", "last"], conversion="opportunity_created")
    assert run.level == "account" and run.conversions == 3 and run.unattributed == 1
    # o1 and o2: email (day 1; the 02:00 repeat dropped), paid-search (day 10), webinar (day 20, p2's)
    assert run.journeys is not None and run.journeys.paths()[:2] == [["email", "paid-search", "webinar"]] * 2
    third = round(6250 / 3, 2)
    assert by_channel(run, "linear") == {
        "email": (round(2 / 3, 6), third), "paid-search": (round(2 / 3, 6), third), "webinar": (round(2 / 3, 6), third),
        "(unattributed)": (1.0, 0.0),  # o3: no touch; its JPY amount has no rate
    }  # fmt: skip
    assert by_channel(run, "first")["email"] == (2.0, 6250.0)
    assert by_channel(run, "last")["webinar"] == (2.0, 6250.0)
    assert any("JPY have no exchange rate" in n for n in run.notes)
    assert any("1 of 3 conversions have no eligible touch" in n for n in run.notes)


def test_contact_level_and_person_events(store: Store) -> None:
    run = run_attribution(store, SPEC, ["linear"], conversion="opportunity_created", level="contact", save=False)
    assert run.journeys is not None
    assert run.journeys.paths()[:2] == [["email", "paid-search"], ["webinar"]]  # o1: p1 (was l1); o2: p2
    mql = run_attribution(store, SPEC, ["first", "last"], conversion="mql", save=False)
    assert mql.journeys is not None and mql.journeys.paths()[0] == ["email", "paid-search"]  # l1's MQL, day 12
    leads = run_attribution(store, SPEC, ["last"], conversion="lead_created", save=False)
    # l1 (its day-1 touch), p2, p3 and p4 (no touch before they were created); p1 is l1 converted
    assert leads.conversions == 4 and leads.unattributed == 3
    assert by_channel(leads, "last")["email"] == (1.0, 0.0)


def test_won_deals_end_at_the_close_day(store: Store) -> None:
    run = run_attribution(store, SPEC, ["last"], conversion="closed_won", save=False)
    assert run.conversions == 2 and run.unattributed == 1  # o1 credited, o3 has no touch
    assert by_channel(run, "last")["webinar"] == (1.0, 6250.0)


def test_lookback_types_and_dedupe_come_from_the_spec(store: Store) -> None:
    spec = load_spec_text(default_spec_text().replace("lookback_days: 90 ", "lookback_days: 15 ", 1)
                          .replace("dedupe_hours: 24 ", "dedupe_hours: 1  ", 1))  # fmt: skip
    run = run_attribution(store, spec, ["linear"], conversion="opportunity_created", save=False)
    assert run.journeys is not None
    # o1 (day 30): only touches from day 15 on (the webinar); o2 (day 40): none from day 25 on; a2's null path
    assert run.journeys.paths() == [["webinar"], ["email"]] and run.unattributed == 2
    spec = load_spec_text(default_spec_text().replace("dedupe_hours: 24 ", "dedupe_hours: 1  ", 1)
                          .replace("touch_types: []", "touch_types: [email_click]", 1))  # fmt: skip
    run = run_attribution(store, spec, ["linear"], conversion="opportunity_created", save=False)
    assert run.journeys is not None and run.journeys.paths()[0] == ["email", "email"]  # 2 h apart > 1 h


def test_credits_are_stored_and_add_up(store: Store) -> None:
    run = run_attribution(store, SPEC, ["linear", "markov", "shapley"], conversion="opportunity_created")
    got = store.query(
        "SELECT model, conversion_id, sum(credit), sum(revenue) FROM attribution_credits WHERE run_id = ? "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        [run.run_id],
    )
    assert [(m, c, round(x, 9), round(r, 6)) for m, c, x, r in got] == [
        (m, c, 1.0, 6250.0 if c == "crm:o1" else 0.0) for m in ("linear", "markov", "shapley")
        for c in ("crm:o1", "crm:o2")
    ]  # fmt: skip
    (runs,) = store.query("SELECT conversion, journeys, conversions, framework_version FROM attribution_runs "
                          "WHERE run_id = ?", [run.run_id])  # fmt: skip
    assert runs == ("opportunity_created", 3, 3.0, SPEC.version)  # o1, o2 and a2's null path
    assert store.query("SELECT count(*) FROM framework_versions WHERE version = ?", [SPEC.version]) == [(1,)]


def test_by_campaign(store: Store) -> None:
    run = run_attribution(store, SPEC, ["first"], conversion="opportunity_created", by="campaign", save=False)
    rows = {r["campaign"]: r["conversions"] for r in run.totals()}
    assert rows == {"Newsletter": 2.0, "Search EU": 0.0, "Webinar Q1": 0.0, "(unattributed)": 1.0}


def test_spend_rules(store: Store) -> None:
    report = spend_report(store, SPEC, ["linear"])
    rows = {r["channel"]: r for r in report.rows}
    email = rows["email"]
    assert email["spend"] == 1000 and email["leads"] == 1 and email["cost_per_lead"] == 1000
    assert email["opportunities"] == pytest.approx(2 / 3) and email["cost_per_opportunity"] == pytest.approx(1500)
    assert email["won"] == pytest.approx(1 / 3) and email["cost_per_won"] == pytest.approx(3000)
    assert email["roi"] == pytest.approx((6250 / 3 - 1000) / 1000)
    assert email["cac"] == pytest.approx(3000)  # o1 is a1's first win
    assert rows["paid-search"]["spend"] == pytest.approx(1000)  # 800 EUR at 0.8 EUR per USD
    assert rows["webinar"]["spend"] is None and rows["webinar"]["cost_per_opportunity"] is None
    assert "spend unknown" in rows["webinar"]["note"]
    assert "program" not in rows and "event" not in rows  # no spend, no credit
    assert any("1 campaign(s) have no actual_cost" in n for n in report.notes)
    assert any("1 parent campaign(s)" in n for n in report.notes)
    assert any("1 campaign(s) without actual_cost and without touches" in n for n in report.notes)


def test_explain(store: Store) -> None:
    ex = explain_record(store, SPEC, "crm:o1", ["first", "u_shaped"])
    assert [r["channel"] for r in ex.rows] == ["email", "paid-search", "webinar"]
    assert [r["u_shaped"] for r in ex.rows] == ["40.0%", "20.0%", "40.0%"]
    assert ex.rows[0]["role"] == "first, lead creation" and ex.rows[2]["role"] == "opportunity creation, last"
    assert any(w.startswith("u_shaped: first 40%") for w in ex.why)
    account = explain_record(store, SPEC, "crm:a1", ["linear"])
    assert {r["conversion_id"] for r in account.rows} == {"crm:o1", "crm:o2"}
    with pytest.raises(UsageError, match="no opportunity, account or contact"):
        explain_record(store, SPEC, "crm:nope", ["linear"])
    with pytest.raises(UsageError, match="no opportunity_created conversion with an eligible touch"):
        explain_record(store, SPEC, "crm:o3", ["linear"])


def test_within_keeps_only_the_given_conversions(store: Store) -> None:
    run = run_attribution(store, SPEC, ["linear", "markov"], conversion="closed_won", save=False)
    march = run.within({"crm:o1"})
    assert march.conversions == 1 and march.unattributed == 0 and march.revenue == pytest.approx(6250)
    assert by_channel(march, "linear")["webinar"] == (round(1 / 3, 6), round(6250 / 3, 2))
    assert [c.model for c in march.credits] == ["linear", "markov"]
    feb = run.within({"crm:o3"})
    assert feb.journeys is None and feb.conversions == 1 and feb.unattributed == 1


def test_report_page(store: Store) -> None:
    from datetime import date

    from revframe.attribution.report_page import attribution_page

    march = attribution_page(store, SPEC, date(2026, 3, 1), date(2026, 4, 1))  # o1 won 2026-03-02
    assert march["won"] == 1 and march["unattributed"] == 0
    rows = {r["channel"]: r for r in march["rows"]}
    assert set(rows) == {"email", "paid-search", "webinar"}
    assert rows["email"]["shares"]["first"] == 1 and rows["email"]["shares"]["last"] == 0
    assert rows["email"]["spread"] == 1 and rows["email"]["favoured_by"] == "first"
    assert "the models disagree most on" in march["disagreement_text"]
    spend = {s["channel"]: s for s in march["spend"]}
    assert spend["email"]["spend"] == 1000 and spend["webinar"]["spend"] is None
    feb = attribution_page(store, SPEC, date(2026, 2, 1), date(2026, 3, 1))  # o3: no touch
    assert feb["won"] == 1 and feb["unattributed"] == 1 and [r["channel"] for r in feb["rows"]] == []


def test_a_won_deal_without_amount_counts_and_adds_no_revenue(store: Store) -> None:
    from tests.attribution.stores import d, day, rows

    o4 = {"id": "crm:o4", "account_id": "crm:a1", "contact_id": "crm:p2", "created_at": day(50), "close_date": d(55),
          "is_closed": True, "is_won": True, "amount": None, "currency": "USD"}  # fmt: skip
    store.insert_rows("opportunities", rows("opportunities", [o4]))
    run = run_attribution(store, SPEC, ["linear"], conversion="closed_won", save=False)
    assert run.conversions == 3 and run.revenue == pytest.approx(6250)
    assert "1 won opportunities have no amount: they count as conversions and add no revenue" in run.notes


def test_spend_in_a_currency_without_rate_is_unknown_not_partial(store: Store) -> None:
    from tests.attribution.stores import d, day, rows

    k6 = {"id": "crm:k6", "name": "Tokyo", "channel": "email", "actual_cost": 50000, "currency": "JPY",
          "start_date": d(0)}  # fmt: skip
    t7 = {"id": "crm:t7", "contact_id": "crm:p2", "campaign_id": "crm:k6", "type": "email_click", "channel": "email",
          "occurred_at": day(21)}  # fmt: skip
    store.insert_rows("campaigns", rows("campaigns", [k6]))
    store.insert_rows("touchpoints", rows("touchpoints", [t7]))
    report = spend_report(store, SPEC, ["linear"])
    email = next(r for r in report.rows if r["channel"] == "email")
    assert email["spend"] is None and email["cost_per_lead"] is None and email["roi"] is None  # not 1,000 USD
    assert any("1 campaigns in JPY have no exchange rate" in n for n in report.notes)


def test_a_single_channel_gets_everything_and_the_run_says_so(tmp_path: Path) -> None:
    f = tmp_path / "paths.csv"
    f.write_text("path,total_conversions,total_conversion_value,total_null\nemail>email,2,10,1\nemail,1,5,0\n")
    run = run_attribution(None, SPEC, ["first", "markov", "shapley"], paths=f)
    assert all(r["conversions"] == 3 and r["revenue"] == 15 for r in run.totals())
    assert "one channel only (email): every model gives it all the credit" in run.notes


def test_explain_a_converted_lead_shows_its_contacts_journey(store: Store) -> None:
    ex = explain_record(store, SPEC, "crm:l1", ["last"], conversion="mql")
    assert {r["conversion_id"] for r in ex.rows} == {"crm:p1"}  # l1 became p1; its MQL on day 12
    assert [r["channel"] for r in ex.rows] == ["email", "paid-search"]
