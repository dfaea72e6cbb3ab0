"""Record ids: Salesforce 18-character ids with real key prefixes, HubSpot numeric ids, Stripe ids."""

from __future__ import annotations

import numpy as np

from revframe.demo.encode import sf_ids

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHK = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
#: key prefixes of the Salesforce objects the demo writes
PREFIXES = ("005", "001", "003", "00Q", "006", "008", "00T", "00U", "701", "00v")


def sf_id(prefix: str, counter: int) -> str:
    """One Salesforce id (same algorithm as the vectorized :func:`revframe.demo.encode.sf_ids`)."""
    digits = []
    v = counter
    for _ in range(9):
        digits.append(_B62[v % 62])
        v //= 62
    body = prefix + "8d0" + "".join(reversed(digits))
    suffix = []
    for chunk in range(3):
        bits = 0
        for j in range(5):
            c = body[chunk * 5 + j]
            if "A" <= c <= "Z":
                bits |= 1 << j
        suffix.append(_CHK[bits])
    return body + "".join(suffix)


def base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        out.append(_B62[n % 62])
        n //= 62
    return "".join(reversed(out))


class IdBook:
    """Sequential id counters per Salesforce object and per other system (deterministic)."""

    def __init__(self, seed: int) -> None:
        base = 62**5 * (3 + seed % 11)
        self.sf = {p: base + i * 7_919 for i, p in enumerate(PREFIXES)}
        self.hs = {
            "contact": 1_001 + seed % 97 * 1000,
            "company": 5_000_000_000 + seed % 89 * 10_000,
            "deal": 9_000_000_000 + seed % 83 * 10_000,
        }
        self.other = {"sub": 1, "ticket": 1_000 + seed % 500, "milestone": 1, "cus": 1}
        self._mult = 2_654_435_761 + 2 * seed

    def new(self, prefix: str) -> str:
        c = self.sf[prefix]
        self.sf[prefix] = c + 1
        return sf_id(prefix, c)

    def block(self, prefix: str, n: int) -> np.ndarray:
        """n consecutive ids as a numpy S18 array."""
        c = self.sf[prefix]
        self.sf[prefix] = c + n
        return sf_ids(prefix, c, n)

    def hubspot(self, kind: str) -> str:
        c = self.hs[kind]
        self.hs[kind] = c + (1 if kind != "contact" else 50)
        return str(c)

    def stripe(self, kind: str) -> str:
        c = self.other[kind]
        self.other[kind] = c + 1
        v = ((c + self._mult) * 0x9E3779B97F4A7C15) % 2**64
        w = ((c * 31 + self._mult) * 0xC2B2AE3D27D4EB4F) % 2**64
        return f"{kind}_{base62(v % 62**8, 8)}{base62(w % 62**6, 6)}"

    def counter(self, kind: str) -> int:
        c = self.other[kind]
        self.other[kind] = c + 1
        return c
