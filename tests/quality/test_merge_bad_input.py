"""Bad input to merge and unmerge: no crash, a clear message, nothing lost."""

from __future__ import annotations

import time

import pytest

from revframe.errors import UsageError
from revframe.framework import Spec
from revframe.quality.aliases import resolve
from revframe.quality.merge import merge_clusters
from revframe.quality.unmerge import unmerge
from revframe.store import Store
from tests.quality.test_merge import ROLE, clusters, company, row, snapshot, spec  # noqa: F401 - spec: fixture


def test_a_role_without_the_right_may_not_merge_or_unmerge(duck: Store, spec: Spec) -> None:  # noqa: F811
    company(duck)
    before = snapshot(duck)
    with pytest.raises(UsageError, match=r"--as sdr: this role may not merge.*crm_admin, revops_analyst, revops_lead"):
        merge_clusters(duck, spec, role="sdr")
    with pytest.raises(UsageError, match=r"--as intern: no such role"):
        merge_clusters(duck, spec, role="intern")
    assert snapshot(duck) == before
    merge_id = merge_clusters(duck, spec, role=ROLE, objects=["accounts"]).merges[0].merge_id
    with pytest.raises(UsageError, match="may not unmerge"):
        unmerge(duck, spec, merge_id, role="sdr")


def test_unknown_and_repeated_unmerge(duck: Store, spec: Spec) -> None:  # noqa: F811
    company(duck)
    with pytest.raises(UsageError, match="merge nope: no such merge; list them with `revframe quality merges`"):
        unmerge(duck, spec, "nope", role=ROLE)
    merge_id = merge_clusters(duck, spec, role=ROLE, objects=["accounts"]).merges[0].merge_id
    unmerge(duck, spec, merge_id, role=ROLE)
    with pytest.raises(UsageError, match=f"merge {merge_id}: already unmerged by {ROLE}"):
        unmerge(duck, spec, merge_id, role=ROLE)


def test_merging_a_cluster_again_or_an_unknown_one(duck: Store, spec: Spec) -> None:  # noqa: F811
    company(duck)
    first = merge_clusters(duck, spec, role=ROLE, cluster="k1").merges[0]
    again = merge_clusters(duck, spec, role=ROLE, cluster="k1")
    assert not again.merges and f"already merged by merge {first.merge_id}" in again.skipped[0].reason
    assert [m.object for m in merge_clusters(duck, spec, role=ROLE).merges] == ["accounts"]  # only open clusters
    with pytest.raises(UsageError, match="--cluster k404: no such cluster in the latest dedupe run"):
        merge_clusters(duck, spec, role=ROLE, cluster="k404")


def test_a_record_already_merged_away_resolves_or_is_skipped(duck: Store, spec: Spec) -> None:  # noqa: F811
    company(duck)
    merge_clusters(duck, spec, role=ROLE, objects=["contacts"])
    clusters(duck, "contacts", "run-c2", {"k5": ["hubspot:L1", "salesforce:C1"], "k6": ["hubspot:L1", "hubspot:gone"]})
    report = merge_clusters(duck, spec, role=ROLE, objects=["contacts"])
    assert not report.merges
    reasons = {s.cluster_id: s.reason for s in report.skipped}
    assert "already merged into one record" in reasons["k5"]
    assert "1 member(s) no longer exist (hubspot:gone)" in reasons["k6"]
    assert resolve(duck, "contacts", "hubspot:L1") == "salesforce:C1"


def test_a_converted_lead_is_never_merged_into_its_contact(duck: Store, spec: Spec) -> None:  # noqa: F811
    company(duck)
    clusters(duck, "contacts", "run-c2", {"k7": ["salesforce:C1", "salesforce:L2"]})
    report = merge_clusters(duck, spec, role=ROLE, objects=["contacts"])
    assert not report.merges and "converted lead(s) are never merged" in report.skipped[0].reason


def test_ten_thousand_identical_records_merge_and_unmerge(duck: Store, spec: Spec) -> None:  # noqa: F811
    ids = [f"hubspot:{i:05d}" for i in range(10_000)]
    duck.insert_rows("contacts", [row("contacts", i, record_type="lead", email="same@acme.com") for i in ids])
    duck.insert_rows(
        "touchpoints", [row("touchpoints", f"hubspot:P{i}", contact_id=r) for i, r in enumerate(ids[::100])]
    )
    clusters(duck, "contacts", "run-big", {"big": ids})
    before = snapshot(duck)
    started = time.perf_counter()
    (m,) = merge_clusters(duck, spec, role=ROLE).merges
    assert m.survivor_id == ids[0] and len(m.merged_ids) == 9_999
    assert duck.query("SELECT count(*) FROM contacts") == [(1,)]
    assert duck.query("SELECT count(DISTINCT contact_id) FROM touchpoints") == [(1,)]
    unmerge(duck, spec, m.merge_id, role=ROLE)
    assert snapshot(duck) == before
    assert time.perf_counter() - started < 30
