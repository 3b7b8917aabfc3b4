"""The command line: the application's capabilities without a window.

``incidentlog`` with no command starts the desktop application; the commands
(init, demo, import, export, check, backup) work headless, in scripts and over
SSH, and never import Qt. docs/cli.md is the user's reference.

Exit status: 0 done; 1 the command failed for a reason the message gives (a
damaged or foreign file, a bad import file, problems found by ``check``); 2
the command line itself is wrong; 130 interrupted with Ctrl+C. Every failure a
user can cause is one line on stderr starting ``incidentlog:``; only a bug in
incidentlog shows a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO, TypeVar

from incidentlog import __version__
from incidentlog.domain.countries import find_country
from incidentlog.domain.enums import Status
from incidentlog.domain.errors import IncidentLogError, StorageError
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.when import parse_local
from incidentlog.paths import DATA_DIR_VARIABLE, default_database_path
from incidentlog.store.location import storage_warnings

# The store, the services and the exchange (SQLAlchemy, Alembic, jsonschema)
# are imported inside the commands that use them: --version, --help and a
# mistyped option answer at once instead of after a second of imports.
if TYPE_CHECKING:
    from incidentlog.store.database import Database

PROG = "incidentlog"
DEMO_RESOURCE = ("demo", "demo.json")

#: Qt's command-line options that take a value (QGuiApplication, QApplication).
QT_OPTIONS_WITH_VALUE = frozenset(
    {
        "-platform",
        "-platformpluginpath",
        "-platformtheme",
        "-plugin",
        "-qmljsdebugger",
        "-qwindowgeometry",
        "-qwindowicon",
        "-qwindowtitle",
        "-display",
        "-geometry",
        "-title",
        "-name",
        "-style",
        "-stylesheet",
        "-session",
    }
)

#: Automatic backups made before an import that are kept (the oldest are removed),
#: unless ``--keep`` says otherwise.
PRE_IMPORT_BACKUPS = 10

#: Commands that change the database, refused with the global ``--read-only``.
WRITING_COMMANDS = frozenset({"init", "demo", "import", "restore"})


class UsageError(Exception):
    """The command line asks for something impossible; reported like argparse's errors."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr, like every other error.

    The stock parser prints the whole usage block first; in a script's log one
    line that names the problem and where to look is easier to act on.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: {message} (see '{self.prog} --help')\n")


# --- argument types ------------------------------------------------------------
# Each turns the text of one option into a value, or raises ArgumentTypeError
# with a sentence argparse shows as "argument --since: <sentence>".


def _since(text: str) -> datetime:
    """``--since 2024-01``: from the first instant of January 2024 (UTC)."""
    return _date_interval(text)[0]


def _until(text: str) -> datetime:
    """``--until 2024-01-20``: up to the end of that day, so the day itself is included."""
    return _date_interval(text)[1]


def _date_interval(text: str) -> tuple[datetime, datetime]:
    try:
        return parse_local(text, "UTC").interval()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _country(text: str) -> str:
    code = find_country(text)
    if code is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} names no single country; give an ISO code such as IQ or a name such as Iraq"
        )
    return code


def _status(text: str) -> Status:
    try:
        return Status(Status.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _keep(text: str) -> int:
    """``--keep 7``: how many backups of this kind to keep, at least 1."""
    try:
        count = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number; give how many backups to keep, such as 7"
        ) from None
    if count < 1:
        raise argparse.ArgumentTypeError(
            f"{count} backups cannot be kept: the backup just made is always kept, so "
            "give 1 or more"
        )
    return count


def _path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("a path cannot be empty")
    return Path(text).expanduser()


