"""CSV export (DESIGN §4): one file per record kind, for a spreadsheet.

``incidents.csv``, ``sources.csv`` and ``quotes.csv`` hold the columns of the
tables (``domain.columns``: what the reviewer sees is what the colleague
gets), with human-readable values (labels, not codes; "at least 5",
"unknown"), each moment in local time, in UTC and with its time zone, the
uid and bookkeeping of every record, and what the records refer to (the
sources an incident cites, the incidents citing a source, a quote's incident
and source).

Files are UTF-8 with a byte order mark (so Excel reads them as UTF-8), CRLF
line ends and RFC 4180 quoting. A text cell that begins with ``=``, ``+``,
``-``, ``@``, tab, CR or NUL is prefixed with ``'`` so that a spreadsheet
shows it as text instead of running it as a formula ("CSV injection"); the
numbers we format ourselves (launched, latitude -33.1) stay numbers. The
bidirectional embedding, override and isolate controls (U+202A–U+202E,
U+2066–U+2069) are removed from every text cell first (see ``strip_bidi``),
so that no cell can make a spreadsheet or a text editor show its text, or
the cells after it, in an order other than the one stored ("Trojan Source").

The three files are written aside and moved into the folder together, only
when all are complete (``exchange.files``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from incidentlog.domain.columns import (
    INCIDENT_COLUMNS,
    LIST_SEPARATOR,
    QUOTE_COLUMNS,
    SOURCE_COLUMNS,
    Column,
    number_text,
)
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.when import Moment
from incidentlog.exchange.files import atomic_files
from incidentlog.exchange.reports import Cancel, ExportReport, Progress, Ticker
from incidentlog.exchange.scope import IncidentItem, Row, Scope, SourceItem
from incidentlog.services import Services
from incidentlog.store import records as store_records

__all__ = [
    "BIDI_CONTROLS",
    "CSV_FILES",
    "FORMULA_TRIGGERS",
    "csv_text",
    "export_csv",
    "incident_csv_columns",
    "neutralize",
    "quote_csv_columns",
    "source_csv_columns",
    "strip_bidi",
]

CSV_FILES = ("incidents.csv", "sources.csv", "quotes.csv")
#: A cell beginning with one of these is a formula (or becomes one) in some spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
_TRIGGER_SET = frozenset(FORMULA_TRIGGERS)

T = TypeVar("T")


#: The explicit bidirectional formatting characters of Unicode (UAX #9): embeddings
#: LRE RLE PDF, overrides LRO RLO, isolates LRI RLI FSI PDI. Unlike the implicit
#: marks (LRM U+200E, RLM U+200F, ALM U+061C), which only give a neutral character
#: a direction and are kept, these reorder strong characters: "\u202e0 killed" can
#: be made to read as another number, and an unterminated override runs on over
#: the following cells when the file is viewed as text.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def neutralize(cell: str) -> str:
    """``'=1+1``: a text cell a spreadsheet would take for a formula, made plain text."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def strip_bidi(cell: str) -> str:
    """``cell`` without bidirectional embedding, override and isolate controls.

    Removed rather than marked: a CSV file is the human-readable copy for a
    spreadsheet, and these characters are invisible there, so a visible mark
    such as ``[U+202E]`` would clutter the many harmless isolates that sites
    like X put around names in right-to-left posts, while removing them can
    only make text read in the order it is stored. Arabic and Hebrew need none
    of them (their direction is a property of the letters), so such text is
    unchanged. The database and the JSON export keep the exact text: the
    evidence is not altered, only its spreadsheet view.
    """
    return cell if cell.isascii() else cell.translate(_BIDI_TABLE)


def csv_text(cell: str) -> str:
    """A text cell as written to CSV: bidi controls removed, then formula-neutralized.

    In that order, so that ``"\\u202e=cmd"`` cannot lose its control character
    and become a live formula after the check.
    """
    return neutralize(strip_bidi(cell))


@dataclass(frozen=True, slots=True)
class CsvColumn(Generic[T]):
    """A CSV column over ``T``, a line of the export (a record with what it refers to).

    ``on_record``: ``text`` reads the line's domain record (a table column from
    ``domain.columns``) rather than the line itself.
    """

    key: str
    header: str
    text: Callable[[Any], str]
    numeric: bool = False
    on_record: bool = False


def _from(column: Column[Any]) -> CsvColumn[Any]:
    return CsvColumn(column.key, column.header, column.text, column.numeric, on_record=True)


def _moment_columns(
    key: str, header: str, moment_of: Callable[[Any], Moment | None]
) -> list[CsvColumn[Any]]:
    def utc(x: Any) -> str:
        moment = moment_of(x)
        return moment.utc_text if moment else ""

    def local(x: Any) -> str:
        moment = moment_of(x)
        return moment.local_text() if moment else ""

    def tz(x: Any) -> str:
        moment = moment_of(x)
        return moment.tz if moment else ""

    return [
        CsvColumn(f"{key}_utc", f"{header} (UTC)", utc),
        CsvColumn(f"{key}_local", f"{header} (local time)", local),
        CsvColumn(f"{key}_tz", f"{header} time zone", tz),
    ]


def _bookkeeping(row_of: Callable[[Any], Row]) -> list[CsvColumn[Any]]:
    return [
        CsvColumn("uid", "UID", lambda x: row_of(x)["uid"]),
        CsvColumn("version", "Version", lambda x: number_text(row_of(x)["version"]), True),
        CsvColumn("created_at", "Created (UTC)", lambda x: row_of(x)["created_at"]),
        CsvColumn("created_by", "Created by", lambda x: row_of(x)["created_by"]),
        CsvColumn("updated_at", "Updated (UTC)", lambda x: row_of(x)["updated_at"]),
        CsvColumn("updated_by", "Updated by", lambda x: row_of(x)["updated_by"]),
    ]


