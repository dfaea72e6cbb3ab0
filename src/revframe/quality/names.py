"""One key per company name, shared by lead-to-account matching and duplicate detection.

Two spellings of one company ("Fox Digital, Inc.", "FOX DIGITAL") share the key; a name that is
only a legal form ("Inc.") has none.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from cleanco import basename

# Legal forms cleanco does not know: Japanese, Chinese, Korean, Arabic and Hebrew markers, and the
# "(Pty" cleanco leaves of "(Pty) Ltd".
_LEGAL_FORMS = re.compile(
    r"^(?:株式会社|有限会社|合同会社|\(株\)|（株）|주식회사|\(주\)|شركة)\s*"
    r"|\s*(?:株式会社|有限会社|合同会社|股份有限公司|有限公司|\(株\)|（株）|주식회사|\(주\)|בע[\"״]מ|ش\.م\.م"
    r"|\((?i:pty|pvt|pte)\)?)$"
)
_THE = re.compile(r"^the\s+", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=200_000)
def name_key(company: str | None) -> str:
    """The key two spellings of one company name share; empty when nothing but a legal form is left.

    Legal forms go (cleanco, plus CJK, Arabic and Hebrew markers), "&" reads "and", case folds,
    accents on Latin letters fold ("Société" = "Societe"), other scripts are kept as written
    (a Japanese voiced mark is part of the letter), and spaces and punctuation drop.

    Examples:
        >>> name_key("ACME Incorporated"), name_key("Société Générale"), name_key("株式会社トヨタ")
        ('acme', 'societegenerale', 'トヨタ')
        >>> name_key("Inc.")
        ''
    """
    if not company:
        return ""
    text = unicodedata.normalize("NFKC", company).strip()
    for _ in range(3):  # "Acme Holdings Co., Ltd." needs two rounds
        base = _LEGAL_FORMS.sub("", _THE.sub("", basename(text).strip())).strip(" ,.-")
        if base == text:
            break
        text = base
    text = text.replace("&", " and ").casefold()
    return _NOT_WORD.sub("", _fold_latin_accents(text))


def _fold_latin_accents(text: str) -> str:
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue  # a mark on a Latin letter: é → e
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))
