"""What duplicate detection compares, from the spec: fields and methods as splink comparisons, keys,
blocking, and the rules no score overrides.

Pair SQL is written over ``l.`` and ``r.`` (the two records of a pair) on the feature columns of
:mod:`revframe.quality.features`; splink's ``col_l``/``col_r`` naming is applied when handed over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from revframe.errors import UsageError
from revframe.framework import Spec
from revframe.framework.dedup import ObjectDedup

# Comparison levels: (label, SQL over l./r.), strongest first; the null level comes from `null`.
Level = tuple[str, str]


@dataclass(frozen=True)
class Compare:
    """One splink comparison: its output name, the null condition and the levels (the last is 'else')."""

    name: str
    null: str
    levels: tuple[Level, ...]

    def splink(self, backend: str = "duckdb") -> Any:
        """The comparison for splink, its SQL in the backend's dialect."""
        import splink.comparison_level_library as cll
        from splink.comparison_library import CustomComparison

        def sql_for(sql: str) -> str:
            return in_dialect(_sides(sql), backend)

        priors = [PRIOR_M.get(label, 0.02) for label, _sql in self.levels]
        levels: list[Any] = [cll.CustomLevel(sql_for(self.null), label_for_charts="null").configure(is_null_level=True)]
        levels += [
            cll.CustomLevel(sql_for(sql), label_for_charts=label).configure(m_probability=m)
            for (label, sql), m in zip(self.levels, priors, strict=True)
        ]
        levels.append(cll.ElseLevel().configure(m_probability=max(0.01, 1 - sum(priors))))
        return CustomComparison(comparison_levels=levels, output_column_name=self.name)

    def labels(self) -> dict[int, str]:
        """gamma value → level label (splink numbers levels from the strongest down to 0 = else)."""
        n = len(self.levels)
        return {-1: "null", 0: "different", **{n - i: label for i, (label, _) in enumerate(self.levels)}}


# Prior m-probabilities (how often a true duplicate pair shows each level): where EM starts, and
# the model itself when there are too few records to learn from (``SMALL``).
PRIOR_M = {
    "exact": 0.8,
    "swapped": 0.02,
    "nickname": 0.02,
    "same mailbox": 0.05,
    "very similar": 0.08,
    "similar": 0.05,
    "one edit": 0.08,
    "two edits": 0.04,
    "within 10%": 0.08,
    "within 25%": 0.04,
    "same last name": 0.05,
}
SMALL = 2_000  # distinct records: below this, EM would overfit; the priors stand and only u is learned


# DuckDB functions revframe's pair SQL uses → their Spark names (Spark's from splink's similarity jar).
SPARK_FUNCTIONS = {
    "jaro_winkler_similarity(": "jaro_winkler(",
    "list_has_any(": "arrays_overlap(",
    "jaccard(": "jaccard(",
    "levenshtein(": "levenshtein(",
}


def in_dialect(sql: str, backend: str) -> str:
    """Pair SQL (written for DuckDB) for the backend that runs splink."""
    if backend == "spark":
        for duck, spark in SPARK_FUNCTIONS.items():
            sql = sql.replace(duck, spark)
    return sql


def _sides(sql: str) -> str:
    """``l.col``/``r.col`` (how revframe writes pair SQL) → ``col_l``/``col_r`` (how splink names them)."""
    return re.sub(r"\b([lr])\.(\w+)", r"\2_\1", sql)


def _null(*cols: str) -> str:
    return " OR ".join(f"{side}.{c} IS NULL" for c in cols for side in ("l", "r"))


def _levels(method: str, col: str) -> tuple[Level, ...]:
    """The similarity levels of a spec method on a feature column, strongest first."""
    exact: Level = ("exact", f"l.{col} = r.{col}")
    if method == "jaro_winkler":
        sim = f"jaro_winkler_similarity(l.{col}, r.{col})"
        return exact, ("very similar", f"{sim} >= 0.92"), ("similar", f"{sim} >= 0.8")
    if method == "levenshtein":
        dist = f"levenshtein(l.{col}, r.{col})"
        return exact, ("one edit", f"{dist} <= 1"), ("two edits", f"{dist} <= 2")
    if method == "jaccard":
        sim = f"jaccard(l.{col}, r.{col})"
        return exact, ("very similar", f"{sim} >= 0.9"), ("similar", f"{sim} >= 0.7")
    if method == "numeric":
        gap = f"abs(l.{col} - r.{col}) / greatest(abs(l.{col}), abs(r.{col}), 1e-9)"
        return exact, ("within 10%", f"{gap} <= 0.1"), ("within 25%", f"{gap} <= 0.25")
    return (exact,)


def _person_name(method: str) -> Compare:
    """First and last name together: exact, swapped, nickname, both similar by ``method``, same last name."""
    similar = {
        "jaro_winkler": "jaro_winkler_similarity(l.fn, r.fn) >= 0.88 AND jaro_winkler_similarity(l.ln, r.ln) >= 0.88",
        "levenshtein": "levenshtein(l.fn, r.fn) <= 1 AND levenshtein(l.ln, r.ln) <= 1",
        "jaccard": "jaccard(l.fn, r.fn) >= 0.7 AND jaccard(l.ln, r.ln) >= 0.7",
    }.get(method)
    levels: list[Level] = [
        ("exact", "l.fn = r.fn AND l.ln = r.ln"),
        ("swapped", "l.fn = r.ln AND l.ln = r.fn"),
        ("nickname", "l.ln = r.ln AND list_has_any(l.fn_keys, r.fn_keys)"),
    ]
    if similar:
        levels.append(("similar", similar))
    levels.append(("same last name", "l.ln = r.ln"))
    return Compare("name", "(l.fn IS NULL AND l.ln IS NULL) OR (r.fn IS NULL AND r.ln IS NULL)", tuple(levels))