def _spliced(
    base: Sequence[Column[Any]], after: str, extra: list[CsvColumn[Any]]
) -> list[CsvColumn[Any]]:
    columns: list[CsvColumn[Any]] = []
    for column in base:
        columns.append(_from(column))
        if column.key == after:
            columns.extend(extra)
    return columns


@dataclass(frozen=True, slots=True)
class IncidentLine:
    """One line of incidents.csv: the incident and the sources it cites."""

    record: Any  # domain.records.Incident
    row: Row
    cited: str


@dataclass(frozen=True, slots=True)
class SourceLine:
    record: Any  # domain.records.Source
    row: Row
    cited_by: str


@dataclass(frozen=True, slots=True)
class QuoteLine:
    record: Any  # domain.records.Quote
    row: Row


def incident_csv_columns() -> list[CsvColumn[IncidentLine]]:
    """The columns of incidents.csv, in order (documented in docs/, keyed by ``key``)."""
    columns = _spliced(
        INCIDENT_COLUMNS,
        "occurred",
        _moment_columns("occurred", "Occurred", lambda line: line.record.occurred),
    )
    columns.append(CsvColumn("sources", "Sources", lambda line: line.cited))
    return columns + _bookkeeping(lambda line: line.row)


def source_csv_columns() -> list[CsvColumn[SourceLine]]:
    columns = _spliced(
        SOURCE_COLUMNS,
        "published",
        _moment_columns("published", "Published", lambda line: line.record.published),
    )
    columns.append(CsvColumn("cited_by", "Cited by", lambda line: line.cited_by))
    return columns + _bookkeeping(lambda line: line.row)


def quote_csv_columns() -> list[CsvColumn[QuoteLine]]:
    columns = _spliced(
        QUOTE_COLUMNS,
        "said",
        _moment_columns("said", "Said", lambda line: line.record.said),
    )
    columns += [
        CsvColumn("incident", "Incident", lambda line: line.row["incident_ref"] or ""),
        CsvColumn("incident_uid", "Incident UID", lambda line: line.row["incident_uid"] or ""),
        CsvColumn(
            "source",
            "Source",
            lambda line: line.row["source_title"] or line.row["source_url"] or "",
        ),
        CsvColumn("source_uid", "Source UID", lambda line: line.row["source_uid"] or ""),
    ]
    return columns + _bookkeeping(lambda line: line.row)


def _incident_lines(batches: Iterable[list[IncidentItem]]) -> Iterator[IncidentLine]:
    for batch in batches:
        for item in batch:
            names = sorted(
                (link.title or link.url or link.source_uid for link in item.links), key=str.casefold
            )
            cited = LIST_SEPARATOR.join(names)
            yield IncidentLine(
                store_records.incident_from_row(item.row, item.tags), item.row, cited
            )


def _source_lines(batches: Iterable[list[SourceItem]]) -> Iterator[SourceLine]:
    for batch in batches:
        for item in batch:
            yield SourceLine(
                store_records.source_from_row(item.row),
                item.row,
                LIST_SEPARATOR.join(item.cited_by),
            )


def _quote_lines(batches: Iterable[list[Row]]) -> Iterator[QuoteLine]:
    for batch in batches:
        for row in batch:
            yield QuoteLine(store_records.quote_from_row(row), row)


def _write(
    handle: IO[str],
    columns: Sequence[CsvColumn[T]],
    lines: Iterable[IncidentLine | SourceLine | QuoteLine],
    ticker: Ticker,
) -> int:
    """Write the header and one row per line; ``csv_text`` inlined, as it runs per cell."""
    writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([column.header for column in columns])
    plan = [(column.text, column.on_record, column.numeric) for column in columns]
    triggers = _TRIGGER_SET
    bidi = _BIDI_TABLE
    count = 0
    for line in lines:
        record = line.record
        cells = []
        for text, on_record, numeric in plan:
            cell = text(record if on_record else line)
            if not numeric and cell:
                if not cell.isascii():  # a flag test in CPython: free for ASCII cells
                    cell = cell.translate(bidi)
                if cell and cell[0] in triggers:
                    cell = "'" + cell
            cells.append(cell)
        writer.writerow(cells)
        count += 1
        ticker.step()
    return count


def export_csv(
    services: Services,
    out_dir: Path,
    flt: IncidentFilter | None = None,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ExportReport:
    """Write ``incidents.csv``, ``sources.csv`` and ``quotes.csv`` into ``out_dir``.

    Holds what ``export_json`` would hold for the same filter. The folder is
    created if missing; the files appear only when all three are complete, and
    a cancel (``Cancelled``) or an error (``ExchangeError``) leaves none behind.
    """
    out_dir = Path(out_dir)
    database = services.database
    scope = Scope(flt, database.backend)
    ticker = Ticker(progress, cancel)
    ticker.check()
    with (
        database.read() as connection,
        atomic_files(out_dir, CSV_FILES, encoding="utf-8-sig") as handles,
    ):
        counts = scope.counts(connection)
        ticker.total = counts.total
        ticker.report()
        incidents = _write(
            handles["incidents.csv"],
            incident_csv_columns(),
            _incident_lines(scope.incidents(connection)),
            ticker,
        )
        sources = _write(
            handles["sources.csv"],
            source_csv_columns(),
            _source_lines(scope.sources(connection, with_citing=True)),
            ticker,
        )
        quotes = _write(
            handles["quotes.csv"],
            quote_csv_columns(),
            _quote_lines(scope.quotes(connection)),
            ticker,
        )
        ticker.check()
    ticker.done = ticker.total
    ticker.report()
    return ExportReport(out_dir, incidents, sources, quotes)
