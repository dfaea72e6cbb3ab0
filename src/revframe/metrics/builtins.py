"""The built-in metric library: the metrics the guides name, one query each (see :mod:`revframe.metrics.sql`).

Each function returns the metric's SQL for a run's periods and dimensions. The metric's ``filters``
from the spec apply to its grain's rows on top of what the definition below says. Conventions:

- *Flow* metrics count the rows whose time falls in the period (bookings by close date).
- *Snapshot* metrics read a date of the period: ARR on its last day; customers on the day before it
  starts and on its last day. A subscription is active on day d when ``start_date <= d`` and its
  ``end_date`` (its last day) is empty or not before d.
- *Cohort* conversions follow the people who entered the first stage in the period, whenever they
  reached the next one (``ever``) and within the metric's ``within_days``.
- Amounts are in the company currency (:meth:`Ctx.converted`); rows without a rate are left out
  of sums and averages and reported in the run's notes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from revframe.metrics.filters import literal
from revframe.metrics.sql import Ctx, days_between, share

if TYPE_CHECKING:
    from revframe.framework.metrics import Metric

Builder = Callable[[Ctx, "Metric"], str]
BUILTINS: dict[str, Builder] = {}

OPP = {"t", "account_id", "owner_id", "lead_source", "stage", "type", "country"}
PERSON = {"t", "account_id", "owner_id", "lead_source", "country"}
ACCOUNT = {"account_id", "owner_id", "country"}
CUSTOMER_ON = "s.start_date <= {d} AND (s.end_date IS NULL OR s.end_date >= {d})"
"""A subscription row ``s`` is active on day ``{d}`` (its end date is its last day: a renewal starts the day after)."""


def builtin(name: str) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        BUILTINS[name] = fn
        return fn

    return add


# --- opportunities -------------------------------------------------------------------------------


def _opps(c: Ctx, m: Metric, where: str, t: str = "o.close_date", money: bool = True) -> str:
    """Opportunities passing the metric's filters and ``where``, with the account's country and (``money``)
    the amount converted to the company currency (``amount_c``)."""
    country, join = c.account_country("o.account_id")
    rows = f"({c.converted('opportunities', 'o0')})" if money else "opportunities"
    return f"SELECT o.*, {t} AS t, {country} AS country FROM {rows} AS o {join} WHERE ({where}) AND {c.filters(m, 'o')}"


@builtin("pipeline_value")
def pipeline_value(c: Ctx, m: Metric) -> str:
    return c.aggregate(m, _opps(c, m, "NOT COALESCE(o.is_closed, FALSE)"),
                       {"value": "sum(b.amount_c)"}, has=OPP, dated=True, ctes=[c.fx_cte()])  # fmt: skip


@builtin("bookings")
def bookings(c: Ctx, m: Metric) -> str:
    return c.aggregate(m, _opps(c, m, "o.is_won"), {"value": "sum(b.amount_c)"}, has=OPP, dated=True, ctes=[c.fx_cte()])


@builtin("win_rate")
def win_rate(c: Ctx, m: Metric) -> str:
    won = "sum(CASE WHEN b.is_won THEN 1 ELSE 0 END)"
    return c.aggregate(m, _opps(c, m, "o.is_closed", money=False), {"value": share(won, "count(*)"),
                       "numerator": won, "denominator": "count(*)"}, has=OPP, dated=True)  # fmt: skip


@builtin("win_rate_amount")
def win_rate_amount(c: Ctx, m: Metric) -> str:
    won = "sum(CASE WHEN b.is_won THEN b.amount_c ELSE 0 END)"
    return c.aggregate(m, _opps(c, m, "o.is_closed AND o.amount_c IS NOT NULL"),
                       {"value": share(won, "sum(b.amount_c)"), "numerator": won, "denominator": "sum(b.amount_c)"},
                       has=OPP, dated=True, ctes=[c.fx_cte()])  # fmt: skip


@builtin("avg_deal_size")
def avg_deal_size(c: Ctx, m: Metric) -> str:
    return c.aggregate(m, _opps(c, m, "o.is_won AND o.amount_c IS NOT NULL"),
                       {"value": "avg(b.amount_c)", "numerator": "sum(b.amount_c)", "denominator": "count(*)"},
                       has=OPP, dated=True, ctes=[c.fx_cte()])  # fmt: skip


@builtin("deal_cycle_length")
def deal_cycle_length(c: Ctx, m: Metric) -> str:
    days = days_between("b.created_at", "b.close_date")
    return c.aggregate(m, _opps(c, m, "o.is_won AND o.created_at IS NOT NULL", money=False),
                       {"value": f"avg({days})", "numerator": f"sum({days})", "denominator": "count(*)"},
                       has=OPP, dated=True)  # fmt: skip


@builtin("pipeline_coverage")
def pipeline_coverage(c: Ctx, m: Metric) -> str:
    """Open pipeline closing in the period over the bookings target scaled to the period (company-wide)."""
    target = c.spec.metric("bookings") if "bookings" in {x.id for x in c.spec.metrics} else None
    return c.aggregate(m, _opps(c, m, "NOT COALESCE(o.is_closed, FALSE)"),
                       {"value": "sum(b.amount_c) / NULLIF(max(p.target), 0)", "numerator": "sum(b.amount_c)",
                        "denominator": "max(p.target)"}, has=set(), dated=True, ctes=[c.fx_cte()],
                       target=target)  # fmt: skip


@builtin("marketing_sourced_revenue")
def marketing_sourced_revenue(c: Ctx, m: Metric) -> str:
    """Won amount of deals whose primary contact (or the lead it came from) touched a campaign before the deal."""
    # the primary contact and the leads converted into it (no correlated subquery: Spark allows them only
    # in simple forms; no OR in a join: it cannot be hashed)
    people = (
        "SELECT so.id, so.created_at, so.contact_id AS person FROM opportunities AS so UNION ALL "
        "SELECT so.id, so.created_at, pc.id FROM opportunities AS so JOIN contacts AS pc "
        "ON pc.converted_contact_id = so.contact_id"
    )
    sourced = (
        f"o.id IN (SELECT op.id FROM ({people}) AS op JOIN touchpoints AS tp ON tp.contact_id = op.person "
        "WHERE tp.campaign_id IS NOT NULL AND tp.occurred_at < op.created_at)"
    )
    return c.aggregate(m, _opps(c, m, f"o.is_won AND {sourced}"), {"value": "sum(b.amount_c)"}, has=OPP, dated=True,
                       ctes=[c.fx_cte()])  # fmt: skip


# --- subscriptions: ARR, retention, churn -------------------------------------------------------


def _arr_by_account(c: Ctx, m: Metric, *days: str) -> str:
    """Per period and account: ARR on each of ``days`` (columns of the spine ``p``), named arr_0, arr_1..."""
    cols = ", ".join(
        f"sum(CASE WHEN {CUSTOMER_ON.format(d=f'p.{d}')} THEN s.amount_c ELSE 0 END) AS arr_{i}"
        for i, d in enumerate(days)
    )
    active_any = " OR ".join(f"({CUSTOMER_ON.format(d=f'p.{d}')})" for d in days)
    # the metric's filters test its grain: the subscription rows, or (account metrics) the account
    on_account = m.grain == "accounts" and bool(m.filters)
    account = "JOIN accounts AS fa ON fa.id = s.account_id " if on_account else ""
    return (
        f"SELECT p.period_start, s.account_id, {cols}, "
        f"sum(CASE WHEN s.amount_c IS NULL THEN 1 ELSE 0 END) AS unpriced "
        f"FROM ({c.converted('subscriptions', 's0')}) AS s {account}JOIN {c.spine()} ON {active_any} "
        f"WHERE {c.filters(m, 'fa' if on_account else 's')} GROUP BY p.period_start, s.account_id"
    )


def _per_account(c: Ctx, m: Metric, days: tuple[str, ...], values: dict[str, str]) -> str:
    """Aggregate over accounts of :func:`_arr_by_account`, with the account's dimensions."""
    cols, join = c.account_columns("x.account_id", "owner_id", "country")
    base = f"SELECT x.*, {cols} FROM ({_arr_by_account(c, m, *days)}) AS x {join}"
    return c.aggregate(m, base, values, has=ACCOUNT, when="b.period_start = p.period_start", ctes=[c.fx_cte()])


