"""Normalizers applied at load, one per column kind of the canonical schema.

A normalizer turns a raw source string into the canonical value, or raises ``BadValue``
with a reason a person can act on; the row then goes to quarantine. Values that are
well-typed but fail a *format* rule (an email without a domain, a phone number that is not
dialable) are kept as given: the quality scan measures them, and dropping them would lose
the record the CRM still has.

The expensive normalizers (phones, domains, countries) memoize on the raw value: exports
repeat the same few thousand domains and countries millions of times.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pycountry
import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled list, never the network


class BadValue(ValueError):
    """A raw value that cannot become its canonical type; ``str()`` says what to do."""


class MixedDateFormats(ValueError):
    """A column mixes day-first and month-first dates: no safe reading exists."""


@dataclass
class Context:
    """What normalization needs from the framework spec and the command line."""

    default_region: str = "US"
    timezone: tzinfo = UTC
    date_order: str = "MDY"  # for ambiguous 03/04/2025 when the file gives no other clue
    date_format: str | None = None  # an explicit strptime format from --date-format


# --- text -----------------------------------------------------------------------------------


def text(raw: str, ctx: Context) -> str | None:
    v = raw.strip()
    return v or None


# --- email ----------------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


def email(raw: str, ctx: Context) -> str | None:
    """Lower-case and trim; an invalid address is kept as given (the quality scan flags it)."""
    v = raw.strip()
    if not v:
        return None
    return v.lower()


def is_valid_email(value: str) -> bool:
    """Syntax check (RFC 5322 dot-atom on the local part, a dotted host); no DNS."""
    return bool(_EMAIL_RE.match(value)) and ".." not in value and len(value) <= 254


def email_domain(value: str | None) -> str | None:
    """Registered domain of a (valid) email, e.g. ``ada@eu.analytical.co.uk`` → ``analytical.co.uk``."""
    if not value or not is_valid_email(value):
        return None
    return registered_domain(value.rsplit("@", 1)[1])


# --- domains and urls -----------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def registered_domain(host: str) -> str | None:
    host = host.strip().lower().rstrip(".")
    if not host:
        return None
    ext = _EXTRACT(host)
    if not ext.domain or not ext.suffix:
        return None
    return f"{ext.domain}.{ext.suffix}"


_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def url_host(raw: str) -> str:
    v = _SCHEME_RE.sub("", raw.strip())
    return re.split(r"[/?#:]", v, maxsplit=1)[0]


def url(raw: str, ctx: Context) -> str | None:
    v = raw.strip()
    return v or None


def domain(raw: str, ctx: Context) -> str | None:
    """A domain or a website → its registered domain (``https://www.Acme.co.uk/x`` → ``acme.co.uk``)."""
    v = raw.strip()
    if not v:
        return None
    return registered_domain(url_host(v)) or v.lower()


# --- phones ---------------------------------------------------------------------------------


@lru_cache(maxsize=500_000)
def _phone(raw: str, region: str) -> str:
    try:
        n = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw
    # is_valid_number() first works out which region the number belongs to by testing every region
    # that shares its country code (25 for +1). Most numbers belong to the company's own region, so
    # test that one first; the full check still decides every other number.
    home = n.country_code == phonenumbers.country_code_for_region(region)
    if not ((home and phonenumbers.is_valid_number_for_region(n, region)) or phonenumbers.is_valid_number(n)):
        return raw
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


# phonenumbers.parse() costs ~20 µs and is_valid_number() up to ~50 µs (it tries every region that
# shares a country code: 25 for +1). Two common shapes are read faster, with the same answer:
#   - international numbers written with a leading + (any country), and
#   - North American numbers in their usual national shapes, when the default region is North American.
# For those, the country code and national number are read off the digits, and validity is decided
# exactly as phonenumbers decides it (same metadata, same rules: region_code_for_number, then the
# number-type patterns and possible lengths), with the patterns compiled once. Anything else, or any
# number whose national prefix phonenumbers would strip, takes phonenumbers' own path.
# tests/ingest/test_normalize.py checks the equivalence on random numbers of every region.
_NANP_RE = re.compile(r"^\s*1?[\s.\-]*\(?([2-9]\d{2})\)?[\s.\-]*([2-9]\d{2})[\s.\-]*(\d{4})\s*$")
_INTL_RE = re.compile(r"^\+[\d\s.\-()/]{4,40}$")
_NON_DIGITS = re.compile(r"\D")
_CC_REGIONS = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_NANP_REGIONS: frozenset[str] = frozenset(_CC_REGIONS[1])
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
_Desc = tuple[frozenset[int], re.Pattern[str]]


@lru_cache(maxsize=512)
def _region_rules(region: str) -> tuple[_Desc | None, list[_Desc], re.Pattern[str] | None, re.Pattern[str] | None]:
    """A region's general description, its number types (merged by possible lengths), and its
    leading-digits and national-prefix patterns, compiled."""
    from phonenumbers.phonemetadata import PhoneMetadata

    md = PhoneMetadata.metadata_for_region(region)
    assert md is not None, region  # regions come from phonenumbers' own country-code table

    def desc(d: Any) -> _Desc | None:
        if d is None or not d.national_number_pattern:
            return None
        return frozenset(d.possible_length or ()), re.compile(f"(?:{d.national_number_pattern})")

    # "matches some type" is the same as matching the alternation of the types that allow its length
    by_length: dict[frozenset[int], list[str]] = {}
    for name in _TYPES:
        d = getattr(md, name)
        if d is not None and d.national_number_pattern:
            by_length.setdefault(frozenset(d.possible_length or ()), []).append(d.national_number_pattern)
    types = [(lengths, re.compile("|".join(f"(?:{p})" for p in pats))) for lengths, pats in by_length.items()]
    leading = re.compile(md.leading_digits) if md.leading_digits else None
    prefix = re.compile(md.national_prefix_for_parsing) if md.national_prefix_for_parsing else None
    return desc(md.general_desc), types, leading, prefix


def _matches(nsn: str, d: _Desc | None) -> bool:
    return d is not None and (not d[0] or len(nsn) in d[0]) and d[1].fullmatch(nsn) is not None


def _has_type(nsn: str, region: str) -> bool:
    general, types, _, _ = _region_rules(region)
    if not _matches(nsn, general):
        return False
    for t in types:
        if _matches(nsn, t):
            return True
    return False


def _is_valid(cc: int, nsn: str) -> bool:
    """phonenumbers.is_valid_number: the region that claims the number must have a type for it."""
    regions = _CC_REGIONS[cc]
    if len(regions) == 1:
        return _has_type(nsn, regions[0])
    for region in regions:
        leading = _region_rules(region)[2]
        if leading is not None:
            if leading.match(nsn):
                return _has_type(nsn, region)
        elif _has_type(nsn, region):
            return True
    return False


def _fast_phone(raw: str, region: str) -> str | None:
    """E.164 (or the raw value when invalid) for the common shapes; None to defer to phonenumbers."""
    if raw[0] == "+":
        if not _INTL_RE.match(raw):
            return None
        digits = _NON_DIGITS.sub("", raw)
        for i in (1, 2, 3):
            cc = int(digits[:i] or 0)
            if cc in _CC_REGIONS:
                break
        else:
            return None
        nsn = digits[i:]
        main = _CC_REGIONS[cc][0]
        if not 2 <= len(nsn) <= 17 or main == "001":
            return None  # too short/long, or a non-geographic number: phonenumbers decides
        prefix = _region_rules(main)[3]
        if prefix is not None and prefix.match(nsn):
            return None  # phonenumbers may strip a national prefix here: let it
    elif region in _NANP_REGIONS:
        m = _NANP_RE.match(raw)
        if m is None:
            return None
        cc, nsn = 1, m[1] + m[2] + m[3]
    else:
        return None
    return f"+{cc}{nsn}" if _is_valid(cc, nsn) else raw


def phone(raw: str, ctx: Context) -> str | None:
    """E.164 when the number is valid (default region from the spec); else kept as given."""
    v = raw.strip()
    if not v:
        return None
    fast = _fast_phone(v, ctx.default_region)
    return fast if fast is not None else _phone(v, ctx.default_region)


# --- countries and currencies ---------------------------------------------------------------

_COUNTRY_ALIASES = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "great britain": "GB",
    "deutschland": "DE",
    "allemagne": "DE",
    "españa": "ES",
    "espana": "ES",
    "italia": "IT",
    "nederland": "NL",
    "holland": "NL",
    "the netherlands": "NL",
    "schweiz": "CH",
    "suisse": "CH",
    "österreich": "AT",
    "oesterreich": "AT",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "polska": "PL",
    "brasil": "BR",
    "méxico": "MX",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "vietnam": "VN",
    "czech republic": "CZ",
    "türkiye": "TR",
    "turkey": "TR",
    "uae": "AE",
    "emirates": "AE",
    "hong kong": "HK",
    "taiwan": "TW",
    "iran": "IR",
}


