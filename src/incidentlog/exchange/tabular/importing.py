"""Preview and import of a table: every row read through the mapping, then one JSON import.

The import reads the whole table first (``RowReader``): a row with a problem stops
it, and the report names every such row (up to ``PROBLEMS_LISTED``), with nothing
written. Only a sound table is written: as a JSON document of the format, in a
private folder beside the database (``store.safe_paths.SpoolFolder``), which
``import_json`` then checks and merges in one transaction — the same rules, the
same all-or-nothing, the same report and pre-import backup as a JSON import.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import orjson

from incidentlog.domain.errors import ExchangeError
from incidentlog.exchange.json import import_json
from incidentlog.exchange.json.schema import FORMAT, VERSION, now_text
from incidentlog.exchange.reports import Cancel, ImportReport, Progress, Ticker
from incidentlog.exchange.tabular.mapping import ColumnMapping
from incidentlog.exchange.tabular.reading import open_table
from incidentlog.exchange.tabular.rows import Row, RowReader
from incidentlog.services import Services
from incidentlog.store.safe_paths import SpoolFolder, open_private

__all__ = ["PROBLEMS_LISTED", "Preview", "import_table", "preview_table"]

#: Rows with problems named in the error of an import that found them.
PROBLEMS_LISTED = 50


@dataclass
class Preview:
    """The first rows of a table as the mapping reads them."""

    header: list[str]
    encoding: str
    rows: list[Row] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # mapped headers the file lacks
    duplicates: list[str] = field(default_factory=list)  # headers the file has twice

    @property
    def problem_rows(self) -> int:
        return sum(1 for row in self.rows if row.problems)


def preview_table(path: Path, mapping: ColumnMapping, limit: int = 200) -> Preview:
    """The first ``limit`` rows, each checked as the import would check it."""
    with open_table(Path(path), mapping.encoding) as table:
        reader = RowReader(mapping, table.header)
        preview = Preview(table.header, table.encoding, missing=reader.missing,
                          duplicates=reader.duplicates)
        for line, cells in table.rows:
            preview.rows.append(reader.read(line, cells))
            preview.cells.append(cells)
            if len(preview.rows) >= limit:
                break
    return preview


def import_table(
    services: Services,
    path: Path,
    mapping: ColumnMapping,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    before_commit: Callable[[], None] | None = None,
) -> ImportReport:
    """Import every row of the table at ``path`` in one transaction, or nothing.

    Raises ``ExchangeError`` naming the rows with problems (nothing written) or
    ``Cancelled``; see ``import_json`` for ``dry_run`` and ``before_commit``.
    """
    path = Path(path)
    if services.database.read_only and not dry_run:
        raise ExchangeError(
            "cannot be imported: the database is open read-only. Nothing was imported.",
            file=str(path),
        )
    database_path = services.database.path
    try:
        spool = SpoolFolder(database_path.parent if database_path else None)
    except OSError as exc:
        raise ExchangeError(
            f"cannot be imported: no room for temporary files ({exc.strerror or exc}). "
            "Nothing was imported.", file=str(path),
        ) from exc
    try:
        document = spool.path / "table.json"
        lines = _write_document(path, mapping, document, progress, cancel)
        size = max(1, path.stat().st_size)

        def scaled(done: int, total: int) -> None:
            if progress is not None:
                progress(size + (2 * size * done) // max(total, 1), 3 * size)

        try:
            report = import_json(services, document, dry_run=dry_run, progress=scaled,
                                 cancel=cancel, before_commit=before_commit)
        except ExchangeError as exc:
            raise _in_rows(exc, document, path, lines) from None
    finally:
        spool.remove()
    return replace(report, path=path)


def _write_document(
    path: Path, mapping: ColumnMapping, document: Path,
    progress: Progress | None, cancel: Cancel | None,
) -> array[int]:
    """Every row into a JSON document of the format; the table's line of each incident."""
    lines: array[int] = array("Q")
    problems: list[str] = []
    bad_rows = 0
    ticker = Ticker(progress, cancel, every=1 << 16)  # bytes of the table
    ticker.check()
    with (
        open_table(path, mapping.encoding) as table,
        open_private(document, "wb") as out,
        open_private(document.with_suffix(".sources"), "w+b") as sources,
    ):
        ticker.total = 3 * max(1, table.size)
        reader = RowReader(mapping, table.header)
        if reader.missing:
            raise ExchangeError(
                "has no column " + ", ".join(repr(name) for name in reader.missing)
                + " that the mapping reads. Nothing was imported.", file=str(path),
            )
        out.write(orjson.dumps({"format": FORMAT, "version": VERSION,
                                "exported_at": now_text()})[:-1] + b',"incidents":[')
        for number, (line, cells) in enumerate(table.rows):
            row = reader.read(line, cells)
            if row.problems:
                bad_rows += 1
                if len(problems) < PROBLEMS_LISTED:
                    problems.append(f"row {line}: " + "; ".join(row.problems))
            elif not bad_rows:
                _write_row(out, sources, row, bool(lines))
                lines.append(line)
            if number % 64 == 0:
                ticker.set(table.consumed)
        _finish(path, out, sources, lines, problems, bad_rows)
    return lines


def _write_row(out: IO[bytes], sources: IO[bytes], row: Row, more: bool) -> None:
    if more:
        out.write(b",")
    out.write(orjson.dumps(row.incident))
    if row.source is not None:
        if sources.tell():
            sources.write(b",")
        sources.write(orjson.dumps(row.source))


def _finish(path: Path, out: IO[bytes], sources: IO[bytes], lines: array[int],
            problems: list[str], bad_rows: int) -> None:
    if bad_rows:
        more = f"\n… and {bad_rows - len(problems)} more" if bad_rows > len(problems) else ""
        raise ExchangeError(
            f"{bad_rows} row{'s' if bad_rows != 1 else ''} cannot be imported; nothing was "
            "imported. Correct the file or the mapping:\n" + "\n".join(problems) + more,
            file=str(path),
        )
    if not lines:
        raise ExchangeError("has no rows to import. Nothing was imported.", file=str(path))
    out.write(b'],"sources":[')
    sources.seek(0)
    while chunk := sources.read(1 << 20):
        out.write(chunk)
    out.write(b'],"quotes":[]}')


_INCIDENT_AT = re.compile(r"incidents\[(\d+)\]")


def _in_rows(exc: ExchangeError, document: Path, path: Path, lines: array[int]) -> ExchangeError:
    """The JSON import's error said of the table: its row instead of ``incidents[N]``."""

    def row_of(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return f"row {lines[index]}" if index < len(lines) else match.group(0)

    text = _INCIDENT_AT.sub(row_of, str(exc)).replace(str(document), str(path))
    return ExchangeError(text)
