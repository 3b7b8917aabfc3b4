"""Atomic file writing: an export appears whole, or not at all.

A cancelled or failed export must not leave a half-written file that a
colleague could mistake for a complete one (docs/reliability.md), and it must not
destroy the file it was going to replace. So every export is written to a
hidden temporary file in the target's own folder (the same file system, so
the final rename is atomic), flushed and fsynced, and only then renamed over
the target. On any exception, cancellation included, the temporary file is
removed and the target is left as it was.

A process that is killed runs no cleanup: its hidden temporary stays behind,
never under the target's name. The next export to the same target removes
such leftovers once they are an hour old (a younger one may belong to an
export under way in another window). The CSV files of an export into a new
folder are written into a hidden folder that is renamed into place whole, so
that a killed export leaves no folder holding some of the files, or none.

A target that exists must be a regular file (for CSV: a real folder): a
symbolic link, a device or a socket is refused and left alone, never replaced.
Two targets are streams instead, written as the export goes and not
atomically (a stream cannot be taken back): a named pipe (FIFO), opened for
writing only, and ``STANDARD_OUTPUT`` (``--out -``). Everything written is
owner-only, as the database is (``incidentlog.store.safe_paths``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from incidentlog.domain.errors import ExchangeError
from incidentlog.store.safe_paths import (
    make_private_folder,
    non_regular_kind,
    not_regular_sentence,
    open_private,
)

__all__ = ["STANDARD_OUTPUT", "atomic_file", "atomic_files", "output_file"]

#: The target that means standard output (the command line's ``--out -``).
STANDARD_OUTPUT = Path("-")

#: A temporary older than this was left by an export that was killed.
STALE_SECONDS = 3600


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no folder handles to sync."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (network shares) cannot sync a folder
    finally:
        os.close(fd)


def _oserror(exc: OSError, path: Path) -> ExchangeError:
    reason = exc.strerror or str(exc)
    return ExchangeError(f"cannot be written: {reason}. Nothing was written.", file=str(path))


def _temp_for(target: Path) -> tuple[int, Path]:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    return fd, Path(name)


def _remove_stale(target: Path) -> None:
    """Remove the temporaries (files or folders) killed exports of ``target`` left."""
    limit = time.time() - STALE_SECONDS
    for leftover in target.parent.glob(f".{target.name}.*.part"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime >= limit:
                continue
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()


def _open(fd: int, binary: bool, encoding: str | None) -> IO[Any]:
    if binary:
        return os.fdopen(fd, "wb")
    # newline="" so that the csv module's own CRLF line ends are written as they are.
    return os.fdopen(fd, "w", encoding=encoding or "utf-8", newline="")


def _finish(handle: IO[Any]) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


def _refuse_unless_regular(target: Path) -> None:
    kind = non_regular_kind(target)
    if kind is not None:
        raise ExchangeError(not_regular_sentence(target, kind, "The export target"))


def _is_fifo(target: Path) -> bool:
    try:
        return stat.S_ISFIFO(os.lstat(target).st_mode)
    except OSError:
        return False


@contextlib.contextmanager
def output_file(target: Path) -> Iterator[IO[bytes]]:
    """Where a one-file (JSON) export goes: a file written atomically, or a stream.

    ``STANDARD_OUTPUT`` writes to standard output; a named pipe is opened for
    writing only (it waits for a reader, as any program writing into a pipe
    does) and never replaced; anything else goes through ``atomic_file``.
    """
    target = Path(target)
    if target == STANDARD_OUTPUT:
        stream = sys.stdout.buffer
        sys.stdout.flush()
        yield stream
        stream.flush()
        return
    if not _is_fifo(target):
        with atomic_file(target) as handle:
            yield handle
        return
    try:
        # No O_CREAT, O_TRUNC or O_NOFOLLOW games: the pipe exists and stays.
        handle = target.open("wb", buffering=1024 * 1024)
    except OSError as exc:
        raise _oserror(exc, target) from exc
    try:
        yield handle
        handle.flush()
    except OSError as exc:  # the reader went away
        raise _oserror(exc, target) from exc
    finally:
        with contextlib.suppress(OSError):
            handle.close()


@contextlib.contextmanager
def atomic_file(
    target: Path, *, binary: bool = True, encoding: str | None = None
) -> Iterator[IO[Any]]:
    """Write ``target`` through a temporary file that replaces it only on success.

    The folder must exist (an export to a folder that vanished is an error the
    user should see, not a folder we silently create).
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise ExchangeError(
            "cannot be written: its folder does not exist. Nothing was written.", file=str(target)
        )
    _refuse_unless_regular(target)
    _remove_stale(target)
    try:
        fd, temp = _temp_for(target)
    except OSError as exc:
        raise _oserror(exc, target) from exc
    handle: IO[Any] | None = None
    try:
        handle = _open(fd, binary, encoding)
        yield handle
        _finish(handle)
        temp.replace(target)
    except OSError as exc:
        _discard(handle, temp)
        raise _oserror(exc, target) from exc
    except BaseException:
        _discard(handle, temp)
        raise
    _fsync_folder(target.parent)