# --- the parser ----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; ``--db`` is accepted before or after the command."""
    parser = _Parser(
        prog=PROG,
        description="Log security incidents reported in open sources. "
        "Without a command, the desktop application starts.",
        epilog=f"The default database is {default_database_path()} "
        f"(set {DATA_DIR_VARIABLE} to use another folder).",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--db", type=_path, metavar="PATH", help="the database file (default: see below)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="open the database read-only: nothing can be changed",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        # SUPPRESS: without the option here, keep the value given before the command.
        sub.add_argument(
            "--db", type=_path, metavar="PATH", default=argparse.SUPPRESS, help="the database file"
        )
        return sub

    command("init", "create a new, empty database (or check that an existing one opens)")
    command("demo", "load the demo data set (running it again changes nothing)")

    importer = command("import", "merge a JSON export of incidentlog into the database")
    importer.add_argument("file", type=_path, metavar="FILE", help="the JSON file to import")
    importer.add_argument(
        "--dry-run", action="store_true", help="report what would happen; write nothing"
    )
    importer.add_argument(
        "--keep",
        type=_keep,
        default=PRE_IMPORT_BACKUPS,
        metavar="N",
        help="keep the newest N backups made before an import (and before an upgrade); "
        f"older ones are removed (default: {PRE_IMPORT_BACKUPS})",
    )

    exporter = command("export", "write the incidents, their sources and quotes to JSON or CSV")
    exporter.add_argument("--format", required=True, choices=("json", "csv"))
    exporter.add_argument(
        "--out",
        required=True,
        type=_path,
        metavar="PATH",
        help="the JSON file ('-' for standard output, or a named pipe), "
        "or for CSV the folder that receives the three files",
    )
    exporter.add_argument("--search", metavar="TEXT", help="words that must appear (full text)")
    exporter.add_argument(
        "--since", type=_since, metavar="DATE", help="from the start of DATE (UTC)"
    )
    exporter.add_argument(
        "--until", type=_until, metavar="DATE", help="up to the end of DATE (UTC), inclusive"
    )
    exporter.add_argument(
        "--country",
        type=_country,
        action="append",
        metavar="CC",
        help="country code or name; repeat for several",
    )
    exporter.add_argument(
        "--status",
        type=_status,
        action="append",
        metavar="S",
        help="draft, in review, verified, disputed or archived; repeat for several",
    )
    exporter.add_argument(
        "--type",
        dest="event_type",
        action="append",
        metavar="T",
        help="event type, e.g. 'rocket attack'; repeat for several",
    )

    command("check", "check the database: integrity, foreign keys, audit log, every record")

    backup = command("backup", "write a verified copy of the database")
    backup.add_argument(
        "--out",
        type=_path,
        metavar="PATH",
        help="the copy to write, or a folder to put it in "
        "(default: a dated file in the database's backups folder)",
    )
    backup.add_argument(
        "--keep",
        type=_keep,
        metavar="N",
        help="then keep only the newest N backups made by this command in that folder "
        "(default: keep them all)",
    )
    restore = command(
        "restore", "put a backup in place of the database (the current file is set aside)"
    )
    restore.add_argument("backup", type=_path, metavar="BACKUP", help="the backup to restore")
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore even a backup whose audit log does not verify (it is refused otherwise)",
    )
    commands.add_parser(  # no --db: it works in a folder of its own
        "self-test",
        help="check that this installation works",
        description="check that this installation works: create a database in a temporary "
        "folder, load the demo data, export JSON and CSV, check them, open the main window",
    )
    return parser


# --- entry point -----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status (the console script exits with it)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    ours, qt_options = split_qt_options(arguments)
    opened = _file_to_open(ours)
    if opened is not None:
        # ``incidentlog FILE``: the desktop's "open with" on an export (the .desktop
        # file's Exec=incidentlog %f) — the application offers to import it.
        rest = [token for token in arguments if token != opened]
        try:
            return _run_application([*rest, "--import-file", opened])
        except IncidentLogError as exc:
            _fail(exc.message)
            return 1
    try:
        args = build_parser().parse_args(ours)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        if args.command is None:
            return _run_application(arguments)  # the application takes Qt's options too
        if qt_options:
            raise UsageError(f"{qt_options[0]} is an option of the desktop application only")
        if args.read_only and args.command in WRITING_COMMANDS:
            raise UsageError(f"--read-only: the {args.command} command writes to the database")
        return COMMANDS[args.command](args, sys.stdout)
    except UsageError as exc:
        _fail(f"{exc} (see '{PROG} {args.command} --help')")
        return 2
    except KeyboardInterrupt:
        _fail("interrupted.")
        return 130
    except BrokenPipeError:
        # The reader went away (``incidentlog check | head``): not an error worth a message.
        _silence_stdout()
        return 1
    except IncidentLogError as exc:
        _fail(exc.message)
        return 1
    except OSError as exc:  # a file the user named: missing, unreadable, unwritable
        _fail(_os_error_sentence(exc))
        return 1


def _file_to_open(ours: Sequence[str]) -> str | None:
    """The export named as the first argument (not a command), if it is a file."""
    first = next((token for token in ours if not token.startswith("-")), None)
    if first is None or first in COMMANDS or first == "help":
        return None
    index = list(ours).index(first)
    if index > 0 and ours[index - 1] in ("--db",):
        return None
    return first if Path(first).is_file() else None


