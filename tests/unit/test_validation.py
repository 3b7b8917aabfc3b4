"""Every validation rule (docs/architecture.md), one message per field."""

from __future__ import annotations

import math

import pytest

from incidentlog.domain.enums import CountQualifier
from incidentlog.domain.errors import ValidationError
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.validation import (
    checked_incident,
    checked_quote,
    checked_source,
    clean_incident,
    clean_quote,
    incident_errors,
    quote_errors,
    source_errors,
)
from incidentlog.domain.when import parse_local

WHEN = parse_local("2024-01-20 18:30", "Asia/Baghdad")
GOOD = Incident(title="Attack on al-Assad Airbase", occurred=WHEN, country="IQ")


def errors_of(**changes: object) -> dict[str, str]:
    from dataclasses import replace

    return incident_errors(clean_incident(replace(GOOD, **changes)))


def test_a_good_incident_has_no_errors() -> None:
    assert errors_of() == {}


def test_title_is_required() -> None:
    assert errors_of(title="   ") == {"title": "is required"}


def test_title_length_is_bounded() -> None:
    assert "at most 500" in errors_of(title="x" * 501)["title"]


def test_occurrence_time_is_required() -> None:
    assert "required" in errors_of(occurred=None)["occurred_at"]


@pytest.mark.parametrize("lat", [90.0001, -91, math.inf, math.nan])
def test_latitude_in_range(lat: float) -> None:
    assert "latitude" in errors_of(latitude=lat, longitude=44.0)


@pytest.mark.parametrize("lon", [180.5, -181, math.inf])
def test_longitude_in_range(lon: float) -> None:
    assert "longitude" in errors_of(latitude=33.0, longitude=lon)


@pytest.mark.parametrize(("typed", "shown"), [(123.0, "123"), (-91.5, "-91.5"),
                                              (200.25, "200.25"), (1e300, "1e+300")])
def test_an_out_of_range_coordinate_is_quoted_as_typed(typed: float, shown: str) -> None:
    assert errors_of(latitude=typed, longitude=44.0)["latitude"] == \
        f"{shown} is out of range (-90 to 90)"
    assert errors_of(latitude=33.0, longitude=-181.0)["longitude"] == \
        "-181 is out of range (-180 to 180)"


def test_coordinates_both_or_neither() -> None:
    assert "neither" in errors_of(latitude=33.8)["longitude"]
    assert "neither" in errors_of(longitude=42.4)["latitude"]
    assert errors_of(latitude=33.8, longitude=42.4) == {}


@pytest.mark.parametrize("country", ["ZZ", "Iraq", "I", "iqq", "XX"])
def test_country_must_be_a_real_alpha2_code(country: str) -> None:
    assert "ISO 3166-1" in errors_of(country=country)["country"]


def test_country_code_is_upper_cased_when_cleaned() -> None:
    assert clean_incident(GOOD.__class__(title="t", occurred=WHEN, country=" iq ")).country == "IQ"


@pytest.mark.parametrize("field", ["launched", "intercepted"])
def test_munition_counts_not_negative(field: str) -> None:
    assert errors_of(**{field: -1})[field] == "cannot be negative"


def test_intercepted_at_most_launched() -> None:
    assert "more than" in errors_of(launched=3, intercepted=4)["intercepted"]
    assert errors_of(launched=4, intercepted=4) == {}
    assert errors_of(intercepted=4) == {}  # launched unknown: nothing to compare


@pytest.mark.parametrize("field", ["killed", "injured"])
def test_harm_counts(field: str) -> None:
    assert errors_of(**{field: Count(-1, CountQualifier.EXACT)})[field] == "cannot be negative"
    assert "no number" in errors_of(**{field: Count(None, CountQualifier.AT_LEAST)})[field]
    assert "unknown" in errors_of(**{field: Count(3, CountQualifier.UNKNOWN)})[field]


def test_confidence_1_to_6() -> None:
    assert "1" in errors_of(confidence=7)["confidence"]
    assert errors_of(confidence=6) == {}


def test_ref_format() -> None:
    assert "letters" in errors_of(ref="bad ref!")["ref"]


def test_time_zone_must_be_iana() -> None:
    from incidentlog.domain.enums import TimePrecision
    from incidentlog.domain.when import Moment

    # A Moment cannot be built with a bad zone, so the form never gets that far.
    with pytest.raises(ValueError, match="IANA"):
        Moment.from_local(WHEN.utc.replace(tzinfo=None), TimePrecision.DAY, "Baghdad")


