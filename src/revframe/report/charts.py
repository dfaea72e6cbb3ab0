"""The report's charts: Altair specs rendered to static SVG by vl-convert, inline in the HTML.

vl-convert bundles Vega and renders in-process: no browser, no CDN, no JavaScript in the report.
Data is always inline and ``allowed_base_urls=[]`` forbids any fetch, so a chart can never reach
the network. Chart builders take plain rows (label, value and the text to print) so the report
decides the formatting once (:mod:`revframe.report.fmt`) and the charts only draw.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

import altair as alt
import vl_convert

FONT = "Helvetica, Arial, 'Liberation Sans', sans-serif"
"""The system sans-serif both the charts and the page use (vl-convert measures text with it)."""
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
NOW, PRIOR = "#2b6cb0", "#a3bffa"
GOOD, BAD, TOTAL = "#2f855a", "#c05621", "#334e68"
WIDTH = 520
"""Plot width in pixels: with its labels a chart fits the A4 text width (180 mm) at 96 dpi."""

_XMLNS = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')
_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def to_svg(chart: alt.TopLevelMixin, label: str) -> str:
    """Render ``chart`` to an inline ``<svg>`` element, with ``label`` for screen readers.

    The namespace declarations are dropped: inside HTML the parser puts ``<svg>`` in the SVG
    namespace itself, and the report then carries no ``http://`` text at all.
    """
    spec = chart.to_dict()
    svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    svg = _XMLNS.sub("", svg, count=2)
    # Every vl-convert SVG numbers its clip paths from 1: inline, the ids of several charts would
    # collide and a chart would clip with another's path. Prefix them with a digest of the chart.
    prefix = "c" + hashlib.sha1((label + svg).encode("utf-8")).hexdigest()[:8] + "-"
    svg = _IDS.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)
    safe = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg", f'<svg role="img" aria-label="{safe}" class="chart"', 1)


def _style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, background="white", padding={"left": 4, "right": 12, "top": 4, "bottom": 4})
        .configure_view(stroke=None)
        .configure_axis(
            labelFontSize=11,
            titleFontSize=11,
            labelColor=MUTED,
            titleColor=MUTED,
            gridColor=GRID,
            domainColor="#cbd2d9",
            tickColor="#cbd2d9",
            titleFontWeight="normal",
            labelLimit=180,
        )  # fmt: skip
        .configure_legend(labelFontSize=11, titleFontSize=11, labelColor=INK, orient="top", title=None)
        .configure_title(fontSize=13, anchor="start", color=INK, subtitleColor=MUTED, subtitleFontSize=11, offset=10)
    )


def _title(text: str, subtitle: str | None) -> alt.TitleParams:
    return alt.TitleParams(text, subtitle=subtitle or [])


def axis_text(x: float) -> str:
    """A number as the axis prints it with SI prefixes (``17.4M``), for the subtitles that mention one."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:,.3g}{suffix}"
    return f"{x:,.0f}"


def axis_format(values: list[float | None]) -> str:
    """A d3 format for an axis over ``values``: SI prefixes (``1.2M``) for large numbers, plain below 10,000."""
    top = max((abs(v) for v in values if v is not None), default=0.0)
    return "~s" if top >= 10_000 else ",~r"


def hbars(items: list[dict[str, Any]], *, title: str, subtitle: str | None = None, axis_title: str = "",
          color: str = NOW) -> str:  # fmt: skip
    """Horizontal bars in the given order; ``items``: ``label``, ``value``, ``text`` (printed at the bar's end).

    An item may carry its own ``color``; otherwise every bar is ``color``.
    """
    order = [i["label"] for i in items]
    fmt = axis_format([i["value"] for i in items])
    base = alt.Chart(alt.Data(values=items)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(ticks=False, domain=False, labelPadding=6)),
        x=alt.X("value:Q", title=axis_title, axis=alt.Axis(format=fmt, tickCount=5)),
    )
    bars = base.mark_bar(color=color, cornerRadiusEnd=2, height={"band": 0.7})
    if all("color" in i for i in items):  # each bar its own color (e.g. a cohort and the part that converted)
        bars = bars.encode(color=alt.Color("color:N", scale=None))
    text = base.mark_text(align="left", dx=4, fontSize=11, color=INK).encode(text="text:N")
    height = max(60, 26 * len(items))
    chart = (bars + text).properties(width=WIDTH, height=height, title=_title(title, subtitle))
    return to_svg(_style(chart), title)


def grouped_bars(items: list[dict[str, Any]], *, title: str, subtitle: str | None = None, axis_title: str = "",
                 series: tuple[str, str], target: float | None = None, target_text: str = "") -> str:  # fmt: skip
    """This period against the prior one, per label: ``items`` with ``label``, ``series``, ``value``, ``text``.

    ``series`` names the two periods (this one first). A dashed rule marks ``target`` when given.
    """
    order = list(dict.fromkeys(i["label"] for i in items))
    fmt = axis_format([i["value"] for i in items] + [target])
    color = alt.Color("series:N", scale=alt.Scale(domain=list(series), range=[NOW, PRIOR]), sort=list(series))
    base = alt.Chart(alt.Data(values=items)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(ticks=False, domain=False, labelPadding=6)),
        yOffset=alt.YOffset("series:N", sort=list(series)),
        x=alt.X("value:Q", title=axis_title, axis=alt.Axis(format=fmt, tickCount=5)),
    )
    layers: list[Any] = [
        base.mark_bar(cornerRadiusEnd=2).encode(color=color),
        base.mark_text(align="left", dx=4, fontSize=10, color=INK).encode(text="text:N"),
    ]
    if target is not None:
        rule = alt.Chart(alt.Data(values=[{"target": target, "text": target_text}]))
        layers.append(rule.mark_rule(color=BAD, strokeDash=[4, 3], strokeWidth=1.5).encode(x="target:Q"))
        layers.append(
            rule.mark_text(align="center", baseline="bottom", y=-3, fontSize=10, color=BAD).encode(
                x="target:Q", text="text:N"
            )
        )
    height = max(70, 44 * len(order))
    chart = alt.layer(*layers).properties(width=WIDTH, height=height, title=_title(title, subtitle))
    return to_svg(_style(chart), title)


