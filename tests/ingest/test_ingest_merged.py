"""Re-ingest after a merge: merged-away records stay merged, incoming keys resolve, unmerge still restores."""

from __future__ import annotations

from pathlib import Path

from revframe import Workspace
from revframe.ingest import ingest
from revframe.quality.merge import merge_clusters
from revframe.quality.unmerge import unmerge
from revframe.store import Store
from tests.conftest import write
from tests.quality.test_merge import ROLE, clusters

ACCOUNTS = """Id,Name,Website,Industry,CreatedDate,LastModifiedDate
001A,Acme,acme.com,Software,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z
001B,Acme Inc,acme.com,,2025-02-01T00:00:00Z,2025-02-01T00:00:00Z
"""
CONTACTS = """Id,FirstName,LastName,Email,AccountId,Title
003A1,Ada,Lovelace,ada@acme.com,001B,CTO
"""


def test_reingest_after_a_merge_keeps_it_and_resolves_keys(engine_store: Store, tmp_path: Path) -> None:
    s = engine_store
    spec = Workspace.init(tmp_path / "ws").spec
    accounts, contacts = write(tmp_path / "Account.csv", ACCOUNTS), write(tmp_path / "Contact.csv", CONTACTS)
    ingest(s, [accounts, contacts], "salesforce")
    originals = s.checksum("accounts"), s.checksum("contacts")
    clusters(s, "accounts", "run-a", {"k1": ["salesforce:001A", "salesforce:001B"]})
    (m,) = merge_clusters(s, spec, role=ROLE).merges
    assert (m.survivor_id, m.merged_ids) == ("salesforce:001A", ["salesforce:001B"])
    merged = s.checksum("accounts"), s.checksum("contacts")

    again = ingest(s, [accounts, contacts], "salesforce").to_dict()
    assert (again["rows_read"], again["rows_loaded"], again["rows_quarantined"]) == (3, 3, 0)
    assert (again["rows_inserted"], again["rows_updated"], again["rows_unchanged"]) == (0, 0, 2)
    assert again["rows_merged_away"] == 1  # 001B: not resurrected
    assert (s.checksum("accounts"), s.checksum("contacts")) == merged

    changed = write(tmp_path / "b" / "Contact.csv", CONTACTS.replace("CTO", "CEO"))
    d = ingest(s, [changed], "salesforce").to_dict()
    assert d["rows_updated"] == 1
    assert s.query("SELECT title, account_id FROM contacts") == [("CEO", "salesforce:001A")]  # the alias resolved

    unmerge(s, spec, m.merge_id, role=ROLE)
    assert s.query("SELECT account_id FROM contacts") == [("salesforce:001B",)]
    ingest(s, [accounts, contacts], "salesforce")
    assert (s.checksum("accounts"), s.checksum("contacts")) == originals
