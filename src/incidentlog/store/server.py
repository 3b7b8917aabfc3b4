"""Opening, creating and migrating a log on a PostgreSQL server (docs/team.md).

As for files (store/database.py): a database is looked at before anything is
written to it; one of another application (tables but no incidentlog identity)
or of a newer incidentlog is refused with a sentence and left as it was; an
empty database is given the schema through the same Alembic migrations, the
roles and their grants, in one transaction (PostgreSQL's DDL is transactional:
a failure leaves the database empty). A login that may not write (a reader) gets
a read-only ``Database`` by itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from incidentlog.domain.errors import StorageError
from incidentlog.store.actors import seed_actors
from incidentlog.store.database import (
    Database,
    FileState,
    _upgrade,
    default_vocabularies,
)
from incidentlog.store.file_format import APPLICATION_ID, head_revision, known_revisions
from incidentlog.store.postgres import PostgresBackend
from incidentlog.store.postgres_sql import IDENTITY_TABLE, ROLES, role_statements
from incidentlog.store.schema import vocabulary_table
from incidentlog.store.server_address import is_server

__all__ = ["grant", "init_server", "inspect_server", "is_server", "open_server"]

#: An advisory lock every write transaction takes first: writers queue one behind the
#: other, as SQLite's write lock makes them, so that the optimistic lock's "read the
#: version, then write" cannot interleave between two users.
WRITE_LOCK = APPLICATION_ID


def server_url(target: str) -> URL:
    try:
        url = make_url(target)
    except ArgumentError as exc:
        raise StorageError(f"{target} is not a PostgreSQL address ({exc}).") from exc
    return url.set(drivername="postgresql+psycopg")


def shown(url: URL) -> str:
    """The address as a person would type it, without the password."""
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def _engine(url: URL, **options: Any) -> Engine:
    try:
        import psycopg  # noqa: F401  (only to say what is missing)
    except ImportError as exc:
        raise StorageError(
            "Opening a log on a PostgreSQL server needs the psycopg driver: "
            "pip install 'incidentlog[server]'.") from exc
    return create_engine(url, pool_pre_ping=True, **options)


@contextlib.contextmanager
def _translated(url: URL) -> Iterator[None]:
    where = shown(url)
    try:
        yield
    except DBAPIError as exc:
        raise server_error(exc.orig, where) from exc


def server_error(exc: BaseException | None, where: str) -> StorageError:
    """A server's refusal in a sentence (store/database.py's ``storage_error`` for files)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    lowered = message.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return StorageError(f"The server refused the login for {where}: wrong user or "
                            "password.", where)
    if "does not exist" in lowered and "database" in lowered:
        return StorageError(f"There is no database {where}; ask the server's administrator "
                            "to create it (docs/team.md).", where)
    if "connection" in lowered or "could not" in lowered or "timeout" in lowered:
        return StorageError(f"The server for {where} cannot be reached ({message}).", where)
    if "permission denied" in lowered or "must be owner" in lowered:
        return StorageError(f"The server refused: {message}. Your role on {where} does not "
                            "allow this (docs/team.md, roles).", where)
    return StorageError(f"The server for {where} reported an error: {message}.", where)