def test_checked_incident_reports_every_bad_field_at_once() -> None:
    bad = Incident(title="", occurred=None, country="ZZ", latitude=100.0)
    with pytest.raises(ValidationError) as caught:
        checked_incident(bad)
    assert set(caught.value.fields) == {"title", "occurred_at", "country", "latitude",
                                        "longitude"}


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "example.com",
                                 "https://", "file:///etc/passwd"])
def test_source_urls_must_be_http(url: str) -> None:
    assert "http" in source_errors(Source(title="t", url=url))["url"]
    assert "http" in source_errors(Source(title="t", archive_url=url))["archive_url"]


def test_source_needs_something_to_identify_it() -> None:
    assert "title" in source_errors(Source())
    assert source_errors(Source(url="https://x.com/CENTCOM/status/1")) == {}


def test_source_sha256_and_language() -> None:
    errors = source_errors(Source(title="t", sha256="abc", language="English"))
    assert set(errors) == {"sha256", "language"}
    cleaned = checked_source(Source(title="t", sha256="A" * 64, language="ar"))
    assert cleaned.sha256 == "a" * 64


def test_source_handle_gets_its_at_sign() -> None:
    assert checked_source(Source(title="t", handle="CENTCOM")).handle == "@CENTCOM"


def test_quote_needs_text_and_speaker() -> None:
    assert set(quote_errors(Quote())) == {"text", "speaker"}
    assert quote_errors(Quote(text="We received updates", speaker="Joe Biden")) == {}
    with pytest.raises(ValidationError, match="speaker"):
        checked_quote(Quote(text="words", speaker="  "))


def test_count_parse_and_display() -> None:
    assert Count.parse("at least 5") == Count.at_least(5)
    assert Count.parse("5+") == Count.at_least(5)
    assert Count.parse("~12") == Count.about(12)
    assert Count.parse("") == Count()
    assert Count.parse("unknown").display() == "unknown"
    assert Count.exact(0).display() == "0"  # zero is known, not unknown
    with pytest.raises(ValueError, match="not a count"):
        Count.parse("many")


def test_tags_are_trimmed_deduplicated_sorted() -> None:
    from dataclasses import replace

    cleaned = clean_incident(replace(GOOD, tags=(" Escalation ", "escalation", "US  forces", "")))
    assert cleaned.tags == ("escalation", "us forces")


@pytest.mark.parametrize("text", ["0999-05-01", "9999", "9999-12-31"])
def test_dates_outside_four_digit_years_are_refused(text: str) -> None:
    assert "between the years" in errors_of(occurred=parse_local(text, "UTC"))["occurred_at"]
    assert "between the years" in source_errors(
        Source(title="t", published=parse_local(text, "UTC")))["published_at"]


def test_counts_beyond_a_billion_are_refused() -> None:
    assert "typing mistake" in errors_of(killed=Count.at_least(10**20))["killed"]
    assert "typing mistake" in errors_of(launched=10**12)["launched"]


@pytest.mark.parametrize(("text", "tz"), [("0001-01-01", "Asia/Tokyo"),
                                          ("9999-12-31 23:59", "America/Adak")])
def test_the_ends_of_the_calendar_are_a_value_error(text: str, tz: str) -> None:
    with pytest.raises(ValueError, match="outside the dates"):
        parse_local(text, tz)


def test_an_error_about_a_huge_record_quotes_only_a_short_prefix() -> None:
    """A 1 MB title (or URL, or zone) makes a readable message, not a 1 MB one."""
    huge = "A" * 1_000_000
    with pytest.raises(ValidationError) as raised:
        checked_incident(Incident(title=huge, occurred=WHEN, country="Q" * 1000))
    assert len(raised.value.message) < 1_000
    with pytest.raises(ValidationError) as raised:
        checked_source(Source(url="ftp://" + "x" * 1_000_000))
    assert len(raised.value.message) < 1_000


def test_nul_and_control_characters_are_removed_from_text() -> None:
    """Stored as CSV import and the forms store it: NUL and C0 controls stripped,
    tabs and line breaks kept."""
    cleaned = clean_incident(Incident(title="al-\x00Assad\x07 base", summary="a\tb\nc\r\nd\x1b"))
    assert cleaned.title == "al-Assad base"
    assert cleaned.summary == "a\tb\nc\r\nd"
    assert clean_quote(Quote(text="\x00\x00", speaker="x")).text is None
