"""Lead scoring by the spec's rules: fit to the ICP, decayed engagement, a total, a grade and the reasons.

- **fit** (0-100): the ``icp.fit_weights`` of each ICP criterion the person meets: industry and
  company size of the person's account (``contacts.account_id``, else the latest ``account_matches``
  row), geography (the person's country, else the account's, in ``icp.regions``/``icp.countries``),
  title (an ``icp.titles`` phrase inside the title), seniority and function (read from the title by
  :mod:`revframe.process.titles`).
- **engagement** (0-100, clamped): over the person's touchpoints and rep-logged (never automated)
  activities up to ``as_of``, ``points(type) x 0.5 ** (age_days / half_life_days)``, in SQL.
- **total** = fit x fit_weight% + engagement x (100 - fit_weight)%; **grade** = fit letter
  (A >= 75, B >= 50, C >= 25, else D) + engagement digit (1 >= 75, 2 >= 50, 3 >= 25, else 4).
- **is_mql**: total >= ``scoring.thresholds.mql`` and no ICP disqualifier holds.
- **reasons**: the top 5 contributions to the total (a disqualifier that holds first).

Fit is computed in Python over one fetched row set, so the same function scores one lead in the server.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.process.criteria import Params, Subject, condition_sql, lit
from revframe.process.sql_template import SqlTemplate
from revframe.process.titles import normalize_title, parse_title
from revframe.quality.scan import parse_as_of
from revframe.quality.scan_rules import allowed_key

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.framework.company import Icp
    from revframe.framework.lifecycle import Scoring
    from revframe.store import Store

FIT_FACTORS = ("industry", "company_size", "geography", "title", "seniority", "function")
TOP_REASONS = 5
_KEY_SQL = "lower(replace(replace(trim(CAST({col} AS VARCHAR)), ' ', '_'), '-', '_'))"


def fit_letter(fit: float) -> str:
    """A >= 75, B >= 50, C >= 25, else D."""
    return "A" if fit >= 75 else "B" if fit >= 50 else "C" if fit >= 25 else "D"


def level_digit(value: float) -> str:
    """1 >= 75, 2 >= 50, 3 >= 25, else 4 (engagement, or a probability in percent)."""
    return "1" if value >= 75 else "2" if value >= 50 else "3" if value >= 25 else "4"


@dataclass
class PersonScore:
    """One person's score: the parts, the grade, whether an MQL, and why."""

    contact_id: str
    fit: float
    engagement: float
    total: float
    grade: str
    is_mql: bool
    disqualified_by: str | None
    reasons: list[dict[str, Any]]


@dataclass
class ScoreReport:
    """What a scoring run did.

    Attributes:
        run_id: id of the run (``lead_scores.run_id``).
        as_of: the scoring time.
        model: ``rules`` or ``predictive``.
        people: people scored.
        grades: people per grade (A1 ... D4).
        mqls: people whose total reached the MQL threshold and who are not disqualified.
        hot: of those, people at or above the ``hot`` threshold.
        disqualified: people an ICP disqualifier holds for.
        avg_fit, avg_engagement, avg_total: averages over the people scored.
        top_reasons: the factors most often among people's positive reasons, with their counts.
        scores: per person (filled when ``ids`` was given).
        extra: model-specific figures (the predictive model's AUC, Brier score, calibration).
    """

    run_id: str
    as_of: datetime
    model: str
    people: int
    grades: dict[str, int]
    mqls: int
    hot: int
    disqualified: int
    avg_fit: float
    avg_engagement: float
    avg_total: float
    top_reasons: list[tuple[str, int]]
    scores: dict[str, PersonScore] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``revframe score --format json`` prints)."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "model": self.model,
            "people": self.people,
            "grades": self.grades,
            "mqls": self.mqls,
            "hot": self.hot,
            "disqualified": self.disqualified,
            "avg_fit": self.avg_fit,
            "avg_engagement": self.avg_engagement,
            "avg_total": self.avg_total,
            "top_reasons": [{"factor": f, "people": n} for f, n in self.top_reasons],
            "scores": {k: asdict(v) for k, v in self.scores.items()},
            **self.extra,
        }


# --- SQL: the people, their account, disqualifiers and decayed engagement ----------------------------


