"""The attribution pillar: journeys from touches, rule-based, Markov (exact) and Shapley models; spend and ROI.

Modules: ``journeys`` (journeys as arrays), ``extract`` (journeys from the store, SQL), ``paths`` (the
common path-file format), ``rules`` (first, last, linear, time decay, U, W, full path), ``markov``
(absorbing chain, solved exactly), ``shapley`` (exact over coalitions, sampled above a limit),
``credit`` (every model over one set of journeys), ``run`` (a run, saved to the store), ``spend``
(efficiency per model) and ``explain`` (one record's journey). See docs/attribution.md.
"""

from __future__ import annotations

from revframe.attribution.credit import MODELS, ModelCredits, credit_journeys
from revframe.attribution.explain import explain_record
from revframe.attribution.journeys import Journeys, from_paths
from revframe.attribution.paths import path_rows, read_paths, write_paths
from revframe.attribution.run import AttributionRun, run_attribution
from revframe.attribution.spend import SpendReport, spend_report

__all__ = [
    "MODELS",
    "AttributionRun",
    "Journeys",
    "ModelCredits",
    "SpendReport",
    "credit_journeys",
    "explain_record",
    "from_paths",
    "path_rows",
    "read_paths",
    "run_attribution",
    "spend_report",
    "write_paths",
]
