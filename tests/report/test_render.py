"""The report's HTML from hand-built metric runs: every section, inline SVG charts, nothing fetched, no silent 0."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from revframe.framework import Spec, default_spec_text, load_spec_text
from revframe.metrics.model import MetricRun, Period
from revframe.report import SECTIONS, ReportData, build_view, render_html, report_data, resolve_cadence
from revframe.report.fmt import DASH
from revframe.report.render import section_summary
from tests.report.sample import NRR_NOTE, empty_runs, sample_quality, sample_runs, sample_sla

SEPTEMBER = Period.containing("month", date(2026, 9, 1))
GENERATED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec_text(default_spec_text())


def monthly(spec: Spec, runs: list[MetricRun], **kw: object) -> ReportData:
    return report_data(spec, resolve_cadence(spec, "monthly"), SEPTEMBER, runs, generated_at=GENERATED, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def html(spec: Spec) -> str:
    return render_html(monthly(spec, sample_runs(spec, SEPTEMBER), sla=sample_sla(), quality=sample_quality()))


@pytest.fixture(scope="module")
def empty_html(spec: Spec) -> str:
    return render_html(monthly(spec, empty_runs(spec, SEPTEMBER)))


def section(html: str, sid: str) -> str:
    """The HTML of one section."""
    found = re.search(rf'<section id="{sid}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"section {sid} missing"
    return found.group(1)


def row(html: str, metric_id: str) -> str:
    found = re.search(rf'<tr id="m-{metric_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {metric_id}"
    return found.group(1)


def text(fragment: str) -> str:
    """The visible text of an HTML fragment (tags dropped, spaces collapsed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


# --- structure ----------------------------------------------------------------------------------------
def test_the_title_block_names_company_cadence_period_version_and_time(html: str, spec: Spec) -> None:
    header = text(html.split("</header>")[0])
    assert "Northwind Analytics" in header and "Monthly business review" in header
    assert "September 2026 compared with August 2026" in header
    assert spec.version in header and "2026-10-01 09:00 UTC" in header and "1–30 Sep 2026" in header


def test_every_section_is_there_in_order(html: str) -> None:
    positions = [html.index(f'<section id="{sid}"') for sid, _ in SECTIONS]
    assert positions == sorted(positions)
    for sid, title in SECTIONS:
        assert title in section(html, sid)


@pytest.mark.parametrize("sid", ["funnel", "pipeline", "arr", "cycle", "response"])
def test_each_section_chart_is_an_inline_svg(html: str, sid: str) -> None:
    part = section(html, sid)
    assert re.search(r'<svg role="img" aria-label="[^"]+" class="chart"', part), f"{sid}: no inline chart"
    assert "<text" in part  # titles, labels: drawn, not fetched


def test_tier1_metrics_have_sparklines_and_other_metrics_bars(html: str) -> None:
    assert "<svg" in row(html, "win_rate") and "<svg" in row(html, "bookings")
    bars = row(html, "feature_adoption")  # reported per feature: the period's features as bars
    assert "by feature" in text(bars) and "<svg" in bars and "dashboards" in bars


def test_the_report_is_self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "@import"):
        assert tag not in html, tag
    assert not re.search(r"\ssrc=", html)
    urls = re.findall(r"url\(([^)]*)\)", html)
    assert all(u.startswith("#") for u in urls), urls  # only the charts' own clip paths
    hrefs = set(re.findall(r'href="([^"]*)"', html))
    assert hrefs and all(h.startswith("#") or h == "charter.html" for h in hrefs), hrefs


def test_chart_ids_do_not_collide_between_charts(html: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1][:5]
    for ref in re.findall(r"url\(#([^)]+)\)", html):
        assert ref in ids, ref  # each clip path points at its own chart's definition


# --- values ----------------------------------------------------------------------------------------------
def test_an_empty_value_is_a_dash_with_its_note_never_zero(html: str) -> None:
    nrr = row(html, "net_revenue_retention")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", nrr, re.S)
    assert DASH in cells[1] and f'title="{NRR_NOTE}"' in cells[1]  # the tooltip
    assert not re.search(r"\b0(\.0)?%", text(cells[1]))
    footnote = re.search(r'href="#fn-(\d+)"', cells[1])
    assert footnote and f'<li id="fn-{footnote.group(1)}">{NRR_NOTE}</li>' in html  # and the footnote (PDF)


def test_a_period_without_rows_is_a_dash_saying_so(html: str) -> None:
    churn = re.findall(r"<td[^>]*>(.*?)</td>", row(html, "logo_churn"), re.S)
    assert DASH in churn[2] and 'title="no data in 2026-08"' in churn[2]
    assert text(churn[3]) == DASH  # no change can be told


def test_values_print_in_their_units(html: str) -> None:
    assert re.search(r"USD \d+(\.\d+)?[KM]", text(row(html, "bookings")))
    assert re.search(r"\d\.\dx", text(row(html, "pipeline_coverage")))
    assert re.search(r"\d+\.\d% .*\d+\.\d%", text(row(html, "win_rate")))
    assert "24 days" in text(section(html, "cycle")) and "26 min" in text(section(html, "response"))
    arr = text(section(html, "arr"))
    assert "USD 17,900,000" in arr and "USD −270,000" in arr and "Net new ARR in the period: USD 400K" in arr


