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
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

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
BACKENDS = ("duckdb", "spark")
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
    backend: str = "duckdb",
) -> DedupeResult:
    """Find the object's duplicates and write them (run, clusters, pairs) to the store.

    ``backend`` runs the matching model: ``duckdb`` (in process, the default) or ``spark`` (for
    data sets beyond one machine; ``REVFRAME_SPARK_MASTER`` names the cluster). The store can be
    any engine either way.
    """
    if object_name not in OBJECTS:
        raise UsageError(f"--object {object_name}: dedupe works on {' or '.join(OBJECTS)}")
    if backend not in BACKENDS:
        raise UsageError(f"--backend {backend}: use {' or '.join(BACKENDS)}")
    say = progress or (lambda _msg: None)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    config = object_config(spec, object_name)
    comparisons = comparisons_for(spec, object_name)
    keys = match_key_columns(spec, object_name)
    workdir = tempfile.TemporaryDirectory(prefix="revframe-dedupe-")  # spills, and Spark's input
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit or os.environ.get('REVFRAME_DEDUPE_MEMORY', '6GB')}'")
    con.execute(f"SET temp_directory = '{workdir.name}'")
    con.execute("SET preserve_insertion_order = false")
    try:
        say(f"reading {object_name}")
        records = load_records(store, con, object_name)
        build_features(con, object_name, _free_email_domains(spec))
        run_id = f"dedupe-{started.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        distinct = _identical(con, object_name, comparisons)
        blocking = _blocking_input(con, object_name, keys)
        if distinct < 2:
            model: dict[str, Any] = {"trained": False, "reason": f"{distinct} distinct record(s): nothing to compare"}
        else:
            say(f"training the match model on {distinct:,} distinct records")
            review = config.thresholds.review
            learn_m = distinct >= SMALL  # enough distinct records to learn m from; else the priors stand
            model = _score(
                con, object_name, comparisons, keys, blocking, review, say, backend, Path(workdir.name), learn_m
            )
        say("clustering the matched pairs")
        _cluster(con, config.thresholds.review, config.thresholds.auto_merge)
        result = _write(store, con, object_name, run_id, started, records, model, framework_version, t0)
    finally:
        con.close()
        workdir.cleanup()
    return result


def latest_run(store: Store, object_name: str) -> str | None:
    """The latest dedupe run of the object (the clusters merges take and scorecards count), or None."""
    rows = store.query(
        "SELECT run_id FROM dedupe_runs WHERE object = ? ORDER BY started_at DESC, run_id DESC LIMIT 1", [object_name]
    )
    return str(rows[0][0]) if rows else None


def _free_email_domains(spec: Spec) -> list[str]:
    """The spec's free-mail providers: an address there says nothing about the company."""
    return list(spec.dedup.account_matching.free_mail_domains) if spec.dedup else []