def split_qt_options(arguments: Sequence[str]) -> tuple[list[str], list[str]]:
    """Set Qt's own options (``-style fusion``, ``-platform offscreen``, ``-reverse``) aside.

    Qt's options start with one dash and are words; ours are ``--long`` or
    ``-h``. Qt's are passed on to the desktop application untouched, so that
    ``incidentlog -reverse`` shows a right-to-left layout without argparse
    calling ``-reverse`` an error.
    """
    ours: list[str] = []
    qt: list[str] = []
    tokens = iter(arguments)
    for token in tokens:
        if token.startswith("-") and not token.startswith("--") and len(token) > 2:
            qt.append(token)
            if token in QT_OPTIONS_WITH_VALUE:
                value = next(tokens, None)
                if value is not None:
                    qt.append(value)
        else:
            ours.append(token)
    return ours, qt


def _run_application(arguments: list[str]) -> int:
    """Start the desktop application; Qt is imported only on this path."""
    from incidentlog.preflight import check_display

    problem = check_display(argv=arguments)
    if problem is not None:
        _fail(f"cannot start the window: {problem.sentence}")
        return problem.status
    try:
        from incidentlog.app import main as app_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").startswith(("PySide6", "shiboken6")):
            raise StorageError(
                "The desktop application needs PySide6, which is not installed; "
                "the commands (incidentlog --help) work without it."
            ) from exc
        raise
    return app_main(arguments)


def _fail(sentence: str) -> None:
    print(f"{PROG}: {sentence}", file=sys.stderr, flush=True)


