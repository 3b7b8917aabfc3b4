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
import marshal
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

import fastjsonschema
import ijson
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from sqlalchemy import bindparam, delete, func, select, update
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
from incidentlog.exchange.files import output_file
from incidentlog.exchange.reports import (
    Cancel,
    ExportReport,
    ImportReport,
    KindCounts,
    Progress,
    Ticker,
)
from incidentlog.exchange.scope import BATCH, IncidentBatch, Row, Scope
from incidentlog.services import Changes, Services
from incidentlog.store import audit, bulk
from incidentlog.store import records as store_records
from incidentlog.store.database import Database
from incidentlog.store.safe_paths import SpoolFolder, open_private
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
#: The deepest nesting of objects and lists a file may have. An export is at most 5
#: deep (document, section, record, its citations, a citation); a limit far above that
#: still keeps jsonschema, ``repr`` and the object builder well inside Python's
#: recursion limit, and refuses a crafted file of 100,000 ``[`` before it costs memory.
MAX_DEPTH = 64
#: The highest record version the format allows (the schema's ``maximum``): 2**53, the
#: largest integer every JSON reader holds exactly. Beyond it a version stops counting
#: (1e308 + 1 == 1e308) or overflows SQLite's 64-bit integer on the next edit, and
#: optimistic locking could no longer tell two edits apart.
MAX_VERSION = 2**53
#: A UTF-16 surrogate in a parsed str: what an escaped lone surrogate (``"\ud800"``)
#: becomes in the pure-Python backend; not a character, so no UTF-8 writer accepts it.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: In the raw file: the start of an escaped surrogate, ``\uD800``–``\uDFFF``.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


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
    with database.read() as connection, output_file(out) as handle:
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
                (_incident_records(batch) for batch in scope.incidents(connection)),
                ticker,
            ),
            "sources": _write_section(
                handle,
                "sources",
                (_source_records(batch.rows) for batch in scope.sources(connection)),
                ticker,
            ),
            "quotes": _write_section(
                handle,
                "quotes",
                (_quote_records(rows) for rows in scope.quotes(connection)),
                ticker,
            ),
            # Every live period whatever the filter: a period is context, not a selected record.
            "periods": _write_section(
                handle, "periods", iter([[period_json(row) for row in periods]]), ticker
            ),
        }
        handle.write(b"\n}\n")
        ticker.check()
    ticker.done = ticker.total
    ticker.report()
    return ExportReport(out, written["incidents"], written["sources"], written["quotes"])


def _write_section(
    handle: IO[bytes], name: str, batches: Iterator[list[dict[str, Any]]], ticker: Ticker
) -> int:
    """Write ``,\\n  "name": [ ... ]``, each record indented under the list.

    One ``orjson.dumps`` per batch of records, not per record: orjson indents a list
    of records one level shallower than the document holds them, so every line of
    the batch gets two more spaces (JSON strings hold no raw line breaks, so this
    touches only the layout) and the list's own brackets are dropped. The bytes are
    those of one dump per record.
    """
    handle.write(b',\n  "' + name.encode() + b'": [')
    count = 0
    for records in batches:
        if not records:
            continue
        text = orjson.dumps(records, option=orjson.OPT_INDENT_2)
        # b'[\n  {...},\n  {...}\n]' → b'\n    {...},\n    {...}'
        if count:
            handle.write(b",")
        handle.write(text[1:-2].replace(b"\n", b"\n  "))
        count += len(records)
        ticker.step(len(records))
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


# The records below are built from the tuples of ``exchange.scope`` (``*_FIELDS``
# order) with one dict display each: every key, in the schema's order.


def _incident_records(batch: IncidentBatch) -> list[dict[str, Any]]:
    """The batch's incidents as the format writes them."""
    tags_of, links_of = batch.tags, batch.links
    records = []
    for (
        row_id, uid, version, created_at, created_by, updated_at, updated_by,
        ref, title, summary, occurred_at, time_precision, tz, approximate,
        place, admin1, country, latitude, longitude, geo_precision, event_type, weapons,
        launched, intercepted, perpetrator, attribution, target,
        killed, killed_qualifier, injured, injured_qualifier, status, confidence,
    ) in batch.rows:  # fmt: skip
        links = links_of.get(row_id)
        records.append(
            {
                "uid": uid,
                "version": version,
                "created_at": created_at,
                "created_by": created_by,
                "updated_at": updated_at,
                "updated_by": updated_by,
                "ref": ref,
                "title": title,
                "summary": summary,
                "occurred_at": occurred_at,
                "time_precision": time_precision,
                "tz": tz,
                "approximate": bool(approximate),
                "place": place,
                "admin1": admin1,
                "country": country,
                "latitude": latitude,
                "longitude": longitude,
                "geo_precision": geo_precision,
                "event_type": event_type,
                "weapons": weapons,
                "launched": launched,
                "intercepted": intercepted,
                "perpetrator": perpetrator,
                "attribution": attribution,
                "target": target,
                "killed": {"value": killed, "qualifier": killed_qualifier},
                "injured": {"value": injured, "qualifier": injured_qualifier},
                "status": status,
                "confidence": confidence,
                "tags": tags_of.get(row_id, []),
                "sources": [{"source": link[0], "note": link[1]} for link in links]
                if links
                else [],
            }
        )
    return records


