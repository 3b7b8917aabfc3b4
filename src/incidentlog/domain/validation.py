"""Validation rules (docs/architecture.md): one message per field, in words a user can act on.

``clean_*`` returns the record as it will be stored (white space trimmed, empty
text absent, tags de-duplicated); ``check_*`` raises ``ValidationError`` with
every problem found, not only the first, so a form can mark each field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TypeVar

from incidentlog.domain.actors import (
    actor_errors,
    clean_actors,
    derived_perpetrator,
    legacy_actors,
)
from incidentlog.domain.countries import is_country_code
from incidentlog.domain.enums import CountQualifier
from incidentlog.domain.errors import ValidationError, quoted
from incidentlog.domain.records import Count, Incident, Period, Quote, Source, clean_text
from incidentlog.domain.urls import is_http_url
from incidentlog.domain.when import Moment, from_utc_text, is_zone

MAX_TITLE = 500
MAX_TEXT = 100_000
MAX_SHORT = 500
#: Counts and numbers of munitions above this are typing mistakes (and beyond 2**63
#: SQLite cannot store them at all).
MAX_COUNT = 1_000_000_000
#: Years a stored instant may have: four digits, with room for the interval's end.
FIRST_YEAR, LAST_YEAR = 1000, 9998
REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")

_INCIDENT_TEXT = (
    "title",
    "summary",
    "ref",
    "place",
    "admin1",
    "event_type",
    "weapons",
    "perpetrator",
    "target",
)
_SOURCE_TEXT = (
    "title",
    "url",
    "outlet",
    "author",
    "handle",
    "archive_url",
    "excerpt",
    "language",
    "sha256",
    "notes",
    "accessed_at",
)
_QUOTE_TEXT = ("text", "speaker", "speaker_role", "speaker_org", "language", "context")


_Record = TypeVar("_Record", Incident, Source, Quote, Period)


def _cleaned(record: _Record, names: Iterable[str]) -> _Record:
    # The names are text fields of the record: Any only because they are chosen at run time.
    texts: dict[str, Any] = {name: clean_text(getattr(record, name)) for name in names}
    return replace(record, **texts)


def clean_tags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Trimmed, lower-cased, de-duplicated, sorted: tags compare the way people mean them."""
    return tuple(sorted({" ".join(tag.split()).lower() for tag in tags if tag and tag.strip()}))


def clean_incident(incident: Incident) -> Incident:
    cleaned = _cleaned(incident, _INCIDENT_TEXT)
    country = cleaned.country.strip().upper() if cleaned.country else None
    texts = (replace(actor, actor=clean_text(actor.actor),
                     attributed_by=clean_text(actor.attributed_by),
                     source_uid=clean_text(actor.source_uid)) for actor in cleaned.actors)
    actors = clean_actors(texts) or legacy_actors(cleaned.perpetrator, cleaned.attribution)
    perpetrator, attribution = derived_perpetrator(actors)
    return replace(cleaned, country=country or None, tags=clean_tags(cleaned.tags),
                   killed=cleaned.killed.normalized(), injured=cleaned.injured.normalized(),
                   actors=actors, perpetrator=perpetrator, attribution=attribution)


def clean_source(source: Source) -> Source:
    cleaned = _cleaned(source, _SOURCE_TEXT)
    handle = cleaned.handle
    if handle and not handle.startswith("@") and " " not in handle:
        handle = "@" + handle
    sha = cleaned.sha256.lower() if cleaned.sha256 else None
    return replace(cleaned, handle=handle, sha256=sha)


def clean_quote(quote: Quote) -> Quote:
    return _cleaned(quote, _QUOTE_TEXT)


