"""`revframe attribution`: journeys from the store (or a path file), every model asked, saved with the run."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from revframe.attribution.credit import ModelCredits, credit_journeys
from revframe.attribution.extract import extract_journeys, settings
from revframe.attribution.journeys import Journeys
from revframe.attribution.paths import read_paths
from revframe.errors import UsageError

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.store import Store

UNATTRIBUTED = "(unattributed)"


@dataclass
class AttributionRun:
    """One run: the journeys read, each model's credit, and what the run had to decide about the input."""

    run_id: str
    conversion: str
    source: str
    level: str
    by: str
    journeys: Journeys | None
    credits: list[ModelCredits]
    conversions: float
    unattributed: float = 0.0
    unattributed_revenue: float = 0.0
    campaign_names: dict[str, str] = field(default_factory=dict)
    first_win: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    notes: list[str] = field(default_factory=list)
    engine: str = ""
    unattributed_ids: dict[str, float] = field(default_factory=dict)
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def models(self) -> list[str]:
        return [c.model for c in self.credits]

    @property
    def revenue(self) -> float:
        j = self.journeys
        return (0.0 if j is None else float(j.value.sum())) + self.unattributed_revenue

    def within(self, conversion_ids: set[str]) -> AttributionRun:
        """The same run's credits for only these conversions (models fitted on every journey, as run)."""
        j = self.journeys
        lost = {k: v for k, v in self.unattributed_ids.items() if k in conversion_ids}
        sub = replace(self, credits=[], unattributed=float(len(lost)), unattributed_revenue=sum(lost.values()),
                      unattributed_ids=lost)  # fmt: skip
        if j is None or j.conversion_id is None:
            sub.journeys, sub.conversions = None, float(len(lost))
            return sub
        keep = np.array([c in conversion_ids for c in j.conversion_id], dtype=bool) & (j.conversions > 0)
        touch = keep[j.journey_of_touch]
        sub.journeys = j.subset(keep)
        sub.first_win = self.first_win[keep] if self.first_win.shape[0] == j.n else self.first_win
        sub.credits = [ModelCredits(c.model, c.share[touch], c.details) for c in self.credits]
        sub.conversions = float(sub.journeys.conversions.sum()) + len(lost)
        if not keep.any():
            sub.journeys = None
        return sub

    def keys(self, by: str | None = None) -> tuple[list[str], np.ndarray]:
        """Names and per-touch codes of the channels or campaigns credits are summed by."""
        by = by or self.by
        j = self.journeys
        assert j is not None
        if by == "channel":
            return list(j.channels), j.channel
        if j.campaign_id is None:
            raise UsageError("--by campaign: a path file has channels only; use --by channel")
        ids = np.array(["" if c is None else str(c) for c in j.campaign_id], dtype=object)
        names, code = np.unique(ids, return_inverse=True)
        return [self.campaign_names.get(n, n) if n else "(no campaign)" for n in names], code

    def totals(self, by: str | None = None) -> list[dict[str, Any]]:
        """One row per model and channel (campaign): conversions and revenue credited, and their shares.

        Conversions without an eligible touch are one ``(unattributed)`` row per model, so every
        model's rows add up to the run's conversions and revenue.
        """
        rows: list[dict[str, Any]] = []
        j = self.journeys
        total_conv = self.conversions
        total_rev = self.revenue
        names, code = self.keys(by) if j is not None else ([], np.zeros(0, dtype=np.int64))
        for mc in self.credits:
            if j is None:
                break
            conv = np.bincount(code, weights=mc.credit(j), minlength=len(names))
            rev = np.bincount(code, weights=mc.revenue(j), minlength=len(names))
            for i, name in enumerate(names):
                rows.append(_row(mc.model, by or self.by, name, float(conv[i]), float(rev[i]), total_conv, total_rev))
            if self.unattributed:
                rows.append(_row(mc.model, by or self.by, UNATTRIBUTED, self.unattributed, self.unattributed_revenue,
                                 total_conv, total_rev))  # fmt: skip
        return rows


def _row(
    model: str, by: str, name: str, conv: float, rev: float, total_conv: float, total_rev: float
) -> dict[str, Any]:
    return {
        "model": model, by: name, "conversions": conv, "revenue": rev,
        "conversion_share": conv / total_conv if total_conv else None,
        "revenue_share": rev / total_rev if total_rev else None,
    }  # fmt: skip


