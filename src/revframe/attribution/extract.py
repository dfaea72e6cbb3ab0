"""Journeys from the store: one SQL query per conversion event, rendered for DuckDB, PostgreSQL or Spark.

Touches: touchpoints of the spec's ``touch_types`` (all when empty), of a person (a converted lead's
touches are its contact's), channel from the touch, else its campaign, else ``(no channel)``. A touch
on the same campaign and type as the person's previous one within ``dedupe_hours`` is dropped.
A conversion's journey is the touches of its person (or, for opportunity events with ``buying_group``,
of every contact at the account) from ``lookback_days`` before it up to it. Non-converting people
(accounts) give Markov its null paths: their touches in the lookback window before their last touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from revframe.attribution.journeys import FloatArray, Journeys
from revframe.errors import UsageError
from revframe.metrics.filters import literal

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.attribution import Attribution
    from revframe.store import Store

NO_CHANNEL = "(no channel)"
PERSON_EVENTS = ("lead_created", "mql", "sql")
US_PER_DAY = 86_400_000_000


@dataclass
class Extracted:
    """Journeys of one conversion event, and what did not make a journey."""

    journeys: Journeys | None
    conversions: int
    unattributed: int
    unattributed_revenue: float
    campaign_names: dict[str, str]
    first_win: np.ndarray
    sql: str
    unattributed_ids: dict[str, float] = field(default_factory=dict)
    """Conversions without an eligible touch: id -> won revenue."""


def settings(spec: Spec) -> Attribution:
    """The spec's attribution section; its defaults when the spec has none (docs/attribution.md)."""
    from revframe.framework.attribution import Attribution

    return spec.attribution or Attribution()


def _conversions(event: str, level: str) -> str:
    person = "coalesce(c.converted_contact_id, c.id)"
    if event == "lead_created":
        return (
            f"SELECT c.id AS conversion_id, {person} AS journey_key, c.created_at AS at, "
            "CAST(NULL AS DOUBLE) AS amount, CAST(NULL AS VARCHAR) AS currency, CAST(NULL AS DATE) AS day, "
            "FALSE AS won, c.created_at AS lead_at, CAST(NULL AS TIMESTAMPTZ) AS opp_at, FALSE AS first_win "
            "FROM contacts AS c WHERE c.created_at IS NOT NULL AND c.id NOT IN "
            "(SELECT x.converted_contact_id FROM contacts AS x WHERE x.converted_contact_id IS NOT NULL)"
        )
    if event in ("mql", "sql"):
        return (
            f"SELECT {person} AS conversion_id, {person} AS journey_key, min(c.{event}_at) AS at, "
            "CAST(NULL AS DOUBLE) AS amount, CAST(NULL AS VARCHAR) AS currency, CAST(NULL AS DATE) AS day, "
            "FALSE AS won, min(c.created_at) AS lead_at, CAST(NULL AS TIMESTAMPTZ) AS opp_at, FALSE AS first_win "
            f"FROM contacts AS c WHERE c.{event}_at IS NOT NULL GROUP BY {person}"
        )
    key = "o.account_id" if level == "account" else "coalesce(pc.converted_contact_id, o.contact_id)"
    at = "o.created_at" if event == "opportunity_created" else "CAST(o.close_date AS TIMESTAMPTZ) + INTERVAL 1 DAY"
    where = "o.created_at IS NOT NULL" if event == "opportunity_created" else "o.is_won AND o.close_date IS NOT NULL"
    return (
        f"SELECT o.id AS conversion_id, {key} AS journey_key, {at} AS at, CAST(o.amount AS DOUBLE) AS amount, "
        "upper(o.currency) AS currency, coalesce(o.close_date, CAST(o.created_at AS DATE)) AS day, "
        "coalesce(o.is_won, FALSE) AS won, lc.lead_at, o.created_at AS opp_at, "
        "coalesce(o.is_won, FALSE) AND row_number() OVER (PARTITION BY o.account_id, coalesce(o.is_won, FALSE) "
        "ORDER BY o.close_date, o.id) = 1 AS first_win "
        "FROM opportunities AS o LEFT JOIN contacts AS pc ON pc.id = o.contact_id "
        "LEFT JOIN (SELECT coalesce(c.converted_contact_id, c.id) AS person_id, min(c.created_at) AS lead_at "
        "FROM contacts AS c GROUP BY 1) AS lc ON lc.person_id = coalesce(pc.converted_contact_id, o.contact_id) "
        f"WHERE {where}"
    )