def id_filter(col: str, ids: list[str] | None, sql: Params) -> str:
    return f"{col} IN ({', '.join(sql.p(i) for i in ids)})" if ids is not None else "TRUE"


def points_sql(scoring: Scoring) -> str:
    """The spec's engagement points as rows (kind, type, points)."""
    return " UNION ALL ".join(
        f"SELECT {lit(p.kind)} AS kind, {lit(allowed_key(p.type))} AS type, {p.points} AS points"
        for p in scoring.engagement.points
    )


def engagement_sql(scoring: Scoring, window: str, people: str = "TRUE") -> str:
    """Per person and event type: count, latest time and decayed points of the events up to the cutoff.

    ``window`` selects ``contact_id, cutoff, start``: events at or before ``cutoff`` (and at or
    after ``start`` when not NULL) count, each halved every ``half_life_days`` before ``cutoff``.
    ``people`` (a condition on ``x.contact_id``) narrows the events read.
    """
    half = float(scoring.engagement.half_life_days)
    events = " UNION ALL ".join(
        f"SELECT x.contact_id, {lit(kind)} AS kind, {_KEY_SQL.format(col='x.type')} AS type, x.occurred_at "
        f"FROM {table} AS x WHERE {people}{extra}"
        for kind, table, extra in (
            ("touchpoint", "touchpoints", ""),
            ("activity", "activities", " AND COALESCE(x.is_automated, FALSE) = FALSE"),
        )
    )
    age = "CAST(epoch(w.cutoff) - epoch(e.occurred_at) AS DOUBLE) / 86400.0"
    return (
        f"SELECT e.contact_id, e.kind, e.type, count(*) AS n, max(e.occurred_at) AS latest, "
        f"max(w.cutoff) AS cutoff, sum(p.points * power(0.5, {age} / {half})) AS pts "
        f"FROM ({events}) AS e JOIN ({window}) AS w ON w.contact_id = e.contact_id "
        f"JOIN ({points_sql(scoring)}) AS p ON p.kind = e.kind AND p.type = e.type "
        f"WHERE e.occurred_at <= w.cutoff AND (w.start IS NULL OR e.occurred_at >= w.start) "
        f"GROUP BY e.contact_id, e.kind, e.type"
    )


def people_sql(spec: Spec, ctx: Subject, ids: list[str] | None, window: str, extra_cols: str = "") -> str:
    """One row per person and engaged event type (one row with a NULL kind for a person without any)."""
    assert spec.scoring is not None and spec.icp is not None
    matches = (
        "SELECT contact_id, account_id FROM (SELECT contact_id, account_id, row_number() OVER (PARTITION BY "
        "contact_id ORDER BY matched_at DESC, confidence DESC, account_id) AS rn FROM account_matches "
        f"WHERE {id_filter('contact_id', ids, ctx.sql)}) AS m0 WHERE rn = 1"
    )
    dq = "".join(
        f", {condition_sql(d.when, ctx)} AS dq_{i}" for i, d in enumerate(spec.icp.disqualifiers)
    )  # fmt: skip
    return (
        "SELECT c.id AS contact_id, c.title, c.country AS person_country, a.id AS account_id, a.industry, "
        f"a.employees, a.country AS account_country{dq}{extra_cols}, "
        "g.kind, g.type, g.n, g.latest, g.cutoff, g.pts FROM contacts AS c "
        f"LEFT JOIN ({matches}) AS m ON m.contact_id = c.id "
        "LEFT JOIN accounts AS a ON a.id = COALESCE(c.account_id, m.account_id) "
        f"LEFT JOIN ({engagement_sql(spec.scoring, window, id_filter('x.contact_id', ids, ctx.sql))}) AS g "
        "ON g.contact_id = c.id "
        f"WHERE {id_filter('c.id', ids, ctx.sql)}"
    )


def fetch_people(
    store: Store, spec: Spec, ctx: Subject, ids: list[str] | None, window: str, extra: str = ""
) -> dict[str, dict[str, Any]]:
    """Each person's feature row, with ``events``: a list of (kind, type, count, latest, cutoff, points)."""
    sql, params = ctx.sql.render(people_sql(spec, ctx, ids, window, extra))
    return group_people(store.query_arrow(sql, params).to_pylist())