@builtin("arr")
def arr(c: Ctx, m: Metric) -> str:
    return _per_account(
        c, m, ("last_day",), {"value": "sum(b.arr_0)", "n": "sum(CASE WHEN b.arr_0 > 0 THEN 1 ELSE 0 END)"}
    )


@builtin("revenue_per_account")
def revenue_per_account(c: Ctx, m: Metric) -> str:
    customers = "sum(CASE WHEN b.arr_0 > 0 THEN 1 ELSE 0 END)"
    return _per_account(c, m, ("last_day",), {"value": f"sum(b.arr_0) / NULLIF({customers}, 0)",
                        "numerator": "sum(b.arr_0)", "denominator": customers, "n": customers})  # fmt: skip


@builtin("net_revenue_retention")
def net_revenue_retention(c: Ctx, m: Metric) -> str:
    """ARR on the period's last day of the accounts that were customers a year before, over their ARR then."""
    then, now = "CASE WHEN b.arr_0 > 0 THEN b.arr_0 ELSE 0 END", "CASE WHEN b.arr_0 > 0 THEN b.arr_1 ELSE 0 END"
    return _per_account(c, m, ("year_ago", "last_day"), {"value": share(f"sum({now})", f"sum({then})"),
                        "numerator": f"sum({now})", "denominator": f"sum({then})",
                        "n": "sum(CASE WHEN b.arr_0 > 0 THEN 1 ELSE 0 END)"})  # fmt: skip


