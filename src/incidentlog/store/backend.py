"""What differs between database engines, behind one interface.

Everything SQLite-specific (pragmas, FTS5 queries, the backup API, integrity
checks) lives in ``SqliteBackend``; the PostgreSQL backend for teams will
implement the same methods. Nothing outside ``store/`` sees either.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Engine, event, text
from sqlalchemy.engine import Connection

#: ``PRAGMA application_id`` of an incidentlog database: "ILOG".
APPLICATION_ID = 0x494C4F47
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000

_TOKEN = re.compile(r"\w+", re.UNICODE)


class Backend(Protocol):
    name: str

    def configure(self, engine: Engine, *, read_only: bool) -> None: ...

    def text_match(self, id_column: Any, query: str) -> ColumnElement[bool] | None: ...

    def text_match_count(self, connection: Connection, query: str) -> int: ...

    def check(self, connection: Connection, *, read_only: bool) -> list[str]: ...


def fts_query(user_text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 query.

    Every word must appear (AND); the last word matches as a prefix so that
    results follow typing. FTS5 operators and quotes in the input are taken as
    plain words, so no input can be a syntax error.
    """
    words = _TOKEN.findall(user_text)
    if not words:
        return None
    quoted = [f'"{word}"' for word in words]
    if not user_text.rstrip()[-1:].isspace() and len(words[-1]) >= 2:
        quoted[-1] += "*"
    return " ".join(quoted)


class SqliteBackend:
    name = "sqlite"

    def configure(self, engine: Engine, *, read_only: bool) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            # Let SQLAlchemy's "begin" event below emit BEGIN itself, so that
            # writes can take the write lock up front (BEGIN IMMEDIATE) instead
            # of failing with SQLITE_BUSY half-way through a transaction.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA cache_size = -32768")  # 32 MiB
            cursor.execute("PRAGMA temp_store = MEMORY")
            if read_only:
                cursor.execute("PRAGMA query_only = ON")
            else:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            if connection.get_execution_options().get("write"):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("BEGIN")

    def text_match(self, id_column: Any, query: str) -> ColumnElement[bool] | None:
        match = fts_query(query)
        if match is None:
            return None
        return id_column.in_(
            text("SELECT rowid FROM incident_fts WHERE incident_fts MATCH :fts").bindparams(
                fts=match
            )
        )

    def text_match_count(self, connection: Connection, query: str) -> int:
        match = fts_query(query)
        if match is None:
            return 0
        return int(
            connection.execute(
                text("SELECT count(*) FROM incident_fts WHERE incident_fts MATCH :fts"),
                {"fts": match},
            ).scalar_one()
        )

    def check(self, connection: Connection, *, read_only: bool) -> list[str]:
        """Problems found by SQLite's own checks and the FTS index; empty when sound."""
        problems: list[str] = []
        rows = connection.exec_driver_sql("PRAGMA integrity_check").fetchall()
        if [tuple(row) for row in rows] != [("ok",)]:
            problems.extend(f"integrity: {row[0]}" for row in rows[:20])
        for table, rowid, parent, _fk in connection.exec_driver_sql(
            "PRAGMA foreign_key_check"
        ).fetchall()[:20]:
            problems.append(f"foreign key: {table} row {rowid} points to a missing {parent}")
        if read_only:  # FTS5 checks itself through an INSERT, which query_only refuses
            return problems
        try:
            connection.exec_driver_sql(
                "INSERT INTO incident_fts(incident_fts, rank) VALUES ('integrity-check', 1)"
            )
        except Exception as exc:  # the FTS module reports corruption as an error
            problems.append(f"full-text index: {exc}")
        return problems
