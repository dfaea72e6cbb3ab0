"""Predictive lead scoring: a logistic regression learns, from the people whose outcome is known, which
early signals precede a sales-qualified lead, and scores everyone with its probability.

- **label**: the person reached SQL (``contacts.sql_at`` set) or the lead converted, at or before ``as_of``.
- **features** (no leakage): only touchpoints and rep-logged activities in the person's first 30 days
  (from ``created_at``) and strictly before ``sql_at``/``converted_at``, decayed per type to the end of
  that window; the ICP fit criteria met (industry, size, geography, title, seniority, function) and
  one-hot seniority and function read from the title. Nothing recorded after the window is read.
- **who trains**: people created at least 30 days before ``as_of`` (their window is complete).
- **model**: StandardScaler + LogisticRegression (not class-balanced, so probabilities stay calibrated),
  a stratified holdout; the report gives the holdout AUC, the Brier score and a 10-bin calibration table.
- **scores**: total = probability x 100; grade = fit letter + probability digit (1 >= 75% ...); the
  reasons are the three largest per-person contributions (coefficient x standardized value).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.process.criteria import Params, Subject
from revframe.process.scoring import (
    FIT_FACTORS,
    PersonScore,
    ScoreReport,
    build_report,
    fetch_people,
    fit_criteria,
    fit_letter,
    icp_countries,
    id_filter,
    level_digit,
    new_run_id,
    require_scoring,
    write_scores,
)
from revframe.process.titles import FUNCTIONS, SENIORITIES, parse_title
from revframe.quality.scan import parse_as_of

if TYPE_CHECKING:
    import numpy as np

    from revframe.framework import Spec
    from revframe.store import Store

WINDOW_DAYS = 30
MIN_LABELLED = 50
TOP = 3


@dataclass
class PredictiveReport(ScoreReport):
    """A predictive scoring run: the scores' summary plus how well the model did on the holdout.

    Attributes:
        labelled: people with a known outcome used (train + holdout); ``positives`` of them reached SQL.
        holdout_size: people held out to measure the model.
        auc: holdout ROC AUC (0.5 is a coin toss, 1.0 ranks every SQL above every non-SQL).
        brier: holdout mean squared error of the probabilities (lower is better).
        calibration: per probability bin: predicted mean, observed rate, count.
        coefficients: feature name (in words) -> coefficient on the standardized feature.
    """

    labelled: int = 0
    positives: int = 0
    holdout_size: int = 0
    auc: float = 0.0
    brier: float = 0.0
    calibration: list[dict[str, Any]] = field(default_factory=list)
    coefficients: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {
            "labelled": self.labelled,
            "positives": self.positives,
            "holdout_size": self.holdout_size,
            "holdout_auc": self.auc,
            "brier": self.brier,
            "calibration": self.calibration,
            "coefficients": self.coefficients,
        }


def _feature_names(spec: Spec) -> list[tuple[str, str]]:
    """(id, words) of every feature, in column order."""
    assert spec.scoring is not None
    names = [(f"fit:{f}", f"meets the ICP {f.replace('_', ' ')}") for f in FIT_FACTORS]
    names += [(f"seniority:{s}", f"seniority {s.replace('_', ' ')}") for s in SENIORITIES]
    names += [(f"function:{f}", f"function {f.replace('_', ' ')}") for f in FUNCTIONS]
    for p in spec.scoring.engagement.points:
        names.append((f"{p.kind}:{p.type}", f"{p.type.replace('_', ' ')} ({p.kind}) in the first {WINDOW_DAYS} days"))
    return names


def _vector(spec: Spec, countries: set[str], row: dict[str, Any], names: list[str]) -> list[float]:
    assert spec.icp is not None and spec.scoring is not None
    values = dict.fromkeys(names, 0.0)
    for f, (ok, _detail) in fit_criteria(spec.icp, countries, row).items():
        values[f"fit:{f}"] = float(ok)
    seniority, function = parse_title(row.get("title"))
    if seniority:
        values[f"seniority:{seniority}"] = 1.0
    if function:
        values[f"function:{function}"] = 1.0
    points = {
        (p.kind, p.type.strip().lower().replace(" ", "_").replace("-", "_")): p for p in spec.scoring.engagement.points
    }
    for kind, typ, _n, _latest, _cutoff, pts in row["events"]:
        p = points.get((kind, typ))
        if p is not None and p.points:
            values[f"{kind}:{p.type}"] += pts / p.points  # decayed count: the model learns its own weight
    return [values[n] for n in names]


def _label(row: dict[str, Any], as_of: datetime) -> bool:
    def by(v: Any) -> bool:
        return isinstance(v, datetime) and (v if v.tzinfo else v.replace(tzinfo=UTC)) <= as_of

    return (
        by(row.get("sql_at"))
        or by(row.get("converted_at"))
        or (row.get("converted_contact_id") is not None and row.get("converted_at") is None)
    )


def _eligible(row: dict[str, Any], as_of: datetime) -> bool:
    created = row.get("created_at")
    if not isinstance(created, datetime):
        return False
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    return created <= as_of - timedelta(days=WINDOW_DAYS)


def _calibration(p: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    import numpy as np

    bins = np.minimum((p * 10).astype(int), 9)
    out = []
    for b in range(10):
        m = bins == b
        if m.any():
            out.append(
                {
                    "bin": f"{b / 10:.1f}-{(b + 1) / 10:.1f}",
                    "predicted": round(float(p[m].mean()), 4),
                    "observed": round(float(y[m].mean()), 4),
                    "count": int(m.sum()),
                }
            )
    return out


def train_predictive(
    store: Store,
    spec: Spec,
    *,
    as_of: str | date | datetime | None = None,
    seed: int = 0,
    holdout: float = 0.25,
    run_id: str | None = None,
    ids: list[str] | None = None,
) -> PredictiveReport:
    """Train the predictive model on the people with a known outcome, record it, and score everyone.

    Args:
        store: the canonical store.
        spec: the framework spec (ICP, engagement point types and thresholds).
        as_of: outcomes and events after this time are ignored (default now).
        seed: the holdout split's random seed.
        holdout: the share of labelled people held out to measure the model.
        run_id: the run id (default a new one), for ``scoring_models`` and ``lead_scores``.
        ids: score only these people (the model still trains on everyone eligible).

    Returns:
        The report: holdout AUC, Brier score, calibration, coefficients, and the scores' summary.

    Raises:
        UsageError: fewer than 50 labelled people, or fewer than two of either outcome.

    Examples:
        >>> from revframe import Workspace
        >>> import tempfile
        >>> ws = Workspace.init(tempfile.mkdtemp())
        >>> train_predictive(ws.store, ws.spec, as_of="2026-09-30")
        Traceback (most recent call last):
        ...
        revframe.errors.UsageError: predictive scoring needs at least 50 labelled people ...
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    require_scoring(spec)
    assert spec.scoring is not None and spec.icp is not None
    when = parse_as_of(as_of)
    now = datetime.now(UTC)
    run_id = run_id or new_run_id("predict")
    ctx = Subject("contacts", when, Params(), set())
    # the first 30 days, ending just before the outcome (SQL or conversion) and never after as_of
    window = (
        f"SELECT c.id AS contact_id, least(c.created_at + INTERVAL {WINDOW_DAYS} DAY, c.sql_at - INTERVAL 1 SECOND, "
        f"c.converted_at - INTERVAL 1 SECOND, {ctx.ts(when)}) AS cutoff, CAST(NULL AS TIMESTAMPTZ) AS start "
        f"FROM contacts AS c WHERE {id_filter('c.id', None, ctx.sql)}"
    )
    extra = ", c.created_at, c.sql_at, c.converted_at, c.converted_contact_id"
    people = fetch_people(store, spec, ctx, None, window, extra)
    countries = icp_countries(spec)
    named = _feature_names(spec)
    names = [n for n, _ in named]
    words = dict(named)
    order = sorted(people)
    x_all = np.array([_vector(spec, countries, people[p], names) for p in order], dtype=float).reshape(-1, len(names))
    train_rows = [i for i, p in enumerate(order) if _eligible(people[p], when)]
    y = np.array([_label(people[order[i]], when) for i in train_rows], dtype=int)
    positives = int(y.sum())
    if len(train_rows) < MIN_LABELLED:
        raise UsageError(
            f"predictive scoring needs at least {MIN_LABELLED} labelled people (created {WINDOW_DAYS}+ days before "
            f"as-of {when:%Y-%m-%d}, with sql_at or a conversion telling the outcome); found {len(train_rows)}"
        )
    if min(positives, len(y) - positives) < 2:
        raise UsageError(
            f"predictive scoring needs both outcomes: of {len(y)} labelled people {positives} reached SQL and "
            f"{len(y) - positives} did not; at least 2 of each are needed (contacts.sql_at, converted leads)"
        )
    x = x_all[train_rows]
    x_tr, x_ho, y_tr, y_ho = train_test_split(x, y, test_size=holdout, stratify=y, random_state=seed)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(x_tr, y_tr)
    p_ho = model.predict_proba(x_ho)[:, 1]
    auc = float(roc_auc_score(y_ho, p_ho)) if len(set(y_ho.tolist())) == 2 else float("nan")
    brier = float(brier_score_loss(y_ho, p_ho))
    calibration = _calibration(p_ho, y_ho)
    scaler, lr = model.steps[0][1], model.steps[1][1]
    coef = lr.coef_[0]
    coefficients = {words[n]: round(float(c), 4) for n, c in zip(names, coef, strict=True)}

    chosen = [i for i, p in enumerate(order) if ids is None or p in set(ids)]
    probs = model.predict_proba(x_all[chosen])[:, 1] if chosen else np.zeros(0)
    z = scaler.transform(x_all[chosen]) if chosen else np.zeros((0, len(names)))
    scores: list[PersonScore] = []
    weights = spec.icp.fit_weights
    scale = 100.0 / weights.total if weights.total else 0.0
    for k, i in enumerate(chosen):
        row = people[order[i]]
        crit = fit_criteria(spec.icp, countries, row)
        fit = round(min(100.0, sum(getattr(weights, f) * scale for f, (ok, _) in crit.items() if ok)), 4)
        engagement = round(min(100.0, max(0.0, sum(e[5] for e in row["events"]))), 4)
        total = round(float(probs[k]) * 100, 4)
        contrib = coef * z[k]
        top = np.argsort(-np.abs(contrib), kind="stable")[:TOP]
        reasons = [
            {
                "factor": names[j],
                "points": round(float(contrib[j]), 4),
                "detail": f"{words[names[j]]} ({'raises' if contrib[j] >= 0 else 'lowers'} the odds; "
                f"value {x_all[i, j]:.2f})",
            }
            for j in top
        ]
        dq = next((d for n, d in enumerate(spec.icp.disqualifiers) if row.get(f"dq_{n}")), None)
        if dq is not None:
            rule = {"factor": f"disqualifier:{dq.id}", "points": 0.0, "detail": f"{dq.description} Never an MQL."}
            reasons = [rule, *reasons[: TOP - 1]]
        scores.append(
            PersonScore(
                order[i],
                fit,
                engagement,
                total,
                fit_letter(fit) + level_digit(total),
                dq is None and total >= spec.scoring.thresholds.mql,
                dq.id if dq else None,
                reasons,
            )  # fmt: skip
        )
    features = [
        {"feature": n, "words": words[n], "coefficient": round(float(c), 6)} for n, c in zip(names, coef, strict=True)
    ]
    with store.transaction():
        store.insert_rows(
            "scoring_models",
            [
                (
                    run_id,
                    "predictive",
                    now,
                    len(y),
                    positives,
                    auc,
                    brier,
                    json.dumps(calibration),
                    json.dumps(features),
                    spec.version,
                )
            ],  # fmt: skip
        )
        write_scores(store, spec, run_id, "predictive", scores, now, every=ids is None)
    base = build_report(spec, run_id, when, "predictive", scores, ids is not None)
    return PredictiveReport(
        **{k: getattr(base, k) for k in base.__dataclass_fields__},
        labelled=len(y),
        positives=positives,
        holdout_size=len(y_ho),
        auc=round(auc, 4),
        brier=round(brier, 4),
        calibration=calibration,
        coefficients=coefficients,
    )