@builtin("gross_revenue_retention")
def gross_revenue_retention(c: Ctx, m: Metric) -> str:
    """Like net revenue retention, each account's ARR now capped at its ARR then (no expansion)."""
    then = "CASE WHEN b.arr_0 > 0 THEN b.arr_0 ELSE 0 END"
    now = "CASE WHEN b.arr_0 > 0 THEN least(b.arr_1, b.arr_0) ELSE 0 END"
    return _per_account(c, m, ("year_ago", "last_day"), {"value": share(f"sum({now})", f"sum({then})"),
                        "numerator": f"sum({now})", "denominator": f"sum({then})",
                        "n": "sum(CASE WHEN b.arr_0 > 0 THEN 1 ELSE 0 END)"})  # fmt: skip


@builtin("logo_churn")
def logo_churn(c: Ctx, m: Metric) -> str:
    """Customers the day before the period without ARR on its last day, over the customers the day before."""
    was = "sum(CASE WHEN b.arr_0 > 0 THEN 1 ELSE 0 END)"
    lost = "sum(CASE WHEN b.arr_0 > 0 AND b.arr_1 <= 0 THEN 1 ELSE 0 END)"
    return _per_account(c, m, ("day_before", "last_day"), {"value": share(lost, was), "numerator": lost,
                        "denominator": was, "n": was})  # fmt: skip