def _check_length(errors: dict[str, str], name: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        errors[name] = f"is {len(value):,} characters long; at most {limit:,} are allowed"


def _check_moment(errors: dict[str, str], name: str, moment: Moment | None) -> None:
    if moment is not None and not FIRST_YEAR <= moment.local().year <= LAST_YEAR:
        errors[name] = f"must be between the years {FIRST_YEAR} and {LAST_YEAR}"


def _check_count(errors: dict[str, str], name: str, count: Count) -> None:
    if count.qualifier is CountQualifier.UNKNOWN:
        if count.value is not None or count.low is not None or count.high is not None:
            errors[name] = "has a number but is marked unknown"
    elif count.value is None:
        errors[name] = f"is marked {count.qualifier.label} but has no number"
    elif min(n for n in (count.value, count.low, count.high) if n is not None) < 0:
        errors[name] = "cannot be negative"
    elif max(n for n in (count.value, count.low, count.high) if n is not None) > MAX_COUNT:
        errors[name] = f"is more than {MAX_COUNT:,}: a typing mistake?"
    elif count.low is not None and count.low > count.value:
        errors[name] = f"low {count.low} is more than the best estimate {count.value}"
    elif count.high is not None and count.high < count.value:
        errors[name] = f"high {count.high} is less than the best estimate {count.value}"
    elif count.qualifier is CountQualifier.EXACT and count.ranged:
        errors[name] = "an exact number has no range; mark it 'about' to give low and high"
    elif count.qualifier is CountQualifier.AT_LEAST and count.low is not None:
        errors[name] = "'at least' is its own low end; give a high end only"


def _check_harm_parts(errors: dict[str, str], incident: Incident) -> None:
    """Each part of a total (the civilian/military/unknown split, the seriously injured)
    is one number, and together they are not more than the total can be."""
    groups = (
        ("killed", incident.killed, incident.killed_split.parts()),
        ("injured", incident.injured, incident.injured_split.parts()),
    )
    for total_name, total, split in groups:
        for part, count in split:
            _check_part(errors, f"{total_name}_{part}", count)
        _check_within(errors, total_name, total, split)
    _check_part(errors, "injured_seriously", incident.injured_seriously)
    _check_within(errors, "injured", incident.injured,
                  (("seriously", incident.injured_seriously),))


def _check_part(errors: dict[str, str], name: str, count: Count) -> None:
    _check_count(errors, name, count)
    if name not in errors and count.ranged:
        errors[name] = "give one number ('5', 'at least 5', 'about 5'); ranges are kept for totals"


def _check_within(errors: dict[str, str], total_name: str, total: Count,
                  parts: tuple[tuple[str, Count], ...]) -> None:
    known = [(part, count) for part, count in parts if count.known]
    if not known or total_name in errors or any(
        f"{total_name}_{part}" in errors for part, _count in known
    ):
        return
    least = sum(count.value or 0 for _part, count in known)
    most = total.upper
    named = " + ".join(f"{count.value} {part}" for part, count in known)
    if not total.known:
        errors[total_name] = f"is unknown but its parts say at least {least} ({named})"
    elif most is not None and least > most:
        errors[f"{total_name}_{known[0][0]}"] = (
            f"{named} is more than the {total_name} total's high end of {most}"
        )


def _check_language(errors: dict[str, str], value: str | None) -> None:
    if value is not None and not LANGUAGE_PATTERN.match(value):
        errors["language"] = f"{quoted(value)} is not a language code such as en, ar or fa"


def _as_typed(value: float) -> str:
    """A number as a person types it: "123", not the float's "123.0"."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def incident_errors(incident: Incident) -> dict[str, str]:
    """Every problem of a cleaned incident, keyed by field name."""
    errors: dict[str, str] = {}
    if not incident.title:
        errors["title"] = "is required"
    _check_length(errors, "title", incident.title, MAX_TITLE)
    _check_length(errors, "summary", incident.summary, MAX_TEXT)
    for name in ("place", "admin1", "event_type", "weapons", "perpetrator", "target"):
        _check_length(errors, name, getattr(incident, name), MAX_SHORT)
    if incident.occurred is None:
        errors["occurred_at"] = "is required: when did it happen?"
    elif not is_zone(incident.occurred.tz):
        errors["tz"] = (f"{quoted(incident.occurred.tz)} is not an IANA time zone "
                        "such as Asia/Baghdad")
    else:
        _check_moment(errors, "occurred_at", incident.occurred)
    if incident.ref is not None and not REF_PATTERN.match(incident.ref):
        errors["ref"] = "use letters, digits and - _ . / only (at most 40), e.g. IQ-2024-0007"
    if incident.country is not None and not is_country_code(incident.country):
        errors["country"] = f"{quoted(incident.country)} is not an ISO 3166-1 alpha-2 country code"
    lat, lon = incident.latitude, incident.longitude
    if (lat is None) != (lon is None):
        missing = "longitude" if lon is None else "latitude"
        errors[missing] = "give both latitude and longitude, or neither"
    if lat is not None and (not math.isfinite(lat) or not -90 <= lat <= 90):
        errors["latitude"] = f"{_as_typed(lat)} is out of range (-90 to 90)"
    if lon is not None and (not math.isfinite(lon) or not -180 <= lon <= 180):
        errors["longitude"] = f"{_as_typed(lon)} is out of range (-180 to 180)"
    for name in ("launched", "intercepted"):
        value = getattr(incident, name)
        if value is not None and value < 0:
            errors[name] = "cannot be negative"
        elif value is not None and value > MAX_COUNT:
            errors[name] = f"is more than {MAX_COUNT:,}: a typing mistake?"
    if (
        incident.launched is not None
        and incident.intercepted is not None
        and incident.intercepted > incident.launched
        and "intercepted" not in errors
    ):
        errors["intercepted"] = (
            f"{incident.intercepted} intercepted is more than the {incident.launched} launched"
        )
    _check_count(errors, "killed", incident.killed)
    _check_count(errors, "injured", incident.injured)
    _check_harm_parts(errors, incident)
    if incident.confidence is not None and not 1 <= incident.confidence <= 6:
        errors["confidence"] = "must be 1 (confirmed) to 6 (cannot be judged)"
    for tag in incident.tags:
        if len(tag) > 100:
            errors["tags"] = f"the tag {tag[:20]!r}… is longer than 100 characters"
    actors = actor_errors(incident.actors)
    if actors:
        errors["actors"] = actors
    return errors


def source_errors(source: Source) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (source.title or source.url or source.excerpt):
        errors["title"] = "give at least a title, a URL or the text of the post"
    _check_length(errors, "title", source.title, MAX_TITLE)
    for name in ("url", "archive_url"):
        value = getattr(source, name)
        if value is not None and not is_http_url(value):
            errors[name] = f"{quoted(value)} is not a web address starting with http:// or https://"
        _check_length(errors, name, value, 4000)
    for name in ("outlet", "author", "handle"):
        _check_length(errors, name, getattr(source, name), MAX_SHORT)
    _check_length(errors, "excerpt", source.excerpt, MAX_TEXT)
    _check_length(errors, "notes", source.notes, MAX_TEXT)
    if source.published is not None and not is_zone(source.published.tz):
        errors["published_at"] = f"{quoted(source.published.tz)} is not an IANA time zone"
    else:
        _check_moment(errors, "published_at", source.published)
    if source.accessed_at is not None:
        try:
            from_utc_text(source.accessed_at)
        except ValueError:
            errors["accessed_at"] = f"{quoted(source.accessed_at)} is not a date and time in UTC"
    _check_language(errors, source.language)
    if source.sha256 is not None and not SHA256_PATTERN.match(source.sha256):
        errors["sha256"] = "must be 64 hexadecimal digits"
    return errors


def quote_errors(quote: Quote) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not quote.text:
        errors["text"] = "is required: what was said?"
    if not quote.speaker:
        errors["speaker"] = "is required: who said it?"
    _check_length(errors, "text", quote.text, MAX_TEXT)
    _check_length(errors, "context", quote.context, MAX_TEXT)
    for name in ("speaker", "speaker_role", "speaker_org"):
        _check_length(errors, name, getattr(quote, name), MAX_SHORT)
    if quote.said is not None and not is_zone(quote.said.tz):
        errors["said_at"] = f"{quoted(quote.said.tz)} is not an IANA time zone"
    else:
        _check_moment(errors, "said_at", quote.said)
    _check_language(errors, quote.language)
    return errors


def checked_incident(incident: Incident) -> Incident:
    """The cleaned incident, or ``ValidationError`` naming every bad field."""
    cleaned = clean_incident(incident)
    errors = incident_errors(cleaned)
    if errors:
        raise ValidationError(errors, record=f"incident {cleaned.label}")
    return cleaned


def checked_source(source: Source) -> Source:
    cleaned = clean_source(source)
    errors = source_errors(cleaned)
    if errors:
        raise ValidationError(errors, record=f"source {cleaned.label}")
    return cleaned


def checked_quote(quote: Quote) -> Quote:
    cleaned = clean_quote(quote)
    errors = quote_errors(cleaned)
    if errors:
        raise ValidationError(errors, record=f"quote {cleaned.label}")
    return cleaned


COLOR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")


def period_errors(period: Period) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not period.name:
        errors["name"] = "is required"
    _check_length(errors, "name", period.name, MAX_TITLE)
    _check_length(errors, "notes", period.notes, MAX_TEXT)
    _check_moment(errors, "start", period.start)
    _check_moment(errors, "end", period.end)
    if period.start is None:
        errors["start"] = "is required"
    if period.end is None:
        errors["end"] = "is required"
    if period.start is not None and period.end is not None and (
        period.end.interval()[1] <= period.start.interval()[0]
    ):
        errors["end"] = "must not be before the start"
    if period.color is not None and not COLOR_PATTERN.match(period.color):
        errors["color"] = f"{quoted(period.color)} is not a colour like #1f77b4"
    return errors


def checked_period(period: Period) -> Period:
    cleaned = _cleaned(period, ("name", "color", "notes"))
    errors = period_errors(cleaned)
    if errors:
        raise ValidationError(errors, record=f"period {cleaned.label}")
    return cleaned