@contextlib.contextmanager
def atomic_files(
    folder: Path, names: Sequence[str], *, encoding: str = "utf-8"
) -> Iterator[dict[str, IO[Any]]]:
    """Write several text files of one folder; they are moved in only when all are complete.

    A missing folder (and its missing parents) is created: the files are
    written into a hidden folder beside it, which is renamed into place with
    all of them, so that the folder appears whole or not at all. Into an
    existing folder each file is renamed into place when all are complete
    (each file whole; a kill between the renames, a matter of microseconds,
    can leave files of two exports side by side).
    """
    folder = Path(folder)
    if folder == STANDARD_OUTPUT:
        raise ExchangeError(
            "A CSV export is a folder of several files and cannot be written to standard "
            "output; give a folder (or export JSON to standard output)."
        )
    if folder.is_symlink():
        raise ExchangeError(not_regular_sentence(folder, "a symbolic link", "The export folder"))
    if folder.exists() and not folder.is_dir():
        raise ExchangeError(
            "is a file, not a folder: choose a folder for the CSV files.", file=str(folder)
        )
    for name in names:
        kind = non_regular_kind(folder / name) if folder.is_dir() else None
        if kind is not None:
            raise ExchangeError(
                f"is {kind}, not a regular file: a CSV export replaces only regular files. "
                "Nothing was written.", file=str(folder / name)
            )
    if folder.is_dir():
        with _into_existing(folder, names, encoding) as handles:
            yield handles
    else:
        with _into_new(folder, names, encoding) as handles:
            yield handles


@contextlib.contextmanager
def _into_existing(
    folder: Path, names: Sequence[str], encoding: str
) -> Iterator[dict[str, IO[Any]]]:
    temps: dict[str, Path] = {}
    handles: dict[str, IO[Any]] = {}
    try:
        try:
            for name in names:
                _remove_stale(folder / name)
                fd, temps[name] = _temp_for(folder / name)
                handles[name] = _open(fd, False, encoding)
            yield handles
            for handle in handles.values():
                _finish(handle)
            for name in names:
                temps[name].replace(folder / name)
        except OSError as exc:
            raise _oserror(exc, folder) from exc
    except BaseException:
        for name, temp in temps.items():
            _discard(handles.get(name), temp)
        raise
    _fsync_folder(folder)


@contextlib.contextmanager
def _into_new(folder: Path, names: Sequence[str], encoding: str) -> Iterator[dict[str, IO[Any]]]:
    handles: dict[str, IO[Any]] = {}
    staging: Path | None = None
    try:
        try:
            make_private_folder(folder.parent)
            _remove_stale(folder)
            staging = Path(
                tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent)
            )
            for name in names:
                handles[name] = open_private(staging / name, "w", encoding=encoding, newline="")
            yield handles
            for handle in handles.values():
                _finish(handle)
            _fsync_folder(staging)
            try:
                # One rename: the folder appears with every file in it. POSIX renames a
                # folder over an empty one only; Windows over none.
                staging.rename(folder)
            except OSError:
                if not folder.is_dir():
                    raise
                # The folder appeared meanwhile (another export, a person): move in file
                # by file, as into any existing folder.
                for name in names:
                    (staging / name).replace(folder / name)
                shutil.rmtree(staging, ignore_errors=True)
        except OSError as exc:
            raise _oserror(exc, folder) from exc
    except BaseException:
        for handle in handles.values():
            with contextlib.suppress(OSError):
                handle.close()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_folder(folder.parent)


def _discard(handle: IO[Any] | None, temp: Path) -> None:
    if handle is not None:
        with contextlib.suppress(OSError):
            handle.close()
    with contextlib.suppress(OSError):
        temp.unlink(missing_ok=True)
