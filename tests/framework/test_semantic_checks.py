"""One test per semantic check: mutate the default spec, expect a Problem on the offending line.

Each test computes the expected line from the mutated text itself, and checks that the problem
names the bad value and says how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from revframe.framework import Problem

Mutate = Callable[..., str]
LineOf = Callable[..., int]
ProblemsOf = Callable[[str], list[Problem]]
Find = Callable[..., Problem]


def test_handoff_names_unknown_stage(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "    to_stage: sql\n", "    to_stage: sqll\n")
    p = find(problems_of(text), line_of(text, "to_stage: sqll"), "unknown stage", "sqll")
    assert p.column == 15
    assert "did you mean 'sql'" in p.hint
    assert "handoffs[marketing_to_sales].to_stage" in p.message


def test_metric_without_time_dimension(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "    time_dimension: contacts.sql_at\n", "")
    p = find(problems_of(text), line_of(text, "- id: sql_to_opportunity_conversion"), "no time_dimension")
    assert "sql_to_opportunity_conversion" in p.message
    assert "time_dimension:" in p.hint


def test_time_dimension_must_be_a_date(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "time_dimension: contacts.sql_at", "time_dimension: contacts.lead_source")
    p = find(problems_of(text), line_of(text, "contacts.lead_source\n    grain"), "not a date", "contacts.lead_source")
    assert "sql_at" in p.hint


DUPLICATES = [
    # (what, old, new: the id line of a later item, the duplicated id, where the first one is)
    ("lifecycle stage", "    - id: other\n", "    - id: lead\n", "lead", "    - id: lead\n      name: Lead\n"),
    ("pipeline stage", "    - id: proposal\n", "    - id: solution\n", "solution", "    - id: solution\n"),
    ("handoff", "  - id: cs_to_sales_expansion\n", "  - id: sales_to_cs\n", "sales_to_cs", "  - id: sales_to_cs\n"),
    ("metric", "  - id: win_rate_amount\n", "  - id: win_rate\n", "win_rate", "  - id: win_rate\n"),
    ("role", "{id: csm, name: Customer", "{id: sdr, name: Customer", "sdr", "{id: sdr, name: Sales"),
    ("team", "{id: finance, name: Finance,", "{id: revops, name: Finance,", "revops", "{id: revops, name: Revenue"),
    ("system", "  - id: looker\n", "  - id: gong\n", "gong", "  - id: gong\n"),
    (
        "cadence",
        "  - id: annual_planning\n",
        "  - id: weekly_revops_review\n",
        "weekly_revops_review",
        "  - id: weekly_revops_review\n",
    ),
    ("term", "  - term: GRR\n", "  - term: nrr\n", "nrr", "  - term: NRR\n"),
    (
        "calendar",
        "  - id: emea_business\n",
        "  - id: north_america_business\n",
        "north_america_business",
        "  - id: north_america_business\n",
    ),
    (
        "decision",
        "    - decision: approve_tool_purchase\n",
        "    - decision: change_territories\n",
        "change_territories",
        "    - decision: change_territories\n",
    ),
]


@pytest.mark.parametrize(("what", "old", "new", "dup", "first"), DUPLICATES, ids=[d[0] for d in DUPLICATES])
def test_duplicate_ids(
    base: str,
    mutate: Mutate,
    line_of: LineOf,
    problems_of: ProblemsOf,
    find: Find,
    what: str,
    old: str,
    new: str,
    dup: str,
    first: str,
) -> None:
    first_line = line_of(base, first)
    second_line = line_of(base, old)  # the mutation keeps line numbers
    p = find(problems_of(mutate(base, old, new)), second_line, f"duplicate {what}", dup)
    assert f"first defined on line {first_line}" in p.message


def test_lifecycle_order_repeats(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(
        base,
        "      order: 3\n      owner_team: sales_development",
        "      order: 2\n      owner_team: sales_development",
    )
    p = find(
        problems_of(text), line_of(text, "      order: 2\n      owner_team: sales_development"), "repeats", "'sql'"
    )
    assert p.value == "2"


def test_pipeline_order_decreases(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "      order: 4\n      probability: 60", "      order: 1\n      probability: 60")
    find(problems_of(text), line_of(text, "      order: 1\n      probability: 60"), "lower than", "proposal")


def test_decision_right_unknown_role(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "      decide: [cro, cfo]", "      decide: [cro, cfoo]")
    p = find(problems_of(text), line_of(text, "decide: [cro, cfoo]"), "unknown role", "cfoo")
    assert "did you mean 'cfo'" in p.hint


def test_sla_without_unit(base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find) -> None:
    text = mutate(base, "      duration: 4\n      unit: business_hours\n", "      duration: 4\n")
    p = find(problems_of(text), line_of(text, "    sla:\n      duration: 4"), "missing required key 'unit'")
    assert "business_hours" in p.hint


def test_sla_unknown_unit(base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find) -> None:
    text = mutate(base, "      unit: business_hours\n", "      unit: business_hourz\n")
    p = find(problems_of(text), line_of(text, "unit: business_hourz"), "not an allowed value", "business_hourz")
    assert "did you mean 'business_hours'" in p.hint


@pytest.mark.parametrize(
    ("attr", "old", "new", "bad"),
    [
        (
            "owner",
            "    owner: demand_gen_manager\n    cadence: monthly_business_review\n    direction: up\n    unit: ratio",
            "    owner: demand_gen_mgr\n    cadence: monthly_business_review\n    direction: up\n    unit: ratio",
            "demand_gen_mgr",
        ),
        (
            "cadence",
            "    cadence: weekly_revops_review\n    direction: down\n    unit: minutes",
            "    cadence: weekly_review\n    direction: down\n    unit: minutes",
            "weekly_review",
        ),
        ("system_of_record", "    system_of_record: amplitude", "    system_of_record: amplitud", "amplitud"),
    ],
)
def test_metric_unknown_reference(
    base: str,
    mutate: Mutate,
    line_of: LineOf,
    problems_of: ProblemsOf,
    find: Find,
    attr: str,
    old: str,
    new: str,
    bad: str,
) -> None:
    text = mutate(base, old, new)
    p = find(problems_of(text), line_of(text, f"{attr}: {bad}\n"), "unknown", bad)
    assert p.message.startswith("metrics[")


def test_field_reference_not_in_schema(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "{field: contacts.email, op: exists}", "{field: contacts.emial, op: exists}")
    p = find(problems_of(text), line_of(text, "contacts.emial"), "has no field 'emial'", "contacts.emial")
    assert p.column == text.splitlines()[p.line - 1].index("contacts.emial") + 1
    assert "did you mean 'email'" in p.hint


def test_unknown_object_in_field_reference(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "        - subscriptions.seats\n", "        - subscription.seats\n")
    p = find(problems_of(text), line_of(text, "- subscription.seats"), "unknown object 'subscription'")
    assert "did you mean 'subscriptions'" in p.hint


def test_data_rule_names_unknown_field(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "formats: {domain: domain, website", "formats: {domian: domain, website")
    p = find(problems_of(text), line_of(text, "formats: {domian"), "has no field 'domian'")
    assert p.column == text.splitlines()[p.line - 1].index("domian") + 1


def test_survivorship_unknown_system(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "systems: [salesforce, hubspot]}", "systems: [salesforse, hubspot]}")
    p = find(problems_of(text), line_of(text, "salesforse"), "unknown system", "salesforse")
    assert "did you mean 'salesforce'" in p.hint


def test_auto_merge_not_above_review(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "        auto_merge: 0.95", "        auto_merge: 0.75")
    p = find(problems_of(text), line_of(text, "auto_merge: 0.75"), "not above review", "0.75")
    assert "auto_merge must be higher" in p.hint


@pytest.mark.parametrize("bad", ["140", "-5"])
def test_pipeline_probability_outside_percent(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find, bad: str
) -> None:
    text = mutate(base, "      probability: 40\n", f"      probability: {bad}\n")
    p = find(problems_of(text), line_of(text, f"probability: {bad}\n"), "outside 0..100", bad)
    assert "percent" in p.hint


def test_pipeline_probabilities_as_fractions(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = base
    for pct in (10, 20, 40, 60, 80):
        text = mutate(text, f"      probability: {pct}\n", f"      probability: {pct / 100}\n")
    find(problems_of(text), line_of(text, "probability: 0.1\n"), "fractions")


def test_integration_to_unknown_system(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(
        base,
        "{to: snowflake, direction: one_way, objects: [tickets]",
        "{to: snowflak, direction: one_way, objects: [tickets]",
    )
    p = find(problems_of(text), line_of(text, "to: snowflak,"), "unknown system", "snowflak")
    assert "systems[zendesk].integrations[0].to" in p.message


def test_handoff_unknown_calendar(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    old = "    sla: {duration: 5, unit: business_days, calendar: north_america_business}"
    text = mutate(base, old, old.replace("north_america_business", "apac_business"))
    p = find(problems_of(text), line_of(text, "calendar: apac_business"), "unknown calendar", "apac_business")
    assert "north_america_business" in p.hint


def test_invalid_regex_in_naming_convention(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "pattern: '^(mkt|sales", "pattern: '^((mkt|sales")
    p = find(problems_of(text), line_of(text, "pattern: '^((mkt"), "invalid regular expression")
    assert p.value and p.value.startswith("^((mkt")


def test_naming_convention_example_must_match(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "example: revops_lead_score_fit", "example: LeadScoreFit")
    find(problems_of(text), line_of(text, "- id: property_name"), "example 'LeadScoreFit' does not match")


def test_stage_name_breaks_naming_convention(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "      name: Negotiation\n", "      name: negotiation\n")
    find(problems_of(text), line_of(text, "name: negotiation\n"), "breaks naming convention 'stage_name'")


def test_escalation_unknown_webhook(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "action: notify_owner, channel: marketing_alerts", "action: notify_owner, channel: mkt_alerts")
    find(problems_of(text), line_of(text, "channel: mkt_alerts"), "unknown webhook", "mkt_alerts")


def test_handoff_unknown_team(base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find) -> None:
    text = mutate(base, "    to_team: customer_success\n", "    to_team: customer_sucess\n")
    p = find(problems_of(text), line_of(text, "to_team: customer_sucess"), "unknown team", "customer_sucess")
    assert "did you mean 'customer_success'" in p.hint


def test_business_clock_needs_a_calendar(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    old = "    sla: {duration: 5, unit: business_days, calendar: north_america_business}"
    text = mutate(base, old, "    sla: {duration: 5, unit: business_days}")
    text = mutate(
        text,
        "    teams: [sales_development, sales, customer_success, marketing]",
        "    teams: [sales_development, customer_success, marketing]",
    )
    find(problems_of(text), line_of(text, "    sla: {duration: 5, unit: business_days}"), "needs a calendar", "sales")


def test_business_unit_with_wall_clock(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "      unit: business_hours\n", "      unit: business_hours\n      clock: wall\n")
    find(problems_of(text), line_of(text, "clock: wall\n      calendar"), "counts business time", "wall")


def test_merge_roles_unknown_role(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(
        base, "merge_roles: [crm_admin, revops_analyst, revops_lead]", "merge_roles: [crm_admin, data_steward]"
    )
    find(problems_of(text), line_of(text, "merge_roles:"), "unknown role", "data_steward")


def test_two_systems_of_record_for_one_object(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "system_of_record_for: [tickets]", "system_of_record_for: [tickets, subscriptions]")
    find(problems_of(text), line_of(text, "[tickets, subscriptions]"), "already has system of record 'stripe'")


def test_fit_weights_must_sum_to_100(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "    function: 5\n", "    function: 15\n")
    find(problems_of(text), line_of(text, "  fit_weights:"), "add up to 110")


def test_allowed_backward_must_go_back(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "{from: mql, to: lead, reason_required", "{from: mql, to: sql, reason_required")
    find(problems_of(text), line_of(text, "{from: mql, to: sql"), "not a backward move")


def test_transition_unknown_stage(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "{from: customer, to: disqualified,", "{from: customers, to: disqualified,")
    find(problems_of(text), line_of(text, "{from: customers"), "unknown lifecycle stage", "customers")


def test_segments_must_not_overlap(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "employees: {min: 200, max: 999}", "employees: {min: 150, max: 999}")
    find(problems_of(text), line_of(text, "{min: 150, max: 999}"), "overlaps segment 'smb'")


def test_won_stage_must_be_closed(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "      is_closed: true\n      is_won: true\n", "      is_closed: false\n      is_won: true\n")
    find(problems_of(text), line_of(text, "is_closed: false\n      is_won: true"), "won but not closed")


def test_cadence_covers_unknown_metric(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(
        base, "metrics: [bookings, arr, net_revenue_retention,", "metrics: [bookings, arrr, net_revenue_retention,"
    )
    find(problems_of(text), line_of(text, "[bookings, arrr"), "unknown metric", "arrr")


def test_routing_unknown_region(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    text = mutate(base, "      region: emea\n", "      region: europe\n")
    find(problems_of(text), line_of(text, "region: europe"), "unknown region", "europe")


def test_broken_section_does_not_hide_other_checks(
    base: str, mutate: Mutate, line_of: LineOf, problems_of: ProblemsOf, find: Find
) -> None:
    """A type error in metrics disables metric checks only; a handoff check still reports."""
    text = mutate(base, "    tier: 3\n", "    tier: three\n", after="- id: feature_adoption")
    text = mutate(text, "    to_stage: sql\n", "    to_stage: sqll\n")
    problems = problems_of(text)
    find(problems, line_of(text, "tier: three"), "three")
    find(problems, line_of(text, "to_stage: sqll"), "sqll")
    assert not [p for p in problems if "cadences" in p.message], "cadence checks need valid metrics: skipped"
