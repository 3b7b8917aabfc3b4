"""Verified copies of a database, made with SQLite's online backup API.

A backup is written aside, checked (``integrity_check``, our application id,
the same record counts as the original) and only then renamed into place, so
a backup that exists is a good one. Old automatic backups are rotated: only
after the new one is in place, and never the new one itself.

A backup into the database's own backups folder also records the head of the
audit log's hash chain (how many entries, the last one's id and hash) in a
small file there, the *audit anchor*: outside the database, so that
``incidentlog check`` can tell when entries the last backup saw were removed
or rewritten by a program that first dropped the guarding triggers (which the
chain alone cannot show for the newest entries).

Every backup checks the audit log it copies (the hash chain, and that it
continues the anchor). A log that fails is still copied, since the copy is
evidence, but under a name ending in ``-unverified``: such a copy rotates only
among copies like it and never removes a verified backup, and the anchor is
not moved on to it. A restore checks the backup the same way and refuses one
that fails unless told to go ahead, and then does not move the anchor on to it
either (see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incidentlog.domain.errors import StorageError
from incidentlog.store.audit import CHAIN_SQL, chain_problems
from incidentlog.store.database import read_only_uri
from incidentlog.store.file_format import APPLICATION_ID
from incidentlog.store.safe_paths import (
    make_private_folder,
    non_regular_kind,
    refuse_unless_regular,
    replace_leftover,
)

BACKUP_SUFFIX = ".sqlite3"
#: Ends the reason of a backup whose audit log did not verify when it was made.
UNVERIFIED = "-unverified"
COUNTED_TABLES = ("incident", "source", "quote", "audit_log")


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    made_at: datetime
    reason: str  # "daily", "pre-import", …; "daily-unverified" for an unverified one
    size: int

    @property
    def verified(self) -> bool:
        """False when the audit log it copied did not verify (its name says so)."""
        return not self.reason.endswith(UNVERIFIED)


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


#: Where files cannot be locked: a ``.partial`` older than this was left by a killed backup.
STALE_PARTIAL_SECONDS = 3600
#: An unlocked ``.partial`` younger than this may be a backup between creating and locking it.
LOCK_GRACE_SECONDS = 60


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
    """Remove what killed backups left; a recent one may belong to a backup under way.

    Only names of dated backups: another program's ``.x.partial`` is not ours to
    remove (a named ``--out``'s own leftover is replaced when it is next written).
    """
    _remove_stale(folder, f".*{BACKUP_SUFFIX}.partial")


def backup_database(
    database: Path,
    *,
    out: Path | None = None,
    backup_dir: Path | None = None,
    reason: str = "manual",
    keep: int | None = None,
    audit: list[str] | None = None,
) -> Path:
    """Copy ``database`` to ``out`` (or a timestamped file in ``backup_dir``), verified.

    ``keep`` rotates: after a successful backup, only the newest ``keep``
    backups made for the same ``reason`` stay in the folder, the new one always
    among them. ``keep`` must be at least 1 (``ValueError``).

    A log whose audit chain or anchor does not verify is copied all the same;
    a dated backup is then named ``…-{reason}-unverified`` and rotates only
    among those. ``audit``, if given, receives the problems found (none when
    the log verified): a backup under a name of one's choosing cannot say it.
    """
    if keep is not None:
        check_keep(keep)
    dated = out is None
    problems: list[str] = []
    if out is None:
        folder = backup_dir or default_backup_dir(database)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        out = folder / f"{database.stem}-{stamp}-{reason}{BACKUP_SUFFIX}"
    out = out.expanduser().absolute()
    if out == database.absolute():
        raise StorageError("A backup cannot overwrite the database it copies.")
    temp = out.with_name(f".{out.name}.partial")
    held = _create_partial(out, temp)
    try:
        counts, problems, anchor = _copy_to(database, temp, out.parent)
        verify_backup(temp, counts)
        _fsync(temp)  # on disk before its name says it is a backup (a power cut)
        if problems and dated:
            out = out.with_name(f"{out.stem}{UNVERIFIED}{out.suffix}")
            reason += UNVERIFIED
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
    finally:
        os.close(held)  # and with it the lock
    if anchor is not None:
        _write_anchor(database, anchor)
    if keep is not None:
        _rotate(out.parent, database.stem, reason, keep, out)
    if audit is not None:
        audit.extend(problems)
    return out



def _copy_to(
    database: Path, temp: Path, folder: Path
) -> tuple[dict[str, int], list[str], AuditAnchor | None]:
    """Copy ``database`` into ``temp`` in one read transaction: the record counts, the
    problems of its audit log and the anchor to record, all of what was copied."""
    source = sqlite3.connect(read_only_uri(database), uri=True, timeout=10)
    try:
        target = sqlite3.connect(temp)
        try:
            with source:  # one read transaction: counts and copy see the same data
                source.execute("BEGIN")
                counts = _counts(source)
                problems = audit_problems(database, source)
                # A log that does not verify never becomes the anchor's reference.
                anchor = None if problems else _next_anchor(database, folder, source)
                source.backup(target)
                source.execute("COMMIT")
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    finally:
        source.close()
    return counts, problems, anchor

def _create_partial(out: Path, temp: Path) -> int:
    """The folder (owner-only if made) and the empty owner-only ``temp`` SQLite copies into;
    returns its descriptor, locked for as long as the backup runs (``_remove_stale``).

    SQLite would create it with the umask's permissions (0644); its journal
    takes the file's own. A target that is not a regular file is refused.
    """
    refuse_unless_regular(out, "The backup target")
    try:
        make_private_folder(out.parent)
        _remove_stale_partials(out.parent)
        descriptor = replace_leftover(temp)
    except OSError as exc:
        raise StorageError(
            f"The backup cannot be written to {out}: {exc.strerror or exc}.", str(out)
        ) from exc
    _lock(descriptor, blocking=True)
    return descriptor


def audit_problems(database: Path, connection: sqlite3.Connection) -> list[str]:
    """Why the audit log ``connection`` reads cannot be trusted; empty when it verifies.

    Its hash chain, and that it continues the anchor of ``database`` (the head
    recorded at the last verified backup), if there is one.
    """
    if connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'"
    ).fetchone() is None:
        return []
    problems = chain_problems(connection.execute(CHAIN_SQL))
    anchor = read_anchor(database)
    if anchor is not None:
        problem = anchor_problem(anchor, lambda sql, p=(): connection.execute(sql, p).fetchone())
        if problem:
            problems.append(problem)
    return problems


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


def _rotate(folder: Path, stem: str, reason: str, keep: int, made: Path) -> None:
    """Remove the oldest backups of ``reason`` beyond ``keep``, never ``made``.

    Runs only after ``made`` was verified and renamed into place. It is set
    apart by its path, not by its date: a clock set back (or a backup copied in
    from another computer) can make an older backup look newer, and the one
    just made must survive that.
    """
    others = [
        info
        for info in list_backups(folder / f"{stem}{BACKUP_SUFFIX}", folder)
        if info.reason == reason and info.path != made
    ]
    for old in others[max(keep, 1) - 1 :]:
        # An old backup that cannot be removed is not a failure of the new one.
        with contextlib.suppress(OSError):
            old.path.unlink(missing_ok=True)


#: How many backups of each automatic kind are kept (daily, pre-import, pre-migration)
#: unless the user chose otherwise (the window's backup settings, ``--keep``).
DEFAULT_KEEP = 7


def check_keep(keep: object) -> int:
    """``keep`` if it is a usable count of backups to keep; ``ValueError`` if not.

    At least 1: the rotation runs after a backup and must leave that backup.
    """
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"the number of backups to keep must be 1 or more, not {keep!r}")
    return keep
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
    folder = backup_dir or default_backup_dir(database)
    if folder.is_dir():
        _remove_stale_partials(folder)  # what a start killed during its backup left
    newest = next(iter(list_backups(database, backup_dir)), None)
    if newest is not None and current - newest.made_at < max_age:
        return None
    if newest is not None and newest.verified and _unchanged_since(database, newest.path):
        return None  # a copy would be the newest backup again, byte for byte in its records
    return backup_database(database, backup_dir=backup_dir, reason="daily", keep=keep)


def _unchanged_since(database: Path, backup: Path) -> bool:
    """Whether ``database`` holds what ``backup`` holds: the same head of the audit chain
    (every write appends to it) and the same record counts. Reads only; False on doubt."""
    try:
        heads: list[tuple[Any, ...]] = []
        for uri in (read_only_uri(database), f"file:{backup}?mode=ro"):
            connection = sqlite3.connect(uri, uri=True, timeout=10)
            try:
                def fetch(sql: str, parameters: Sequence[Any] = (),
                          c: sqlite3.Connection = connection) -> Sequence[Any] | None:
                    row: Sequence[Any] | None = c.execute(sql, parameters).fetchone()
                    return row

                with connection:
                    connection.execute("BEGIN")
                    head = chain_head(fetch)
                    heads.append((None if head is None else (
                        head.entries, head.last_id, head.last_hash, head.first_hash),
                        _counts(connection)))
            finally:
                connection.close()
    except sqlite3.Error:
        return False
    return heads[0][0] is not None and heads[0] == heads[1]


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


# ---------------------------------------------------------------------------------------
# The audit anchor
# ---------------------------------------------------------------------------------------

ANCHOR_SUFFIX = ".audit-anchor.json"
#: Runs one SQL query with its parameters and returns the first row (sqlite3 or SQLAlchemy).
Fetch = Callable[..., Sequence[Any] | None]


@dataclass(frozen=True)
class AuditAnchor:
    """The head of a log's audit chain when a backup was made: the evidence that those
    entries existed, kept outside the database."""

    entries: int  # entries up to and including last_id
    last_id: int
    last_hash: str
    first_hash: str  # which log this is (a new log at the same path has another)
    recorded_at: str


def anchor_path(database: Path) -> Path:
    return default_backup_dir(database) / f"{database.stem}{ANCHOR_SUFFIX}"


def read_anchor(database: Path) -> AuditAnchor | None:
    """The anchor of ``database``; None when there is none or it cannot be read."""
    if non_regular_kind(anchor_path(database)) is not None:
        return None  # reading a pipe put there would hang
    try:
        data = json.loads(anchor_path(database).read_text(encoding="utf-8"))
        return AuditAnchor(
            int(data["entries"]), int(data["last_id"]), str(data["last_hash"]),
            str(data["first_hash"]), str(data["recorded_at"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def chain_head(fetch: Fetch) -> AuditAnchor | None:
    """The head of the audit chain that ``fetch`` reads; None when it has no entry."""
    if fetch("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'") is None:
        return None
    count, last_id = fetch("SELECT count(*), max(id) FROM audit_log") or (0, None)
    if not count or last_id is None:
        return None
    last = fetch("SELECT hash FROM audit_log WHERE id = ?", (last_id,))
    first = fetch("SELECT hash FROM audit_log ORDER BY id LIMIT 1")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return AuditAnchor(int(count), int(last_id), str(last[0] if last else ""),
                       str(first[0] if first else ""), stamp)


def anchor_problem(anchor: AuditAnchor, fetch: Fetch) -> str | None:
    """Why the audit log ``fetch`` reads does not continue ``anchor``'s chain; None if it does.

    A log whose first entry is not the anchor's is another log (a new database
    at the same path) and is not judged: so a chain rewritten from its very
    first entry is not caught here either, only one cut short or rewritten
    after it.
    """
    first = fetch("SELECT hash FROM audit_log ORDER BY id LIMIT 1")
    when = f"the backup of {anchor.recorded_at} recorded {anchor.entries:,} audit entries"
    if first is None:
        records = fetch(
            "SELECT (SELECT count(*) FROM incident) + (SELECT count(*) FROM source)"
            " + (SELECT count(*) FROM quote)"
        )
        if records and records[0]:
            return (f"audit log: {when}; now it has none although the log holds records: "
                    "its entries were removed by another program")
        return None
    if first[0] != anchor.first_hash:
        return None
    row = fetch(
        "SELECT count(*), (SELECT hash FROM audit_log WHERE id = ?) FROM audit_log"
        " WHERE id <= ?",
        (anchor.last_id, anchor.last_id),
    )
    count, last_hash = (row[0], row[1]) if row else (0, None)
    if count == anchor.entries and last_hash == anchor.last_hash:
        return None
    if last_hash is None:
        what = f"entry {anchor.last_id} is gone and {count:,} of them are left"
    elif last_hash != anchor.last_hash:
        what = f"entry {anchor.last_id} is not the one it was"
    else:
        what = f"{count:,} of them are left"
    return (f"audit log: {when}, up to entry {anchor.last_id}; {what}: entries were removed "
            "or rewritten by another program (or this is not the file those backups were "
            "made of)")


def _next_anchor(database: Path, folder: Path, source: sqlite3.Connection) -> AuditAnchor | None:
    """The anchor to record for a backup into ``folder``, read in the backup's transaction.

    Only the database's own backups folder holds its anchor. An anchor that the
    log no longer continues is kept as it is, not moved on to the log as it now
    is: that would make the removal it shows invisible. (A restore, the one
    legitimate way back, records the restored file's head itself.)
    """
    if folder != default_backup_dir(database).expanduser().absolute():
        return None

    def fetch(sql: str, parameters: Sequence[Any] = ()) -> Sequence[Any] | None:
        row: Sequence[Any] | None = source.execute(sql, parameters).fetchone()
        return row

    previous = read_anchor(database)
    if previous is not None and anchor_problem(previous, fetch) is not None:
        return None
    return chain_head(fetch)


def _write_anchor(database: Path, anchor: AuditAnchor) -> None:
    """Record ``anchor`` (whole or not at all); a failure costs the check, not the backup."""
    path = anchor_path(database)
    partial = path.with_name(f".{path.name}.partial")
    if non_regular_kind(path) is not None:
        return  # not a file of ours: left alone
    with contextlib.suppress(OSError):
        make_private_folder(path.parent)
        with os.fdopen(replace_leftover(partial), "w", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(anchor), indent=2) + "\n")
        _fsync(partial)
        partial.replace(path)


def _anchor_restored(database: Path, restored: Path) -> None:
    """After a restore the log goes back in time: its anchor is the restored file's head."""
    if not anchor_path(database).exists():
        return
    try:
        connection = sqlite3.connect(f"file:{restored}?mode=ro", uri=True)
        try:
            anchor = chain_head(lambda sql, p=(): connection.execute(sql, p).fetchone())
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return
    if anchor is None:
        with contextlib.suppress(OSError):
            anchor_path(database).unlink()
    else:
        _write_anchor(database, anchor)


def _remove_stale(folder: Path, pattern: str) -> None:
    """Remove the files ``pattern`` names in ``folder`` that a killed run left behind.

    A backup holds an exclusive lock on its ``.partial`` while it writes it; one
    that nobody holds (after a short grace for a backup just starting) belongs
    to a run that was killed. Where files cannot be locked, an hour's age says so.
    """
    now = time.time()
    for leftover in folder.glob(pattern):
        with contextlib.suppress(OSError):
            age = now - leftover.stat().st_mtime
            if not CAN_LOCK:
                if age > STALE_PARTIAL_SECONDS:
                    leftover.unlink()
                continue
            if age < LOCK_GRACE_SECONDS or non_regular_kind(leftover) is not None:
                continue
            descriptor = os.open(leftover, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                if _lock(descriptor, blocking=False):
                    leftover.unlink()
            finally:
                os.close(descriptor)


#: Windows has no ``flock``: there stale partials are told by their age.
CAN_LOCK = sys.platform != "win32"


def _lock(descriptor: int, *, blocking: bool) -> bool:
    """An exclusive ``flock`` on ``descriptor``; False when another process holds one."""
    if sys.platform == "win32":
        return True
    import fcntl

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True
