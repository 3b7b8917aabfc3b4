"""What the commands share: output targets, pre-checks, progress and messages on stderr."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from incidentlog.cli.parser import PRE_IMPORT_BACKUPS
from incidentlog.cli.usage import PROG, UsageError
from incidentlog.domain.errors import StorageError
from incidentlog.store.location import storage_warnings

if TYPE_CHECKING:
    from incidentlog.domain.query import IncidentFilter
    from incidentlog.exchange.reports import ExportReport
    from incidentlog.services import Services
    from incidentlog.store.database import Database


def _fail(sentence: str) -> None:
    print(f"{PROG}: {sentence}", file=sys.stderr, flush=True)


#: The file name ending of each one-file export format (for the messages).
EXPORT_SUFFIXES = {"json": ".json", "timelinejs": ".json", "ics": ".ics", "html": ".html",
                   "pdf": ".pdf"}

#: What ``--out`` may name to mean standard output.
STANDARD_OUTPUT_NAMES = ("-", "/dev/stdout")


def _export_target(out: Path, export_format: str) -> Path:
    """The export's ``--out``: standard output, a pipe (JSON), a folder (CSV) or a file."""
    from incidentlog.exchange.files import STANDARD_OUTPUT

    if str(out) in STANDARD_OUTPUT_NAMES:
        if export_format == "csv":
            raise UsageError(
                f"--out {out}: a CSV export is a folder of several files and cannot go to "
                "standard output; give a folder, or use --format json"
            )
        if export_format == "acled":
            raise UsageError(f"--out {out}: name the file the ACLED-layout export is written to")
        return STANDARD_OUTPUT  # written to our own stdout, never opened by name
    target = out.absolute()
    if export_format == "acled" and target.is_dir() and not target.is_symlink():
        raise UsageError(f"--out {out} is a folder; name the file, as in --out {out / 'acled.csv'}")
    if export_format != "csv" and target.is_dir() and not target.is_symlink():
        suffix = EXPORT_SUFFIXES.get(export_format, ".json")
        raise UsageError(
            f"--out {out} is a folder; a {export_format.upper()} export is one file: name "
            f"it, as in --out {out / ('incidents' + suffix)} (or use --format csv to write "
            "three files into the folder)"
        )
    allowed = {"csv": ("a folder",), "acled": ()}.get(export_format, ("a named pipe",))
    _refuse_unless_regular(target, "The export target", allowed=allowed)
    return target


def _refuse_unless_regular(path: Path, what: str, *, allowed: Sequence[str]) -> None:
    """A usage error unless ``path`` is missing, a regular file, or of an ``allowed`` kind.

    A pipe, a device, a link or a folder where a file is written would be
    replaced (or, read first, hang): it is refused before anything opens it.
    """
    from incidentlog.store.safe_paths import non_regular_kind, not_regular_sentence

    kind = non_regular_kind(path)
    if kind is not None and kind not in allowed:
        raise UsageError(not_regular_sentence(path, kind, what).rstrip("."))


def _refuse_to_overwrite(target: Path) -> None:
    """A backup may replace an earlier backup, never a file that is not an incidentlog database.

    Scripts that write the same backup file every night keep working; a
    mistyped ``--out`` that names a document is refused instead of destroyed.
    """
    from incidentlog.store.database import inspect_file

    try:
        inspect_file(target)
    except StorageError:
        raise StorageError(
            f"{target} exists and is not an incidentlog database; "
            "choose another --out (nothing was written).",
            str(target),
        ) from None


def _pre_import_backup(
    path: Path, *, keep: int = PRE_IMPORT_BACKUPS
) -> Callable[[], None] | None:
    """Before an import: warn about a risky location; the backup to make of a database
    that exists, for ``import_json`` to run once it knows that it will write.

    A verified backup before every import that changes the log: the import
    itself is one transaction, but a merge that is wrong in substance (the
    wrong file) is undone only by a backup. A refused import, or one that
    changes nothing, makes none, so that it cannot rotate a real one out. The
    backups rotate, so a nightly import does not fill the disk.
    """
    from incidentlog.store.backup import backup_database
    from incidentlog.store.database import inspect_file

    _warn_about_location(path)
    if not (path.is_file() and path.stat().st_size > 0):
        return None
    inspect_file(path)  # a file that is not ours is refused before it is opened

    def backup() -> None:
        backup_database(path, reason="pre-import", keep=keep)

    return backup