def inspect_server(connection: Connection, where: str) -> FileState:
    """What the database holds; ``StorageError`` for another application's or a newer one."""
    tables = set(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
    if not tables:
        return FileState(revision=None, application_id=0, tables=tables)
    application_id = 0
    if IDENTITY_TABLE in tables:
        application_id = int(connection.execute(text(
            f"SELECT application_id FROM {IDENTITY_TABLE}")).scalar() or 0)
    if application_id != APPLICATION_ID:
        raise StorageError(
            f"The database {where} holds the tables of another application, not an "
            "incidentlog log. It was left unchanged.", where)
    revision = None
    if "alembic_version" in tables:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision is not None and revision not in known_revisions():
        raise StorageError(
            f"The log {where} was written by a newer version of incidentlog (schema "
            f"{revision}). Update incidentlog to open it; it was left unchanged.", where)
    return FileState(revision=revision, application_id=application_id, tables=tables)


def open_server(target: str, *, read_only: bool = False) -> Database:
    """``open_database`` for ``postgresql://user@host:port/db`` (see its rules)."""
    url = server_url(target)
    where = shown(url)
    setup = _engine(url, poolclass=NullPool)
    try:
        with _translated(url), setup.connect() as connection, connection.begin():
            state = inspect_server(connection, where)
            if state.revision != head_revision():
                if read_only:
                    raise StorageError(
                        f"The log {where} is empty or made by an older incidentlog; open it "
                        "once without --read-only (with a lead's login) to set it up.", where)
                _set_up(connection, state)
            login = str(connection.execute(text("SELECT current_user")).scalar_one())
            writable, reviews = connection.execute(text(
                "SELECT has_table_privilege('incident', 'INSERT') AND NOT pg_is_in_recovery(), "
                "has_table_privilege('verdict', 'INSERT') AND NOT pg_is_in_recovery()")).one()
    finally:
        setup.dispose()
    # A reader's login opens read-only by itself; a reviewer's in review mode (comments
    # and verdicts only: the database refuses the rest to that login too).
    review_only = bool(reviews) and not writable and not read_only
    read_only = read_only or not (writable or review_only)
    engine = _engine(url, pool_size=4, max_overflow=4)
    backend = PostgresBackend()
    backend.configure(engine, read_only=read_only)
    _serialize_writers(engine)
    database = Database(engine, backend, path=None, read_only=read_only)
    database.login = login
    database.display = where
    database.review_only = review_only
    return database


def _serialize_writers(engine: Engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get("write"):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")


def _set_up(connection: Connection, state: FileState) -> None:
    """Migrate to the latest schema (an empty database: the whole schema), then roles."""
    _upgrade(connection)
    if state.revision is None:
        rows = [{"kind": kind, "value": value}
                for kind, values in default_vocabularies().items() for value in values]
        connection.execute(insert(vocabulary_table), rows)
        seed_actors(connection)
    grant_roles(connection)


def grant_roles(connection: Connection) -> None:
    """The three roles and their grants on every table of the log (idempotent)."""
    schema = str(connection.execute(text("SELECT current_schema()")).scalar_one())
    tables = sorted(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
    for statement in role_statements(tables, schema):
        connection.exec_driver_sql(statement)


def grant(target: str, user: str, role: str) -> str:
    """Give login ``user`` the ``role`` (reader, reviewer, officer or lead) on the server,
    and no other of the four; the sentence that says what was done."""
    if role not in ROLES:
        raise StorageError(f"{role} is not a role: reader, reviewer, officer or lead.")
    url = server_url(target)
    engine = _engine(url, poolclass=NullPool)
    quoted = engine.dialect.identifier_preparer.quote(user)
    try:
        with _translated(url), engine.connect() as connection, connection.begin():
            state = inspect_server(connection, shown(url))
            if state.revision is None:
                raise StorageError(f"There is no incidentlog log at {shown(url)} yet; "
                                   "run 'incidentlog init' there first.", shown(url))
            exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :u"),
                                        {"u": user}).first()
            if exists is None:
                raise StorageError(f"There is no login {user} on the server; the "
                                   f"administrator creates it first (CREATE ROLE {quoted} "
                                   "LOGIN PASSWORD '…', docs/team.md).", shown(url))
            for other in ROLES.values():
                connection.exec_driver_sql(f"REVOKE {other} FROM {quoted}")
            connection.exec_driver_sql(f"GRANT {ROLES[role]} TO {quoted}")
    finally:
        engine.dispose()
    return f"{user} is now {'an' if role[0] in 'aeiou' else 'a'} {role} of {shown(url)}."


def init_server(target: str) -> str:
    """``incidentlog init`` on a server: the schema and roles in an empty database (or an
    older log migrated); the sentence that says which."""
    url = server_url(target)
    where = shown(url)
    engine = _engine(url, poolclass=NullPool)
    try:
        with _translated(url), engine.connect() as connection, connection.begin():
            before = inspect_server(connection, where).revision
    finally:
        engine.dispose()
    open_server(target).close()
    if before is None:
        roles = ", ".join(ROLES.values())
        return (f"Created a new log on {where}, with the roles {roles} "
                "(give them to logins with 'incidentlog grant').")
    if before != head_revision():
        return f"Upgraded the log on {where}."
    return f"The log on {where} already exists and is ready."