def _source_records(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [
        {
            "uid": uid,
            "version": version,
            "created_at": created_at,
            "created_by": created_by,
            "updated_at": updated_at,
            "updated_by": updated_by,
            "kind": kind,
            "title": title,
            "url": url,
            "url_normalized": url_normalized,
            "outlet": outlet,
            "author": author,
            "handle": handle,
            "published_at": published_at,
            "published_precision": published_precision,
            "published_tz": published_tz,
            "accessed_at": accessed_at,
            "archive_url": archive_url,
            "excerpt": excerpt,
            "language": language,
            "reliability": reliability,
            "sha256": sha256,
            "notes": notes,
        }
        for (
            _, uid, version, created_at, created_by, updated_at, updated_by,
            kind, title, url, url_normalized, outlet, author, handle,
            published_at, published_precision, published_tz, accessed_at, archive_url,
            excerpt, language, reliability, sha256, notes,
        ) in rows
    ]


def _quote_records(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [
        {
            "uid": uid,
            "version": version,
            "created_at": created_at,
            "created_by": created_by,
            "updated_at": updated_at,
            "updated_by": updated_by,
            "text": text,
            "speaker": speaker,
            "speaker_role": speaker_role,
            "speaker_org": speaker_org,
            "said_at": said_at,
            "said_precision": said_precision,
            "said_tz": said_tz,
            "language": language,
            "context": context,
            "incident": incident_uid,
            "source": source_uid,
        }
        for (
            _, uid, version, created_at, created_by, updated_at, updated_by,
            text, speaker, speaker_role, speaker_org, said_at, said_precision, said_tz,
            language, context, incident_uid, _incident_ref, source_uid, _title, _url,
        ) in rows
    ]


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

    JSON syntax errors, nesting deeper than ``MAX_DEPTH`` and lone surrogates become
    ``ExchangeError`` with the line and column.
    """
    events = _events(reader)
    try:
        yield from _walk(events, path, sections)
        for _ in events:  # trailing content after the document is an error too
            pass
    except (ijson.JSONError, UnicodeDecodeError) as exc:  # yajl: "\udc00" escapes
        raise _syntax_error(path, exc) from None
    except _TooDeep:
        raise _depth_error(path) from None
    except _LoneSurrogate as exc:
        raise _surrogate_error(path, exc) from None


class _TooDeep(Exception):  # noqa: N818 - a signal from the event stream, turned into an error
    pass


class _LoneSurrogate(Exception):  # noqa: N818 - likewise
    def __init__(self, offset: int | None, escape: str) -> None:
        super().__init__(escape)
        self.offset = offset  # in bytes, past a byte order mark; None when not known
        self.escape = escape


class _SurrogateGuard:
    """Reads through to a reader and refuses an escaped lone surrogate in the raw bytes.

    ``"\\ud800"`` is valid JSON syntax but not a character, and each ijson backend
    does something else with it: the pure-Python one passes it on as a str that
    SQLite cannot store, the C one refuses a lone low surrogate but turns a lone
    high one into ``?`` and ``"\\ud800\\ud800"`` into U+10000, silently. Looking
    at the bytes before any backend does makes every backend refuse the same
    files, and says where. Cheap: a search for ``\\uD8``–``\\uDF``, which an
    export (UTF-8 written as is) does not contain.

    On finding one it keeps it in ``found`` and reads as the end of the file: the
    parser stops with its own "incomplete" error, which ``_events`` replaces. (An
    exception raised from ``read`` would leave the pure-Python backend's pipeline
    of generators to complain when they are collected.)
    """

    #: Bytes kept before an escape that is not decided yet (its run of backslashes).
    _CONTEXT = 64
    #: An escape and the one after it: what deciding about a high surrogate needs.
    _SPAN = 12

    def __init__(self, reader: _CountingReader) -> None:
        self._reader = reader
        self._window = b""
        self._window_at = 0  # file offset (past a BOM) of self._window[0]
        self._next = 0  # escapes from this file offset on are not decided yet
        self._paired = -1  # file offset of a low surrogate that completes a pair
        self.found: _LoneSurrogate | None = None

    def read(self, size: int = -1) -> bytes:
        if self.found is not None:
            return b""
        data = self._reader.read(size)
        if size == 0:
            return data
        window, at = self._window + data, self._window_at
        # Near the end, an escape is decided once the bytes after it have come.
        limit = len(window) if not data else len(window) - (self._SPAN - 1)
        for hit in _SURROGATE_ESCAPE.finditer(window, max(0, self._next - at)):
            if hit.start() >= limit:
                break
            self.found = self._lone(window, at, hit.start())
            if self.found is not None:
                return b""
        self._next = max(self._next, at + max(limit, 0))
        keep = max(0, self._next - at - self._CONTEXT)
        self._window, self._window_at = window[keep:], at + keep
        return data

    def _lone(self, window: bytes, at: int, i: int) -> _LoneSurrogate | None:
        """The escape at ``window[i]`` if it is a lone surrogate."""
        backslashes = 0
        while i - backslashes > 0 and window[i - backslashes - 1] == 0x5C:
            backslashes += 1
        digits = window[i + 2 : i + 6]
        if backslashes % 2 or len(digits) < 4 or not _HEX_DIGITS.issuperset(digits):
            return None  # an escaped backslash, then text; or broken syntax, the parser's
        if int(digits, 16) >= 0xDC00:  # a low surrogate: fine only as the second of a pair
            if at + i == self._paired:
                return None
            return _LoneSurrogate(at + i, window[i : i + 6].decode("ascii"))
        after = window[i + 6 : i + 12]
        if (
            after[:2] == b"\\u"
            and len(after) == 6
            and _HEX_DIGITS.issuperset(after[2:])
            and 0xDC00 <= int(after[2:], 16) <= 0xDFFF
        ):
            self._paired = at + i + 6
            return None
        return _LoneSurrogate(at + i, window[i : i + 6].decode("ascii"))


def _events(reader: _CountingReader) -> Iterator[tuple[str, str, Any]]:
    """ijson's events as ``("", event, value)``, stopped at ``MAX_DEPTH`` and at a lone
    surrogate.

    ``basic_parse``, not ``parse``: ``parse`` builds a path prefix for every event,
    and with it memory that grows with the square of the depth (a 200 kB file of
    100,000 ``[`` needs gigabytes before any check can run). Counting depth here
    stops such a file after ``MAX_DEPTH`` events, whichever backend is in use.
    Lone surrogates are refused in the raw bytes (``_SurrogateGuard``); the check of
    each parsed str is a second line, should a backend ever produce one otherwise.
    """
    depth = 0
    guard = _SurrogateGuard(reader)
    try:
        # Looked up at each call, not imported: the tests swap in the pure-Python backend.
        for event, value in ijson.basic_parse(guard, use_float=True):
            if event == "start_map" or event == "start_array":
                depth += 1
                if depth > MAX_DEPTH:
                    raise _TooDeep
            elif event == "end_map" or event == "end_array":
                depth -= 1
            elif (event == "string" or event == "map_key") and not value.isascii():
                # isascii() is O(1) in CPython: most strings skip the search.
                surrogate = _SURROGATE.search(value)
                if surrogate is not None:
                    raise _LoneSurrogate(None, f"\\u{ord(surrogate.group()):04x}")
            yield "", event, value
    except (ijson.JSONError, UnicodeDecodeError):
        if guard.found is not None:  # the parser stopped where the guard cut the file
            raise guard.found from None
        raise
    if guard.found is not None:  # it was in what follows the document
        raise guard.found


def _depth_error(path: Path) -> ExchangeError:
    line, column = _first_too_deep(path)
    where = f"column {column}: " if column is not None else ""
    return ExchangeError(
        f"{where}a value is nested deeper than {MAX_DEPTH} levels of lists and objects; "
        "an incidentlog export is at most 5 deep (nothing was imported)",
        file=str(path),
        line=line,
    )


def _surrogate_error(path: Path, exc: _LoneSurrogate) -> ExchangeError:
    line = column = None
    if exc.offset is not None:
        with contextlib.suppress(OSError):
            line, column = _line_column_at_byte(path, _bom_length(path), exc.offset)
    where = f"column {column}: " if column is not None else ""
    return ExchangeError(
        f"{where}a text holds {exc.escape}, half of a UTF-16 surrogate pair on its own, "
        "which is not a character (the file was damaged or made by a faulty tool; "
        "nothing was imported)",
        file=str(path),
        line=line,
    )


def _bom_length(path: Path) -> int:
    with path.open("rb") as handle:
        return len(_UTF8_BOM) if handle.read(len(_UTF8_BOM)) == _UTF8_BOM else 0


#: Outside a string, the bytes that matter to the nesting; inside one, its end or an escape.
_STRUCTURE = re.compile(rb'[][{}"]')
_IN_STRING = re.compile(rb'["\\]')


def _first_too_deep(path: Path) -> tuple[int | None, int | None]:
    """Line and column of the first ``[`` or ``{`` that opens level ``MAX_DEPTH + 1``.

    A scan of the raw bytes (strings skipped), run only once the event stream has
    refused the file: ijson does not say where it is.
    """
    depth, in_string, escaped, base = 0, False, False, 0
    try:
        with path.open("rb") as handle:
            skip = len(_UTF8_BOM) if handle.read(len(_UTF8_BOM)) == _UTF8_BOM else 0
            handle.seek(skip)
            while chunk := handle.read(_READ_CHUNK):
                at = 0
                if escaped:  # the byte after a backslash that ended the previous chunk
                    at, escaped = 1, False
                while True:
                    if in_string:
                        found = _IN_STRING.search(chunk, at)
                        if found is None:
                            break
                        if found.group() == b"\\":
                            at = found.end() + 1
                            if at > len(chunk):
                                escaped = True
                                break
                            continue
                        in_string, at = False, found.end()
                        continue
                    found = _STRUCTURE.search(chunk, at)
                    if found is None:
                        break
                    mark, at = found.group(), found.end()
                    if mark == b'"':
                        in_string = True
                    elif mark in (b"[", b"{"):
                        depth += 1
                        if depth > MAX_DEPTH:
                            return _line_column_at_byte(path, skip, base + found.start())
                    else:
                        depth -= 1
                base += len(chunk)
    except OSError:
        pass
    return None, None


def _line_column_at_byte(path: Path, skip: int, offset: int) -> tuple[int, int]:
    """Line and column (in characters) of the byte at ``offset`` past the first ``skip``."""
    line, column = 1, 1
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    with path.open("rb") as handle:
        handle.seek(skip)
        left = offset
        while left > 0:
            chunk = handle.read(min(_READ_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            line, column = _advance(line, column, decoder.decode(chunk))
    return line, column


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
        if isinstance(value, str) and len(value) == 20 and value[10] == "T" and value[19] == "Z":
            # The schema's form, 2024-01-20T15:30:00Z: only whether it is a real date is
            # left to find out, and fromisoformat alone says that.
            datetime.fromisoformat(value)
        else:
            from_utc_text(value)
    except ValueError as exc:
        raise _FieldError(name, f"{value!r} is not a real date and time") from exc
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
        raise _FieldError(
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
    # 16 bytes instead of a 36-character str per record. The schema has checked the
    # form (lower-case hex in 8-4-4-4-12), so the hex digits are the UUID's bytes.
    return bytes.fromhex(uid.replace("-", ""))


def _check_file(
    path: Path, database: Database | None, ticker: Ticker, spool: _Spool | None = None
) -> _Checked:
    """Pass 1: raise ``ExchangeError`` at the first problem of the file; write nothing.

    With a ``spool``, what each record becomes for the write pass is kept there.
    """
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
    with contextlib.ExitStack() as stack:
        folder = spool.folder if spool is not None else Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="incidentlog-check-")
        ))
        uids = _UidCheck(path, bulk.UidLedger(folder / "uids.sqlite3"))
        stack.callback(uids.close)
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
                try:
                    error = _schema_error(kind, record)
                    if error is not None:
                        raise _record_error(path, label, error)
                    try:
                        references, item = _converted(section, record)
                    except _BAD_RECORD as exc:
                        raise _record_error(path, label, _as_problem(exc)) from None
                except ExchangeError:
                    uids.flush()  # a uid used twice before this record is the first problem
                    raise
                if spool is not None:
                    spool.add(section, (label, *item))
                uids.add(section, index, label, record["uid"], references)
                checked.counts[section] += 1
        uids.flush()
        document = {**head, **{name: [] for name in SECTIONS if name in head}}
        error = best_match(validators["document"].iter_errors(document))
        if error is not None:
            name, message = _schema_problem(error)
            raise ExchangeError(message, file=str(path), field=name)
        _check_references(path, database, uids.ledger)
    ticker.set(size)
    return checked


#: Small integers for the uid ledger: record kinds and sections.
_KIND_CODE = {"incident": 0, "source": 1, "quote": 2, "period": 3}
_SECTION_CODE = {name: number for number, name in enumerate(SECTIONS)}


class _UidCheck:
    """The uids of pass 1, by batch: a uid used twice, and what each record refers to.

    Kept in a ``store.bulk.UidLedger`` (on disk) rather than in sets: memory stays
    flat for a file of millions of records. A batch is checked when it is full,
    when the section changes, and before another problem is reported, so that
    problems are still reported in the order of the file.
    """

    def __init__(self, path: Path, ledger: bulk.UidLedger) -> None:
        self.path = path
        self.ledger = ledger
        self._kind = ""
        self._pending: list[tuple[bytes, str, str]] = []  # key, uid, label
        self._references: list[tuple[int, bytes, int, int, int, int]] = []
        self._place = 0

    def add(
        self,
        section: str,
        index: int,
        label: str,
        uid: str,
        references: list[tuple[str, str, str]],
    ) -> None:
        kind = _KIND_OF_SECTION[section]
        if kind != self._kind:
            self.flush()
            self._kind = kind
        self._pending.append((_uid_key(uid), uid, label))
        for number, (ref_kind, _field_name, ref_uid) in enumerate(references):
            self._place += 1
            self._references.append(
                (
                    _KIND_CODE[ref_kind],
                    _uid_key(ref_uid),
                    self._place,
                    _SECTION_CODE[section],
                    index,
                    number if section == "incidents" else 0,
                )
            )
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Check the pending uids; raise ``ExchangeError`` at the first one used before."""
        if self._pending:
            pending, self._pending = self._pending, []
            repeat = self.ledger.define(_KIND_CODE[self._kind], [key for key, _, _ in pending])
            if repeat is not None:
                _, uid, label = pending[repeat]
                raise ExchangeError(
                    f"uid {uid} is used by another {self._kind} earlier in the file",
                    file=str(self.path),
                    record=label,
                    field="uid",
                )
        if self._references:
            self.ledger.refer(self._references)
            self._references = []

    def close(self) -> None:
        self.ledger.close()


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


@lru_cache(maxsize=1)
def _fast_validators() -> dict[str, Callable[[Any], Any]]:
    """The schema of each record kind compiled to Python code (fastjsonschema).

    About twenty times faster than ``jsonschema`` on a valid record, which is what
    nearly every record of a file is. It only says yes or no: a record it refuses
    is checked again by ``jsonschema`` (``_schema_error``), whose errors say best
    what is wrong, and which has the last word. ``format`` is not checked, as
    ``jsonschema`` does not check it either.
    """
    schema = export_schema()
    return {
        kind: fastjsonschema.compile(
            {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{kind}"},
            use_formats=False,
        )
        for kind in ("incident", "source", "quote", "period")
    }


def _schema_error(kind: str, record: Any) -> SchemaError | None:
    """What is wrong with ``record`` by the schema of ``kind``, or None."""
    try:
        _fast_validators()[kind](record)
    except Exception:  # JsonSchemaException, or anything else: let jsonschema judge
        return best_match(_validators()[kind].iter_errors(record))
    return None


#: ``RecordMeta`` as the spool keeps it: ``(uid, version, created_at, created_by,
#: updated_at, updated_by)``.
def _meta_tuple(meta: RecordMeta) -> tuple[Any, ...]:
    return (
        meta.uid,
        meta.version,
        meta.created_at,
        meta.created_by,
        meta.updated_at,
        meta.updated_by,
    )


def _converted(
    section: str, record: Mapping[str, Any]
) -> tuple[list[tuple[str, str, str]], tuple[Any, ...]]:
    """Check the domain rules; return ``(kind, field, uid)`` of each uid the record refers
    to, and what the write pass needs of the record (plain values, see ``_Importer``)."""
    if section == "incidents":
        incident, links = incident_from_json(record)
        seen: set[str] = set()
        found = []
        for number, link in enumerate(links):
            if link.source_uid in seen:
                raise _FieldError(
                    f"sources[{number}].source", f"cites the source {link.source_uid} twice"
                )
            seen.add(link.source_uid)
            found.append(("source", f"sources[{number}].source", link.source_uid))
        assert incident.occurred is not None  # checked_incident requires it
        return found, (
            _meta_tuple(incident.meta),
            store_records.incident_values(incident),
            incident.tags,
            tuple((link.source_uid, link.note) for link in links),
            incident.title,
            incident.country,
            incident.occurred.local().year,  # for the next free ref, should its own be taken
        )
    if section == "sources":
        source = source_from_json(record)
        return [], (_meta_tuple(source.meta), store_records.source_values(source), source.label)
    if section == "periods":
        period = period_from_json(record)
        return [], (_meta_tuple(period.meta), store_records.period_values(period), period.label)
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
    meta = _meta_tuple(quote.meta)
    return found, (meta, values, quote.incident_uid, quote.source_uid, quote.label)


class _Spool:
    """What validation made of each record, kept aside for the write pass.

    Pass 1 parses, checks and converts every record; the write pass reads these
    ready values back (``marshal``: a few microseconds a record) in the order it
    writes them (sources, incidents, quotes, periods), instead of parsing the
    whole file once per section and converting every record a second time.
    It also writes exactly what was validated, even if the file changes
    meanwhile. One file per section in a hidden folder beside the database (the
    disk the user chose for their data, rather than a /tmp that may be held in
    memory), removed when the import ends, however it ends.
    """

    def __init__(self, near: Path | None) -> None:
        # Locked while the import runs: the next one removes what a killed one left.
        self._spool = SpoolFolder(near)
        self.folder = self._spool.path
        self._files: dict[str, IO[bytes]] = {}
        self._pending: dict[str, list[Any]] = {name: [] for name in SECTIONS}

    def add(self, section: str, item: tuple[Any, ...]) -> None:
        pending = self._pending[section]
        pending.append(item)
        if len(pending) >= BATCH:
            self._flush(section)

    def _flush(self, section: str) -> None:
        pending = self._pending[section]
        if not pending:
            return
        handle = self._files.get(section)
        if handle is None:
            handle = self._files[section] = open_private(self.folder / section, "w+b")
        # Length-prefixed: marshal.load on a file reads it in small pieces, loads does not.
        data = marshal.dumps(pending)
        handle.write(len(data).to_bytes(8, "little"))
        handle.write(data)
        self._pending[section] = []

    def batches(self, section: str) -> Iterator[list[Any]]:
        self._flush(section)
        handle = self._files.get(section)
        if handle is None:
            return
        handle.flush()
        handle.seek(0)
        while size := handle.read(8):
            yield marshal.loads(handle.read(int.from_bytes(size, "little")))

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._spool.remove()


def _check_references(path: Path, database: Database | None, ledger: bulk.UidLedger) -> None:
    """Every uid a record refers to must be in the file or (when importing) the database.

    Reported: the first reference in the file to a missing incident, else to a missing
    source.
    """
    tables = {"incident": incident_table, "source": source_table}
    for kind, table in tables.items():
        for batch in ledger.missing(_KIND_CODE[kind]):
            found: set[bytes] = set()
            if database is not None:
                with database.read() as connection:
                    chunk = [str(uuid.UUID(bytes=key)) for key, *_ in batch]
                    for (uid,) in connection.execute(
                        select(table.c.uid).where(table.c.uid.in_(chunk))
                    ):
                        found.add(_uid_key(uid))
            for key, section_code, index, number in batch:
                if key in found:
                    continue
                section = SECTIONS[section_code]
                field_name = f"sources[{number}].source" if section == "incidents" else kind
                where = (
                    "in the file or in this database" if database is not None else "in the file"
                )
                raise ExchangeError(
                    f"refers to the {kind} {uuid.UUID(bytes=key)}, which is not {where}",
                    file=str(path),
                    record=_label_at(path, section, index),
                    field=field_name,
                )


def _label_at(path: Path, section: str, index: int) -> str:
    """The label of record ``index`` of ``section``, read again from the file (an error
    is being reported: labels are not kept for every reference)."""
    with _opened(path) as reader:
        for found, position, record in _document(reader, path, (section,)):
            if found == section and position == index:
                return _label(section, index, record)
    return f"{section}[{index}]"


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
    before_commit: Callable[[], None] | None = None,
) -> ImportReport:
    """Merge a document into the database, in one transaction, or not at all.

    See ``_Importer`` for the merge rules. ``dry_run`` does everything, rolls
    back, and returns the report of what would have been done. Raises
    ``ExchangeError`` (nothing written) or ``Cancelled`` (nothing written).

    ``before_commit`` (the pre-import backup) runs only when the import is about
    to change something: inside the write transaction, once the merge is done
    and before it is committed. Other connections still see the log as it was
    (WAL), and an error it raises rolls the import back.
    """
    path = Path(path)
    database = services.database
    if database.read_only and not dry_run:
        raise ExchangeError(
            "cannot be imported: the database is open read-only. Nothing was imported.",
            file=str(path),
        )
    ticker = Ticker(progress, cancel, every=64)
    spool: _Spool | None = None
    try:
        ticker.check()
        size = path.stat().st_size if path.exists() else 0
        ticker.total = 2 * size
        if not database.read_only:
            try:
                spool = _Spool(database.path.parent if database.path else None)
            except OSError as exc:
                raise ExchangeError(
                    f"cannot be imported: no room for temporary files ({exc.strerror or exc}). "
                    "Nothing was imported.",
                    file=str(path),
                ) from exc
        checked = _check_file(path, database, ticker, spool)
        if database.read_only or spool is None:
            raise ExchangeError(
                "cannot be imported: the database is open read-only (the file itself is valid).",
                file=str(path),
            )
        importer = _Importer(services, path, checked, ticker, spool)
        try:
            sqlite = database.backend.name == "sqlite"
            with (
                database.write() as connection,
                bulk.page_cache(connection, _IMPORT_CACHE_MIB)
                if sqlite
                else contextlib.nullcontext(),
            ):
                importer.run(connection)
                if dry_run:
                    raise _DryRun
                if before_commit is not None and importer.report(dry_run).changed:
                    before_commit()
        except _DryRun:
            pass
    except (ExchangeError, Cancelled):
        raise
    except IncidentLogError as exc:  # storage: busy, disk full, refused by a constraint
        raise ExchangeError(f"{exc} Nothing was imported.", file=str(path)) from exc
    except OSError as exc:  # the spool: disk full
        raise ExchangeError(
            f"cannot be imported: {exc.strerror or exc}. Nothing was imported.", file=str(path)
        ) from exc
    finally:
        if spool is not None:
            spool.close()
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


#: From how many records an import into an empty log builds its indexes at the end.
_DEFER_INDEXES_FROM = 1000
#: SQLite's page cache while an import writes (the usual one is 32 MiB): well inside
#: the import's memory budget of 500 MiB (issue 5).
_IMPORT_CACHE_MIB = 160


class _Meta(NamedTuple):
    """A record's identity and stamps as the file gives them (``RecordMeta``'s fields)."""

    uid: str
    version: int
    created_at: str | None
    created_by: str | None
    updated_at: str | None
    updated_by: str | None


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

    The records come from the spool of pass 1 as plain values, in batches: one
    query per batch finds what is already here, and new rows, citations, tags
    and audit entries go in with one ``executemany`` each (``store.bulk``).
    """

    def __init__(
        self, services: Services, path: Path, checked: _Checked, ticker: Ticker, spool: _Spool
    ) -> None:
        self.actor = services.actor
        self.path = path
        self.checked = checked
        self.ticker = ticker
        self.spool = spool
        self.sqlite = services.database.backend.name == "sqlite"  # DeferredIndexes is SQLite's
        self.now = _now_text()
        self.tally = {name: _Tally() for name in SECTIONS}
        self.conflicts: list[str] = []
        self.renumbered: list[str] = []
        self.links_added = 0
        self.source_alias: dict[str, str] = {}  # file uid → uid of the source merged into
        self.pending_audit: list[tuple[str, str, str, str, str, str | None, Mapping[str, Any]]] = []
        # (row id or 0 until known, uid, ref in the file, title, country, local year, changes)
        self.deferred: list[tuple[int, str, str | None, str, str | None, int, dict[str, Any]]] = []
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
        # Into an empty log (a colleague's export loaded into a new database), the indexes
        # and the full-text index are built once at the end rather than row by row.
        indexes = (
            bulk.DeferredIndexes(connection)
            if self.sqlite
            and self.checked.records >= _DEFER_INDEXES_FROM
            and bulk.tables_empty(connection)
            else None
        )
        for section, handler in (
            ("sources", self._sources),
            ("incidents", self._incidents),
            ("quotes", self._quotes),
            ("periods", self._periods),
        ):
            for batch in self.spool.batches(section):
                handler(connection, batch)
                self._advance(len(batch))
                self._flush_audit(connection, final=False)
            if section == "incidents":
                self._assign_deferred_refs(connection)
        self._flush_audit(connection, final=True)
        if indexes is not None:
            indexes.rebuild()

    def _advance(self, count: int) -> None:
        self.done += count
        size, records = self.checked.size, max(1, self.checked.records)
        self.ticker.set(size + size * self.done // records)
        self.ticker.check()

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
        self._insert(connection, audit.audit_table, rows)
        self.pending_audit = []

    def _newer(self, meta: _Meta, row: Row) -> bool:
        """Is the file's record newer than ours? By ``updated_at``, then by ``version``."""
        theirs = (meta.updated_at or self.now, meta.version)
        return theirs > (row["updated_at"], row["version"])

    def _conflict(self, label: str, meta: _Meta, row: Row) -> None:
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

    def _new_meta(self, meta: _Meta) -> dict[str, Any]:
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

    def _updated_meta(self, meta: _Meta, row: Row) -> dict[str, Any]:
        return {
            "version": max(meta.version or 1, row["version"] + 1),
            "updated_at": meta.updated_at or self.now,
            "updated_by": meta.updated_by or self.actor,
        }

    @staticmethod
    def _insert(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        """INSERT rows built alike (same keys, same order) with one executemany."""
        if not rows:
            return
        columns = tuple(rows[0])
        values_of = itemgetter(*columns)
        bulk.insert_rows(connection, table, columns, [values_of(row) for row in rows])

    @staticmethod
    def _existing(connection: Connection, table: Any, uids: list[str]) -> dict[str, Row]:
        """The rows already here with these uids (one query per batch)."""
        return bulk.rows_by_uid(connection, table, uids)

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

    def _missing(self, label: str, field_name: str, kind: str, uid: str) -> ExchangeError:
        return ExchangeError(
            f"refers to the {kind} {uid}, which is not in the file or in this database",
            file=str(self.path),
            record=label,
            field=field_name,
        )

    # --- sources ---------------------------------------------------------------------------

    def _sources(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, audit label)`` of each source."""
        tally = self.tally["sources"]
        existing = self._existing(connection, source_table, [item[1][0] for item in batch])
        wanted_urls = {
            values["url_normalized"]
            for _, meta, values, _ in batch
            if meta[0] not in existing and values["url_normalized"]
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
        for label, meta_values, values, audit_label in batch:
            meta = _Meta(*meta_values)
            uid = meta.uid
            row = existing.get(uid)
            if row is None:
                merged_into = by_url.get(values["url_normalized"] or "")
                if merged_into is not None:
                    self.source_alias[uid] = merged_into
                    tally.merged += 1
                    continue
                inserts.append(values | self._new_meta(meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.SOURCE, uid, audit_label, _created(values)
                )
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed("source", label, uid)
                tally.skipped += 1
            else:
                changed = _diff(row, values)
                if not changed:
                    tally.unchanged += 1
                elif self._newer(meta, row):
                    updates.append({"row_id": row["id"], **values, **self._updated_meta(meta, row)})
                    self._audit(AuditAction.IMPORT, RecordKind.SOURCE, uid, audit_label, changed)
                    tally.updated += 1
                else:
                    self._conflict(label, meta, row)
                    tally.skipped += 1
        self._insert(connection, source_table, inserts)
        if updates:
            self._update_many(connection, source_table, updates)

    # --- incidents -------------------------------------------------------------------------

    def _incidents(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, tags, citations, title, country, local year)``
        of each incident."""
        tally = self.tally["incidents"]
        existing = self._existing(connection, incident_table, [item[1][0] for item in batch])
        existing_tags = store_records.tags_of(connection, [row["id"] for row in existing.values()])
        refs = {item[2]["ref"] for item in batch if item[2]["ref"]}
        ref_owner = bulk.uids_by_ref(connection, refs)
        claimed: set[str] = set()

        def free(ref: str | None, uid: str) -> bool:
            return ref is not None and ref not in claimed and ref_owner.get(ref, uid) == uid

        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        new_tags: list[tuple[str, tuple[str, ...]]] = []
        replaced_tags: list[tuple[int, tuple[str, ...]]] = []
        link_plan: list[tuple[str, str, list[SourceLink], bool]] = []
        alias = self.source_alias
        for label, meta_values, values, tags, cited, title, country, year in batch:
            meta = _Meta(*meta_values)
            uid = meta.uid
            tags = tuple(tags)
            links = [SourceLink(alias.get(source, source), note) for source, note in cited]
            row = existing.get(uid)
            ref = values["ref"]
            if row is None:
                changes = _created(values) | _tag_change((), tags)
                changes |= _link_change(links)
                if free(ref, uid):
                    claimed.add(ref)
                    self._audit(AuditAction.IMPORT, RecordKind.INCIDENT, uid, ref, changes)
                else:
                    # A placeholder until every ref of the file is in; see _assign_deferred_refs.
                    values["ref"] = "~" + uid
                    changes.pop("ref", None)
                    self.deferred.append((0, uid, ref, title, country, year, changes))
                inserts.append(values | self._new_meta(meta))
                new_tags.append((uid, tags))
                link_plan.append((label, uid, links, False))
                tally.added += 1
                continue
            if row["deleted_at"] is not None:
                self._trashed("incident", label, uid)
                tally.skipped += 1
                continue
            local_tags = tuple(existing_tags.get(row["id"], ()))
            wanted_ref = ref or row["ref"]
            ref_note = None
            if wanted_ref != row["ref"] and not free(wanted_ref, uid):
                ref_note = (
                    f"{label}: kept its ref {row['ref']} here; {wanted_ref} is used by "
                    "another incident"
                )
                wanted_ref = row["ref"]
            claimed.add(wanted_ref)
            values["ref"] = wanted_ref
            changed = _diff(row, values) | _tag_change(local_tags, tags)
            if not changed:
                tally.unchanged += 1
                link_plan.append((label, uid, links, False))
            elif self._newer(meta, row):
                updates.append({"row_id": row["id"], **values, **self._updated_meta(meta, row)})
                if local_tags != tags:
                    replaced_tags.append((row["id"], tags))
                self._audit(AuditAction.IMPORT, RecordKind.INCIDENT, uid, wanted_ref, changed)
                link_plan.append((label, uid, links, True))
                tally.updated += 1
                if ref_note:
                    self.renumbered.append(ref_note)
            else:
                self._conflict(label, meta, row)
                link_plan.append((label, uid, links, False))
                tally.skipped += 1
        self._insert(connection, incident_table, inserts)
        if updates:
            self._update_many(connection, incident_table, updates)
        ids = bulk.ids_by_uid(connection, incident_table, [uid for _, uid, _, _ in link_plan])
        self.deferred = [
            (ids[uid] if row_id == 0 else row_id, uid, *rest)
            for row_id, uid, *rest in self.deferred
        ]
        if replaced_tags:
            connection.execute(
                delete(incident_tag_table).where(
                    incident_tag_table.c.incident_id.in_([i for i, _ in replaced_tags])
                )
            )
        tag_rows = [(ids[uid], tag) for uid, tags in new_tags for tag in tags]
        tag_rows += [(i, tag) for i, tags in replaced_tags for tag in tags]
        bulk.insert_rows(connection, incident_tag_table, ("incident_id", "tag"), tag_rows)
        self._links(connection, link_plan, ids, existing)

    def _links(
        self,
        connection: Connection,
        plan: list[tuple[str, str, list[SourceLink], bool]],
        ids: dict[str, int],
        existing: Mapping[str, Row],
    ) -> None:
        """Add the citations that are missing; follow the file's notes for updated incidents."""
        source_ids = bulk.ids_by_uid(
            connection, source_table, {link.source_uid for _, _, links, _ in plan for link in links}
        )
        # Only incidents that were here can have citations already.
        incident_ids = [ids[uid] for _, uid, links, _ in plan if links and uid in existing]
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
        inserts: list[tuple[int, int, str | None]] = []
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
                    inserts.append((incident_id, source_id, link.note))
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
        bulk.insert_rows(
            connection, incident_source_table, ("incident_id", "source_id", "note"), inserts
        )
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
        for row_id, uid, old_ref, title, country, year, changes in self.deferred:
            ref = store_records.next_ref(connection, country, year)
            connection.execute(
                update(incident_table).where(incident_table.c.id == row_id).values(ref=ref)
            )
            if old_ref is None:
                self.renumbered.append(f"{title} ({uid}): had no ref, given {ref}")
            else:
                self.renumbered.append(
                    f"{old_ref} → {ref} ({title}): {old_ref} is used here by another incident"
                )
            self._audit(
                AuditAction.IMPORT, RecordKind.INCIDENT, uid, ref, {"ref": [None, ref], **changes}
            )
        self.deferred = []

    # --- quotes ----------------------------------------------------------------------------

    def _quotes(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, incident uid, source uid, audit label)`` of each
        quote; ``values`` without the references, resolved here."""
        tally = self.tally["quotes"]
        existing = self._existing(connection, quote_table, [item[1][0] for item in batch])
        alias = self.source_alias
        incident_ids = bulk.ids_by_uid(
            connection, incident_table, {item[3] for item in batch if item[3]}
        )
        source_ids = bulk.ids_by_uid(
            connection, source_table, {alias.get(item[4], item[4]) for item in batch if item[4]}
        )
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, meta_values, values, incident_uid, file_source_uid, audit_label in batch:
            meta = _Meta(*meta_values)
            uid = meta.uid
            source_uid = alias.get(file_source_uid or "", file_source_uid)
            if incident_uid:
                if incident_uid not in incident_ids:
                    raise self._missing(label, "incident", "incident", incident_uid)
                values["incident_id"] = incident_ids[incident_uid]
            if source_uid:
                if source_uid not in source_ids:
                    raise self._missing(label, "source", "source", source_uid)
                values["source_id"] = source_ids[source_uid]
            row = existing.get(uid)
            if row is None:
                audited = {k: v for k, v in values.items() if k not in ("incident_id", "source_id")}
                audited |= {"incident": incident_uid, "source": source_uid}
                inserts.append(values | self._new_meta(meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.QUOTE, uid, audit_label, _created(audited)
                )
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed("quote", label, uid)
                tally.skipped += 1
            else:
                changed = _diff(row, values)
                if not changed:
                    tally.unchanged += 1
                elif self._newer(meta, row):
                    updates.append({"row_id": row["id"], **values, **self._updated_meta(meta, row)})
                    self._audit(AuditAction.IMPORT, RecordKind.QUOTE, uid, audit_label, changed)
                    tally.updated += 1
                else:
                    self._conflict(label, meta, row)
                    tally.skipped += 1
        self._insert(connection, quote_table, inserts)
        if updates:
            self._update_many(connection, quote_table, updates)

    # --- periods ---------------------------------------------------------------------------

    def _periods(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, audit label)`` of each period."""
        tally = self.tally["periods"]
        existing = self._existing(connection, period_table, [item[1][0] for item in batch])
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, meta_values, values, audit_label in batch:
            meta = _Meta(*meta_values)
            uid = meta.uid
            row = existing.get(uid)
            if row is None:
                inserts.append(values | self._new_meta(meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.PERIOD, uid, audit_label, _created(values)
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
                elif self._newer(meta, row):
                    updates.append({"row_id": row["id"], **values, **self._updated_meta(meta, row)})
                    self._audit(AuditAction.IMPORT, RecordKind.PERIOD, uid, audit_label, changed)
                    self.period_uids.add(uid)
                    tally.updated += 1
                else:
                    self._conflict(label, meta, row)
                    tally.skipped += 1
        self._insert(connection, period_table, inserts)
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
