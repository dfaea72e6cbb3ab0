"""Every object of every preset maps a realistic export onto its canonical table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from revframe.ingest import PRESETS, ingest, load_mapping
from revframe.ingest.mapping import ObjectMapping
from revframe.store import TABLES, Store

# A plausible source value for a canonical column, by its normalizer.
SAMPLE = {
    "email": "Pat.Lee@Example.COM",
    "phone": "(415) 555-2671",
    "url": "https://www.example.com/",
    "domain": "example.com",
    "country": "United States",
    "currency": "usd",
    "decimal": "1200.50",
    "double": "40",
    "int": "12",
    "bool": "true",
    "timestamp": "2025-03-04T15:02:11.000+0000",
    "date": "2025-03-31",
    "text": "Something",
}
WANT = {
    "email": "pat.lee@example.com",
    "phone": "+14155552671",
    "country": "US",
    "currency": "USD",
    "int": 12,
    "bool": True,
}


def _cases() -> list[tuple[str, ObjectMapping]]:
    return [(p, o) for p in PRESETS for o in load_mapping(p).objects]


@pytest.mark.parametrize(("preset", "obj"), _cases(), ids=lambda v: v if isinstance(v, str) else v.source)
def test_preset_object_loads_a_realistic_export(duck: Store, tmp_path: Path, preset: str, obj: ObjectMapping) -> None:
    table = TABLES[obj.table]
    header: list[str] = []
    row: list[str] = []
    expected: dict[str, object] = {}
    for field, rules in obj.fields.items():
        rule = next((r for r in rules if r.columns), None)
        if rule is None:
            continue
        col = rule.columns[0]
        if col in header:
            continue
        c = table.column(field)
        kind = "ref" if c.ref else c.normalizer
        value = "REF1" if kind == "ref" else SAMPLE.get(kind, "Something")
        if rule.when_prefix:
            value = rule.when_prefix + "XYZ"
        if rule.value_map:
            value = next(iter(rule.value_map))
        if field == "external_id":
            value = "ID1"
        header.append(col)
        row.append(value)
        if kind in WANT and not rule.value_map:
            expected[field] = WANT[kind]
    name = (obj.files[0].replace("*", "") or obj.source) + ("csv" if obj.files[0].endswith(".*") else ".csv")
    path = tmp_path / preset / name.replace("..", ".")
    path.parent.mkdir(parents=True)
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([header, row])
    s = ingest(duck, [path], preset)
    assert (s.read, s.loaded, s.quarantined) == (1, 1, 0)
    assert s.files[0].object == obj.source and s.files[0].table == obj.table
    cols = list(expected)
    got = duck.query(f"SELECT {', '.join(['id', *cols])} FROM {obj.table}")
    assert got[0][0] == f"{preset}:ID1"
    assert dict(zip(cols, got[0][1:], strict=True)) == expected


def test_the_object_is_found_from_the_file_name_or_header(duck: Store, tmp_path: Path) -> None:
    p = tmp_path / "export-2025-01.csv"  # a name no glob knows: the header decides
    p.write_text("Id,FirstName,LastName,Company,Status\n00QA,Ada,Lovelace,Analytical,Open\n")
    s = ingest(duck, [p], "salesforce")
    assert s.files[0].object == "Lead"
    assert duck.query("SELECT record_type, lead_status FROM contacts") == [("lead", "Open")]


def test_hubspot_internal_deal_types_become_the_specs_canonical_types(duck: Store, tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Record ID,Deal Name,Deal Type\n1,A,newbusiness\n2,B,existingbusiness\n3,C,Renewal\n")
    ingest(duck, [path], "hubspot")
    got = dict(duck.query("SELECT name, type FROM opportunities"))
    assert got == {"A": "new_business", "B": "expansion", "C": "Renewal"}  # other values are kept as written
