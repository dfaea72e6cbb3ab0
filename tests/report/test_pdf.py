"""The PDF: WeasyPrint's rendering of the same HTML, A4, a page per section, charts drawn (not missing)."""

from __future__ import annotations

import re
import subprocess
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from revframe.framework import default_spec_text, load_spec_text
from revframe.metrics.model import Period
from revframe.report import SECTIONS, render_html, render_pdf, report_data, resolve_cadence
from tests.report.sample import sample_quality, sample_runs, sample_sla

A4 = (595, 842)  # points; WeasyPrint rounds to these


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    spec = load_spec_text(default_spec_text())
    period = Period.containing("month", date(2026, 9, 1))
    at = datetime(2026, 10, 1, 9, tzinfo=UTC)
    data = report_data(spec, resolve_cadence(spec, "monthly"), period, sample_runs(spec, period), generated_at=at,
                       sla=sample_sla(), quality=sample_quality())  # fmt: skip
    path = render_pdf(render_html(data), tmp_path_factory.mktemp("pdf") / "nested" / "mbr.pdf")
    return path.read_bytes()


def objects(pdf: bytes) -> bytes:
    """The PDF's text with its compressed streams inflated (WeasyPrint packs page objects in object streams)."""
    parts = [pdf]
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(raw))
        except zlib.error:
            continue
    return b"\n".join(parts)


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", objects(pdf)))


def test_the_pdf_is_a_pdf_of_several_a4_pages(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) >= len(SECTIONS)  # a page per section at least
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", objects(pdf))
    assert boxes and all((round(float(w)), round(float(h))) == A4 for w, h in boxes)


def test_the_pdf_carries_the_report_text_and_page_numbers(pdf: bytes, tmp_path: Path) -> None:
    source = tmp_path / "r.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, text=True, check=True).stdout
    for _, title in SECTIONS:
        assert title in out
    assert "Page 1 of" in out and "Northwind Analytics · Monthly business review · September 2026" in out
    assert "Funnel, September 2026" in out  # chart titles are text drawn from the inline SVG
