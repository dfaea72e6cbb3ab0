"""The checks a quality scan runs, planned from the spec's data rules and the canonical schema.

Each check is one rule on one field of one object, written as a SQL condition over the object's
table (alias ``t``) that selects the offending rows, so a scan runs one set-based statement per
rule. Two rules need Python's exact semantics: email syntax (the ``email-validator`` library) and
the spec's own regular expressions (Python ``re``). For those the SQL condition is a prefilter that
selects the *suspects*, and ``test`` decides each distinct suspect value once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import email_validator
import pycountry

from revframe.framework.data_rules import ObjectRules, RuleKind, Severity
from revframe.store.schema import DATA_TABLES, TABLES

if TYPE_CHECKING:
    from revframe.framework import Spec

# A conservative email shape: every value it matches (64 characters at most, no special-use domain)
# is valid for email-validator, so only the rest goes to Python. Portable across RE2 (DuckDB),
# POSIX (PostgreSQL) and Java (Spark) regular expressions: no backslashes, no look-arounds, and no
# "?" or "%" (the PostgreSQL store reads "?" as a parameter and psycopg reads "%"; "x?" is "x{0,1}").
_SAFE_EMAIL = "^[a-z0-9_+-]+([.][a-z0-9_+-]+)*@([a-z0-9]+(-[a-z0-9]+)*[.])+[a-z]{2,63}$"
_SPECIAL_USE = "[.@](" + "|".join(n.replace(".", "[.]") for n in email_validator.SPECIAL_USE_DOMAIN_NAMES) + ")$"
_LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9]){0,1}"
_DOMAIN = f"^({_LABEL}[.])+[a-z]{{2,63}}$"
_URL = f"^(https{{0,1}}://){{0,1}}({_LABEL}[.])+[a-z]{{2,63}}(:[0-9]{{1,5}}){{0,1}}([/#][^ ]*){{0,1}}$"
_PHONE = "^[+][1-9][0-9]{6,14}$"
_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*){0,1}$"


@lru_cache(maxsize=500_000)
def is_valid_email(value: str) -> bool:
    """Email syntax as email-validator checks it (no DNS lookup).

    Examples:
        >>> is_valid_email("ada@analytical.io"), is_valid_email("grace(at)navy.mil")
        (True, False)
    """
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def _codes(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


_COUNTRIES = _codes([str(c.alpha_2) for c in pycountry.countries])
_CURRENCIES = _codes([str(c.alpha_3) for c in pycountry.currencies])


def allowed_key(value: str) -> str:
    """How an allowed value compares: lower-cased, spaces and hyphens as underscores (Mid-Market: mid_market)."""
    return value.strip().lower().replace(" ", "_").replace("-", "_")


_ALLOWED_KEY_SQL = "lower(replace(replace(trim(CAST(t.{f} AS VARCHAR)), ' ', '_'), '-', '_'))"


@dataclass(frozen=True)
class Check:
    """One rule on one field of one object.

    Attributes:
        object: canonical table.
        field: the field the finding is about.
        rule: kind of rule (``quality_issues.rule``).
        severity: error, warning or info.
        message: what is wrong and what to do.
        where: SQL condition over ``t`` selecting the offending rows (or the suspects, with ``test``).
        params: parameters of ``where``.
        value: SQL expression for the offending value (text).
        test: for suspects: ``test(value)`` is False when the value breaks the rule.
    """

    object: str
    field: str
    rule: RuleKind
    severity: Severity
    message: str
    where: str
    params: tuple[Any, ...] = ()
    value: str = ""
    test: Callable[[str], bool] | None = None

    @property
    def value_sql(self) -> str:
        return self.value or f"CAST(t.{self.field} AS VARCHAR)"

    @property
    def owner_sql(self) -> str:
        return "t.owner_id" if "owner_id" in TABLES[self.object].column_names else "CAST(NULL AS VARCHAR)"


@dataclass
class Plan:
    """Every check of a scan, and what the scorecard needs to know about each object."""

    checks: list[Check] = field(default_factory=list)
    required: dict[str, list[str]] = field(default_factory=dict)
    validated: dict[str, list[str]] = field(default_factory=dict)
    stale: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def add(self, check: Check) -> None:
        self.checks.append(check)
        if check.rule == "required":
            self.required.setdefault(check.object, []).append(check.field)
        elif check.rule in VALIDITY_RULES and check.field not in self.validated.setdefault(check.object, []):
            self.validated[check.object].append(check.field)
        elif check.rule == "stale":
            self.stale.add(check.object)


#: Rules whose findings make a present value invalid (the scorecard's validity).
VALIDITY_RULES = ("format", "pattern", "allowed_values", "naming", "reference")


def _format_check(obj: str, f: str, fmt: str, sev: Severity) -> Check | None:
    col = TABLES[obj].column(f)
    base = f"t.{f} IS NOT NULL AND "
    low = f"lower(CAST(t.{f} AS VARCHAR))"
    text = f"CAST(t.{f} AS VARCHAR)"
    if fmt == "email":
        suspect = f"NOT (length({text}) <= 64 AND regexp_matches({low}, '{_SAFE_EMAIL}') "
        suspect += f"AND NOT regexp_matches({low}, '{_SPECIAL_USE}'))"
        return Check(
            obj, f, "format", sev, "not a valid email address; correct it in the source system", base + suspect,
            test=is_valid_email,
        )  # fmt: skip
    if fmt == "date" and col.type in ("date", "timestamp"):
        return None  # ingest parsed it into a date already
    where, message = {
        "phone": (
            f"NOT regexp_matches({text}, '{_PHONE}')",
            "not a valid phone number; add the country code or fix it",
        ),
        "domain": (f"NOT regexp_matches({low}, '{_DOMAIN}')", "not a domain like acme.com"),
        "url": (f"NOT regexp_matches({low}, '{_URL}')", "not an http(s) URL or host like www.acme.com"),
        "iso_country": (f"{text} NOT IN ({_COUNTRIES})", "not an ISO 3166-1 alpha-2 country code such as US or DE"),
        "iso_currency": (f"{text} NOT IN ({_CURRENCIES})", "not an ISO 4217 currency code such as USD or EUR"),
        "date": (f"NOT regexp_matches({text}, '{_DATE}')", "not a date (YYYY-MM-DD)"),
    }[fmt]
    return Check(obj, f, "format", sev, message, base + where)


def _regex_test(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda v: compiled.fullmatch(v) is not None


def _object_checks(plan: Plan, obj: str, rules: ObjectRules, as_of: datetime) -> None:
    table = TABLES[obj]
    for f in rules.required:
        blank = f" OR trim(t.{f}) = ''" if table.column(f).type == "text" else ""
        plan.add(
            Check(
                obj, f, "required", rules.severity_of("required"), f"{f} is empty; fill it in", f"t.{f} IS NULL{blank}"
            )
        )
    for f, fmt in rules.formats.items():
        check = _format_check(obj, f, fmt, rules.severity_of("format"))
        if check is not None:
            plan.add(check)
    for f, pattern in rules.patterns.items():
        plan.add(
            Check(obj, f, "pattern", rules.severity_of("pattern"), f"does not match the pattern {pattern}",
                  f"t.{f} IS NOT NULL", test=_regex_test(pattern))
        )  # fmt: skip
    for f, values in rules.allowed_values.items():
        keys = sorted({allowed_key(v) for v in values})
        where = f"t.{f} IS NOT NULL AND {_ALLOWED_KEY_SQL.format(f=f)} NOT IN ({', '.join('?' for _ in keys)})"
        message = f"not one of the allowed values: {', '.join(values)}"
        plan.add(Check(obj, f, "allowed_values", rules.severity_of("allowed_values"), message, where, tuple(keys)))
    if rules.stale_after_days:
        stamp = next((c for c in ("updated_at", "created_at") if c in table.column_names), None)
        if stamp is None:
            plan.notes.append(f"{obj}: stale_after_days skipped; the table has no updated_at or created_at")
            return
        ts = (
            "coalesce(t.updated_at, t.created_at)"
            if stamp == "updated_at" and "created_at" in table.column_names
            else f"t.{stamp}"
        )
        # a closed deal is done, not stale
        where = f"{ts} < ?" + (" AND NOT t.is_closed" if "is_closed" in table.column_names else "")
        days = rules.stale_after_days
        plan.add(
            Check(obj, stamp, "stale", rules.severity_of("stale"), f"not updated in {days} days", where,
                  (as_of - timedelta(days=days),), value=f"CAST(CAST({ts} AS DATE) AS VARCHAR)")
        )  # fmt: skip


def _reference_checks(plan: Plan, obj: str, rules: ObjectRules) -> None:
    for col in TABLES[obj].all_columns:
        if col.ref:
            where = f"t.{col.name} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {col.ref} AS r WHERE r.id = t.{col.name})"
            message = f"points at a {col.ref} record that does not exist; fix or clear the reference"
            plan.add(Check(obj, col.name, "reference", rules.severity_of("reference"), message, where))


def _lifecycle_checks(plan: Plan, spec: Spec, objects: set[str]) -> None:
    """The lifecycle's consistency: a customer has won a deal, an open deal has a qualified (SQL) person."""
    stages = {s.id: s for s in spec.lifecycle.stages}
    rules = spec.data_rules.objects
    customer, sql = stages.get("customer"), stages.get("sql")
    if "accounts" in objects and customer is not None:
        names = sorted({customer.id.lower(), customer.name.lower()})
        marks = ", ".join("?" for _ in names)
        where = (
            f"(lower(t.type) IN ({marks}) OR lower(t.lifecycle_stage) IN ({marks})) AND NOT EXISTS "
            "(SELECT 1 FROM opportunities AS o WHERE o.account_id = t.id AND o.is_won)"
        )
        sev = rules.get("accounts", ObjectRules()).severity_of("lifecycle")
        message = f"a {customer.name} without a won opportunity; record the deal that won it, or correct the type"
        plan.add(Check("accounts", "type", "lifecycle", sev, message, where, (*names, *names),
                       value="CAST(coalesce(t.type, t.lifecycle_stage) AS VARCHAR)"))  # fmt: skip
    if "opportunities" in objects and sql is not None:
        where = (
            "NOT t.is_closed AND NOT EXISTS (SELECT 1 FROM contacts AS c WHERE c.sql_at IS NOT NULL "
            "AND (c.account_id = t.account_id OR c.id = t.contact_id))"
        )
        sev = rules.get("opportunities", ObjectRules()).severity_of("lifecycle")
        message = f"an open opportunity, but no person on its account reached {sql.name}; qualify the contact first"
        plan.add(Check("opportunities", "stage", "lifecycle", sev, message, where))
    if ("accounts" in objects and customer is None) or ("opportunities" in objects and sql is None):
        plan.notes.append("lifecycle consistency needs the lifecycle stages 'customer' and 'sql'; skipped where absent")


