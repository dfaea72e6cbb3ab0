"""Duplicate detection: the spec's deterministic keys plus a splink model trained without labels.

The flow of one run (``dedupe(store, spec, "contacts")``):

1. read the object's records from the store (any engine) into an in-process DuckDB and build the
   match features (:mod:`revframe.quality.features`); converted leads are history, not records,
   and are left out (their contact is the live record);
2. block: only pairs that share an email, a phone, a company and a name part, ... are compared
   (near-linear work; each spec match key is a blocking rule too);
3. train the Fellegi-Sunter model with splink, without labels: u-probabilities from random pairs,
   m-probabilities by expectation maximisation on two independent blocking passes;
4. score the blocked pairs; a pair that agrees on a spec match key is a match (probability 1);
5. cluster the pairs at the spec's review threshold (connected components); a cluster whose members
   are joined at the auto-merge threshold is ``auto_merge``, the rest go to ``review``;
6. write the run, the clusters and the pairs (with per-field agreement) in one transaction.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from revframe.errors import UsageError
from revframe.framework import Spec
from revframe.quality.comparisons import (
    BLOCKING,
    DISTINCT,
    IDENTIFIED,
    SMALL,
    TRAINING,
    Compare,
    comparisons_for,
    match_key_columns,
    object_config,
)
from revframe.quality.features import build_features, load_records
from revframe.store import Store

OBJECTS = ("contacts", "accounts")
Pair = tuple[str, str, float, str, dict[str, Any]]  # left id, right id, probability, matched by, agreements
BLOCK_CAP = 500  # a blocking value shared by more records (a shared inbox, a placeholder) blocks nothing


@dataclass
class DedupeResult:
    """What one run found."""

    run_id: str
    object: str
    records: int
    pairs: int
    clusters: int
    auto_merge: int
    review: int
    duplicate_records: int
    seconds: float
    model: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dedupe(
    store: Store,
    spec: Spec,
    object_name: str,
    *,
    framework_version: str | None = None,
    memory_limit: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> DedupeResult:
    """Find the object's duplicates and write them (run, clusters, pairs) to the store."""
    if object_name not in OBJECTS:
        raise UsageError(f"--object {object_name}: dedupe works on {' or '.join(OBJECTS)}")
    say = progress or (lambda _msg: None)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    config = object_config(spec, object_name)
    comparisons = comparisons_for(spec, object_name)
    keys = match_key_columns(spec, object_name)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit or os.environ.get('REVFRAME_DEDUPE_MEMORY', '6GB')}'")
    con.execute("SET preserve_insertion_order = false")
    try:
        say(f"reading {object_name}")
        records = load_records(store, con, object_name)
        build_features(con, object_name, _free_email_domains(spec))
        run_id = f"dedupe-{started.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        pairs, distinct = _identical(con, object_name, comparisons)
        blocking = _blocking_input(con, object_name, keys)
        if distinct < 2:
            model: dict[str, Any] = {"trained": False, "reason": f"{distinct} distinct record(s): nothing to compare"}
        else:
            say(f"training the match model on {distinct:,} distinct records")
            scored, model = _score(con, object_name, comparisons, keys, blocking, config.thresholds.review, say)
            pairs += scored
        say(f"clustering {len(pairs):,} pairs")
        members = _cluster(pairs, config.thresholds.review, config.thresholds.auto_merge)
        info = {
            r[0]: (r[1], r[2], r[3])
            for r in con.execute("SELECT unique_id, source_system, external_id, record_type FROM features").fetchall()
        }
    finally:
        con.close()
    result = _write(
        store,
        object_name,
        run_id,
        started,
        records,
        pairs,
        members,
        info,
        model,
        framework_version,
        time.perf_counter() - t0,
    )
    return result


def _free_email_domains(spec: Spec) -> list[str]:
    """The spec's free-mail providers: an address there says nothing about the company."""
    return list(spec.dedup.account_matching.free_mail_domains) if spec.dedup else []


def _identical(con: duckdb.DuckDBPyConnection, object_name: str, comparisons: list[Compare]) -> tuple[list[Pair], int]:
    """Collapse records identical on every feature to one representative (``match_input``).

    Each other copy pairs with its representative at probability 1 (matched by ``identical``), so
    10,000 copies of one record cost 9,999 pairs, not 50 million comparisons. Returns those pairs
    and the number of distinct records left to match.
    """
    cols = [c for c in _feature_columns(con) if c not in ("unique_id", "source_system", "external_id", "record_type")]
    part = ", ".join(f"CAST({c} AS VARCHAR)" for c in cols)
    # only records that say who they are collapse; two records with nothing but a name stay two
    known = IDENTIFIED[object_name]
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE twins AS
        SELECT unique_id,
               CASE WHEN {known} THEN min(unique_id) OVER (PARTITION BY {part}, {known}) ELSE unique_id END AS rep
        FROM features
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE match_input AS SELECT f.* FROM features AS f JOIN twins AS t "
        "ON t.unique_id = f.unique_id WHERE t.rep = t.unique_id"
    )
    same = {c.name: "exact" for c in comparisons}
    rows = con.execute("SELECT rep, unique_id FROM twins WHERE rep <> unique_id").fetchall()
    count = con.execute("SELECT count(*) FROM match_input").fetchone()
    return [(rep, uid, 1.0, "identical", same) for rep, uid in rows], int(count[0]) if count else 0


