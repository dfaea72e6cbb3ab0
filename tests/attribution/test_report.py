"""The monthly report's attribution page, rendered from the hand-built store's figures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from revframe.attribution.report_page import attribution_page
from revframe.framework import default_spec_text, load_spec_text
from revframe.metrics.model import Period
from revframe.report import SECTIONS, render_html, report_data, resolve_cadence
from revframe.store import Store
from tests.attribution.stores import plant
from tests.conftest import make_store
from tests.report.sample import empty_runs

SPEC = load_spec_text(default_spec_text())
MARCH = Period.containing("month", date(2026, 3, 1))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = make_store("duckdb", tmp_path)
    plant(s)
    yield s
    s.close()


def section(html: str) -> str:
    return html[html.index('<section id="attribution"') : html.index("</section>", html.index('id="attribution"'))]


def render(page: dict | None, period: Period = MARCH) -> str:
    cadence = resolve_cadence(SPEC, "monthly")
    return render_html(report_data(SPEC, cadence, period, empty_runs(SPEC, period), attribution=page))


def test_the_page_shows_every_model_side_by_side(store: Store) -> None:
    assert SECTIONS[-1] == ("attribution", "Attribution and channel performance")
    part = section(render(attribution_page(store, SPEC, MARCH.start, MARCH.end)))
    assert re.search(r'<svg role="img" aria-label="Share of won revenue by channel, per model"', part)
    assert "1 deal(s) won, 6,250 USD" in part  # o1: 5,000 EUR at 0.8 EUR per USD
    assert "The models disagree most on" in part
    for model in ("first", "last", "linear", "decay", "U", "W", "full path", "markov", "shapley"):
        assert f'<th class="n">{model}</th>' in part
    assert "Spend efficiency (all time to date)" in part and "spend unknown" in part


def test_a_month_whose_deals_have_no_touch_says_so(store: Store) -> None:
    feb = Period.containing("month", date(2026, 2, 1))
    part = section(render(attribution_page(store, SPEC, feb.start, feb.end), feb))
    assert "1 deal(s) won in" in part and "none with an eligible touch" in part


def test_a_review_without_attribution_says_how_to_add_it() -> None:
    assert "add `attribution` to the cadence" in section(render(None)).replace("<code>", "`").replace("</code>", "`")


def test_the_report_summary_counts_the_page(store: Store) -> None:
    from revframe.report import build_view
    from revframe.report.render import section_summary

    cadence = resolve_cadence(SPEC, "monthly")
    page = attribution_page(store, SPEC, MARCH.start, MARCH.end)
    full = section_summary(build_view(report_data(SPEC, cadence, MARCH, empty_runs(SPEC, MARCH), attribution=page)))
    assert {"id": "attribution", "title": "Attribution and channel performance", "has_data": True, "charts": 1,
            "note": None} in full  # fmt: skip
    none = section_summary(build_view(report_data(SPEC, cadence, MARCH, empty_runs(SPEC, MARCH))))
    assert next(s for s in none if s["id"] == "attribution")["has_data"] is False
