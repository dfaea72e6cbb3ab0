"""Survivorship: which record of a duplicate cluster survives, and which value of each field it keeps.

Pure functions over rows as dicts (column name to value), so the rules can be tested and explained
without a store. The spec owns the rules (``dedup.objects.<object>.survivorship``); this module
applies them:

- **survivor**: for contacts a contact beats a lead; then a record from the object's system of
  record; then the most complete record (most non-empty data fields); then the oldest
  ``created_at``; then the smallest id. Sorting the members by that key gives the *survivor-first
  order* the rules below use to break ties.
- **source_priority** (``systems``): the non-empty value from the system listed first; records
  of unlisted systems come after the listed ones.
- **most_recent**: the non-empty value of the record updated last (``updated_at``, else
  ``created_at``; a record with neither counts as oldest).
- **most_complete**: the non-empty value with the most information: the most letters and
  digits in its text form (``+1 (555) 010-0100`` and ``+15550100100`` tie).
- **non_empty**: the first non-empty value in survivor-first order.
- **system_of_record**: the first non-empty value from a record of the object's system of
  record; when no member comes from it (or the spec names none), as ``non_empty``.

Every rule ignores empty values (null or blank text) and, when all members are empty, keeps the
survivor's own value. Ties go to the record earlier in survivor-first order. The lineage columns
(``id``, ``source_system``, ``external_id``), the ingest bookkeeping (``_row_hash``, ``_run_id``,
``_loaded_at``) and a contact's ``record_type`` always stay the survivor's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from revframe.framework.dedup import Survivorship, SurvivorshipRules

Record = dict[str, Any]
PINNED = ("id", "source_system", "external_id", "record_type")
DEFAULT_RULE = Survivorship(rule="non_empty")
_OLDEST = datetime.min.replace(tzinfo=UTC)
_NEWEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FieldChoice:
    """The value a field keeps, the record it came from and the rule that chose it."""

    value: Any
    source_id: str
    rule: str

    def explain(self) -> dict[str, Any]:
        """As stored in ``merges.field_sources``."""
        return {"from": self.source_id, "rule": self.rule}


def is_empty(value: Any) -> bool:
    """Null, or text that is blank once trimmed (``False`` and ``0`` are values)."""
    return value is None or (isinstance(value, str) and not value.strip())


def information(value: Any) -> int:
    """How much a value says: the letters and digits of its text form."""
    return sum(ch.isalnum() for ch in str(value))


def completeness(record: Record, fields: Sequence[str]) -> int:
    """Number of non-empty ``fields`` of a record."""
    return sum(not is_empty(record.get(f)) for f in fields)


def _instant(value: Any) -> datetime:
    if not isinstance(value, datetime):
        return _OLDEST
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def survivor_order(records: Sequence[Record], fields: Sequence[str], system_of_record: str | None) -> list[Record]:
    """The members of a cluster, the survivor first (see the module docstring for the key).

    Examples:
        >>> lead = {"id": "hubspot:1", "source_system": "hubspot", "record_type": "lead", "email": "a@x.io"}
        >>> contact = {"id": "salesforce:9", "source_system": "salesforce", "record_type": "contact", "email": None}
        >>> [r["id"] for r in survivor_order([lead, contact], ["email"], "salesforce")]
        ['salesforce:9', 'hubspot:1']
    """

    def key(r: Record) -> tuple[int, int, int, datetime, str]:
        lead = 0 if r.get("record_type") in (None, "contact") else 1
        sor = 0 if system_of_record is None or r.get("source_system") == system_of_record else 1
        created = _instant(r["created_at"]) if r.get("created_at") else _NEWEST
        return lead, sor, -completeness(r, fields), created, str(r["id"])

    return sorted(records, key=key)


def choose(field: str, ordered: Sequence[Record], rule: Survivorship, system_of_record: str | None) -> FieldChoice:
    """The surviving value of ``field`` among ``ordered`` (survivor first) under ``rule``.

    Examples:
        >>> from revframe.framework.dedup import Survivorship
        >>> a = {"id": "salesforce:1", "source_system": "salesforce", "phone": "555-0100"}
        >>> b = {"id": "hubspot:2", "source_system": "hubspot", "phone": "+1 555 010 0100"}
        >>> choose("phone", [a, b], Survivorship(rule="most_complete"), None).source_id
        'hubspot:2'
    """
    survivor = ordered[0]
    present = [(i, r) for i, r in enumerate(ordered) if not is_empty(r.get(field))]
    if not present:
        return FieldChoice(survivor.get(field), str(survivor["id"]), rule.rule)
    name = rule.rule
    if name == "source_priority":
        rank = {s: i for i, s in enumerate(rule.systems)}
        _, best = min(present, key=lambda p: (rank.get(p[1].get("source_system") or "", len(rank)), p[0]))
    elif name == "most_recent":
        _, best = max(present, key=lambda p: (_stamp(p[1]), -p[0]))
    elif name == "most_complete":
        _, best = min(present, key=lambda p: (-information(p[1][field]), p[0]))
    elif name == "system_of_record":
        sor = [p for p in present if system_of_record is not None and p[1].get("source_system") == system_of_record]
        _, best = (sor or present)[0]
    else:  # non_empty
        _, best = present[0]
    return FieldChoice(best[field], str(best["id"]), name)


def _stamp(record: Record) -> datetime:
    return _instant(record.get("updated_at") or record.get("created_at"))


def survive(
    records: Sequence[Record], fields: Sequence[str], rules: SurvivorshipRules | None, system_of_record: str | None
) -> tuple[Record, Record, dict[str, FieldChoice]]:
    """Merge a cluster's records: (survivor as it was, survivor as it will be, per-field choices).

    ``fields`` are the data columns survivorship decides (the pinned columns are left out by the
    caller or ignored here); ``rules`` default to ``non_empty`` for every field.
    """
    ordered = survivor_order(records, fields, system_of_record)
    before = ordered[0]
    after = dict(before)
    choices: dict[str, FieldChoice] = {}
    for f in fields:
        if f in PINNED:
            continue
        rule = rules.fields.get(f, rules.default) if rules else DEFAULT_RULE
        choice = choose(f, ordered, rule, system_of_record)
        choices[f] = choice
        after[f] = choice.value
    return before, after, choices
