"""Render a cadence report: one self-contained HTML page (charts inline as SVG), and the same page as PDF.

The HTML has no script, no stylesheet or font to fetch and no image to load: it can be mailed,
archived or opened offline as it is. The PDF is WeasyPrint's rendering of that very HTML with its
print rules (A4, page numbers, a page per section), so both always say the same thing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from revframe.report.attribution import attribution_section
from revframe.report.lookup import Footnotes, MetricLookup
from revframe.report.operations import lead_response, quality_scorecard, sla_compliance
from revframe.report.panels import other_metrics, tier1_panel
from revframe.report.periods import period_range, period_short, period_title
from revframe.report.sections import arr_waterfall, deal_cycle, funnel, pipeline

if TYPE_CHECKING:
    from revframe.report.data import ReportData

SECTIONS = (
    ("tier1", "Executive metrics"),
    ("funnel", "Funnel and conversions"),
    ("pipeline", "Pipeline by stage and coverage"),
    ("arr", "ARR waterfall"),
    ("cycle", "Deal cycle by segment"),
    ("response", "Lead response and SLA compliance"),
    ("quality", "Data quality"),
    ("other", "Operational and diagnostic metrics"),
    ("attribution", "Attribution and channel performance"),
)
"""The report's sections, in order: ids (HTML anchors, ``--format json``) and titles."""


def css_string(text: object) -> Markup:
    """``text`` as the inside of a CSS string (the PDF's running footer): quotes, backslashes and ``<`` escaped."""
    out = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return Markup(out)


_env = Environment(loader=PackageLoader("revframe.report", "templates"), autoescape=True, trim_blocks=True,
                   lstrip_blocks=True)  # fmt: skip
_env.filters["css_string"] = css_string
_CODE = re.compile(r"`([^`]+)`")


def code_spans(text: object) -> Markup:
    """A message with its `commands` in backticks shown as code (the text itself escaped)."""
    return Markup(_CODE.sub(r"<code>\1</code>", str(escape(str(text)))))


_env.filters["code"] = code_spans


def _rates(data: ReportData) -> tuple[list[dict[str, Any]], int]:
    """The exchange rates in effect in the prior and the reported period (per currency: the last one valid
    at the start of the prior period and any that started later), and how many rates the runs listed."""
    every: list[dict[str, Any]] = []
    for run in data.runs:
        every += [rate for rate in run.rates if rate not in every]
    first, last = data.prior.start.isoformat(), data.period.end.isoformat()
    shown = []
    for cur in dict.fromkeys(str(r.get("currency")) for r in every):
        mine = sorted((r for r in every if str(r.get("currency")) == cur), key=lambda r: str(r.get("valid_from") or ""))
        before = [r for r in mine if str(r.get("valid_from") or "") <= first]
        shown += before[-1:] + [r for r in mine if first < str(r.get("valid_from") or "") < last]
    return shown, len(every)


def _notes(data: ReportData) -> list[str]:
    """The run's notes: the report's own, each metrics run's, and each metric's (named)."""
    out = list(data.notes)
    for run in data.runs:
        out += run.notes
        for mid, result in run.results.items():
            name = data.metrics[mid].name if mid in data.metrics else mid
            out += [f"{name}: {n}" for n in result.notes]
    return list(dict.fromkeys(out))


def build_view(data: ReportData, *, charter_href: str = "charter.html") -> dict[str, Any]:
    """Everything the template prints, section by section (pure: no store, no clock)."""
    lk = MetricLookup(data.runs, data.metrics)
    notes = Footnotes()
    c = data.cadence
    labels = data.labels["role"]
    rates, listed = _rates(data)
    view: dict[str, Any] = {
        "company": data.company, "currency": data.currency, "cadence": c, "framework_version": data.framework_version,
        "period": data.period, "period_title": period_title(data.period), "prior_title": period_title(data.prior),
        "period_range": period_range(data.period), "now_label": period_short(data.period),
        "prior_label": period_short(data.prior),
        "generated_at": f"{data.generated_at:%Y-%m-%d %H:%M %Z}".strip(),
        "owner": labels.get(c.owner, c.owner), "attendees": [labels.get(a, a) for a in c.attendees],
        "tier1": tier1_panel(data, lk, notes), "funnel": funnel(data, lk, notes),
        "pipeline": pipeline(data, lk, notes), "arr": arr_waterfall(data, lk, notes),
        "cycle": deal_cycle(data, lk, notes), "response": lead_response(data, lk, notes),
        "sla": sla_compliance(data), "quality": quality_scorecard(data), "other": other_metrics(data, lk, notes),
        "attribution": attribution_section(data),
        "rates": rates, "rates_listed": listed, "run_notes": _notes(data), "charter_href": charter_href,
        "runs": [{"run_id": r.run_id, "engine": r.engine, "computed_at": f"{r.computed_at:%Y-%m-%d %H:%M}"}
                 for r in data.runs],
        "sections": SECTIONS, "trend_count": len(data.trend),
    }  # fmt: skip
    view["footnotes"] = notes.texts  # last: every section has added its notes
    return view


def _has_values(lines: list[dict[str, Any]]) -> bool:
    return any(line["now"].value is not None or line["bars"] for line in lines)


def section_summary(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Each section's id, title, whether it has data, its charts, and what is missing (``--format json``)."""
    out = []
    for sid, title in SECTIONS:
        part = view[sid]
        note = part.get("empty")
        if sid in ("tier1", "other") and not note and not _has_values(part["lines"]):
            note = "every value is empty in this period (see the footnotes)"
        charts = 1 if part.get("svg") else 0
        if sid == "response":
            charts += 1 if view["sla"].get("svg") else 0
            if note and not view["sla"].get("empty"):
                note = None  # the SLA half has data
        if sid in ("tier1", "other"):
            charts = sum(1 for line in part["lines"] if line["spark"] or line["bars"])
        out.append({"id": sid, "title": title, "has_data": note is None, "charts": charts, "note": note})
    return out


def render_view(view: dict[str, Any]) -> str:
    """The HTML of a view from :func:`build_view` (when the caller also wants the view, e.g. its summary)."""
    return _env.get_template("report.html.j2").render(v=view)


def render_html(data: ReportData, *, charter_href: str = "charter.html") -> str:
    """The report as one self-contained HTML page.

    Args:
        data: what the report shows (:func:`revframe.report.data.build_report_data`).
        charter_href: where the definitions live, relative to the report (``revframe framework doc``
            writes ``reports/charter.html``, next to the default report path).

    Returns:
        The HTML text: inline CSS and SVG, no script, nothing fetched.
    """
    return render_view(build_view(data, charter_href=charter_href))


def render_pdf(html: str, path: Path) -> Path:
    """Write ``html`` as a PDF at ``path`` (A4, a page per section); returns ``path``.

    WeasyPrint needs the system's Pango library; without it the error says what to install.
    """
    try:
        from weasyprint import HTML
    except OSError as e:  # pragma: no cover - depends on the machine's libraries
        from revframe.errors import RevframeError

        raise RevframeError(
            f"--pdf needs the Pango library WeasyPrint draws text with ({e}); on Debian or Ubuntu: "
            "apt-get install -y libpango-1.0-0 libpangoft2-1.0-0"
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(path.parent)).write_pdf(path)
    return path
