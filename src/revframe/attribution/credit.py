"""Every model over one set of journeys: per-touch credit in conversions and revenue, and per-channel totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from revframe.attribution.journeys import FloatArray, Journeys
from revframe.attribution.markov import markov_shares
from revframe.attribution.rules import RULE_MODELS, rule_shares
from revframe.attribution.shapley import shapley_shares, shapley_values
from revframe.errors import UsageError
from revframe.framework.attribution import Attribution
from revframe.framework.suggest import did_you_mean

MODELS = (*RULE_MODELS, "markov", "shapley")


@dataclass
class ModelCredits:
    """One model's credit: per touch, a share of its journey; ``details`` says what the model concluded."""

    model: str
    share: FloatArray
    details: dict[str, Any] = field(default_factory=dict)

    def credit(self, j: Journeys) -> FloatArray:
        """Per touch, conversions credited."""
        return self.share * j.conversions[j.journey_of_touch]

    def revenue(self, j: Journeys) -> FloatArray:
        """Per touch, revenue credited."""
        return self.share * j.value[j.journey_of_touch]


def model_names(asked: str) -> list[str]:
    """The models a ``--model`` value means (``all``: every model)."""
    names = [m.strip() for m in asked.split(",") if m.strip()]
    if names == ["all"]:
        return list(MODELS)
    for m in names:
        if m not in MODELS:
            raise UsageError(f"--model {m}: {did_you_mean(m, list(MODELS))}models: {', '.join(MODELS)}, all")
    return list(dict.fromkeys(names))


def credit_journeys(j: Journeys, models: list[str], spec: Attribution, order: int | None = None) -> list[ModelCredits]:
    """Run ``models`` over ``j``.

    Examples:
        >>> from revframe.attribution.journeys import from_paths
        >>> j = from_paths([["email", "search"]], [1], [1000])
        >>> [c.credit(j).tolist() for c in credit_journeys(j, ["first", "linear"], Attribution())]
        [[1.0, 0.0], [0.5, 0.5]]
    """
    out = []
    for m in models:
        if m in RULE_MODELS:
            out.append(ModelCredits(m, rule_shares(j, m, spec)))
        elif m == "markov":
            k = order or spec.markov_order
            share, effects, p = markov_shares(j, k)
            out.append(ModelCredits(m, share, {
                "order": k, "conversion_probability": p,
                "removal_effects": dict(zip(j.channels, effects.round(6).tolist(), strict=True)),
            }))  # fmt: skip
        elif m == "shapley":
            sv = shapley_values(j, spec.shapley_exact_limit, spec.shapley_samples)
            out.append(ModelCredits(m, shapley_shares(j), {
                "exact": sv.exact, "samples": sv.samples,
                "values": dict(zip(j.channels, sv.conversions.round(6).tolist(), strict=True)),
                "stderr": dict(zip(j.channels, sv.stderr.round(6).tolist(), strict=True)),
                "error_bound_95": None if sv.exact else float(1.96 * sv.stderr.max()),
            }))  # fmt: skip
        else:
            raise UsageError(f"unknown model {m}")
    return out


def channel_totals(j: Journeys, credits: list[ModelCredits]) -> list[dict[str, Any]]:
    """One row per channel and model: conversions and revenue credited."""
    k = len(j.channels)
    rows = []
    for mc in credits:
        conv = np.bincount(j.channel, weights=mc.credit(j), minlength=k)
        rev = np.bincount(j.channel, weights=mc.revenue(j), minlength=k)
        for c in range(k):
            rows.append({"model": mc.model, "channel": j.channels[c], "conversions": float(conv[c]),
                         "revenue": float(rev[c])})  # fmt: skip
    return rows
