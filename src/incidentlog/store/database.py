"""Opening, creating, migrating and closing an incidentlog database.

``open_database`` inspects an existing file through a read-only SQLite
connection before anything can write to it, so that a file that is not ours,
is newer than this application, or is damaged is refused and left
byte-for-byte as it was. An older schema is backed up (verified) and migrated.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from incidentlog.domain.errors import ReadOnlyError, ReviewModeError, StorageError
from incidentlog.store.actors import seed_actors
from incidentlog.store.backend import Backend, SqliteBackend
from incidentlog.store.file_format import (
    APPLICATION_ID,
    MIGRATIONS,
    SQLITE_HEADER,
    head_revision,
    known_revisions,
)
from incidentlog.store.postgres import integrity_message
from incidentlog.store.safe_paths import (
    make_private_folder,
    refuse_unless_regular,
    remove_stale_spools,
)
from incidentlog.store.schema import vocabulary_table
from incidentlog.store.server_address import is_server

#: Below this size the whole file is checked on open (``PRAGMA quick_check``);
#: above it only the header and schema, since a full check of a million
#: incidents takes seconds. ``incidentlog check`` always checks everything.
QUICK_CHECK_LIMIT_BYTES = 64 * 1024 * 1024


def _alembic_config() -> Any:
    # Alembic is imported only to create or migrate a file: its import costs a
    # sixth of a second at every start-up otherwise.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@dataclass
class FileState:
    """What a read-only look at an existing file found."""

    revision: str | None
    application_id: int
    tables: set[str] = field(default_factory=set)


@contextlib.contextmanager
def translate_errors(path: str | None = None) -> Iterator[None]:
    """Turn SQLite's errors into ones a user can act on; let bugs through."""
    try:
        yield
    except DBAPIError as exc:
        raise storage_error(exc.orig, path) from exc
    except sqlite3.DatabaseError as exc:
        raise storage_error(exc, path) from exc


def storage_error(exc: BaseException | None, path: str | None) -> Exception:
    integrity = integrity_message(exc)
    if integrity is not None:
        return StorageError(f"The database refused the change: {integrity}.", path)
    text = str(exc).lower()
    where = f" ({path})" if path else ""
    if "readonly" in text or "read-only" in text or "query_only" in text:
        return ReadOnlyError(f"The database{where}")
    if "connection" in text and any(w in text for w in ("terminat", "closed", "lost")):
        return StorageError(
            f"The connection to the database{where} was lost; the change was not made "
            "(a transaction is kept whole or not at all). Try again.",
            path,
        )
    if "permission denied" in text:  # a server's role that may not do this (docs/team.md)
        return StorageError(
            f"The server refused the change{where}: your role may not do this "
            f"({str(exc).strip().splitlines()[0]}). Nothing was changed.",
            path,
        )
    if "locked" in text or "busy" in text or "lock timeout" in text:
        return StorageError(
            f"The database{where} is busy: another program is writing to it. "
            "Nothing was changed; try again in a moment.",
            path,
        )
    if "full" in text:
        return StorageError(
            f"The disk holding the database{where} is full. Nothing was changed; "
            "free some space and try again.",
            path,
        )
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return StorageError(
            f"The database file{where} is damaged ({exc}). It was not changed; "
            "restore a backup or run 'incidentlog check'.",
            path,
        )
    if "unable to open" in text or "disk i/o" in text:
        return StorageError(f"The database file{where} cannot be read or written ({exc}).", path)
    if isinstance(exc, sqlite3.IntegrityError):
        return StorageError(f"The database refused the change: {exc}.", path)
    return StorageError(f"The database{where} reported an error: {exc}.", path)