@lru_cache(maxsize=10_000)
def country_code(raw: str) -> str | None:
    """ISO 3166-1 alpha-2 for a country name, alias or code; None when unknown."""
    v = raw.strip()
    if not v:
        return None
    low = v.lower()
    if low in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[low]
    try:
        if len(v) == 2:
            c = pycountry.countries.get(alpha_2=v.upper())
            if c:
                return str(c.alpha_2)
        if len(v) == 3:
            c = pycountry.countries.get(alpha_3=v.upper())
            if c:
                return str(c.alpha_2)
        c = pycountry.countries.lookup(v)
        return str(c.alpha_2)
    except LookupError:
        return None


def country(raw: str, ctx: Context) -> str | None:
    """ISO alpha-2; an unknown name is kept as given (the quality scan flags it)."""
    v = raw.strip()
    if not v:
        return None
    return country_code(v) or v


@lru_cache(maxsize=1_000)
def _currency(v: str) -> str | None:
    c = pycountry.currencies.get(alpha_3=v)
    return str(c.alpha_3) if c else None


def currency(raw: str, ctx: Context) -> str | None:
    v = raw.strip().upper()
    if not v:
        return None
    code = _currency(v)
    if code is None:
        raise BadValue(f"'{raw}' is not an ISO 4217 currency code; write e.g. USD, EUR, GBP")
    return code