def _warn_about_location(path: Path) -> None:
    """The GUI's warning about network and cloud-synced folders, on stderr."""
    for warning in storage_warnings(path):
        _fail(f"warning: {warning}")


def _require_writable(target: Path) -> None:
    """Say early, in one sentence, that an output cannot be written where asked.

    Without this the failure surfaces deep in SQLite or the exporter as
    "unable to open database file". Only a pre-check: the write itself still
    reports any failure.
    """
    folder = target if target.is_dir() else target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the folders below will be created
    if not folder.is_dir():
        raise StorageError(f"{target} cannot be written: {folder} is not a folder.", str(target))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(
            f"{target} cannot be written: {folder} is not writable (permission denied).",
            str(target),
        )
    if target.exists() and not target.is_dir() and not os.access(target, os.W_OK):
        raise StorageError(f"{target} cannot be written (permission denied).", str(target))


def _is_sqlite_file(path: Path) -> bool:
    """True for an existing SQLite file (``--out`` mistyped as the ``--db``, say)."""
    from incidentlog.store.file_format import SQLITE_HEADER
    from incidentlog.store.safe_paths import non_regular_kind

    if non_regular_kind(path) is not None or not path.exists():
        return False  # a pipe or standard output: reading it first would wait for ever
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


_T = TypeVar("_T")


def _unique(values: Sequence[_T] | None) -> tuple[_T, ...]:
    """Repeated options in the order given, each once."""
    return tuple(dict.fromkeys(values or ()))


def _event_types(database: Database, wanted: Sequence[str] | None) -> tuple[str, ...]:
    """Event types as stored, matched without regard to case ("IED", "Rocket attack").

    A type no incident has is kept as typed (the export is then empty) and
    mentioned on stderr, since a typo would otherwise look like "no data".
    """
    if not wanted:
        return ()
    from incidentlog.store.queries import distinct_values

    with database.read() as connection:
        in_use = distinct_values(connection, "event_type", limit=10_000)
    by_key = {value.casefold(): value for value in in_use}
    types: list[str] = []
    for text in wanted:
        stored = by_key.get(text.strip().casefold())
        if stored is None:
            stored = text.strip()
            _fail(f"note: no incident has the event type {stored!r}.")
        types.append(stored)
    return _unique(types)


@contextlib.contextmanager
def _progress(verb: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress line on stderr while a long import or export runs, if a person watches.

    None when stderr is a file or a pipe: a script's log gets the result line
    only. The line is erased when the work ends, whichever way it ends.
    """
    if not sys.stderr.isatty():
        yield None
        return
    shown = False

    def show(done: int, total: int) -> None:
        nonlocal shown
        shown = True
        text = f"{verb}… {done * 100 // total}%" if total else f"{verb}… {done:,}"
        print(f"\r{text}\033[K", end="", file=sys.stderr, flush=True)

    try:
        yield show
    finally:
        if shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _export_briefing(
    args: Any, services: Services, target: Path, flt: IncidentFilter,
    progress: Callable[[int, int], None] | None,
) -> ExportReport:
    """``--format timelinejs|ics|html|pdf``: the formats of ``exchange.briefing``.

    The report's timeline picture and its PDF are drawn by Qt, offscreen: a
    command needs no display (docs/cli.md).
    """
    from incidentlog.exchange import briefing

    if args.format == "timelinejs":
        return briefing.export_timelinejs(services, target, flt, progress=progress)
    if args.format == "ics":
        return briefing.export_ics(services, target, flt, progress=progress)
    from incidentlog.gui.timeline.report_picture import offscreen_application, timeline_picture

    offscreen_application()

    picture = timeline_picture(services, flt)
    title = args.title.strip() if args.title and args.title.strip() else briefing.DEFAULT_TITLE
    if args.format == "html":
        return briefing.export_html(services, target, flt, template=args.template,
                                    timeline_png=picture, title=title, progress=progress)
    from incidentlog.gui.briefing_pdf import export_pdf

    return export_pdf(services, target, flt, template=args.template, timeline_png=picture,
                      title=title, progress=progress)
