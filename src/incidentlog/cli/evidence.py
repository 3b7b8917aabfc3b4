"""The evidence commands: ``attach``, ``export --format package``, importing a package and
the file check of ``check`` (docs/evidence.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from incidentlog.cli.helpers import _plural, _pre_import_backup, _progress
from incidentlog.cli.usage import UsageError
from incidentlog.domain.errors import NotFoundError, StorageError
from incidentlog.domain.evidence import OwnerKind
from incidentlog.store.server_address import is_server

if TYPE_CHECKING:
    from incidentlog.domain.query import IncidentFilter
    from incidentlog.services import Services


def cmd_attach(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.cli.commands import _existing_database_path
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    file: Path = args.file
    if args.source is None and args.incident is None:
        raise UsageError("give the record to attach the file to: --source or --incident")
    if not file.is_file():
        raise StorageError(f"{file} is not a file that can be attached.", str(file))
    kind = OwnerKind.SOURCE if args.source is not None else OwnerKind.INCIDENT
    wanted = args.source if args.source is not None else args.incident
    with open_database(_existing_database_path(args)) as database:
        services = Services(database)
        owner = resolve_owner(services, kind, wanted)
        attachment = services.evidence.attach_file(file, kind, owner)
    print(f"Attached {attachment.name} ({_plural(attachment.size, 'byte')}, "
          f"{attachment.media_type}) to {kind.value} {wanted}: sha256 {attachment.sha256}",
          file=out)
    return 0


def resolve_owner(services: Services, kind: OwnerKind, wanted: str) -> str:
    """The uid of the live record ``wanted`` names: an incident's ref or uid; a source's uid,
    the start of it (at least 8 characters, naming one source) or its exact URL."""
    from sqlalchemy import or_, select

    from incidentlog.store.schema import incident_table, source_table

    text = wanted.strip()
    table = incident_table if kind is OwnerKind.INCIDENT else source_table
    match = (or_(table.c.uid == text, table.c.ref == text) if kind is OwnerKind.INCIDENT
             else or_(table.c.uid == text, table.c.url == text,
                      table.c.uid.startswith(text) if len(text) >= 8 else table.c.uid == text))
    with services.database.read() as connection:
        found = list(connection.execute(
            select(table.c.uid).where(match, table.c.deleted_at.is_(None)).limit(2)).scalars())
    if len(found) > 1:
        raise UsageError(f"{text!r} names more than one {kind.value}; give its whole uid")
    if not found:
        raise NotFoundError(kind.value, text)
    return str(found[0])


def export_package_command(services: Services, target: Path, flt: IncidentFilter,
                           out: TextIO) -> int:
    from incidentlog.exchange.package import export_package

    if target.suffix.lower() != ".zip":
        raise UsageError("--format package writes one ZIP file: name it FILE.zip")
    with _progress("Exporting") as progress:
        report = export_package(services, target, flt, progress=progress)
    print(report.summary(), file=out)
    return 0


def import_package_command(args: argparse.Namespace, path: Path, out: TextIO) -> int:
    from incidentlog.exchange.package import import_package
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    # A server is backed up by its administrator (docs/team.md), not before each import.
    backup = None if args.dry_run or is_server(path) else _pre_import_backup(path, keep=args.keep)
    with (
        _progress("Checking" if args.dry_run else "Importing") as progress,
        open_database(path, backup_keep=args.keep) as database,
    ):
        report, files = import_package(Services(database), args.file, dry_run=args.dry_run,
                                       progress=progress, before_commit=backup)
    print(f"{report.summary()} Every file of the package verified; "
          f"{_plural(files, 'attachment')} added.", file=out)
    return 0


def check_files(services: Services, *, record: bool, out: TextIO) -> list[str]:
    """The problems of the stored files; with ``record``, each sound one gets a custody
    entry ("verify")."""
    problems = services.evidence.check(record=record)
    if record and not problems:
        print("Every stored file matches its hash; the check was recorded in each one's "
              "custody trail.", file=out)
    return problems


__all__ = ["check_files", "cmd_attach", "export_package_command",
           "import_package_command", "resolve_owner"]