@builtin("arr_waterfall")
def arr_waterfall(c: Ctx, m: Metric) -> str:
    """ARR at the start (the day before the period), new, expansion, contraction, churn, and at the end."""
    start, end = "b.arr_0", "b.arr_1"
    parts = {
        "start": start,
        "new": f"CASE WHEN {start} <= 0 AND {end} > 0 THEN {end} ELSE 0 END",
        "expansion": f"CASE WHEN {start} > 0 AND {end} > {start} THEN {end} - {start} ELSE 0 END",
        "contraction": f"CASE WHEN {start} > 0 AND {end} > 0 AND {end} < {start} THEN {end} - {start} ELSE 0 END",
        "churn": f"CASE WHEN {start} > 0 AND {end} <= 0 THEN -{start} ELSE 0 END",
        "end": end,
    }
    # each component summed over the accounts, then one row per component (unpivoted after the
    # aggregate: a handful of rows, not every account six times)
    sums = {f"w_{k}": f"sum({v})" for k, v in parts.items()}
    counts = {f"w_n_{k}": f"sum(CASE WHEN ({v}) <> 0 THEN 1 ELSE 0 END)" for k, v in parts.items()}
    cols, join = c.account_columns("x.account_id", "owner_id", "country")
    base = f"SELECT x.*, {cols} FROM ({_arr_by_account(c, m, 'day_before', 'last_day')}) AS x {join}"
    inner = c.aggregate(m, base, {"value": "CAST(NULL AS DOUBLE)", **sums, **counts}, has=ACCOUNT,
                        when="b.period_start = p.period_start", ctes=[c.fx_cte()])  # fmt: skip
    dims = "".join(f"g.d_{d}, " for d in c.shape[0])
    c.shape = ([*c.shape[0], "component"], [])
    names = ", ".join(f"({literal(k)}, {i})" for i, k in enumerate(parts))
    value = "CASE k.component " + " ".join(f"WHEN {literal(k)} THEN g.w_{k}" for k in parts) + " END"
    n = "CASE k.component " + " ".join(f"WHEN {literal(k)} THEN g.w_n_{k}" for k in parts) + " END"
    return (
        f"SELECT g.period_start, {dims}k.component AS d_component, {value} AS value, "
        f"CAST(NULL AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator, {n} AS n "
        f"FROM ({inner}) AS g CROSS JOIN (VALUES {names}) AS k(component, ord)"
    )


# --- people: response, conversions, sources ------------------------------------------------------


def people(c: Ctx, m: Metric) -> str:
    """One row per person: open leads and contacts; a contact carries the lead it was converted from
    (its source, creation and lifecycle dates when the contact has none), so nobody counts twice.
    The metric's filters test the person's own contacts row (``k``)."""
    # the person's country, else their account's (read only for --by region)
    country, join = "CAST(NULL AS VARCHAR)", ""
    if "region" in c.by:
        country, join = (
            "COALESCE(k.country, l.country, acc.country)",
            "LEFT JOIN accounts AS acc ON acc.id = k.account_id ",
        )
    return (
        "SELECT k.id, COALESCE(k.account_id, l.account_id) AS account_id, k.owner_id, COALESCE(k.lead_source, "
        f"l.lead_source) AS lead_source, {country} AS country, "
        "COALESCE(l.created_at, k.created_at) AS created_at, COALESCE(k.mql_at, l.mql_at) AS mql_at, "
        "COALESCE(k.sql_at, l.sql_at) AS sql_at "
        "FROM contacts AS k LEFT JOIN (SELECT converted_contact_id, min(account_id) AS account_id, "
        "min(lead_source) AS lead_source, min(country) AS country, min(created_at) AS created_at, "
        "min(mql_at) AS mql_at, min(sql_at) AS sql_at FROM contacts WHERE converted_contact_id IS NOT NULL "
        f"GROUP BY converted_contact_id) AS l ON l.converted_contact_id = k.id {join}"
        f"WHERE k.converted_contact_id IS NULL AND {c.filters(m, 'k')}"
    )


