"""Schema migrations: each step moves the store one version forward, inside a transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from revframe.store.schema import TABLES

if TYPE_CHECKING:
    from revframe.store.base import Store


V1_TABLES = [
    "accounts", "contacts", "users", "opportunities", "opportunity_stage_history", "activities", "campaigns",
    "touchpoints", "subscriptions", "tickets", "product_usage", "onboarding_milestones", "schema_migrations",
    "ingest_runs", "quarantine", "framework_versions",
]  # fmt: skip
V2_TABLES = [
    "quality_scans", "quality_issues", "quality_scores", "dedupe_runs", "duplicate_clusters", "duplicate_pairs",
    "merges", "merge_records", "merge_moves", "record_aliases", "account_matches", "lifecycle_events",
]  # fmt: skip
V3_TABLES = [
    "lead_scores", "scoring_models", "routing_decisions", "routing_state", "rep_loads", "sla_clocks",
    "sla_escalations", "api_keys",
]  # fmt: skip

V4_TABLES = ["exchange_rates", "metric_values"]
V5_TABLES = ["attribution_runs", "attribution_credits"]


def _create(store: Store, names: list[str]) -> None:
    for name in names:
        store.create_table(TABLES[name])


def _v1_canonical_tables(store: Store) -> None:
    _create(store, V1_TABLES)


def _v2_data_pillar(store: Store) -> None:
    _create(store, V2_TABLES)


def _v3_process_pillar(store: Store) -> None:
    _create(store, V3_TABLES)


def _v4_metrics(store: Store) -> None:
    _create(store, V4_TABLES)


def _v5_attribution(store: Store) -> None:
    _create(store, V5_TABLES)


MIGRATIONS: list[tuple[int, str, Callable[[Store], None]]] = [
    (1, "canonical tables, ingest runs, quarantine, framework versions", _v1_canonical_tables),
    (2, "data pillar: quality scans, scorecards, duplicates, merges, aliases, account matches", _v2_data_pillar),
    (3, "process pillar: lead scores, routing, SLA clocks, escalations, API keys", _v3_process_pillar),
    (4, "metrics: exchange rates, metric values", _v4_metrics),
    (5, "attribution: runs and credits", _v5_attribution),
]
