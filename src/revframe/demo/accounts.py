"""Companies: names with legal suffixes, matching domains, industries, sizes and locations."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from revframe.demo.people import EMAIL_PATTERN_W, EMAIL_PATTERNS, ascii_slug, phone
from revframe.demo.vocab.companies import COMPANY_ROOTS, COMPANY_SECOND, INDUSTRIES, SUFFIXES
from revframe.demo.vocab.names import LAST_NAMES
from revframe.demo.vocab.places import COUNTRIES

_COUNTRY_KEYS = list(COUNTRIES)
_COUNTRY_W = [COUNTRIES[c]["w"] for c in _COUNTRY_KEYS]
_INDUSTRY_KEYS = list(INDUSTRIES)
_INDUSTRY_W = [INDUSTRIES[i][0] for i in _INDUSTRY_KEYS]
_SURNAMES = [n for pool in ("anglo", "german", "french", "dutch_nordic") for n in LAST_NAMES[pool]]


@dataclass
class Company:
    """One real-world company (the truth behind Salesforce and HubSpot records)."""

    name: str
    base: str
    suffix: str
    domain: str
    website: str
    industry: str
    employees: int
    annual_revenue: float
    country: str
    country_label: str
    city: str
    state: str
    area: str
    region: str
    currency: str
    segment: str
    email_pattern: str
    phone: str


def segment_of(employees: int) -> str:
    """Sales segment by head count."""
    if employees < 200:
        return "SMB"
    if employees < 2000:
        return "Mid-Market"
    return "Enterprise"


def pick_country(r: random.Random) -> str:
    """A country weighted by the company's market mix."""
    return r.choices(_COUNTRY_KEYS, _COUNTRY_W)[0]


def country_label(r: random.Random, country: str) -> str:
    """How someone typed the country (``USA``, ``United States``, ``Deutschland``...)."""
    names = COUNTRIES[country]["names"]
    return r.choices([n for n, _ in names], [w for _, w in names])[0]


class CompanyFactory:
    """Makes unique companies; remembers names and domains already used."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.domains: set[str] = set()

    def _base_name(self, r: random.Random, industry: str, country: str) -> str:
        nouns = INDUSTRIES[industry][1]
        for attempt in range(40):
            style = r.random()
            if style < 0.45:
                base = f"{r.choice(COMPANY_ROOTS)}{r.choice(COMPANY_SECOND)} {r.choice(nouns)}"
            elif style < 0.65:
                base = f"{r.choice(COMPANY_ROOTS)} {r.choice(nouns)}"
            elif style < 0.8:
                base = f"{r.choice(COMPANY_ROOTS)}{r.choice(COMPANY_SECOND)}"
            elif style < 0.9:
                base = f"{r.choice(_SURNAMES)} & {r.choice(_SURNAMES)}"
            else:
                base = f"{r.choice(_SURNAMES)} {r.choice(nouns)}"
            if attempt > 20:
                base = f"{base} {r.choice(['Group', 'Holdings', 'International', 'Global', 'Partners'])}"
            if attempt > 30:
                base = f"{base} {r.randint(2, 999)}"
            if base.lower() not in self.names:
                self.names.add(base.lower())
                return base
        raise RuntimeError("could not make a unique company name")

    def _domain(self, r: random.Random, base: str, country: str, industry: str) -> str:
        slug = ascii_slug(base.replace("&", "and"))
        tld = COUNTRIES[country]["tld"]
        options = [f"{slug}.com", f"{slug}.{tld}"]
        if industry == "Software":
            options += [f"{slug}.io", f"{ascii_slug(base.split()[0])}.ai"]
        if " " in base:
            options.append(f"{ascii_slug(base, '-')}.com")
        r.shuffle(options)
        for d in options + [f"{slug}{n}.com" for n in range(2, 200)]:
            if d not in self.domains:
                self.domains.add(d)
                return d
        raise RuntimeError("could not make a unique domain")

    def make(self, r: random.Random, country: str | None = None) -> Company:
        """A new company with a unique name and domain."""
        country = country or pick_country(r)
        info = COUNTRIES[country]
        industry = r.choices(_INDUSTRY_KEYS, _INDUSTRY_W)[0]
        base = self._base_name(r, industry, country)
        sfx = SUFFIXES[country]
        suffix = r.choices([s for s, _ in sfx], [w for _, w in sfx])[0]
        name = f"{base} {suffix}".strip() if suffix else base
        domain = self._domain(r, base, country, industry)
        w = r.random()
        website = (
            f"https://www.{domain}"
            if w < 0.45
            else f"www.{domain}"
            if w < 0.7
            else f"http://{domain}/"
            if w < 0.8
            else domain
        )
        employees = int(min(250_000, max(2, round(math.exp(r.gauss(4.7, 1.55))))))
        if employees > 50:
            employees = int(round(employees, -1))
        revenue = employees * r.uniform(90_000, 320_000)
        revenue = float(round(revenue, -int(math.log10(max(revenue, 10))) + 2))
        city, state, areas = r.choice(info["cities"])
        return Company(
            name=name,
            base=base,
            suffix=suffix,
            domain=domain,
            website=website,
            industry=industry,
            employees=employees,
            annual_revenue=revenue,
            country=country,
            country_label=country_label(r, country),
            city=city,
            state=state,
            area=r.choice(areas),
            region=info["region"],
            currency=info["cur"],
            segment=segment_of(employees),
            email_pattern=r.choices(EMAIL_PATTERNS, EMAIL_PATTERN_W)[0],
            phone=phone(r, country, r.choice(areas)),
        )