def group_people(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rows of :func:`people_sql` (one per person and engaged event type), one feature row per person."""
    people: dict[str, dict[str, Any]] = {}
    for row in rows:
        pid = str(row["contact_id"])
        person = people.get(pid)
        if person is None:
            person = people[pid] = {k: v for k, v in row.items() if k not in ("kind", "type", "n", "latest", "pts")}
            person["events"] = []
        if row["kind"] is not None:
            person["events"].append(
                (row["kind"], row["type"], int(row["n"]), row["latest"], row["cutoff"], float(row["pts"]))
            )
    return people


# --- fit, in Python -------------------------------------------------------------------------------


def icp_countries(spec: Spec) -> set[str]:
    assert spec.icp is not None
    regions = {r.id: r for r in spec.company.regions}
    out = {c.upper() for c in spec.icp.countries}
    for rid in spec.icp.regions:
        if rid in regions:
            out |= {c.upper() for c in regions[rid].countries}
    return out


def fit_criteria(icp: Icp, countries: set[str], row: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    """Each ICP criterion: whether the person meets it, and why in words."""
    industries = {i.strip().casefold() for i in icp.industries}
    out: dict[str, tuple[bool, str]] = {}
    has_account = row.get("account_id") is not None
    industry = (row.get("industry") or "").strip()
    if industry:
        ok = industry.casefold() in industries
        out["industry"] = (ok, f"{industry} is {'an' if ok else 'not an'} ICP industry")
    else:
        out["industry"] = (False, "industry unknown: " + ("the account has none" if has_account else "no account"))
    emp, rng = row.get("employees"), icp.employees
    span = f"{rng.min}-{rng.max}" if rng.max is not None else f"{rng.min}+"
    if emp is not None:
        ok = rng.contains(int(emp))
        out["company_size"] = (ok, f"{int(emp):,} employees, {'within' if ok else 'outside'} the ICP's {span}")
    else:
        out["company_size"] = (False, "employee count unknown" + ("" if has_account else ": no account"))
    country = (row.get("person_country") or row.get("account_country") or "").strip().upper()
    if country:
        ok = country in countries
        out["geography"] = (ok, f"{country} is {'in' if ok else 'outside'} the ICP's regions and countries")
    else:
        out["geography"] = (False, "country unknown")
    title = (row.get("title") or "").strip()
    if title:
        norm = f" {normalize_title(title)} "
        phrase = next((p for p in icp.titles if f" {normalize_title(p)} " in norm), None)
        out["title"] = (
            (True, f"title '{title}' contains '{phrase}'")
            if phrase
            else (False, f"title '{title}' contains no ICP title phrase")
        )
        seniority, function = parse_title(title)
        ok = seniority in icp.seniorities
        out["seniority"] = (ok, f"{seniority} is {'an' if ok else 'not an'} ICP seniority")
        ok = function in icp.functions
        out["function"] = (ok, f"{function} is {'an' if ok else 'not an'} ICP function")
    else:
        for f in ("title", "seniority", "function"):
            out[f] = (False, "no title")
    return out


def _plural(n: int, kind: str) -> str:
    word = kind.replace("_", " ")
    return f"{n} {word}{'' if n == 1 else 's'}"


def _age(latest: Any, cutoff: Any) -> str:
    if not isinstance(latest, datetime) or not isinstance(cutoff, datetime):
        return ""
    days = (as_utc(cutoff) - as_utc(latest)).total_seconds() / 86400
    return f", latest {days:.0f} day{'' if round(days) == 1 else 's'} ago"


def as_utc(v: datetime) -> datetime:
    return v if v.tzinfo else v.replace(tzinfo=UTC)


def score_person(spec: Spec, countries: set[str], row: dict[str, Any]) -> PersonScore:
    """A person's rule-based score from their feature row (see :func:`fetch_people`)."""
    assert spec.icp is not None and spec.scoring is not None
    icp, sc = spec.icp, spec.scoring
    weights = icp.fit_weights
    scale = 100.0 / weights.total if weights.total else 0.0
    fw, ew = sc.fit_weight / 100.0, (100 - sc.fit_weight) / 100.0
    reasons: list[dict[str, Any]] = []
    fit = 0.0
    for factor, (ok, detail) in fit_criteria(icp, countries, row).items():
        w = getattr(weights, factor) * scale if ok else 0.0
        fit += w
        reasons.append({"factor": factor, "points": round(w * fw, 4), "detail": detail})
    raw = sum(e[5] for e in row["events"])
    engagement = min(100.0, max(0.0, raw))
    shrink = engagement / raw if raw else 0.0  # contributions sum to the clamped engagement
    for kind, typ, n, latest, cutoff, pts in row["events"]:
        capped = " (scaled: engagement is capped at 0-100)" if shrink != 1.0 else ""
        reasons.append(
            {
                "factor": f"{kind}:{typ}",
                "points": round(pts * shrink * ew, 4),
                "detail": f"{_plural(n, typ)}{_age(latest, cutoff)}{capped}",
            }
        )
    fit, engagement = round(min(100.0, fit), 4), round(engagement, 4)
    total = round(fit * fw + engagement * ew, 4)
    dq = next((d for i, d in enumerate(icp.disqualifiers) if row.get(f"dq_{i}")), None)
    # ties: fit factors first, then by name, so every engine lists the same reasons
    reasons.sort(key=lambda r: (-abs(r["points"]), r["factor"] not in FIT_FACTORS, r["factor"]))
    top = reasons[:TOP_REASONS]
    if dq is not None:
        top = [{"factor": f"disqualifier:{dq.id}", "points": 0.0, "detail": f"{dq.description} Never an MQL."}]
        top += reasons[: TOP_REASONS - 1]
    return PersonScore(
        contact_id=str(row["contact_id"]),
        fit=fit,
        engagement=engagement,
        total=total,
        grade=fit_letter(fit) + level_digit(engagement),
        is_mql=dq is None and total >= sc.thresholds.mql,
        disqualified_by=dq.id if dq else None,
        reasons=top,
    )


def require_scoring(spec: Spec) -> None:
    if spec.scoring is None:
        raise UsageError("the spec has no scoring section: add scoring (fit_weight, engagement, thresholds)")
    if spec.icp is None:
        raise UsageError("the spec has no icp section: lead scoring's fit half needs the ICP (industries, weights)")


def new_run_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:6]}"


