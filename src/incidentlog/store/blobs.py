"""The evidence store: bytes named by their SHA-256, stored once (docs/evidence.md).

``BlobStore`` is what the rest of incidentlog asks of a store; ``FolderBlobStore``
keeps the bytes in a folder beside the log file (``<log>.evidence/``), one
file per hash. Beside the log and not inside it because evidence is often
video of gigabytes: SQLite would copy it into every backup and every
``VACUUM``, and the log would stop being a file one mails. A team server
implements the same protocol over its own storage (large objects, or an
object store).

Putting bytes is one streamed pass: the hash is computed while the bytes are
copied into a temporary file of the store, in fixed-size chunks; the file is
fsynced, made read-only and renamed to its hash (or dropped if that hash is
already stored), and the folder is fsynced. A failure at any point (the
source vanishing or changing while read, a full disk) removes the temporary
file this call created, and nothing else: no half-stored file is ever under a
hash name, and files the store did not create are never unlinked.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, Protocol

from incidentlog.domain.errors import StorageError
from incidentlog.domain.evidence import StoredBlob, is_sha256
from incidentlog.store.safe_paths import make_private_folder

#: Bytes read and written per step: memory stays at this whatever the file's size.
CHUNK = 1024 * 1024
#: Bytes the kernel copies per step (``copy_file_range``); hashed on a second thread.
KERNEL_CHUNK = 8 * CHUNK
#: What the store keeps its files as: readable by their owner, written by nobody.
STORED_FILE = 0o400
#: The bytes read to tell a file's media type.
SNIFF_BYTES = 8192

Progress = Callable[[int], None]


class BlobStore(Protocol):
    """Bytes by hash. Implementations: ``FolderBlobStore`` (a folder beside the log)."""

    def put(self, reading: IO[bytes], *, expected_size: int | None = None,
            progress: Progress | None = None) -> StoredBlob: ...

    def has(self, sha256: str) -> bool: ...

    def open(self, sha256: str) -> IO[bytes]: ...

    def problem(self, sha256: str) -> str | None: ...


def sniff_media_type(head: bytes) -> str:
    """The media type of bytes that begin with ``head``, from their content.

    ``filetype`` knows the magic numbers of images, video, audio, archives and
    documents; what it does not know is told apart here: web archives, web
    pages and plain text (which have no magic number).
    """
    import filetype  # (imported when a file is stored, not at start-up)

    if head.startswith(b"WARC/1."):
        return "application/warc"
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    lowered = head[:1024].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<svg"):
        return "image/svg+xml" if b"<svg" in lowered else "application/xml"
    if lowered.startswith(b"%pdf"):
        return "application/pdf"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sniffed bytes is still text.
        if exc.start < len(head) - 4 or b"\x00" in head:
            return "application/octet-stream"
    return "text/plain" if b"\x00" not in head else "application/octet-stream"


class FolderBlobStore:
    """Bytes by hash in ``root/sha256/ab/<hash>``; partial files in ``root/tmp``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._no_kernel_copy = False

    @classmethod
    def beside(cls, database_path: Path) -> FolderBlobStore:
        """The store of the log at ``database_path``: ``<file>.evidence`` next to it."""
        return cls(database_path.with_name(f"{database_path.name}.evidence"))

    def path(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> IO[bytes]:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise StorageError(
                f"The evidence file {sha256} is missing from {self.root}.", str(self.root)
            ) from None

    def hashes(self) -> Iterator[str]:
        """Every hash stored (for a check of files no record uses)."""
        folder = self.root / "sha256"
        if folder.is_dir():
            for entry in sorted(folder.glob("??/*")):
                if is_sha256(entry.name):
                    yield entry.name

    def problem(self, sha256: str) -> str | None:
        """Why the stored bytes of ``sha256`` are not what the name says; None if they are."""
        path = self.path(sha256)
        try:
            with path.open("rb") as reading:
                digest = file_digest(reading)
        except FileNotFoundError:
            return "its file is missing from the evidence store"
        except OSError as exc:
            return f"its file cannot be read ({exc.strerror or exc})"
        if digest != sha256:
            return f"its file no longer matches its hash (it now hashes to {digest})"
        return None

    # --- putting bytes ------------------------------------------------------------------

    def put(self, reading: IO[bytes], *, expected_size: int | None = None,
            progress: Progress | None = None) -> StoredBlob:
        """Store what ``reading`` gives, to its end; refuse it if it is not
        ``expected_size`` bytes (the file changed while read). Empty input is refused."""
        make_private_folder(self.root / "tmp")
        # mkstemp makes the file owner-only (0600).
        descriptor, temp_name = tempfile.mkstemp(prefix=".put-", dir=self.root / "tmp")
        temp = Path(temp_name)
        try:
            if _in_kernel(reading):
                digest, size, head = self._copy_file(reading.fileno(), descriptor, progress)
            else:
                digest, size, head = self._copy(reading, descriptor, progress)
            if size == 0:
                raise StorageError("The file is empty (0 bytes): there is nothing to keep.")
            if expected_size is not None and size != expected_size:
                raise StorageError(
                    f"The file changed while it was being copied ({size:,} bytes read, "
                    f"{expected_size:,} expected). Nothing was kept; try again."
                )
            os.fsync(descriptor)
            with contextlib.suppress(OSError):
                os.fchmod(descriptor, STORED_FILE)
            os.close(descriptor)
            descriptor = -1
            new = self._settle(temp, digest)
        except OSError as exc:
            raise _storage_error(exc, self.root) from exc
        finally:
            if descriptor >= 0:
                os.close(descriptor)
            temp.unlink(missing_ok=True)  # ours: made by mkstemp above
        return StoredBlob(digest, size, sniff_media_type(head), new=new)

    def _copy(self, reading: IO[bytes], descriptor: int,
              progress: Progress | None) -> tuple[str, int, bytes]:
        """Hash and write each chunk at the same time: hashlib and ``os.write`` both let go
        of the GIL, so a second thread hashes while this one writes (the hash then costs
        little beyond the copy). At most two chunks are held: memory stays flat."""
        hasher = hashlib.sha256()
        size = 0
        head = b""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as hashing:
            pending: Future[None] | None = None
            while chunk := reading.read(CHUNK):
                if pending is not None:
                    pending.result()  # in order, and no more than one chunk ahead
                pending = hashing.submit(hasher.update, chunk)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                self._write(descriptor, chunk)
                size += len(chunk)
                if progress is not None:
                    progress(size)
            if pending is not None:
                pending.result()
        return hasher.hexdigest(), size, head

    def _copy_file(self, source: int, descriptor: int,
                   progress: Progress | None) -> tuple[str, int, bytes]:
        """A regular file: copied by the kernel (``copy_file_range``: no pass through
        Python, as ``cp`` does), and what was *written* hashed, read back from the page
        cache on a second thread while the next chunk is copied."""
        hasher = hashlib.sha256()
        size = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as hashing:
            pending: Future[None] | None = None
            while copied := self._transfer(source, descriptor, KERNEL_CHUNK):
                if pending is not None:
                    pending.result()
                pending = hashing.submit(_hash_range, hasher, descriptor, size, copied)
                size += copied
                if progress is not None:
                    progress(size)
            if pending is not None:
                pending.result()
        return hasher.hexdigest(), size, os.pread(descriptor, SNIFF_BYTES, 0)

    def _transfer(self, source: int, descriptor: int, count: int) -> int:
        """Copy up to ``count`` bytes from ``source`` to ``descriptor``; 0 at the end."""
        if not self._no_kernel_copy:
            try:
                return os.copy_file_range(source, descriptor, count)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP,
                                     errno.EBADF):
                    raise
                self._no_kernel_copy = True  # another file system, an old kernel
        data = os.read(source, count)
        self._write(descriptor, data)
        return len(data)

    def _write(self, descriptor: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]

    def _settle(self, temp: Path, digest: str) -> bool:
        """Give ``temp`` its hash name; False (and ``temp`` left to be removed) if stored."""
        target = self.path(digest)
        if target.is_file():
            return False
        make_private_folder(target.parent)
        try:
            # link, not rename: it fails rather than replace a file of that name that
            # another process stored meanwhile (the same bytes, by its name).
            target.hardlink_to(temp)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            temp.replace(target)  # a file system without hard links
        _fsync_folder(target.parent)
        return True


