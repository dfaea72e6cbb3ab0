"""Vocabulary of the demo company's world: static word lists, one module per kind of thing.

:mod:`~revframe.demo.vocab.names` (people's names, nicknames, personal email domains),
:mod:`~revframe.demo.vocab.titles` (functions, seniorities, job titles),
:mod:`~revframe.demo.vocab.companies` (name parts, industries, legal suffixes),
:mod:`~revframe.demo.vocab.places` (countries, cities, time zones) and
:mod:`~revframe.demo.vocab.sources` (lead sources). Everything here is static data; the
generators draw from it with seeded random sources. The names are re-exported here.
"""

from revframe.demo.vocab.companies import COMPANY_ROOTS, COMPANY_SECOND, INDUSTRIES, SUFFIX_VARIANTS, SUFFIXES
from revframe.demo.vocab.names import FIRST_NAMES, LAST_NAMES, NAME_POOLS, NICKNAMES, PERSONAL_EMAIL_DOMAINS
from revframe.demo.vocab.places import COUNTRIES, US_STATES_SPELLED
from revframe.demo.vocab.sources import HS_SOURCES, LEAD_SOURCES
from revframe.demo.vocab.titles import FUNCTIONS, IC_TITLES, SENIORITIES

__all__ = [
    "COMPANY_ROOTS",
    "COMPANY_SECOND",
    "COUNTRIES",
    "FIRST_NAMES",
    "FUNCTIONS",
    "HS_SOURCES",
    "IC_TITLES",
    "INDUSTRIES",
    "LAST_NAMES",
    "LEAD_SOURCES",
    "NAME_POOLS",
    "NICKNAMES",
    "PERSONAL_EMAIL_DOMAINS",
    "SENIORITIES",
    "SUFFIXES",
    "SUFFIX_VARIANTS",
    "US_STATES_SPELLED",
]
