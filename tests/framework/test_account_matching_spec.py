"""The spec's ``dedup.account_matching`` block: defaults, the template's values, and validation with a fix."""

from __future__ import annotations

from collections.abc import Callable

from revframe.framework import Problem, load_spec_text
from revframe.framework.dedup import FREE_MAIL_DOMAINS, AccountMatching

Mutate = Callable[..., str]
ProblemsOf = Callable[[str], list[Problem]]


def test_template_block_loads_with_the_documented_defaults(base: str) -> None:
    settings = load_spec_text(base).dedup.account_matching  # type: ignore[union-attr]
    assert settings == AccountMatching()
    assert tuple(settings.free_mail_domains) == FREE_MAIL_DOMAINS
    assert {"gmail.com", "qq.com", "163.com", "yandex.ru", "web.de", "proton.me"} <= set(FREE_MAIL_DOMAINS)


def test_block_is_optional(base: str, mutate: Mutate) -> None:
    text = mutate(base, "  account_matching:", "  unused_matching:")
    text = text[: text.index("  unused_matching:")] + text[text.index("\n# ----", text.index("  unused_matching:")) :]
    assert load_spec_text(text).dedup.account_matching == AccountMatching()  # type: ignore[union-attr]


def test_confidence_outside_0_1_is_an_error_with_a_fix(base: str, mutate: Mutate, problems_of: ProblemsOf) -> None:
    problems = problems_of(mutate(base, "min_confidence: 0.6", "min_confidence: 1.5"))
    assert len(problems) == 1
    assert "dedup.account_matching.min_confidence" in problems[0].message
    assert "0..1" in problems[0].message and "0.95" in problems[0].hint


def test_free_mail_domain_must_be_a_lower_case_domain(base: str, mutate: Mutate, problems_of: ProblemsOf) -> None:
    problems = problems_of(mutate(base, "gmail.com, googlemail", "jane@Gmail.com, googlemail"))
    assert len(problems) == 1
    assert "free_mail_domains" in problems[0].message and "gmail.com" in problems[0].hint
