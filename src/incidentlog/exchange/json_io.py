"""The JSON exchange format (DESIGN §4): export, validation and merging import.

The document is ``{"format": "incidentlog", "version": 1, "exported_at", "incidents",
"sources", "quotes", "periods"}`` ("periods" is optional: older exports lack it), valid
against ``resources/schema/incidentlog-export-1.schema.json``.
Every record carries every key (null when absent) in a fixed order, and records
come in a fixed order (see ``exchange.scope``), so that two exports of the same
data are the same bytes but for ``exported_at``; export → import into an empty
database → export gives the same document.

Export streams rows out of one read transaction and writes one record at a
time with orjson, so memory stays flat as the log grows; the file appears
only when complete (``exchange.files``).

Import reads the file twice, streaming with ijson:

1. validation: the JSON syntax (an error names line and column), each record
   against the schema, then against the domain rules, then every uid
   reference (it must resolve within the file or the database). Nothing is
   written until the whole file has passed.
2. writing, in ONE transaction, merging with what is here (see
   ``_Importer``). Any error rolls the transaction back: the database is
   left exactly as it was. A dry run does everything and rolls back.

Every failure of an import is an ``ExchangeError`` (or ``Cancelled``) whose
message says where: the file, the line or the record, the field.
"""

from __future__ import annotations

import codecs
import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import IO, Any, cast

import ijson
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import (
    Attribution,
    AuditAction,
    CountQualifier,
    GeoPrecision,
    RecordKind,
    Reliability,
    SourceKind,
    Status,
    TimePrecision,
)
from incidentlog.domain.errors import (
    Cancelled,
    ExchangeError,
    IncidentLogError,
    ValidationError,
)
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import (
    Count,
    Incident,
    Period,
    Quote,
    RecordMeta,
    Source,
    SourceLink,
)
from incidentlog.domain.validation import (
    checked_incident,
    checked_period,
    checked_quote,
    checked_source,
)
from incidentlog.domain.when import Moment, from_utc_text, utc_now, zone
from incidentlog.exchange.files import atomic_file
from incidentlog.exchange.reports import (
    Cancel,
    ExportReport,
    ImportReport,
    KindCounts,
    Progress,
    Ticker,
)
from incidentlog.exchange.scope import BATCH, IncidentItem, Row, Scope
from incidentlog.services import Changes, Services
from incidentlog.store import audit
from incidentlog.store import records as store_records
from incidentlog.store.database import Database
from incidentlog.store.schema import (
    incident_source_table,
    incident_table,
    incident_tag_table,
    period_table,
    quote_table,
    source_table,
)

__all__ = ["FORMAT", "VERSION", "export_json", "export_schema", "import_json", "validate_document"]

FORMAT = "incidentlog"
VERSION = 1
SCHEMA_FILE = "incidentlog-export-1.schema.json"
SECTIONS = ("incidents", "sources", "quotes", "periods")
_KIND_OF_SECTION = {
    "incidents": "incident",
    "sources": "source",
    "quotes": "quote",
    "periods": "period",
}
#: The domain's names of a period's fields → the format's.
_PERIOD_FIELDS = {"start": "start_at", "end": "end_at"}
_UTF8_BOM = codecs.BOM_UTF8
#: What a record that passed the schema can still raise when made a domain value: all are
#: faults of the file, reported as such (never as a traceback).
_BAD_RECORD = (ValidationError, ValueError, KeyError, TypeError, ArithmeticError)
#: Below this size a syntax error is located by parsing the file in memory with
#: orjson (exact line, column and message); above it by a slower streaming parse.
_IN_MEMORY_LOCATE_LIMIT = 64 * 1024 * 1024
_READ_CHUNK = 256 * 1024


# ---------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def export_schema() -> dict[str, Any]:
    """The published JSON Schema of the format, from the installed resources."""
    data = resources.files("incidentlog.resources").joinpath("schema", SCHEMA_FILE).read_bytes()
    schema: dict[str, Any] = orjson.loads(data)
    return schema


@lru_cache(maxsize=1)
def _validators() -> dict[str, Draft202012Validator]:
    """One validator per record kind (records are checked one at a time) and the document's."""
    schema = export_schema()
    Draft202012Validator.check_schema(schema)
    found = {"document": Draft202012Validator(schema)}
    for kind in ("incident", "source", "quote", "period"):
        found[kind] = Draft202012Validator(
            {
                "$schema": schema["$schema"],
                "$defs": schema["$defs"],
                "$ref": f"#/$defs/{kind}",
            }
        )
    return found


# ---------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------


