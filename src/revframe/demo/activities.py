"""Sales activities (Salesforce Tasks and Events), expanded from work lists with numpy.

Genuine rep actions (calls, emails, meetings) and automated touches (sequence emails with
``Is_Automated__c = true``, which must not count as a response) are both generated. For every
MQL the first genuine action happens at the time recorded in ``ground_truth/response_times.csv``;
an automated sequence email always goes out 30 seconds after the MQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from revframe.demo.clock import business_time, day_index
from revframe.demo.config import AS_OF, DAY, HOUR
from revframe.demo.encode import bools, bytes_col, format_times, ints, pick

if TYPE_CHECKING:
    from revframe.demo.company import Chunk

CALL, EMAIL, TASK, MEETING = 0, 1, 2, 3
SUBJECTS = [
    "Call",
    "Call: intro",
    "Call: follow-up",
    "Left voicemail",
    "Call: discovery",
    "Connected - discussed pricing",
    "Email: Re: your demo request",
    "Email: Following up",
    "Email: Quick question",
    "Email: Next steps",
    "Email: Proposal",
    "Email: Recap from today",
    "[Sequence] Inbound follow-up - Step 1",
    "[Sequence] Inbound follow-up - Step 2",
    "[Sequence] Inbound follow-up - Step 3",
    "[Sequence] Outbound - Step 1",
    "[Sequence] Outbound - Step 2",
    "Auto: Proposal viewed notification",
    "Send pricing",
    "Update opportunity next steps",
    "Prepare QBR deck",
    "Security questionnaire",
    "Discovery meeting",
    "Product demo",
    "Technical deep dive",
    "Pricing review",
    "Executive alignment",
    "QBR",
    "Onboarding check-in",
    "Renewal review",
    "Onboarding kickoff",
]
_CALL_S = np.arange(0, 6)
_EMAIL_S = np.arange(6, 12)
_TASK_S = np.arange(18, 22)
_MEET_OPP = np.arange(22, 27)
_MEET_CS = np.array([27, 28, 29])
_KICKOFF = 30


class _Acts:
    """Activity parts, concatenated at the end."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, who, what, account, owner, t, kind, subject, auto, lo) -> None:
        n = np.shape(t)[0]
        if n == 0:
            return

        def full(x, dtype=None):
            return np.broadcast_to(np.asarray(x, dtype=dtype), (n,)).copy()

        self.parts.append(
            {
                "who": full(who, "S18"),
                "what": full(what, "S18"),
                "account": full(account, "S18"),
                "owner": full(owner, np.int64),
                "t": full(t, np.int64),
                "kind": full(kind, np.int64),
                "subject": full(subject, np.int64),
                "auto": full(auto, bool),
                "lo": full(lo, np.int64),
            }
        )

    def concat(self) -> dict[str, np.ndarray] | None:
        if not self.parts:
            return None
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}


def _arr(rows: list[tuple], i: int, dtype) -> np.ndarray:
    return np.array([row[i] for row in rows], dtype=dtype)


