"""Atomic file writing: an export appears whole, or not at all.

A cancelled or failed export must not leave a half-written file that a
colleague could mistake for a complete one (DESIGN §3), and it must not
destroy the file it was going to replace. So every export is written to a
hidden temporary file in the target's own folder (the same file system, so
the final rename is atomic), flushed and fsynced, and only then renamed over
the target. On any exception, cancellation included, the temporary file is
removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from incidentlog.domain.errors import ExchangeError

__all__ = ["atomic_file", "atomic_files"]


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


def _open(fd: int, binary: bool, encoding: str | None) -> IO[Any]:
    if binary:
        return os.fdopen(fd, "wb")
    # newline="" so that the csv module's own CRLF line ends are written as they are.
    return os.fdopen(fd, "w", encoding=encoding or "utf-8", newline="")


def _finish(handle: IO[Any]) -> None:
    handle.flush()
    os.fsync(handle.fileno())
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

    The folder is created if it is missing, and removed again if the export
    fails and it is still empty, so a cancelled export leaves no trace.
    """
    folder = Path(folder)
    created = False
    try:
        if not folder.exists():
            folder.mkdir(parents=True)
            created = True
        elif not folder.is_dir():
            raise ExchangeError(
                "is a file, not a folder: choose a folder for the CSV files.", file=str(folder)
            )
    except OSError as exc:
        raise _oserror(exc, folder) from exc
    temps: dict[str, Path] = {}
    handles: dict[str, IO[Any]] = {}
    try:
        try:
            for name in names:
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
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        raise
    _fsync_folder(folder)


def _discard(handle: IO[Any] | None, temp: Path) -> None:
    if handle is not None:
        with contextlib.suppress(OSError):
            handle.close()
    with contextlib.suppress(OSError):
        temp.unlink(missing_ok=True)