def export_json(
    services: Services,
    out: Path,
    flt: IncidentFilter | None = None,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ExportReport:
    """Write the log (or what ``flt`` selects) to ``out`` as one JSON document.

    The file appears only when complete; on cancel (``Cancelled``) or error
    (``ExchangeError`` naming the file) no file is left behind and an existing
    ``out`` is untouched.
    """
    out = Path(out)
    database = services.database
    scope = Scope(flt, database.backend)
    ticker = Ticker(progress, cancel)
    ticker.check()
    with database.read() as connection, atomic_file(out) as handle:
        counts = scope.counts(connection)
        # A log holds a handful of periods: sorted here (by start, then uid), not by SQLite.
        periods = sorted(
            (
                row._mapping
                for row in connection.execute(
                    select(period_table).where(period_table.c.deleted_at.is_(None))
                )
            ),
            key=lambda row: (row["starts_at"], row["uid"]),
        )
        ticker.total = counts.total + len(periods)
        ticker.report()
        head = {"format": FORMAT, "version": VERSION, "exported_at": _now_text()}
        handle.write(orjson.dumps(head, option=orjson.OPT_INDENT_2)[:-2])  # drop "\n}"
        written = {
            "incidents": _write_section(
                handle,
                "incidents",
                (incident_json(item) for batch in scope.incidents(connection) for item in batch),
                ticker,
            ),
            "sources": _write_section(
                handle,
                "sources",
                (source_json(item.row) for batch in scope.sources(connection) for item in batch),
                ticker,
            ),
            "quotes": _write_section(
                handle,
                "quotes",
                (quote_json(row) for batch in scope.quotes(connection) for row in batch),
                ticker,
            ),
            # Every live period whatever the filter: a period is context, not a selected record.
            "periods": _write_section(
                handle, "periods", (period_json(row) for row in periods), ticker
            ),
        }
        handle.write(b"\n}\n")
        ticker.check()
    ticker.done = ticker.total
    ticker.report()
    return ExportReport(out, written["incidents"], written["sources"], written["quotes"])


def _write_section(
    handle: IO[bytes], name: str, records: Iterator[dict[str, Any]], ticker: Ticker
) -> int:
    """Write ``,\\n  "name": [ ... ]`` one record at a time, each indented under the list."""
    handle.write(b',\n  "' + name.encode() + b'": [')
    count = 0
    for record in records:
        text = orjson.dumps(record, option=orjson.OPT_INDENT_2)
        # JSON strings hold no raw line breaks, so splitting on them is safe.
        handle.write(b",\n    " if count else b"\n    ")
        handle.write(text.replace(b"\n", b"\n    "))
        count += 1
        ticker.step()
    handle.write(b"\n  ]" if count else b"]")
    return count


def _now_text() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta_json(row: Row) -> dict[str, Any]:
    return {
        "uid": row["uid"],
        "version": row["version"],
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "updated_at": row["updated_at"],
        "updated_by": row["updated_by"],
    }


def incident_json(item: IncidentItem) -> dict[str, Any]:
    """An incident as the format writes it: every key, in the schema's order."""
    row = item.row
    return _meta_json(row) | {
        "ref": row["ref"],
        "title": row["title"],
        "summary": row["summary"],
        "occurred_at": row["occurred_at"],
        "time_precision": row["time_precision"],
        "tz": row["tz"],
        "approximate": bool(row["approximate"]),
        "place": row["place"],
        "admin1": row["admin1"],
        "country": row["country"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "geo_precision": row["geo_precision"],
        "event_type": row["event_type"],
        "weapons": row["weapons"],
        "launched": row["launched"],
        "intercepted": row["intercepted"],
        "perpetrator": row["perpetrator"],
        "attribution": row["attribution"],
        "target": row["target"],
        "killed": {"value": row["killed"], "qualifier": row["killed_qualifier"]},
        "injured": {"value": row["injured"], "qualifier": row["injured_qualifier"]},
        "status": row["status"],
        "confidence": row["confidence"],
        "tags": list(item.tags),
        "sources": [{"source": link.source_uid, "note": link.note} for link in item.links],
    }


def source_json(row: Row) -> dict[str, Any]:
    return _meta_json(row) | {
        "kind": row["kind"],
        "title": row["title"],
        "url": row["url"],
        "url_normalized": row["url_normalized"],
        "outlet": row["outlet"],
        "author": row["author"],
        "handle": row["handle"],
        "published_at": row["published_at"],
        "published_precision": row["published_precision"],
        "published_tz": row["published_tz"],
        "accessed_at": row["accessed_at"],
        "archive_url": row["archive_url"],
        "excerpt": row["excerpt"],
        "language": row["language"],
        "reliability": row["reliability"],
        "sha256": row["sha256"],
        "notes": row["notes"],
    }


def quote_json(row: Row) -> dict[str, Any]:
    return _meta_json(row) | {
        "text": row["text"],
        "speaker": row["speaker"],
        "speaker_role": row["speaker_role"],
        "speaker_org": row["speaker_org"],
        "said_at": row["said_at"],
        "said_precision": row["said_precision"],
        "said_tz": row["said_tz"],
        "language": row["language"],
        "context": row["context"],
        "incident": row["incident_uid"],
        "source": row["source_uid"],
    }


def period_json(row: Row) -> dict[str, Any]:
    """A period as stored: its start and end are the starts of their moments' intervals."""
    return _meta_json(row) | {
        "name": row["name"],
        "start_at": row["starts_at"],
        "start_precision": row["start_precision"],
        "end_at": row["ends_at"],
        "end_precision": row["end_precision"],
        "tz": row["tz"],
        "color": row["color"],
        "notes": row["notes"],
    }


# ---------------------------------------------------------------------------------------
# Reading a document, streaming
# ---------------------------------------------------------------------------------------


class _CountingReader:
    """A binary file that counts what ijson has read (progress, in bytes)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.consumed += len(data)
        return data


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[_CountingReader]:
    """The file, past a UTF-8 byte order mark if an editor added one."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ExchangeError(
            f"cannot be read: {exc.strerror or exc}. Nothing was imported.", file=str(path)
        ) from exc
    with handle:
        if handle.read(len(_UTF8_BOM)) != _UTF8_BOM:
            handle.seek(0)
        reader = _CountingReader(handle)
        try:
            yield reader
        except OSError as exc:
            raise ExchangeError(
                f"cannot be read: {exc.strerror or exc}. Nothing was imported.", file=str(path)
            ) from exc


def _skip(events: Iterator[tuple[str, str, Any]], event: str) -> None:
    """Consume the events of one value whose first event was ``event``."""
    if event not in ("start_map", "start_array"):
        return
    depth = 1
    while depth:
        _, kind, _ = next(events)
        if kind in ("start_map", "start_array"):
            depth += 1
        elif kind in ("end_map", "end_array"):
            depth -= 1


def _build(events: Iterator[tuple[str, str, Any]], event: str, value: Any) -> Any:
    """The Python value whose first event was ``(event, value)``."""
    if event not in ("start_map", "start_array"):
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    while depth:
        _, kind, value = next(events)
        builder.event(kind, value)
        if kind in ("start_map", "start_array"):
            depth += 1
        elif kind in ("end_map", "end_array"):
            depth -= 1
    return builder.value


def _document(
    reader: _CountingReader, path: Path, sections: Sequence[str] = SECTIONS
) -> Iterator[tuple[str, int, Any]]:
    """Stream a document: ``("", -1, (key, value))`` for each top-level field that is not
    a list of records, ``(section, index, record)`` for each record of ``sections``.

    JSON syntax errors become ``ExchangeError`` with the line and column.
    """
    events = ijson.parse(reader, use_float=True)
    try:
        yield from _walk(events, path, sections)
        for _ in events:  # trailing content after the document is an error too
            pass
    except (ijson.JSONError, UnicodeDecodeError) as exc:  # yajl: "\udc00" escapes
        raise _syntax_error(path, exc) from None


def _walk(
    events: Iterator[tuple[str, str, Any]], path: Path, sections: Sequence[str]
) -> Iterator[tuple[str, int, Any]]:
    try:
        yield from _walk_object(events, path, sections)
    except StopIteration:  # caught here: PEP 479 would turn it into a RuntimeError
        raise _syntax_error(path, None) from None


def _walk_object(
    events: Iterator[tuple[str, str, Any]], path: Path, sections: Sequence[str]
) -> Iterator[tuple[str, int, Any]]:
    first = next(events, None)
    if first is None:
        raise _syntax_error(path, None)
    if first[1] != "start_map":
        raise ExchangeError(
            "is not an incidentlog export: it holds a JSON "
            f"{_json_kind(first[1])}, not an object with format, version and records.",
            file=str(path),
        )
    seen: set[str] = set()
    while True:
        _, event, key = next(events)
        if event == "end_map":
            return
        if key in seen:
            raise ExchangeError(
                f'"{key}" appears twice at the top of the document.', file=str(path), field=key
            )
        seen.add(key)
        _, event, value = next(events)
        if key not in SECTIONS:
            yield "", -1, (key, _build(events, event, value))
            continue
        if event != "start_array":
            raise ExchangeError(
                f'"{key}" must be a list of records, not a {_json_kind(event)}.',
                file=str(path),
                field=key,
            )
        yield "", -1, (key, [])
        index = 0
        while True:
            _, event, value = next(events)
            if event == "end_array":
                break
            if key in sections:
                yield key, index, _build(events, event, value)
            else:
                _skip(events, event)
            index += 1


def _json_kind(event: str) -> str:
    return {
        "start_map": "object",
        "start_array": "list",
        "string": "text",
        "number": "number",
        "integer": "number",
        "double": "number",
        "boolean": "true/false value",
        "null": "null",
    }.get(event, event)


def _syntax_error(path: Path, exc: Exception | None) -> ExchangeError:
    """Where the JSON is broken: line, column and what was expected there."""
    line, column, message = _locate_syntax_error(path)
    if message is None:
        detail = str(exc).strip().splitlines()[0] if exc is not None else "the file is incomplete"
        message = detail
    where = f"column {column}: " if column is not None else ""
    return ExchangeError(
        f"{where}{message} (the file is not valid JSON; nothing was imported)",
        file=str(path),
        line=line,
    )


def _locate_syntax_error(path: Path) -> tuple[int | None, int | None, str | None]:
    """Find the first syntax error of a file ijson refused: ``(line, column, message)``."""
    try:
        bad_utf8 = _first_bad_utf8(path)
        if bad_utf8 is not None:
            return bad_utf8
        size = path.stat().st_size
        if size <= _IN_MEMORY_LOCATE_LIMIT:
            data = path.read_bytes()
            if data.startswith(_UTF8_BOM):
                data = data[len(_UTF8_BOM) :]
            try:
                orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                message = exc.msg
                return exc.lineno, exc.colno, message
            return None, None, None
        return _locate_streaming(path)
    except OSError:
        return None, None, None


def _first_bad_utf8(path: Path) -> tuple[int, int, str] | None:
    """Line and column of the first byte that is not UTF-8, streaming."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, column = 1, 1
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_READ_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                good = exc.object[: exc.start]
                line, column = _advance(line, column, good.decode("utf-8", "replace"))
                byte = exc.object[exc.start : exc.start + 1].hex()
                return line, column, f"byte 0x{byte} is not UTF-8 text (save the file as UTF-8)"
            line, column = _advance(line, column, text)
            if not chunk:
                return None


def _advance(line: int, column: int, text: str) -> tuple[int, int]:
    breaks = text.count("\n")
    if breaks:
        return line + breaks, len(text) - text.rfind("\n")
    return line, column + len(text)


def _locate_streaming(path: Path) -> tuple[int | None, int | None, str | None]:
    """For a file too large to parse in memory: the pure-Python ijson parser knows the
    character offset of an unexpected symbol; count lines up to it."""
    python_backend = ijson.get_backend("python")
    with _opened(path) as reader:
        try:
            for _ in python_backend.parse(reader):
                pass
        except ijson.JSONError as exc:
            text = str(exc)
            offset = text.rsplit(" at ", 1)[-1]
            if not offset.isdigit():
                return None, None, text
            return (*_line_column_of(path, int(offset)), text.rsplit(" at ", 1)[0])
    return None, None, None


def _line_column_of(path: Path, offset: int) -> tuple[int, int]:
    line, column, seen = 1, 1, 0
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        while seen < offset:
            text = handle.read(min(_READ_CHUNK, offset - seen))
            if not text:
                break
            seen += len(text)
            line, column = _advance(line, column, text)
    return line, column


# ---------------------------------------------------------------------------------------
# From JSON records to domain records
# ---------------------------------------------------------------------------------------


class _FieldError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def _timestamp(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    try:
        from_utc_text(value)
    except ValueError as exc:
        raise _FieldError(name, f"{value!r} is not a real date and time") from exc
    return cast(str, value)


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
    try:
        zone(zone_name)
    except ValueError:
        raise _FieldError(
            tz, f"{zone_name!r} is not an IANA time zone such as Asia/Baghdad"
        ) from None
    try:
        instant = from_utc_text(text)
    except ValueError:
        raise _FieldError(at, f"{text!r} is not a real date and time") from None
    moment = Moment(
        instant,
        TimePrecision(record.get(precision) or "minute"),
        zone_name,
        bool(record.get(approximate)) if approximate else False,
    )
    try:
        moment.interval()  # what the store computes; fails at the ends of the calendar
    except (ValueError, OverflowError):
        raise _FieldError(at, f"{text!r} is too far in the past or future") from None
    return moment


def _meta(record: Mapping[str, Any]) -> RecordMeta:
    return RecordMeta(
        uid=record["uid"],
        version=record.get("version") or 0,  # 0: not given, 1 when added
        created_at=_timestamp(record, "created_at"),
        created_by=record.get("created_by"),
        updated_at=_timestamp(record, "updated_at"),
        updated_by=record.get("updated_by"),
    )


def _count(record: Mapping[str, Any], name: str) -> Count:
    value = record.get(name)
    if value is None:
        return Count()
    return Count(value.get("value"), CountQualifier(value["qualifier"]))


def incident_from_json(record: Mapping[str, Any]) -> tuple[Incident, list[SourceLink]]:
    """A schema-valid incident record as a checked domain incident and its citations.

    Raises ``_FieldError`` or ``ValidationError`` naming the field.
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
        killed=_count(record, "killed"),
        injured=_count(record, "injured"),
        status=Status(record.get("status") or "draft"),
        confidence=record.get("confidence"),
        tags=tuple(record.get("tags") or ()),
        meta=_meta(record),
    )
    links = [
        SourceLink(link["source"], (link.get("note") or "").strip() or None)
        for link in record.get("sources") or ()
    ]
    return checked_incident(incident), links


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


