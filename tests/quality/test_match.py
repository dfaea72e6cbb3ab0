"""The lead-to-account matcher on single records: each pass, the confidence model, tie-breaks, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from revframe.framework.dedup import AccountMatching
from revframe.quality.match import Account, AccountMatcher, Match, NoMatch, email_domain, name_key

ACME = Account("sf:acme", "Acme Inc.", domain="acme.com", website="https://www.acme.com", country="US")
GLOBEX = Account("sf:globex", "Globex GmbH", domain="globex.de", website="globex-group.com", country="DE")
SOCGEN = Account("sf:socgen", "Société Générale", country="FR")
TOYOTA = Account("sf:toyota", "トヨタ", country="JP")
ARAMCO = Account("sf:aramco", "شركة أرامكو السعودية", country="SA")
ELAL = Account("sf:elal", 'אל על בע"מ', country="IL")
INITECH = Account("sf:initech", "Initech Software Corporation", country="US")


@pytest.fixture(scope="module")
def matcher() -> AccountMatcher:
    return AccountMatcher([ACME, GLOBEX, SOCGEN, TOYOTA, ARAMCO, ELAL, INITECH], system_of_record="salesforce")


def match(matcher: AccountMatcher, **record: str | None) -> Match:
    result = matcher.evaluate(record)
    assert isinstance(result, Match), result.reason
    return result


def no_match(matcher: AccountMatcher, **record: str | None) -> NoMatch:
    result = matcher.evaluate(record)
    assert isinstance(result, NoMatch), result
    assert matcher.match_one(record) is None
    return result


# --- passes ---------------------------------------------------------------------------------------
def test_email_domain_match_with_country_agreement(matcher: AccountMatcher) -> None:
    m = match(matcher, id="c1", email="jane@acme.com", country="US")
    assert (m.contact_id, m.account_id, m.method, m.confidence) == ("c1", "sf:acme", "email_domain", 0.98)
    assert m.reason == "email domain acme.com = account domain; country US agrees"
    assert matcher.match_one({"id": "c1", "email": "jane@acme.com", "country": "US"}) == m


@pytest.mark.parametrize(
    "email", ["Jane.Doe+newsletter@acme.com", "j.a.n.e@mail.ACME.com", "jane(at)acme.com", "jane @acme.com."]
)
def test_plus_tags_dots_subdomains_and_typing_slips_keep_the_domain(matcher: AccountMatcher, email: str) -> None:
    assert match(matcher, email=email).account_id == "sf:acme"


def test_free_mail_never_matches_by_domain(matcher: AccountMatcher) -> None:
    r = no_match(matcher, email="jane@gmail.com")
    assert "gmail.com is a free-mail provider" in r.reason
    free = AccountMatcher([Account("x:gmail", "Google", domain="gmail.com")])  # even if an account has that domain
    assert free.match_one({"email": "jane@gmail.com"}) is None


def test_free_mail_list_comes_from_the_spec() -> None:
    settings = AccountMatching(free_mail_domains=["acme.com"])
    assert AccountMatcher([ACME], settings).match_one({"email": "jane@acme.com"}) is None
    assert AccountMatcher([ACME], settings).match_one({"email": "jane@gmail.com", "company": "Acme"}) is not None


def test_free_mail_falls_through_to_the_company_name(matcher: AccountMatcher) -> None:
    m = match(matcher, email="jane@gmail.com", company="ACME Incorporated", country="US")
    assert (m.account_id, m.method, m.confidence) == ("sf:acme", "company_name", 0.85)
    assert "free-mail" in m.reason


def test_website_match_uses_the_account_website_domain_too(matcher: AccountMatcher) -> None:
    m = match(matcher, website="https://www.Globex-Group.com/about", country="DE")
    assert (m.account_id, m.method, m.confidence) == ("sf:globex", "website", 0.95)


@pytest.mark.parametrize("company", ["Acme Inc.", "ACME Incorporated", "Acme GmbH", "acme, inc", "The Acme Co."])
def test_legal_form_variants_share_one_name_key(matcher: AccountMatcher, company: str) -> None:
    m = match(matcher, company=company, country="US")
    assert (m.account_id, m.method, m.confidence) == ("sf:acme", "company_name", 0.85)


def test_fuzzy_typo(matcher: AccountMatcher) -> None:
    m = match(matcher, company="Acmee Inc", country="US")
    assert (m.account_id, m.method) == ("sf:acme", "fuzzy_name")
    assert m.confidence == pytest.approx(0.85 * 0.8)  # one edit in five letters
    m = match(matcher, company="Initech Sofware Corp.", country="US")
    assert (m.account_id, m.method) == ("sf:initech", "fuzzy_name") and m.confidence > 0.75


def test_fuzzy_does_not_match_a_different_company(matcher: AccountMatcher) -> None:
    no_match(matcher, company="Acne Ltd", country="US")  # too short to risk one letter off
    no_match(matcher, company="Initiative Software Corporation", country="US")


def test_country_disagreement_lowers_confidence(matcher: AccountMatcher) -> None:
    agrees = match(matcher, email="jane@acme.com", country="US").confidence
    unknown = match(matcher, email="jane@acme.com").confidence
    differs = match(matcher, email="jane@acme.com", country="Germany")
    assert agrees > unknown > differs.confidence == 0.85
    assert "country DE differs from the account's US" in differs.reason
    by_name = no_match(matcher, company="Acme Inc.", country="FR")  # 0.50: below the spec's minimum 0.6
    assert by_name.below_min_confidence is not None and by_name.below_min_confidence.confidence == 0.5
    assert "below the minimum 0.60" in by_name.reason


def test_corroboration_and_conflict_are_in_the_reason(matcher: AccountMatcher) -> None:
    both = match(matcher, email="jane@acme.com", company="Acme", country="US")
    assert both.confidence == 0.99 and "company name agrees" in both.reason
    conflict = match(matcher, email="jane@acme.com", company="Globex", country="US")
    assert conflict.account_id == "sf:acme" and conflict.confidence == pytest.approx(0.93)
    assert "company name points to sf:globex instead" in conflict.reason


# --- names in any script --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("company", "account"),
    [
        ("Societe Generale SA", "sf:socgen"),
        ("SOCIÉTÉ GÉNÉRALE", "sf:socgen"),
        ("株式会社トヨタ", "sf:toyota"),
        ("トヨタ株式会社", "sf:toyota"),
        ("أرامكو السعودية", "sf:aramco"),
        ("אל על", "sf:elal"),
    ],
)
def test_names_in_any_script(matcher: AccountMatcher, company: str, account: str) -> None:
    m = match(matcher, company=company, country=matcher.account(account).country)
    assert (m.account_id, m.method) == (account, "company_name")


def test_name_key_keeps_non_latin_marks() -> None:
    assert name_key("ドコモ") != name_key("トコモ")  # a voiced mark is part of the letter
    assert name_key("Müller & Söhne GmbH") == name_key("Muller and Sohne") == "mullerandsohne"
    assert name_key("Greenbrook Bank (Pty) Ltd") == name_key("GREENBROOK BANK") == "greenbrookbank"


# --- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("company", ["Inc.", "GmbH & Co. KG", "  LLC ", "株式会社"])
def test_a_company_named_only_a_legal_form_never_matches_by_name(matcher: AccountMatcher, company: str) -> None:
    r = no_match(matcher, company=company)
    assert "only a legal form" in r.reason


def test_all_null_record(matcher: AccountMatcher) -> None:
    r = no_match(matcher, id="c9", email=None, company=None, website=None, country=None)
    assert (r.contact_id, r.reason) == ("c9", "no email domain, website or company name")
    assert no_match(matcher).reason == "no email domain, website or company name"


def test_junk_values_do_not_crash(matcher: AccountMatcher) -> None:
    for record in (
        {"email": "@@"},
        {"email": "no-at-sign"},
        {"website": "://"},
        {"country": "Earth"},
        {"company": "!!"},
    ):
        assert matcher.match_one(record) is None
    assert email_domain("jane@localhost") is None


def test_empty_account_table() -> None:
    empty = AccountMatcher([])
    r = empty.evaluate({"email": "jane@acme.com", "company": "Acme"})
    assert isinstance(r, NoMatch) and "no account" in r.reason
    assert empty.evaluate({"company": "Acme Systems"}).reason == "no accounts to match against"


def test_accounts_with_all_null_columns_are_never_matched() -> None:
    m = AccountMatcher([Account("x:1"), Account("x:2", "Inc."), ACME])
    assert m.match_one({"email": "jane@acme.com"}).account_id == "sf:acme"  # type: ignore[union-attr]
    assert m.match_one({"company": "Inc."}) is None


# --- tie-breaks -----------------------------------------------------------------------------------
def _copy(**changes: object) -> Account:
    fields = {"id": "hs:acme", "name": "Acme Inc.", "domain": "acme.com", "country": "US", "source_system": "hubspot"}
    return Account(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("accounts", "winner", "rule"),
    [
        ([_copy(), _copy(id="sf:acme", source_system="salesforce")], "sf:acme", "system of record for accounts"),
        ([_copy(type="Prospect"), _copy(id="hs:b", type="Customer")], "hs:b", "account type (customers first)"),
        ([_copy(activity=2), _copy(id="hs:b", activity=9)], "hs:b", "most contacts and opportunities"),
        (
            [_copy(created_at=datetime(2024, 1, 1, tzinfo=UTC)), _copy(id="hs:b", created_at=datetime(2020, 1, 1))],
            "hs:b",
            "oldest",
        ),
        ([_copy(id="hs:b"), _copy()], "hs:acme", "id"),
        ([_copy(country="DE"), _copy(id="hs:b", country=None)], "hs:b", "country (none in another country)"),
    ],
)
def test_tie_breaks_are_deterministic_and_named(accounts: list[Account], winner: str, rule: str) -> None:
    for order in (accounts, accounts[::-1]):
        m = AccountMatcher(order, system_of_record="salesforce").match_one({"email": "jane@acme.com", "country": "US"})
        assert m is not None and m.account_id == winner
        assert m.reason.endswith(f"2 accounts match (equally, or as copies of one company); chose by {rule}")


def test_a_copy_without_domain_is_preferred_when_it_is_the_system_of_record() -> None:
    sf = Account("sf:acme", "ACME, Inc.", country="US", source_system="salesforce")  # no domain in Salesforce
    m = AccountMatcher([_copy(), sf], system_of_record="salesforce").match_one({"email": "jane@acme.com"})
    assert m is not None and (m.account_id, m.method, m.confidence) == ("sf:acme", "email_domain", 0.95)
    other_country = Account("sf:acme-de", "Acme GmbH", country="DE", source_system="salesforce")
    m = AccountMatcher([_copy(), other_country], system_of_record="salesforce").match_one({"email": "jane@acme.com"})
    assert m is not None and m.account_id == "hs:acme"  # same name in another country: another company
