"""The name-normalisation policy: when two printed names are taken to be one person.

This is the only place that decides it; change it here and every importer and the IRI minter
follow. A person without an ACL person id or ORCID is identified by the *key* of their name:

1. Unicode NFKC, then accents removed (NFKD minus combining marks), ``ß`` -> ``ss``, ``ø`` -> ``o``;
2. lower case; every run of characters that are not ``a-z0-9`` becomes one ``-``;
3. leading and trailing ``-`` removed;
4. a name with no Latin letter or digit left is keyed by a digest of its case-folded form.

So "Zhenguo Li", "ZHENGUO LI" and "Zhénguo  Li" share the key ``zhenguo-li``, which is also the
form of the ACL Anthology's own person ids (``orphee-de-clercq``). Names that differ in more than
that (initials, reordered parts) stay different people: a false merge is worse than a missed one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

_FOLD = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                       "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "Þ": "TH"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """The name as printed, with Unicode normalised (NFC) and runs of white space collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


def ascii_fold(text: str) -> str:
    """``text`` without accents, as ASCII where a close letter exists."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).translate(_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def slug(text: str) -> str:
    """A lower-case ASCII slug with ``-`` between words (rules 1-3 above); may be empty."""
    return _NON_ALNUM.sub("-", ascii_fold(text).lower()).strip("-")


def _key(text: str) -> str:
    # Text with no Latin letters or digits (a name in Chinese script) has no slug: it is keyed by
    # a digest of its normalised form instead, so that it still matches itself and nothing else.
    key = slug(text)
    if key:
        return key
    folded = _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return "u" + hashlib.sha256(folded.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1 << 16)  # the same names recur on thousands of records
def person_key(name: str) -> str:
    """The identity key of a person known only by ``name``."""
    return _key(name)


def title_key(title: str) -> str:
    """The key under which two titles are the same title (for matching papers across sources)."""
    return _key(title)
