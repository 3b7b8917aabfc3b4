"""What each cell of the CSV export is: its column, its header, and how a text is made
safe for a spreadsheet (``csv_text``).

The columns are those of the tables (``domain.columns``: what the reviewer sees is
what the colleague gets), with human-readable values (labels, not codes; "at least
5", "unknown"), each moment in local time, in UTC and with its time zone, the uid
and bookkeeping of every record, and what the records refer to. ``csv.export``
computes the same cells straight from the rows; these columns are the reference
it is tested against, and give the headers.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, tab, CR or NUL is prefixed
with ``'`` so that a spreadsheet shows it as text instead of running it as a formula
("CSV injection"); the numbers we format ourselves (launched, latitude -33.1) stay
numbers. The bidirectional embedding, override and isolate controls (U+202A–U+202E,
U+2066–U+2069) are removed from every text cell first (see ``strip_bidi``), so that
no cell can make a spreadsheet or a text editor show its text, or the cells after
it, in an order other than the one stored ("Trojan Source").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from incidentlog.domain.columns import (
    INCIDENT_COLUMNS,
    QUOTE_COLUMNS,
    SOURCE_COLUMNS,
    Column,
    number_text,
)
from incidentlog.domain.when import Moment
from incidentlog.exchange.harm import CSV_COLUMNS, HARM_COLUMNS, csv_cells
from incidentlog.store.records import harm_values

Row = Mapping[str, Any]

__all__ = [
    "BIDI_CONTROLS",
    "FORMULA_TRIGGERS",
    "CsvColumn",
    "bookkeeping_cells",
    "csv_text",
    "incident_csv_columns",
    "neutralize",
    "quote_csv_columns",
    "source_csv_columns",
    "strip_bidi",
]

#: A cell beginning with one of these is a formula (or becomes one) in some spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
TRIGGER_SET = frozenset(FORMULA_TRIGGERS)  # for a test of one character

T = TypeVar("T")


#: The explicit bidirectional formatting characters of Unicode (UAX #9): embeddings
#: LRE RLE PDF, overrides LRO RLO, isolates LRI RLI FSI PDI. Unlike the implicit
#: marks (LRM U+200E, RLM U+200F, ALM U+061C), which only give a neutral character
#: a direction and are kept, these reorder strong characters: "\u202e0 killed" can
#: be made to read as another number, and an unterminated override runs on over
#: the following cells when the file is viewed as text.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


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
    return cell if cell.isascii() else cell.translate(BIDI_TABLE)


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


def bookkeeping_cells(
    uid: str | None,
    version: int | None,
    created_at: str | None,
    created_by: str | None,
    updated_at: str | None,
    updated_by: str | None,
) -> list[str]:
    """The cells of the ``_bookkeeping`` columns, from a row's values (the bulk export)."""
    return [uid or "", number_text(version), created_at or "", created_by or "",
            updated_at or "", updated_by or ""]


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
    related: str = ""  # "retaliation for IQ-2024-0001; answered by IQ-2024-0009"


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
    columns.append(CsvColumn("related", "Related", lambda line: line.related))
    return columns + _bookkeeping(lambda line: line.row) + _harm_columns()


def _harm_columns() -> list[CsvColumn[IncidentLine]]:
    """killed_low, killed_best, killed_high, killed_civilians, …: last, so that the
    columns before them stay where they were (docs/formats.md)."""
    def cell(index: int) -> Callable[[IncidentLine], str]:
        def text(line: IncidentLine) -> str:
            incident = line.record
            killed, injured = incident.killed, incident.injured
            values = harm_values(incident)
            harm = [values[name] for name in HARM_COLUMNS]
            return csv_cells(killed.value, killed.qualifier.value, injured.value,
                             injured.qualifier.value, harm)[index]
        return text

    headers = {"low": "low", "best": "best", "high": "high", "civilians": "civilians",
               "military": "military", "unknown": "status unknown",
               "seriously": "seriously"}
    return [
        CsvColumn(key, f"{key.split('_')[0].capitalize()}: {headers[key.split('_')[1]]}",
                  cell(index), numeric=key.split("_")[1] in ("low", "best", "high"))
        for index, key in enumerate(CSV_COLUMNS)
    ]


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

