"""The commands: each takes the parsed arguments and stdout, prints one short line of
result and returns the exit status. Errors are raised and reported by ``main``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TextIO

from incidentlog.cli.actors import cmd_actors
from incidentlog.cli.duplicates import cmd_duplicates
from incidentlog.cli.evidence import cmd_attach
from incidentlog.cli.helpers import (
    _event_types,
    _export_briefing,
    _export_target,
    _fail,
    _is_sqlite_file,
    _plural,
    _pre_import_backup,
    _progress,
    _refuse_to_overwrite,
    _refuse_unless_regular,
    _require_writable,
    _unique,
    _warn_about_location,
)
from incidentlog.cli.parser import BRIEFING_FORMATS
from incidentlog.cli.review import cmd_review
from incidentlog.cli.sniff import refuse_unless_json
from incidentlog.cli.usage import UsageError
from incidentlog.domain.errors import StorageError
from incidentlog.domain.query import IncidentFilter
from incidentlog.paths import default_database_path

DEMO_RESOURCE = ("demo", "demo.json")

#: Commands that change the database, refused with the global ``--read-only``.
WRITING_COMMANDS = frozenset({"init", "demo", "import", "restore", "grant", "copy", "attach"})


def _database_path(args: argparse.Namespace) -> Path:
    """The ``--db``: a regular file or a path that does not exist yet (else a usage error);
    a server's address is taken as it is (``_server`` tells which)."""
    db: Path | str | None = getattr(args, "db", None)
    if isinstance(db, str):
        return db  # type: ignore[return-value]  # a server: open_database takes it as it is
    path = (db if db is not None else default_database_path()).absolute()
    _refuse_unless_regular(path, "The database", allowed=())
    return path


def _existing_database_path(args: argparse.Namespace) -> Path:
    """The ``--db`` of a command that reads: it must exist, it is never created."""
    path = _database_path(args)
    if not _server(path) and not path.exists():
        raise StorageError(f"There is no database at {path}.", str(path))
    return path


def _server(path: object) -> bool:
    """True when the ``--db`` names a log on a server (``postgresql://…``)."""
    from incidentlog.store.server_address import is_server

    return is_server(path)


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.store.database import inspect_file, open_database
    from incidentlog.store.file_format import head_revision

    path = _database_path(args)
    if _server(path):
        from incidentlog.store.server import init_server

        print(init_server(str(path)), file=out)
        return 0
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
    backup = None if _server(path) else _pre_import_backup(path)
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
    from incidentlog.cli.tables import table_mapping, write_guessed_mapping
    from incidentlog.exchange import import_json
    from incidentlog.exchange.tabular import import_table
    from incidentlog.services import Services
    from incidentlog.store.database import inspect_file, open_database
    from incidentlog.store.file_format import head_revision

    file: Path = args.file
    if not file.is_file():
        reason = (
            "is a folder, not a file" if file.is_dir()
            else "is not a regular file" if file.exists() else "does not exist"
        )
        raise StorageError(f"The import file {file} {reason}.")
    if args.write_mapping is not None:
        return write_guessed_mapping(file, args.write_mapping, out)
    from incidentlog.exchange.package import is_package

    if is_package(file):
        from incidentlog.cli.evidence import import_package_command

        return import_package_command(
            args, _existing_database_path(args) if args.dry_run else _database_path(args), out)
    mapping = table_mapping(args)
    if mapping is None:
        refuse_unless_json(file)  # before the database is created, upgraded or backed up
    backup = None
    if args.dry_run:
        # The dry run itself rolls back, but an upgrade on opening would be a real write.
        path = _existing_database_path(args)
        if not _server(path) and inspect_file(path).revision != head_revision():
            raise StorageError(
                f"{path} was made by an older incidentlog and must be upgraded before a dry "
                f"run; run 'incidentlog init --db {path}' first (it makes a backup).",
                str(path),
            )
    else:
        path = _database_path(args)
        # A server's backups are the administrator's and 'incidentlog backup' (docs/team.md).
        backup = None if _server(path) else _pre_import_backup(path, keep=args.keep)
    with (
        _progress("Checking" if args.dry_run else "Importing") as progress,
        open_database(path, backup_keep=args.keep) as database,
    ):
        if mapping is None:
            report = import_json(
                Services(database), file, dry_run=args.dry_run, progress=progress,
                before_commit=backup,
            )
        else:
            report = import_table(
                Services(database), file, mapping, dry_run=args.dry_run, progress=progress,
                before_commit=backup,
            )
    print(report.summary(), file=out)
    return 0


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    if args.since is not None and args.until is not None and args.since >= args.until:
        raise UsageError("--since must be before --until")
    from incidentlog.exchange import export_csv, export_json
    from incidentlog.exchange.files import STANDARD_OUTPUT
    from incidentlog.exchange.tabular.acled import export_acled
    from incidentlog.services import Services
    from incidentlog.store.database import open_database
    from incidentlog.store.safe_paths import make_private_folder

    path = _existing_database_path(args)
    target: Path = _export_target(args.out, "json" if args.format == "package" else args.format)
    if args.format == "package" and target == STANDARD_OUTPUT:
        raise UsageError("--format package writes a ZIP file: name it with --out FILE.zip")
    if target != STANDARD_OUTPUT:
        _require_writable(target)
    if args.format != "csv" and _is_sqlite_file(target):
        raise StorageError(
            f"{target} is a database; an export never replaces one. Choose another --out.",
            str(target),
        )
    if target == STANDARD_OUTPUT:
        out = sys.stderr  # standard output carries the export itself
    # A package records its export in each file's custody trail, when the log can be written.
    writable = args.format == "package" and not args.read_only and os.access(path, os.W_OK)
    with open_database(path, read_only=not writable) as database:
        services = Services(database)
        flt = IncidentFilter(
            text=args.search.strip() if args.search and args.search.strip() else None,
            since=args.since,
            until=args.until,
            countries=_unique(args.country),
            statuses=_unique(args.status),
            event_types=_event_types(database, args.event_type),
            actors=_unique(args.actor),
            actor_role=args.actor_role if args.actor else None,
        )
        if args.format != "csv" and target != STANDARD_OUTPUT:
            # As for CSV (which makes its folder itself): the user named the path.
            make_private_folder(target.parent)
        if args.format == "package":
            from incidentlog.cli.evidence import export_package_command

            return export_package_command(services, target, flt, out)
        with _progress("Exporting") as progress:
            if args.format in BRIEFING_FORMATS:
                report = _export_briefing(args, services, target, flt, progress)
            else:
                export = {"json": export_json, "csv": export_csv,
                          "acled": export_acled}[args.format]
                report = export(services, target, flt, progress=progress)
    print(report.summary(), file=out)
    return 0


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.cli.evidence import check_files
    from incidentlog.services import Services
    from incidentlog.store.check import check_database
    from incidentlog.store.database import open_database

    path = _existing_database_path(args)
    record = bool(getattr(args, "record_custody", False))
    if record and args.read_only:
        raise UsageError("--record-custody writes to the audit log; drop --read-only")
    with open_database(path, read_only=not record) as database:
        problems = check_database(database)
        problems += check_files(Services(database), record=record and not problems, out=out)
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
    if _server(path):
        return _backup_server(str(path), args, out)
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


