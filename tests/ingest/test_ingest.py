"""Ingest: accounting, idempotence, quarantine, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from revframe.errors import UsageError
from revframe.ingest import Context, ingest
from revframe.store import Store
from tests.conftest import write

CONTACTS = """Id,FirstName,LastName,Email,Phone,AccountId,Title,MailingCountry,CreatedDate,LastModifiedDate
003A1,Ada,Lovelace,Ada@Analytical.IO ,+44 20 7946 0958,001X,CTO,United Kingdom,2025-01-02T10:00:00Z,2025-01-02T10:00:00Z
003A2,Grace,Hopper,grace(at)navy.mil,555-0100,,Admiral,USA,2025-01-03T10:00:00.000+0000,2025-01-03T10:00:00Z
003A3,Alan,Turing,alan@bletchley.org,,,,United Kingdom,not-a-date,2025-01-04T10:00:00Z
003A4,Katherine,Johnson,kj@nasa.gov,(757) 864-1000,,Mathematician,US,2025-01-05 10:00,2025-01-05T10:00:00Z
"""


def test_summary_accounts_for_every_row_and_normalizes(duck: Store, tmp_path: Path) -> None:
    p = write(tmp_path / "Contact.csv", CONTACTS)
    s = ingest(duck, [p], "salesforce", object_name="contacts", ctx=Context(default_region="US"))
    d = s.to_dict()
    assert (d["rows_read"], d["rows_loaded"], d["rows_quarantined"]) == (4, 3, 1)
    rows = {
        r[0]: r[1:]
        for r in duck.query(
            "SELECT external_id, email, email_domain, phone, country, account_id, record_type FROM contacts"
        )
    }
    assert rows["003A1"] == ("ada@analytical.io", "analytical.io", "+442079460958", "GB", "salesforce:001X", "contact")
    assert rows["003A4"][2] == "+17578641000"  # national format, default region from the spec
    assert rows["003A2"][0] == "grace(at)navy.mil" and rows["003A2"][1] is None  # kept for the quality scan
    q = duck.query("SELECT file, line, field, value, reason, raw FROM quarantine")
    assert len(q) == 1
    file, line, field, value, reason, raw = q[0]
    assert (file, line, field, value) == (str(p), 4, "created_at", "not-a-date")
    assert "ISO 8601" in reason and json.loads(raw)["Id"] == "003A3"


def test_ingesting_the_same_file_twice_changes_nothing(duck: Store, tmp_path: Path) -> None:
    p = write(tmp_path / "Contact.csv", CONTACTS)
    ingest(duck, [p], "salesforce")
    before = duck.checksum("contacts")
    again = ingest(duck, [p], "salesforce").to_dict()
    assert (again["rows_inserted"], again["rows_updated"], again["rows_unchanged"]) == (0, 0, 3)
    assert duck.checksum("contacts") == before
    assert duck.row_counts()["contacts"] == 3


def test_a_changed_row_is_updated_not_duplicated(duck: Store, tmp_path: Path) -> None:
    ingest(duck, [write(tmp_path / "Contact.csv", CONTACTS)], "salesforce")
    changed = CONTACTS.replace("Admiral", "Rear Admiral")
    d = ingest(duck, [write(tmp_path / "b" / "Contact.csv", changed)], "salesforce").to_dict()
    assert (d["rows_inserted"], d["rows_updated"], d["rows_unchanged"]) == (0, 1, 2)
    assert duck.query("SELECT title FROM contacts WHERE external_id = '003A2'") == [("Rear Admiral",)]


def test_bad_rows_of_every_kind_go_to_quarantine(duck: Store, tmp_path: Path) -> None:
    text = (
        "Id,Name,AccountId,StageName,Amount,CloseDate,IsWon,CurrencyIsoCode\n"
        "006A,Deal A,001A,Closed Won,12500,2025-03-31,true,USD\n"
        '006B,Deal B,001A,Proposal,"12,5k",2025-04-30,false,USD\n'  # bad number
        "006C,Deal C,001A,Proposal,100,2025-04-30,maybe,USD\n"  # bad boolean
        "006D,Deal D,001A,Proposal,100,2025-04-30\n"  # ragged
        ",Deal E,001A,Proposal,100,2025-04-30,false,USD\n"  # missing id
        "006A,Deal A again,001A,Closed Won,1,2025-03-31,true,USD\n"  # duplicate id
        "006F,Deal F,001A,Proposal,100,2025-04-30,false,XYZ\n"  # bad currency
        '006G,Deal G,001A,Proposal,"1,250.00",31/12/2025,false,EUR\n'  # fine
    )
    s = ingest(duck, [write(tmp_path / "Opportunity.csv", text)], "salesforce")
    assert (s.read, s.loaded, s.quarantined) == (8, 2, 6)
    reasons = dict(duck.query("SELECT line, reason FROM quarantine"))
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "not a number" in reasons[3] and "boolean" in reasons[4] and "ragged" in reasons[5]
    assert "missing id" in reasons[6] and "line 2" in reasons[7] and "ISO 4217" in reasons[8]
    assert duck.query("SELECT amount, close_date FROM opportunities WHERE external_id = '006G'")[0][0] == 1250


@pytest.mark.parametrize(
    ("content", "encoding", "match"),
    [
        ("", "utf-8", "empty"),
        ("Id;FirstName;LastName\n003A;Ada;Lovelace\n", "utf-8", "--delimiter ';'"),
        ("Id,FirstName,LastName,Company\n00QA,José,Ñúñez,Acmé\n", "latin-1", "--encoding"),
        ("Foo,Bar,Baz\n1,2,3\n", "utf-8", "matches no object"),
    ],
    ids=["empty", "wrong-delimiter", "latin-1", "unknown-header"],
)
def test_bad_files_are_refused_with_the_place_and_the_fix(
    duck: Store, tmp_path: Path, content: str, encoding: str, match: str
) -> None:
    p = write(tmp_path / "Lead.csv", content, encoding)
    before = duck.row_counts()
    with pytest.raises(UsageError, match=match) as e:
        ingest(duck, [p], "salesforce")
    assert str(p) in str(e.value)
    assert duck.row_counts() == before  # nothing half-written


def test_latin1_loads_with_the_encoding_given(duck: Store, tmp_path: Path) -> None:
    p = write(tmp_path / "Lead.csv", "Id,FirstName,LastName,Company\n00QA,José,Ñúñez,Acmé\n", "latin-1")
    ingest(duck, [p], "salesforce", encoding="latin-1")
    assert duck.query("SELECT first_name, company FROM contacts") == [("José", "Acmé")]


def test_utf8_bom_header_is_recognized(duck: Store, tmp_path: Path) -> None:
    p = write(tmp_path / "Lead.csv", "\ufeffId,FirstName,LastName,Company\n00QA,Zoë,Ähn,Acme\n")
    assert ingest(duck, [p], "salesforce").loaded == 1
    assert duck.query("SELECT external_id, first_name FROM contacts") == [("00QA", "Zoë")]


def test_a_missing_file_and_an_unknown_mapping_are_usage_errors(duck: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        ingest(duck, [tmp_path / "nope.csv"], "salesforce")
    with pytest.raises(UsageError, match="hubspot, salesforce"):
        ingest(duck, [write(tmp_path / "Lead.csv", "Id\n1\n")], "pipedrive")


def test_a_failure_in_the_second_file_rolls_back_the_first(duck: Store, tmp_path: Path) -> None:
    good = write(tmp_path / "Contact.csv", CONTACTS)
    bad = write(tmp_path / "Lead.csv", "Id;FirstName\n1;x\n")
    with pytest.raises(UsageError):
        ingest(duck, [good, bad], "salesforce")
    assert duck.row_counts()["contacts"] == 0 and duck.row_counts()["ingest_runs"] == 0


def test_mixed_day_first_and_month_first_dates_are_refused(duck: Store, tmp_path: Path) -> None:
    text = "Id,LastName,Company,CreatedDate\n00Q1,A,X,03/04/2025\n00Q2,B,X,13/04/2025\n00Q3,C,X,2025-01-01\n"
    with pytest.raises(UsageError, match="mixes date formats") as e:
        ingest(duck, [write(tmp_path / "Lead.csv", text)], "salesforce")
    assert "--date-format %d/%m/%Y" in str(e.value) and "Lead.csv:3:" in str(e.value)
    assert "'03/04/2025' (line 2)" in str(e.value)
    clash = "Id,LastName,Company,CreatedDate\n00Q1,A,X,13/04/2025\n00Q2,B,X,04/13/2025\n"
    with pytest.raises(UsageError, match=r"line 2 reads '13/04/2025' \(day first\) and line 3 reads '04/13/2025'"):
        ingest(duck, [write(tmp_path / "b" / "Lead.csv", clash)], "salesforce", ctx=Context(date_order="DMY"))


def test_explicit_date_format_and_day_first_order(duck: Store, tmp_path: Path) -> None:
    text = "Id,LastName,Company,CreatedDate\n00Q1,A,X,03/04/2025\n00Q2,B,X,13/04/2025\n"
    ingest(duck, [write(tmp_path / "Lead.csv", text)], "salesforce", ctx=Context(date_order="DMY"))
    got = dict(duck.query("SELECT external_id, CAST(created_at AS DATE) FROM contacts"))
    assert str(got["00Q1"]) == "2025-04-03" and str(got["00Q2"]) == "2025-04-13"


def test_parquet_and_jsonl_exports(duck: Store, tmp_path: Path) -> None:
    pq.write_table(
        pa.table(
            {
                "Id": ["001A", "001B"],
                "Name": ["Acme", "Globex"],
                "Website": ["https://www.acme.co.uk/x", None],
                "NumberOfEmployees": [120, None],
            }
        ),
        tmp_path / "Account.parquet",
    )
    (tmp_path / "User.jsonl").write_text(
        json.dumps({"Id": "005A", "Name": "Sam Rep", "Email": "SAM@northwind.example", "IsActive": True})
        + "\n"
        + "{not json\n"
    )
    a = ingest(duck, [tmp_path / "Account.parquet"], "salesforce")
    u = ingest(duck, [tmp_path / "User.jsonl"], "salesforce")
    assert (a.loaded, u.loaded, u.quarantined) == (2, 1, 1)
    assert duck.query("SELECT domain, employees FROM accounts WHERE external_id = '001A'") == [("acme.co.uk", 120)]
    assert duck.query("SELECT email, is_active FROM users") == [("sam@northwind.example", True)]


def test_a_mapping_file_loads_any_export(duck: Store, tmp_path: Path) -> None:
    mapping = write(
        tmp_path / "billing.yaml",
        """
