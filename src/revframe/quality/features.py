"""Match features: the normalized columns duplicate detection compares, built once per run.

Records are read from the store (any engine) as Arrow and prepared in an in-process DuckDB, where
splink then runs. What revframe adds over comparing raw columns:

- people's names folded (case, accents, spacing) with nickname groups (Bob = Robert, from the
  curated ``nicknames`` data set) and a sorted-name key so that swapped first/last names meet;
- emails split into a plus-tag-free local part (dots ignored for Gmail) and a registered domain;
- phones reduced to their last 9 digits, so ``+44 113 683 1195`` meets ``0113 6831195``;
- company names reduced to the key lead-to-account matching uses (:func:`revframe.quality.names.name_key`:
  legal form gone, Inc., GmbH, Pvt. Ltd., 株式会社 ...); for a person the company is the account's
  name when the person has an account.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa

from revframe.quality.names import name_key
from revframe.store import Store

GMAIL = ("gmail.com", "googlemail.com")

CONTACT_SQL = """
SELECT c.id, c.source_system, c.external_id, c.record_type, c.first_name, c.last_name, c.email,
       c.email_domain, c.phone, c.mobile_phone, c.title, c.company, a.name AS account_name,
       c.account_id, c.country, c.city
FROM contacts AS c LEFT JOIN accounts AS a ON a.id = c.account_id
WHERE c.converted_contact_id IS NULL
"""
ACCOUNT_SQL = """
SELECT id, source_system, external_id, name, domain, website, phone, country, city, industry,
       CAST(employees AS DOUBLE) AS employees, CAST(annual_revenue AS DOUBLE) AS annual_revenue