def journey_sql(spec: Attribution, event: str, level: str) -> str:
    """The query whose rows are every conversion's touches (a conversion without touches: one empty row)."""
    types = ", ".join(literal(t) for t in spec.touch_types)
    type_filter = f" AND t.type IN ({types})" if types else ""
    key = "account_id" if level == "account" else "person_id"
    secs = int(round(spec.dedupe_hours * 3600))
    return (
        "WITH person AS (SELECT c.id AS record_id, coalesce(c.converted_contact_id, c.id) AS person_id "
        "FROM contacts AS c), "
        "tp AS (SELECT t.id AS touch_id, p.person_id, t.campaign_id, "
        f"coalesce(nullif(trim(t.channel), ''), nullif(trim(cp.channel), ''), {literal(NO_CHANNEL)}) AS channel, "
        "t.occurred_at, lag(t.occurred_at) OVER (PARTITION BY p.person_id, t.campaign_id, t.type "
        "ORDER BY t.occurred_at, t.id) AS prev_at "
        "FROM touchpoints AS t JOIN person AS p ON p.record_id = t.contact_id "
        f"LEFT JOIN campaigns AS cp ON cp.id = t.campaign_id WHERE t.occurred_at IS NOT NULL{type_filter}), "
        "touch AS (SELECT tp.touch_id, tp.person_id, pc.account_id, tp.campaign_id, tp.channel, tp.occurred_at "
        "FROM tp LEFT JOIN contacts AS pc ON pc.id = tp.person_id "
        f"WHERE tp.prev_at IS NULL OR tp.occurred_at > tp.prev_at + INTERVAL '{secs}' SECOND), "
        f"conv AS ({_conversions(event, level)}) "
        "SELECT cv.conversion_id, cv.journey_key, cv.at, cv.amount, cv.currency, cv.day, cv.won, cv.lead_at, "
        "cv.opp_at, cv.first_win, t.touch_id, t.channel, t.campaign_id, t.occurred_at, 1 AS converted "
        f"FROM conv AS cv LEFT JOIN touch AS t ON t.{key} = cv.journey_key AND t.occurred_at <= cv.at "
        f"AND t.occurred_at >= cv.at - INTERVAL {spec.lookback_days} DAY "
        "UNION ALL "
        "SELECT n.journey_key, n.journey_key, n.last_at, NULL, NULL, NULL, FALSE, NULL, NULL, FALSE, n.touch_id, "
        "n.channel, n.campaign_id, n.occurred_at, 0 "
        f"FROM (SELECT t.{key} AS journey_key, t.touch_id, t.channel, t.campaign_id, t.occurred_at, "
        f"max(t.occurred_at) OVER (PARTITION BY t.{key}) AS last_at FROM touch AS t WHERE t.{key} IS NOT NULL "
        f"AND t.{key} NOT IN (SELECT journey_key FROM conv WHERE journey_key IS NOT NULL)) AS n "
        f"WHERE n.occurred_at >= n.last_at - INTERVAL {spec.lookback_days} DAY "
        "ORDER BY 15 DESC, 1, 14, 11"
    )


def extract_journeys(store: Store, spec: Spec, event: str, level: str) -> Extracted:
    """Read the journeys of ``event`` from the store; amounts in the company currency.

    Raises:
        UsageError: the event is not one of the spec's attribution conversions.
    """
    attr = settings(spec)
    if event not in attr.conversions:
        raise UsageError(f"--conversion {event}: not in the spec's attribution.conversions "
                         f"({', '.join(attr.conversions)}); add it there or pick one of those")  # fmt: skip
    if event in PERSON_EVENTS:
        level = "contact"
    sql = journey_sql(attr, event, level)
    t = store.query_arrow(sql)
    names = {r[0]: r[1] or r[0] for r in store.query("SELECT id, name FROM campaigns")}
    notes: list[str] = []
    if t.num_rows == 0:
        return Extracted(None, 0, 0, 0.0, names, np.zeros(0, dtype=bool), sql)
    conv_id = _obj(t, "conversion_id")
    converted = _num(t, "converted") > 0
    touch = _obj(t, "touch_id")
    has_touch = np.array([x is not None for x in touch])
    start = np.r_[True, (conv_id[1:] != conv_id[:-1]) | (converted[1:] != converted[:-1])]
    amount = _num(t, "amount")
    won = _obj(t, "won").astype(bool) & converted & start
    day = t.column("day").to_pylist()
    wr = np.flatnonzero(won)
    value_all = np.zeros(t.num_rows)
    missing_amount = int(np.sum(np.isnan(amount[wr])))
    if missing_amount:
        notes.append(f"{missing_amount} won opportunities have no amount: they count as conversions and add no revenue")
    value_all[wr] = np.nan_to_num(
        _company_amount(store, spec, amount[wr], _obj(t, "currency")[wr], [day[i] for i in wr], notes)
    )
    empty = start & ~has_touch
    n_conv = int(np.sum(start & converted))
    unattributed = int(np.sum(empty & converted))
    unattributed_rev = float(value_all[empty & converted].sum())
    lost = np.flatnonzero(empty & converted)
    lost_ids = {str(conv_id[i]): float(value_all[i]) for i in lost}
    if unattributed:
        notes.append(f"{unattributed} of {n_conv} conversions have no eligible touch in the {attr.lookback_days}-day "
                     f"lookback: not credited to any channel (shown as unattributed)")  # fmt: skip
    keep = has_touch
    if not keep.any():
        return Extracted(None, n_conv, unattributed, unattributed_rev, names, np.zeros(0, dtype=bool), sql, lost_ids)
    rows = np.flatnonzero(keep)
    jstart = np.flatnonzero(start[rows] | np.r_[True, np.zeros(rows.shape[0] - 1, dtype=bool)])
    offsets = np.r_[jstart, rows.shape[0]].astype(np.int64)
    head = rows[jstart]
    channel_names, channel = np.unique(_obj(t, "channel")[rows].astype(str), return_inverse=True)
    occurred = _micros(t, "occurred_at")[rows]
    at = _micros(t, "at")
    jt = np.repeat(np.arange(jstart.shape[0]), np.diff(offsets))
    days_before = (at[head][jt] - occurred) / US_PER_DAY
    lead_idx = _milestone(_micros(t, "lead_at")[head], occurred, jt, offsets)
    opp_idx = _milestone(_micros(t, "opp_at")[head], occurred, jt, offsets)
    conv = converted[head].astype(np.float64)
    j = Journeys(
        channels=[str(c) for c in channel_names], offsets=offsets, channel=channel.astype(np.int64),
        conversions=conv, value=value_all[head], nulls=1.0 - conv, days_before=days_before.astype(np.float64),
        lead_idx=lead_idx, opp_idx=opp_idx, conversion_id=conv_id[head], journey_key=_obj(t, "journey_key")[head],
        touch_id=touch[rows], campaign_id=_obj(t, "campaign_id")[rows], notes=notes,
    )  # fmt: skip
    first_win = _obj(t, "first_win")[head].astype(bool)
    return Extracted(j, n_conv, unattributed, unattributed_rev, names, first_win, sql, lost_ids)


