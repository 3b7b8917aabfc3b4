"""Restoring a backup in place of a database, without ever losing either.

A restore checks the backup's audit log as a backup does (the hash chain, and
that it holds what the anchor recorded) and refuses one that fails unless told
to go ahead (``force``), and then does not move the anchor on to it. The file
it replaces is set aside first (its WAL folded in), the backup is copied under
a hidden name, verified, and renamed over the database in one step, so a
restore killed at any moment leaves either the old file or the restored one
(docs/reliability.md).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from incidentlog.domain.errors import StorageError
from incidentlog.store.audit import CHAIN_SQL, chain_problems
from incidentlog.store.backup import (
    UNVERIFIED,
    BackupInfo,
    Fetch,
    _anchor_restored,
    _fsync,
    _remove_stale,
    anchor_problem,
    chain_head,
    list_backups,
    read_anchor,
    verify_backup,
)
from incidentlog.store.safe_paths import copy_private, refuse_unless_regular


def backup_problems(backup: Path, database: Path) -> list[str]:
    """Why the audit log of ``backup`` cannot be trusted as a copy of ``database``'s.

    Empty when it verifies: its name does not say it was unverified when made,
    its hash chain holds, and a backup at least as new as the anchor of
    ``database`` continues it (an older one cannot be judged by the anchor: it
    legitimately ends before it). Raises ``StorageError`` for a file that
    cannot be read at all.
    """
    problems: list[str] = []
    if backup.stem.endswith(UNVERIFIED):
        problems.append(f"{backup.name}: made of an audit log that did not verify")
    try:
        connection = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            fetch: Fetch = lambda sql, p=(): connection.execute(sql, p).fetchone()  # noqa: E731
            head = chain_head(fetch)
            if head is not None:
                problems.extend(chain_problems(connection.execute(CHAIN_SQL)))
            anchor = read_anchor(database)
            # No entry at all is judged too: records without a history are not a log's start.
            if anchor is not None and (head is None or head.last_id >= anchor.last_id):
                problem = anchor_problem(anchor, fetch)
                if problem:
                    problems.append(problem)
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"The backup {backup} cannot be read: {exc}.") from exc
    return problems


def newest_good_backup(database: Path, backup_dir: Path | None = None) -> BackupInfo | None:
    """The newest backup that passes its checks, its audit log's too: what to offer for a
    damaged file."""
    for info in list_backups(database, backup_dir):
        try:
            verify_backup(info.path)
            if backup_problems(info.path, database):
                continue
        except StorageError:
            continue
        return info
    return None


def restore_backup(backup: Path, database: Path, *, force: bool = False) -> Path | None:
    """Put ``backup`` in place of ``database``; the current file is set aside, not deleted.

    A backup whose audit log does not verify (``backup_problems``) is refused
    with ``StorageError`` unless ``force``; restored by force, it leaves the
    anchor as it was, so that ``incidentlog check`` goes on saying what is wrong.

    Returns where the current file was set aside (None if there was none).
    The database must be closed. Killed at any moment, the restore leaves
    ``database`` naming either the old file or the restored one, and a
    set-aside copy that exists under its name is whole:

    1. the backup is copied beside the database under a hidden name, fsynced
       and checked;
    2. a WAL that the old file still has (its last writer crashed) is folded
       into it by SQLite, as SQLite does itself when the last connection
       closes: no WAL of the old file may be left beside the restored one,
       where SQLite would replay it into the wrong file. A file another
       program holds open is refused here;
    3. the old file is copied aside (hidden, fsynced, then named), so that it
       stays whole whatever happens next;
    4. the restored copy is renamed over the database, in one step.

    (Renaming the old file aside first, as this did before, left no file
    under the database's name when killed between the two renames.)
    """
    verify_backup(backup)
    refuse_unless_regular(database, "The database")  # replaced by a rename below
    problems = backup_problems(backup, database)
    if problems and not force:
        listed = "; ".join(problems[:3]) + ("; …" if len(problems) > 3 else "")
        raise StorageError(
            f"The backup {backup} did not verify: {listed}. Its audit log was changed by "
            "another program; it was not restored. Restore it only if you must, knowingly "
            "(the command line's --force).",
            str(database),
        )
    temp = database.with_name(f".{database.name}.restoring")
    aside: Path | None = None
    try:
        _remove_stale(database.parent, f".{database.stem}.set-aside-*.partial")
        copy_private(backup, temp)  # the restored database is owner-only, as the original
        _fsync(temp)
        verify_backup(temp)
        if database.exists():
            aside = _set_aside(database)
        # Before the rename: killed in between, the old file stays, and a restored
        # backup's chain is normally the start of the old file's, which it continues.
        if not problems:  # a copy that did not verify never becomes the reference
            _anchor_restored(database, temp)
        temp.replace(database)
        _fsync(database.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(f"The backup cannot be restored to {database}: {exc}.") from exc
    return aside



def _set_aside(database: Path) -> Path:
    """Copy ``database`` (its WAL folded in first) to a set-aside name; return that name.

    A journal that could not be folded (a damaged file) goes aside with it,
    before the file itself, and is removed from beside the database.
    """
    journals = _fold_wal(database)
    aside = _aside_name(database)
    for journal in journals:
        _copy_whole(journal, Path(f"{aside}{journal.name[len(database.name):]}"))
    _copy_whole(database, aside)
    for journal in journals:
        journal.unlink(missing_ok=True)
    return aside

#: How long a restore waits for other connections to the database to close.
IN_USE_WAIT_SECONDS = 3.0


def _fold_wal(database: Path) -> list[Path]:
    """Fold the WAL of ``database`` into it; return the journals that are still there.

    Only a crash leaves a WAL or shared-memory file behind: the last connection to
    close removes them. Opening and closing one connection here does exactly
    that. If they are still there afterwards, another connection has the file
    open: one of this process that is still closing (a background read the
    window just cancelled) is waited for a moment; then it is another program
    (``StorageError``). If SQLite cannot open the file (it is damaged, or cannot
    be written), its journals are left as they are and returned, to go aside
    with it.
    """
    journals = [Path(f"{database}{suffix}") for suffix in ("-wal", "-shm")]
    deadline = time.monotonic() + IN_USE_WAIT_SECONDS
    while any(journal.exists() for journal in journals):
        try:
            connection = sqlite3.connect(database, timeout=10)
            try:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                connection.close()
        except sqlite3.DatabaseError:
            return [journal for journal in journals if journal.exists()]
        if not any(journal.exists() for journal in journals):
            break
        if time.monotonic() > deadline:
            raise StorageError(
                f"{database} is open in another program (another copy of incidentlog?). "
                "Close it there, then restore; the file was not replaced.",
                str(database),
            )
        time.sleep(0.1)
    return []


def _aside_name(database: Path) -> Path:
    """``log.set-aside-20240120T153000Z.sqlite3``, or ``…Z-2.sqlite3`` if that is taken:
    two restores in one second must not overwrite the first one's set-aside file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    number = 1
    while True:
        tail = f"-{number}" if number > 1 else ""
        aside = database.with_name(f"{database.stem}.set-aside-{stamp}{tail}{database.suffix}")
        if not any(Path(f"{aside}{end}").exists() for end in ("", "-wal", "-shm")):
            return aside
        number += 1


def _copy_whole(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target``: under a hidden name, fsynced, then renamed."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        copy_private(source, partial)
        _fsync(partial)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


