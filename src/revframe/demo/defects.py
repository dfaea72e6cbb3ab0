"""Planted data-quality defects and the ground truth that records every one of them.

Defects: duplicate people and companies (typo, nickname, case, swapped names, missing values,
company suffix variants, personal email, a lead who is already a contact, cross-system copies),
invalid emails and phones, missing required fields, and malformed rows ingest must quarantine.
"""

from __future__ import annotations

import random

from revframe.demo.vocab.companies import SUFFIX_VARIANTS
from revframe.demo.vocab.names import NICKNAMES
from revframe.demo.writers import Sinks

GT_FILES: dict[str, list[str]] = {
    "duplicates": ["cluster_id", "table", "source_system", "external_id", "role", "defect"],
    "invalid_values": ["table", "source_system", "external_id", "field", "column", "value", "defect"],
    "missing_required": ["table", "source_system", "external_id", "field", "column", "defect"],
    "naming_violations": ["table", "source_system", "external_id", "name", "defect", "convention"],
    "stage_skips": ["table", "source_system", "external_id", "from_stage", "to_stage", "skipped_stage", "changed_at"],
    "sla_breaches": [
        "table",
        "source_system",
        "external_id",
        "owner_id",
        "mql_at",
        "assigned_at",
        "first_action_at",
        "minutes",
        "business_minutes",
    ],
    "response_times": [
        "table",
        "source_system",
        "external_id",
        "owner_id",
        "mql_at",
        "assigned_at",
        "first_automated_at",
        "first_action_at",
        "minutes",
        "business_minutes",
        "planted_breach",
    ],
    "customer_motions": [
        "account_id",
        "source_system",
        "motion",
        "month",
        "effective_date",
        "arr_delta",
        "currency",
        "opportunity_id",
    ],
    "bad_rows": ["file", "line", "field", "value", "object", "external_id", "reason"],
}

#: fields the demo treats as required (so planted blanks are recorded): table -> canonical fields
REQUIRED = {
    "accounts": ["industry", "country"],
    "contacts": ["email", "title"],
    "leads": ["email", "country"],
    "opportunities": ["amount"],
}


class GroundTruth:
    """Collects ground-truth rows per chunk and streams them to ``ground_truth/``."""

    def __init__(self, sinks: Sinks) -> None:
        self.sinks = sinks
        for name, cols in GT_FILES.items():
            sinks.open(f"gt:{name}", f"ground_truth/{name}.csv", cols)
        self.rows: dict[str, list[dict]] = {k: [] for k in GT_FILES}
        self.protected: set[str] = set()  # ids referenced by ground truth (never made malformed)
        self.next_cluster = 1
        self.counts: dict[str, int] = {k: 0 for k in GT_FILES}

    def add(self, kind: str, **row: object) -> None:
        self.rows[kind].append(row)
        ext = row.get("external_id")
        if isinstance(ext, str):
            self.protected.add(ext)

    def cluster(self, members: list[tuple[str, str, str, str, str]]) -> None:
        """One real-world entity with several records: (table, system, external id, role, defect)."""
        cid = f"C{self.next_cluster:07d}"
        self.next_cluster += 1
        for table, system, ext, role, defect in members:
            self.add(
                "duplicates",
                cluster_id=cid,
                table=table,
                source_system=system,
                external_id=ext,
                role=role,
                defect=defect,
            )

    def flush(self) -> None:
        for kind, rows in self.rows.items():
            if rows:
                cols = GT_FILES[kind]
                self.sinks[f"gt:{kind}"].write({c: [_s(row.get(c)) for row in rows] for c in cols})
                self.counts[kind] += len(rows)
                rows.clear()
        self.protected.clear()


def _s(v: object) -> str | None:
    if v is None:
        return None
    return v if isinstance(v, str) else str(v)


# --- mutations ---------------------------------------------------------------------------------

_KEYBOARD = {
    "a": "s",
    "e": "r",
    "i": "o",
    "o": "p",
    "n": "m",
    "r": "t",
    "s": "d",
    "t": "y",
    "l": "k",
    "u": "i",
    "m": "n",
    "c": "v",
    "h": "j",
    "d": "f",
}


def typo(r: random.Random, s: str) -> str:
    """One keyboard slip in a name (keeps the first letter)."""
    if len(s) < 4:
        return s + s[-1]
    i = r.randrange(1, len(s) - 1)
    op = r.random()
    if op < 0.3:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if op < 0.55:
        return s[:i] + s[i + 1 :]
    if op < 0.8:
        return s[:i] + s[i] + s[i:]
    ch = s[i].lower()
    rep = _KEYBOARD.get(ch, "e")
    return s[:i] + (rep.upper() if s[i].isupper() else rep) + s[i + 1 :]


def nickname(r: random.Random, first: str) -> str | None:
    """A nickname for a formal first name, if it has one."""
    options = NICKNAMES.get(first)
    return r.choice(options) if options else None


def case_variant(r: random.Random, s: str) -> str:
    """The same text in a different letter case."""
    v = r.random()
    if v < 0.4:
        return s.upper()
    if v < 0.8:
        return s.lower()
    return s.swapcase()


def suffix_variant(r: random.Random, base: str, suffix: str) -> str:
    """The company name with its legal suffix written differently (or dropped)."""
    options = SUFFIX_VARIANTS.get(suffix, ["Inc.", ""])
    v = r.choice(options)
    if v.startswith(","):
        return f"{base}{v}"
    return f"{base} {v}".strip()


def invalid_email(r: random.Random, email: str) -> tuple[str, str]:
    """A broken version of a valid email and the kind of breakage."""
    local, _, domain = email.partition("@")
    kind = r.choice(["at_spelled_out", "missing_tld", "space", "double_at", "missing_at", "trailing_dot"])
    value = {
        "at_spelled_out": f"{local}(at){domain}",
        "missing_tld": f"{local}@{domain.split('.')[0]}",
        "space": f"{local} @{domain}" if r.random() < 0.5 else f"{local[:2]} {local[2:]}@{domain}",
        "double_at": f"{local}@@{domain}",
        "missing_at": f"{local}{domain}",
        "trailing_dot": f"{local}@{domain}.",
    }[kind]
    return value, kind


def invalid_phone(r: random.Random) -> tuple[str, str]:
    """A phone value that no phone library accepts."""
    return r.choice(
        [
            ("12345", "too_short"),
            ("N/A", "placeholder"),
            ("000-000-0000", "all_zeros"),
            ("+1 (555) CALL-NOW", "letters"),
            ("tbd", "placeholder"),
            ("0", "too_short"),
            ("+44 20 7946 0958 0958 0958", "too_long"),
            ("ext. 204", "extension_only"),
        ]
    )


_BAD_COUNTRY = [
    ("Untied States", "typo"),
    ("Germny", "typo"),
    ("XX", "unknown_code"),
    ("Earth", "unknown"),
    ("Unknown", "placeholder"),
]


def invalid_country(r: random.Random) -> tuple[str, str]:
    return r.choice(_BAD_COUNTRY)


#: malformed values ingest must quarantine: file key -> (column, values)
BAD_VALUES: dict[str, tuple[str, list[str]]] = {
    "Account": ("CreatedDate", ["not-a-date", "2025-02-30T10:00:00.000+0000", "yesterday"]),
    "Contact": ("CreatedDate", ["not-a-date", "31/02/2025", "2025-13-45T25:61:00.000+0000"]),
    "Lead": ("CreatedDate", ["not-a-date", "N/A", "2024-00-10T09:00:00.000+0000"]),
    "Opportunity": ("Amount", ["12,5k", "approx. 40000", "USD 12.000,00", "TBD"]),
}
