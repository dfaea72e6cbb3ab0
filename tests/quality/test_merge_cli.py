"""`revframe quality merge | unmerge | merges` as users run them: exit codes, messages, JSON."""

from __future__ import annotations

from pathlib import Path

from revframe import Workspace
from tests.cli.test_cli import revframe
from tests.quality.test_merge import company


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    ws = Workspace.init(root)
    company(ws.store)
    ws.close()
    return root


def test_merge_dry_run_merge_list_and_unmerge(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    dry = revframe("-w", root, "quality", "merge", "--cluster", "k2", "--dry-run", "--as", "crm_admin")
    assert dry.code == 0, dry.err
    assert (
        "Dry run" in dry.out
        and "salesforce:A1" in dry.out
        and "industry" in dry.out
        and "nothing was written" in dry.out
    )
    assert revframe("-w", root, "--format", "json", "quality", "merges").json() == []

    done = revframe("-w", root, "--format", "json", "quality", "merge", "--auto", "--as", "crm_admin").json()
    assert [(m["object"], m["survivor_id"]) for m in done["merges"]] == [
        ("contacts", "salesforce:C1"),
        ("accounts", "salesforce:A1"),
    ]
    listed = revframe("-w", root, "--format", "json", "quality", "merges", "--object", "accounts").json()
    assert [(m["merge_id"], m["merged"], m["merged_by"], m["status"]) for m in listed] == [
        (done["merges"][1]["merge_id"], 1, "crm_admin", "merged")
    ]
    undo = revframe("-w", root, "quality", "unmerge", done["merges"][1]["merge_id"], "--as", "revops_lead")
    assert undo.code == 0, undo.err
    assert "restored 1 accounts record(s)" in undo.out and "subscriptions.account_id" in undo.out


def test_bad_usage_is_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    r = revframe("-w", root, "quality", "merge", "--auto", "--as", "sdr")
    assert r.code == 2 and "--as sdr: this role may not merge" in r.err and "crm_admin" in r.err
    r = revframe("-w", root, "quality", "merge", "--as", "crm_admin")
    assert r.code == 2 and "--auto" in r.err and "--cluster ID" in r.err
    r = revframe("-w", root, "quality", "merge", "--cluster", "k404", "--as", "crm_admin")
    assert r.code == 2 and "no such cluster" in r.err
    r = revframe("-w", root, "quality", "unmerge", "m-404", "--as", "crm_admin")
    assert r.code == 2 and "merge m-404: no such merge" in r.err
    r = revframe("-w", root, "quality", "unmerge", "m-404")
    assert r.code == 2 and "--as" in r.err
