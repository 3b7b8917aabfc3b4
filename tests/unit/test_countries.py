"""ISO 3166-1 codes, the names people read, and finding a code from what they type."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentlog.domain.countries import (
    all_countries,
    country_name,
    find_country,
    is_country_code,
)


@pytest.mark.parametrize("code", ["IQ", "SY", "IR", "JO", "IL", "LB", "YE", "US", "GB", "PS"])
def test_assigned_codes(code: str) -> None:
    assert is_country_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "iq", "Iq", " IQ", "IQ ", "IRQ", "I", "", "ZZ", "XK", "UK", "EU", "Q1", "ＩＱ", "11",
    ],
)
def test_not_stored_codes(code: str) -> None:
    # Only the cleaned, stored spelling passes: callers upper-case and trim first.
    assert not is_country_code(code)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("IQ", "Iraq"),
        ("IR", "Iran"),
        ("SY", "Syria"),
        ("RU", "Russia"),
        ("PS", "Palestine"),
        ("KR", "South Korea"),
        ("KP", "North Korea"),
        ("VN", "Vietnam"),
        ("LA", "Laos"),
        ("TW", "Taiwan"),
        ("BO", "Bolivia"),
        ("VE", "Venezuela"),
        ("TZ", "Tanzania"),
        ("MD", "Moldova"),
        ("CD", "Democratic Republic of the Congo"),
        ("CG", "Congo"),
        ("JO", "Jordan"),
        ("US", "United States"),
        ("GB", "United Kingdom"),
        ("TR", "Türkiye"),
        ("CI", "Côte d'Ivoire"),
    ],
)
def test_country_name(code: str, name: str) -> None:
    assert country_name(code) == name


@pytest.mark.parametrize("code", ["ZZ", "XK", "iq", "", "Iraq"])
def test_unknown_code_is_its_own_name(code: str) -> None:
    assert country_name(code) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # codes, any case
        ("IQ", "IQ"),
        ("iq", "IQ"),
        (" sy ", "SY"),
        ("IRQ", "IQ"),
        ("syr", "SY"),
        # ISO, common and official names, any case, accents and "the" ignored
        ("Iraq", "IQ"),
        ("IRAQ", "IQ"),
        ("Republic of Iraq", "IQ"),
        ("Iran", "IR"),
        ("iran, islamic republic of", "IR"),
        ("Islamic Republic of Iran", "IR"),
        ("Syria", "SY"),
        ("Syrian Arab Republic", "SY"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Hashemite Kingdom of Jordan", "JO"),
        ("the United States", "US"),
        ("United States of America", "US"),
        ("Cote d'Ivoire", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("Türkiye", "TR"),
        ("turkiye", "TR"),
        ("Palestine", "PS"),
        ("State of Palestine", "PS"),
        ("Congo", "CG"),
        ("Niger", "NE"),
        ("Dominica", "DM"),
        # aliases people type
        ("Turkey", "TR"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("Burma", "MM"),
        ("Ivory Coast", "CI"),
        ("Czech Republic", "CZ"),
        ("DRC", "CD"),
        # unique prefixes of at least three letters
        ("Jord", "JO"),
        ("Leban", "LB"),
        ("Yem", "YE"),
        ("Isra", "IL"),
        ("Saudi", "SA"),
        ("Afgh", "AF"),
    ],
)
def test_find_country(text: str, code: str) -> None:
    assert find_country(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Ira",  # Iran or Iraq
        "Korea",  # South or North
        "United",  # many
        "Nige",  # Niger or Nigeria
        "Xa",  # too short for a prefix, no such code
        "ZZ",
        "Atlantis",
        "Kurdistan",
        "Baghdad",
        "العراق",
    ],
)
def test_find_country_none(text: str) -> None:
    assert find_country(text) is None


def test_all_countries_sorted_by_name_with_common_names() -> None:
    countries = all_countries()
    assert len(countries) == 249
    assert countries[0] == ("AF", "Afghanistan")
    assert countries[1] == ("AX", "Åland Islands")  # sorted as a reader expects, under A
    assert countries[-1] == ("ZW", "Zimbabwe")
    assert ("IR", "Iran") in countries
    assert ("SY", "Syria") in countries
    assert ("RU", "Russia") in countries
    codes = [code for code, _ in countries]
    assert len(set(codes)) == len(codes)
    assert all(is_country_code(code) for code in codes)
    assert all(country_name(code) == name for code, name in countries)


def test_all_countries_is_cached_but_safe_to_change() -> None:
    first = all_countries()
    first.clear()
    assert len(all_countries()) == 249


def test_every_name_finds_its_code() -> None:
    for code, name in all_countries():
        assert find_country(name) == code, name
        assert find_country(code.lower()) == code


@given(st.text(max_size=50))
def test_find_country_never_raises(text: str) -> None:
    code = find_country(text)
    assert code is None or is_country_code(code)


@given(st.text(max_size=5))
def test_is_country_code_never_raises(text: str) -> None:
    assert is_country_code(text) in (True, False)
