"""`revframe score`: score every person (or some) by the spec's rules or by the predictive model."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.process.predictive import PredictiveReport
from revframe.process.scoring import score_people


class ScoreModel(StrEnum):
    """How people are scored."""

    rules = "rules"
    predictive = "predictive"


@app.command()
def score(
    model: Annotated[
        ScoreModel, typer.Option("--model", help="rules: the spec's ICP and engagement points; predictive: learned.")
    ] = ScoreModel.rules,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Score as of this date (YYYY-MM-DD; default now).")
    ] = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="Score only this person (contacts.id); repeat for more.")
    ] = None,
) -> None:
    """Score people: fit to the ICP, decayed engagement, total, grade (A1-D4), MQL, and the reasons.

    Each run writes one lead_scores row per person, which becomes that person's current score; the
    lifecycle's score criteria compare the current rules score. --model predictive trains a logistic
    regression on who reached SQL (first-30-day signals only), records it in scoring_models with its
    holdout AUC, Brier score and calibration, and scores everyone with its probability. See
    docs/process/scoring.md.
    """
    ws = workspace()
    report = score_people(ws.store, ws.spec, ids=ids or None, as_of=as_of, model=model.value)
    if STATE.format is Format.json:
        emit_json(report.to_dict())
        return
    people = [
        {"contact_id": s.contact_id, "fit": s.fit, "engagement": s.engagement, "total": s.total, "grade": s.grade,
         "mql": s.is_mql, "disqualified_by": s.disqualified_by or "",
         "reasons": "; ".join(f"{r['factor']} {r['points']:+.1f}" for r in s.reasons)}
        for s in report.scores.values()
    ]  # fmt: skip
    if STATE.format is Format.csv:
        emit_rows(people or [{"grade": g, "people": n} for g, n in report.grades.items()])
        return
    say(
        f"Scoring run {report.run_id} ({report.model}) as of {report.as_of:%Y-%m-%d %H:%M} UTC: "
        f"{report.people:,} people, {report.mqls:,} MQLs ({report.hot:,} hot), {report.disqualified:,} disqualified; "
        f"average fit {report.avg_fit:.1f}, engagement {report.avg_engagement:.1f}, total {report.avg_total:.1f}"
    )
    if people:
        emit_rows(people, title="Scores")
    grades = [{"grade": g, "people": n} for g, n in report.grades.items()]
    emit_rows(grades or [{"grade": "-", "people": 0}], title="Grades")
    if report.top_reasons:
        emit_rows([{"factor": f, "people": n} for f, n in report.top_reasons], title="Most common reasons")
    if isinstance(report, PredictiveReport):
        say(
            f"Model: {report.labelled:,} labelled people ({report.positives:,} reached SQL); holdout of "
            f"{report.holdout_size:,}: AUC {report.auc:.3f}, Brier {report.brier:.4f}"
        )
        emit_rows(report.calibration, title="Calibration (holdout): predicted vs observed SQL rate")