def _cohort(c: Ctx, m: Metric, start: str, reached: str, at: str) -> str:
    """Of the people whose ``start`` falls in the period, the share for whom ``reached`` holds (``at``: when)."""
    base = f"SELECT q.*, q.{start} AS t FROM ({people(c, m)}) AS q WHERE q.{start} IS NOT NULL"
    ever = f"sum(CASE WHEN {reached} THEN 1 ELSE 0 END)"
    values = {"value": share(ever, "count(*)"), "numerator": ever, "denominator": "count(*)"}
    if m.within_days is not None:
        soon = f"sum(CASE WHEN {reached} AND {at} <= b.t + INTERVAL {m.within_days} DAY THEN 1 ELSE 0 END)"
        values |= {"w_value": share(soon, "count(*)"), "w_numerator": soon, "w_denominator": "count(*)"}
    return c.aggregate(m, base, values, has=PERSON)


@builtin("mql_to_sql_conversion")
def mql_to_sql_conversion(c: Ctx, m: Metric) -> str:
    return _cohort(c, m, "mql_at", "b.sql_at IS NOT NULL AND b.sql_at >= b.mql_at", "b.sql_at")


FIRST_OPP = (
    "(SELECT min(op.created_at) FROM opportunities AS op WHERE op.account_id = b.account_id "
    "AND op.created_at >= b.sql_at)"
)


@builtin("sql_to_opportunity_conversion")
def sql_to_opportunity_conversion(c: Ctx, m: Metric) -> str:
    """Of the people who became SQL in the period, the share whose account got an opportunity after."""
    base = (
        "SELECT q.id, q.account_id, q.owner_id, q.lead_source, q.country, q.sql_at AS t, min(op.created_at) AS opp_at "
        f"FROM ({people(c, m)}) AS q LEFT JOIN opportunities AS op ON op.account_id = q.account_id "
        f"AND op.created_at >= q.sql_at WHERE q.sql_at IS NOT NULL AND {c.within('q.sql_at')} "
        "GROUP BY q.id, q.account_id, q.owner_id, q.lead_source, q.country, q.sql_at"
    )
    ever = "sum(CASE WHEN b.opp_at IS NOT NULL THEN 1 ELSE 0 END)"
    values = {"value": share(ever, "count(*)"), "numerator": ever, "denominator": "count(*)"}
    if m.within_days is not None:
        soon = f"sum(CASE WHEN b.opp_at <= b.t + INTERVAL {m.within_days} DAY THEN 1 ELSE 0 END)"
        values |= {"w_value": share(soon, "count(*)"), "w_numerator": soon, "w_denominator": "count(*)"}
    return c.aggregate(m, base, values, has=PERSON)


@builtin("lead_source_quality")
def lead_source_quality(c: Ctx, m: Metric) -> str:
    """Per lead source, of the people created in the period: the share that became MQL (value), SQL and won."""
    won = (
        "SELECT q.id, count(*) AS won FROM cohort AS q JOIN opportunities AS op ON op.contact_id = q.id "
        "AND op.is_won AND op.created_at >= q.created_at GROUP BY q.id"
    )
    base = (
        "SELECT q.account_id, q.owner_id, q.lead_source, q.country, q.mql_at, q.sql_at, q.created_at AS t, w.won "
        f"FROM cohort AS q LEFT JOIN ({won}) AS w ON w.id = q.id"
    )
    cohort = f"cohort AS (SELECT * FROM ({people(c, m)}) AS q0 WHERE {c.within('q0.created_at')})"
    mql = "sum(CASE WHEN b.mql_at IS NOT NULL THEN 1 ELSE 0 END)"
    return c.aggregate(
        m, base, {"value": share(mql, "count(*)"), "numerator": mql, "denominator": "count(*)",
                  "w_sql_pct": share("sum(CASE WHEN b.sql_at IS NOT NULL THEN 1 ELSE 0 END)", "count(*)"),
                  "w_won_pct": share("sum(CASE WHEN b.won > 0 THEN 1 ELSE 0 END)", "count(*)")},
        has=PERSON - {"lead_source"}, own={"source": "b.lead_source"}, ctes=[cohort],
    )  # fmt: skip


def unfiltered(m: Metric) -> Metric:
    """The metric without its filters (they apply to another table than the people joined)."""
    return m.model_copy(update={"filters": []})


