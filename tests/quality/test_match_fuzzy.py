"""The fuzzy company-name pass searches length-bounded blocks: the same answer as scoring every key of the blocks."""

from __future__ import annotations

import random

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from revframe.quality.match import MIN_FUZZY_KEY, Account, AccountMatcher, name_key

SURNAMES = ["Smith", "Jones", "Müller", "Garcia", "Nakamura", "Okafor", "Rossi", "Dubois", "Kowalski", "Chen"]
ROOTS = ["North", "Blue", "Iron", "Silver", "Bright", "Clear", "Swift", "Stone"]
SECOND = ["wave", "field", "path", "gate", "point", "bridge", "line", "peak"]
NOUNS = ["Analytics", "Systems", "Consulting", "Logistics", "Health", "Retail", "Engineering", "Holdings"]
CJK = ["トヨタ", "トヨタ自動車", "ソニーグループ", "三菱商事", "삼성전자", "현대자동차", "阿里巴巴", "腾讯控股"]


def reference_most_similar(matcher: AccountMatcher, key: str) -> tuple[str, float] | None:
    """The matcher's fuzzy search as it was: every key sharing the first or last three characters, sorted."""
    blocks: dict[str, set[str]] = {}
    for k in matcher._by_key:
        if len(k) >= 3:
            blocks.setdefault("^" + k[:3], set()).add(k)
            blocks.setdefault(k[-3:] + "$", set()).add(k)
    choices = sorted(blocks.get("^" + key[:3], set()) | blocks.get(key[-3:] + "$", set()))
    threshold = matcher.settings.fuzzy_threshold
    scored = process.extract(
        key,
        choices,
        scorer=Levenshtein.normalized_similarity,
        score_cutoff=min(threshold, 1 - 1 / len(key)) - 0.01,
        limit=None,
    )
    accepted = [(-s, c) for c, s, _ in scored if s >= threshold or Levenshtein.distance(key, c) == 1]
    if not accepted:
        return None
    similarity, best = min(accepted)
    return best, round(-similarity, 4)


def accounts(n: int, seed: int) -> list[Account]:
    r = random.Random(seed)
    out = []
    for i in range(n):
        name = f"{r.choice(SURNAMES)} {r.choice(ROOTS)}{r.choice(SECOND)} {r.choice(NOUNS)}"
        if i % 7 == 0:
            name = f"{r.choice(SURNAMES)} {r.choice(NOUNS)}"  # short names: lengths near the leads'
        if i % 11 == 0:
            name = r.choice(CJK) + r.choice(["", "株式会社", "ホールディングス"])
        out.append(Account(f"sf:{i}", name, domain=f"d{i}.example", country=r.choice(["US", "DE", "JP", None])))
    return out


def edits(key: str, r: random.Random) -> str:
    chars = list(key)
    for _ in range(r.choice([0, 1, 1, 2, 3, 5])):
        op, at = r.random(), r.randrange(len(chars) + 1)
        if op < 0.33:
            chars.insert(at, r.choice("abcdefghijklmnopqrstuvwxyzトヨ"))
        elif op < 0.66 and at < len(chars):
            del chars[at]
        elif at < len(chars):
            chars[at] = r.choice("abcdefghijklmnopqrstuvwxyz")
    return "".join(chars)


def test_fast_fuzzy_search_equals_scoring_every_key_of_the_blocks() -> None:
    matcher = AccountMatcher(accounts(3000, 1))
    r = random.Random(2)
    keys = list(matcher._by_key)
    probes = [edits(r.choice(keys), r) for _ in range(3000)]
    probes += [name_key(f"{s} {n}") for s in SURNAMES for n in NOUNS]  # a lead's company with no account
    probes += [k[: max(MIN_FUZZY_KEY, len(k) // 2)] for k in keys[:200]] + [k + "groupinc" for k in keys[:200]]
    probes = [p for p in probes if len(p) >= MIN_FUZZY_KEY]
    found = 0
    for p in probes:
        expected = reference_most_similar(matcher, p)
        assert matcher._most_similar_key(p) == expected, p
        found += expected is not None
    assert 300 < found < len(probes)  # both outcomes are exercised


def test_fast_match_equals_full_match_on_leads() -> None:
    """Whole records: exact passes, no-account companies, free mail, CJK names; the fuzzy pass either way."""
    accs = accounts(2000, 3)
    fast = AccountMatcher(accs, system_of_record="sf")
    slow = AccountMatcher(accs, system_of_record="sf")
    slow._most_similar_key = lambda key: reference_most_similar(slow, key)  # type: ignore[method-assign]
    r = random.Random(4)
    records = []
    for i in range(1500):
        a = r.choice(accs)
        pick = r.random()
        company = a.name if pick < 0.3 else edits(a.name or "x", r) if pick < 0.6 else f"{r.choice(SURNAMES)} Labs"
        domain = a.domain if r.random() < 0.2 else r.choice(["gmail.com", "yahoo.co.jp", f"new{i}.example"])
        country = r.choice(["US", "JP"])
        records.append({"id": f"c{i}", "email": f"p{i}@{domain}", "company": company, "country": country})
    records += [{"id": "cjk", "email": "taro@gmail.com", "company": "トヨタ自動車株式会社", "country": "JP"}]
    for rec in records:
        assert fast.evaluate(rec) == slow.evaluate(rec), rec
