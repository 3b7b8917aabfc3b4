"""ISO 3166-1 countries: the stored alpha-2 code, the name people read, and lookup.

An incident stores ``country`` as an alpha-2 code (docs/architecture.md). People read and
type names, and the names they use are the common ones ("Iran", "Syria",
"Russia"), not ISO's ("Iran, Islamic Republic of"): ``country_name`` gives
those, ``find_country`` understands both.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["all_countries", "country_name", "find_country", "is_country_code"]

_ALPHA_2 = re.compile(r"^[A-Z]{2}$")

#: Common names where pycountry has none (it has them for Iran, Syria, Laos, …).
_COMMON_NAMES = {
    "RU": "Russia",
    "PS": "Palestine",
    "BN": "Brunei",
    "FM": "Micronesia",
    "CD": "Democratic Republic of the Congo",
    "VA": "Vatican City",
}

#: Former or everyday names that are in no ISO field but that people type.
_ALIASES = {
    "turkey": "TR",
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "america": "US",
    "united states of america": "US",
    "ivory coast": "CI",
    "burma": "MM",
    "czech republic": "CZ",
    "swaziland": "SZ",
    "cape verde": "CV",
    "east timor": "TL",
    "macedonia": "MK",
    "vatican": "VA",
    "holy see": "VA",
    "drc": "CD",
    "dr congo": "CD",
    "republic of the congo": "CG",
    "congo-brazzaville": "CG",
    "congo-kinshasa": "CD",
    "korea, south": "KR",
    "korea, north": "KP",
    "palestinian territories": "PS",
}


def is_country_code(code: object) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code, exactly as stored: ``IQ``.

    Lower case, white space or alpha-3 is refused: callers clean input first
    (``find_country`` does), so that what is stored has one spelling.
    """
    return isinstance(code, str) and bool(_ALPHA_2.match(code)) and code in _names()


def country_name(code: str) -> str:
    """``IR`` → ``Iran``; an unknown code is returned as it is, so nothing is hidden."""
    return _names().get(code, code)


def find_country(text: object) -> str | None:
    """The alpha-2 code that ``text`` names, or None if it names none or several.

    Accepted: an alpha-2 or alpha-3 code in any case; the ISO, common or
    official name or a usual alias, ignoring case, accents and a leading
    "the"; a prefix of at least three letters that fits only one country
    ("Jord" → ``JO``; "Ira" fits Iran and Iraq → None).
    """
    if not isinstance(text, str):
        return None
    key = _fold(text)
    if not key:
        return None
    raw = text.strip().upper()
    if raw.isascii() and raw.isalpha():
        if len(raw) == 2 and raw in _names():
            return raw
        if len(raw) == 3 and raw in _alpha_3():
            return _alpha_3()[raw]
    index = _index()
    exact = index.get(key)
    if exact:
        return next(iter(exact)) if len(exact) == 1 else None
    if len(key) < 3:
        return None
    found = {code for name, names_codes in index.items() if name.startswith(key)
             for code in names_codes}
    return found.pop() if len(found) == 1 else None


def all_countries() -> list[tuple[str, str]]:
    """Every ``(code, name)``, sorted by name as a reader expects (Åland under A).

    A new list each call, so a caller may change it; the work is done once.
    """
    return list(_sorted_countries())


def _countries() -> Any:
    # Imported when first needed: pycountry's import (~40 ms, with
    # importlib.metadata) is not paid by the command line or the window's start.
    import pycountry

    return pycountry.countries


@lru_cache(maxsize=1)
def _sorted_countries() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_names().items(), key=lambda item: (_fold(item[1]), item[0])))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """alpha-2 → the name shown."""
    names: dict[str, str] = {}
    for country in _countries():
        code = country.alpha_2
        names[code] = _COMMON_NAMES.get(code) or getattr(country, "common_name", None) or (
            country.name
        )
    return names


@lru_cache(maxsize=1)
def _alpha_3() -> dict[str, str]:
    return {country.alpha_3: country.alpha_2 for country in _countries()}


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    """Folded name → the codes it names (a set, so a clash is seen, not hidden)."""
    index: dict[str, set[str]] = {}

    def add(name: str | None, code: str) -> None:
        if name:
            index.setdefault(_fold(name), set()).add(code)

    for country in _countries():
        code = country.alpha_2
        add(country.name, code)
        add(getattr(country, "common_name", None), code)
        add(getattr(country, "official_name", None), code)
        add(_COMMON_NAMES.get(code), code)
    for alias, code in _ALIASES.items():
        add(alias, code)
    return {name: frozenset(codes) for name, codes in index.items()}


def _fold(text: str) -> str:
    """Compare names the way people mean them: case, accents, quotes, spaces, "the"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = plain.replace("’", "'").replace("‘", "'").casefold()
    words = plain.split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)