def test_targets_and_status_respect_direction(spec: Spec) -> None:
    runs = sample_runs(spec, SEPTEMBER)
    for r in runs[0].results["win_rate"].rows:  # up, target 25: 24 misses it
        if r.period == SEPTEMBER:
            r.value = 24.0
    out = render_html(monthly(spec, runs))
    win = text(row(out, "win_rate"))
    assert "25.0%" in win and "off target" in win
    median = re.search(r"<tr><td>Median</td>(.*?)</tr>", section(out, "response"), re.S)
    assert median and "on target" in median.group(1)  # down, target 30 min: 26 min meets it
    assert "30 min" in median.group(1) and "▼ 23.5%" in median.group(1)
    assert 'class="n good">▼ 23.5%' in median.group(1)  # faster is good news


def test_funnel_counts_are_the_conversions_denominators_and_numerators(spec: Spec, html: str) -> None:
    run = sample_runs(spec, SEPTEMBER)[0]
    m2s = run.results["mql_to_sql_conversion"].value(SEPTEMBER)
    rows = [r for r in run.results["mql_to_sql_conversion"].rows if r.period == SEPTEMBER]
    assert m2s is not None and rows[0].denominator is not None and rows[0].numerator is not None
    part = text(section(html, "funnel"))
    assert f"{rows[0].numerator:,.0f} of {rows[0].denominator:,.0f} MQLs" in part


def test_sla_and_quality_sections_show_their_tables(html: str) -> None:
    sla = text(section(html, "response"))
    assert "Marketing to sales (MQL)" in sla and "89.6%" in sla and "▲ 5.6 pts" in sla
    quality = text(section(html, "quality"))
    assert "18,433" in quality and "93.1% ▲1.1" in quality and "scan-20261001T070000Z-abc123" in quality


def test_the_footer_lists_rates_and_notes(html: str) -> None:
    footer = text(html.split("<footer>")[1])
    assert "EUR 1.0842 2026-01-01 118" in footer
    assert "amounts in EUR and GBP converted at the rates below" in footer
    assert "Win rate: closed opportunities without an amount count by number only" in footer
    assert "revframe framework doc" in footer


# --- no data ---------------------------------------------------------------------------------------------
def test_an_empty_store_renders_explicit_no_data_sections(empty_html: str) -> None:
    for sid in ("funnel", "pipeline", "arr", "cycle", "response", "quality"):
        assert 'class="nodata"' in section(empty_html, sid), sid
    assert "<svg" not in section(empty_html, "funnel") and "<svg" not in section(empty_html, "arr")
    assert "<code>revframe sla</code>" in section(empty_html, "response")
    assert "<code>revframe quality scan</code>" in section(empty_html, "quality")
    tier1 = section(empty_html, "tier1")
    values = [text(c) for c in re.findall(r'<td class="n big">(.*?)</td>', tier1, re.S)]
    assert values and all(v.startswith(DASH) for v in values), values
    assert "no records in the period" in empty_html


def test_the_summary_says_which_sections_have_data(spec: Spec) -> None:
    full = section_summary(build_view(monthly(spec, sample_runs(spec, SEPTEMBER), sla=sample_sla(),
                                              quality=sample_quality())))  # fmt: skip
    assert [s["id"] for s in full] == [sid for sid, _ in SECTIONS]
    # the attribution page is read from the store only (tests/attribution/test_report.py)
    assert all(s["has_data"] for s in full if s["id"] != "attribution"), [s for s in full if not s["has_data"]]
    empty = section_summary(build_view(monthly(spec, empty_runs(spec, SEPTEMBER))))
    assert not any(s["has_data"] for s in empty)
    assert all(s["note"] for s in empty)


def test_a_metric_the_spec_lacks_leaves_its_section_saying_so(spec: Spec) -> None:
    runs = sample_runs(spec, SEPTEMBER)
    del runs[0].results["arr_waterfall"]
    data = monthly(spec, runs)
    del data.metrics["arr_waterfall"]
    arr = text(section(render_html(data), "arr"))
    assert "arr_waterfall: not a metric of this framework spec" in arr


def test_a_weekly_report_reads_weeks(spec: Spec) -> None:
    week = Period.containing("week", date(2026, 9, 21))
    data = report_data(spec, resolve_cadence(spec, "weekly"), week, sample_runs(spec, week), generated_at=GENERATED)
    out = render_html(data)
    assert "Weekly RevOps review" in out and "Week 39, 2026 (21–27 Sep)" in out and "W38 2026" in out
    assert "<svg" in row(out, "stage_conversion")  # by stage, as bars


def test_names_are_escaped_in_the_page_and_the_pdf_footer(spec: Spec) -> None:
    data = monthly(spec, empty_runs(spec, SEPTEMBER))
    data.company = 'Fox "&" <Co>'
    out = render_html(data)
    assert "<Co>" not in out and "Fox &#34;&amp;&#34; &lt;Co&gt;" in out
    assert 'content:"Fox \\"&\\" \\3c Co>' in out  # a CSS string: quotes and < escaped, nothing breaks out
