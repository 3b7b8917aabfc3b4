"""What differs between database engines, behind one interface.

Everything SQLite-specific (pragmas, FTS5 queries, the backup API, integrity
checks) lives in ``SqliteBackend``; the PostgreSQL backend for teams will
implement the same methods. Nothing outside ``store/`` sees either.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Protocol, cast

from sqlalchemy import ColumnElement, Engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

BUSY_TIMEOUT_MS = 10_000

_TOKEN = re.compile(r"\w+", re.UNICODE)
_PLAIN_PREFIX = re.compile(r"[a-z0-9]+")

#: A last word that starts more index terms than this stays a prefix query.
MAX_PREFIX_TERMS = 32


class Backend(Protocol):
    name: str

    # Hashable: compiled filters are cached per backend (``store.timeline``).
    def __hash__(self) -> int: ...

    def configure(self, engine: Engine, *, read_only: bool) -> None: ...

    def text_match(
        self, id_column: ColumnElement[int], query: str
    ) -> ColumnElement[bool] | None: ...

    def text_match_count(self, connection: Connection, query: str) -> int: ...

    def text_search(self, connection: Connection, query: str) -> str | None: ...

    def search_match(
        self, id_column: ColumnElement[int], search: str, *, probe: bool
    ) -> ColumnElement[bool]: ...

    def search_count(self, connection: Connection, search: str) -> int: ...

    def text_rank(
        self, connection: Connection, words: Sequence[str], ids: Sequence[int]
    ) -> dict[int, float]: ...

    def check(self, connection: Connection, *, read_only: bool) -> list[str]: ...


#: ts_rank grows without bound; x / (x + RANK_HALF) maps it onto 0..1 (store/postgres.py).
RANK_HALF = 4.0
#: Words of a probe looked up in the full-text index (duplicates).
RANK_WORDS = 4


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
            # 8 MiB a connection: the OS caches the file anyway, and the pool holds
            # a connection per thread (GUI, workers); 32 MiB each cost ~70 MiB of
            # resident memory on a million incidents for no measurable speed.
            cursor.execute("PRAGMA cache_size = -8192")
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

    def text_match(self, id_column: ColumnElement[int], query: str) -> ColumnElement[bool] | None:
        match = fts_query(query)
        if match is None:
            return None
        return self.search_match(id_column, match, probe=False)

    def text_match_count(self, connection: Connection, query: str) -> int:
        match = fts_query(query)
        return 0 if match is None else self.search_count(connection, match)

    def text_search(self, connection: Connection, query: str) -> str | None:
        """``fts_query`` with the prefix of the last word spelled out as the terms it starts.

        FTS5 answers a prefix query by merging the lists of every term that
        starts with it, again for each probe of one row: 60 ms a probe for
        "attack*" on a million incidents, against 0.05 ms for the term(s)
        spelled out. The terms come from the ``incident_fts_vocab`` table
        (migration 0003). Only plain ASCII prefixes are spelled out, since only
        there is the tokenizer's folding (lower case) certain; others, and
        prefixes of more than ``MAX_PREFIX_TERMS`` terms, stay prefix queries,
        which give the same rows, more slowly.
        """
        match = fts_query(query)
        if match is None or not match.endswith('"*'):
            return match
        head, _, last = match.rpartition(" ")
        prefix = last[1:-2].lower()
        if not _PLAIN_PREFIX.fullmatch(prefix):
            return match
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        try:
            terms = [row[0] for row in connection.execute(
                text("SELECT term FROM incident_fts_vocab WHERE term >= :low AND term < :high "
                     "LIMIT :limit"),
                {"low": prefix, "high": upper, "limit": MAX_PREFIX_TERMS + 1})]
        except OperationalError:  # a database from before migration 0003, opened read-only
            return match
        if not terms or len(terms) > MAX_PREFIX_TERMS:
            return match
        spelled = f'"{terms[0]}"' if len(terms) == 1 \
            else "(" + " OR ".join(f'"{term}"' for term in terms) + ")"
        return f"{head} AND {spelled}" if head else spelled

    def search_match(
        self, id_column: ColumnElement[int], search: str, *, probe: bool
    ) -> ColumnElement[bool]:
        """Rows matching an FTS5 query: as an IN list, or by probing the index row by row.

        The IN list is built once (0.5 µs a match); a probe costs ~50 µs but
        needs no list, which wins when most rows match and only the first
        page is wanted (see ``queries.choose_text_plan``).
        """
        if probe:
            return cast(ColumnElement[bool], text(
                "EXISTS (SELECT 1 FROM incident_fts WHERE incident_fts MATCH :fts "
                "AND incident_fts.rowid = incident.id)").bindparams(fts=search))
        return id_column.in_(
            text("SELECT rowid FROM incident_fts WHERE incident_fts MATCH :fts").bindparams(
                fts=search
            )
        )

    def search_count(self, connection: Connection, search: str) -> int:
        """Rows the full-text index matches, the trash included (it is indexed too)."""
        return int(
            connection.execute(
                text("SELECT count(*) FROM incident_fts WHERE incident_fts MATCH :fts"),
                {"fts": search},
            ).scalar_one()
        )

    def text_rank(
        self, connection: Connection, words: Sequence[str], ids: Sequence[int]
    ) -> dict[int, float]:
        """0..1 per row of ``ids``: the share of ``words`` its full-text document holds.

        Not bm25: FTS5 counts every row holding each word to weigh it, 3.7 s for two
        common words on a million incidents; a word looked up among ``ids`` only is
        a few milliseconds. The ``RANK_WORDS`` longest words are asked (rarer, as a rule).
        """
        chosen = sorted(dict.fromkeys(w for w in words if w), key=len, reverse=True)
        chosen = chosen[:RANK_WORDS]
        if not chosen or not ids:
            return {}
        marks = ", ".join(str(int(row_id)) for row_id in ids)
        statement = text("SELECT rowid FROM incident_fts WHERE incident_fts MATCH :fts "
                         f"AND rowid IN ({marks})")
        hits: dict[int, int] = {}
        for word in chosen:
            for (row_id,) in connection.execute(statement, {"fts": f'"{word}"'}):
                hits[row_id] = hits.get(row_id, 0) + 1
        return {row_id: count / len(chosen) for row_id, count in hits.items()}

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