def _person_filter(c: Ctx, m: Metric, record: str) -> str:
    """The metric's filters on the contacts row ``record`` names (TRUE without filters)."""
    if not m.filters:
        return "TRUE"
    return f"{record} IN (SELECT f.id FROM contacts AS f WHERE {c.filters(m, 'f')})"


@builtin("lead_response_time")
def lead_response_time(c: Ctx, m: Metric) -> str:
    """Minutes (business time, pauses out) from the MQL's assignment to the first genuine rep action.

    Read from the SLA clocks of the handoff that starts at assignment (`revframe sla` keeps them):
    legs stopped by an action, placed in the period they started.
    """
    handoff = next((h.id for h in c.spec.handoffs if h.trigger.event == "owner_assigned"), None)
    base = (
        "SELECT k.record_id, k.started_at AS t, k.elapsed_seconds / 60.0 AS minutes, k.owner_id, "
        "q.account_id, q.lead_source, q.country FROM sla_clocks AS k "
        # a converted lead's clock belongs to the person it became (their account, source, country)
        "LEFT JOIN contacts AS r ON r.id = k.record_id "
        f"LEFT JOIN ({people(c, unfiltered(m))}) AS q ON q.id = COALESCE(r.converted_contact_id, k.record_id) "
        f"WHERE k.handoff_id = {literal(handoff or '')} AND {_person_filter(c, m, 'k.record_id')} "
        "AND k.status IN ('met', 'breached') AND k.stopped_at IS NOT NULL AND k.stop_reason NOT LIKE 'closed:%'"
    )
    return c.aggregate(m, base, {"value": "median(b.minutes)", "w_p90": "quantile_cont(b.minutes, 0.9)"},
                       has=PERSON)  # fmt: skip


# --- activity, engagement, onboarding, adoption, health ----------------------------------------------


@builtin("rep_activity")
def rep_activity(c: Ctx, m: Metric) -> str:
    """Genuine (not automated) rep activities by type."""
    country, join = c.account_country("a.account_id")
    base = (
        f"SELECT a.*, a.occurred_at AS t, {country} AS country FROM activities AS a {join} "
        f"WHERE NOT COALESCE(a.is_automated, FALSE) AND {c.filters(m, 'a')}"
    )
    return c.aggregate(m, base, {"value": "count(*)"}, has={"t", "account_id", "owner_id", "country"},
                       own={"activity_type": "b.type"})  # fmt: skip


@builtin("content_engagement_by_stage")
def content_engagement_by_stage(c: Ctx, m: Metric) -> str:
    """Touchpoints per person, by touchpoint type and the person's funnel stage at the time of the touch.

    The stage at the time comes from the person's lifecycle dates: customer (their account had won a
    deal), opportunity (their account had an open deal), sql, mql, else lead.
    """
    stage = (
        "CASE WHEN ao.won_on <= CAST(tp.occurred_at AS DATE) THEN 'customer' "
        "WHEN ao.opp_on <= tp.occurred_at THEN 'opportunity' "
        "WHEN q.sql_at <= tp.occurred_at THEN 'sql' WHEN q.mql_at <= tp.occurred_at THEN 'mql' ELSE 'lead' END"
    )
    base = (
        f"SELECT tp.id, tp.type, tp.occurred_at AS t, q.id AS person, q.account_id, q.owner_id, q.lead_source, "
        f"q.country, {stage} AS funnel_stage FROM touchpoints AS tp JOIN contacts AS k ON k.id = tp.contact_id "
        f"JOIN ({people(c, unfiltered(m))}) AS q ON q.id = COALESCE(k.converted_contact_id, k.id) "
        "LEFT JOIN (SELECT account_id, min(CASE WHEN is_won THEN close_date END) AS won_on, "
        "min(created_at) AS opp_on FROM opportunities GROUP BY account_id) AS ao ON ao.account_id = q.account_id "
        f"WHERE {c.filters(m, 'tp')}"
    )
    return c.aggregate(m, base, {"value": "count(*) * 1.0 / count(DISTINCT b.person)", "numerator": "count(*)",
                       "denominator": "count(DISTINCT b.person)"}, has=PERSON,
                       own={"touch_type": "b.type", "funnel_stage": "b.funnel_stage"})  # fmt: skip


