"""Marketing campaigns: quarterly programs, always-on channels and dated events, with spend.

Names follow the convention ``YYYY-QN_channel_name`` (e.g. ``2025-Q3_webinar_data-quality``);
a few planted names break it (recorded in ground truth).
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass

import numpy as np

from revframe.demo.config import AS_OF, DAY, HOUR, REGIONS, START_DATE

#: channel -> (Salesforce Type, touchpoint type, member status, lead source)
CHANNELS: dict[str, tuple[str, str, str, str]] = {
    "organic": ("Website", "form_fill", "Responded", "Web"),
    "paid-search": ("Advertisement", "ad_click", "Clicked", "Paid Search"),
    "paid-social": ("Advertisement", "ad_click", "Clicked", "Paid Social"),
    "content": ("Content", "content_download", "Downloaded", "Content Syndication"),
    "email": ("Email", "email_click", "Clicked", "Web"),
    "partner": ("Partners", "referral", "Responded", "Partner Referral"),
    "webinar": ("Webinar", "webinar", "Attended", "Webinar"),
    "event": ("Conference", "event", "Attended", "Event"),
    "tradeshow": ("Trade Show", "event", "Visited Booth", "Event"),
}
ALWAYS_ON = ["organic", "paid-search", "paid-social", "content", "email", "partner"]
EVENT_CHANNELS = ["webinar", "event", "tradeshow"]
#: weights of channels for touches (always-on, then events)
TOUCH_W = np.array([0.22, 0.18, 0.12, 0.14, 0.14, 0.03, 0.11, 0.03, 0.03])
FIRST_TOUCH_W = [0.3, 0.22, 0.12, 0.16, 0.0, 0.05, 0.1, 0.02, 0.03]

_WEBINAR_TOPICS = [
    "data-quality",
    "pipeline-velocity",
    "attribution-101",
    "forecasting-playbook",
    "revops-maturity",
    "lead-routing",
    "crm-hygiene",
    "nrr-deep-dive",
    "sla-design",
    "board-metrics",
    "territory-planning",
    "win-loss-analysis",
    "health-scores",
]
_CONTENT = [
    "revops-benchmark-report",
    "state-of-pipeline",
    "data-quality-checklist",
    "attribution-guide",
    "forecasting-ebook",
    "cro-playbook",
]
_TRADESHOWS = ["revops-summit", "saas-connect", "data-council", "martech-conf", "web-summit", "cro-forum"]
_FIELD = {
    "NA": ["exec-dinner-nyc", "roundtable-sf", "roadshow-chicago", "meetup-austin"],
    "EMEA": ["exec-dinner-london", "roundtable-berlin", "roadshow-paris", "meetup-amsterdam"],
    "APAC": ["exec-dinner-sydney", "roundtable-singapore", "roadshow-melbourne"],
}


@dataclass
class Campaign:
    """One campaign."""

    idx: int
    id: str
    name: str
    channel: str
    region: str
    start: int  # epoch seconds
    end: int
    budget: float
    actual: float | None
    currency: str
    parent: str
    quarter: int
    violation: str = ""


def _quarters() -> list[tuple[str, dt.date, dt.date]]:
    out = []
    y, q = START_DATE.year, (START_DATE.month - 1) // 3 + 1
    for _ in range(13):
        start = dt.date(y, 3 * (q - 1) + 1, 1)
        end = dt.date(y + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
        out.append((f"{y}-Q{q}", start, end))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


QUARTERS = _quarters()
_EPOCH = dt.date(1970, 1, 1)


def _secs(d: dt.date) -> int:
    return (d - _EPOCH).days * DAY


class CampaignBook:
    """All campaigns plus lookup tables used to attach touches to campaigns."""

    def __init__(self, campaigns: list[Campaign]) -> None:
        self.campaigns = campaigns
        nq = len(QUARTERS)
        self.q_starts = np.array([_secs(s) for _, s, _ in QUARTERS], dtype=np.int64)
        # always-on lookup [quarter, channel, region] -> campaign idx
        self.always_on = np.full((nq, len(ALWAYS_ON), len(REGIONS)), -1, dtype=np.int64)
        for c in campaigns:
            if c.channel in ALWAYS_ON and not c.parent == "":
                ch = ALWAYS_ON.index(c.channel)
                regions = range(len(REGIONS)) if c.region == "Global" else [REGIONS.index(c.region)]
                for ri in regions:
                    self.always_on[c.quarter, ch, ri] = c.idx
        events = sorted(
            (c for c in campaigns if c.channel in EVENT_CHANNELS and c.start <= AS_OF), key=lambda c: (c.start, c.idx)
        )
        self.event_idx = np.array([c.idx for c in events], dtype=np.int64)
        self.event_time = np.array([c.start + 16 * HOUR for c in events], dtype=np.int64)
        self.event_times_list = self.event_time.tolist()
        self.channel_code = np.array(
            [list(CHANNELS).index(c.channel) if c.channel in CHANNELS else 0 for c in campaigns], dtype=np.int64
        )
        self.ids = np.array([c.id.encode() for c in campaigns], dtype="S18")

    def quarter_of(self, t: np.ndarray) -> np.ndarray:
        q = np.searchsorted(self.q_starts, t, side="right") - 1
        return np.clip(q, 0, len(QUARTERS) - 2)

    def always_on_for(self, t: int, channel: str, region: str) -> int:
        q = int(self.quarter_of(np.array([t]))[0])
        return int(self.always_on[q, ALWAYS_ON.index(channel), REGIONS.index(region)])

    def event_near(self, t: int, lo: int, hi: int) -> tuple[int, int] | None:
        """The event campaign closest to t whose date lies in [lo, hi]: (campaign idx, time)."""
        i = bisect.bisect_left(self.event_times_list, t)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(self.event_times_list):
                et = self.event_times_list[j]
                if lo <= et <= hi and (best is None or abs(et - t) < abs(best[1] - t)):
                    best = (int(self.event_idx[j]), et)
        return best


_VIOLATIONS = [
    ("free_form", lambda q, ch, n: f"{ch.replace('-', ' ').title()} - {n.replace('-', ' ').title()} ({q[5:]} {q[:4]})"),
    ("spaces", lambda q, ch, n: f"{q} {ch} {n}"),
    ("upper_case", lambda q, ch, n: f"{q}_{ch.title()}_{n.replace('-', ' ').title()}"),
    ("quarter_first", lambda q, ch, n: f"{q[5:]}-{q[:4]}_{ch}_{n}"),
    ("missing_name", lambda q, ch, n: f"{q}_{ch}"),
    ("copy_prefix", lambda q, ch, n: f"Copy of {q}_{ch}_{n}"),
    ("underscores_in_name", lambda q, ch, n: f"{q.lower()}_{ch}_{n.replace('-', '_')}"),
]


def build_campaigns(r: random.Random, events_per_quarter: int, team_scale: int, new_id) -> CampaignBook:
    """Campaigns from the CRM go-live to one planned quarter after the as-of date."""
    out: list[Campaign] = []
    spend_f = team_scale**0.7

    def add(
        name: str,
        channel: str,
        region: str,
        start: dt.date,
        end: dt.date,
        budget: float,
        parent: str,
        qi: int,
        currency: str = "USD",
    ) -> Campaign:
        s, e = _secs(start), _secs(end) + DAY - 1
        actual = None if s > AS_OF else round(budget * r.uniform(0.75, 1.15) * (1 if e <= AS_OF else 0.6), 2)
        c = Campaign(
            len(out), new_id("701"), name, channel, region, s, e, round(budget, -2), actual, currency, parent, qi
        )
        out.append(c)
        return c

    for qi, (q, qs, qe) in enumerate(QUARTERS):
        parent = add(f"{q}_program_demand-gen", "program", "Global", qs, qe, 0.0, "", qi)
        parent.channel = "program"
        for region in REGIONS:
            cur = "EUR" if region == "EMEA" else "USD"
            add(
                f"{q}_paid-search_brand-{region.lower()}",
                "paid-search",
                region,
                qs,
                qe,
                r.uniform(15_000, 45_000) * spend_f * (1 if region == "NA" else 0.5),
                parent.id,
                qi,
                cur,
            )
        add(
            f"{q}_paid-social_linkedin-abm",
            "paid-social",
            "Global",
            qs,
            qe,
            r.uniform(20_000, 60_000) * spend_f,
            parent.id,
            qi,
        )
        add(
            f"{q}_content_{r.choice(_CONTENT)}",
            "content",
            "Global",
            qs,
            qe,
            r.uniform(8_000, 25_000) * spend_f,
            parent.id,
            qi,
        )
        add(f"{q}_email_newsletter", "email", "Global", qs, qe, r.uniform(1_000, 4_000), parent.id, qi)
        add(
            f"{q}_organic_website-demo-request",
            "organic",
            "Global",
            qs,
            qe,
            r.uniform(5_000, 12_000) * spend_f,
            parent.id,
            qi,
        )
        add(f"{q}_partner_referrals", "partner", "Global", qs, qe, r.uniform(2_000, 8_000), parent.id, qi)
        n_days = (qe - qs).days
        topics = r.sample(_WEBINAR_TOPICS, min(len(_WEBINAR_TOPICS), max(2, events_per_quarter // 2)))
        for topic in topics:
            d = qs + dt.timedelta(days=r.randint(5, n_days - 5))
            d -= dt.timedelta(days=max(0, d.weekday() - 3))  # Tue-Thu
            add(f"{q}_webinar_{topic}", "webinar", "Global", d, d, r.uniform(1_500, 7_000), parent.id, qi)
        for show in r.sample(_TRADESHOWS, 1 + events_per_quarter // 8):
            d = qs + dt.timedelta(days=r.randint(5, n_days - 8))
            add(
                f"{q}_tradeshow_{show}",
                "tradeshow",
                "Global",
                d,
                d + dt.timedelta(days=2),
                r.uniform(30_000, 120_000) * spend_f**0.5,
                parent.id,
                qi,
            )
        for region in REGIONS:
            for name in r.sample(_FIELD[region], min(len(_FIELD[region]), 1 + events_per_quarter // 6)):
                d = qs + dt.timedelta(days=r.randint(5, n_days - 5))
                add(
                    f"{q}_event_{name}",
                    "event",
                    region,
                    d,
                    d,
                    r.uniform(5_000, 25_000),
                    parent.id,
                    qi,
                    "EUR" if region == "EMEA" else "USD",
                )
    # planted naming-convention violations (never on always-on lookups' correctness: ids unchanged)
    for c in out:
        if c.parent and r.random() < 0.08:
            q, ch, rest = c.name.split("_", 2)
            kind, fn = r.choice(_VIOLATIONS)
            c.name = fn(q, ch, rest)
            c.violation = kind
    return CampaignBook(out)


def campaign_rows(book: CampaignBook, owner_id: str) -> list[dict]:
    """Salesforce Campaign export rows."""
    rows = []
    for c in book.campaigns:
        status = "Planned" if c.start > AS_OF else "In Progress" if c.end > AS_OF else "Completed"
        sf_type = CHANNELS[c.channel][0] if c.channel in CHANNELS else "Other"
        rows.append(
            {
                "Id": c.id,
                "Name": c.name,
                "Type": sf_type,
                "Channel__c": c.channel,
                "Status": status,
                "IsActive": "true" if status != "Completed" else "false",
                "StartDate": c.start,
                "EndDate": c.end,
                "BudgetedCost": c.budget if c.budget else None,
                "ActualCost": c.actual if c.actual else None,
                "CurrencyIsoCode": c.currency,
                "ParentId": c.parent or None,
                "OwnerId": owner_id,
                "CreatedDate": max(c.start - 30 * DAY, _secs(START_DATE) - 10 * DAY) + 10 * HOUR,
            }
        )
    return rows
