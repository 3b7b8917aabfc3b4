"""CSV export: ``incidents.csv``, ``sources.csv`` and ``quotes.csv``, for a spreadsheet.

Files are UTF-8 with a byte order mark (so Excel reads them as UTF-8), CRLF line ends
and RFC 4180 quoting; what each cell holds, and how a text is made safe for a
spreadsheet, is ``csv.columns``. The three files are written aside and moved into the
folder together, only when all are complete (``exchange.files``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, cast

from incidentlog.domain.actors import actors_text
from incidentlog.domain.columns import LIST_SEPARATOR, confidence_text, number_text
from incidentlog.domain.enums import (
    Attribution,
    CountQualifier,
    GeoPrecision,
    Reliability,
    SourceKind,
    Status,
)
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.when import Moment, zone, zone_label
from incidentlog.exchange.csv.columns import (
    BIDI_CONTROLS,
    BIDI_TABLE,
    FORMULA_TRIGGERS,
    TRIGGER_SET,
    CsvColumn,
    bookkeeping_cells,
    incident_csv_columns,
    quote_csv_columns,
    source_csv_columns,
)
from incidentlog.exchange.files import atomic_files
from incidentlog.exchange.harm import csv_cells, ranged_display
from incidentlog.exchange.reports import Cancel, ExportReport, Progress, Ticker
from incidentlog.exchange.scope import IncidentBatch, Scope, SourceBatch
from incidentlog.services import Services

__all__ = ["CSV_FILES", "export_csv"]

CSV_FILES = ("incidents.csv", "sources.csv", "quotes.csv")

# ---------------------------------------------------------------------------------------
# The writer: one plain function per file, over the tuples of ``exchange.scope``
# ---------------------------------------------------------------------------------------
#
# The columns (``csv.columns``) say what each cell is (and give the headers); building a
# domain record, a line object and a ``Moment`` per row to call them costs ten times what
# SQLite spends reading the row, so the writer computes the same cells straight from the row's
# tuple: the two must stay in step (the exports of the tests and of the benchmark's logs
# were compared byte for byte with those of the column functions). Every text cell that
# can hold what a person (or another tool) stored goes through ``_Screen`` (``csv_text``);
# cells made only of our own labels, digits and month names cannot begin with a formula
# character nor hold a bidi control, and skip it.

_ATTRIBUTION = {member.value: member.label for member in Attribution}
_STATUS = {member.value: member.label for member in Status}
_GEO = {member.value: member.label for member in GeoPrecision}
_KIND = {member.value: member.label for member in SourceKind}
_RELIABILITY = {member.value: member.label for member in Reliability}
_QUALIFIERS = frozenset(member.value for member in CountQualifier)
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BIDI_SEARCH = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]").search
_NO_MOMENT = ("", "", "", "")


def _cell(cell: str | None) -> str:
    """``csv_text`` of an optional text, with the common case (nothing to do) first."""
    if not cell:
        return ""
    # isascii() is a flag test in CPython; Arabic text then costs one regex scan, while
    # str.translate with a dict (what strip_bidi does) walks it character by character.
    if not cell.isascii() and _BIDI_SEARCH(cell) is not None:
        cell = cell.translate(BIDI_TABLE)
        if not cell:
            return cell
    return "'" + cell if cell[0] in TRIGGER_SET else cell


def _label(labels: dict[str, str], enum: Any, value: str) -> str:
    """The label of a stored code; an unknown code fails as the enum would."""
    label = labels.get(value)
    return label if label is not None else cast(str, enum(value).label)


def _count_text(value: int | None, qualifier: str) -> str:
    """``Count(value, qualifier).display()`` without building the Count."""
    if qualifier not in _QUALIFIERS:
        CountQualifier(qualifier)  # raises the enum's error
    if value is None or qualifier == "unknown":
        return "unknown"
    if qualifier == "at_least":
        return f"at least {value}"
    if qualifier == "about":
        return f"about {value}"
    return str(value)


class _MomentCells:
    """The four cells of a stored moment: as shown, UTC, local ISO time, time zone.

    The same texts as ``Moment.display()``, ``utc_text``, ``local_text()`` and ``tz``
    (``Moment.from_stored``), computed from the stored UTC text with one parse and
    one zone conversion; month names are the English ones ``docs/formats.md``
    shows. Anything unusual (a stored text that is not the canonical
    ``2024-01-20T15:30:00Z``, a year before 1000) goes through ``Moment`` itself.
    """

    #: Cells kept of the moments met last: sources of one day, quotes of one minute
    #: share theirs. Cleared when full.
    KEPT = 4096

    def __init__(self) -> None:
        self._zones: dict[str, Any] = {}
        self._labels: dict[str, str] = {}
        self._offsets: dict[Any, str] = {}
        self._known: dict[tuple[Any, ...], tuple[str, str, str, str]] = {}

    def __call__(
        self, at: str | None, precision: str | None, tz: str | None, approximate: Any
    ) -> tuple[str, str, str, str]:
        if at is None:
            return _NO_MOMENT
        key = (at, precision, tz, bool(approximate))
        cells = self._known.get(key)
        if cells is None:
            cells = self._cells(at, precision, tz, approximate)
            if len(self._known) >= self.KEPT:
                self._known.clear()
            self._known[key] = cells
        return cells

    def _cells(
        self, at: str, precision: str | None, tz: str | None, approximate: Any
    ) -> tuple[str, str, str, str]:
        tz = tz or "UTC"
        precision = precision or "minute"
        zone_info = self._zones.get(tz)
        if zone_info is None:
            zone_info = self._zones[tz] = zone(tz)
            self._labels[tz] = zone_label(tz)
        if len(at) != 20 or at[19] != "Z" or at[10] != "T" or at[13] != ":" or at[16] != ":":
            return self._slow(at, precision, tz, approximate)
        try:
            local = datetime.fromisoformat(at).astimezone(zone_info)
        except (ValueError, OverflowError):
            return self._slow(at, precision, tz, approximate)
        year = local.year
        if year < 1000:  # strftime's %Y and Moment's texts differ in padding there
            return self._slow(at, precision, tz, approximate)
        about = "~" if approximate else ""
        month = _MONTHS[local.month]
        if precision == "minute" or precision == "hour":
            offset = self._offsets.get(local.utcoffset())
            if offset is None:
                offset = local.strftime("%z")
                offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
                self._offsets[local.utcoffset()] = offset
            if precision == "minute":
                hour_minute = f"{local.hour:02d}:{local.minute:02d}"
                shown = f"{local.day} {month} {year} {about}{hour_minute} {self._labels[tz]}"
                iso = f"{year}-{local.month:02d}-{local.day:02d}T{hour_minute}{offset}"
            else:
                shown = f"{local.day} {month} {year} {about}{local.hour:02d}h {self._labels[tz]}"
                iso = f"{year}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:00{offset}"
        elif precision == "day":
            shown = f"{about}{local.day} {month} {year}"
            iso = f"{year}-{local.month:02d}-{local.day:02d}"
        elif precision == "week":
            week_year, week, _ = local.isocalendar()
            shown = f"{about}week {week} {week_year}"
            iso = f"{week_year}-W{week:02d}"
        elif precision == "month":
            shown = f"{about}{month} {year}"
            iso = f"{year}-{local.month:02d}"
        elif precision == "year":
            shown = f"{about}{year}"
            iso = str(year)
        else:
            return self._slow(at, precision, tz, approximate)  # raises for a bad precision
        return shown, at, iso, tz

    @staticmethod
    def _slow(
        at: str, precision: str, tz: str, approximate: Any
    ) -> tuple[str, str, str, str]:
        moment = Moment.from_stored(at, precision, tz, bool(approximate))
        return moment.display(), moment.utc_text, moment.local_text(), moment.tz


#: Between the text cells of a row when they are looked at together (``_Screen``). A
#: cell holding this character can only cause a needless look at each cell.
_SEPARATOR = "\x1f"
# Searched in the UTF-8 bytes of a row's joined text cells: Python's regex engine is
# several times faster on bytes than on a str holding Arabic, and these patterns begin
# with a literal byte it can scan for.
_TRIGGER_BYTES = frozenset(trigger.encode() for trigger in FORMULA_TRIGGERS)
_TRIGGER_AFTER_SEPARATOR = re.compile(
    re.escape(_SEPARATOR.encode()) + b"[" + re.escape("".join(FORMULA_TRIGGERS).encode()) + b"]"
).search
#: UTF-8 of U+202A–U+202E (E2 80 AA–AE) and U+2066–U+2069 (E2 81 A6–A9): BIDI_CONTROLS.
_BIDI_BYTES = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])").search


class _Screen:
    """``csv_text`` of the text cells of a row (those at ``positions``), one row at a time.

    Nearly every row needs nothing: its text cells are joined and their UTF-8
    looked at once for a cell that begins with a formula character and for a bidi
    control. Only a row where either is found goes through ``_cell`` cell by cell.
    Text cells must be str ("" for none).
    """

    def __init__(self, positions: Sequence[int]) -> None:
        self.positions = tuple(positions)
        self.texts = itemgetter(*self.positions)

    def __call__(self, row: list[str]) -> list[str]:
        data = _SEPARATOR.join(self.texts(row)).encode("utf-8", "surrogatepass")
        if (
            data[:1] in _TRIGGER_BYTES
            or _TRIGGER_AFTER_SEPARATOR(data) is not None
            or (not data.isascii() and _BIDI_BYTES(data) is not None)
        ):
            for position in self.positions:
                row[position] = _cell(row[position])
        return row


_INCIDENT_TEXTS = _Screen((0, 4, 5, 6, 7, 8, 9, 10, 13, 15, 16, 21, 22, 26, 27, 28, 30, 31,
                           32, 33))
_SOURCE_TEXTS = _Screen((1, 2, 3, 4, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23))
_QUOTE_TEXTS = _Screen((0, 1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19))


def _incident_rows(batches: Iterable[IncidentBatch]) -> Iterator[list[list[str]]]:
    """The cells of incidents.csv (``incident_csv_columns``), a batch of rows at a time."""
    moment = _MomentCells()
    number, screen = number_text, _INCIDENT_TEXTS
    for batch in batches:
        tags_of, links_of = batch.tags, batch.links
        actors_of, related_of = batch.actors, batch.related
        rows = []
        for (
            row_id, uid, version, created_at, created_by, updated_at, updated_by,
            ref, title, summary, occurred_at, time_precision, tz, approximate,
            place, admin1, country, latitude, longitude, geo_precision, event_type, weapons,
            launched, intercepted, perpetrator, attribution, target,
            killed, killed_qualifier, injured, injured_qualifier, status, confidence, *harm,
        ) in batch.rows:  # fmt: skip
            shown, utc, local, zone_name = moment(occurred_at, time_precision, tz, approximate)
            tags = tags_of.get(row_id)
            links = links_of.get(row_id)
            if links:
                names = sorted(
                    (link[2] or link[3] or link[0] for link in links), key=str.casefold
                )
                cited = LIST_SEPARATOR.join(names)
            else:
                cited = ""
            rows.append(
                screen(
                    [
                        ref or "",
                        shown,
                        utc,
                        local,
                        zone_name,
                        title or "",
                        place or "",
                        admin1 or "",
                        country or "",
                        event_type or "",
                        weapons or "",
                        number(launched),
                        number(intercepted),
                        perpetrator or "",
                        _label(_ATTRIBUTION, Attribution, attribution),
                        actors_text(actors_of.get(row_id, ())),
                        target or "",
                        ranged_display("killed", killed, killed_qualifier, harm)
                        or _count_text(killed, killed_qualifier),
                        ranged_display("injured", injured, injured_qualifier, harm)
                        or _count_text(injured, injured_qualifier),
                        _label(_STATUS, Status, status),
                        confidence_text(confidence),
                        LIST_SEPARATOR.join(tags) if tags else "",
                        summary or "",
                        number(latitude),
                        number(longitude),
                        _label(_GEO, GeoPrecision, geo_precision) if geo_precision else "",
                        cited,
                        LIST_SEPARATOR.join(f"{r.wording} {r.other_ref}"
                                            for r in related_of.get(row_id, ())),
                        *bookkeeping_cells(
                            uid, version, created_at, created_by, updated_at, updated_by
                        ),
                        # Generated numbers and "at least 5": nothing to screen.
                        *csv_cells(killed, killed_qualifier, injured, injured_qualifier, harm),
                    ]
                )
            )
        yield rows


def _source_rows(batches: Iterable[SourceBatch]) -> Iterator[list[list[str]]]:
    """The cells of sources.csv (``source_csv_columns``), a batch of rows at a time."""
    moment = _MomentCells()
    screen = _SOURCE_TEXTS
    for batch in batches:
        cited_by = batch.cited_by
        rows = []
        for (
            row_id, uid, version, created_at, created_by, updated_at, updated_by,
            kind, title, url, _url_normalized, outlet, author, handle,
            published_at, published_precision, published_tz, accessed_at, archive_url,
            excerpt, language, reliability, sha256, notes,
        ) in batch.rows:  # fmt: skip
            shown, utc, local, zone_name = moment(
                published_at, published_precision, published_tz, False
            )
            refs = cited_by.get(row_id)
            rows.append(
                screen(
                    [
                        _label(_KIND, SourceKind, kind),
                        title or "",
                        outlet or "",
                        author or "",
                        handle or "",
                        shown,
                        utc,
                        local,
                        zone_name,
                        url or "",
                        _label(_RELIABILITY, Reliability, reliability) if reliability else "",
                        language or "",
                        excerpt or "",
                        archive_url or "",
                        accessed_at or "",
                        sha256 or "",
                        notes or "",
                        LIST_SEPARATOR.join(refs) if refs else "",
                        *bookkeeping_cells(
                            uid, version, created_at, created_by, updated_at, updated_by
                        ),
                    ]
                )
            )
        yield rows


def _quote_rows(batches: Iterable[Sequence[Any]]) -> Iterator[list[list[str]]]:
    """The cells of quotes.csv (``quote_csv_columns``), a batch of rows at a time."""
    moment = _MomentCells()
    screen = _QUOTE_TEXTS
    for batch in batches:
        rows = []
        for (
            _row_id, uid, version, created_at, created_by, updated_at, updated_by,
            text, speaker, speaker_role, speaker_org, said_at, said_precision, said_tz,
            language, context, incident_uid, incident_ref, source_uid, source_title, source_url,
        ) in batch:  # fmt: skip
            shown, utc, local, zone_name = moment(said_at, said_precision, said_tz, False)
            rows.append(
                screen(
                    [
                        speaker or "",
                        speaker_role or "",
                        speaker_org or "",
                        text or "",
                        shown,
                        utc,
                        local,
                        zone_name,
                        language or "",
                        context or "",
                        incident_ref or "",
                        incident_uid or "",
                        source_title or source_url or "",
                        source_uid or "",
                        *bookkeeping_cells(
                            uid, version, created_at, created_by, updated_at, updated_by
                        ),
                    ]
                )
            )
        yield rows


def _write(
    handle: IO[str],
    columns: Sequence[CsvColumn[Any]],
    batches: Iterable[list[list[str]]],
    ticker: Ticker,
) -> None:
    """The header, then every row, a batch at a time: the csv module writes a batch into
    memory, and the file gets it in one write (one encoding step per batch, not per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([column.header for column in columns])
    for rows in batches:
        writer.writerows(rows)
        handle.write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
        ticker.step(len(rows))
    handle.write(buffer.getvalue())


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
        _write(
            handles["incidents.csv"],
            incident_csv_columns(),
            _incident_rows(scope.incidents(connection)),
            ticker,
        )
        _write(
            handles["sources.csv"],
            source_csv_columns(),
            _source_rows(scope.sources(connection, with_citing=True)),
            ticker,
        )
        _write(
            handles["quotes.csv"],
            quote_csv_columns(),
            _quote_rows(scope.quotes(connection)),
            ticker,
        )
        ticker.check()
    ticker.done = ticker.total
    ticker.report()
    return ExportReport(out_dir, counts.incidents, counts.sources, counts.quotes)
