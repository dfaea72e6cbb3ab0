"""A query's text built once per spec and filled in per record equals the query built for that record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from revframe.framework import default_spec_text, load_spec_text
from revframe.process.criteria import Params, Subject
from revframe.process.routing import NO_MATCH_SQL, facts_sql
from revframe.process.scoring import _window, one_person_sql, people_sql
from revframe.process.sql_template import SqlTemplate

WHENS = [datetime(2026, 12, 4, 14, 0, 1, 123456, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC)]
IDS = ["api:1", "web:o'brien", "crm:株式会社"]


def spec_with_time_conditions() -> Any:
    """The default spec plus a disqualifier on a date literal and a recent event (a constant and a shifted time)."""
    extra = (
        "    - id: stale_or_recent\n"
        "      description: Test only.\n"
        "      when:\n"
        "        any:\n"
        "          - field: contacts.created_at\n"
        "            op: lt\n"
        "            value: 2020-01-01 00:00:00\n"
        "          - {event: activity, type: call, within_days: 7}\n"
    )
    head = "  disqualifiers:                 # never an MQL, whatever the score\n"
    text = default_spec_text().replace(head, head + extra)
    spec = load_spec_text(text)
    assert spec.icp is not None and spec.icp.disqualifiers[0].id == "stale_or_recent"
    return spec


def test_score_query_template_equals_building_it() -> None:
    for spec in (load_spec_text(default_spec_text()), spec_with_time_conditions()):
        for cid in IDS:
            for when in WHENS:
                ctx = Subject("contacts", when, Params(), set())
                direct = ctx.sql.render(people_sql(spec, ctx, [cid], _window(ctx, [cid], when)))
                assert one_person_sql(spec, cid, when) == direct


def test_facts_query_template_equals_building_it() -> None:
    spec = spec_with_time_conditions()

    def build(cid: str, account: str | None, when: datetime) -> tuple[str, list[Any]]:
        matched = "SELECT CAST(? AS VARCHAR) AS k, CAST(? AS VARCHAR) AS v" if account else NO_MATCH_SQL
        return facts_sql(spec, "c0.id = ?", [cid], matched, [cid, account] if account else [], when)

    cached = SqlTemplate.cached(spec, "test:facts", build)
    for cid in IDS:
        for account in (None, "crm:acme"):
            for when in WHENS:
                assert cached(cid, account, when) == build(cid, account, when)


def test_a_query_whose_parameters_cannot_be_mapped_is_built_each_time() -> None:
    calls: list[str] = []

    def build(cid: str, when: datetime) -> tuple[str, list[Any]]:
        calls.append(cid)
        return "SELECT ?, ?, ?", [cid.upper(), when - timedelta(days=1), 42]

    assert SqlTemplate.learn(build, ("text", "time")) is None
    cached = SqlTemplate.cached(object(), "test:upper", build)
    assert cached("a:1", WHENS[0]) == ("SELECT ?, ?, ?", ["A:1", WHENS[0] - timedelta(days=1), 42])
    assert calls[-1] == "a:1"
