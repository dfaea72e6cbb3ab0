"""Deduplication: match keys, probabilistic comparisons, thresholds, survivorship and merge rights."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from revframe.framework.base import Id, ObjectName, Share, SpecModel, invalid

Method = Literal["exact", "levenshtein", "jaro_winkler", "jaccard", "numeric"]
SurvivorshipRule = Literal["source_priority", "most_recent", "most_complete", "non_empty", "system_of_record"]


class MatchKey(SpecModel):
    """A deterministic key: records whose normalized values of all ``fields`` are equal are one record."""

    id: Id
    fields: list[str] = Field(min_length=1)
    description: str = ""


class Comparison(SpecModel):
    """A field the probabilistic matcher compares, and how (the similarity levels it distinguishes).

    The matcher learns how much each level weighs from the data itself (no labels needed), so the
    spec names fields and methods, not weights. ``first_name`` and ``last_name`` are compared
    together as the person's name (exact, swapped, nickname, similar by ``method``, same last name).
    """

    field: str
    method: Method
    weight: float | None = Field(default=None, gt=0)  # 0.1 specs: accepted and ignored (the model learns it)


class Thresholds(SpecModel):
    """Match probability (0-1) above which pairs merge automatically or go to human review."""

    auto_merge: Share
    review: Share


class Survivorship(SpecModel):
    """Which value survives a merge; ``source_priority`` needs ``systems`` in priority order."""

    rule: SurvivorshipRule
    systems: list[Id] = []

    @model_validator(mode="after")
    def _systems_given(self) -> Survivorship:
        if self.rule == "source_priority" and not self.systems:
            raise invalid(
                "rule source_priority needs the systems in priority order",
                "add systems: [salesforce, hubspot] (system ids, most trusted first)",
            )
        return self


class SurvivorshipRules(SpecModel):
    """A default survivorship rule plus per-field overrides."""

    default: Survivorship
    fields: dict[str, Survivorship] = {}


class ObjectDedup(SpecModel):
    """How one object is deduplicated."""

    match_keys: list[MatchKey] = []
    comparisons: list[Comparison] = []
    thresholds: Thresholds
    survivorship: SurvivorshipRules


FREE_MAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "live.com",
    "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.co.jp", "ymail.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.de", "gmx.net", "gmx.com",
    "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net",
    "libero.it", "virgilio.it", "mail.com", "zoho.com", "fastmail.com", "tutanota.com", "hey.com", "yandex.ru",
    "yandex.com", "mail.ru", "rambler.ru", "qq.com", "163.com", "126.com", "sina.com", "naver.com", "daum.net",
    "rediffmail.com", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "bol.com.br", "uol.com.br",
)  # fmt: skip
"""Consumer email providers: an address there says nothing about the company a person works for."""

_DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+$")


def _free_mail_domain(value: str) -> str:
    if not _DOMAIN_RE.match(value):
        raise invalid(
            f"'{value}' is not a lower-case email domain",
            "write the part after the @, lower-case, e.g. gmail.com",
        )
    return value


FreeMailDomain = Annotated[str, AfterValidator(_free_mail_domain)]


class AccountMatching(SpecModel):
    """Lead-to-account matching: which email domains never identify a company, and how sure a match must be.

    ``revframe quality match`` and routing use one matcher (``revframe.quality.match``): email domain,
    then website, then normalized company name, then a fuzzy name; ``docs/quality/match.md`` has the
    confidence model.
    """

    free_mail_domains: list[FreeMailDomain] = Field(default_factory=lambda: list(FREE_MAIL_DOMAINS))
    min_confidence: Share = 0.6
    fuzzy_threshold: Share = 0.88


class Dedup(SpecModel):
    """Deduplication per object and the roles allowed to merge (and unmerge) records."""

    merge_roles: list[Id] = Field(min_length=1)
    objects: dict[ObjectName, ObjectDedup] = {}
    account_matching: AccountMatching = AccountMatching()
