"""The default framework template: loads cleanly, is complete, and has a stable version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from revframe.framework import Spec, SpecError, default_spec_text, load_spec, load_spec_text

TIERS = {
    1: [
        "pipeline_value",
        "pipeline_coverage",
        "pipeline_velocity",
        "win_rate",
        "win_rate_amount",
        "avg_deal_size",
        "revenue_per_account",
        "net_revenue_retention",
        "gross_revenue_retention",
    ],
    2: [
        "lead_response_time",
        "mql_to_sql_conversion",
        "sql_to_opportunity_conversion",
        "stage_conversion",
        "time_in_stage",
        "deal_cycle_length",
        "health_score_distribution",
    ],
    3: [
        "lead_source_quality",
        "content_engagement_by_stage",
        "rep_activity",
        "onboarding_completion",
        "feature_adoption",
    ],
}
OTHER_METRICS = ["bookings", "arr", "logo_churn", "marketing_sourced_revenue"]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec_text(default_spec_text())


def test_default_template_loads_without_problems(spec: Spec) -> None:
    assert spec.company.name


@pytest.mark.parametrize(("tier", "metric_id"), [(t, m) for t, ids in TIERS.items() for m in ids])
def test_guide_metrics_present_with_their_tier(spec: Spec, tier: int, metric_id: str) -> None:
    metric = spec.metric(metric_id)
    assert metric.tier == tier
    assert metric.time_dimension, f"{metric_id} has no time dimension"


@pytest.mark.parametrize("metric_id", OTHER_METRICS)
def test_other_canonical_metrics_present(spec: Spec, metric_id: str) -> None:
    assert spec.metric(metric_id).definition


@pytest.mark.parametrize("section", list(Spec.model_fields))
def test_every_section_is_filled_in(spec: Spec, section: str) -> None:
    value = getattr(spec, section)
    assert value, f"section {section} is empty in the default template"
    if hasattr(value, "model_dump"):
        assert any(v for v in value.model_dump().values()), f"section {section} has only empty values"


def test_lifecycle_and_pipeline_are_the_guides_stages(spec: Spec) -> None:
    assert [s.id for s in spec.lifecycle.stages if s.funnel] == ["lead", "mql", "sql", "opportunity", "customer"]
    assert {s.id for s in spec.lifecycle.stages if not s.funnel} == {"disqualified", "other"}
    probabilities = {s.id: s.probability for s in spec.pipeline.stages}
    assert probabilities == {
        "discovery": 10,
        "qualification": 20,
        "solution": 40,
        "proposal": 60,
        "negotiation": 80,
        "closed_won": 100,
        "closed_lost": 0,
    }


def test_the_four_handoffs_and_four_cadences(spec: Spec) -> None:
    handoffs = {h.id for h in spec.handoffs}
    assert handoffs == {"marketing_to_sales", "sales_to_cs", "cs_to_sales_expansion", "marketing_feedback_loop"}
    assert {c.frequency for c in spec.cadences} == {"weekly", "monthly", "quarterly", "annual"}
    hot = spec.handoff("marketing_to_sales").priority_slas[0].sla
    assert (hot.duration, hot.unit, hot.effective_clock) == (5, "minutes", "wall")


def test_fields_the_cli_and_ingest_read(spec: Spec) -> None:
    assert spec.company.currency == "USD"
    assert spec.company.timezone == "America/New_York"
    assert spec.company.default_phone_region == "US"
    assert spec.company.date_order == "MDY"
    assert spec.dedup is not None and set(spec.dedup.merge_roles) <= set(spec.people.role_ids())
    assert "revops_lead" in spec.people.role_ids()


def test_template_is_commented(spec: Spec) -> None:
    text = default_spec_text()
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#") or " # " in line]
    assert len(comments) > 100


def test_version_is_a_content_hash(spec: Spec) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", spec.version)
    text = default_spec_text()
    recommented = text.replace("# COMPANY:", "# COMPANY (edited comment):") + "\n# trailing comment\n"
    assert load_spec_text(recommented).version == spec.version
    changed = text.replace("    mql: 60 ", "    mql: 65 ")
    assert changed != text
    assert load_spec_text(changed).version != spec.version


def test_load_spec_reads_a_file(tmp_path: Path, spec: Spec) -> None:
    path = tmp_path / "revframe.yaml"
    path.write_text(default_spec_text(), encoding="utf-8")
    assert load_spec(path).version == spec.version


def test_load_spec_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "nope.yaml")
    assert "file not found" in str(info.value)
    assert "revframe init" in info.value.problems[0].hint


def test_lookups(spec: Spec) -> None:
    assert spec.system_of_record("subscriptions").id == "stripe"
    assert spec.calendar_for_team("sales_development").id == "north_america_business"
    assert spec.company.segment_for(250) == "mid_market"
    assert spec.company.segment_for(5000) == "enterprise"
    assert spec.company.region_for("DE") == "emea"
    assert spec.company.region_for("NO") == "emea"  # YAML 1.2: Norway is not false
    assert spec.people.deciders("merge_records") == ["crm_admin", "revops_analyst"]
    with pytest.raises(KeyError):
        spec.metric("nope")


def test_lifecycle_transitions(spec: Spec) -> None:
    life = spec.lifecycle
    assert life.is_allowed("lead", "sql")  # skipping forward is fine
    assert not life.is_allowed("sql", "mql")  # backward, not listed
    assert life.is_allowed("sql", "lead")  # backward, listed (recycle)
    assert life.is_allowed("mql", "disqualified")  # into an exit
    assert life.is_allowed("disqualified", "lead")  # out of an exit, listed
    assert not life.is_allowed("disqualified", "sql")  # out of an exit, not listed
    assert not life.is_allowed("customer", "disqualified")  # forbidden
    assert not life.is_allowed("opportunity", "disqualified")  # forbidden
    assert life.is_allowed("opportunity", "customer")