def _identical(con: duckdb.DuckDBPyConnection, object_name: str, comparisons: list[Compare]) -> int:
    """Collapse records identical on every feature to one representative (``match_input``).

    Each other copy pairs with its representative at probability 1 (matched by ``identical``, into
    ``pairs``), so 10,000 copies of one record cost 9,999 pairs, not 50 million comparisons.
    Returns the number of distinct records left to match.
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
    same = json.dumps({c.name: {"level": "exact", "weight": None} for c in comparisons}, sort_keys=True)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pairs AS SELECT rep AS l, unique_id AS r, 1.0::DOUBLE AS p, "
        "'identical' AS matched_by, ? AS agreements FROM twins WHERE rep <> unique_id",
        [same],
    )
    count = con.execute("SELECT count(*) FROM match_input").fetchone()
    return int(count[0]) if count else 0


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
    backend: str,
    workdir: Path,
    learn_m: bool,
) -> dict[str, Any]:
    """Train the model, score the blocked pairs, add those at or above ``threshold`` (or joined by a
    spec key) to ``pairs``; returns the trained model.

    ``backend`` runs splink: ``duckdb`` in this process's DuckDB, or ``spark`` (local Spark, or the
    cluster ``REVFRAME_SPARK_MASTER`` names), which reads the prepared records as Parquet and hands
    the scored pairs back as Arrow.
    """
    from splink import SettingsCreator
    from splink.blocking_rule_library import CustomRule

    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    rules = blocking_rules(object_name, keys)
    training = [blocking[BLOCKING[object_name].index(cols)] for cols in TRAINING[object_name]]
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[c.splink(backend) for c in comparisons],
        blocking_rules_to_generate_predictions=[CustomRule(sql, backend) for sql in blocking],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=[],
    )
    linker = _linker(con, settings, backend, workdir)
    linker.training.estimate_probability_two_random_records_match([CustomRule(training[0], backend)], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=7)
    for rule in training if learn_m else []:
        linker.training.estimate_parameters_using_expectation_maximisation(
            CustomRule(rule, backend), estimate_without_term_frequencies=True
        )
    say("scoring candidate pairs")
    predictions = linker.inference.predict(threshold_match_probability=min(threshold, 0.5))
    table = predictions.physical_name
    if backend == "spark":  # the scored pairs come back to DuckDB, where the rest of the run happens
        cols = ["unique_id_l", "unique_id_r", "match_probability"]
        cols += [f"{part}_{c.name}" for c in comparisons for part in ("gamma", "bf")]
        scored = pa.Table.from_pandas(predictions.as_spark_dataframe().select(*cols).toPandas(), preserve_index=False)
        con.register("_spark_predictions", scored)
        con.execute("CREATE OR REPLACE TEMP TABLE spark_predictions AS SELECT * FROM _spark_predictions")
        con.unregister("_spark_predictions")
        table = "spark_predictions"
    # every pair a spec key joins is a match, whatever the model says (the spec decides)
    keyed = (
        " UNION ALL ".join(
            f"SELECT l.unique_id AS a, r.unique_id AS b, '{kid}' AS key_id FROM match_input AS l JOIN match_input AS r "
            f"ON {blocking[rules.index(cols)]} AND l.unique_id < r.unique_id"
            for kid, cols in keys
        )
        or "SELECT NULL AS a, NULL AS b, NULL AS key_id WHERE false"
    )
    agreements = ", ".join(f"'{c.name}', {_agreement_sql(c)}" for c in comparisons)
    con.execute(
        f"""
        INSERT INTO pairs
        WITH keyed AS (SELECT a, b, min(key_id) AS key_id FROM ({keyed}) GROUP BY a, b),
        model AS (
            SELECT p.* FROM {table} AS p
            JOIN features AS l ON l.unique_id = p.unique_id_l
            JOIN features AS r ON r.unique_id = p.unique_id_r
            WHERE p.match_probability >= ? AND NOT coalesce({DISTINCT[object_name]}, false)
        )
        SELECT coalesce(m.unique_id_l, k.a), coalesce(m.unique_id_r, k.b),
               CASE WHEN k.key_id IS NOT NULL THEN 1.0 ELSE m.match_probability END,
               coalesce(k.key_id, 'model'),
               -- joined by a key but scored below what predict keeps: the key is the evidence
               CASE WHEN m.unique_id_l IS NULL THEN json_object('key', k.key_id)
                    ELSE json_object({agreements}) END::VARCHAR
        FROM model AS m FULL OUTER JOIN keyed AS k ON k.a = m.unique_id_l AND k.b = m.unique_id_r
        """,
        [threshold],
    )
    model = _model_summary(linker) | {"m_learned": learn_m}
    return model


def _linker(con: duckdb.DuckDBPyConnection, settings: Any, backend: str, workdir: Path) -> Any:
    """A splink linker over ``match_input`` on the backend (Spark reads it from ``workdir``)."""
    from splink import DuckDBAPI, Linker, SparkAPI

    if backend == "duckdb":
        return Linker("match_input", settings, DuckDBAPI(connection=con), set_up_basic_logging=False)
    from revframe.store.spark_store import spark_session

    spark = spark_session()
    spark.sparkContext.setCheckpointDir(str(workdir / "checkpoints"))  # splink cuts long lineages there
    con.execute(f"COPY match_input TO '{workdir / 'match_input.parquet'}' (FORMAT parquet)")
    frame = spark.read.parquet(str(workdir / "match_input.parquet"))
    return Linker(frame, settings, SparkAPI(spark_session=spark), set_up_basic_logging=False)


def _agreement_sql(c: Compare) -> str:
    """SQL for how a pair compared on ``c``: the level it reached (from splink's gamma) and how strongly
    that level speaks for a match (its match weight, log2 of the Bayes factor; negative speaks against)."""
    whens = " ".join(f"WHEN {g} THEN '{label}'" for g, label in sorted(c.labels().items()))
    weight = f"CASE WHEN m.bf_{c.name} > 0 THEN round(log2(m.bf_{c.name}), 2) END"
    return f"json_object('level', CASE m.gamma_{c.name} {whens} END, 'weight', {weight})"


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


def _components(con: duckdb.DuckDBPyConnection, name: str, threshold: float) -> None:
    """Connected components of the pairs at ``threshold`` as table ``name(id, c)``: min-label propagation."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _edges AS SELECT l, r FROM pairs WHERE p >= {threshold}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT l AS id, l AS c FROM _edges UNION SELECT r, r FROM _edges"
    )
    while True:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _next AS
            SELECT n.id, least(n.c, min(x.c)) AS c FROM {name} AS n
            LEFT JOIN (SELECT e.l AS id, b.c FROM _edges AS e JOIN {name} AS b ON b.id = e.r
                       UNION ALL SELECT e.r, a.c FROM _edges AS e JOIN {name} AS a ON a.id = e.l) AS x ON x.id = n.id
            GROUP BY n.id, n.c
            """
        )
        changed = con.execute(f"SELECT count(*) FROM _next JOIN {name} USING (id) WHERE _next.c <> {name}.c").fetchone()
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _next")
        if not changed or not changed[0]:
            return


def _cluster(con: duckdb.DuckDBPyConnection, review: float, auto: float) -> None:
    """``members``: each record in a cluster (connected at ``review``) with the cluster's id, the
    strongest probability that joined it, and the decision (auto_merge when the whole cluster is
    connected at ``auto``)."""
    _components(con, "_at_review", review)
    _components(con, "_at_auto", auto)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE members AS
        WITH strongest AS (
            SELECT id, max(p) AS p FROM (SELECT l AS id, p FROM pairs UNION ALL SELECT r, p FROM pairs)
            WHERE p >= {review} GROUP BY id
        ),
        clusters AS (
            SELECT v.c,
                   'c-' || left(md5(string_agg(v.id, chr(31) ORDER BY v.id)), 12) AS cluster_id,
                   CASE WHEN count(a.c) = count(*) AND count(DISTINCT a.c) = 1 THEN 'auto_merge' ELSE 'review' END
                       AS decision
            FROM _at_review AS v LEFT JOIN _at_auto AS a ON a.id = v.id
            GROUP BY v.c
        )
        SELECT v.id, k.cluster_id, s.p, k.decision
        FROM _at_review AS v JOIN clusters AS k ON k.c = v.c JOIN strongest AS s ON s.id = v.id
        """
    )


