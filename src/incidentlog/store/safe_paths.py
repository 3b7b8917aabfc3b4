"""The files incidentlog writes: regular files it created, readable by their owner only.

Every path incidentlog is told to write (a database, a backup, an export, the
audit anchor) is checked here first: a path that does not exist yet, or a
regular file, may be written; anything else (a folder, a named pipe, a
device, a socket, a symbolic link to anything) is refused with a sentence,
before anything is opened, so that nothing incidentlog did not create is
ever unlinked or replaced by a rename. Only the last part of the path is
judged: folders above it may be links (a home folder on another disk).

What incidentlog creates is owner-only whatever the umask: files 0600 and
folders 0700, the permissions of the database itself, since backups and
exports are full copies of it. See docs/reliability.md.

The spool folders of imports are made and cleaned up here too (they live
beside the database): each holds a lock for as long as its import runs, so a
folder whose lock nobody holds was left by an import that was killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from incidentlog.domain.errors import StorageError

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700

#: The hidden folders imports keep their spool in, beside the database.
SPOOL_PREFIX = ".incidentlog-import-"
SPOOL_LOCK = "lock"
#: A spool folder without a lock file (being made, or made by an older version)
#: is left alone until it is this old.
STALE_SPOOL_SECONDS = 3600

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def non_regular_kind(path: Path) -> str | None:
    """What ``path`` is when it is neither missing nor a regular file ("a named pipe"…).

    None for a path that does not exist or is a regular file. A symbolic link
    is "a symbolic link" whatever it points to (or does not).
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None  # a part of the path is a file: creating it will fail and say so
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def refuse_unless_regular(path: Path, what: str = "") -> bool:
    """Raise ``StorageError`` unless ``path`` is missing or a regular file; True if it exists.

    ``what`` names the role in the sentence ("The backup target"), if any.
    """
    kind = non_regular_kind(path)
    if kind is not None:
        raise StorageError(not_regular_sentence(path, kind, what), str(path))
    return path.exists()


def not_regular_sentence(path: Path, kind: str, what: str = "") -> str:
    subject = f"{what} {path}" if what else str(path)
    hint = ""
    if kind == "a symbolic link":
        with contextlib.suppress(OSError):
            hint = f" (give the file it points to, {path.resolve(strict=False)}, instead)"
    return (
        f"{subject} is {kind}, not a regular file: incidentlog reads and writes only "
        f"regular files{hint}. Nothing was changed."
    )


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and its missing parents, owner-only; existing ones stay as they are."""
    missing: list[Path] = []
    current = Path(folder)
    while not current.exists() and not current.is_symlink() and current != current.parent:
        missing.append(current)
        current = current.parent
    for part in reversed(missing):
        # (A folder made meanwhile by another process is not ours to change.)
        with contextlib.suppress(FileExistsError):
            part.mkdir(PRIVATE_FOLDER)


def create_private_file(path: Path) -> int:
    """Create ``path`` as a new owner-only file and return its descriptor (read-write).

    A file of that name that is already there is an error (``FileExistsError``):
    it is not one incidentlog just made. Links are not followed.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL
    # O_BINARY: Windows would otherwise translate line ends in what is written.
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    # The umask can only take permissions away: the file is 0600 or narrower.
    return os.open(path, flags, PRIVATE_FILE)


def replace_leftover(path: Path) -> int:
    """``create_private_file`` for a hidden name of incidentlog's own (``.x.partial``):
    a regular file of that name left by a run that was killed is removed first."""
    try:
        return create_private_file(path)
    except FileExistsError:
        if non_regular_kind(path) is not None:
            raise
        path.unlink(missing_ok=True)
        return create_private_file(path)


def open_private(path: Path, mode: str = "wb", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for a new file of incidentlog's, created owner-only."""
    return os.fdopen(create_private_file(path), mode, **kwargs)


def copy_private(source: Path, target: Path) -> None:
    """Copy ``source`` into a new owner-only file ``target`` (a hidden name of ours)."""
    with source.open("rb") as reading, os.fdopen(replace_leftover(target), "wb") as writing:
        shutil.copyfileobj(reading, writing, 1024 * 1024)


# ---------------------------------------------------------------------------------------
# Import spools
# ---------------------------------------------------------------------------------------


class SpoolFolder:
    """A hidden folder for an import's temporary files, locked while the import runs.

    Made beside the database (``near``) if that folder can be written, else
    in the system's temporary folder. The lock (``flock`` on POSIX) is held by
    the open descriptor, so the kernel releases it when the process ends,
    killed or not; ``remove_stale_spools`` removes the folders whose lock is
    free.
    """

    def __init__(self, near: Path | None) -> None:
        folder: str | None = None
        if near is not None:
            remove_stale_spools(near)
            with contextlib.suppress(OSError):
                folder = tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=near)
        self.path = Path(folder or tempfile.mkdtemp(prefix=SPOOL_PREFIX[1:]))
        self._lock: int | None = None
        try:
            # Locked under another name, then named: a lock file that can be seen is held.
            self._lock = create_private_file(self.path / f"{SPOOL_LOCK}.new")
            _lock(self._lock)
            (self.path / f"{SPOOL_LOCK}.new").replace(self.path / SPOOL_LOCK)
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        shutil.rmtree(self.path, ignore_errors=True)


def remove_stale_spools(folder: Path) -> list[Path]:
    """Remove the spool folders in ``folder`` that killed imports left; return them.

    Only hidden folders named as incidentlog names them, owned by this user,
    and not links; and of those only the ones no running import holds: their
    lock can be taken (or, with no lock file, they are an hour old).
    """
    removed: list[Path] = []
    try:
        candidates = list(Path(folder).glob(f"{SPOOL_PREFIX}*"))
    except OSError:
        return removed
    for candidate in candidates:
        with contextlib.suppress(OSError):
            info = os.lstat(candidate)
            if not stat.S_ISDIR(info.st_mode) or not _owned(info):
                continue
            if _is_stale(candidate, info):
                shutil.rmtree(candidate)
                removed.append(candidate)
    return removed


def _is_stale(candidate: Path, info: os.stat_result) -> bool:
    lock_path = candidate / SPOOL_LOCK
    if non_regular_kind(lock_path) is not None:
        return False  # not a folder of ours after all
    old = info.st_mtime < time.time() - STALE_SPOOL_SECONDS
    try:
        descriptor = os.open(lock_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return old
    try:
        taken = _lock(descriptor)
    finally:
        os.close(descriptor)  # releases the lock just taken
    return old if taken is None else taken


def _lock(descriptor: int) -> bool | None:
    """Take an exclusive lock on ``descriptor`` without waiting: False when another
    process holds it, None where there are no such locks (Windows)."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owned(info: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()