# --- numbers and booleans -------------------------------------------------------------------

_NUM_RE = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?([eE][+-]?\d+)?$")


def _number_text(raw: str) -> str | None:
    v = raw.strip().replace(" ", "")
    if not v:
        return None
    for sym in ("$", "€", "£"):
        v = v.replace(sym, "")
    if not _NUM_RE.match(v):
        raise BadValue(f"'{raw}' is not a number; write digits with a dot for decimals, e.g. 12500.00")
    return v.replace(",", "")


def decimal(raw: str, ctx: Context) -> Decimal | None:
    v = _number_text(raw)
    if v is None:
        return None
    try:
        return Decimal(v).quantize(Decimal("0.01"))
    except InvalidOperation as e:  # pragma: no cover - the regex admits only numbers
        raise BadValue(f"'{raw}' is not a number") from e


def double(raw: str, ctx: Context) -> float | None:
    v = _number_text(raw)
    return None if v is None else float(v)


def integer(raw: str, ctx: Context) -> int | None:
    v = _number_text(raw)
    if v is None:
        return None
    f = float(v)
    if not f.is_integer():
        raise BadValue(f"'{raw}' is not a whole number")
    return int(f)


_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


def boolean(raw: str, ctx: Context) -> bool | None:
    v = raw.strip().lower()
    if not v:
        return None
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise BadValue(f"'{raw}' is not a boolean; write true or false")


# --- dates and timestamps -------------------------------------------------------------------

_SLASH_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TZ_FIX_RE = re.compile(r"([+-]\d{2})(\d{2})$")


def _parse(raw: str, ctx: Context) -> datetime | None:
    v = raw.strip()
    if not v:
        return None
    if ctx.date_format:
        try:
            return datetime.strptime(v, ctx.date_format)
        except ValueError as e:
            raise BadValue(f"'{raw}' does not match --date-format {ctx.date_format}") from e
    try:
        return datetime.fromisoformat(v)
    except ValueError:
        pass
    m = _SLASH_RE.match(v)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        if ctx.date_order == "DMY" or (a > 12 and b <= 12):
            d, mo = a, b
        else:
            mo, d = a, b
        try:
            return datetime(y, mo, d, int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
        except ValueError as e:
            raise BadValue(f"'{raw}' is not a valid date") from e
    raise BadValue(f"'{raw}' is not a date; write ISO 8601, e.g. 2025-01-31 or 2025-01-31T09:30:00Z")


def slash_date_order(raw: str) -> str | None:
    """'DMY' or 'MDY' when a slash date can only be read one way, else None."""
    m = _SLASH_RE.match(raw.strip())
    if not m:
        return None
    a, b = int(m[1]), int(m[2])
    if a > 12 >= b:
        return "DMY"
    if b > 12 >= a:
        return "MDY"
    return None


def is_slash_date(raw: str) -> bool:
    return bool(_SLASH_RE.match(raw.strip()))


def timestamp(raw: str, ctx: Context) -> datetime | None:
    """Any ISO 8601 or slash date-time → an aware UTC datetime (naive values are in the company's zone)."""
    dt = _parse(raw, ctx)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ctx.timezone)
    return dt.astimezone(UTC)


def date_(raw: str, ctx: Context) -> date | None:
    dt = _parse(raw, ctx)
    return None if dt is None else dt.date()


def json_(raw: str, ctx: Context) -> str | None:
    return raw or None


NORMALIZERS: dict[str, Callable[[str, Context], object]] = {
    "text": text,
    "email": email,
    "url": url,
    "domain": domain,
    "phone": phone,
    "country": country,
    "currency": currency,
    "decimal": decimal,
    "double": double,
    "int": integer,
    "bool": boolean,
    "timestamp": timestamp,
    "date": date_,
    "json": json_,
}


def zone(name: str | None) -> tzinfo:
    return ZoneInfo(name) if name else UTC
