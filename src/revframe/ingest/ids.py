"""The ids one file has staged so far, kept small: a 10-million-row export must not need gigabytes.

Each id is remembered as a 64-bit hash and its source line (16 bytes), in sorted numpy chunks. A hash
that matches is confirmed against the ids themselves, so a hash collision never refuses a row; in
that (one in ~10^13 for a million ids) case only the line the message points at could be another.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_MERGE_AT = 8  # chunks: merged into one when there are more, so lookups stay fast


class IdLedger:
    """Finds, for each id of a batch, the line of an earlier row of the same file with that id."""

    def __init__(self) -> None:
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, their lines)

    def earlier_lines(self, ids: list[str], lines: list[int], staged: Callable[[str], bool]) -> list[int | None]:
        """The first line of an earlier row with the same id (this batch or before), or None.

        Args:
            ids: the batch's ids, in file order.
            lines: their source lines.
            staged: whether an id is already staged (confirms a hash match with earlier batches).
        """
        n = len(ids)
        h = np.fromiter((hash(i) for i in ids), dtype=np.int64, count=n)
        first: list[int | None] = [None] * n
        for hashes, hash_lines in self.chunks:
            pos = np.minimum(np.searchsorted(hashes, h), len(hashes) - 1)
            for j in np.flatnonzero(hashes[pos] == h):
                if first[j] is None and staged(ids[j]):
                    first[j] = int(hash_lines[pos[j]])
        order = np.argsort(h, kind="stable")  # stable: equal hashes stay in file order
        sh = h[order]
        starts = np.flatnonzero(np.diff(sh) == 0)
        for k in starts:  # k and k+1 share a hash: compare the ids themselves
            a, b = int(order[k]), int(order[k + 1])
            if ids[a] == ids[b] and first[b] is None:
                first[b] = first[a] if first[a] is not None else lines[a]
            elif ids[a] != ids[b]:  # a collision inside the batch: look further back in the run
                for m in range(k - 1, -1, -1):
                    if sh[m] != sh[k + 1]:
                        break
                    c = int(order[m])
                    if ids[c] == ids[b] and first[b] is None:
                        first[b] = first[c] if first[c] is not None else lines[c]
                        break
        kept = np.array([f is None for f in first], dtype=bool)
        if kept.any():
            kh, kl = h[kept], np.asarray(lines, dtype=np.int64)[kept]
            o = np.argsort(kh, kind="stable")
            self.chunks.append((kh[o], kl[o]))
        if len(self.chunks) > _MERGE_AT:
            allh = np.concatenate([c[0] for c in self.chunks])
            alll = np.concatenate([c[1] for c in self.chunks])
            o = np.argsort(allh, kind="stable")
            self.chunks = [(allh[o], alll[o])]
        return first
