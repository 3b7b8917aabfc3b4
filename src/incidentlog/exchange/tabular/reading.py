"""Reading a table, streamed: CSV in any of the encodings people send, .xlsx and .ods.

``open_table`` yields a ``Table``: the header and an iterator of ``(line, cells)``,
one row at a time, so that memory stays flat however large a CSV file is. Cells are
always text: nothing is evaluated (a cell ``=1+1`` is the text ``=1+1``; of a
spreadsheet's formula cell only the value it stored is read).

Encodings (``detect_encoding``): a byte order mark says UTF-8 or UTF-16; else
UTF-16 without one shows by its NUL bytes; else the first 1 MiB is tried as UTF-8;
else the file is taken for Windows-1256 (Arabic, as Excel saves "CSV" on an Arabic
Windows) when most of its non-ASCII bytes come in runs of three or more, as the
letters of Arabic words do, and for Windows-1252 when they stand alone or in
pairs among ASCII letters, as the accented letters of French or Spanish do. The
mapping's ``encoding`` overrides the guess.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from incidentlog.domain.errors import ExchangeError

__all__ = ["SPREADSHEET_SUFFIXES", "Table", "detect_encoding", "open_table"]

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls")
_SAMPLE = 1 << 20
#: A cell longer than this is refused (csv's own limit is 128 KiB); a summary holds 100,000.
_MAX_CELL = 1 << 20


@dataclass
class Table:
    """A table being read: its header, its rows, and how far into the file the reading is."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str
    size: int
    _counter: _Counting | None = None

    @property
    def consumed(self) -> int:
        return self._counter.consumed if self._counter is not None else self.size


class _Counting(io.RawIOBase):
    """The file as the text decoder reads it, counting bytes (progress)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._handle.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)


def detect_encoding(sample: bytes) -> str:
    """The Python codec name for a file that begins with ``sample`` (see the module's doc)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = sample[:4096]
    if len(head) >= 4 and head.count(0) * 3 >= len(head):
        zero_odd = head[1::2].count(0) > head[0::2].count(0)
        return "utf-16-le" if zero_odd else "utf-16-be"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not only a character cut at the sample's end
            return _single_byte(sample)
    return "utf-8"


def _single_byte(sample: bytes) -> str:
    """Arabic words are runs of non-ASCII bytes (three letters and more for most of
    them); French or Spanish accents stand alone or in pairs (``Théâtre``)."""
    high = in_words = run = 0
    for byte in (*sample, 0):
        if byte >= 0x80:
            run += 1
            continue
        high += run
        in_words += run if run >= 3 else 0
        run = 0
    return "cp1256" if in_words * 2 >= high else "cp1252"


@contextlib.contextmanager
def open_table(path: Path, encoding: str = "auto") -> Iterator[Table]:
    """The table in ``path`` (CSV, or by its suffix a spreadsheet's first sheet)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.suffix.lower() in SPREADSHEET_SUFFIXES:
            yield _spreadsheet(path, size)
            return
        handle = path.open("rb")
    except OSError as exc:
        raise ExchangeError(
            f"cannot be read: {exc.strerror or exc}. Nothing was imported.", file=str(path)
        ) from exc
    with handle:
        sample = handle.read(_SAMPLE)
        handle.seek(0)
        codec = detect_encoding(sample) if encoding == "auto" else encoding
        try:
            codecs.lookup(codec)
        except LookupError:
            raise ExchangeError(f"{codec!r} is not an encoding", file=str(path)) from None
        counter = _Counting(handle)
        text = io.TextIOWrapper(
            io.BufferedReader(counter, 1 << 16), encoding=codec, errors="strict", newline=""
        )
        dialect = _dialect(sample, codec)
        yield _csv_table(path, text, dialect, codec, size, counter)


def _dialect(sample: bytes, codec: str) -> type[csv.Dialect]:
    """Comma, semicolon (Excel where the decimal mark is a comma) or tab, by the first line."""
    try:
        first = sample[:65536].decode(codec, errors="ignore").lstrip("\ufeff")
    except LookupError:
        first = ""
    line = first.splitlines()[0] if first else ""
    counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])

    class Dialect(csv.excel):
        delimiter = best if counts[best] else ","

    return Dialect


def _csv_table(
    path: Path, text: IO[str], dialect: type[csv.Dialect], codec: str, size: int,
    counter: _Counting,
) -> Table:
    reader = csv.reader(text, dialect)
    csv.field_size_limit(_MAX_CELL)

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise ExchangeError(
                    f"holds bytes that are not {codec} (near line {reader.line_num + 1}): "
                    "choose the file's encoding in the mapping. Nothing was imported.",
                    file=str(path),
                ) from exc
            except csv.Error as exc:
                raise ExchangeError(
                    f"is not readable as CSV ({exc}). Nothing was imported.",
                    file=str(path), line=reader.line_num,
                ) from exc
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1

    body = rows()
    first = next(body, None)
    header = [cell.strip().lstrip("\ufeff") for cell in first[1]] if first else []
    return Table(header, body, codec, size, counter)


def _spreadsheet(path: Path, size: int) -> Table:
    """The first sheet of a workbook through python-calamine (docs/formats.md)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        source = iter(sheet.iter_rows())
    except Exception as exc:  # calamine's errors: not a workbook, encrypted, broken zip
        raise ExchangeError(
            f"is not a readable spreadsheet ({exc}). Nothing was imported.", file=str(path)
        ) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(source, start=1):
            cells = [_cell_text(value) for value in values]
            if any(cell.strip() for cell in cells):
                yield number, cells

    body = rows()
    first = next(body, None)
    header = [cell.strip() for cell in first[1]] if first else []
    return Table(header, body, "spreadsheet", size)


def _cell_text(value: Any) -> str:
    """A spreadsheet's value as the text a CSV file would hold (dates in ISO 8601)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