def write_scores(
    store: Store, spec: Spec, run_id: str, model: str, scores: list[PersonScore], now: datetime, *, every: bool = False
) -> None:
    """Append the scores as the people's current ones (``every``: the run scored every person)."""
    model_is = f"{{t}}.model = {lit(model)}"
    if every:
        store.update_from("lead_scores", "is_current", "model", "SELECT ? AS k, FALSE AS v", [model])
    elif scores:
        ids = [s.contact_id for s in scores]
        if len(ids) == 1:  # the server's path: one person, by id (no scan of lead_scores)
            store.update_from("lead_scores", "is_current", "contact_id", "SELECT CAST(? AS VARCHAR) AS k, FALSE AS v",
                              ids, where=f"{model_is} AND {{t}}.is_current")  # fmt: skip
            ids = []
        for i in range(0, len(ids), 1000):
            chunk = ids[i : i + 1000]
            store.update_from(
                "lead_scores", "is_current", "contact_id",
                f"SELECT DISTINCT contact_id AS k, FALSE AS v FROM lead_scores WHERE contact_id IN "
                f"({', '.join('?' * len(chunk))})", chunk, where=model_is,
            )  # fmt: skip
    store.insert_rows(
        "lead_scores",
        [
            (
                run_id,
                s.contact_id,
                model,
                s.fit,
                s.engagement,
                s.total,
                s.grade,
                s.is_mql,
                s.disqualified_by,
                json.dumps(s.reasons, ensure_ascii=False),
                now,
                spec.version,
                True,
            )  # fmt: skip
            for s in scores
        ],
    )


def build_report(
    spec: Spec, run_id: str, as_of: datetime, model: str, scores: list[PersonScore], keep: bool
) -> ScoreReport:
    assert spec.scoring is not None
    n = len(scores)
    reasons: Counter[str] = Counter(r["factor"] for s in scores for r in s.reasons if r["points"] > 0)
    return ScoreReport(
        run_id=run_id,
        as_of=as_of,
        model=model,
        people=n,
        grades=dict(sorted(Counter(s.grade for s in scores).items())),
        mqls=sum(s.is_mql for s in scores),
        hot=sum(s.is_mql and s.total >= spec.scoring.thresholds.hot for s in scores),
        disqualified=sum(s.disqualified_by is not None for s in scores),
        avg_fit=round(sum(s.fit for s in scores) / n, 2) if n else 0.0,
        avg_engagement=round(sum(s.engagement for s in scores) / n, 2) if n else 0.0,
        avg_total=round(sum(s.total for s in scores) / n, 2) if n else 0.0,
        top_reasons=reasons.most_common(TOP_REASONS),
        scores={s.contact_id: s for s in scores} if keep else {},
    )


