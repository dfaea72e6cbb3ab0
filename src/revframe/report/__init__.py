"""Cadence reports: ``revframe report weekly|monthly|quarterly|annual`` as self-contained HTML and PDF.

Typical use::

    from revframe.report import build_report_data, render_html, render_pdf, resolve_cadence
    cadence = resolve_cadence(ws.spec, "monthly")
    data = build_report_data(ws.store, ws.spec, cadence, as_of=date(2026, 10, 1))
    html = render_html(data)                       # charts inline as SVG, nothing fetched
    render_pdf(html, Path("reports/mbr.pdf"))      # the same page, A4, a page per section

:func:`build_report_data` reads the store (metrics, SLA clocks, quality scorecard); everything
after it is a pure function of :class:`ReportData`.
"""

from revframe.report.data import QualityData, ReportData, SlaData, build_report_data, report_data
from revframe.report.periods import period_title, report_period, resolve_cadence
from revframe.report.render import SECTIONS, build_view, render_html, render_pdf, render_view, section_summary
from revframe.report.write import Written, write_report

__all__ = [
    "SECTIONS",
    "QualityData",
    "ReportData",
    "SlaData",
    "Written",
    "build_report_data",
    "build_view",
    "period_title",
    "render_html",
    "render_pdf",
    "render_view",
    "report_data",
    "report_period",
    "resolve_cadence",
    "section_summary",
    "write_report",
]
