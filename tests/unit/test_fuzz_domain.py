"""What a person types or pastes: the parsers and validators raise only their documented errors.

Every function here reads text a desk officer typed or pasted into a form:
a date, a count, a URL, a citation, the fields of a record. A form shows the
documented error next to the field (``ValueError`` from the date and count
parsers, ``InvalidUrl`` from the URL normalizer, ``ValidationError`` from
the validators; the citation parser never raises); anything else would reach
the user as a crash report. Hypothesis feeds them arbitrary text and
values, plus text shaped like what they expect, so that the deep paths
(calendar arithmetic, IDNA, IPv6, percent-escapes) are reached, not only
the first "this is not a date".

Three bugs these properties found (since fixed in the domain) are kept as
regression tests at the end; docs/reliability.md lists them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from incidentlog.domain.citation import CitationGuess, parse_citation, parse_citation_date
from incidentlog.domain.enums import (
    Attribution,
    CountQualifier,
    GeoPrecision,
    Reliability,
    SourceKind,
    Status,
    TimePrecision,
)
from incidentlog.domain.errors import IncidentLogError, ValidationError
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.urls import InvalidUrl, is_http_url, normalize_url
from incidentlog.domain.validation import (
    FIRST_YEAR,
    LAST_YEAR,
    checked_incident,
    checked_quote,
    checked_source,
)
from incidentlog.domain.when import Moment, from_utc_text, parse_local
from incidentlog.services import Services
from incidentlog.store.database import open_database

FUZZ = settings(max_examples=200, deadline=None)
T = TypeVar("T")

#: Zones at the edges: +14 h, -12 h, half hours, a zone whose offset changed, and names
#: that are not zones (a path, a folder of zones, NUL, a lone surrogate).
ZONES = st.sampled_from([
    "UTC", "Asia/Baghdad", "Asia/Tehran", "Asia/Kolkata", "Pacific/Kiritimati", "Etc/GMT+12",
    "America/Adak", "Asia/Tokyo", "Europe/London", "America/Havana", "Australia/Lord_Howe",
]) | st.sampled_from(["", " UTC", "utc", "America", "../../etc/passwd", "Asia/\x00",
                      "Asia/\ud800", "Mars/Olympus"]) | st.text(max_size=20)

#: Anything, and text in the forms parse_local reads, with any digits (Unicode too).
DATE_TEXT = st.text(max_size=40) | st.from_regex(
    r"\A~?\s*\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2})?|h)?)?)?|-[Ww]\d{2})?\s*\Z"
)


@FUZZ
@given(text=DATE_TEXT, tz=ZONES, approximate=st.booleans())
def test_parse_local_raises_only_value_error(text: str, tz: str, approximate: bool) -> None:
    try:
        moment = parse_local(text, tz, approximate)
    except ValueError as exc:
        assert str(exc)
        return
    event("a date")
    assert moment.utc.tzinfo is not None
    assert moment.approximate == (approximate or text.strip().startswith("~"))
    if FIRST_YEAR <= moment.utc.year <= LAST_YEAR:  # the years a record may have
        assert from_utc_text(moment.utc_text) == moment.utc.replace(microsecond=0)


COUNT_TEXT = st.text(max_size=30) | st.from_regex(
    r"\A\s*(at least|about|approximately|approx\.?|around|~|>=|≥|ca\.?)?\s*\d{1,8}\s*\+?\s*\Z"
)


@FUZZ
@given(text=st.none() | COUNT_TEXT)
def test_count_parse_raises_only_value_error(text: str | None) -> None:
    try:
        count = Count.parse(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert count.value is None or (isinstance(count.value, int) and count.value >= 0)
    assert Count.parse(count.display()) == count  # what it shows reads back the same


def test_a_count_with_thousands_of_digits_is_a_value_error() -> None:
    """Python refuses to convert a 5,000-digit number (int_max_str_digits): a ValueError."""
    with pytest.raises(ValueError):
        Count.parse("9" * 5000)


URL_PARTS = st.sampled_from([
    "http://", "https://", "HTTPS://", "ftp://", "javascript:", "//", "https:///", "http:",
    "https://user:pass@", "https://[", "https://[::1]", "https://[fe80::1%25eth0]",
    "https://xn--", "https://xn--ls8h.la", "https://例え.テスト", "https://ουτοπία.δπθ.gr",
    "https://x.com", "https://twitter.com/#!/", "https://youtu.be/", "https://t.co/",
    ":", ":0", ":65535", ":65536", ":-1", ":x", "/", "/..", "/./", "/%2e%2e/", "%", "%zz",
    "%41", "%e2%80%ae", "?", "?s=20&t=1", "&", "=", "#", "#!/", "@", "\\", " ", "\t",
    "\u202e", "\u3002", "\uff0e", "\x00", ".", "..", "a", "-", "_", "0", "1.2.3.4",
    "CENTCOM", "status", "watch?v=", "utm_source=x",
])
URL_TEXT = (
    st.text(max_size=60)
    | urls()
    | st.lists(URL_PARTS | st.text(max_size=4), min_size=1, max_size=10).map("".join)
)


@FUZZ
@given(url=URL_TEXT)
def test_normalize_url_raises_only_invalid_url_and_is_idempotent(url: str) -> None:
    try:
        key = normalize_url(url)
    except InvalidUrl as exc:
        assert str(exc) and exc.reason
        assert not is_http_url(url)
        return
    event("a valid URL")
    assert key.startswith("https://")
    assert normalize_url(key) == key  # documented: idempotent
    assert is_http_url(url)


CITATION_LINES = st.sampled_from([
    "— U.S. Central Command (@CENTCOM) January 20, 2024",
    "— (@) 2024-02-30", "— Someone (@someone) 31 September 2024", "pic.twitter.com/iyveXX1f9H",
    "https://x.com/CENTCOM/status/1748862279476703473", "https://youtu.be/abcdef",
    "ATTACK IN IRAQ – YOUTUBE", "Jan. 20, 2024", "January 2024", "0000-00-00", "9999-12-31",
    "@", "—", "(@CENTCOM)", "\u202e\u2066", "https://", "https://[", "http://t.co/x",
])
CITATION_TEXT = st.text(max_size=200) | st.lists(
    CITATION_LINES | st.text(max_size=30), min_size=1, max_size=6
).map("\n".join)


@FUZZ
@given(text=CITATION_TEXT)
def test_parse_citation_never_raises(text: str) -> None:
    guess = parse_citation(text)
    assert isinstance(guess, CitationGuess)
    assert guess.url is None or is_http_url(guess.url)
    parse_citation_date(text)


# --- the validators ---------------------------------------------------------------------

TEXT = st.none() | st.text(max_size=30) | st.sampled_from([
    "", "  ", "x" * 501, "x" * 100_001, "\x00", "\u202e", "IQ", "iq", "XX", "en", "ar-IQ",
    "https://x.com/a", "not a url", "a" * 64, "A" * 64, "2024-01-20T15:30:00Z", "2024-13-01",
    "@CENTCOM", "CENTCOM", "IQ-2024-0001", "has space", "-leading",
])
NUMBER = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-1000, 1000)
INT = st.none() | st.integers(-(2**70), 2**70)
COUNTS = st.builds(
    Count, st.none() | st.integers(-(2**70), 2**70), st.sampled_from(list(CountQualifier))
)
#: The whole calendar but its first year and last day, where a +14 h or -12 h zone would
#: overflow while the moment is being built (parse_local refuses those, see below): a
#: date in year 1 floors to 1 January of year 1 at year, month or week precision.
MOMENT = st.builds(
    Moment.from_local,
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9999, 12, 30)),
    st.sampled_from(list(TimePrecision)),
    st.sampled_from(["UTC", "Asia/Baghdad", "Pacific/Kiritimati", "Etc/GMT+12"]),
    st.booleans(),
)
MOMENTS = st.none() | MOMENT
TAGS = st.lists(st.text(max_size=120), max_size=4).map(tuple)

INCIDENTS = st.builds(
    Incident, title=TEXT, occurred=MOMENTS, summary=TEXT, ref=TEXT, place=TEXT, admin1=TEXT,
    country=TEXT, latitude=NUMBER, longitude=NUMBER,
    geo_precision=st.none() | st.sampled_from(list(GeoPrecision)), event_type=TEXT,
    weapons=TEXT, launched=INT, intercepted=INT, perpetrator=TEXT,
    attribution=st.sampled_from(list(Attribution)), target=TEXT, killed=COUNTS,
    injured=COUNTS, status=st.sampled_from(list(Status)), confidence=INT, tags=TAGS,
)
SOURCES = st.builds(
    Source, kind=st.sampled_from(list(SourceKind)), title=TEXT, url=TEXT | URL_TEXT,
    outlet=TEXT, author=TEXT, handle=TEXT, published=MOMENTS, accessed_at=TEXT,
    archive_url=TEXT | URL_TEXT, excerpt=TEXT, language=TEXT,
    reliability=st.none() | st.sampled_from(list(Reliability)), sha256=TEXT, notes=TEXT,
)
QUOTES = st.builds(
    Quote, text=TEXT, speaker=TEXT, speaker_role=TEXT, speaker_org=TEXT, said=MOMENTS,
    language=TEXT, context=TEXT,
)


@FUZZ
@given(incident=INCIDENTS)
def test_checked_incident_raises_only_validation_error(incident: Incident) -> None:
    try:
        cleaned = checked_incident(incident)
    except ValidationError as exc:
        assert exc.fields and all(exc.fields.values())
        return
    assert checked_incident(cleaned) == cleaned  # cleaning twice changes nothing
    for value in (cleaned.latitude, cleaned.longitude):
        assert value is None or math.isfinite(value)


@FUZZ
@given(source=SOURCES)
def test_checked_source_raises_only_validation_error(source: Source) -> None:
    try:
        cleaned = checked_source(source)
    except ValidationError as exc:
        assert exc.fields and all(exc.fields.values())
        return
    assert checked_source(cleaned) == cleaned
    assert cleaned.url is None or is_http_url(cleaned.url)


@FUZZ
@given(quote=QUOTES)
def test_checked_quote_raises_only_validation_error(quote: Quote) -> None:
    try:
        cleaned = checked_quote(quote)
    except ValidationError as exc:
        assert exc.fields and all(exc.fields.values())
        return
    assert checked_quote(cleaned) == cleaned


@pytest.fixture(scope="module")
def saving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    database = open_database(tmp_path_factory.mktemp("fuzz-save") / "log.sqlite3")
    yield Services(database, actor="fuzz")
    database.close()


SHORT = st.none() | st.text(max_size=40)
KNOWN_COUNTS = st.just(Count()) | st.builds(
    Count, st.integers(0, 2**70),
    st.sampled_from([q for q in CountQualifier if q is not CountQualifier.UNKNOWN]),
)
#: Records most of which pass validation, with free text anywhere it is allowed.
PLAUSIBLE_INCIDENTS = st.builds(
    Incident, title=st.text(min_size=1, max_size=80), occurred=MOMENT,
    summary=st.none() | st.text(max_size=300), place=SHORT, admin1=SHORT, event_type=SHORT,
    weapons=SHORT, perpetrator=SHORT, target=SHORT,
    country=st.sampled_from([None, "IQ", "SY", "ye"]),
    launched=st.none() | st.integers(0, 2**70), killed=KNOWN_COUNTS, injured=KNOWN_COUNTS,
    confidence=st.none() | st.integers(1, 6),
    tags=st.lists(st.text(max_size=100), max_size=4).map(tuple),
)
PLAUSIBLE_SOURCES = st.builds(
    Source, kind=st.sampled_from(list(SourceKind)), title=st.text(min_size=1, max_size=80),
    url=st.none() | urls() | URL_TEXT, outlet=SHORT, author=SHORT, handle=SHORT,
    published=MOMENTS, excerpt=SHORT, notes=SHORT,
)
PLAUSIBLE_QUOTES = st.builds(
    Quote, text=st.text(min_size=1, max_size=200), speaker=st.text(min_size=1, max_size=40),
    speaker_role=SHORT, speaker_org=SHORT, said=MOMENTS, context=SHORT,
)


def valid(check: Callable[[T], T], record: T) -> T | None:
    try:
        return check(record)
    except ValidationError:
        return None


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(incident=PLAUSIBLE_INCIDENTS, source=PLAUSIBLE_SOURCES, quote=PLAUSIBLE_QUOTES)
def test_what_the_validators_accept_the_store_saves(
    saving: Services, incident: Incident, source: Source, quote: Quote
) -> None:
    """The form validates, then saves: a record that passed must not fail with a traceback."""
    stored = cited = None
    try:
        if valid(checked_incident, incident):
            stored = saving.incidents.create(replace(incident, ref=None)).record
            event("an incident saved")
        if valid(checked_source, source):
            cited = saving.sources.create(source).record
            event("a source saved")
        quote = replace(quote, incident_uid=stored.uid if stored else None,
                        source_uid=cited.uid if cited else None)
        if valid(checked_quote, quote):
            saving.quotes.create(quote)
            event("a quote saved")
    except IncidentLogError as exc:  # e.g. a source URL that is already in the log
        assert str(exc)


# --- regressions: bugs these properties found, since fixed ------------------------------


@pytest.mark.parametrize(("text", "tz"), [("0001-01-01", "Asia/Tokyo"),
                                          ("9999-12-31 23:59", "America/Adak")])
def test_parse_local_at_the_ends_of_the_calendar(text: str, tz: str) -> None:
    """Was an OverflowError: the zone's offset pushed UTC past year 1 or 9999."""
    with pytest.raises(ValueError, match="outside the dates"):
        parse_local(text, tz)