def _label(section: str, index: int, record: Any) -> str:
    """``incidents[3] (IQ-2024-0007)``: where a record is, and what a person calls it."""
    name: Any = None
    if isinstance(record, Mapping):
        if section == "incidents":
            name = record.get("ref") or record.get("title") or record.get("uid")
        elif section == "sources":
            name = record.get("title") or record.get("url") or record.get("uid")
        elif section == "periods":
            name = record.get("name") or record.get("uid")
        else:
            name = record.get("speaker") or record.get("uid")
    text = f"{section}[{index}]"
    if isinstance(name, str) and name.strip():
        short = " ".join(name.split())
        short = short if len(short) <= 60 else short[:59] + "…"
        text += f" ({short})"
    return text


def _schema_problem(error: SchemaError) -> tuple[str | None, str]:
    """The field a schema error is about, and a sentence about it."""
    path = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
    ).lstrip(".")
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else None
        name = f"{path}.{missing}" if path and missing else missing or path
        return name or None, "is required but missing"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        name = f"{path}.{extra[0]}" if path and extra else (extra[0] if extra else path)
        return name or None, "is not a field of this format (check the spelling)"
    if error.validator == "enum":
        allowed = ", ".join("null" if v is None else str(v) for v in error.validator_value)
        return path or None, f"{error.instance!r} is not one of: {allowed}"
    if error.validator == "pattern" and path.endswith(("uid", "source", "incident")):
        return path or None, f"{error.instance!r} is not a uid (a UUID in lower case)"
    if error.validator == "pattern" and path.endswith("_at"):
        return path or None, f"{error.instance!r} is not a UTC time like 2024-01-20T15:30:00Z"
    return path or None, error.message