name: billing
source_system: billing
objects:
  - source: Subscription
    table: subscriptions
    files: ["subs*"]
    fields:
      external_id: sub_id
      account_id: {column: sf_account, ref_system: salesforce}
      arr: annual_value
      currency: {column: ccy, default: USD}
      status: {column: state, map: {live: active, ended: cancelled}}
      start_date: starts
""",
    )
    data = write(
        tmp_path / "subs.csv", "sub_id,sf_account,annual_value,ccy,state,starts\ns1,001A,12000,,live,2025-01-01\n"
    )
    ingest(duck, [data], str(mapping))
    assert duck.query("SELECT id, account_id, arr, currency, status FROM subscriptions") == [
        ("billing:s1", "salesforce:001A", 12000, "USD", "active")
    ]


def test_a_large_file_streams_in_batches(duck: Store, tmp_path: Path) -> None:
    lines = ["Id,LastName,Company,Email"] + [f"00Q{i},N{i},C{i % 50},p{i}@c{i % 50}.com" for i in range(2_500)]
    p = write(tmp_path / "Lead.csv", "\n".join(lines) + "\n")
    seen: list[int] = []
    s = ingest(duck, [p], "salesforce", batch_rows=1_000, progress=lambda _p, done, _t: seen.append(done))
    assert s.loaded == 2_500 and len(seen) >= 3 and seen == sorted(seen)


def test_reingest_supersedes_the_files_quarantine_rows(duck: Store, tmp_path: Path) -> None:
    p = write(tmp_path / "Contact.csv", CONTACTS)
    ingest(duck, [p], "salesforce")
    ingest(duck, [p], "salesforce")
    assert duck.row_counts()["quarantine"] == 1  # the same bad row, still refused: counted once
    ingest(duck, [write(p, CONTACTS.replace("not-a-date", "2025-01-04T10:00:00Z"))], "salesforce")
    assert duck.row_counts()["quarantine"] == 0 and duck.row_counts()["contacts"] == 4


def test_a_refused_ingest_writes_nothing_not_even_the_framework_version(tmp_path: Path) -> None:
    from revframe import Workspace

    ws = Workspace.init(tmp_path / "ws")
    before = ws.store.row_counts()
    with pytest.raises(UsageError):
        ws.ingest([tmp_path / "missing.csv"], "salesforce")
    assert ws.store.row_counts() == before
    ws.ingest([write(tmp_path / "Contact.csv", CONTACTS)], "salesforce")
    assert ws.store.query("SELECT version FROM framework_versions") == [(ws.spec.version,)]
    ws.close()


def test_a_file_whose_every_row_is_ragged_is_refused(duck: Store, tmp_path: Path) -> None:
    p = write(tmp_path / "Lead.csv", "Id,LastName,Company\n00Q1;Lee;Acme;x\n00Q2;Ng;Initech;y\n")
    with pytest.raises(UsageError, match="every one of its 2 rows has a different number of fields"):
        ingest(duck, [p], "salesforce")
    assert duck.row_counts()["quarantine"] == 0
