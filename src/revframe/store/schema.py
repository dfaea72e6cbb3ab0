"""The canonical revenue data model: one definition of every table, rendered per engine.

Each source row keeps ``source_system`` and ``external_id``; the canonical ``id`` is
``"<source_system>:<external_id>"`` so that a foreign key from a source export (a Salesforce
``AccountId``) resolves to the same canonical id on every engine without a lookup, and a
re-ingest upserts instead of duplicating.

Column *types* are logical (``text``, ``int``, ``decimal``, ``double``, ``bool``, ``timestamp``,
``date``, ``json``); each engine renders them (see ``revframe.store.dialects``). Column *kinds*
name the normalizer ingest applies (``email``, ``phone``, ``domain``, ``country``, ``currency``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 5


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Attributes:
        name: column name.
        type: logical type (text, int, decimal, double, bool, timestamp, date, json).
        kind: the ingest normalizer (defaults to the type); e.g. ``email`` or ``phone``.
        ref: table a foreign key points at (values are canonical ids).
        doc: what the column means, in the user's words.
    """

    name: str
    type: str = "text"
    kind: str = ""
    ref: str = ""
    doc: str = ""

    @property
    def normalizer(self) -> str:
        return self.kind or self.type


@dataclass(frozen=True)
class Table:
    """One canonical table; every table has the key and lineage columns first."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    system: bool = False  # bookkeeping tables (runs, quarantine) have no lineage columns
    extra: tuple[Column, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.all_columns]

    @property
    def all_columns(self) -> tuple[Column, ...]:
        if self.system:
            return self.columns
        return LINEAGE + self.columns + META

    def column(self, name: str) -> Column:
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")

    @property
    def data_columns(self) -> list[str]:
        """Columns that carry source data (what a checksum and the upsert compare)."""
        return [c.name for c in self.all_columns if not c.name.startswith("_")]


C = Column
LINEAGE = (
    C("id", doc="canonical id: '<source_system>:<external_id>'"),
    C("source_system", doc="system the row came from (salesforce, hubspot, billing...)"),
    C("external_id", doc="the row's id in its source system"),
)
META = (
    C("_row_hash", doc="hash of the data columns; a re-ingest with the same hash changes nothing"),
    C("_run_id", doc="ingest run that last wrote the row"),
    C("_loaded_at", "timestamp", doc="when that run wrote it"),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "accounts",
            "Companies: prospects, customers, partners.",
            (
                C("name"),
                C("domain", kind="domain", doc="registered domain, from the website or given"),
                C("website", kind="url"),
                C("industry"),
                C("employees", "int"),
                C("annual_revenue", "decimal"),
                C("currency", kind="currency"),
                C("country", kind="country", doc="ISO 3166-1 alpha-2"),
                C("state"),
                C("city"),
                C("phone", kind="phone", doc="E.164 when valid, else the raw value"),
                C("type", doc="prospect, customer, partner, former customer"),
                C("segment", doc="smb, mid_market, enterprise"),
                C("lifecycle_stage"),
                C("owner_id", ref="users"),
                C("parent_account_id", ref="accounts"),
                C("created_at", "timestamp"),
                C("updated_at", "timestamp"),
            ),
        ),
        Table(
            "contacts",
            "People at every lifecycle stage: leads (record_type='lead') and contacts.",
            (
                C("record_type", doc="lead or contact"),
                C("first_name"),
                C("last_name"),
                C("email", kind="email", doc="lower-cased; kept as given when invalid"),
                C("email_domain", kind="derived", doc="registered domain of the email"),
                C("phone", kind="phone", doc="E.164 when valid, else the raw value"),
                C("mobile_phone", kind="phone"),
                C("title"),
                C("company", doc="company name as typed (leads have no account yet)"),
                C("website", kind="url"),
                C("account_id", ref="accounts"),
                C("country", kind="country"),
                C("state"),
                C("city"),
                C("lead_source"),
                C("lead_status"),
                C("lifecycle_stage", doc="stage as the source system holds it"),
                C("owner_id", ref="users"),
                C("converted_contact_id", ref="contacts", doc="for a converted lead: the contact it became"),
                C("converted_at", "timestamp"),
                C("mql_at", "timestamp"),
                C("sql_at", "timestamp"),
                C("email_opt_out", "bool"),
                C("created_at", "timestamp"),
                C("updated_at", "timestamp"),
            ),
        ),
        Table(
            "users",
            "Reps and managers, with team, role, region, capacity and working hours.",
            (
                C("name"),
                C("email", kind="email"),
                C("title"),
                C("team"),
                C("role"),
                C("region"),
                C("manager_id", ref="users"),
                C("is_active", "bool"),
                C("capacity", "int", doc="open leads a rep can hold"),
                C("timezone", doc="IANA time zone, e.g. America/New_York"),
                C("working_hours", doc="e.g. 'Mon-Fri 09:00-17:00'"),
                C("created_at", "timestamp"),
            ),
        ),
        Table(
            "opportunities",
            "Deals: new business, expansion and renewal.",
            (
                C("name"),
                C("account_id", ref="accounts"),
                C("contact_id", ref="contacts", doc="primary contact"),
                C("owner_id", ref="users"),
                C("stage"),
                C("amount", "decimal"),
                C("currency", kind="currency"),
                C("probability", "double"),
                C("forecast_category"),
                C("type", doc="new_business, expansion, renewal"),
                C("lead_source"),
                C("is_closed", "bool"),
                C("is_won", "bool"),
                C("close_date", "date"),
                C("created_at", "timestamp"),
                C("updated_at", "timestamp"),
            ),
        ),
        Table(
            "opportunity_stage_history",
            "Every stage change of every opportunity.",
            (
                C("opportunity_id", ref="opportunities"),
                C("stage"),
                C("amount", "decimal"),
                C("probability", "double"),
                C("close_date", "date"),
                C("changed_by_id", ref="users"),
                C("changed_at", "timestamp"),
            ),
        ),
        Table(
            "activities",
            "Calls, emails, meetings and tasks by reps.",
            (
                C("type", doc="call, email, meeting, task"),
                C("subject"),
                C("status"),
                C("is_automated", "bool", doc="sequences and auto-replies: not a genuine rep action"),
                C("contact_id", ref="contacts"),
                C("account_id", ref="accounts"),
                C("opportunity_id", ref="opportunities"),
                C("owner_id", ref="users"),
                C("occurred_at", "timestamp"),
                C("duration_minutes", "int"),
                C("created_at", "timestamp"),
            ),
        ),
        Table(
            "campaigns",
            "Marketing campaigns with channel and spend.",
            (
                C("name"),
                C("type"),
                C("channel"),
                C("status"),
                C("start_date", "date"),
                C("end_date", "date"),
                C("budgeted_cost", "decimal"),
                C("actual_cost", "decimal", doc="spend"),
                C("currency", kind="currency"),
                C("parent_campaign_id", ref="campaigns"),
                C("created_at", "timestamp"),
            ),
        ),
        Table(
            "touchpoints",
            "Marketing interactions of a person with a campaign.",
            (
                C("contact_id", ref="contacts"),
                C("campaign_id", ref="campaigns"),
                C("type", doc="form_fill, email_click, webinar, ad_click, event, content_download..."),
                C("channel"),
                C("status"),
                C("occurred_at", "timestamp"),
                C("created_at", "timestamp"),
            ),
        ),
        Table(
            "subscriptions",
            "Recurring revenue over time: one row per subscription period with its ARR.",
            (
                C("account_id", ref="accounts"),
                C("opportunity_id", ref="opportunities"),
                C("product"),
                C("arr", "decimal", doc="annual recurring revenue of the period"),
                C("currency", kind="currency"),
                C("seats", "int"),
                C("start_date", "date"),
                C("end_date", "date"),
                C("status", doc="active, cancelled, expired"),
                C("created_at", "timestamp"),
            ),
        ),
        Table(
            "tickets",
            "Support tickets.",
            (
                C("account_id", ref="accounts"),
                C("contact_id", ref="contacts"),
                C("subject"),
                C("priority"),
                C("status"),
                C("csat", "int", doc="satisfaction 1-5"),
                C("created_at", "timestamp"),
                C("closed_at", "timestamp"),
            ),
        ),
        Table(
            "product_usage",
            "Product usage per account, feature and day.",
            (
                C("account_id", ref="accounts"),
                C("feature"),
                C("usage_date", "date"),
                C("events", "int"),
                C("active_users", "int"),
            ),
        ),
        Table(
            "onboarding_milestones",
            "Onboarding milestones of new customers.",
            (
                C("account_id", ref="accounts"),
                C("milestone"),
                C("due_date", "date"),
                C("completed_at", "timestamp"),
                C("status"),
            ),
        ),
        Table(
            "exchange_rates",
            "Dated exchange rates to the company currency (Salesforce's DatedConversionRate): metrics convert amounts.",
            (
                C("currency", kind="currency", doc="ISO 4217 code of the rate's currency"),
                C("rate", "double", doc="units of this currency per one unit of the company currency"),
                C("valid_from", "date", doc="applies from this day until the next rate of the currency"),
            ),
        ),
        # --- bookkeeping -------------------------------------------------------------------
        Table(
            "schema_migrations",
            "Applied schema versions.",
            (C("version", "int"), C("description"), C("applied_at", "timestamp")),
            system=True,
        ),
        Table(
            "ingest_runs",
            "One row per ingest: what was read and what became of it.",
            (
                C("run_id"),
                C("started_at", "timestamp"),
                C("finished_at", "timestamp"),
                C("mapping"),
                C("files", "json"),
                C("rows_read", "int"),
                C("rows_loaded", "int"),
                C("rows_quarantined", "int"),
                C("rows_inserted", "int"),
                C("rows_updated", "int"),
                C("rows_unchanged", "int"),
                C("framework_version"),
                C("status"),
            ),
            system=True,
        ),
        Table(
            "quarantine",
            "Rows ingest refused, with file, line, field and reason: nothing is dropped silently.",
            (
                C("run_id"),
                C("file"),
                C("line", "int"),
                C("object"),
                C("field"),
                C("value"),
                C("reason"),
                C("raw", "json", doc="the whole source row"),
                C("quarantined_at", "timestamp"),
            ),
            system=True,
        ),
        Table(
            "framework_versions",
            "Every framework spec a run used, by content hash.",
            (C("version"), C("loaded_at", "timestamp"), C("spec", "json")),
            system=True,
        ),
        # --- data pillar: quality, duplicates, merges, matches (schema v2) ------------------------
        Table(
            "quality_scans",
            "One row per quality scan: a snapshot the scorecard trend compares against.",
            (
                C("scan_id"),
                C("started_at", "timestamp"),
                C("finished_at", "timestamp"),
                C("framework_version"),
                C("records_scanned", "int"),
                C("issues", "int"),
                C("status"),
            ),
            system=True,
        ),
        Table(
            "quality_issues",
            "Findings of the quality scans: one row per record, field and broken rule.",
            (
                C("scan_id"),
                C("object", doc="canonical table"),
                C("record_id", doc="canonical id of the record"),
                C("field"),
                C("rule", doc="required, format, allowed_values, naming, reference, stale, lifecycle..."),
                C("severity", doc="error, warning or info"),
                C("value", doc="the offending value as text"),
                C("message", doc="what is wrong and what to do"),
                C("owner_id", doc="owner of the record, for the per-owner scorecard"),
                C("found_at", "timestamp"),
            ),
            system=True,
        ),
        Table(
            "quality_scores",
            "Scorecards of each scan per object, field, owner and team (kept per scan for the trend).",
            (
                C("scan_id"),
                C("scope", doc="object, field, owner or team"),
                C("object"),
                C("field"),
                C("owner_id"),
                C("team"),
                C("records", "int"),
                C("completeness", "double", doc="share of required values present (0-1)"),
                C("validity", "double", doc="share of present values that pass their format and value rules"),
                C("duplicate_rate", "double", doc="share of records in a duplicate cluster"),
                C("staleness", "double", doc="share of records not updated within the spec's window"),
                C("issues", "int"),
                C("computed_at", "timestamp"),
            ),
            system=True,
        ),
        Table(
            "dedupe_runs",
            "One row per duplicate detection run.",
            (
                C("run_id"),
                C("object"),
                C("started_at", "timestamp"),
                C("finished_at", "timestamp"),
                C("records", "int"),
                C("pairs", "int"),
                C("clusters", "int"),
                C("auto_merge", "int", doc="clusters at or above the auto-merge threshold"),
                C("review", "int", doc="clusters for a person to review"),
                C("model", "json", doc="the trained match weights, for the record"),
                C("framework_version"),
            ),
            system=True,
        ),
        Table(
            "duplicate_clusters",
            "Members of each duplicate cluster a dedupe run found.",
            (
                C("run_id"),
                C("cluster_id"),
                C("object"),
                C("record_id"),
                C("source_system"),
                C("external_id"),
                C("record_type", doc="lead or contact (contacts), empty for accounts"),
                C("match_probability", "double", doc="the cluster's weakest link that joined this member"),
                C("decision", doc="auto_merge or review"),
                C("status", doc="open, merged or dismissed"),
            ),
            system=True,
        ),
        Table(
            "duplicate_pairs",
            "Each matched pair of a cluster: probability, the key or model that matched, per-field agreement.",
            (
                C("run_id"),
                C("cluster_id"),
                C("object"),
                C("left_id"),
                C("right_id"),
                C("match_probability", "double"),
                C("matched_by", doc="a deterministic key id from the spec, or 'model'"),
                C("agreements", "json", doc="per field: the comparison level and its match weight"),
            ),
            system=True,
        ),
        Table(
            "merges",
            "Every merge: survivor, merged records, who merged, and its state (merged or unmerged).",
            (
                C("merge_id"),
                C("object"),
                C("run_id", doc="the dedupe run whose cluster was merged"),
                C("cluster_id"),
                C("survivor_id"),
                C("merged_ids", "json"),
                C("merged_by", doc="the role that merged"),
                C("merged_at", "timestamp"),
                C("status", doc="merged or unmerged"),
                C("unmerged_by"),
                C("unmerged_at", "timestamp"),
                C("survivor_before", "json", doc="the survivor row before the merge"),
                C("survivor_after", "json", doc="the survivor row after survivorship"),
                C("field_sources", "json", doc="per field: the record its surviving value came from and the rule"),
                C("framework_version"),
            ),
            system=True,
        ),
        Table(
            "merge_records",
            "Before-images of the records a merge removed (the survivor's is in merges).",
            (C("merge_id"), C("object"), C("record_id"), C("row", "json", doc="the whole row as it was")),
            system=True,
        ),
        Table(
            "merge_moves",
            "Every foreign key a merge moved: which row, which column, from what, to what.",
            (
                C("merge_id"),
                C("table_name"),
                C("record_id"),
                C("column_name"),
                C("old_value"),
                C("new_value"),
            ),
            system=True,
        ),
        Table(
            "record_aliases",
            "Ids merged away, and the record they now resolve to.",
            (C("alias_id"), C("object"), C("survivor_id"), C("merge_id"), C("created_at", "timestamp")),
            system=True,
        ),
        Table(
            "account_matches",
            "Lead-to-account matches: each person without an account, the account it belongs to, and why.",
            (
                C("run_id"),
                C("contact_id"),
                C("account_id"),
                C("confidence", "double"),
                C("method", doc="email_domain, website, company_name, fuzzy_name"),
                C("reason", doc="in words: what matched"),
                C("matched_at", "timestamp"),
            ),
            system=True,
        ),
        # --- process pillar: lifecycle (schema v2) -------------------------------------------------
        Table(
            "lifecycle_events",
            "Every lifecycle stage change of a person or account: from, to, when, the rule, and its kind.",
            (
                C("event_id"),
                C("run_id", doc="the `revframe lifecycle` run that recorded it"),
                C("object", doc="contacts or accounts"),
                C("record_id"),
                C("from_stage", doc="the last recorded stage (empty on entry)"),
                C("to_stage", doc="the evaluated stage (for kind 'skipped': the stage jumped over)"),
                C("kind", doc="entry, forward, backward, skipped or forbidden"),
                C("rule", doc="in words: the criterion that matched, or why the move is forbidden or skipped"),
                C("occurred_at", "timestamp", doc="when: the evaluation time, or the matching event's time"),
                C("recorded_at", "timestamp", doc="when the run recorded it (orders the history)"),
            ),
            system=True,
        ),
        # --- process pillar: scoring, routing, SLA clocks, escalations, API keys (schema v3) ------
        Table(
            "lead_scores",
            "Every lead score a run computed: fit, engagement, total, grade and the reasons, per person.",
            (
                C("run_id"),
                C("contact_id", doc="the person scored"),
                C("model", doc="rules (the spec's ICP and engagement points) or predictive"),
                C("fit", "double", doc="0-100: how well the person and the account match the ICP"),
                C("engagement", "double", doc="0-100: decayed points of the person's touchpoints"),
                C("total", "double", doc="0-100: the score the spec's thresholds compare"),
                C("grade", doc="fit letter A-D and engagement digit 1-4, e.g. A2"),
                C("is_mql", "bool", doc="total at or above the spec's MQL threshold, and not disqualified"),
                C("disqualified_by", doc="the ICP disqualifier that holds, if any"),
                C("reasons", "json", doc="the top contributions: factor, points, detail"),
                C("scored_at", "timestamp"),
                C("framework_version"),
                C("is_current", "bool", doc="the person's latest score of this model (what criteria compare)"),
            ),
            system=True,
        ),
        Table(
            "scoring_models",
            "Predictive scoring models: what they were trained on and how well they did on the holdout.",
            (
                C("run_id"),
                C("model"),
                C("trained_at", "timestamp"),
                C("rows", "int", doc="labelled people used (train + holdout)"),
                C("positives", "int"),
                C("holdout_auc", "double"),
                C("brier", "double", doc="mean squared error of the predicted probabilities on the holdout"),
                C("calibration", "json", doc="per probability bin: predicted mean, observed rate, count"),
                C("features", "json", doc="feature names and coefficients"),
                C("framework_version"),
            ),
            system=True,
        ),
        Table(
            "routing_decisions",
            "Every routing decision: who got the record, by which rule, the rules tried and the reps passed over.",
            (
                C("decision_id"),
                C("run_id", doc="the `revframe route` run, or 'api' for a lead routed by the server"),
                C("contact_id"),
                C("account_id", doc="the matched account, if any"),
                C("rule_id", doc="the rule that assigned the record (empty: the fallback queue)"),
                C("strategy"),
                C("assigned_to", doc="the user id assigned (empty when queued)"),
                C("queue", doc="the queue, when no rep was assigned"),
                C("team", doc="the spec team the assignee belongs to"),
                C("reason", doc="in words: why this rep or queue"),
                C("rule_path", "json", doc="each rule tried, in order: matched or why not"),
                C("candidates", "json", doc="each rep considered: load, capacity, and why passed over"),
                C("match", "json", doc="the lead-to-account match: account, method, confidence, reason"),
                C("previous_owner", doc="the owner before this decision, if any"),
                C("decided_at", "timestamp"),
                C("framework_version"),
            ),
            system=True,
        ),
        Table(
            "routing_state",
            "Round-robin counters: per pool (a routing rule) and rep, how many records it was given and when last.",
            (C("pool"), C("user_id"), C("assigned", "int"), C("last_assigned_at", "timestamp")),
            system=True,
        ),
        Table(
            "rep_loads",
            "Each rep's open leads, as capacity counts them: counted by routing runs, moved by each decision.",
            (C("user_id"), C("open_leads", "int"), C("counted_at", "timestamp")),
            system=True,
        ),
        Table(
            "sla_clocks",
            "Handoff SLA clocks: one row per leg (a period with one owner), from trigger to expected action.",
            (
                C("clock_id"),
                C("handoff_id"),
                C("leg", "int", doc="1 for the first owner; each reassignment opens the next leg"),
                C("object", doc="contacts, opportunities or accounts"),
                C("record_id"),
                C("owner_id", doc="the user the leg is charged to"),
                C("team", doc="the spec team the leg is charged to"),
                C("sla_id", doc="'default' or the priority SLA that applied"),
                C("sla_seconds", "double", doc="the SLA length in seconds of its clock (business or wall)"),
                C("calendar", doc="the business calendar, empty for a wall clock"),
                C("started_at", "timestamp"),
                C("due_at", "timestamp"),
                C("stopped_at", "timestamp"),
                C("stop_reason", doc="the action that stopped it, or why the leg closed"),
                C("status", doc="open, paused, met, breached, reassigned or cancelled"),
                C("elapsed_seconds", "double", doc="counted time (business or wall, pauses excluded)"),
                C("paused_seconds", "double"),
                C("paused_since", "timestamp"),
                C("updated_at", "timestamp"),
                C("framework_version"),
            ),
            system=True,
        ),
        Table(
            "sla_escalations",
            "Escalations fired by SLA clocks, and the delivery of their webhook alerts (an outbox).",
            (
                C("escalation_id"),
                C("clock_id"),
                C("step", "int", doc="the rung of the handoff's escalation ladder (0-based)"),
                C("action", doc="notify_owner, notify_manager or reassign"),
                C("channel", doc="the spec webhook channel"),
                C("fired_at", "timestamp"),
                C("payload", "json", doc="the Slack-compatible message"),
                C("status", doc="pending, sent, failed or disabled (no URL for the channel)"),
                C("attempts", "int"),
                C("last_error"),
                C("delivered_at", "timestamp"),
            ),
            system=True,
        ),
        Table(
            "api_keys",
            "Server-mode API keys: a name, the spec role the key carries, a hash (the key itself is never kept).",
            (
                C("key_id"),
                C("name"),
                C("role"),
                C("key_hash"),
                C("created_at", "timestamp"),
                C("revoked_at", "timestamp"),
            ),
            system=True,
        ),
        Table(
            "metric_values",
            "Every value a `revframe metrics` run computed: metric, period, dimension values, value and its parts.",
            (
                C("run_id"),
                C("metric_id"),
                C("period", doc="the period's label: 2026-03, 2026-Q1, 2026-W09, 2026"),
                C("period_start", "date"),
                C("period_end", "date", doc="the day after the period"),
                C("dims", "json", doc='dimension values, e.g. {"segment": "enterprise"}; {} for the total'),
                C("value", "double", doc="empty when there is no value (see note)"),
                C("numerator", "double"),
                C("denominator", "double"),
                C("n", "int", doc="records behind the value"),
                C("note", doc="why a value is empty, or what it assumed"),
                C("engine", doc="duckdb, postgres or spark"),
                C("framework_version"),
                C("computed_at", "timestamp"),
            ),
            system=True,
        ),
        Table(
            "attribution_runs",
            "Every `revframe attribution` run: what it attributed, how, and what each model concluded overall.",
            (
                C("run_id"),
                C("conversion", doc="lead_created, mql, sql, opportunity_created, closed_won, or paths"),
                C("source", doc="store, or the path file read"),
                C("models", "json", doc="the models run"),
                C("journeys", "int", doc="journeys read, converting or not"),
                C("conversions", "double"),
                C("revenue", "double", doc="won amount in the company currency"),
                C("params", "json", doc="lookback, weights, Markov order and removal effects, Shapley values"),
                C("notes", "json", doc="every rule applied to bad or missing input, with counts"),
                C("engine", doc="duckdb, postgres or spark"),
                C("framework_version"),
                C("computed_at", "timestamp"),
            ),
            system=True,
        ),
        Table(
            "attribution_credits",
            "The credit each model gave each touch of each conversion; a conversion's credits add up to it.",
            (
                C("run_id"),
                C("model", doc="first, last, linear, time_decay, u_shaped, w_shaped, full_path, markov, shapley"),
                C("conversion", doc="the conversion event"),
                C("conversion_id", doc="the converting contact or opportunity id (paths: path file line)"),
                C("journey_key", doc="the contact or account whose touches form the journey"),
                C("touch_id", doc="the touchpoint; empty for path files"),
                C("position", "int", doc="the touch's place in the journey, from 1"),
                C("channel"),
                C("campaign_id", doc="the touch's campaign; empty for path files"),
                C("credit", "double", doc="share of the conversion(s) credited to the touch"),
                C("revenue", "double", doc="won amount credited to the touch, company currency"),
                C("framework_version"),
                C("computed_at", "timestamp"),
            ),
            system=True,
        ),
    )
}

DATA_TABLES = [t.name for t in TABLES.values() if not t.system]