def waterfall(steps: list[dict[str, Any]], *, title: str, subtitle: str | None = None, axis_title: str = "") -> str:
    """A waterfall: ``steps`` with ``label``, ``low``, ``high``, ``kind`` (total, increase, decrease), ``text``.

    When the movements are small against the totals (ARR moves by a few percent a month), the value
    axis starts near the lowest level instead of zero, or every movement would be a sliver; the
    subtitle then says so.
    """
    order = [s["label"] for s in steps]
    levels = [s["high"] if s["kind"] == "total" else s["low"] for s in steps] + [s["high"] for s in steps]
    lowest, highest = min(levels), max(levels)
    span = highest - lowest
    floor = 0.0
    if lowest > 0 and span < 0.5 * highest:
        floor = max(0.0, lowest - 0.6 * span) if span else lowest * 0.9
        step = 10 ** math.floor(math.log10(span or lowest))
        floor = math.floor(floor / step) * step  # a round number the axis can start at
        note = f"value axis starts at {axis_text(floor)}, not zero"
        subtitle = f"{subtitle}; {note}" if subtitle else note
    fmt = axis_format([highest])
    kinds = alt.Scale(domain=["total", "increase", "decrease"], range=[TOTAL, GOOD, BAD])
    base = alt.Chart(alt.Data(values=steps)).encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, ticks=False, labelPadding=6)),
    )
    scale = alt.Scale(domain=[floor, highest + 0.12 * (highest - floor)], zero=False, nice=False)
    bars = base.mark_bar(size=56, clip=True).encode(
        y=alt.Y("low:Q", title=axis_title, scale=scale, axis=alt.Axis(format=fmt, tickCount=5)),
        y2="high:Q",
        color=alt.Color("kind:N", scale=kinds, legend=None),
    )
    text = base.mark_text(baseline="bottom", dy=-4, fontSize=11, color=INK).encode(
        y=alt.Y("high:Q", scale=scale), text="text:N"
    )
    chart = (bars + text).properties(width=WIDTH, height=240, title=_title(title, subtitle))
    return to_svg(_style(chart), title)


def sparkline(points: list[dict[str, Any]], *, label: str, color: str = NOW) -> str:
    """A small trend line without axes: ``points`` with ``period`` (in order) and ``value`` (None for a gap)."""
    order = [p["period"] for p in points]
    base = alt.Chart(alt.Data(values=points)).encode(
        x=alt.X("period:O", sort=order, axis=None),
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
    )
    last = [p for p in points if p["value"] is not None][-1:]
    dot = (
        alt.Chart(alt.Data(values=last))
        .mark_circle(size=22, color=color, opacity=1)
        .encode(x=alt.X("period:O", sort=order, axis=None), y=alt.Y("value:Q", axis=None))
    )
    chart = (base.mark_line(color=color, strokeWidth=1.6, interpolate="monotone") + dot).properties(
        width=110, height=26
    )
    styled = chart.configure(font=FONT, background="transparent", padding=3).configure_view(stroke=None)
    return to_svg(styled, label)


def minibars(items: list[dict[str, Any]], *, label: str) -> str:
    """Small bars for a metric reported per category (stage, band, feature): ``label``, ``value``, ``text``."""
    order = [i["label"] for i in items]
    top = max(i["value"] for i in items) or 1.0
    axis = alt.Axis(ticks=False, domain=False, labelFontSize=10, labelLimit=130, labelColor=MUTED, labelPadding=4)
    base = alt.Chart(alt.Data(values=items)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=axis),
        x=alt.X("value:Q", axis=None, scale=alt.Scale(domain=[0, top * 1.45])),
    )
    bars = base.mark_bar(color=NOW, height={"band": 0.72})
    text = base.mark_text(align="left", dx=3, fontSize=10, color=INK).encode(text="text:N")
    chart = (bars + text).properties(width=120, height=15 * len(items))
    styled = chart.configure(font=FONT, background="transparent", padding=2).configure_view(stroke=None)
    return to_svg(styled, label)


def heatmap(items: list[dict[str, Any]], *, title: str, subtitle: str | None = None, rows: list[str],
            columns: list[str]) -> str:  # fmt: skip
    """A grid of shaded cells with their text: ``items`` with ``row``, ``column``, ``value``, ``text`` and
    ``dark`` (the text is white on the darkest cells)."""
    base = alt.Chart(alt.Data(values=items)).encode(
        y=alt.Y("row:N", sort=rows, title=None,
                axis=alt.Axis(ticks=False, domain=False, labelPadding=6, labelLimit=200, minExtent=100)),
        x=alt.X("column:N", sort=columns, title=None,
                axis=alt.Axis(orient="top", ticks=False, domain=False, labelAngle=0, labelPadding=4)),
    )  # fmt: skip
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("value:Q", scale=alt.Scale(range=["#f0f4f8", NOW], domainMin=0), legend=None)
    )
    text = base.mark_text(fontSize=10).encode(
        text="text:N",
        color=alt.condition("datum.dark", alt.value("white"), alt.value(INK)),
    )
    chart = (cells + text).properties(width=WIDTH, height=max(60, 22 * len(rows)), title=_title(title, subtitle))
    return to_svg(_style(chart), title)