@pytest.mark.parametrize("text", ["0999-05-01", "9999", "9999-12-31"])
def test_years_before_1000_and_in_9999_are_refused(saving: Services, text: str) -> None:
    """Were accepted by the validators, then failed to save with a traceback
    (``strftime("%Y")`` writes ``999`` on Linux; 9999 has no interval end)."""
    incident = Incident(title="Edge of the calendar", occurred=parse_local(text, "UTC"))
    with pytest.raises(ValidationError) as refused:
        checked_incident(incident)
    assert "occurred_at" in refused.value.fields


@pytest.mark.parametrize("field", ["killed", "launched"])
def test_a_number_beyond_64_bits_is_refused(field: str) -> None:
    """Was accepted by the validators, then refused by SQLite with OverflowError."""
    huge = Count.parse("at least 99999999999999999999")
    value = huge if field == "killed" else huge.value
    incident = Incident(title="Typo", occurred=parse_local("2024", "UTC"), **{field: value})
    with pytest.raises(ValidationError) as refused:
        checked_incident(incident)
    assert field in refused.value.fields


def test_a_year_1000_report_east_of_utc_is_stored_and_read_back(saving: Services) -> None:
    """Was a ValueError on reading: 1000-01-01 in Baghdad is 999-12-31 in UTC, which the
    C library's %Y wrote as "999-12-31T…", not a date ISO 8601 can read."""
    published = Moment.from_local(datetime(1000, 1, 1), TimePrecision.DAY, "Asia/Baghdad")
    stored = saving.sources.create(Source(title="a chronicle", published=published)).record
    assert stored.published == published
    assert saving.sources.get(stored.uid or "").published == published