FROM accounts
"""


@lru_cache(maxsize=1)
def _nicknamer() -> Any:
    from nicknames import NickNamer

    return NickNamer()


def name_keys(first: str) -> list[str]:
    """A first name and the canonical names it is a nickname of (``vicky`` → victoria, vicki, vic)."""
    if not first.isascii():
        return [first]
    return sorted({first} | {c.lower() for c in _nicknamer().canonicals_of(first)})


def _mapping(
    con: duckdb.DuckDBPyConnection, name: str, pairs: Iterable[tuple[str, Any]], value_type: pa.DataType
) -> None:
    keys, values = zip(*pairs, strict=True) if pairs else ((), ())
    table = pa.table({"k": pa.array(list(keys), pa.string()), "v": pa.array(list(values), value_type)})
    con.register(f"_{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_arrow")
    con.unregister(f"_{name}_arrow")


def load_records(store: Store, con: duckdb.DuckDBPyConnection, object_name: str) -> int:
    """Read the object's records from the store into ``raw`` in ``con``; returns the count."""
    sql = CONTACT_SQL if object_name == "contacts" else ACCOUNT_SQL
    table = store.query_arrow(sql)
    con.register("_raw_arrow", table)
    # engines type an all-null column as they like: give every column its one type here
    cols = ", ".join(
        f"CAST({c} AS {'DOUBLE' if c in ('employees', 'annual_revenue') else 'VARCHAR'}) AS {c}"
        for c in table.column_names
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT {cols} FROM _raw_arrow")
    con.unregister("_raw_arrow")
    row = con.execute("SELECT count(*) FROM raw").fetchone()
    return int(row[0]) if row else 0


def _distinct(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [r[0] for r in con.execute(sql).fetchall() if r[0] is not None]


def build_features(con: duckdb.DuckDBPyConnection, object_name: str, free_email: Iterable[str]) -> None:
    """Turn ``raw`` into ``features`` (one row per record, ``unique_id`` first) in ``con``."""
    if object_name == "contacts":
        _contact_features(con, free_email)
    else:
        _account_features(con)


def _company_map(con: duckdb.DuckDBPyConnection, column_sql: str) -> None:
    names = _distinct(con, f"SELECT DISTINCT {column_sql} FROM raw")
    _mapping(con, "company_keys", [(n, name_key(n) or None) for n in names], pa.string())


def _contact_features(con: duckdb.DuckDBPyConnection, free_email: Iterable[str]) -> None:
    _company_map(con, "coalesce(account_name, company)")
    firsts = _distinct(con, "SELECT DISTINCT lower(strip_accents(trim(first_name))) FROM raw")
    _mapping(con, "first_keys", [(f, name_keys(f)) for f in firsts], pa.list_(pa.string()))
    _mapping(con, "free_domains", [(d, True) for d in free_email], pa.bool_())
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE features AS
        WITH base AS (
            SELECT r.* REPLACE (coalesce(r.email_domain, nullif(split_part(lower(trim(r.email)), '@', 2), ''))
                                AS email_domain),
                   nullif(lower(strip_accents(trim(first_name))), '') AS fn,
                   nullif(lower(strip_accents(trim(last_name))), '') AS ln,
                   nullif(lower(trim(email)), '') AS email_n,
                   nullif(right(regexp_replace(coalesce(phone, mobile_phone, ''), '[^0-9]', '', 'g'), 9), '')
                       AS phone_digits,
                   nullif(lower(strip_accents(trim(city))), '') AS city_n,
                   nullif(lower(trim(title)), '') AS title_n,
                   k.v AS company_key
            FROM raw AS r LEFT JOIN company_keys AS k ON k.k = coalesce(r.account_name, r.company)
        )
        , mailbox AS (
        SELECT id AS unique_id, source_system, external_id, record_type, fn, ln,
               coalesce(f.v, CASE WHEN fn IS NULL THEN NULL ELSE [fn] END) AS fn_keys,
               CASE WHEN fn IS NULL OR ln IS NULL THEN NULL
                    WHEN fn < ln THEN fn || ' ' || ln ELSE ln || ' ' || fn END AS name_sorted,
               email_n,
               CASE WHEN email_n IS NULL OR NOT contains(email_n, '@') THEN NULL
                    WHEN split_part(email_n, '@', 2) IN {GMAIL!r}
                        THEN replace(regexp_replace(split_part(email_n, '@', 1), '\\+.*$', ''), '.', '')
                    ELSE regexp_replace(split_part(email_n, '@', 1), '\\+.*$', '') END AS email_local,
               base.email_domain,
               CASE WHEN fd.v IS NULL THEN base.email_domain END AS work_domain,
               CASE WHEN length(phone_digits) >= 7 THEN phone_digits END AS phone_digits,
               company_key, city_n, country, title_n
        FROM base LEFT JOIN first_keys AS f ON f.k = base.fn
                  LEFT JOIN free_domains AS fd ON fd.k = base.email_domain
        )
        SELECT *, CASE WHEN email_local <> '' AND email_domain IS NOT NULL
                       THEN email_local || '@' || email_domain END AS email_key
        FROM mailbox
        """
    )


def _account_features(con: duckdb.DuckDBPyConnection) -> None:
    _company_map(con, "name")
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE features AS
        SELECT r.id AS unique_id, r.source_system, r.external_id, NULL::VARCHAR AS record_type,
               k.v AS name_key,
               nullif(left(k.v, 4), '') AS name_prefix,
               nullif(lower(trim(r.domain)), '') AS domain,
               nullif(regexp_replace(regexp_replace(lower(trim(r.website)), '^[a-z]+://', ''), '^www\\.|/.*$', '', 'g'),
                      '') AS website_host,
               CASE WHEN length(regexp_replace(coalesce(r.phone, ''), '[^0-9]', '', 'g')) >= 7
                    THEN right(regexp_replace(r.phone, '[^0-9]', '', 'g'), 9) END AS phone_digits,
               nullif(lower(strip_accents(trim(r.city))), '') AS city_n,
               r.country,
               nullif(lower(trim(r.industry)), '') AS industry_n,
               r.employees, r.annual_revenue
        FROM raw AS r LEFT JOIN company_keys AS k ON k.k = r.name
        """
    )