def _email(method: str) -> Compare:
    """The address, then the same mailbox (plus-tags and Gmail dots ignored), then the method's levels."""
    levels: list[Level] = [
        ("exact", "l.email_n = r.email_n"),
        ("same mailbox", "l.email_local = r.email_local AND l.email_domain = r.email_domain"),
    ]
    levels += [lvl for lvl in _levels(method, "email_n") if lvl[0] != "exact"]
    return Compare("email", _null("email_n"), tuple(levels))


# The feature column each comparable field becomes once normalized (see revframe.quality.features).
FEATURES: dict[str, dict[str, str]] = {
    "contacts": {
        "first_name": "fn",
        "last_name": "ln",
        "email": "email_n",
        "email_domain": "work_domain",
        "phone": "phone_digits",
        "mobile_phone": "phone_digits",
        "company": "company_key",
        "city": "city_n",
        "country": "country",
        "title": "title_n",
    },
    "accounts": {
        "name": "name_key",
        "domain": "domain",
        "website": "website_host",
        "phone": "phone_digits",
        "city": "city_n",
        "country": "country",
        "industry": "industry_n",
        "employees": "employees",
        "annual_revenue": "annual_revenue",
    },
}
NUMERIC = {"employees", "annual_revenue"}


def comparison(object_name: str, field_name: str, method: str) -> Compare:
    if object_name == "contacts" and field_name in ("first_name", "last_name"):
        return _person_name(method)
    if object_name == "contacts" and field_name == "email":
        return _email(method)
    if (method == "numeric") != (field_name in NUMERIC):
        raise UsageError(
            f"revframe.yaml: dedup.objects.{object_name}.comparisons: field '{field_name}' with method '{method}': "
            f"numeric is for {' and '.join(sorted(NUMERIC))}, the text methods for the other fields"
        )
    col = FEATURES[object_name][field_name]
    name = "phone" if col == "phone_digits" else field_name
    return Compare(name, _null(col), _levels(method, col))


# Pairs the model may never match, whatever it scores: records that say they are different.
DISTINCT: dict[str, str] = {
    # one company gives two mailboxes to two people: same name, same work domain, other mailbox
    "contacts": "l.work_domain = r.work_domain AND l.email_local <> r.email_local AND l.fn = r.fn AND l.ln = r.ln",
    # two companies with their own registered domains are two companies
    "accounts": "l.domain <> r.domain",
}
# A record identified enough that an identical copy is the same person or company.
IDENTIFIED = {
    "contacts": "(email_key IS NOT NULL OR phone_digits IS NOT NULL OR (ln IS NOT NULL AND company_key IS NOT NULL))",
    "accounts": "(domain IS NOT NULL OR (name_key IS NOT NULL AND coalesce(city_n, country, phone_digits) <> ''))",
}
# Blocking: only pairs that share one of these are compared. Each is a hash join: near-linear.
BLOCKING: dict[str, list[list[str]]] = {
    "contacts": [
        ["email_key"],
        ["company_key", "ln"],
        ["company_key", "fn"],
        ["phone_digits"],
        ["name_sorted", "city_n"],
        ["email_local", "ln"],
    ],
    "accounts": [["domain"], ["name_key", "country"], ["website_host"], ["phone_digits"], ["name_prefix", "city_n"]],
}
# Passes of expectation maximisation: each fixes the fields it blocks on and trains the others.
TRAINING: dict[str, list[list[str]]] = {
    "contacts": [["email_key"], ["company_key", "ln"]],
    "accounts": [["domain"], ["name_key", "country"]],
}


def object_config(spec: Spec, object_name: str) -> ObjectDedup:
    """The spec's dedup rules for the object, or a clear error naming what to add."""
    config = spec.dedup.objects.get(object_name) if spec.dedup else None
    if config is None:
        raise UsageError(
            f"revframe.yaml: dedup.objects has no '{object_name}'; add its match keys, comparisons and thresholds "
            "(see the default template: revframe init)"
        )
    return config


def comparisons_for(spec: Spec, object_name: str) -> list[Compare]:
    """The spec's comparison fields for the object, as splink comparisons (one per distinct meaning)."""
    config = object_config(spec, object_name)
    known = FEATURES[object_name]
    out: list[Compare] = []
    for comp in config.comparisons:
        if comp.field not in known:
            raise UsageError(
                f"revframe.yaml: dedup.objects.{object_name}.comparisons: field '{comp.field}' cannot be compared; "
                f"use one of {', '.join(sorted(known))}"
            )
        c = comparison(object_name, comp.field, comp.method)
        if all(c.name != o.name for o in out):  # first_name and last_name are one comparison
            out.append(c)
    if not out:
        raise UsageError(f"revframe.yaml: dedup.objects.{object_name}.comparisons is empty; list the fields to compare")
    return out


def match_key_columns(spec: Spec, object_name: str) -> list[tuple[str, list[str]]]:
    """The spec's deterministic keys as feature columns: [(key id, [columns])]."""
    cols = {f: c for f, c in FEATURES[object_name].items() if f not in NUMERIC}
    if object_name == "contacts":
        cols["email"] = "email_key"  # a normalized email is the mailbox: plus-tags and Gmail dots dropped
    keys = []
    for key in object_config(spec, object_name).match_keys:
        missing = [f for f in key.fields if f not in cols]
        if missing:
            raise UsageError(
                f"revframe.yaml: dedup.objects.{object_name}.match_keys '{key.id}': field '{missing[0]}' "
                f"cannot be a key; use {', '.join(sorted(cols))}"
            )
        keys.append((key.id, [cols[f] for f in key.fields]))
    return keys