def plan_checks(spec: Spec, objects: list[str] | None, as_of: datetime) -> Plan:
    """Every check the spec's data rules and the schema's references call for, on ``objects`` (default all).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from revframe.framework import load_spec_text, default_spec_text
        >>> plan = plan_checks(load_spec_text(default_spec_text()), ["accounts"], datetime(2026, 9, 30, tzinfo=UTC))
        >>> sorted({c.rule for c in plan.checks})
        ['allowed_values', 'format', 'lifecycle', 'reference', 'required', 'stale']
    """
    scanned = set(objects or DATA_TABLES)
    plan = Plan()
    for obj in DATA_TABLES:
        if obj not in scanned:
            continue
        rules = spec.data_rules.objects.get(obj, ObjectRules())
        _object_checks(plan, obj, rules, as_of)
        _reference_checks(plan, obj, rules)
    for conv in spec.data_rules.naming_conventions:
        if conv.applies_to == "property_names":
            plan.notes.append(f"naming convention '{conv.id}': CRM property names are not in the store; skipped")
            continue
        if conv.applies_to == "stage_names":
            continue  # the spec's own names: see stage_name_findings
        obj, _, f = conv.applies_to.partition(".")
        if obj in scanned:
            message = f"breaks naming convention '{conv.id}'; e.g. {conv.example}"
            plan.add(
                Check(obj, f, "naming", conv.severity, message, f"t.{f} IS NOT NULL", test=_regex_test(conv.pattern))
            )
    _lifecycle_checks(plan, spec, scanned)
    return plan


def stage_name_findings(spec: Spec) -> list[tuple[str, str, Severity, str]]:
    """Stage names of the spec that break a ``stage_names`` convention: (where, name, severity, message)."""
    found = []
    for conv in spec.data_rules.naming_conventions:
        if conv.applies_to != "stage_names":
            continue
        named: list[tuple[str, list[Any]]] = [
            ("lifecycle.stages", spec.lifecycle.stages),
            ("pipeline.stages", spec.pipeline.stages),
        ]
        for where, stages in named:
            for s in stages:
                if not re.fullmatch(conv.pattern, s.name):
                    found.append(
                        (where, s.name, conv.severity, f"breaks naming convention '{conv.id}'; e.g. {conv.example}")
                    )
    return found
