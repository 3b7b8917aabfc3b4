"""From a JSON record to domain records: the domain's rules, and what the write pass needs.

A record that passed the schema (``json.schema``) is made a domain record here and
checked by ``domain.validation``; every fault is reported with the record's label
and the field (``record_error``). ``converted`` then reduces it to plain values
(``store.records``) that the spool keeps for the merge (``json.merge``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy.engine import Connection

from incidentlog.domain.actors import IncidentActor
from incidentlog.domain.enums import (
    Attribution,
    GeoPrecision,
    Reliability,
    SourceKind,
    Status,
    TimePrecision,
)
from incidentlog.domain.errors import ExchangeError, ValidationError
from incidentlog.domain.query import Sort
from incidentlog.domain.records import (
    Incident,
    Period,
    Quote,
    RecordMeta,
    Source,
    SourceLink,
)
from incidentlog.domain.saved_views import SavedView, checked_view, filter_from_json
from incidentlog.domain.validation import (
    checked_incident,
    checked_period,
    checked_quote,
    checked_source,
)
from incidentlog.domain.when import Moment, from_utc_text, zone
from incidentlog.exchange.harm import harm_from_json
from incidentlog.store import lineage
from incidentlog.store import records as store_records

__all__ = [
    "BAD_RECORD",
    "MAX_VERSION",
    "FieldError",
    "converted",
    "incident_from_json",
    "period_from_json",
    "quote_from_json",
    "record_error",
    "record_label",
    "saved_view_from_json",
    "source_from_json",
]

#: The domain's names of a period's fields → the format's.
_PERIOD_FIELDS = {"start": "start_at", "end": "end_at"}
#: What a record that passed the schema can still raise when made a domain value: all are
#: faults of the file, reported as such (never as a traceback).
BAD_RECORD = (ValidationError, ValueError, KeyError, TypeError, ArithmeticError)
#: The highest record version the format allows (the schema's ``maximum``): 2**53, the
#: largest integer every JSON reader holds exactly. Beyond it a version stops counting
#: (1e308 + 1 == 1e308) or overflows SQLite's 64-bit integer on the next edit, and
#: optimistic locking could no longer tell two edits apart.
MAX_VERSION = 2**53


class FieldError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def _timestamp(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    try:
        if isinstance(value, str) and len(value) == 20 and value[10] == "T" and value[19] == "Z":
            # The schema's form, 2024-01-20T15:30:00Z: only whether it is a real date is
            # left to find out, and fromisoformat alone says that.
            datetime.fromisoformat(value)
        else:
            from_utc_text(value)
    except ValueError as exc:
        raise FieldError(name, f"{value!r} is not a real date and time") from exc
    return cast(str, value)


#: Moments already read, by what the record says: sources of one day, quotes of one
#: minute share theirs. Bounded: cleared when full. Moments are immutable.
_MOMENTS: dict[tuple[Any, ...], Moment] = {}
_MOMENTS_KEPT = 4096


def _moment(
    record: Mapping[str, Any],
    at: str,
    precision: str,
    tz: str,
    approximate: str | None = None,
) -> Moment | None:
    text = record.get(at)
    if text is None:
        return None
    zone_name = record.get(tz) or "UTC"
    about = bool(record.get(approximate)) if approximate else False
    key: tuple[Any, ...] | None = (text, record.get(precision), zone_name, about)
    try:
        known = _MOMENTS.get(key)  # type: ignore[arg-type]
    except TypeError:  # not from a schema-valid record: no shortcut
        known = key = None
    if known is not None:
        return known
    try:
        zone(zone_name)
    except ValueError:
        raise FieldError(
            tz, f"{zone_name!r} is not an IANA time zone such as Asia/Baghdad"
        ) from None
    try:
        instant = from_utc_text(text)
    except ValueError:
        raise FieldError(at, f"{text!r} is not a real date and time") from None
    moment = Moment(
        instant,
        TimePrecision(record.get(precision) or "minute"),
        zone_name,
        bool(record.get(approximate)) if approximate else False,
    )
    try:
        moment.interval()  # what the store computes; fails at the ends of the calendar
    except (ValueError, OverflowError):
        raise FieldError(at, f"{text!r} is too far in the past or future") from None
    if key is not None:
        if len(_MOMENTS) >= _MOMENTS_KEPT:
            _MOMENTS.clear()
        _MOMENTS[key] = moment
    return moment


def _version(record: Mapping[str, Any]) -> int:
    """The record's version as an int from 1 to ``MAX_VERSION``; 0 when not given.

    The schema says so too, but JSON Schema calls 1e308 an integer and a caller may
    skip the schema: optimistic locking depends on this being a counter that can
    still count.
    """
    value = record.get("version")
    if value is None:
        return 0  # not given: 1 when added
    if isinstance(value, float) and value.is_integer() and 1 <= value <= MAX_VERSION:
        return int(value)  # 3.0 is the integer 3 to JSON; stored as an int
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
        raise FieldError(
            "version", f"{value!r} is not a whole number from 1 to {MAX_VERSION:,}"
        )
    return value


def _meta(record: Mapping[str, Any]) -> RecordMeta:
    return RecordMeta(
        uid=record["uid"],
        version=_version(record),
        created_at=_timestamp(record, "created_at"),
        created_by=record.get("created_by"),
        updated_at=_timestamp(record, "updated_at"),
        updated_by=record.get("updated_by"),
    )


def _actors(record: Mapping[str, Any]) -> tuple[IncidentActor, ...]:
    """The file's ``actors``; a file of the former layout has none, and its
    ``perpetrator``/``attribution`` become actors when the incident is cleaned."""
    found = []
    for number, actor in enumerate(record.get("actors") or ()):
        try:
            found.append(IncidentActor.from_json(actor))
        except ValueError as exc:
            raise FieldError(f"actors[{number}]", str(exc)) from exc
    return tuple(found)


def incident_from_json(record: Mapping[str, Any]) -> tuple[Incident, list[SourceLink]]:
    """A schema-valid incident record as a checked domain incident and its citations.

    Raises ``FieldError`` or ``ValidationError`` naming the field.
    """
    incident = Incident(
        title=record.get("title"),
        occurred=_moment(record, "occurred_at", "time_precision", "tz", "approximate"),
        summary=record.get("summary"),
        ref=record.get("ref"),
        place=record.get("place"),
        admin1=record.get("admin1"),
        country=record.get("country"),
        latitude=record.get("latitude"),
        longitude=record.get("longitude"),
        geo_precision=GeoPrecision(record["geo_precision"])
        if record.get("geo_precision")
        else None,
        event_type=record.get("event_type"),
        weapons=record.get("weapons"),
        launched=record.get("launched"),
        intercepted=record.get("intercepted"),
        perpetrator=record.get("perpetrator"),
        attribution=Attribution(record.get("attribution") or "unknown"),
        target=record.get("target"),
        **harm_from_json(record),
        status=Status(record.get("status") or "draft"),
        confidence=record.get("confidence"),
        tags=tuple(record.get("tags") or ()),
        meta=_meta(record),
        actors=_actors(record),
    )
    links = [
        SourceLink(link["source"], (link.get("note") or "").strip() or None)
        for link in record.get("sources") or ()
    ]
    return checked_incident(incident), links


def related_from_json(record: Mapping[str, Any]) -> tuple[tuple[str, str, str | None], ...]:
    """The links to related incidents a schema-valid incident record states, as
    ``(kind, other uid, note)``; a link to itself or the same link twice is refused."""
    found: list[tuple[str, str, str | None]] = []
    for number, link in enumerate(record.get("links") or ()):
        item = (link["kind"], link["incident"], (link.get("note") or "").strip() or None)
        if item[1] == record.get("uid"):
            raise FieldError(f"links[{number}].incident", "links the incident to itself")
        if any(seen[:2] == item[:2] for seen in found):
            raise FieldError(f"links[{number}].incident",
                             f"states the link {item[0]} to {item[1]} twice")
        found.append(item)
    return tuple(found)


def source_from_json(record: Mapping[str, Any]) -> Source:
    source = Source(
        kind=SourceKind(record["kind"]),
        title=record.get("title"),
        url=record.get("url"),
        outlet=record.get("outlet"),
        author=record.get("author"),
        handle=record.get("handle"),
        published=_moment(record, "published_at", "published_precision", "published_tz"),
        accessed_at=_timestamp(record, "accessed_at"),
        archive_url=record.get("archive_url"),
        excerpt=record.get("excerpt"),
        language=record.get("language"),
        reliability=Reliability(record["reliability"]) if record.get("reliability") else None,
        sha256=record.get("sha256"),
        notes=record.get("notes"),
        meta=_meta(record),
    )
    return checked_source(source)


def quote_from_json(record: Mapping[str, Any]) -> Quote:
    quote = Quote(
        text=record.get("text"),
        speaker=record.get("speaker"),
        speaker_role=record.get("speaker_role"),
        speaker_org=record.get("speaker_org"),
        said=_moment(record, "said_at", "said_precision", "said_tz"),
        language=record.get("language"),
        context=record.get("context"),
        incident_uid=record.get("incident"),
        source_uid=record.get("source"),
        meta=_meta(record),
    )
    return checked_quote(quote)


def period_from_json(record: Mapping[str, Any]) -> Period:
    period = Period(
        name=record.get("name"),
        start=_moment(record, "start_at", "start_precision", "tz"),
        end=_moment(record, "end_at", "end_precision", "tz"),
        color=record.get("color"),
        notes=record.get("notes"),
        meta=_meta(record),
    )
    try:
        return checked_period(period)
    except ValidationError as exc:  # name the format's fields, not the domain's
        fields = {_PERIOD_FIELDS.get(name, name): text for name, text in exc.fields.items()}
        raise ValidationError(fields, exc.record) from None


def saved_view_from_json(record: Mapping[str, Any]) -> SavedView:
    """A saved view of the file, checked as a view being saved (``checked_view``)."""
    for name in ("since", "until"):  # the schema's pattern lets a 13th month through
        try:
            _timestamp(record["filter"], name)
        except FieldError as exc:
            raise FieldError(f"filter.{name}", exc.message) from None
    flt, problems = filter_from_json(record["filter"])
    if problems:  # nothing else the schema lets through: kept as a net
        raise FieldError("filter", problems[0])
    sort = record["sort"]
    view = SavedView(
        record["name"],
        flt,
        Sort(sort["column"], sort.get("descending", False)),
        tuple(record["columns"]),
        meta=_meta(record),
    )
    return checked_view(view)


def record_label(section: str, index: int, record: Any) -> str:
    """``incidents[3] (IQ-2024-0007)``: where a record is, and what a person calls it."""
    name: Any = None
    if isinstance(record, Mapping):
        if section == "incidents":
            name = record.get("ref") or record.get("title") or record.get("uid")
        elif section == "sources":
            name = record.get("title") or record.get("url") or record.get("uid")
        elif section in ("periods", "saved_views"):
            name = record.get("name") or record.get("uid")
        elif section in ("comments", "verdicts"):
            name = record.get("created_by") or record.get("uid")
        else:
            name = record.get("speaker") or record.get("uid")
    text = f"{section}[{index}]"
    if isinstance(name, str) and name.strip():
        short = " ".join(name.split())
        short = short if len(short) <= 60 else short[:59] + "…"
        text += f" ({short})"
    return text


def record_error(path: Path, label: str, exc: Exception) -> ExchangeError:
    """What was wrong with a record that the schema let through (one of ``BAD_RECORD``)."""
    problem = _as_problem(exc)
    if isinstance(problem, FieldError):
        return ExchangeError(problem.message, file=str(path), record=label, field=problem.field)
    if isinstance(problem, ValidationError):
        (first, message), *others = problem.fields.items()
        if others:
            message += " (also " + "; ".join(f"{k}: {v}" for k, v in others) + ")"
        return ExchangeError(message, file=str(path), record=label, field=first)
    return ExchangeError(str(problem), file=str(path), record=label)


def _as_problem(exc: Exception) -> ValidationError | ValueError:
    if isinstance(exc, ValidationError | ValueError):
        return exc
    return ValueError(f"is not a valid record ({exc})")


#: ``RecordMeta`` as the spool keeps it, with the record's lineage: ``(uid, version,
#: created_at, created_by, updated_at, updated_by, fingerprint, ancestors)``.
def _meta_tuple(
    meta: RecordMeta, raw: Mapping[str, Any], kind: str, content: Mapping[str, Any]
) -> tuple[Any, ...]:
    """``content``: the values ``store.lineage.fingerprint`` hashes, already computed."""
    return (
        meta.uid,
        meta.version,
        meta.created_at,
        meta.created_by,
        meta.updated_at,
        meta.updated_by,
        lineage.fingerprint_content(kind, content),
        tuple(raw.get("ancestors") or ()),
    )


def converted(
    section: str, record: Mapping[str, Any]
) -> tuple[list[tuple[str, str, str]], tuple[Any, ...]]:
    """Check the domain rules; return ``(kind, field, uid)`` of each uid the record refers
    to, and what the write pass needs of the record (plain values, see ``json.merge``)."""
    if section == "incidents":
        incident, links = incident_from_json(record)
        seen: set[str] = set()
        found = []
        for number, link in enumerate(links):
            if link.source_uid in seen:
                raise FieldError(
                    f"sources[{number}].source", f"cites the source {link.source_uid} twice"
                )
            seen.add(link.source_uid)
            found.append(("source", f"sources[{number}].source", link.source_uid))
        assert incident.occurred is not None  # checked_incident requires it
        values = store_records.incident_values(incident)
        actors = lineage.incident_actors(incident)
        content = lineage.incident_content(values, incident.tags, actors)
        return found, (
            _meta_tuple(incident.meta, record, "incident", content),
            values,
            incident.tags,
            tuple((link.source_uid, link.note) for link in links),
            incident.title,
            incident.country,
            incident.occurred.local().year,  # for the next free ref, should its own be taken
            tuple(actor.to_json() for actor in incident.actors),
            related_from_json(record),
        )
    if section == "sources":
        source = source_from_json(record)
        values = store_records.source_values(source)
        return [], (_meta_tuple(source.meta, record, "source", values), values, source.label)
    if section == "periods":
        period = period_from_json(record)
        values = store_records.period_values(period)
        return [], (_meta_tuple(period.meta, record, "period", values), values, period.label)
    if section in ("comments", "verdicts"):
        from incidentlog.exchange.json.review_records import converted_review

        return converted_review(section, record)
    if section == "saved_views":
        view = saved_view_from_json(record)
        values = store_records.saved_view_values(view)
        return [], (_meta_tuple(view.meta, record, "saved_view", values), values, view.label)
    quote = quote_from_json(record)
    found = []
    if quote.incident_uid:
        found.append(("incident", "incident", quote.incident_uid))
    if quote.source_uid:
        found.append(("source", "source", quote.source_uid))
    # Without its references, quote_values needs no connection: they are resolved when written.
    values = store_records.quote_values(
        cast(Connection, None), replace(quote, incident_uid=None, source_uid=None)
    )
    content = lineage.quote_content(values, quote.incident_uid, quote.source_uid)
    meta = _meta_tuple(quote.meta, record, "quote", content)
    return found, (meta, values, quote.incident_uid, quote.source_uid, quote.label)