def run_attribution(
    store: Store | None,
    spec: Spec,
    models: list[str],
    *,
    conversion: str | None = None,
    by: str = "channel",
    level: str | None = None,
    paths: str | Path | None = None,
    order: int | None = None,
    save: bool = True,
) -> AttributionRun:
    """Attribute one conversion event's journeys (or a path file's) with ``models``; save to the store.

    Raises:
        UsageError: an unknown conversion event, --by value or path-file problem (exit code 2).
    """
    attr = settings(spec)
    if by not in ("channel", "campaign"):
        raise UsageError(f"--by {by}: use channel or campaign")
    if level not in (None, "contact", "account"):
        raise UsageError(f"--level {level}: use contact or account")
    if order is not None and not 1 <= order <= 4:
        raise UsageError(f"--order {order}: Markov order is 1 to 4")
    run_id = uuid.uuid4().hex[:12]
    j: Journeys | None
    if paths is not None:
        if by == "campaign":
            raise UsageError("--by campaign: a path file has channels only; use --by channel")
        j = read_paths(paths)
        run = AttributionRun(run_id, "paths", str(paths), "path", by, j, [], float(j.conversions.sum()),
                             notes=list(j.notes), engine=store.dialect if store else "")  # fmt: skip
    else:
        if store is None:
            raise UsageError("no store to read journeys from; give --paths FILE or a workspace")
        event = conversion or attr.default_conversion
        lvl = level or ("account" if attr.buying_group else "contact")
        ex = extract_journeys(store, spec, event, lvl)
        j = ex.journeys
        run = AttributionRun(
            run_id, event, "store", "contact" if event in ("lead_created", "mql", "sql") else lvl, by, j, [],
            float(ex.conversions), float(ex.unattributed), ex.unattributed_revenue, ex.campaign_names, ex.first_win,
            list(j.notes) if j is not None else [], store.dialect, unattributed_ids=ex.unattributed_ids,
        )  # fmt: skip
        if spec.attribution is None:
            run.notes.append("the spec has no attribution section: its defaults were used (see docs/attribution.md)")
    if j is not None and len(j.channels) == 1:
        run.notes.append(f"one channel only ({j.channels[0]}): every model gives it all the credit")
    if j is not None:
        run.credits = credit_journeys(j, models, attr, order)
    if save and store is not None:
        save_run(store, spec, run)
    return run


def save_run(store: Store, spec: Spec, run: AttributionRun) -> None:
    """Append the run to ``attribution_runs`` and its non-zero credits to ``attribution_credits`` (one transaction)."""
    j = run.journeys
    params = {"level": run.level, "by": run.by, **{c.model: c.details for c in run.credits if c.details}}
    if run.conversion != "paths":
        params |= settings(spec).model_dump(mode="json")
    n = 0 if j is None else j.n
    with store.transaction():
        if not store.query("SELECT 1 FROM framework_versions WHERE version = ?", [spec.version]):
            # the spec a result names must be on record (as Workspace.record_framework_version does)
            store.insert_rows("framework_versions", [(spec.version, datetime.now(UTC), json.dumps(spec.canonical()))])
        store.insert_rows("attribution_runs", [(
            run.run_id, run.conversion, run.source, json.dumps(run.models), n, run.conversions, run.revenue,
            json.dumps(params, sort_keys=True, default=str), json.dumps(run.notes), run.engine, spec.version,
            run.computed_at,
        )])  # fmt: skip
        if j is None:
            return
        jt = j.journey_of_touch
        conv_id = j.conversion_id if j.conversion_id is not None else np.arange(j.n).astype(str).astype(object)
        key = j.journey_key if j.journey_key is not None else np.full(j.n, None, dtype=object)
        names = np.array(j.channels, dtype=object)
        for mc in run.credits:
            credit, revenue = mc.credit(j), mc.revenue(j)
            keep = (credit != 0) | (revenue != 0)
            idx = np.flatnonzero(keep)
            if not idx.shape[0]:
                continue
            m = idx.shape[0]
            batch = pa.table({
                "run_id": [run.run_id] * m, "model": [mc.model] * m, "conversion": [run.conversion] * m,
                "conversion_id": pa.array(conv_id[jt[idx]].tolist(), pa.string()),
                "journey_key": pa.array(key[jt[idx]].tolist(), pa.string()),
                "touch_id": pa.array(j.touch_id[idx].tolist(), pa.string())
                if j.touch_id is not None else pa.nulls(m, pa.string()),
                "position": pa.array(j.position[idx] + 1, pa.int64()),
                "channel": pa.array(names[j.channel[idx]].tolist(), pa.string()),
                "campaign_id": pa.array(j.campaign_id[idx].tolist(), pa.string())
                if j.campaign_id is not None else pa.nulls(m, pa.string()),
                "credit": pa.array(credit[idx], pa.float64()), "revenue": pa.array(revenue[idx], pa.float64()),
                "framework_version": [spec.version] * m, "computed_at": pa.array([run.computed_at] * m),
            })  # fmt: skip
            store.insert_arrow("attribution_credits", batch)
