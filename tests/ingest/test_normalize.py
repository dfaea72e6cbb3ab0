"""Normalizers: properties users rely on, and the fast paths' equivalence with the libraries."""

from __future__ import annotations

from datetime import UTC, datetime

import phonenumbers
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revframe.ingest import normalize as nz

CTX = nz.Context(default_region="US")
NANP_SHAPES = ["{a}{e}{n}", "({a}) {e}-{n}", "+1 {a} {e} {n}", "1-{a}-{e}-{n}", "+1 ({a}) {e}.{n}", " {a}.{e}.{n} "]


def reference_phone(raw: str, region: str) -> str:
    """What phonenumbers alone says: E.164 when valid, else the input as given."""
    try:
        n = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw.strip()
    if not phonenumbers.is_valid_number(n):
        return raw.strip()
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=3000, deadline=None)
@given(
    area=st.integers(200, 999),
    exchange=st.integers(200, 999),
    line=st.integers(0, 9999),
    shape=st.sampled_from(NANP_SHAPES),
    region=st.sampled_from(["US", "CA", "GB", "DE", "JM"]),
)
def test_north_american_fast_path_agrees_with_phonenumbers(
    area: int, exchange: int, line: int, shape: str, region: str
) -> None:
    raw = shape.format(a=area, e=exchange, n=f"{line:04d}")
    assert nz.phone(raw, nz.Context(default_region=region)) == reference_phone(raw, region)


@pytest.mark.parametrize("region", phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])
def test_fast_path_on_every_north_american_region_example(region: str) -> None:
    for kind in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    ):
        ex = phonenumbers.example_number_for_type(region, kind)
        if ex is None:
            continue
        raw = phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        assert nz.phone(raw, CTX) == reference_phone(raw, "US") == f"+{ex.country_code}{ex.national_number}"


REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@settings(max_examples=4000, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    fmt=st.sampled_from(["intl", "e164", "zero", "dots"]),
    tail=st.integers(0, 9999),
    cut=st.integers(-2, 2),
    home=st.sampled_from(["US", "GB", "DE", "IN"]),
)
def test_international_fast_path_agrees_with_phonenumbers(
    region: str, fmt: str, tail: int, cut: int, home: str
) -> None:
    ex = phonenumbers.example_number(region)
    if ex is None:
        return
    nsn = phonenumbers.national_significant_number(ex)
    nsn = (nsn[:-4] + f"{tail:04d}") if len(nsn) > 4 else nsn
    nsn = nsn[: len(nsn) + cut] if cut < 0 else nsn + "7" * cut  # also wrong lengths
    cc = ex.country_code
    raw = {
        "intl": f"+{cc} {nsn[:3]} {nsn[3:]}",
        "e164": f"+{cc}{nsn}",
        "zero": f"+{cc} (0){nsn}",
        "dots": f"+{cc}.{nsn[:2]}.{nsn[2:5]}.{nsn[5:]}",
    }[fmt]
    assert nz.phone(raw, nz.Context(default_region=home)) == reference_phone(raw, home)


@given(st.sampled_from(["GB", "DE", "FR", "AU", "IN", "BR", "JP"]), st.integers(0, 10**9))
def test_phone_is_idempotent(region: str, seed: int) -> None:
    ex = phonenumbers.example_number(region)
    assert ex is not None
    e164 = nz.phone(phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.NATIONAL), nz.Context(region))
    assert e164 is not None and e164.startswith("+")
    assert nz.phone(e164, CTX) == e164  # normalizing a normalized number changes nothing


@pytest.mark.parametrize("c", list(pycountry.countries), ids=lambda c: c.alpha_2)
def test_every_country_name_and_code_maps_to_its_iso_code(c: object) -> None:
    assert nz.country(c.name, CTX) == c.alpha_2  # type: ignore[attr-defined]
    assert nz.country(c.alpha_3, CTX) == c.alpha_2  # type: ignore[attr-defined]
    assert nz.country(c.alpha_2.lower(), CTX) == c.alpha_2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("https://www.Acme.co.uk/pricing?x=1", "acme.co.uk"),
        ("acme.com", "acme.com"),
        ("http://eu.shop.acme.io", "acme.io"),
        ("WWW.GLOBEX.COM.", "globex.com"),
    ],
)
def test_domain_from_websites(raw: str, want: str) -> None:
    assert nz.domain(raw, CTX) == want
    assert nz.domain(want, CTX) == want


@given(st.emails())
def test_email_is_lowercased_and_its_domain_registered(e: str) -> None:
    v = nz.email(f"  {e} ", CTX)
    assert v == e.lower()
    assert nz.email(v, CTX) == v


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_timestamps_round_trip_through_iso_text(dt: datetime) -> None:
    assert nz.timestamp(dt.isoformat(), CTX) == dt
    assert nz.timestamp(dt.strftime("%Y-%m-%dT%H:%M:%S.%f+0000"), CTX) == dt


def test_naive_timestamps_are_in_the_company_time_zone() -> None:
    ctx = nz.Context(timezone=nz.zone("America/New_York"))
    assert nz.timestamp("2025-07-01 09:00", ctx) == datetime(2025, 7, 1, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["12,5k", "1.2.3", "ten", "1,23"])
def test_bad_numbers_are_refused_with_a_fix(raw: str) -> None:
    with pytest.raises(nz.BadValue, match="not a number"):
        nz.decimal(raw, CTX)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_decimals_round_trip(d: object) -> None:
    assert nz.decimal(f"{d:,.2f}", CTX) == d
