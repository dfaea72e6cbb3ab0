"""Journeys as flat arrays: every model reads them, none loops over journeys in Python.

A journey is the ordered touches before one conversion (or, for a path-file row, before a count of
conversions and non-conversions that share the path). Touches of all journeys sit in one array;
``offsets[j]:offsets[j+1]`` are journey ``j``'s touches, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from revframe.errors import UsageError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]


@dataclass
class Journeys:
    """Journeys of one conversion event, as arrays.

    Attributes:
        channels: channel names; ``channel`` holds indexes into it.
        offsets: ``n + 1`` touch offsets; journey ``j`` is ``offsets[j]:offsets[j+1]``.
        channel: per touch, its channel index.
        conversions: per journey, conversions it ends in (1 for a stored conversion; a path row's count).
        value: per journey, won amount in the company currency (0 when none).
        nulls: per journey, how many times the path ended without converting (Markov's null paths).
        days_before: per touch, days between the touch and the conversion (NaN: unknown, path files).
        lead_idx: per journey, the lead-creation touch's position (-1: place it by position).
        opp_idx: per journey, the opportunity-creation touch's position (-1: place it by position).
        conversion_id, journey_key: per journey, ids for the credits table.
        touch_id, campaign_id: per touch, ids (None for path files).
    """

    channels: list[str]
    offsets: IntArray
    channel: IntArray
    conversions: FloatArray
    value: FloatArray
    nulls: FloatArray
    days_before: FloatArray | None = None
    lead_idx: IntArray | None = None
    opp_idx: IntArray | None = None
    conversion_id: ObjArray | None = None
    journey_key: ObjArray | None = None
    touch_id: ObjArray | None = None
    campaign_id: ObjArray | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.offsets = np.asarray(self.offsets, dtype=np.int64)
        self.channel = np.asarray(self.channel, dtype=np.int64)
        if self.offsets.ndim != 1 or self.offsets[0] != 0 or self.offsets[-1] != self.channel.shape[0]:
            raise ValueError("offsets must start at 0 and end at the number of touches")
        if np.any(np.diff(self.offsets) < 1):
            raise UsageError("a journey has no touches: drop it or give it a touch (journeys need at least one)")

    @property
    def n(self) -> int:
        """Number of journeys."""
        return int(self.offsets.shape[0] - 1)

    @property
    def lengths(self) -> IntArray:
        return np.diff(self.offsets)

    @property
    def journey_of_touch(self) -> IntArray:
        return np.repeat(np.arange(self.n, dtype=np.int64), self.lengths)

    @property
    def position(self) -> IntArray:
        """Per touch, its 0-based place in its journey."""
        return np.arange(self.channel.shape[0], dtype=np.int64) - np.repeat(self.offsets[:-1], self.lengths)

    def subset(self, keep: npt.NDArray[np.bool_]) -> Journeys:
        """The journeys where ``keep`` is true (per journey), with their touches; channel names unchanged."""
        touch = keep[self.journey_of_touch]
        lengths = self.lengths[keep]

        def per_touch(a: npt.NDArray[Any] | None) -> npt.NDArray[Any] | None:
            return None if a is None else a[touch]

        def per_journey(a: npt.NDArray[Any] | None) -> npt.NDArray[Any] | None:
            return None if a is None else a[keep]

        return Journeys(
            channels=self.channels, offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            channel=self.channel[touch], conversions=self.conversions[keep], value=self.value[keep],
            nulls=self.nulls[keep], days_before=per_touch(self.days_before), lead_idx=per_journey(self.lead_idx),
            opp_idx=per_journey(self.opp_idx), conversion_id=per_journey(self.conversion_id),
            journey_key=per_journey(self.journey_key), touch_id=per_touch(self.touch_id),
            campaign_id=per_touch(self.campaign_id), notes=list(self.notes),
        )  # fmt: skip

    def paths(self) -> list[list[str]]:
        """Each journey's channel names, in order (for tests and explain)."""
        names = np.array(self.channels, dtype=object)
        return [list(names[self.channel[a:b]]) for a, b in zip(self.offsets[:-1], self.offsets[1:], strict=True)]


def from_paths(
    paths: list[list[str]],
    conversions: list[float] | FloatArray,
    value: list[float] | FloatArray | None = None,
    nulls: list[float] | FloatArray | None = None,
) -> Journeys:
    """Journeys from channel-name paths (tests, path files, the bench).

    Examples:
        >>> j = from_paths([["email", "search"], ["search"]], [1, 2])
        >>> j.channels, j.n
        (['email', 'search'], 2)
    """
    names = sorted({c for p in paths for c in p})
    index = {c: i for i, c in enumerate(names)}
    lengths = np.array([len(p) for p in paths], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    channel = np.array([index[c] for p in paths for c in p], dtype=np.int64)
    n = len(paths)
    conv = np.asarray(conversions, dtype=np.float64)
    return Journeys(
        channels=names,
        offsets=offsets,
        channel=channel,
        conversions=conv,
        value=np.zeros(n) if value is None else np.asarray(value, dtype=np.float64),
        nulls=np.zeros(n) if nulls is None else np.asarray(nulls, dtype=np.float64),
    )


def segment_sum(values: FloatArray, segment: IntArray, n: int) -> FloatArray:
    """Per segment (journey), the sum of ``values``."""
    return np.bincount(segment, weights=values, minlength=n).astype(np.float64)


def split_by_channel(j: Journeys, channel_weight: FloatArray) -> FloatArray:
    """Per touch, a share of its journey: channel ``c`` gets ``w[c]`` over the journey's distinct channels' sum.

    A channel's share is split evenly over its touches in the journey. A journey whose channels all
    weigh 0 is split evenly over its distinct channels. Used by Markov (removal effects) and Shapley (1 each).
    """
    jt = j.journey_of_touch
    k = len(j.channels)
    pair = jt * k + j.channel
    uniq, inverse, count = np.unique(pair, return_inverse=True, return_counts=True)
    pair_journey = uniq // k
    pair_w = channel_weight[uniq % k].astype(np.float64)
    total = segment_sum(pair_w, pair_journey, j.n)
    distinct = np.bincount(pair_journey, minlength=j.n).astype(np.float64)
    zero = total[pair_journey] <= 0
    share = np.where(zero, 1.0 / distinct[pair_journey], pair_w / np.where(zero, 1.0, total[pair_journey]))
    return (share / count)[inverse]