def _write(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    object_name: str,
    run_id: str,
    started: datetime,
    records: int,
    model: dict[str, Any],
    framework_version: str | None,
    t0: float,
) -> DedupeResult:
    """The run, its clusters and their pairs, into the store in one transaction."""
    clusters = con.execute(
        f"""
        SELECT ? AS run_id, m.cluster_id, '{object_name}' AS object, m.id AS record_id, f.source_system,
               f.external_id, f.record_type, round(m.p, 6) AS match_probability, m.decision, 'open' AS status
        FROM members AS m JOIN features AS f ON f.unique_id = m.id
        ORDER BY m.cluster_id, m.id
        """,
        [run_id],
    ).fetch_arrow_table()
    pairs = con.execute(
        f"""
        SELECT ? AS run_id, a.cluster_id, '{object_name}' AS object, p.l AS left_id, p.r AS right_id,
               round(p.p, 6) AS match_probability, p.matched_by, p.agreements
        FROM pairs AS p JOIN members AS a ON a.id = p.l JOIN members AS b ON b.id = p.r
        WHERE a.cluster_id = b.cluster_id
        ORDER BY a.cluster_id, p.l, p.r
        """,
        [run_id],
    ).fetch_arrow_table()
    counts = con.execute(
        "SELECT count(DISTINCT cluster_id), count(DISTINCT cluster_id) FILTER (WHERE decision = 'auto_merge'), "
        "count(*) FROM members"
    ).fetchone()
    n_clusters, auto, n_members = (int(x) for x in counts) if counts else (0, 0, 0)
    result = DedupeResult(
        run_id=run_id,
        object=object_name,
        records=records,
        pairs=pairs.num_rows,
        clusters=n_clusters,
        auto_merge=auto,
        review=n_clusters - auto,
        duplicate_records=n_members,
        seconds=round(time.perf_counter() - t0, 2),
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
        store.insert_arrow("duplicate_clusters", clusters)
        store.insert_arrow("duplicate_pairs", pairs)
    return result