def _silence_stdout() -> None:
    """Point stdout at devnull so that Python's final flush does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests)
        pass
    finally:
        os.close(devnull)


def _os_error_sentence(exc: OSError) -> str:
    """``[Errno 13] Permission denied: 'x'`` → ``x: permission denied.``"""
    reason = (exc.strerror or str(exc)).rstrip(".")
    if exc.errno == errno.ENOENT:
        reason = "no such file or folder"
    elif reason:
        reason = reason[0].lower() + reason[1:]
    return f"{exc.filename}: {reason}." if exc.filename is not None else f"{reason}."


# --- the commands -----------------------------------------------------------------
# Each takes the parsed arguments and stdout, prints one short line of result
# and returns the exit status. Errors are raised and reported by ``main``.


def _database_path(args: argparse.Namespace) -> Path:
    """The ``--db``: a regular file or a path that does not exist yet (else a usage error)."""
    db: Path | None = getattr(args, "db", None)
    path = (db if db is not None else default_database_path()).absolute()
    _refuse_unless_regular(path, "The database", allowed=())
    return path


def _existing_database_path(args: argparse.Namespace) -> Path:
    """The ``--db`` of a command that reads: it must exist, it is never created."""
    path = _database_path(args)
    if not path.exists():
        raise StorageError(f"There is no database at {path}.", str(path))
    return path


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.store.database import head_revision, inspect_file, open_database

    path = _database_path(args)
    _warn_about_location(path)
    existed = path.is_file() and path.stat().st_size > 0
    upgrade = existed and inspect_file(path).revision != head_revision()
    with open_database(path):
        pass
    if not existed:
        print(f"Created a new database at {path}.", file=out)
    elif upgrade:
        print(f"Upgraded the database at {path} (a backup was made first).", file=out)
    else:
        print(f"The database at {path} already exists and is ready.", file=out)
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.exchange import import_json
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    path = _database_path(args)
    demo = resources.files("incidentlog.resources").joinpath(*DEMO_RESOURCE)
    if not demo.is_file():
        raise StorageError("The demo data set is missing from this installation of incidentlog.")
    backup = _pre_import_backup(path)
    with (
        resources.as_file(demo) as demo_file,
        _progress("Loading") as progress,
        open_database(path) as database,
    ):
        report = import_json(
            Services(database), demo_file, progress=progress, before_commit=backup
        )
    if not report.changed:
        print(f"The demo data set is already in {path}: nothing changed.", file=out)
        return 0
    kinds = (report.incidents, report.sources, report.quotes)
    added = sum(kind.added for kind in kinds)
    updated = sum(kind.updated for kind in kinds)
    done = f"{_plural(added, 'record')} added"
    if updated:
        done += f", {_plural(updated, 'record')} updated"
    print(
        f"Loaded the demo data set into {path}: {done} "
        f"({_plural(report.incidents.added, 'new incident')}).",
        file=out,
    )
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.exchange import import_json
    from incidentlog.services import Services
    from incidentlog.store.database import head_revision, inspect_file, open_database

    file: Path = args.file
    if not file.is_file():
        reason = (
            "is a folder, not a file" if file.is_dir()
            else "is not a regular file" if file.exists() else "does not exist"
        )
        raise StorageError(f"The import file {file} {reason}.")
    backup = None
    if args.dry_run:
        # The dry run itself rolls back, but an upgrade on opening would be a real write.
        path = _existing_database_path(args)
        if inspect_file(path).revision != head_revision():
            raise StorageError(
                f"{path} was made by an older incidentlog and must be upgraded before a dry "
                f"run; run 'incidentlog init --db {path}' first (it makes a backup).",
                str(path),
            )
    else:
        path = _database_path(args)
        backup = _pre_import_backup(path, keep=args.keep)
    with (
        _progress("Checking" if args.dry_run else "Importing") as progress,
        open_database(path, backup_keep=args.keep) as database,
    ):
        report = import_json(
            Services(database), file, dry_run=args.dry_run, progress=progress,
            before_commit=backup,
        )
    print(report.summary(), file=out)
    return 0


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    if args.since is not None and args.until is not None and args.since >= args.until:
        raise UsageError("--since must be before --until")
    from incidentlog.exchange import export_csv, export_json
    from incidentlog.exchange.files import STANDARD_OUTPUT
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    path = _existing_database_path(args)
    target: Path = _export_target(args.out, args.format)
    if target != STANDARD_OUTPUT:
        _require_writable(target)
    if args.format == "json" and _is_sqlite_file(target):
        raise StorageError(
            f"{target} is a database; an export never replaces one. Choose another --out.",
            str(target),
        )
    if target == STANDARD_OUTPUT:
        out = sys.stderr  # standard output carries the export itself
    with _progress("Exporting") as progress, open_database(path, read_only=True) as database:
        services = Services(database)
        flt = IncidentFilter(
            text=args.search.strip() if args.search and args.search.strip() else None,
            since=args.since,
            until=args.until,
            countries=_unique(args.country),
            statuses=_unique(args.status),
            event_types=_event_types(database, args.event_type),
        )
        export = export_json if args.format == "json" else export_csv
        report = export(services, target, flt, progress=progress)
    print(report.summary(), file=out)
    return 0


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.store.check import check_database
    from incidentlog.store.database import open_database

    path = _existing_database_path(args)
    with open_database(path, read_only=True) as database:
        problems = check_database(database)
    if not problems:
        print("ok", file=out)
        return 0
    for problem in problems:
        print(problem, file=out)
    _fail(f"{path} has problems (listed above); restore a backup or correct the records.")
    return 1


def cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.store.backup import backup_database
    from incidentlog.store.database import inspect_file

    path = _existing_database_path(args)
    inspect_file(path)  # refuse a file that is not ours before reading it any further
    target: Path | None = args.out.absolute() if args.out is not None else None
    if target is not None:
        _refuse_unless_regular(target, "The backup target", allowed=("a folder",))
        _require_writable(target)
    problems: list[str] = []
    if target is not None and target.is_dir():
        written = backup_database(path, backup_dir=target, keep=args.keep, audit=problems)
    else:
        if target is not None and args.keep is not None:
            # A copy under a name of one's choosing is not one of a dated series.
            raise UsageError("--keep rotates dated backups in a folder; --out names one file")
        if target is not None and target.exists():
            _refuse_to_overwrite(target)
        written = backup_database(path, out=target, keep=args.keep, audit=problems)
    print(written, file=out)
    if not problems:
        return 0
    for problem in problems:
        _fail(f"warning: {problem}")
    _fail(
        f"warning: the audit log of {path} did not verify: the copy was written as evidence "
        "(unverified), and no verified backup was removed. Run 'incidentlog check'."
    )
    return 1


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.store.backup import backup_problems, restore_backup

    path = _database_path(args)
    backup: Path = args.backup.absolute()
    if not backup.is_file():
        raise StorageError(f"There is no backup at {backup}.", str(backup))
    problems = backup_problems(backup, path) if args.force else []
    aside = restore_backup(backup, path, force=args.force)
    for problem in problems:
        _fail(f"warning: {problem}")
    if problems:
        _fail(
            f"warning: {backup} did not verify and was restored because of --force; "
            "'incidentlog check' will go on reporting its audit log."
        )
    where = f"; the previous file was set aside as {aside}" if aside is not None else ""
    print(f"Restored {backup} to {path}{where}.", file=out)
    return 0


def cmd_self_test(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.selftest import run

    return run(out)


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "import": cmd_import,
    "export": cmd_export,
    "check": cmd_check,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "self-test": cmd_self_test,
}


# --- helpers ----------------------------------------------------------------------


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
        return STANDARD_OUTPUT  # written to our own stdout, never opened by name
    target = out.absolute()
    allowed = ("a named pipe",) if export_format == "json" else ("a folder",)
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
    from incidentlog.store.backend import SQLITE_HEADER
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
