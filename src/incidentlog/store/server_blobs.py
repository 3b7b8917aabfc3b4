"""The evidence store of a server log: bytes in the database, 1 MiB a row (docs/evidence.md).

``TableBlobStore`` implements ``BlobStore`` over the tables ``blob(sha256, size,
media_type)`` and ``blob_chunk(sha256, seq, data)`` (migration 0013). Putting bytes is
one streamed pass, as in the folder store: each chunk is hashed (on a second thread)
while it is sent, under a provisional key; at the end the chunks are given their hash
and sealed by the blob row, or dropped (a savepoint rolled back) when those bytes are
stored already. A failure at any point leaves nothing: the chunks were never committed.

Bound to a connection (``bound``), the bytes go into that connection's transaction, so
that they commit with the attachment rows that name them (``services/evidence.py``);
unbound, each put is a transaction of its own (the files of a package, stored before
its records). Reading streams the chunks back one query each: memory stays at a chunk or
two whatever the size.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

from sqlalchemy import and_, delete, exists, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from incidentlog.domain.errors import ReadOnlyError, ReviewModeError, StorageError
from incidentlog.domain.evidence import StoredBlob, is_sha256
from incidentlog.store.blobs import CHUNK, SNIFF_BYTES, Progress, sniff_media_type
from incidentlog.store.database import Database, translate_errors
from incidentlog.store.schema import attachment_table, blob_chunk_table, blob_table

_B, _C = blob_table, blob_chunk_table
#: The provisional key of chunks being written: never a SHA-256 (those are hex only).
PENDING = "pending-"


class TableBlobStore:
    """Bytes by hash in a server log's ``blob``/``blob_chunk`` tables."""

    def __init__(self, database: Database, connection: Connection | None = None) -> None:
        self._db = database
        self._connection = connection

    def bound(self, connection: Connection) -> TableBlobStore:
        """This store writing into ``connection``'s transaction."""
        return TableBlobStore(self._db, connection)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction that does not yet hold the log's write lock: bytes can be
        sent for minutes without holding up the other desks' saves; ``lock_for_write``
        takes the lock for the rows that follow (the audit log's chain needs it)."""
        if self._db.read_only:
            raise ReadOnlyError(f"The database {self._db.location}")
        if self._db.review_only:  # comments and verdicts only (docs/review.md)
            raise ReviewModeError(f"The database {self._db.location}")
        with (translate_errors(self._db.location), self._db.engine.connect() as connection,
              connection.begin()):
            yield connection

    @staticmethod
    def lock_for_write(connection: Connection) -> None:
        from incidentlog.store.server import WRITE_LOCK

        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    # --- reading ------------------------------------------------------------------------

    def has(self, sha256: str) -> bool:
        with self._db.read() as connection:
            return connection.execute(
                select(_B.c.sha256).where(_B.c.sha256 == sha256)).first() is not None

    def size(self, sha256: str) -> int | None:
        with self._db.read() as connection:
            found = connection.execute(select(_B.c.size).where(_B.c.sha256 == sha256)).first()
        return None if found is None else int(found[0])

    def open(self, sha256: str) -> IO[bytes]:
        size = self.size(sha256)
        if size is None:
            raise StorageError(f"The evidence file {sha256} is missing from {self._db.location}.",
                               self._db.location)
        return io.BufferedReader(_ChunkReader(self._db, sha256, size), CHUNK)

    def hashes(self) -> Iterator[str]:
        """Every hash stored."""
        with self._db.read() as connection:
            yield from connection.execute(select(_B.c.sha256).order_by(_B.c.sha256)).scalars()

    def problem(self, sha256: str) -> str | None:
        """Why the stored bytes of ``sha256`` are not what the name says; None if they are."""
        with self._db.read() as connection:
            size = connection.execute(select(_B.c.size).where(_B.c.sha256 == sha256)).first()
            if size is None:
                return "its bytes are missing from the server log"
            hasher = hashlib.sha256()
            total = seq = 0
            while total < size[0]:
                data = read_chunk(connection, sha256, seq)
                if data is None:
                    return f"its chunk {seq} is missing from the server log"
                hasher.update(data)
                total += len(data)
                seq += 1
            chunks = connection.execute(select(func.count()).where(_C.c.sha256 == sha256)
                                        ).scalar_one()
        digest = hasher.hexdigest()
        if digest != sha256 or chunks != seq:
            return f"its bytes no longer match their hash (they now hash to {digest})"
        if total != size[0]:
            return f"its stored bytes are {total:,} long, not the {size[0]:,} it says"
        return None

    # --- putting bytes ------------------------------------------------------------------

    def put(self, reading: IO[bytes], *, expected_size: int | None = None,
            progress: Progress | None = None) -> StoredBlob:
        """Store what ``reading`` gives, to its end; refuse it if it is not
        ``expected_size`` bytes (the file changed while read). Empty input is refused."""
        if self._connection is None:
            with self.writing() as connection:
                return self.bound(connection).put(reading, expected_size=expected_size,
                                                  progress=progress)
        connection = self._connection
        pending = PENDING + uuid.uuid4().hex
        savepoint = connection.begin_nested()
        try:
            digest, size, head = self._send(connection, pending, reading, progress)
            if size == 0:
                raise StorageError("The file is empty (0 bytes): there is nothing to keep.")
            if expected_size is not None and size != expected_size:
                raise StorageError(
                    f"The file changed while it was being copied ({size:,} bytes read, "
                    f"{expected_size:,} expected). Nothing was kept; try again.")
            new = self._seal(connection, pending, digest, size, sniff_media_type(head))
        except BaseException:
            if savepoint.is_active:
                with contextlib.suppress(Exception):  # the connection itself may be gone
                    savepoint.rollback()
            raise
        if new:
            savepoint.commit()
        else:
            savepoint.rollback()  # those bytes are stored already: ours go
            self._hold(connection, digest)
        return StoredBlob(digest, size, sniff_media_type(head), new=new)

    def _send(self, connection: Connection, pending: str, reading: IO[bytes],
              progress: Progress | None) -> tuple[str, int, bytes]:
        """Each chunk sent as one row while a second thread hashes it (hashlib and the
        socket both let go of the GIL); at most two chunks are held."""
        hasher = hashlib.sha256()
        size = seq = 0
        head = b""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as hashing:
            pending_hash: Future[None] | None = None
            try:
                while chunk := reading.read(CHUNK):
                    if pending_hash is not None:
                        pending_hash.result()
                    pending_hash = hashing.submit(hasher.update, chunk)
                    if len(head) < SNIFF_BYTES:
                        head += chunk[: SNIFF_BYTES - len(head)]
                    connection.execute(insert(_C).values(sha256=pending, seq=seq, data=chunk))
                    seq += 1
                    size += len(chunk)
                    if progress is not None:
                        progress(size)
            except OSError as exc:
                raise StorageError(
                    f"The file could not be read ({exc.strerror or exc}). Nothing was kept.",
                ) from exc
            finally:
                if pending_hash is not None:
                    pending_hash.result()
        return hasher.hexdigest(), size, head

    def _seal(self, connection: Connection, pending: str, digest: str, size: int,
              media_type: str) -> bool:
        """Name the chunks by their hash and write the blob row; False if stored already."""
        if self._stored(connection, digest):
            return False
        try:
            with connection.begin_nested():
                connection.execute(update(_C).where(_C.c.sha256 == pending)
                                   .values(sha256=digest))
                connection.execute(insert(_B).values(sha256=digest, size=size,
                                                     media_type=media_type))
        except IntegrityError:
            # Another desk stored the same bytes meanwhile and committed first.
            if self._stored(connection, digest):
                return False
            raise
        return True

    @staticmethod
    def _stored(connection: Connection, digest: str) -> bool:
        return connection.execute(select(_B.c.sha256).where(_B.c.sha256 == digest)).first() \
            is not None

    @staticmethod
    def _hold(connection: Connection, digest: str) -> None:
        """Keep the stored bytes of ``digest`` from being purged until this transaction
        ends (a purge that began first has removed them: then this attach fails)."""
        held = connection.execute(select(_B.c.sha256).where(_B.c.sha256 == digest)
                                  .with_for_update(key_share=True)).first()
        if held is None:
            raise StorageError("The same file was removed from the log by a purge while it "
                               "was being attached. Nothing was kept; try again.")


class _ChunkReader(io.RawIOBase):
    """The bytes of one blob, read chunk by chunk (one query each) on a connection
    held while the reader is open."""

    def __init__(self, database: Database, sha256: str, size: int) -> None:
        if not is_sha256(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        self._db = database
        self._sha256 = sha256
        self._left = size
        self._seq = 0
        self._chunk = memoryview(b"")
        self._connection: Connection | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._chunk:
            if self._left <= 0:
                return 0
            self._chunk = memoryview(self._next())
        count = min(len(buffer), len(self._chunk))
        buffer[:count] = self._chunk[:count]
        self._chunk = self._chunk[count:]
        self._left -= count
        return count

    def _next(self) -> bytes:
        if self._connection is None:
            self._connection = self._db.engine.connect()
        with translate_errors(self._db.location):
            data = read_chunk(self._connection, self._sha256, self._seq)
            self._connection.rollback()  # no transaction held between two chunks
        if not data:
            raise StorageError(f"The evidence file {self._sha256} is cut short in "
                               f"{self._db.location} (chunk {self._seq} is missing).")
        self._seq += 1
        return data

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        super().close()


def read_chunk(connection: Connection, sha256: str, seq: int) -> bytes | None:
    """One chunk, or None. Asked for in binary: the driver's default, text, would send
    the bytes as hex, twice their size, and decode them (a fifth of the speed)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cursor:
        cursor.execute("SELECT data FROM blob_chunk WHERE sha256 = %s AND seq = %s",
                       (sha256, seq))
        row = cursor.fetchone()
    return None if row is None else bytes(row[0])


# --- purging ------------------------------------------------------------------------------


def attached_hashes(connection: Connection, table_name: str, uid: str) -> set[str]:
    """The hashes of the files attached to the record ``uid`` of ``table_name``, on a
    server (a file log keeps its bytes beside it, and never removes them)."""
    if connection.dialect.name != "postgresql" or table_name not in ("source", "incident"):
        return set()
    from incidentlog.store.schema import metadata

    table = metadata.tables[table_name]
    owner = attachment_table.c.source_id if table_name == "source" else \
        attachment_table.c.incident_id
    return set(connection.execute(
        select(attachment_table.c.sha256).join(table, owner == table.c.id)
        .where(table.c.uid == uid)).scalars())


def remove_unused(connection: Connection, hashes: Iterable[str]) -> int:
    """Remove the stored bytes of ``hashes`` that no attachment names any more (a lead's
    purge); those another record uses stay. Returns how many were removed."""
    wanted = sorted(hashes)
    if not wanted:
        return 0
    used = exists().where(attachment_table.c.sha256 == _B.c.sha256)
    gone = list(connection.execute(
        delete(_B).where(and_(_B.c.sha256.in_(wanted), ~used)).returning(_B.c.sha256)
    ).scalars())
    if gone:
        connection.execute(delete(_C).where(_C.c.sha256.in_(gone)))
    return len(gone)
