"""People: names, titles, work emails and phone numbers, the way they look in a real CRM."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from revframe.demo.vocab.names import FIRST_NAMES, LAST_NAMES, NAME_POOLS, PERSONAL_EMAIL_DOMAINS
from revframe.demo.vocab.places import COUNTRIES
from revframe.demo.vocab.titles import FUNCTIONS, IC_TITLES, SENIORITIES

_SENIORITY_KEYS = list(SENIORITIES)
_SENIORITY_W = {
    "SMB": [0.1, 0.1, 0.08, 0.14, 0.26, 0.32],
    "Mid-Market": [0.05, 0.09, 0.08, 0.17, 0.26, 0.35],
    "Enterprise": [0.02, 0.06, 0.07, 0.18, 0.27, 0.40],
}
_FUNC_W = [f[1] for f in FUNCTIONS]


def ascii_slug(text: str, sep: str = "") -> str:
    """Lower-case ASCII letters and digits of a name (``Jürgen O'Brien`` -> ``jurgenobrien``)."""
    text = text.replace("ß", "ss").replace("ı", "i")
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out = []
    for ch in norm:
        if ch.isalnum():
            out.append(ch)
        elif ch in " -" and sep:
            out.append(sep)
    return "".join(out).strip(sep)


def person_name(r: random.Random, country: str) -> tuple[str, str]:
    """A (first, last) name typical for the country."""
    pools = NAME_POOLS.get(country, NAME_POOLS["US"])
    pool = r.choices([p for p, _ in pools], [w for _, w in pools])[0]
    first = r.choice(FIRST_NAMES[pool])
    # mixed names: a share of people carry a last name from another pool
    last_pool = pool if r.random() < 0.85 else r.choice(list(LAST_NAMES))
    return first, r.choice(LAST_NAMES[last_pool])


EMAIL_PATTERNS = ["first.last", "flast", "first", "firstl", "first_last", "last.first"]
EMAIL_PATTERN_W = [0.55, 0.2, 0.08, 0.07, 0.05, 0.05]


def work_email(first: str, last: str, domain: str, pattern: str) -> str:
    """The company's email address for a person, following the company's address pattern."""
    f, ln = ascii_slug(first), ascii_slug(last)
    f = f or "info"
    ln = ln or "x"
    local = {
        "first.last": f"{f}.{ln}",
        "flast": f"{f[0]}{ln}",
        "first": f,
        "firstl": f"{f}{ln[0]}",
        "first_last": f"{f}_{ln}",
        "last.first": f"{ln}.{f}",
    }[pattern]
    return f"{local}@{domain}"


def claim_mailbox(used: set[str], email: str) -> str:
    """The address itself if free, else the way mail admins resolve clashes: jsmith2@, jsmith3@..."""
    local, _, domain = email.partition("@")
    candidate, n = email, 1
    while candidate in used:
        n += 1
        candidate = f"{local}{n}@{domain}"
    used.add(candidate)
    return candidate


def personal_email(r: random.Random, first: str, last: str) -> str:
    """A personal mailbox (gmail, outlook...) of a person."""
    f, ln = ascii_slug(first) or "me", ascii_slug(last) or "x"
    style = r.random()
    if style < 0.4:
        local = f"{f}.{ln}"
    elif style < 0.7:
        local = f"{f}{ln}{r.randint(1, 99)}"
    else:
        local = f"{f[0]}{ln}{r.randint(70, 99)}"
    return f"{local}@{r.choice(PERSONAL_EMAIL_DOMAINS)}"


def phone(r: random.Random, country: str, area: str, mobile: bool = False) -> str:
    """A phone number written in one of the formats people type for the country."""
    cc = COUNTRIES[country]["cc"]
    style = r.random()
    if cc == "1":
        area_code = area if not mobile else r.choice(["415", "646", "312", "617", "512", "206", "416", "604"])
        exch = r.randint(201, 989)
        while exch in (555, 911):
            exch = r.randint(201, 989)
        line = r.randint(1000, 9999)
        if style < 0.4:
            return f"({area_code}) {exch}-{line}"
        if style < 0.65:
            return f"+1 {area_code} {exch} {line}"
        if style < 0.85:
            return f"{area_code}-{exch}-{line}"
        return f"+1{area_code}{exch}{line}"
    if mobile:
        prefix = {
            "44": "7",
            "49": "15",
            "33": "6",
            "31": "6",
            "61": "4",
            "65": "9",
            "46": "70",
            "34": "6",
            "39": "3",
            "81": "90",
            "91": "9",
        }.get(cc, "6")
        rest_len = {
            "44": 9,
            "49": 9,
            "33": 8,
            "31": 8,
            "61": 8,
            "65": 7,
            "46": 7,
            "34": 8,
            "39": 9,
            "81": 8,
            "91": 9,
        }.get(cc, 8)
        digits = prefix + "".join(str(r.randint(0, 9)) for _ in range(rest_len))
    else:
        # subscriber numbers of a plausible length for the country's area code
        total = {
            "44": 10,
            "49": 10,
            "33": 9,
            "31": 9,
            "61": 9,
            "65": 8,
            "46": 9,
            "34": 9,
            "39": 10,
            "81": 10,
            "91": 10,
            "353": 9,
            "43": 10,
            "41": 9,
            "45": 8,
            "27": 9,
            "64": 8,
            "55": 10,
            "52": 10,
        }.get(cc, 9)
        first_digit = str(r.randint(2, 8))
        digits = area + first_digit + "".join(str(r.randint(0, 9)) for _ in range(max(4, total - len(area) - 1)))
    if cc in ("65", "45"):
        national = digits
    else:
        national = "0" + digits
    if style < 0.5:
        a = len(area) if not mobile else len(digits) - 7 if len(digits) > 8 else 3
        a = max(1, a)
        return f"+{cc} {digits[:a]} {digits[a : a + 4]} {digits[a + 4 :]}".strip()
    if style < 0.85:
        return f"{national[:4]} {national[4:]}" if cc not in ("65", "45") else f"{digits[:4]} {digits[4:]}"
    return f"+{cc}{digits}"


@dataclass
class Title:
    """A job title with its parsed function and seniority."""

    title: str
    function: str
    seniority: str


def job_title(r: random.Random, segment: str) -> Title:
    """A realistic job title; larger companies have more individual contributors."""
    func, _, c_title, short, long_ = r.choices(FUNCTIONS, _FUNC_W)[0]
    seniority = r.choices(_SENIORITY_KEYS, _SENIORITY_W[segment])[0]
    if seniority == "ic" and func in IC_TITLES and r.random() < 0.6:
        return Title(r.choice(IC_TITLES[func]), func, seniority)
    pattern = r.choice(SENIORITIES[seniority][1])
    title = pattern.format(f=short, F=long_, c=c_title)
    if seniority == "c_level" and func in ("data", "revops", "sales_ops"):
        title = r.choice(["CEO", "Founder & CEO", "COO"]) if segment == "SMB" else c_title
    return Title(title, func, seniority)
