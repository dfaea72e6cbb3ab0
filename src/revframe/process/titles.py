"""Job titles read as (seniority, function): "VP Sales" is a vp in sales, "RevOps Analyst" an individual
contributor in revenue operations.

Dictionary and regex based, pure Python. A title is lower-cased, stripped of accents and punctuation
(``Sr. Director, Marketing`` reads ``sr director marketing``), then the first matching rule of each
list wins. Seniorities are the spec's (``c_level``, ``vp``, ``head``, ``director``, ``manager``,
``individual_contributor``); functions are ids such as the default spec's ``icp.functions``
(``revenue_operations``, ``sales``, ``marketing``, ``customer_success``) plus ``finance``, ``data``,
``it``, ``engineering``, ``product``, ``hr``, ``legal``, ``operations``, ``executive`` and ``other``.
Common German, French and Spanish words are understood (Leiter, Directeur, Jefe, Vertrieb, Ventas).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

SENIORITIES = ("c_level", "vp", "head", "director", "manager", "individual_contributor")
FUNCTIONS = (
    "revenue_operations",
    "sales",
    "marketing",
    "customer_success",
    "finance",
    "operations",
    "engineering",
    "it",
    "data",
    "product",
    "hr",
    "legal",
    "executive",
    "other",
)

_CHIEFS = r"c[eormfiotdph]o|ciso|chro|cxo|cdao"
"""CEO, CRO, COO, CMO, CFO, CIO, CTO, CDO, CPO, CHRO, CISO...: read as a c-level title."""

# (value, pattern): the first pattern found in the normalized title wins, so order matters (vice
# president before president, revenue operations before sales, data engineer before engineer).
_SENIORITY_RULES: list[tuple[str, str]] = [
    ("vp", r"\b(vice president|vicepresident[ea]?|vice presidente?|[seag]?vp|vp)\b"),
    (
        "c_level",
        rf"\b(chief \w+( \w+)*? officer|{_CHIEFS}|founder|co ?founder|president|presidente?|owner|"
        r"managing director|geschaftsfuhrer(in)?|directeur general|directrice generale|director general|"
        r"pdg|gerente general|general manager)\b",
    ),
    ("head", r"\b(head|jefe|jefa)\b|leiter(in)?\b|\bresponsable\b"),
    ("director", r"\b(director[ae]?|directeur|directrice|direktor(in)?)\b"),
    ("manager", r"\b(manager|mgr|lead|team lead|gerente|supervisor|superviseur|teamleiter)\b"),
]

_FUNCTION_RULES: list[tuple[str, str]] = [
    (
        "revenue_operations",
        r"\b(rev ?ops|revenue operations?|rev operations|sales ?ops|sales operations?|gtm (systems|operations|ops)|"
        r"go to market (systems|operations)|sales enablement|commercial operations|crm (manager|admin\w*|analyst))\b",
    ),
    ("customer_success", r"\b(customer success|csm|customer experience|client success|customer support|onboarding)\b"),
    (
        "marketing",
        r"\b(marketing|marketer|demand gen\w*|growth|brand|content|communications?|cmo|mercadotecnia|"
        r"mercadeo)\b|marketing",
    ),
    (
        "sales",
        r"\b(sales|sdr|bdr|ae|account executive|account manager|business development|cro|chief revenue officer|"
        r"revenue|commercial|comercial|ventas|ventes|vendite|verkauf)\b|vertrieb",
    ),
    ("finance", r"\b(finance|financial|cfo|controller|accounting|accountant|fp a|treasur\w*|finanz\w*|finanzas)\b"),
    ("data", r"\b(data|analytics|bi|business intelligence|cdo|cdao|daten|datos|donnees)\b"),
    ("hr", r"\b(hr|human resources|people operations|people|talent|recruit\w*|chro|personal)\b"),
    ("legal", r"\b(legal|counsel|attorney|lawyer|compliance|clo)\b"),
    ("product", r"\b(product|cpo|produkt\w*|producto)\b"),
    (
        "it",
        r"\b(it|information technology|cio|ciso|systems? administrator|\w+ administrator|it business partner|"
        r"solutions architect|infrastructure|security|informatique|informatica)\b",
    ),
    ("engineering", r"\b(engineer\w*|developer|cto|software|devops|architect|ingenieur|ingeniero)\b"),
    ("operations", r"\b(operations|ops|coo|chief operating officer|supply chain|logistics|betrieb|operaciones)\b"),
    (
        "executive",
        r"\b(ceo|founder|co ?founder|president|owner|managing director|general manager|geschaftsfuhrer(in)?|"
        r"directeur general|pdg|chief executive)\b",
    ),
]

_SENIORITY_RE = [(v, re.compile(p)) for v, p in _SENIORITY_RULES]
_FUNCTION_RE = [(v, re.compile(p)) for v, p in _FUNCTION_RULES]


class ParsedTitle(NamedTuple):
    """A title's seniority (None without a title) and function (``other`` when none is recognised)."""

    seniority: str | None
    function: str | None


@lru_cache(maxsize=65536)
def normalize_title(title: str) -> str:
    """Lower-case, accents dropped, every run of punctuation or spaces one space.

    Examples:
        >>> normalize_title("Sr. Director, Marketing & Growth")
        'sr director marketing growth'
        >>> normalize_title("Geschäftsführer")
        'geschaftsfuhrer'
    """
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@lru_cache(maxsize=65536)
def parse_title(title: str | None) -> ParsedTitle:
    """The seniority and function a job title names.

    Args:
        title: the job title as typed (any case, punctuation, some German/French/Spanish).

    Returns:
        ``(seniority, function)``; both None for an empty title; ``individual_contributor`` when no
        seniority word is found and ``other`` when no function is.

    Examples:
        >>> parse_title("VP Sales")
        ParsedTitle(seniority='vp', function='sales')
        >>> parse_title("Manager, Data & Analytics")
        ParsedTitle(seniority='manager', function='data')
        >>> parse_title("RevOps Analyst")
        ParsedTitle(seniority='individual_contributor', function='revenue_operations')
        >>> parse_title("Leiter Vertrieb")
        ParsedTitle(seniority='head', function='sales')
    """
    text = normalize_title(title or "")
    if not text:
        return ParsedTitle(None, None)
    seniority = next((v for v, rx in _SENIORITY_RE if rx.search(text)), "individual_contributor")
    function = next((v for v, rx in _FUNCTION_RE if rx.search(text)), "other")
    return ParsedTitle(seniority, function)
