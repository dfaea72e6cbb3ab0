"""Lead-to-account matching: one matcher for the batch (``revframe quality match``) and for routing.

Each person without an account (a lead, or an orphan contact) is matched to an existing account by
four passes, strongest first:

1. ``email_domain``: the registered domain of the email equals an account's domain or website domain
   (free-mail providers from the spec never match);
2. ``website``: the registered domain of the person's website, the same way;
3. ``company_name``: the company name's key (legal form removed by cleanco, case and Latin accents
   folded, punctuation and spaces dropped) equals an account name's key;
4. ``fuzzy_name``: only when nothing above matched, the most similar account name key (rapidfuzz
   ratio at or above the spec's ``fuzzy_threshold``), searched among names sharing the first or
   last three characters of the key.

Confidence depends on the pass and on whether the person's country agrees with the account's
(:data:`CONFIDENCE`); another pass pointing at the same account adds :data:`CORROBORATION`, one
pointing at a different account takes :data:`CONFLICT` off. When several accounts are equally good,
a documented tie-break picks one and the reason says which rule decided (:meth:`AccountMatcher.rank`).

Examples:
    >>> matcher = AccountMatcher([Account("sf:1", "Acme Inc.", domain="acme.com", country="US")])
    >>> m = matcher.match_one({"email": "jane.doe+news@eu.acme.com", "country": "United States"})
    >>> m.account_id, m.method, m.confidence
    ('sf:1', 'email_domain', 0.98)
    >>> m.reason
    'email domain acme.com = account domain; country US agrees'
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from revframe.framework.dedup import AccountMatching
from revframe.ingest import normalize as nz
from revframe.quality.names import name_key
from revframe.store import Store

if TYPE_CHECKING:
    from revframe.framework import Spec

Method = Literal["email_domain", "website", "company_name", "fuzzy_name"]
METHODS: tuple[Method, ...] = ("email_domain", "website", "company_name", "fuzzy_name")
CountryFit = Literal["agrees", "unknown", "differs"]

CONFIDENCE: dict[Method, dict[CountryFit, float]] = {
    "email_domain": {"agrees": 0.98, "unknown": 0.95, "differs": 0.85},
    "website": {"agrees": 0.95, "unknown": 0.90, "differs": 0.80},
    "company_name": {"agrees": 0.85, "unknown": 0.70, "differs": 0.50},
    "fuzzy_name": {"agrees": 0.85, "unknown": 0.70, "differs": 0.50},  # times the name similarity
}
"""Confidence of a match by pass and country agreement (fuzzy: multiplied by the similarity, 0-1)."""
CORROBORATION = 0.02
"""Added for each other pass that points at the same account (the total is capped at 0.99)."""
CONFLICT = 0.05
"""Taken off for each other pass that points at a different account."""
MIN_FUZZY_KEY = 5
"""A company name key shorter than this is never matched fuzzily: one letter off "Acme" is "Acne"."""

_TIE_RULES = (
    "country (none in another country)",
    "system of record for accounts",
    "account type (customers first)",
    "most contacts and opportunities",
    "oldest",
    "id",
)
_TYPE_RANK = {"customer": 0, "partner": 1, "former customer": 2, "prospect": 3}


# --- normalization ------------------------------------------------------------------------------------


_AT_SPELLED = re.compile(r"\s*[(\[]at[)\]]\s*|\s+at\s+", re.IGNORECASE)


def email_domain(email: str | None) -> str | None:
    """Registered domain of an email, also read from common typing slips ("x(at)acme.com", "x @acme.com.").

    Examples:
        >>> email_domain("Jane.Doe+news@mail.Acme.co.uk"), email_domain("jd(at)acme.com"), email_domain("jd")
        ('acme.co.uk', 'acme.com', None)
    """
    if not email:
        return None
    v = _AT_SPELLED.sub("@", email.strip()).lower()
    if "@" not in v:
        return None
    host = re.sub(r"\s+", "", v.rsplit("@", 1)[1]).strip(".")
    return nz.registered_domain(host) if host else None


def website_domain(website: str | None) -> str | None:
    """Registered domain of a website or bare domain (``https://www.Acme.com/x`` → ``acme.com``)."""
    if not website or not website.strip():
        return None
    return nz.registered_domain(nz.url_host(website))


def country_code(country: str | None) -> str | None:
    """ISO alpha-2 for a code or a country name; None when empty or unknown."""
    return nz.country_code(country) if country and country.strip() else None


# --- the matcher -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """What the matcher knows of one account.

    Attributes:
        id: canonical account id.
        name: account name as stored.
        domain: registered domain.
        website: website as stored (its registered domain is matched too).
        country: ISO alpha-2.
        source_system: the system the account came from (tie-break: the system of record wins).
        type: prospect, customer, partner, former customer (tie-break: customers first).
        activity: contacts plus opportunities on the account (tie-break: most first).
        created_at: when the account was created (tie-break: oldest first).
    """

    id: str
    name: str | None = None
    domain: str | None = None
    website: str | None = None
    country: str | None = None
    source_system: str | None = None
    type: str | None = None
    activity: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class Match:
    """A person matched to an account, with how sure the matcher is and why."""

    contact_id: str | None
    account_id: str
    confidence: float
    method: Method
    reason: str


@dataclass(frozen=True)
class NoMatch:
    """A person the matcher could not match (or not surely enough), and why."""

    contact_id: str | None
    reason: str
    below_min_confidence: Match | None = None


@dataclass
class _Hit:
    method: Method
    accounts: list[Account]
    evidence: str  # "email domain acme.com = account domain"
    similarity: float = 1.0


@dataclass
class _Person:
    contact_id: str | None
    domain: str | None
    website: str | None
    name: str | None
    key: str
    country: str | None
    notes: list[str] = field(default_factory=list)


class AccountMatcher:
    """Matches people to accounts; build it once from the accounts, then match one record or many.

    Args:
        accounts: the accounts to match against (see :meth:`from_store`).
        settings: the spec's ``dedup.account_matching`` block (defaults when omitted).
        system_of_record: the system of record for accounts (tie-break), e.g. ``"salesforce"``.

    Examples:
        >>> matcher = AccountMatcher([Account("sf:1", "Société Générale", country="FR")])
        >>> matcher.match_one({"company": "Societe Generale SA", "country": "FR"}).confidence
        0.85
        >>> matcher.evaluate({"email": "x@gmail.com", "company": "Inc."}).reason
        "email domain gmail.com is a free-mail provider; company 'Inc.' is only a legal form, nothing to match"
    """

    def __init__(
        self,
        accounts: Iterable[Account],
        settings: AccountMatching | None = None,
        system_of_record: str | None = None,
    ) -> None:
        self.settings = settings or AccountMatching()
        self.system_of_record = system_of_record
        self.free_mail = frozenset(self.settings.free_mail_domains)
        self.accounts: dict[str, Account] = {a.id: a for a in accounts}
        self._by_domain: dict[str, list[Account]] = defaultdict(list)
        self._by_key: dict[str, list[Account]] = defaultdict(list)
        for a in self.accounts.values():
            for d in {a.domain, website_domain(a.website)} - {None}:
                self._by_domain[str(d)].append(a)
            key = name_key(a.name)
            if key:
                self._by_key[key].append(a)
        # fuzzy blocks: the keys sharing the first or the last three characters, by length (a key
        # whose length is too far from the searched one cannot be similar enough: never scored)
        blocks: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for key in self._by_key:
            if len(key) >= 3:
                blocks["^" + key[:3]][len(key)].append(key)
                blocks[key[-3:] + "$"][len(key)].append(key)
        self._blocks: dict[str, dict[int, list[str]]] = {b: dict(by_len) for b, by_len in blocks.items()}
        self._fuzzy_cache: dict[str, tuple[str, float] | None] = {}

    @classmethod
    def from_store(cls, store: Store, spec: Spec | None = None) -> AccountMatcher:
        """Build the matcher from every account in ``store`` (merged-away accounts are gone from it).

        Args:
            store: the canonical store.
            spec: the framework: its ``dedup.account_matching`` settings and its system of record
                for accounts (the first tie-break); defaults when omitted.
        """
        rows = store.query(
            "SELECT a.id, a.name, a.domain, a.website, a.country, a.source_system, a.type, "
            "coalesce(c.n, 0) + coalesce(o.n, 0), a.created_at FROM accounts AS a "
            "LEFT JOIN (SELECT account_id, count(*) AS n FROM contacts WHERE account_id IS NOT NULL "
            "GROUP BY account_id) AS c ON c.account_id = a.id "
            "LEFT JOIN (SELECT account_id, count(*) AS n FROM opportunities WHERE account_id IS NOT NULL "
            "GROUP BY account_id) AS o ON o.account_id = a.id"
        )
        accounts = (Account(r[0], r[1], r[2], r[3], country_code(r[4]), r[5], r[6], int(r[7] or 0), r[8]) for r in rows)
        settings = spec.dedup.account_matching if spec and spec.dedup else None
        system = spec.system_of_record("accounts") if spec else None
        return cls(accounts, settings, system.id if system else None)

    # --- one record -------------------------------------------------------------------------------
    def match_one(self, record: Mapping[str, Any]) -> Match | None:
        """Match one person (what routing calls for each new lead); None when no account is sure enough.

        Args:
            record: raw-ish fields: ``email``, ``company``, ``website``, ``country`` (a code or a
                name), and optionally ``id`` (or ``contact_id``) and ``email_domain``.

        Returns:
            The match at or above the spec's ``min_confidence``, or None (:meth:`evaluate` says why).
        """
        result = self.evaluate(record)
        return result if isinstance(result, Match) else None

    def evaluate(self, record: Mapping[str, Any]) -> Match | NoMatch:
        """Match one person and say why not when there is no sure match."""
        person = self._person(record)
        hits = self._exact_hits(person)
        if not hits and not self.accounts:
            return NoMatch(person.contact_id, "no accounts to match against")
        if not hits and len(person.key) >= MIN_FUZZY_KEY:
            hits = self._fuzzy_hits(person)
        if not hits:
            return NoMatch(person.contact_id, "; ".join(person.notes) or "no email domain, website or company name")
        match = self._decide(person, hits)
        if match.confidence < self.settings.min_confidence:
            why = f"best match {match.account_id} ({match.reason}) has confidence {match.confidence:.2f}"
            return NoMatch(person.contact_id, f"{why}, below the minimum {self.settings.min_confidence:.2f}", match)
        return match

    # --- many records -----------------------------------------------------------------------------
    def match_all(self, store: Store) -> list[Match]:
        """Match every person in ``store`` without an account; the matches at or above ``min_confidence``."""
        return [r for r in self.evaluate_all(unmatched_people(store)) if isinstance(r, Match)]

    def evaluate_all(self, records: Iterable[Mapping[str, Any]]) -> list[Match | NoMatch]:
        """:meth:`evaluate` for each record, in order."""
        return [self.evaluate(r) for r in records]

    def account(self, account_id: str) -> Account:
        """The account with this id (KeyError when the matcher does not know it)."""
        return self.accounts[account_id]

    # --- passes -----------------------------------------------------------------------------------
    def _person(self, record: Mapping[str, Any]) -> _Person:
        email = record.get("email")
        domain = record.get("email_domain") or email_domain(email)
        site = website_domain(record.get("website"))
        company = record.get("company")
        p = _Person(
            record.get("id") or record.get("contact_id"),
            domain,
            site,
            company,
            name_key(company),
            country_code(record.get("country")),
        )
        if domain in self.free_mail:
            p.notes.append(f"email domain {domain} is a free-mail provider")
            p.domain = None
        elif email and not domain:
            p.notes.append(f"no domain in email {email!r}")
        if site in self.free_mail:
            p.notes.append(f"website {site} is a free-mail provider")
            p.website = None
        if company and company.strip() and not p.key:
            p.notes.append(f"company {company!r} is only a legal form, nothing to match")
        return p

    def _exact_hits(self, p: _Person) -> list[_Hit]:
        hits: list[_Hit] = []
        if p.domain:
            if found := self._by_domain.get(p.domain):
                hits.append(_Hit("email_domain", found, f"email domain {p.domain} = account domain"))
            else:
                p.notes.append(f"no account has domain {p.domain}")
        if p.website:
            if found := self._by_domain.get(p.website):
                hits.append(_Hit("website", found, f"website {p.website} = account domain"))
            else:
                p.notes.append(f"no account has domain {p.website}")
        if p.key:
            if found := self._by_key.get(p.key):
                hits.append(_Hit("company_name", found, f"company {p.name!r} = account {found[0].name!r}"))
            elif len(p.key) < MIN_FUZZY_KEY:
                p.notes.append(f"no account named like {p.name!r} (too short to match fuzzily)")
        return hits

    def _fuzzy_hits(self, p: _Person) -> list[_Hit]:
        if p.key not in self._fuzzy_cache:
            self._fuzzy_cache[p.key] = self._most_similar_key(p.key)
        found = self._fuzzy_cache[p.key]
        if found is None:
            p.notes.append(f"no account named like {p.name!r}")
            return []
        key, similarity = found
        accounts = self._by_key[key]
        evidence = f"company {p.name!r} ~ account {accounts[0].name!r} ({similarity:.0%} similar)"
        return [_Hit("fuzzy_name", accounts, evidence, similarity)]

    def _most_similar_key(self, key: str) -> tuple[str, float] | None:
        """The account name key most similar to ``key``, among keys sharing its first or last 3 characters.

        Accepted when the Levenshtein similarity (1 - edits / longer length) reaches ``fuzzy_threshold``, or when
        a single edit separates the keys (one typo in a short name); ties go to the smaller key.
        """
        threshold = self.settings.fuzzy_threshold
        cutoff = min(threshold, 1 - 1 / len(key)) - 0.01  # slack: rapidfuzz rounds a cutoff of exactly 0.8
        # Only lengths that can reach the cutoff: similarity = 1 - edits / longer length, and a length
        # difference of d is at least d edits. A key in both blocks is scored twice; the best is the same.
        n, choices = len(key), []
        for block in ("^" + key[:3], key[-3:] + "$"):
            for length, keys in self._blocks.get(block, {}).items():
                if abs(length - n) <= (1 - cutoff) * max(length, n) + 1e-9:
                    choices.extend(keys)
        scored = process.extract(
            key, choices, scorer=Levenshtein.normalized_similarity, score_cutoff=cutoff, limit=None
        )
        accepted = [(-s, c) for c, s, _ in scored if s >= threshold or Levenshtein.distance(key, c) == 1]
        if not accepted:
            return None
        similarity, best = min(accepted)
        return best, round(-similarity, 4)

    # --- deciding ---------------------------------------------------------------------------------
    def _decide(self, p: _Person, hits: list[_Hit]) -> Match:
        # every account a pass found, with the confidence of each pass that found it
        found: dict[str, Account] = {}
        by_pass: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for i, hit in enumerate(hits):
            for a in hit.accounts:
                found[a.id] = a
                fit = _country_fit(p.country, a.country)
                by_pass[a.id].append((round(CONFIDENCE[hit.method][fit] * hit.similarity, 6), i))
        strongest = {aid: max(c for c, _ in passes) for aid, passes in by_pass.items()}
        score = {aid: strongest[aid] + CORROBORATION * (len(by_pass[aid]) - 1) for aid in found}
        top_score = max(score.values())
        leader = self.rank([found[aid] for aid, s in score.items() if s == top_score], p.country)[0][0]
        # the leader's equals and its copies (another system's record of the same company) are one choice
        copies = [*found.values(), *self._by_domain.get(leader.domain or "", []), *self._by_key[name_key(leader.name)]]
        company = list(
            {a.id: a for a in copies if score.get(a.id) == top_score or self._same_company(leader, a)}.values()
        )
        ranked, rule = self.rank(company, p.country)
        chosen, members = ranked[0], {a.id for a in company}
        confidence, lead = max((c, -i) for c, i in by_pass[leader.id])
        parts = [hits[-lead].evidence, _country_text(p.country, chosen.country)]
        for i, other in enumerate(hits):
            if i == -lead:
                continue
            label = other.method.replace("_", " ")
            if any(a.id in members for a in other.accounts):
                confidence += CORROBORATION
                parts.append(f"{label} agrees")
            else:
                confidence -= CONFLICT
                parts.append(f"{label} points to {self.rank(other.accounts, p.country)[0][0].id} instead")
        if len(company) > 1:
            parts.append(f"{len(company)} accounts match (equally, or as copies of one company); chose by {rule}")
        parts.extend(n for n in p.notes if "free-mail" in n)
        method = hits[-lead].method
        return Match(p.contact_id, chosen.id, round(min(confidence, 0.99), 4), method, "; ".join(parts))

    def rank(self, accounts: Sequence[Account], country: str | None) -> tuple[list[Account], str]:
        """Order equally matching accounts best first, and name the rule that put the first first.

        An account in another country than the person's comes last; then the tie-break: the account
        from the system of record for accounts, a customer before a partner, former customer or
        prospect, the most contacts plus opportunities, the oldest, and finally the smallest id, so
        the same data always gives the same answer.
        """
        keys = {a.id: self._tie_key(a, country) for a in accounts}
        ranked = sorted(accounts, key=lambda a: keys[a.id])
        if len(ranked) == 1:
            return ranked, ""
        first, second = keys[ranked[0].id], keys[ranked[1].id]
        return ranked, _TIE_RULES[next(i for i in range(len(first)) if first[i] != second[i])]

    def _same_company(self, a: Account, b: Account) -> bool:
        """Two records of one company: the same domain, or (one has no domain) the same name in one country."""
        if a.domain and b.domain:
            return a.domain == b.domain
        same_name = bool(name_key(a.name)) and name_key(a.name) == name_key(b.name)
        return same_name and _country_fit(a.country, b.country) != "differs"

    def _tie_key(self, a: Account, country: str | None) -> tuple[Any, ...]:
        created = (
            a.created_at.astimezone(UTC).replace(tzinfo=None) if a.created_at and a.created_at.tzinfo else a.created_at
        )
        return (
            _country_fit(country, a.country) == "differs",
            not (self.system_of_record and a.source_system == self.system_of_record),
            _TYPE_RANK.get((a.type or "").casefold(), 4),
            -a.activity,
            (created is None, created or datetime.min),
            a.id,
        )


def _country_fit(person: str | None, account: str | None) -> CountryFit:
    if not person or not account:
        return "unknown"
    return "agrees" if person == account else "differs"


def _country_text(person: str | None, account: str | None) -> str:
    fit = _country_fit(person, account)
    if fit == "agrees":
        return f"country {person} agrees"
    if fit == "differs":
        return f"country {person} differs from the account's {account}"
    return "country unknown" if not person else "account has no country"


# --- batch -----------------------------------------------------------------------------------------

PEOPLE_COLUMNS = ("id", "external_id", "source_system", "record_type", "email", "email_domain", "company", "website")


def unmatched_people(store: Store) -> list[dict[str, Any]]:
    """Every person (lead or contact) in ``store`` without an account, as records :meth:`evaluate` reads."""
    cols = (*PEOPLE_COLUMNS, "country")
    rows = store.query(f"SELECT {', '.join(cols)} FROM contacts WHERE account_id IS NULL ORDER BY id")
    return [dict(zip(cols, r, strict=True)) for r in rows]


@dataclass
class MatchRun:
    """What one batch run did: its id, the matches written, and the people left unmatched."""

    run_id: str
    people: list[dict[str, Any]]
    matches: list[Match]
    unmatched: list[NoMatch]
    _people: dict[str | None, dict[str, Any]] | None = field(default=None, repr=False)

    def person(self, contact_id: str | None) -> dict[str, Any]:
        """The record of a matched or unmatched person, by contact id."""
        if self._people is None:
            self._people = {p["id"]: p for p in self.people}
        return self._people[contact_id]

    def counts_by_method(self) -> dict[str, int]:
        """Matches per method, in pass order (methods with no match show 0)."""
        counts: dict[str, int] = dict.fromkeys(METHODS, 0)
        for m in self.matches:
            counts[m.method] += 1
        return counts


def run_matching(store: Store, matcher: AccountMatcher, *, write: bool = True) -> MatchRun:
    """Match every person without an account and write the run's matches to ``account_matches``.

    One transaction; each run has a new ``run_id`` and earlier runs are kept.

    Args:
        store: the canonical store.
        matcher: built with :meth:`AccountMatcher.from_store` on the same store.
        write: False to compute without writing (a dry run).
    """
    people = unmatched_people(store)
    results = matcher.evaluate_all(people)
    matches = [r for r in results if isinstance(r, Match)]
    run = MatchRun(uuid.uuid4().hex[:12], people, matches, [r for r in results if isinstance(r, NoMatch)])
    if write and matches:
        now = datetime.now(UTC)
        rows = [(run.run_id, m.contact_id, m.account_id, m.confidence, m.method, m.reason, now) for m in matches]
        with store.transaction():
            store.insert_rows("account_matches", rows)
    return run