def _is_busy(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "lock timeout" in text


#: How often a write waiting for an import tells ``Database.on_wait``.
WAIT_NOTICE_S = 0.25


class Database:
    """An open incidentlog database: its engine, where it is, and whether it is writable."""

    def __init__(
        self,
        engine: Engine,
        backend: Backend,
        *,
        path: Path | None,
        read_only: bool,
    ) -> None:
        self.engine = engine
        self.backend = backend
        self.path = path
        self.read_only = read_only
        self._write_engine = engine.execution_options(write=True)
        #: The thread holding a long write transaction (an import), and how to wait for it.
        self._long_writer: int | None = None
        self._long_writes_begun = 0
        self._long_write_over = threading.Condition()
        #: Called about every ``WAIT_NOTICE_S`` while a write waits for a long one (the
        #: window shows a notice); None: wait quietly.
        self.on_wait: Callable[[], None] | None = None
        #: How long a write goes on trying, after SQLite's busy timeout, while another
        #: program holds the write lock (an import from the command line holds it for
        #: its whole transaction); 0: refused as busy (``StorageError``) after the busy
        #: timeout. The window is patient: a desk officer's save waits and succeeds.
        self.patience_s = 0.0
        #: The server's name for who is connected (its login), which the audit log records;
        #: None for a file, whose user names themself.
        self.login: str | None = None
        #: How a server log is shown (its address without the password); None for a file.
        self.display: str | None = None
        #: Opened in review mode (docs/review.md): the facts are read-only, and only the
        #: writes that say ``review=True`` (comments and verdicts) may be made.
        self.review_only = False

    @property
    def location(self) -> str:
        if self.path:
            return str(self.path)
        return self.display or self.engine.url.render_as_string()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a read transaction (a consistent snapshot)."""
        with (
            translate_errors(self.location),
            self.engine.connect() as connection,
            connection.begin(),
        ):
            yield connection

    @contextlib.contextmanager
    def write(self, *, review: bool = False) -> Iterator[Connection]:
        """One write transaction: takes the write lock first, commits or rolls back whole.

        ``review``: a comment or a verdict, which review mode allows.

        While a long write of this process holds the lock (``long_write``: an import,
        one transaction that may last longer than the busy timeout), this waits for it
        to end instead of being refused as busy.
        """
        if self.read_only:
            raise ReadOnlyError(f"The database {self.location}")
        if self.review_only and not review:
            raise ReviewModeError(f"The database {self.location}")
        with translate_errors(self.location), self._locked() as connection:
            yield connection

    @contextlib.contextmanager
    def long_write(self) -> Iterator[Connection]:
        """``write`` for a transaction that may hold the lock for minutes (an import):
        the other writers of this process wait for it rather than time out."""
        with self._long_write_over:
            while self._long_writer is not None:  # one at a time; the second waits too
                self._long_write_over.wait()
            self._long_writer = threading.get_ident()
            self._long_writes_begun += 1
        try:
            with self.write() as connection:
                yield connection
        finally:
            with self._long_write_over:
                self._long_writer = None
                self._long_write_over.notify_all()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Connection]:
        """A connection in a write transaction that holds the lock."""
        started = time.monotonic()
        while True:
            self._wait_for_long_write()
            begun = self._long_writes_begun
            connection = self._write_engine.connect()
            try:
                transaction = connection.begin()
            except DBAPIError as exc:
                connection.close()
                # Busy because a long write began while this one was already waiting in
                # SQLite (it may even have ended since): wait for it here, and try again.
                if _is_busy(exc) and (
                    self._long_write_elsewhere() or self._long_writes_begun != begun
                ):
                    continue
                # Busy because another program writes (a long import): a patient writer
                # says so and tries again, until its patience is spent.
                if _is_busy(exc) and time.monotonic() - started < self.patience_s:
                    if self.on_wait is not None:
                        self.on_wait()
                    continue
                raise
            except BaseException:
                connection.close()
                raise
            break
        with connection, transaction:
            yield connection

    def _long_write_elsewhere(self) -> bool:
        writer = self._long_writer
        return writer is not None and writer != threading.get_ident()

    def _wait_for_long_write(self) -> None:
        while self._long_write_elsewhere():
            with self._long_write_over:
                if self._long_write_elsewhere():
                    self._long_write_over.wait(WAIT_NOTICE_S)
            # Outside the lock: the notice may run the window's events for a moment.
            if self.on_wait is not None and self._long_write_elsewhere():
                self.on_wait()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def read_only_uri(path: Path) -> str:
    """The SQLite URI that opens ``path`` for reading only, wherever it lies.

    Normally ``mode=ro``. But SQLite reads a WAL database through its ``-shm``
    file, which the last connection to close removes: on read-only media or in
    a folder the user cannot write (a write-protected evidence folder, a
    mounted image, a DVD) it cannot be made again, and ``mode=ro`` fails. The
    file is then opened ``immutable``: without locks or a ``-shm``, which is
    right because nothing can change a file in such a folder. Only when no
    ``-wal`` (or rollback ``-journal``) holds pages: opened that way, SQLite
    would not read them, and the log would silently look as it was before its
    last changes; such a file is refused with ``StorageError`` (see
    docs/reliability.md).
    """
    if Path(f"{path}-shm").exists() or os.access(path.parent, os.W_OK):
        return f"file:{path}?mode=ro"
    for journal in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if journal.exists() and journal.stat().st_size > 0:
            raise StorageError(
                f"{path} cannot be read where it is: its last changes are still in "
                f"{journal.name}, and SQLite needs to write beside it to read them. Copy both "
                "files to a folder you can write and open the copy.",
                str(path),
            )
    return f"file:{path}?mode=ro&immutable=1"


def _sqlite_url(path: Path, *, read_only: bool) -> str:
    if read_only:
        return f"sqlite+pysqlite:///{read_only_uri(path)}&uri=true"
    return f"sqlite+pysqlite:///{path}"


def _make_engine(path: Path, *, read_only: bool) -> tuple[Engine, SqliteBackend]:
    engine = create_engine(
        _sqlite_url(path, read_only=read_only),
        poolclass=NullPool if read_only else None,
        connect_args={"check_same_thread": False, "timeout": 10},
    )
    backend = SqliteBackend()
    backend.configure(engine, read_only=read_only)
    return engine, backend


def inspect_file(path: Path) -> FileState:
    """Look at an existing file without any chance of writing to it.

    Raises ``StorageError`` for a file that is not an SQLite database, not
    ours, newer than this application, or damaged.
    """
    refuse_unless_regular(path)  # opening a pipe or a device to read it could hang
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise StorageError(f"{path} cannot be read: {exc.strerror}.", str(path)) from exc
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        raise StorageError(
            f"{path} is not an incidentlog database (it is not an SQLite file at all). "
            "It was left unchanged.",
            str(path),
        )
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise storage_error(exc, str(path)) from exc
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if application_id != APPLICATION_ID:
            raise StorageError(
                f"{path} is an SQLite database of another application, not of incidentlog. "
                "It was left unchanged.",
                str(path),
            )
        revision = None
        if "alembic_version" in tables:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        if path.stat().st_size <= QUICK_CHECK_LIMIT_BYTES:
            result = connection.execute("PRAGMA quick_check").fetchall()
            if [tuple(r) for r in result] != [("ok",)]:
                raise StorageError(
                    f"{path} is damaged ({result[0][0]}). It was left unchanged; restore a backup.",
                    str(path),
                )
    except sqlite3.DatabaseError as exc:
        raise storage_error(exc, str(path)) from exc
    finally:
        connection.close()
    if revision is not None and revision not in known_revisions():
        raise StorageError(
            f"{path} was written by a newer version of incidentlog (schema {revision}). "
            "Update incidentlog to open it; the file was left unchanged.",
            str(path),
        )
    return FileState(revision=revision, application_id=application_id, tables=tables)


def default_vocabularies() -> dict[str, list[str]]:
    data = resources.files("incidentlog.resources").joinpath("vocabularies.json").read_bytes()
    loaded: dict[str, list[str]] = orjson.loads(data)
    return loaded


def _upgrade(connection: Connection) -> None:
    from alembic import command

    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _create(path: Path) -> None:
    """Create a new database at ``path`` atomically: built aside, then renamed."""
    make_private_folder(path.parent)
    # mkstemp makes the file owner-only (0600); the database keeps that mode.
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        raw = sqlite3.connect(temp)
        raw.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        raw.execute("PRAGMA journal_mode = WAL")
        raw.close()
        engine, _backend = _make_engine(temp, read_only=False)
        try:
            with (
                engine.execution_options(write=True).connect() as connection,
                connection.begin(),
            ):
                _upgrade(connection)
                rows = [
                    {"kind": kind, "value": value}
                    for kind, values in default_vocabularies().items()
                    for value in values
                ]
                connection.execute(insert(vocabulary_table), rows)
                seed_actors(connection)
            with engine.connect() as connection:
                # Fold the WAL into the file before it is renamed into place.
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{temp}{suffix}").unlink(missing_ok=True)
        temp.replace(path)
    except BaseException:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)
        raise


def open_database(
    target: str | os.PathLike[str],
    *,
    read_only: bool = False,
    backup_dir: Path | None = None,
    backup_keep: int | None = None,
) -> Database:
    """Open (creating or migrating as needed) the SQLite database at ``target``, or the
    log on a server for ``postgresql://user@host:port/db`` (store/server.py).

    - a path that does not exist is created at the latest schema (not when
      ``read_only``);
    - an older schema is backed up to ``backup_dir`` (verified) and migrated; the
      newest ``backup_keep`` pre-migration backups are kept (default ``DEFAULT_KEEP``);
    - a newer schema, a file that is not ours or a damaged file raises
      ``StorageError`` and is not modified;
    - ``read_only`` opens the file read-only: every write raises ``ReadOnlyError``;
    - a path that is neither missing nor a regular file (a folder, a pipe, a
      device, a symbolic link) raises ``StorageError`` before anything opens it;
    - opened for writing, the spool folders of killed imports beside it are removed.
    """
    if is_server(target):
        from incidentlog.store.server import open_server

        return open_server(str(target), read_only=read_only)
    path = Path(target).expanduser().absolute()
    # A folder, a pipe, a device or a link is refused before anything opens it: a pipe
    # would hang the read, and creating a database over any of them would destroy it.
    exists = refuse_unless_regular(path, "The database") and path.stat().st_size > 0
    if not exists:
        _create_new(path, read_only)
    else:
        _bring_up_to_date(path, read_only, backup_dir, backup_keep)
    if not read_only and not os.access(path, os.W_OK):
        read_only = True  # a file the user cannot write is opened read-only (docs/reliability.md)
    if not read_only:
        remove_stale_spools(path.parent)  # what imports killed before left beside it
    engine, backend = _make_engine(path, read_only=read_only)
    database = Database(engine, backend, path=path, read_only=read_only)
    # Touch the file now so that a failure to open is reported here, not at first use.
    with database.read() as connection:
        connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar_one()
    return database



def _create_new(path: Path, read_only: bool) -> None:
    """A new database at ``path`` (an empty regular file there is replaced)."""
    if read_only:
        raise StorageError(f"There is no database at {path}.", str(path))
    try:
        # An empty regular file holds nothing: the new database is renamed over it.
        _create(path)
    except OSError as exc:
        raise StorageError(
            f"A database cannot be created at {path}: {exc.strerror or exc}.", str(path)
        ) from exc
    except SQLAlchemyError as exc:
        raise storage_error(getattr(exc, "orig", exc), str(path)) from exc


def _bring_up_to_date(path: Path, read_only: bool, backup_dir: Path | None,
                      backup_keep: int | None) -> None:
    """Refuse a file that is not ours; migrate an older schema (backed up first)."""
    state = inspect_file(path)
    if state.revision == head_revision():
        return
    if read_only:
        raise StorageError(
            f"{path} was made by an older incidentlog and must be upgraded before use; "
            "open it once without --read-only (a backup is made first).",
            str(path),
        )
    if not os.access(path, os.W_OK):
        raise StorageError(
            f"{path} must be upgraded to this version of incidentlog but cannot be "
            "written. It was left unchanged.",
            str(path),
        )
    _migrate(path, backup_dir, backup_keep)

def _migrate(path: Path, backup_dir: Path | None, keep: int | None) -> None:
    from incidentlog.store.backup import DEFAULT_KEEP, backup_database

    backup_database(
        path,
        backup_dir=backup_dir,
        reason="pre-migration",
        keep=DEFAULT_KEEP if keep is None else keep,
    )
    engine, _backend = _make_engine(path, read_only=False)
    try:
        with (
            translate_errors(str(path)),
            engine.execution_options(write=True).connect() as connection,
            connection.begin(),
        ):
            _upgrade(connection)
    finally:
        engine.dispose()


def new_uid() -> str:
    return str(uuid.uuid4())


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