def one_person_sql(spec: Spec, contact_id: str, as_of: datetime) -> tuple[str, list[Any]]:
    """The query :func:`score_people` runs for ``ids=[contact_id]``, and its parameters (the server's path).

    The text depends on the spec only: it is built once per spec and reused with this person's
    id and time (see :class:`~revframe.process.sql_template.SqlTemplate`).
    """

    def build(cid: str, when: datetime) -> tuple[str, list[Any]]:
        ctx = Subject("contacts", when, Params(), set())
        return ctx.sql.render(people_sql(spec, ctx, [cid], _window(ctx, [cid], when)))

    return SqlTemplate.cached(spec, "score:one", build)(contact_id, as_of)


def one_person_columns(spec: Spec) -> list[str]:
    """The column names of :func:`one_person_sql`'s rows."""
    assert spec.icp is not None
    dq = [f"dq_{i}" for i in range(len(spec.icp.disqualifiers))]
    head = ["contact_id", "title", "person_country", "account_id", "industry", "employees", "account_country"]
    return [*head, *dq, "kind", "type", "n", "latest", "cutoff", "pts"]


def score_one(spec: Spec, rows: list[tuple[Any, ...]]) -> PersonScore | None:
    """One person's rules score from the rows of :func:`one_person_sql` (None: no such person).

    The same computation as :func:`score_people` for ``ids=[contact_id]``: the same query, the same
    grouping and :func:`score_person`; only the rows come as tuples instead of through Arrow.
    """
    names = one_person_columns(spec)
    people = group_people([dict(zip(names, r, strict=True)) for r in rows])
    if not people:
        return None
    (row,) = people.values()
    return score_person(spec, icp_countries(spec), row)


def _window(ctx: Subject, ids: list[str] | None, when: datetime) -> str:
    return (
        f"SELECT c.id AS contact_id, {ctx.ts(when)} AS cutoff, CAST(NULL AS TIMESTAMPTZ) AS start "
        f"FROM contacts AS c WHERE {id_filter('c.id', ids, ctx.sql)}"
    )


def score_people(
    store: Store,
    spec: Spec,
    *,
    ids: list[str] | None = None,
    as_of: str | date | datetime | None = None,
    model: str = "rules",
    run_id: str | None = None,
) -> ScoreReport:
    """Score every person (leads and contacts), or only ``ids``, and write one ``lead_scores`` row each.

    Args:
        store: the canonical store.
        spec: the framework spec (its ``icp`` and ``scoring``).
        ids: only these people (``contacts.id``); the report then holds each one's score.
        as_of: the scoring time: later touchpoints are ignored, ages are counted to it (default now).
        model: ``rules`` (this function) or ``predictive`` (see :func:`revframe.process.predictive.train_predictive`).
        run_id: the run id to write (default a new one).

    Returns:
        The run's report: grades, MQLs, disqualified, averages, the most common reasons.

    Examples:
        >>> from revframe import Workspace
        >>> import tempfile
        >>> ws = Workspace.init(tempfile.mkdtemp())
        >>> report = score_people(ws.store, ws.spec, as_of="2026-09-30")
        >>> report.people, report.mqls
        (0, 0)
    """
    if model == "predictive":
        from revframe.process.predictive import train_predictive

        return train_predictive(store, spec, as_of=as_of, run_id=run_id, ids=ids)
    if model != "rules":
        raise UsageError(f"--model '{model}': choose rules or predictive")
    require_scoring(spec)
    when = parse_as_of(as_of)
    now = datetime.now(UTC)
    run_id = run_id or new_run_id("score")
    ctx = Subject("contacts", when, Params(), set())
    people = fetch_people(store, spec, ctx, ids, _window(ctx, ids, when))
    countries = icp_countries(spec)
    scores = [score_person(spec, countries, row) for _, row in sorted(people.items())]
    with store.transaction():
        write_scores(store, spec, run_id, model, scores, now, every=ids is None)
    return build_report(spec, run_id, when, model, scores, ids is not None)