def _snap(g: np.random.Generator, t: np.ndarray, tz: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Move times into business hours of their day, then back into [lo, hi]."""
    day = day_index(t)
    out = business_time(g, day, tz)
    return np.minimum(np.maximum(out, lo), hi)


def build(ch: Chunk) -> tuple[dict[str, object] | None, dict[str, object] | None]:
    """(Task columns, Event columns) of a chunk."""
    g = ch.g
    team = ch.w.team
    user_tz = np.array([u.tz_idx for u in team.users], dtype=np.int64)
    acts = _Acts()
    # --- lead response -------------------------------------------------------------------
    if ch.lead_work:
        lw = ch.lead_work
        who = _arr(lw, 0, "S18")
        owner = _arr(lw, 1, np.int64)
        mql = _arr(lw, 2, np.int64)
        first = _arr(lw, 3, np.int64)
        end = _arr(lw, 4, np.int64)
        ok = mql + 30 <= AS_OF
        acts.add(who[ok], b"", b"", owner[ok], mql[ok] + 30, EMAIL, 12, True, mql[ok])
        has = first >= 0
        kind = np.where(g.random(has.sum()) < 0.6, CALL, EMAIL)
        subj = np.where(kind == CALL, 1, 6)
        acts.add(who[has], b"", b"", owner[has], first[has], kind, subj, False, mql[has])
        # sequence steps 2 and 3 (automated) while the lead is being worked
        for step, days in ((13, 2), (14, 5)):
            t = mql + days * DAY
            t = business_time(g, day_index(t), user_tz[owner])
            keep = (t < end) & (t <= AS_OF) & (t > mql + 60)
            acts.add(who[keep], b"", b"", owner[keep], t[keep], EMAIL, step, True, mql[keep])
        # genuine follow-ups after the first action
        n = g.poisson(1.8, has.sum())
        idx = np.repeat(np.flatnonzero(has), n)
        lo, hi = first[idx] + 300, np.maximum(first[idx] + 600, end[idx])
        t = lo + (g.random(idx.shape[0]) * (hi - lo)).astype(np.int64)
        t = _snap(g, t, user_tz[owner[idx]], lo, np.minimum(hi, AS_OF))
        keep = t <= AS_OF
        idx, t = idx[keep], t[keep]
        kind = g.choice([CALL, EMAIL], idx.shape[0], p=[0.5, 0.5])
        subj = np.where(kind == CALL, g.choice(_CALL_S, idx.shape[0]), g.choice(_EMAIL_S, idx.shape[0]))
        acts.add(who[idx], b"", b"", owner[idx], t, kind, subj, False, mql[idx])
    # --- opportunities ---------------------------------------------------------------------
    if ch.opp_work:
        ow = ch.opp_work
        opp = _arr(ow, 0, "S18")
        acc = _arr(ow, 1, "S18")
        who = _arr(ow, 2, "S18")
        owner = _arr(ow, 3, np.int64)
        lo = _arr(ow, 4, np.int64)
        hi = np.maximum(_arr(ow, 5, np.int64), lo + 3600)
        n = _arr(ow, 6, np.int64)
        # discovery meeting a few days after creation
        t = business_time(g, day_index(lo) + g.integers(1, 6, lo.shape[0]), user_tz[owner])
        t = np.minimum(np.maximum(t, lo + 1800), np.minimum(hi, AS_OF))
        acts.add(who, opp, acc, owner, t, MEETING, 22, False, lo)
        idx = np.repeat(np.arange(opp.shape[0]), np.maximum(0, n - 1))
        m = idx.shape[0]
        t = lo[idx] + (g.random(m) * (hi[idx] - lo[idx])).astype(np.int64)
        t = _snap(g, t, user_tz[owner[idx]], lo[idx], np.minimum(hi[idx], AS_OF))
        kind = g.choice([CALL, EMAIL, MEETING, TASK], m, p=[0.3, 0.42, 0.18, 0.1])
        auto = (kind == EMAIL) & (g.random(m) < 0.08)
        subj = np.select(
            [kind == CALL, kind == MEETING, kind == TASK, auto],
            [g.choice(_CALL_S, m), g.choice(_MEET_OPP, m), g.choice(_TASK_S, m), np.full(m, 17)],
            g.choice(_EMAIL_S, m),
        )
        acts.add(who[idx], opp[idx], acc[idx], owner[idx], t, kind, subj, auto, lo[idx])
    # --- prospecting on contacts ---------------------------------------------------------
    if ch.prospect_work:
        pw = ch.prospect_work
        who = _arr(pw, 0, "S18")
        acc = _arr(pw, 1, "S18")
        owner = _arr(pw, 2, np.int64)
        lo = _arr(pw, 3, np.int64)
        hi = np.maximum(_arr(pw, 4, np.int64), lo + 3600)
        n = _arr(pw, 5, np.int64)
        share = _arr(pw, 6, np.float64)
        idx = np.repeat(np.arange(who.shape[0]), n)
        m = idx.shape[0]
        span = np.minimum(hi[idx] - lo[idx], 120 * DAY)
        t = lo[idx] + (g.random(m) ** 1.5 * span).astype(np.int64)
        t = _snap(g, t, user_tz[owner[idx]], lo[idx], np.minimum(hi[idx], AS_OF))
        auto = g.random(m) < share[idx]
        kind = np.where(auto, EMAIL, g.choice([CALL, EMAIL], m, p=[0.55, 0.45]))
        subj = np.where(
            auto, g.choice([15, 16], m), np.where(kind == CALL, g.choice(_CALL_S, m), g.choice(_EMAIL_S, m))
        )
        keep = t <= AS_OF
        acts.add(
            who[idx][keep],
            acc[idx][keep],
            acc[idx][keep],
            owner[idx][keep],
            t[keep],
            kind[keep],
            subj[keep],
            auto[keep],
            lo[idx][keep],
        )
    # --- customer success ----------------------------------------------------------------
    cs = [
        (acc.id, acc.contacts[0][0] if acc.contacts else "", csm, start, min(AS_OF, churn or AS_OF))
        for acc, start, churn, _s, _f, csm, _e in ch.customers
    ]
    if cs:
        acc = _arr(cs, 0, "S18")
        who = _arr(cs, 1, "S18")
        owner = _arr(cs, 2, np.int64)
        lo = _arr(cs, 3, np.int64)
        hi = np.maximum(_arr(cs, 4, np.int64), lo + 3600)
        months = (hi - lo) / (30 * DAY)
        n = g.poisson(months * 1.1)
        idx = np.repeat(np.arange(acc.shape[0]), n)
        m = idx.shape[0]
        t = lo[idx] + (g.random(m) * (hi[idx] - lo[idx])).astype(np.int64)
        t = _snap(g, t, user_tz[owner[idx]], lo[idx], hi[idx])
        kind = g.choice([MEETING, CALL, EMAIL], m, p=[0.35, 0.25, 0.4])
        subj = np.select(
            [kind == MEETING, kind == CALL], [g.choice(_MEET_CS, m), g.choice(_CALL_S, m)], g.choice(_EMAIL_S, m)
        )
        acts.add(who[idx], acc[idx], acc[idx], owner[idx], t, kind, subj, False, lo[idx])
    if ch.won:
        _kickoffs(ch, acts, user_tz)
    a = acts.concat()
    if a is None:
        return None, None
    order = np.lexsort((a["t"], a["who"]))
    a = {k: v[order] for k, v in a.items()}
    user_ids = np.array([u.id.encode() for u in team.users], dtype="S18")
    is_event = a["kind"] == MEETING
    return _tasks(ch, {k: v[~is_event] for k, v in a.items()}, user_ids), _events(
        ch, {k: v[is_event] for k, v in a.items()}, user_ids
    )


def _kickoffs(ch: Chunk, acts: _Acts, tz: np.ndarray) -> None:
    """The CSM's onboarding kickoff after each new customer's close (the Sales -> CS handoff's action).

    Most are held within two days of the close; a quarter within the week after; the rest weeks
    late. Drawn from their own stream so the rest of the company stays as it was.
    """
    g = np.random.default_rng([ch.w.seed, ch.index, 29])
    acc = np.array([a.id.encode() for a, _c, _m in ch.won], dtype="S18")
    who = np.array([(a.contacts[0][0] if a.contacts else "").encode() for a, _c, _m in ch.won], dtype="S18")
    close = np.array([c for _a, c, _m in ch.won], dtype=np.int64)
    csm = np.array([m for _a, _c, m in ch.won], dtype=np.int64)
    band = g.choice(3, acc.shape[0], p=[0.55, 0.25, 0.2])
    lo_h, hi_h = np.array([1, 48, 168])[band], np.array([30, 168, 720])[band]
    t = close + ((lo_h + g.random(acc.shape[0]) * (hi_h - lo_h)) * 3600).astype(np.int64)
    keep = t <= AS_OF
    t = _snap(g, t[keep], tz[csm[keep]], close[keep] + 3600, np.full(int(keep.sum()), AS_OF))
    acts.add(who[keep], acc[keep], acc[keep], csm[keep], t, MEETING, _KICKOFF, False, close[keep])


def _tasks(ch: Chunk, a: dict[str, np.ndarray], user_ids: np.ndarray) -> dict[str, object] | None:
    g = ch.g
    n = len(a["t"])
    if n == 0:
        return None
    ids = ch.w.ids.block("00T", n)
    kind = a["kind"]
    t = a["t"]
    created = t + np.where(a["auto"], 0, g.integers(0, 180, n))
    duration = np.where((kind == CALL) & (a["subject"] != 3), g.integers(45, 1800, n), np.where(kind == CALL, 20, 0))
    return {
        "Id": bytes_col(ids),
        "WhoId": bytes_col(a["who"]),
        "WhatId": bytes_col(a["what"]),
        "AccountId": bytes_col(a["account"]),
        "OwnerId": bytes_col(user_ids[a["owner"]]),
        "Subject": pick(SUBJECTS, a["subject"]),
        "Type": pick(["Call", "Email", "Other"], kind),
        "TaskSubtype": pick(["Call", "Email", "Task"], kind),
        "Status": pick(["Completed"], np.zeros(n)),
        "Priority": pick(["Normal", "High"], (g.random(n) < 0.1).astype(np.int64)),
        "ActivityDate": format_times(t, "date"),
        "CompletedDateTime": format_times(t, "sf"),
        "CallDurationInSeconds": ints(duration, mask=kind != CALL),
        "Is_Automated__c": bools(a["auto"]),
        "CreatedDate": format_times(created, "sf"),
        "LastModifiedDate": format_times(created + 60, "sf"),
    }


def _events(ch: Chunk, a: dict[str, np.ndarray], user_ids: np.ndarray) -> dict[str, object] | None:
    g = ch.g
    n = len(a["t"])
    if n == 0:
        return None
    ids = ch.w.ids.block("00U", n)
    t = a["t"]
    dur = g.choice([30, 45, 60, 60, 90], n)
    booked = np.maximum(a["lo"], t - g.integers(HOUR, 6 * DAY, n))
    booked = np.minimum(booked, t)
    return {
        "Id": bytes_col(ids),
        "WhoId": bytes_col(a["who"]),
        "WhatId": bytes_col(a["what"]),
        "AccountId": bytes_col(a["account"]),
        "OwnerId": bytes_col(user_ids[a["owner"]]),
        "Subject": pick(SUBJECTS, a["subject"]),
        "Type": pick(["Meeting"], np.zeros(n)),
        "StartDateTime": format_times(t, "sf"),
        "EndDateTime": format_times(t + dur * 60, "sf"),
        "ActivityDate": format_times(t, "date"),
        "DurationInMinutes": ints(dur),
        "Is_Automated__c": bools(np.zeros(n, dtype=bool)),
        "CreatedDate": format_times(booked, "sf"),
        "LastModifiedDate": format_times(np.maximum(booked, t - HOUR), "sf"),
    }
