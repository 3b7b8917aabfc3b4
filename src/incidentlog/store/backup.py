"""Verified copies of a database, made with SQLite's online backup API.

A backup is written aside, checked (``integrity_check``, our application id,
the same record counts as the original) and only then renamed into place, so
a backup that exists is a good one. Old automatic backups are rotated.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from incidentlog.domain.errors import StorageError
from incidentlog.store.backend import APPLICATION_ID

BACKUP_SUFFIX = ".sqlite3"
COUNTED_TABLES = ("incident", "source", "quote", "audit_log")


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    made_at: datetime
    reason: str
    size: int


def default_backup_dir(database: Path) -> Path:
    return database.parent / f"{database.stem}-backups"


def _counts(connection: sqlite3.Connection) -> dict[str, int]:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    return {
        table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in COUNTED_TABLES
        if table in tables
    }


def verify_backup(path: Path, expected_counts: dict[str, int] | None = None) -> None:
    """Raise ``StorageError`` unless ``path`` is a sound incidentlog database."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchall()
            if [tuple(r) for r in result] != [("ok",)]:
                raise StorageError(f"The backup {path} failed its check: {result[0][0]}.")
            if connection.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise StorageError(f"The backup {path} is not an incidentlog database.")
            if expected_counts is not None and _counts(connection) != expected_counts:
                raise StorageError(f"The backup {path} does not hold every record.")
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"The backup {path} cannot be read: {exc}.") from exc


#: A ``.partial`` file older than this was left by a backup that was killed.
STALE_PARTIAL_SECONDS = 3600


def _fsync(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:  # directories cannot be opened on Windows; nothing to sync there
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove_stale_partials(folder: Path) -> None:
    """Remove what killed backups left; a recent one may belong to a backup under way."""
    limit = time.time() - STALE_PARTIAL_SECONDS
    for leftover in folder.glob(".*.partial"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < limit:
                leftover.unlink()


def backup_database(
    database: Path,
    *,
    out: Path | None = None,
    backup_dir: Path | None = None,
    reason: str = "manual",
    keep: int | None = None,
) -> Path:
    """Copy ``database`` to ``out`` (or a timestamped file in ``backup_dir``), verified.

    ``keep`` rotates: after a successful backup, only the newest ``keep``
    backups made for the same ``reason`` stay in the folder.
    """
    if out is None:
        folder = backup_dir or default_backup_dir(database)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        out = folder / f"{database.stem}-{stamp}-{reason}{BACKUP_SUFFIX}"
    out = out.expanduser().absolute()
    if out == database.absolute():
        raise StorageError("A backup cannot overwrite the database it copies.")
    temp = out.with_name(f".{out.name}.partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_partials(out.parent)
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
        try:
            target = sqlite3.connect(temp)
            try:
                with source:  # one read transaction: counts and copy see the same data
                    source.execute("BEGIN")
                    counts = _counts(source)
                    source.backup(target)
                    source.execute("COMMIT")
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
        finally:
            source.close()
        verify_backup(temp, counts)
        _fsync(temp)  # on disk before its name says it is a backup (a power cut)
        temp.replace(out)
        _fsync(out.parent)
    except sqlite3.Error as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(f"The backup of {database} failed: {exc}.", str(database)) from exc
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(
            f"The backup cannot be written to {out}: {exc.strerror or exc}.", str(database)
        ) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if keep is not None:
        _rotate(out.parent, database.stem, reason, keep)
    return out


def list_backups(database: Path, backup_dir: Path | None = None) -> list[BackupInfo]:
    """The backups of ``database`` in its backup folder, newest first."""
    folder = backup_dir or default_backup_dir(database)
    found: list[BackupInfo] = []
    for path in folder.glob(f"{database.stem}-*{BACKUP_SUFFIX}"):
        parts = path.stem[len(database.stem) + 1 :].split("-", 1)
        try:
            made_at = datetime.strptime(parts[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
        except ValueError:
            continue
        reason = parts[1] if len(parts) > 1 else "manual"
        found.append(BackupInfo(path, made_at, reason, path.stat().st_size))
    return sorted(found, key=lambda info: info.made_at, reverse=True)


def _rotate(folder: Path, stem: str, reason: str, keep: int) -> None:
    backups = [
        info
        for info in list_backups(folder / f"{stem}{BACKUP_SUFFIX}", folder)
        if info.reason == reason
    ]
    for old in backups[max(keep, 1) :]:
        old.path.unlink(missing_ok=True)


#: How many backups of each automatic kind are kept (daily, pre-import, pre-migration).
DEFAULT_KEEP = 7
#: An automatic backup on open is made when the newest one is older than this.
DAILY = timedelta(days=1)


def backup_if_due(
    database: Path,
    *,
    backup_dir: Path | None = None,
    keep: int = DEFAULT_KEEP,
    max_age: timedelta = DAILY,
    now: datetime | None = None,
) -> Path | None:
    """The rotating daily backup: made when the newest backup is older than ``max_age``.

    Returns the new backup, or None when a recent one exists. Run it off the
    GUI thread: on a large log a backup takes seconds.
    """
    current = now or datetime.now(UTC)
    newest = next(iter(list_backups(database, backup_dir)), None)
    if newest is not None and current - newest.made_at < max_age:
        return None
    return backup_database(database, backup_dir=backup_dir, reason="daily", keep=keep)


def backup_counts(path: Path) -> dict[str, int]:
    """Record counts of a backup (incidents, sources, quotes, audit entries), read-only."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return _counts(connection)
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"The backup {path} cannot be read: {exc}.") from exc


def newest_good_backup(database: Path, backup_dir: Path | None = None) -> BackupInfo | None:
    """The newest backup that passes its check: what to offer for a damaged file."""
    for info in list_backups(database, backup_dir):
        try:
            verify_backup(info.path)
        except StorageError:
            continue
        return info
    return None


def restore_backup(backup: Path, database: Path) -> Path | None:
    """Put ``backup`` in place of ``database``; the current file is set aside, not deleted.

    Returns where the current file was set aside (None if there was none).
    The database must be closed. The backup is verified first; the copy is
    made beside the target and renamed over it, so an interruption leaves
    either the old file or the restored one.
    """
    verify_backup(backup)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside: Path | None = None
    temp = database.with_name(f".{database.name}.restoring")
    try:
        shutil.copyfile(backup, temp)
        verify_backup(temp)
        if database.exists():
            aside = database.with_name(f"{database.stem}.set-aside-{stamp}{database.suffix}")
            database.replace(aside)
            for suffix in ("-wal", "-shm"):
                journal = Path(f"{database}{suffix}")
                if journal.exists():
                    journal.replace(Path(f"{aside}{suffix}"))
        temp.replace(database)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(f"The backup cannot be restored to {database}: {exc}.") from exc
    return aside