def _milestone(when: np.ndarray, occurred: np.ndarray, jt: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per journey, the position of its last touch at or before ``when`` (the first touch if none; -1 unknown)."""
    known = when != np.iinfo(np.int64).min
    before = np.bincount(jt, weights=(occurred <= when[jt]).astype(np.float64), minlength=known.shape[0])
    return np.where(known, np.maximum(before.astype(np.int64) - 1, 0), -1)


def _obj(t: pa.Table, name: str) -> np.ndarray:
    return np.array(t.column(name).to_pylist(), dtype=object)


def _num(t: pa.Table, name: str) -> FloatArray:
    col = t.column(name)
    if pa.types.is_null(col.type):
        return np.full(t.num_rows, np.nan)
    return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _micros(t: pa.Table, name: str) -> np.ndarray:
    """Microseconds since the epoch (UTC); int64 min for empty."""
    col = t.column(name)
    if pa.types.is_null(col.type):
        return np.full(t.num_rows, np.iinfo(np.int64).min)
    if pa.types.is_timestamp(col.type):
        col = col.cast(pa.timestamp("us", tz=col.type.tz)).cast(pa.int64())
        return np.asarray(col.fill_null(np.iinfo(np.int64).min).to_numpy(), dtype=np.int64)
    vals = [_to_micros(v) for v in col.to_pylist()]
    return np.array(vals, dtype=np.int64)


def _to_micros(v: Any) -> int:
    if v is None:
        return int(np.iinfo(np.int64).min)
    if isinstance(v, datetime):
        v = v if v.tzinfo else v.replace(tzinfo=UTC)
        return int(v.timestamp() * 1_000_000)
    raise TypeError(f"not a timestamp: {v!r}")


def _company_amount(
    store: Store, spec: Spec, amount: FloatArray, currency: np.ndarray, days: list[Any], notes: list[str]
) -> FloatArray:
    """Amounts in the company currency by the dated rate; NaN (and a note) where no rate applies."""
    return to_company(store, spec.company.currency, amount, currency, days, notes, "won opportunities")


def to_company(
    store: Store, company: str, amount: FloatArray, currency: np.ndarray, days: list[Any], notes: list[str], what: str
) -> FloatArray:
    """Convert ``amount`` (per row: currency, day) with ``exchange_rates``; a currency without a rate gives NaN."""
    cur = company.upper()
    rates: dict[str, tuple[list[date], list[float]]] = {}
    for code, rate, since in store.query(
        "SELECT upper(currency), rate, valid_from FROM exchange_rates WHERE rate > 0 ORDER BY 1, 3"
    ):
        d, r = rates.setdefault(code, ([], []))
        d.append(since or date.min)
        r.append(float(rate))
    out = np.array(amount, dtype=np.float64)
    unknown: dict[str, int] = {}
    for i, (code, day) in enumerate(zip(currency, days, strict=True)):
        if np.isnan(out[i]) or code is None or str(code).upper() == cur:
            continue
        code = str(code).upper()
        if code not in rates:
            unknown[code] = unknown.get(code, 0) + 1
            out[i] = np.nan
            continue
        ds, rs = rates[code]
        k = max(0, int(np.searchsorted(np.array(ds, dtype="datetime64[D]"), np.datetime64(day or ds[0]), "right")) - 1)
        out[i] = out[i] / rs[k]
    for code, n in sorted(unknown.items()):
        notes.append(f"{n} {what} in {code} have no exchange rate to {cur}: no revenue credited for them; "
                     "load rates into exchange_rates")  # fmt: skip
    return out