def _feature_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("DESCRIBE features").fetchall()]


def blocking_rules(object_name: str, keys: list[tuple[str, list[str]]]) -> list[list[str]]:
    """The object's blocking columns, then each spec key not among them."""
    return [*BLOCKING[object_name], *(cols for _id, cols in keys if cols not in BLOCKING[object_name])]


def _blocking_input(con: duckdb.DuckDBPyConnection, object_name: str, keys: list[tuple[str, list[str]]]) -> list[str]:
    """Blocking rules as SQL, each capped at ``BLOCK_CAP`` records per value (sizes added to match_input)."""
    rules = blocking_rules(object_name, keys)
    sizes = ", ".join(f"count(*) OVER (PARTITION BY {', '.join(cols)}) AS _block{i}" for i, cols in enumerate(rules))
    con.execute(f"CREATE OR REPLACE TEMP TABLE match_input AS SELECT *, {sizes} FROM match_input")
    return [
        " AND ".join([*(f"l.{c} = r.{c}" for c in cols), f"l._block{i} <= {BLOCK_CAP}"]) for i, cols in enumerate(rules)
    ]


def _score(
    con: duckdb.DuckDBPyConnection,
    object_name: str,
    comparisons: list[Compare],
    keys: list[tuple[str, list[str]]],
    blocking: list[str],
    threshold: float,
    say: Callable[[str], None],
) -> tuple[list[Pair], dict[str, Any]]:
    """Train the model and score the blocked pairs; returns pairs at or above ``threshold`` and the model."""
    from splink import DuckDBAPI, Linker, SettingsCreator
    from splink.blocking_rule_library import CustomRule

    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    rules = blocking_rules(object_name, keys)
    training = [blocking[BLOCKING[object_name].index(cols)] for cols in TRAINING[object_name]]
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[c.splink() for c in comparisons],
        blocking_rules_to_generate_predictions=[CustomRule(sql, "duckdb") for sql in blocking],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=[],
    )
    db = DuckDBAPI(connection=con)
    linker = Linker("match_input", settings, db, set_up_basic_logging=False)
    linker.training.estimate_probability_two_random_records_match([CustomRule(training[0], "duckdb")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=7)
    distinct = con.execute("SELECT count(*) FROM match_input").fetchone()
    learn_m = bool(distinct and distinct[0] >= SMALL)
    for rule in training if learn_m else []:
        linker.training.estimate_parameters_using_expectation_maximisation(
            CustomRule(rule, "duckdb"), estimate_without_term_frequencies=True
        )
    say("scoring candidate pairs")
    predictions = linker.inference.predict(threshold_match_probability=min(threshold, 0.5))
    table = predictions.physical_name
    gammas = [f"gamma_{c.name}" for c in comparisons]
    # every pair a spec key joins is a match, whatever the model says (the spec decides)
    keyed = (
        " UNION ALL ".join(
            f"SELECT l.unique_id AS a, r.unique_id AS b, '{kid}' AS key_id FROM match_input AS l JOIN match_input AS r "
            f"ON {blocking[rules.index(cols)]} AND l.unique_id < r.unique_id"
            for kid, cols in keys
        )
        or "SELECT NULL AS a, NULL AS b, NULL AS key_id WHERE false"
    )
    rows = con.execute(
        f"""
        WITH keyed AS (SELECT a, b, min(key_id) AS key_id FROM ({keyed}) GROUP BY a, b),
        model AS (
            SELECT p.* FROM {table} AS p
            JOIN features AS l ON l.unique_id = p.unique_id_l
            JOIN features AS r ON r.unique_id = p.unique_id_r
            WHERE p.match_probability >= ? AND NOT coalesce({DISTINCT[object_name]}, false)
        )
        SELECT coalesce(m.unique_id_l, k.a), coalesce(m.unique_id_r, k.b), m.match_probability,
               {", ".join(f"m.{g}" for g in gammas)}, k.key_id
        FROM model AS m FULL OUTER JOIN keyed AS k ON k.a = m.unique_id_l AND k.b = m.unique_id_r
        """,
        [threshold],
    ).fetchall()
    labels = [c.labels() for c in comparisons]
    pairs: list[Pair] = []
    for left, right, prob, *gs, key_id in rows:
        if prob is None:  # joined by a key, scored below what predict keeps: the key is the evidence
            agreements = {"key": key_id}
        else:
            agreements = {
                c.name: labels[i].get(int(g), str(g)) for i, (c, g) in enumerate(zip(comparisons, gs, strict=True))
            }
        pairs.append((left, right, 1.0 if key_id else float(prob), key_id or "model", agreements))
    model = _model_summary(linker) | {"m_learned": learn_m}
    return pairs, model


def _model_summary(linker: Any) -> dict[str, Any]:
    """The trained parameters, per comparison level: m, u and the match weight (log2 of m/u)."""
    out: dict[str, Any] = {"trained": True, "comparisons": {}}
    settings = linker._settings_obj  # splink keeps the trained model here; its public API only charts it
    out["probability_two_random_records_match"] = settings._probability_two_random_records_match
    for comp in settings.comparisons:
        levels = []
        for lvl in comp.comparison_levels:
            if lvl.is_null_level:
                continue
            levels.append(
                {
                    "level": lvl.label_for_charts,
                    "m": lvl.m_probability,
                    "u": lvl.u_probability,
                    "weight": lvl._log2_bayes_factor if lvl.m_probability and lvl.u_probability else None,
                }
            )
        out["comparisons"][comp.output_column_name] = levels
    return out


def _cluster(pairs: list[Pair], review: float, auto: float) -> dict[str, tuple[str, float, str]]:
    """Connected components at ``review``; a component joined at ``auto`` is auto_merge.

    Returns record id → (cluster id, the strongest probability that joined the record, decision).
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union_at(threshold: float) -> dict[str, str]:
        parent.clear()
        for left, right, prob, _key, _agr in pairs:
            if prob >= threshold:
                a, b = find(left), find(right)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        return {x: find(x) for x in list(parent)}

    strongest: dict[str, float] = {}
    for left, right, prob, _key, _agr in pairs:
        if prob >= review:
            for x in (left, right):
                strongest[x] = max(strongest.get(x, 0.0), prob)
    at_review = union_at(review)
    at_auto = union_at(auto)
    groups: dict[str, list[str]] = {}
    for x, root in at_review.items():
        groups.setdefault(root, []).append(x)
    out: dict[str, tuple[str, float, str]] = {}
    for root, xs in groups.items():
        if len(xs) < 2:
            continue
        autos = {at_auto.get(x, x) for x in xs}
        decision = "auto_merge" if len(autos) == 1 and xs[0] in at_auto else "review"
        cluster_id = "c-" + uuid.uuid5(uuid.NAMESPACE_URL, "\x1f".join(sorted(xs))).hex[:12]
        for x in xs:
            out[x] = (cluster_id, strongest.get(x, 0.0), decision)
        del root
    return out


def _write(
    store: Store,
    object_name: str,
    run_id: str,
    started: datetime,
    records: int,
    pairs: list[Pair],
    members: dict[str, tuple[str, float, str]],
    info: dict[str, tuple[str, str, str | None]],
    model: dict[str, Any],
    framework_version: str | None,
    seconds: float,
) -> DedupeResult:
    clusters = {cid: decision for cid, _p, decision in members.values()}
    auto = sum(1 for d in clusters.values() if d == "auto_merge")
    cluster_rows = [
        (run_id, cid, object_name, rid, *info[rid][:2], info[rid][2], round(prob, 6), decision, "open")
        for rid, (cid, prob, decision) in sorted(members.items(), key=lambda kv: (kv[1][0], kv[0]))
    ]
    pair_rows = [
        (run_id, members[left][0], object_name, left, right, round(prob, 6), key, json.dumps(agr, sort_keys=True))
        for left, right, prob, key, agr in pairs
        if left in members and members[left][0] == members.get(right, ("",))[0]
    ]
    result = DedupeResult(
        run_id=run_id,
        object=object_name,
        records=records,
        pairs=len(pair_rows),
        clusters=len(clusters),
        auto_merge=auto,
        review=len(clusters) - auto,
        duplicate_records=len(members),
        seconds=round(seconds, 2),
        model=model,
    )
    with store.transaction():
        store.insert_rows(
            "dedupe_runs",
            [
                (
                    run_id,
                    object_name,
                    started,
                    datetime.now(UTC),
                    records,
                    result.pairs,
                    result.clusters,
                    auto,
                    result.review,
                    json.dumps(model, default=str),
                    framework_version,
                )
            ],
        )
        for start in range(0, len(cluster_rows), 200_000):
            store.insert_rows("duplicate_clusters", cluster_rows[start : start + 200_000])
        for start in range(0, len(pair_rows), 200_000):
            store.insert_rows("duplicate_pairs", pair_rows[start : start + 200_000])
    return result
