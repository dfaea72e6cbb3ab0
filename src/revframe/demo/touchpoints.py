"""Marketing touchpoints as Salesforce CampaignMember rows, expanded from work lists with numpy.

A lead's touches all happen between its first touch (which created it) and its conversion; once a
lead converts, its campaign memberships carry the converted contact's id too (as Salesforce does).
One person has at most one membership per campaign (the first touch wins).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from revframe.demo.campaigns import ALWAYS_ON, CHANNELS
from revframe.demo.config import AS_OF, DAY, HOUR
from revframe.demo.encode import bools, bytes_col, format_times, pick

if TYPE_CHECKING:
    from revframe.demo.company import Chunk

_CH = list(CHANNELS)
_TOUCH_W = np.array([0.2, 0.16, 0.12, 0.14, 0.16, 0.03, 0.12, 0.04, 0.03])
_FALLBACK = ALWAYS_ON.index("content")


def build(ch: Chunk, converted: dict[bytes, bytes]) -> dict[str, object] | None:
    """CampaignMember columns of a chunk; ``converted`` maps lead id -> contact id."""
    g = ch.g
    book = ch.w.book
    leads, contacts, camps, times = [], [], [], []
    if ch.touch_fixed:
        tf = ch.touch_fixed
        leads.append(np.array([x[0] for x in tf], dtype="S18"))
        contacts.append(np.array([x[1] for x in tf], dtype="S18"))
        camps.append(np.array([x[2] for x in tf], dtype=np.int64))
        times.append(np.array([x[3] for x in tf], dtype=np.int64))
    if ch.touch_random:
        tr = ch.touch_random
        lo = np.array([x[3] for x in tr], dtype=np.int64)
        hi = np.array([x[4] for x in tr], dtype=np.int64)
        n = np.array([x[5] for x in tr], dtype=np.int64)
        n = np.where(hi > lo, n, 0)
        idx = np.repeat(np.arange(len(tr)), n)
        m = idx.shape[0]
        lo_i, hi_i = lo[idx], hi[idx]
        t = lo_i + (g.random(m) * (hi_i - lo_i)).astype(np.int64)
        region = np.array([x[2] for x in tr], dtype=np.int64)[idx]
        chan = g.choice(len(_CH), m, p=_TOUCH_W / _TOUCH_W.sum())
        camp = np.full(m, -1, dtype=np.int64)
        is_event = chan >= len(ALWAYS_ON)
        if book.event_time.shape[0]:
            j = np.clip(np.searchsorted(book.event_time, t), 0, book.event_time.shape[0] - 1)
            j_prev = np.clip(j - 1, 0, None)
            pick_prev = np.abs(book.event_time[j_prev] - t) < np.abs(book.event_time[j] - t)
            j = np.where(pick_prev, j_prev, j)
            et = book.event_time[j] + g.integers(0, 2 * HOUR, m)
            ok = is_event & (et >= lo_i) & (et <= hi_i)
            camp[ok] = book.event_idx[j[ok]]
            t = np.where(ok, et, t)
        rest = camp < 0
        ao_ch = np.where(is_event, _FALLBACK, chan)
        q = book.quarter_of(t)
        camp[rest] = book.always_on[q[rest], ao_ch[rest], region[rest]]
        leads.append(np.array([x[0] for x in tr], dtype="S18")[idx])
        contacts.append(np.array([x[1] for x in tr], dtype="S18")[idx])
        camps.append(camp)
        times.append(t)
    if not leads:
        return None
    lead = np.concatenate(leads)
    contact = np.concatenate(contacts)
    camp = np.concatenate(camps)
    t = np.concatenate(times)
    if converted:
        keys = np.array(list(converted), dtype="S18")
        vals = np.array(list(converted.values()), dtype="S18")
        order = np.argsort(keys)
        keys, vals = keys[order], vals[order]
        pos = np.clip(np.searchsorted(keys, lead), 0, keys.shape[0] - 1)
        hit = (lead != b"") & (keys[pos] == lead)
        contact = np.where(hit & (contact == b""), vals[pos], contact)
    person = np.where(lead != b"", lead, contact)
    # one membership per person and campaign: keep the earliest
    order = np.lexsort((t, camp, person))
    person, camp, t, lead, contact = person[order], camp[order], t[order], lead[order], contact[order]
    first = np.ones(person.shape[0], dtype=bool)
    first[1:] = (person[1:] != person[:-1]) | (camp[1:] != camp[:-1])
    person, camp, t, lead, contact = person[first], camp[first], t[first], lead[first], contact[first]
    order = np.lexsort((t, person))
    camp, t, lead, contact = camp[order], t[order], lead[order], contact[order]
    n = t.shape[0]
    chan = book.channel_code[camp]
    statuses = [CHANNELS[c][2] for c in _CH]
    types = [CHANNELS[c][1] for c in _CH]
    status_code = np.where((chan == _CH.index("webinar")) & (g.random(n) < 0.35), len(statuses), chan)
    ids = ch.w.ids.block("00v", n)
    return {
        "Id": bytes_col(ids),
        "CampaignId": bytes_col(book.ids[camp]),
        "LeadId": bytes_col(lead),
        "ContactId": bytes_col(contact),
        "Status": pick(statuses + ["Registered"], status_code),
        "HasResponded": bools(np.ones(n, dtype=bool)),
        "FirstRespondedDate": format_times(t, "date"),
        "Channel__c": pick(_CH, chan),
        "Touchpoint_Type__c": pick(types, chan),
        "CreatedDate": format_times(t, "sf"),
        "LastModifiedDate": format_times(np.minimum(t + g.integers(0, 30 * DAY, n), AS_OF), "sf"),
    }