@builtin("onboarding_completion")
def onboarding_completion(c: Ctx, m: Metric) -> str:
    """Of the milestones due in the period, the share completed by the end of their due day."""
    done = "sum(CASE WHEN b.completed_at < CAST(b.due_date AS TIMESTAMPTZ) + INTERVAL 1 DAY THEN 1 ELSE 0 END)"
    cols, join = c.account_columns("om.account_id", "owner_id", "country")
    base = f"SELECT om.*, om.due_date AS t, {cols} FROM onboarding_milestones AS om {join} WHERE {c.filters(m, 'om')}"
    return c.aggregate(m, base, {"value": share(done, "count(*)"), "numerator": done, "denominator": "count(*)"},
                       has={"t", "account_id", "owner_id", "country"}, dated=True)  # fmt: skip


@builtin("feature_adoption")
def feature_adoption(c: Ctx, m: Metric) -> str:
    """Per feature: the accounts that used it in the period over the customer accounts on its last day."""
    customers = (
        f"SELECT DISTINCT p.period_start, s.account_id FROM subscriptions AS s JOIN {c.spine()} "
        f"ON {CUSTOMER_ON.format(d='p.last_day')}"
    )
    used = (  # the accounts using each feature in each period
        f"used AS (SELECT DISTINCT p.period_start, u.account_id, u.feature FROM product_usage AS u JOIN {c.spine()} "
        f"ON u.usage_date >= p.period_start AND u.usage_date < p.period_end "
        f"WHERE COALESCE(u.events, 1) > 0 AND {c.filters(m, 'u')})"
    )
    if not c.symbolic:  # the periods are known: place each row by its date (no range join)
        used = (
            f"used AS (SELECT DISTINCT {c.period_case('u.usage_date', dated=True)} AS period_start, u.account_id, "
            f"u.feature FROM product_usage AS u WHERE {c.within('u.usage_date', dated=True)} "
            f"AND COALESCE(u.events, 1) > 0 AND {c.filters(m, 'u')})"
        )
    cols, join = c.account_columns("cu.account_id", "owner_id", "country")
    base = (
        "SELECT cu.period_start, cu.account_id, f.feature, CASE WHEN us.account_id IS NULL THEN 0 ELSE 1 END AS used, "
        f"{cols}, fed.fed FROM ({customers}) AS cu "
        f"CROSS JOIN (SELECT DISTINCT feature FROM product_usage AS pu WHERE {c.filters(m, 'pu')}) AS f "
        "LEFT JOIN used AS us ON us.period_start = cu.period_start AND us.account_id = cu.account_id "
        f"AND us.feature = f.feature {join} "
        "LEFT JOIN (SELECT DISTINCT period_start AS fed FROM used) AS fed ON fed.fed = cu.period_start"
    )
    # a period the usage feed does not cover is empty, not 0% adoption
    value = f"CASE WHEN max(b.fed) IS NULL THEN NULL ELSE {share('sum(b.used)', 'count(*)')} END"
    return c.aggregate(m, base, {"value": value, "numerator": "sum(b.used)",
                       "denominator": "count(*)"}, has={"account_id", "owner_id", "country"},
                       when="b.period_start = p.period_start", own={"feature": "b.feature"},
                       ctes=[used])  # fmt: skip


@builtin("health_score_distribution")
def health_score_distribution(c: Ctx, m: Metric) -> str:
    """Customer health scores do not exist yet (the customer-success engine comes later): an explicit empty value."""
    return ""


# the pipeline stage metrics live in their own module; importing it registers them
import revframe.metrics.stages  # noqa: E402, F401