def _in_kernel(reading: IO[bytes]) -> bool:
    """Whether ``reading`` is a regular file read from its start, which the kernel can copy."""
    if not hasattr(os, "copy_file_range") or not isinstance(reading, io.BufferedReader):
        return False
    try:
        return reading.tell() == 0 and _is_regular(os.fstat(reading.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def _hash_range(hasher: Any, descriptor: int, offset: int, length: int) -> None:
    start, end = offset, offset + length
    while offset < end:
        chunk = os.pread(descriptor, min(CHUNK, end - offset), offset)
        if not chunk:
            raise OSError(errno.EIO, "the copy is shorter than what was written")
        hasher.update(chunk)
        offset += len(chunk)
    if hasattr(os, "posix_fadvise"):
        # Hashed: its pages may go to the disk now, while the next ones copy and hash,
        # rather than all at once in the final fsync (docs/performance.md).
        os.posix_fadvise(descriptor, start, length, os.POSIX_FADV_DONTNEED)


def file_digest(reading: IO[bytes]) -> str:
    """The SHA-256 of what ``reading`` gives, read in ``CHUNK``s."""
    hasher = hashlib.sha256()
    while chunk := reading.read(CHUNK):
        hasher.update(chunk)
    return hasher.hexdigest()


def put_file(store: BlobStore, path: Path, progress: Progress | None = None) -> StoredBlob:
    """Store the regular file at ``path``; refuse it if it vanishes or changes meanwhile."""
    try:
        reading = path.open("rb")
    except FileNotFoundError:
        raise StorageError(f"{path} does not exist.", str(path)) from None
    except OSError as exc:
        raise StorageError(f"{path} cannot be read: {exc.strerror or exc}.", str(path)) from exc
    with reading:
        before = os.fstat(reading.fileno())
        if not _is_regular(before.st_mode):
            raise StorageError(f"{path} is not a regular file; only files can be attached.")
        blob = store.put(reading, expected_size=before.st_size, progress=progress)
    try:
        after = path.stat()
    except FileNotFoundError:
        raise StorageError(
            f"{path} vanished while it was being copied. Nothing was attached.", str(path)
        ) from None
    if (after.st_ino, after.st_size, after.st_mtime_ns) != (
        before.st_ino, before.st_size, before.st_mtime_ns
    ):
        raise StorageError(
            f"{path} changed while it was being copied. Nothing was attached; try again.",
            str(path),
        )
    return blob


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no folder descriptors)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _storage_error(exc: OSError, root: Path) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(
            f"The disk holding the evidence store {root} is full. Nothing was kept; free "
            "some space and try again.",
            str(root),
        )
    return StorageError(
        f"The evidence store {root} cannot be written: {exc.strerror or exc}.", str(root)
    )
