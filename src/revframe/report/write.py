"""Write a cadence report into a workspace's ``reports`` folder (what `revframe report` and the demo do)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from revframe.report.data import ReportData, build_report_data
from revframe.report.periods import resolve_cadence
from revframe.report.render import build_view, render_pdf, render_view

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.metrics import Cadence
    from revframe.store import Store


@dataclass
class Written:
    """A report on disk: where, what it covers, and the view it was rendered from."""

    cadence: Cadence
    data: ReportData
    view: dict[str, Any]
    html: Path
    pdf: Path | None
    charter: Path


def write_report(
    root: Path, store: Store, spec: Spec, cadence: str, *, as_of: date | None = None, out: Path | None = None,
    pdf: bool = False,
) -> Written:  # fmt: skip
    """Build, render and write the report of ``cadence`` (a frequency or a cadence id) for workspace ``root``.

    Raises:
        UsageError: an unknown cadence (exit code 2).
    """
    chosen = resolve_cadence(spec, cadence)
    data = build_report_data(store, spec, chosen, as_of=as_of)
    target = (out or root / "reports" / f"{chosen.id}-{data.period.label}.html").resolve()
    charter = root / "reports" / "charter.html"
    view = build_view(data, charter_href=Path(os.path.relpath(charter, target.parent)).as_posix())
    html = render_view(view)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    pdf_path = render_pdf(html, target.with_suffix(".pdf")) if pdf else None
    return Written(chosen, data, view, target, pdf_path, charter)