def _backup_server(url: str, args: argparse.Namespace, out: TextIO) -> int:
    """A server log's backup: a verified log file (``--out`` a file or a folder)."""
    from incidentlog.exchange.copy import backup_server
    from incidentlog.store.database import open_database

    if args.out is None or args.keep is not None:
        raise UsageError("a server log's backup needs --out (a new file, or a folder), and "
                         "keeps no series (no --keep)")
    target: Path = args.out.absolute()
    _refuse_unless_regular(target, "The backup target", allowed=("a folder",))
    _require_writable(target)
    with open_database(url, read_only=True) as database:
        written, _report = backup_server(database, target)
    print(written, file=out)
    return 0


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.store.restore import backup_problems, restore_backup

    path = _database_path(args)
    if _server(path):
        raise UsageError("a backup is restored to a file; a server's administrator restores "
                         "a server log (docs/team.md)")
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


def cmd_grant(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.store.server import grant

    path = _database_path(args)
    if not _server(path):
        raise UsageError("--db: roles are given on a server log (postgresql://…); a file "
                         "is its user's alone")
    print(grant(str(path), args.user, args.role), file=out)
    return 0


def cmd_copy(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.exchange.copy import copy_log
    from incidentlog.store.database import open_database

    source, target = (str(p if _server(p) else Path(p).absolute())
                      for p in (args.source, args.target))
    if not _server(source) and not Path(source).is_file():
        raise StorageError(f"There is no log at {source}.", source)
    if not _server(target):
        _refuse_unless_regular(Path(target), "The copy's target", allowed=())
    with open_database(source, read_only=True) as reading, open_database(target) as writing:
        report = copy_log(reading, writing)
        print(report.summary(reading.location, writing.location), file=out)
    for problem in report.problems:
        _fail(f"warning: {problem}")
    return 1 if report.problems else 0


def cmd_self_test(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.selftest import run

    return run(out)


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "import": cmd_import,
    "export": cmd_export,
    "check": cmd_check,
    "review": cmd_review,
    "duplicates": cmd_duplicates,
    "actors": cmd_actors,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "grant": cmd_grant,
    "copy": cmd_copy,
    "self-test": cmd_self_test,
    "attach": cmd_attach,
}