def _record_error(
    path: Path, label: str, exc: _FieldError | ValidationError | ValueError | SchemaError
) -> ExchangeError:
    if isinstance(exc, SchemaError):
        name, message = _schema_problem(exc)
        return ExchangeError(message, file=str(path), record=label, field=name)
    if isinstance(exc, _FieldError):
        return ExchangeError(exc.message, file=str(path), record=label, field=exc.field)
    if isinstance(exc, ValidationError):
        (first, message), *others = exc.fields.items()
        if others:
            message += " (also " + "; ".join(f"{k}: {v}" for k, v in others) + ")"
        return ExchangeError(message, file=str(path), record=label, field=first)
    return ExchangeError(str(exc), file=str(path), record=label)


# ---------------------------------------------------------------------------------------
# Pass 1: validation
# ---------------------------------------------------------------------------------------


@dataclass
class _Checked:
    """What validation learnt about a file: its size and how many records of each kind."""

    size: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def _uid_key(uid: str) -> bytes:
    return uuid.UUID(uid).bytes  # 16 bytes instead of a 36-character str per record


def _check_file(path: Path, database: Database | None, ticker: Ticker) -> _Checked:
    """Pass 1: raise ``ExchangeError`` at the first problem of the file; write nothing."""
    path = Path(path)
    validators = _validators()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExchangeError(
            f"cannot be read: {exc.strerror or exc}. Nothing was imported.", file=str(path)
        ) from exc
    checked = _Checked(size)
    head: dict[str, Any] = {}
    defined: dict[str, set[bytes]] = {kind: set() for kind in _KIND_OF_SECTION.values()}
    # uid → the first place that refers to it, while it is not (yet) defined in the file
    wanted: dict[str, dict[bytes, tuple[str, str]]] = {"incident": {}, "source": {}}
    with _opened(path) as reader:
        for section, index, record in _document(reader, path):
            if not section:
                key, value = record
                head[key] = value
                _check_head(path, key, value)
                continue
            if index % 64 == 0:
                ticker.set(reader.consumed)
            kind = _KIND_OF_SECTION[section]
            label = _label(section, index, record)
            error = best_match(validators[kind].iter_errors(record))
            if error is not None:
                raise _record_error(path, label, error)
            try:
                references = _references(section, record)
            except _BAD_RECORD as exc:
                raise _record_error(path, label, _as_problem(exc)) from None
            key = _uid_key(record["uid"])
            if key in defined[kind]:
                raise ExchangeError(
                    f"uid {record['uid']} is used by another {kind} earlier in the file",
                    file=str(path),
                    record=label,
                    field="uid",
                )
            defined[kind].add(key)
            wanted.get(kind, {}).pop(key, None)
            for ref_kind, field_name, ref_uid in references:
                ref_key = _uid_key(ref_uid)
                if ref_key not in defined[ref_kind]:
                    wanted[ref_kind].setdefault(ref_key, (label, field_name))
            checked.counts[section] += 1
    document = {**head, **{name: [] for name in SECTIONS if name in head}}
    error = best_match(validators["document"].iter_errors(document))
    if error is not None:
        name, message = _schema_problem(error)
        raise ExchangeError(message, file=str(path), field=name)
    _check_references(path, database, wanted)
    ticker.set(size)
    return checked


def _check_head(path: Path, key: str, value: Any) -> None:
    """Say early, and plainly, when the file is not one this version can read."""
    if key == "format" and value != FORMAT:
        raise ExchangeError(
            f"is not an incidentlog export (its format is {value!r}).", file=str(path)
        )
    if key == "version" and value != VERSION:
        if isinstance(value, int) and value > VERSION:
            raise ExchangeError(
                f"is a version {value} export; this incidentlog reads version {VERSION}. "
                "Update incidentlog to import it.",
                file=str(path),
                field="version",
            )
        raise ExchangeError(
            f"has version {value!r}; this incidentlog reads version {VERSION}.",
            file=str(path),
            field="version",
        )


