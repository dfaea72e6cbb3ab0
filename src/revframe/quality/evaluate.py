"""Score duplicate clusters against labelled truth: pairwise and cluster-level precision, recall, F1.

Used by the demo (against its ground truth) and by ``bench/dedupe.py`` (revframe and the
baselines, on the same truth). Truth and prediction are both ``record id → cluster id`` maps over
the same universe of records; a record alone in its cluster has no pairs.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from revframe.store import Store


@dataclass(frozen=True)
class Scores:
    """Pairwise and cluster-level precision, recall and F1 of predicted clusters against the truth."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    true_clusters: int
    predicted_clusters: int
    exact_clusters: int
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pairs(sizes: Counter[Any]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(truth: dict[str, str], predicted: dict[str, str], universe: set[str] | None = None) -> Scores:
    """Compare two clusterings (record → cluster id) over ``universe`` (default: every record named)."""
    if universe is not None:
        truth = {k: v for k, v in truth.items() if k in universe}
        predicted = {k: v for k, v in predicted.items() if k in universe}
    true_pairs = _pairs(Counter(truth.values()))
    pred_pairs = _pairs(Counter(predicted.values()))
    both = Counter((truth[k], predicted[k]) for k in truth.keys() & predicted.keys())
    correct = _pairs(both)
    precision = correct / pred_pairs if pred_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0

    def groups(assign: dict[str, str]) -> set[frozenset[str]]:
        out: dict[str, set[str]] = {}
        for k, c in assign.items():
            out.setdefault(c, set()).add(k)
        return {frozenset(g) for g in out.values() if len(g) > 1}

    true_groups, pred_groups = groups(truth), groups(predicted)
    exact = len(true_groups & pred_groups)
    c_precision = exact / len(pred_groups) if pred_groups else 1.0
    c_recall = exact / len(true_groups) if true_groups else 1.0
    return Scores(
        true_pairs=true_pairs,
        predicted_pairs=pred_pairs,
        correct_pairs=correct,
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(_f1(precision, recall), 4),
        true_clusters=len(true_groups),
        predicted_clusters=len(pred_groups),
        exact_clusters=exact,
        cluster_precision=round(c_precision, 4),
        cluster_recall=round(c_recall, 4),
        cluster_f1=round(_f1(c_precision, c_recall), 4),
    )


def ground_truth(duplicates_csv: Path, object_name: str) -> dict[str, str]:
    """The demo's true duplicate clusters for an object: canonical id → cluster id.

    ``converted_lead`` rows are lineage (a lead and the contact its conversion created), not
    duplicates, and are left out, as dedupe leaves converted leads out.
    """
    with duplicates_csv.open(newline="", encoding="utf-8") as f:
        return {
            f"{r['source_system']}:{r['external_id']}": r["cluster_id"]
            for r in csv.DictReader(f)
            if r["table"] == object_name and r["role"] in ("original", "duplicate")
        }


def latest_clusters(store: Store, object_name: str) -> tuple[str | None, dict[str, str]]:
    """The latest dedupe run of the object and its clusters (record → cluster id)."""
    from revframe.quality.dedupe import latest_run

    run_id = latest_run(store, object_name)
    if run_id is None:
        return None, {}
    rows = store.query("SELECT record_id, cluster_id FROM duplicate_clusters WHERE run_id = ?", [run_id])
    return run_id, {r[0]: r[1] for r in rows}


def dedupe_universe(store: Store, object_name: str) -> set[str]:
    """The records dedupe considers: every account; every contact and lead except converted leads."""
    where = " WHERE converted_contact_id IS NULL" if object_name == "contacts" else ""
    return {r[0] for r in store.query(f"SELECT id FROM {object_name}{where}")}