def _references(section: str, record: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Check the domain rules; return ``(kind, field, uid)`` of each uid the record refers to."""
    if section == "incidents":
        _, links = incident_from_json(record)
        seen: set[str] = set()
        found = []
        for number, link in enumerate(links):
            if link.source_uid in seen:
                raise _FieldError(
                    f"sources[{number}].source", f"cites the source {link.source_uid} twice"
                )
            seen.add(link.source_uid)
            found.append(("source", f"sources[{number}].source", link.source_uid))
        return found
    if section == "sources":
        source_from_json(record)
        return []
    if section == "periods":
        period_from_json(record)
        return []
    quote = quote_from_json(record)
    found = []
    if quote.incident_uid:
        found.append(("incident", "incident", quote.incident_uid))
    if quote.source_uid:
        found.append(("source", "source", quote.source_uid))
    return found


def _check_references(
    path: Path, database: Database | None, wanted: dict[str, dict[bytes, tuple[str, str]]]
) -> None:
    """Every uid a record refers to must be in the file or (when importing) the database."""
    tables = {"incident": incident_table, "source": source_table}
    for kind, missing in wanted.items():
        if missing and database is not None:
            keys = list(missing)
            with database.read() as connection:
                for start in range(0, len(keys), BATCH):
                    chunk = [str(uuid.UUID(bytes=k)) for k in keys[start : start + BATCH]]
                    table = tables[kind]
                    for (uid,) in connection.execute(
                        select(table.c.uid).where(table.c.uid.in_(chunk))
                    ):
                        missing.pop(_uid_key(uid), None)
        if missing:
            key, (label, field_name) = next(iter(missing.items()))
            where = "in the file or in this database" if database is not None else "in the file"
            raise ExchangeError(
                f"refers to the {kind} {uuid.UUID(bytes=key)}, which is not {where}",
                file=str(path),
                record=label,
                field=field_name,
            )


def validate_document(path: Path) -> None:
    """Check a document on its own, writing nothing: JSON syntax, schema, domain rules,
    and that every uid it refers to is in the file. Raises ``ExchangeError`` naming the
    file, the line or the record, and the field."""
    _check_file(Path(path), None, Ticker(None, None))


# ---------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------


class _DryRun(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside the write transaction to roll a dry run back."""


def import_json(
    services: Services,
    path: Path,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ImportReport:
    """Merge a document into the database, in one transaction, or not at all.

    See ``_Importer`` for the merge rules. ``dry_run`` does everything, rolls
    back, and returns the report of what would have been done. Raises
    ``ExchangeError`` (nothing written) or ``Cancelled`` (nothing written).
    """
    path = Path(path)
    database = services.database
    if database.read_only and not dry_run:
        raise ExchangeError(
            "cannot be imported: the database is open read-only. Nothing was imported.",
            file=str(path),
        )
    ticker = Ticker(progress, cancel, every=64)
    try:
        ticker.check()
        size = path.stat().st_size if path.exists() else 0
        ticker.total = 2 * size
        checked = _check_file(path, database, ticker)
        if database.read_only:
            raise ExchangeError(
                "cannot be imported: the database is open read-only (the file itself is valid).",
                file=str(path),
            )
        importer = _Importer(services, path, checked, ticker)
        try:
            with database.write() as connection:
                importer.run(connection)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
    except (ExchangeError, Cancelled):
        raise
    except IncidentLogError as exc:  # storage: busy, disk full, refused by a constraint
        raise ExchangeError(f"{exc} Nothing was imported.", file=str(path)) from exc
    report = importer.report(dry_run)
    if not dry_run and report.changed:
        services.notifier.notify(
            Changes(periods=frozenset(importer.period_uids), rows_changed=True)
        )
    ticker.done = ticker.total
    ticker.report()
    return report


@dataclass
class _Tally:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    skipped: int = 0

    def frozen(self) -> KindCounts:
        return KindCounts(self.added, self.updated, self.unchanged, self.merged, self.skipped)


class _Importer:
    """Pass 2: merge the file into the database inside the caller's transaction.

    Merge rules, per record, by uid first:

    - not here: added, keeping its uid, ref, version and created/updated stamps
      (so that export → import → export gives the same document);
    - here with the same content: unchanged;
    - here, different, and the file's is newer (``updated_at``, then ``version``):
      updated to the file's content; its version becomes the larger of the
      file's and ours + 1, so that an editor holding the old version notices;
    - here, different, and ours is as new or newer: a conflict; ours is kept
      and the conflict is reported;
    - here but in the trash: skipped and reported (restore it, then import again).

    A source whose uid is not here but whose normalized URL is that of a live
    source that was here before the import is merged into it: citations and
    quotes of the file's source go to ours. Sources are never merged with
    each other within the file (the officer may have said "not a duplicate").

    A new incident whose ref is used here by another incident gets the next
    free ref (``renumbered``); an updated incident whose new ref is taken keeps
    its own. Citations are added when missing (never removed); the note of an
    existing citation follows the file only when the incident is updated.
    Each added or updated record gets an audit entry (action "import").
    """

    def __init__(self, services: Services, path: Path, checked: _Checked, ticker: Ticker) -> None:
        self.actor = services.actor
        self.path = path
        self.checked = checked
        self.ticker = ticker
        self.now = _now_text()
        self.tally = {name: _Tally() for name in SECTIONS}
        self.conflicts: list[str] = []
        self.renumbered: list[str] = []
        self.links_added = 0
        self.source_alias: dict[str, str] = {}  # file uid → uid of the source merged into
        self.pending_audit: list[tuple[str, str, str, str, str, str | None, Mapping[str, Any]]] = []
        self.deferred: list[tuple[int, Incident, str | None, dict[str, Any]]] = []
        self.period_uids: set[str] = set()  # added or updated
        self.prev_hash = audit.GENESIS
        self.watermark = 0  # sources with a larger id were added by this import
        self.done = 0

    def report(self, dry_run: bool) -> ImportReport:
        return ImportReport(
            incidents=self.tally["incidents"].frozen(),
            sources=self.tally["sources"].frozen(),
            quotes=self.tally["quotes"].frozen(),
            periods=self.tally["periods"].frozen(),
            conflicts=list(self.conflicts),
            renumbered=list(self.renumbered),
            dry_run=dry_run,
            links_added=self.links_added,
            path=self.path,
        )

    # --- driving ---------------------------------------------------------------------------

    def run(self, connection: Connection) -> None:
        self.prev_hash = audit.last_hash(connection)
        self.watermark = connection.execute(select(func.max(source_table.c.id))).scalar() or 0
        for section, handler in (
            ("sources", self._sources),
            ("incidents", self._incidents),
            ("quotes", self._quotes),
            ("periods", self._periods),
        ):
            for batch in self._batches(section):
                handler(connection, batch)
                self._advance(len(batch))
                self._flush_audit(connection, final=False)
            if section == "incidents":
                self._assign_deferred_refs(connection)
        self._flush_audit(connection, final=True)

    def _advance(self, count: int) -> None:
        self.done += count
        size, records = self.checked.size, max(1, self.checked.records)
        self.ticker.set(size + size * self.done // records)
        self.ticker.check()

    def _batches(self, section: str) -> Iterator[list[tuple[str, Any]]]:
        """The section's records as domain values, in batches, with their labels."""
        batch: list[tuple[str, Any]] = []
        convert: Callable[[Mapping[str, Any]], Any] = {
            "incidents": incident_from_json,
            "sources": source_from_json,
            "quotes": quote_from_json,
            "periods": period_from_json,
        }[section]
        with _opened(self.path) as reader:
            for _, index, record in _document(reader, self.path, (section,)):
                if index < 0:
                    continue
                label = _label(section, index, record)
                try:
                    batch.append((label, convert(record)))
                except _BAD_RECORD as exc:
                    # The file changed since it was validated.
                    raise _record_error(self.path, label, _as_problem(exc)) from None
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _audit(
        self, action: AuditAction, kind: RecordKind, uid: str, label: str | None, changes: Any
    ) -> None:
        self.pending_audit.append(
            (self.now, self.actor, action.value, kind.value, uid, label, changes)
        )

    def _flush_audit(self, connection: Connection, *, final: bool) -> None:
        if not self.pending_audit or (not final and len(self.pending_audit) < BATCH):
            return
        rows, self.prev_hash = audit.audit_rows(self.prev_hash, self.pending_audit)
        connection.execute(insert(audit.audit_table), rows)
        self.pending_audit = []

    def _newer(self, meta: RecordMeta, row: Row) -> bool:
        """Is the file's record newer than ours? By ``updated_at``, then by ``version``."""
        theirs = (meta.updated_at or self.now, meta.version)
        return theirs > (row["updated_at"], row["version"])

    def _conflict(self, label: str, meta: RecordMeta, row: Row) -> None:
        self.conflicts.append(
            f"{label} ({meta.uid}): changed here on {row['updated_at']} by "
            f"{row['updated_by']} (version {row['version']}), which is as new as or newer "
            f"than the file's ({meta.updated_at or 'undated'}, version {meta.version or 1}); "
            "kept the one here"
        )

    def _trashed(self, kind: str, label: str, uid: str | None) -> None:
        self.conflicts.append(
            f"{label} ({uid}): the {kind} is in the trash here; left there "
            "(restore it and import again to update it)"
        )

    def _new_meta(self, meta: RecordMeta) -> dict[str, Any]:
        created_at = meta.created_at or self.now
        created_by = meta.created_by or self.actor
        return {
            "uid": meta.uid,
            "version": meta.version or 1,
            "created_at": created_at,
            "created_by": created_by,
            "updated_at": meta.updated_at or created_at,
            "updated_by": meta.updated_by or created_by,
            "deleted_at": None,
        }

    def _updated_meta(self, meta: RecordMeta, row: Row) -> dict[str, Any]:
        return {
            "version": max(meta.version or 1, row["version"] + 1),
            "updated_at": meta.updated_at or self.now,
            "updated_by": meta.updated_by or self.actor,
        }

    @staticmethod
    def _update_many(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        """UPDATE by row id, one executemany per set of columns."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(sorted(row)), []).append(row)
        for columns, group in by_columns.items():
            names = [name for name in columns if name != "row_id"]
            statement = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({name: bindparam(f"v_{name}") for name in names})
            )
            connection.execute(
                statement,
                [{"row_id": row["row_id"], **{f"v_{n}": row[n] for n in names}} for row in group],
            )

    @staticmethod
    def _ids(connection: Connection, table: Any, uids: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        keys = list(uids)
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            for uid, row_id in connection.execute(
                select(table.c.uid, table.c.id).where(table.c.uid.in_(chunk))
            ):
                found[uid] = row_id
        return found

    def _missing(self, label: str, field_name: str, kind: str, uid: str) -> ExchangeError:
        return ExchangeError(
            f"refers to the {kind} {uid}, which is not in the file or in this database",
            file=str(self.path),
            record=label,
            field=field_name,
        )

    # --- sources ---------------------------------------------------------------------------

    def _sources(self, connection: Connection, batch: list[tuple[str, Source]]) -> None:
        tally = self.tally["sources"]
        uids = [source.meta.uid for _, source in batch]
        existing = {
            row.uid: row._mapping
            for row in connection.execute(select(source_table).where(source_table.c.uid.in_(uids)))
        }
        values_of = {source.meta.uid: store_records.source_values(source) for _, source in batch}
        wanted_urls = {
            values["url_normalized"]
            for uid, values in values_of.items()
            if uid not in existing and values["url_normalized"]
        }
        by_url: dict[str, str] = {}
        if wanted_urls:
            for url, uid in connection.execute(
                select(source_table.c.url_normalized, source_table.c.uid)
                .where(
                    source_table.c.url_normalized.in_(wanted_urls),
                    source_table.c.deleted_at.is_(None),
                    source_table.c.id <= self.watermark,
                )
                .order_by(source_table.c.id.desc())
            ):
                by_url[url] = uid  # descending: the oldest one wins
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, source in batch:
            uid = cast(str, source.meta.uid)
            values = values_of[uid]
            row = existing.get(uid)
            if row is None:
                merged_into = by_url.get(values["url_normalized"] or "")
                if merged_into is not None:
                    self.source_alias[uid] = merged_into
                    tally.merged += 1
                    continue
                inserts.append(values | self._new_meta(source.meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.SOURCE, uid, source.label, _created(values)
                )
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed("source", label, uid)
                tally.skipped += 1
            else:
                changed = _diff(row, values)
                if not changed:
                    tally.unchanged += 1
                elif self._newer(source.meta, row):
                    updates.append(
                        {"row_id": row["id"], **values, **self._updated_meta(source.meta, row)}
                    )
                    self._audit(AuditAction.IMPORT, RecordKind.SOURCE, uid, source.label, changed)
                    tally.updated += 1
                else:
                    self._conflict(label, source.meta, row)
                    tally.skipped += 1
        if inserts:
            connection.execute(insert(source_table), inserts)
        if updates:
            self._update_many(connection, source_table, updates)

    # --- incidents -------------------------------------------------------------------------

    def _incidents(
        self, connection: Connection, batch: list[tuple[str, tuple[Incident, list[SourceLink]]]]
    ) -> None:
        tally = self.tally["incidents"]
        uids = [incident.meta.uid for _, (incident, _) in batch]
        existing = {
            row.uid: row._mapping
            for row in connection.execute(
                select(incident_table).where(incident_table.c.uid.in_(uids))
            )
        }
        existing_tags = store_records.tags_of(connection, [row["id"] for row in existing.values()])
        refs = {incident.ref for _, (incident, _) in batch if incident.ref}
        ref_owner: dict[str, str] = {
            row.ref: row.uid
            for row in connection.execute(
                select(incident_table.c.ref, incident_table.c.uid).where(
                    incident_table.c.ref.in_(refs)
                )
            )
        }
        claimed: set[str] = set()

        def free(ref: str | None, uid: str) -> bool:
            return ref is not None and ref not in claimed and ref_owner.get(ref, uid) == uid

        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        new_tags: list[tuple[str, tuple[str, ...]]] = []
        replaced_tags: list[tuple[int, tuple[str, ...]]] = []
        link_plan: list[tuple[str, str, list[SourceLink], bool]] = []
        for label, (incident, links) in batch:
            uid = cast(str, incident.meta.uid)
            links = [
                SourceLink(self.source_alias.get(link.source_uid, link.source_uid), link.note)
                for link in links
            ]
            row = existing.get(uid)
            if row is None:
                values = store_records.incident_values(incident)
                changes = _created(values) | _tag_change((), incident.tags)
                changes |= _link_change(links)
                if free(incident.ref, uid):
                    claimed.add(cast(str, incident.ref))
                    self._audit(AuditAction.IMPORT, RecordKind.INCIDENT, uid, incident.ref, changes)
                else:
                    # A placeholder until every ref of the file is in; see _assign_deferred_refs.
                    values["ref"] = "~" + uid
                    changes.pop("ref", None)
                    self.deferred.append((0, incident, incident.ref, changes))
                inserts.append(values | self._new_meta(incident.meta))
                new_tags.append((uid, incident.tags))
                link_plan.append((label, uid, links, False))
                tally.added += 1
                continue
            if row["deleted_at"] is not None:
                self._trashed("incident", label, uid)
                tally.skipped += 1
                continue
            local_tags = tuple(existing_tags.get(row["id"], ()))
            wanted_ref = incident.ref or row["ref"]
            ref_note = None
            if wanted_ref != row["ref"] and not free(wanted_ref, uid):
                ref_note = (
                    f"{label}: kept its ref {row['ref']} here; {wanted_ref} is used by "
                    "another incident"
                )
                wanted_ref = row["ref"]
            claimed.add(wanted_ref)
            values = store_records.incident_values(replace(incident, ref=wanted_ref))
            changed = _diff(row, values) | _tag_change(local_tags, incident.tags)
            if not changed:
                tally.unchanged += 1
                link_plan.append((label, uid, links, False))
            elif self._newer(incident.meta, row):
                updates.append(
                    {"row_id": row["id"], **values, **self._updated_meta(incident.meta, row)}
                )
                if local_tags != incident.tags:
                    replaced_tags.append((row["id"], incident.tags))
                self._audit(AuditAction.IMPORT, RecordKind.INCIDENT, uid, wanted_ref, changed)
                link_plan.append((label, uid, links, True))
                tally.updated += 1
                if ref_note:
                    self.renumbered.append(ref_note)
            else:
                self._conflict(label, incident.meta, row)
                link_plan.append((label, uid, links, False))
                tally.skipped += 1
        if inserts:
            connection.execute(insert(incident_table), inserts)
        if updates:
            self._update_many(connection, incident_table, updates)
        ids = self._ids(connection, incident_table, {uid for _, uid, _, _ in link_plan})
        self.deferred = [
            (ids[cast(str, inc.meta.uid)] if row_id == 0 else row_id, inc, old, values)
            for row_id, inc, old, values in self.deferred
        ]
        if replaced_tags:
            connection.execute(
                delete(incident_tag_table).where(
                    incident_tag_table.c.incident_id.in_([i for i, _ in replaced_tags])
                )
            )
        tag_rows = [
            {"incident_id": ids[uid], "tag": tag} for uid, tags in new_tags for tag in tags
        ] + [{"incident_id": i, "tag": tag} for i, tags in replaced_tags for tag in tags]
        if tag_rows:
            connection.execute(insert(incident_tag_table), tag_rows)
        self._links(connection, link_plan, ids, existing)

    def _links(
        self,
        connection: Connection,
        plan: list[tuple[str, str, list[SourceLink], bool]],
        ids: dict[str, int],
        existing: Mapping[str, Row],
    ) -> None:
        """Add the citations that are missing; follow the file's notes for updated incidents."""
        source_ids = self._ids(
            connection, source_table, {link.source_uid for _, _, links, _ in plan for link in links}
        )
        incident_ids = [ids[uid] for _, uid, links, _ in plan if links]
        present: dict[tuple[int, int], str | None] = {}
        for start in range(0, len(incident_ids), BATCH):
            chunk = incident_ids[start : start + BATCH]
            for incident_id, source_id, note in connection.execute(
                select(
                    incident_source_table.c.incident_id,
                    incident_source_table.c.source_id,
                    incident_source_table.c.note,
                ).where(incident_source_table.c.incident_id.in_(chunk))
            ):
                present[(incident_id, source_id)] = note
        inserts: list[dict[str, Any]] = []
        note_updates: list[dict[str, Any]] = []
        for label, uid, links, follow_notes in plan:
            incident_id = ids[uid]
            added: list[str] = []
            for number, link in enumerate(links):
                source_id = source_ids.get(link.source_uid)
                if source_id is None:
                    raise self._missing(
                        label, f"sources[{number}].source", "source", link.source_uid
                    )
                key = (incident_id, source_id)
                if key not in present:
                    present[key] = link.note
                    inserts.append(
                        {"incident_id": incident_id, "source_id": source_id, "note": link.note}
                    )
                    added.append(link.source_uid)
                elif follow_notes and present[key] != link.note:
                    note_updates.append(
                        {"b_incident": incident_id, "b_source": source_id, "b_note": link.note}
                    )
            if added and uid in existing:  # new incidents list theirs in their own entry
                self.links_added += len(added)
                self._audit(
                    AuditAction.LINK,
                    RecordKind.INCIDENT,
                    uid,
                    existing[uid]["ref"],
                    {"sources": [None, added]},
                )
        if inserts:
            connection.execute(insert(incident_source_table), inserts)
        if note_updates:
            connection.execute(
                update(incident_source_table)
                .where(
                    incident_source_table.c.incident_id == bindparam("b_incident"),
                    incident_source_table.c.source_id == bindparam("b_source"),
                )
                .values(note=bindparam("b_note")),
                note_updates,
            )

    def _assign_deferred_refs(self, connection: Connection) -> None:
        """Give the incidents whose ref was taken (or missing) the next free ref."""
        for row_id, incident, old_ref, changes in self.deferred:
            assert incident.occurred is not None
            year = incident.occurred.local().year
            ref = store_records.next_ref(connection, incident.country, year)
            connection.execute(
                update(incident_table).where(incident_table.c.id == row_id).values(ref=ref)
            )
            uid = cast(str, incident.meta.uid)
            if old_ref is None:
                self.renumbered.append(f"{incident.title} ({uid}): had no ref, given {ref}")
            else:
                self.renumbered.append(
                    f"{old_ref} → {ref} ({incident.title}): {old_ref} is used here by "
                    "another incident"
                )
            changes = {"ref": [None, ref], **changes}
            self._audit(AuditAction.IMPORT, RecordKind.INCIDENT, uid, ref, changes)
        self.deferred = []

    # --- quotes ----------------------------------------------------------------------------

    def _quotes(self, connection: Connection, batch: list[tuple[str, Quote]]) -> None:
        tally = self.tally["quotes"]
        uids = [quote.meta.uid for _, quote in batch]
        existing = {
            row.uid: row._mapping
            for row in connection.execute(select(quote_table).where(quote_table.c.uid.in_(uids)))
        }
        incident_ids = self._ids(
            connection, incident_table, {q.incident_uid for _, q in batch if q.incident_uid}
        )
        source_ids = self._ids(
            connection,
            source_table,
            {self.source_alias.get(q.source_uid, q.source_uid) for _, q in batch if q.source_uid},
        )
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, quote in batch:
            uid = cast(str, quote.meta.uid)
            source_uid = self.source_alias.get(quote.source_uid or "", quote.source_uid)
            values = store_records.quote_values(
                connection, replace(quote, incident_uid=None, source_uid=None)
            )
            if quote.incident_uid:
                if quote.incident_uid not in incident_ids:
                    raise self._missing(label, "incident", "incident", quote.incident_uid)
                values["incident_id"] = incident_ids[quote.incident_uid]
            if source_uid:
                if source_uid not in source_ids:
                    raise self._missing(label, "source", "source", source_uid)
                values["source_id"] = source_ids[source_uid]
            audited = {k: v for k, v in values.items() if k not in ("incident_id", "source_id")}
            audited |= {"incident": quote.incident_uid, "source": source_uid}
            row = existing.get(uid)
            if row is None:
                inserts.append(values | self._new_meta(quote.meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.QUOTE, uid, quote.label, _created(audited)
                )
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed("quote", label, uid)
                tally.skipped += 1
            else:
                changed = _diff(row, values)
                if not changed:
                    tally.unchanged += 1
                elif self._newer(quote.meta, row):
                    updates.append(
                        {"row_id": row["id"], **values, **self._updated_meta(quote.meta, row)}
                    )
                    self._audit(AuditAction.IMPORT, RecordKind.QUOTE, uid, quote.label, changed)
                    tally.updated += 1
                else:
                    self._conflict(label, quote.meta, row)
                    tally.skipped += 1
        if inserts:
            connection.execute(insert(quote_table), inserts)
        if updates:
            self._update_many(connection, quote_table, updates)

    # --- periods ---------------------------------------------------------------------------

    def _periods(self, connection: Connection, batch: list[tuple[str, Period]]) -> None:
        tally = self.tally["periods"]
        uids = [period.meta.uid for _, period in batch]
        existing = {
            row.uid: row._mapping
            for row in connection.execute(select(period_table).where(period_table.c.uid.in_(uids)))
        }
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, period in batch:
            uid = cast(str, period.meta.uid)
            values = store_records.period_values(period)
            row = existing.get(uid)
            if row is None:
                inserts.append(values | self._new_meta(period.meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.PERIOD, uid, period.label, _created(values)
                )
                self.period_uids.add(uid)
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed("period", label, uid)
                tally.skipped += 1
            else:
                changed = _diff(row, values)
                if not changed:
                    tally.unchanged += 1
                elif self._newer(period.meta, row):
                    updates.append(
                        {"row_id": row["id"], **values, **self._updated_meta(period.meta, row)}
                    )
                    self._audit(AuditAction.IMPORT, RecordKind.PERIOD, uid, period.label, changed)
                    self.period_uids.add(uid)
                    tally.updated += 1
                else:
                    self._conflict(label, period.meta, row)
                    tally.skipped += 1
        if inserts:
            connection.execute(insert(period_table), inserts)
        if updates:
            self._update_many(connection, period_table, updates)


def _as_problem(exc: Exception) -> ValidationError | ValueError:
    if isinstance(exc, ValidationError | ValueError):
        return exc
    return ValueError(f"is not a valid record ({exc})")


def _created(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Audit changes of a new record: every field that has a value."""
    return {key: [None, value] for key, value in values.items() if value not in (None, False)}


def _diff(row: Row, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {key: [row[key], value] for key, value in values.items() if row[key] != value}


def _tag_change(old: Sequence[str], new: Sequence[str]) -> dict[str, list[Any]]:
    if tuple(old) == tuple(new):
        return {}
    return {"tags": [list(old) or None, list(new)]}


def _link_change(links: Sequence[SourceLink]) -> dict[str, list[Any]]:
    if not links:
        return {}
    return {"sources": [None, [link.source_uid for link in links]]}
