"""``PostgresBackend``: store/backend.py's protocol on a PostgreSQL server (docs/team.md).

Full-text search reads the GIN index over the stored ``search_document``
(store/postgres_sql.py) with the same rule as the FTS5 search: every word must
appear, and the last one, unless followed by a space or shorter than two
letters, matches as a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from sqlalchemy import ColumnElement, Engine, event, text
from sqlalchemy.engine import Connection

from incidentlog.store.backend import RANK_HALF
from incidentlog.store.postgres_sql import SEARCH_COLUMN

#: What FTS5's unicode61 tokenizer takes as one word: letters and digits (``_`` separates).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: The stored document (0012): no plan computes ``incident_document()`` again.
DOCUMENT = f"incident.{SEARCH_COLUMN}"
_TSQUERY = f"{DOCUMENT} @@ to_tsquery('pg_catalog.simple', incidentlog_fold(:tsq))"


def ts_query(user_text: str) -> str | None:
    """What a person typed as ``to_tsquery`` text: words ANDed, the last one a prefix.

    Each word is quoted, so that no input is a syntax error; the server folds
    accents and case as it does for the index (``incidentlog_words``, ``simple``).
    """
    words = _WORD.findall(user_text)
    if not words:
        return None
    quoted = [f"'{word}'" for word in words]
    if not user_text.rstrip()[-1:].isspace() and len(words[-1]) >= 2:
        quoted[-1] += ":*"
    return " & ".join(quoted)


#: SQLSTATE of an integrity violation → SQLite's wording of it, so that one sentence says
#: it on either engine (``storage_error``).
_INTEGRITY = {"23514": "CHECK constraint failed: {constraint}",
              "23505": "UNIQUE constraint failed: {constraint}",
              "23503": "FOREIGN KEY constraint failed",
              "23502": "NOT NULL constraint failed: {table}.{column}"}


def integrity_message(exc: BaseException | None) -> str | None:
    """A server's integrity violation in SQLite's words; None for any other error."""
    diag = getattr(exc, "diag", None)
    template = _INTEGRITY.get(str(getattr(exc, "sqlstate", "") or ""))
    if diag is None or template is None:
        return None
    return template.format(constraint=diag.constraint_name, table=diag.table_name,
                           column=diag.column_name)


class PostgresBackend:
    name = "postgresql"

    def configure(self, engine: Engine, *, read_only: bool) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            # A reader's connection refuses writes itself, whatever the grants say.
            if read_only:
                cursor.execute("SET default_transaction_read_only = on")
            # A statement stuck behind another user's lock gives up rather than hang the
            # window: as SQLite's busy timeout (store/backend.py).
            cursor.execute("SET lock_timeout = '10s'")
            # The window's queries are short; compiling one costs more than it saves (a
            # search's count on a million incidents: +150 ms, docs/performance.md).
            cursor.execute("SET jit = off")
            # A word in most incidents matches ~850,000 rows: with the default 4 MB their
            # bitmap turns lossy and every row of the table is tested again (before the
            # document was stored, 0012, a count took 120 s instead of 2.7 s,
            # docs/performance.md).
            cursor.execute("SET work_mem = '64MB'")
            # Id lists stream through a server-side cursor and are read whole: plan them
            # for all their rows, not for the first tenth (store/queries.py id_chunks).
            cursor.execute("SET cursor_tuple_fraction = 1.0")
            cursor.close()
            dbapi_connection.commit()  # type: ignore[attr-defined]

    def text_match(self, id_column: ColumnElement[int], query: str) -> ColumnElement[bool] | None:
        search = ts_query(query)
        return None if search is None else self.search_match(id_column, search, probe=False)

    def text_match_count(self, connection: Connection, query: str) -> int:
        search = ts_query(query)
        return 0 if search is None else self.search_count(connection, search)

    def text_search(self, connection: Connection, query: str) -> str | None:
        # The GIN index answers a prefix as fast as a word: nothing to spell out.
        return ts_query(query)

    def search_match(
        self, id_column: ColumnElement[int], search: str, *, probe: bool
    ) -> ColumnElement[bool]:
        """Rows matching a ``ts_query``: a condition on the row's own stored document, so
        that the planner chooses between the GIN index (a bitmap, ANDed with the other
        conditions' indexes) and testing the rows it walks in the sort's order; not a
        list from a second pass over the table (``probe`` is SQLite's choice)."""
        name = getattr(id_column, "table", None)
        owner = "incident" if name is None else str(getattr(name, "name", "incident"))
        return cast(ColumnElement[bool], text(
            _TSQUERY.replace("incident.", f"{owner}.", 1)).bindparams(tsq=search))

    def search_count(self, connection: Connection, search: str) -> int:
        """Rows the full-text index matches, the trash included (as on SQLite)."""
        return int(connection.execute(
            text(f"SELECT count(*) FROM incident WHERE {_TSQUERY}"), {"tsq": search}
        ).scalar_one())

    def text_rank(
        self, connection: Connection, words: Sequence[str], ids: Sequence[int]
    ) -> dict[int, float]:
        """0..1 per row of ``ids`` that has any of ``words``: ``ts_rank``, folded (duplicates)."""
        terms = [_WORD.findall(word) for word in dict.fromkeys(words)]
        quoted = [f"'{part}'" for parts in terms for part in parts]
        if not quoted or not ids:
            return {}
        rank = (f"ts_rank({DOCUMENT}, to_tsquery('pg_catalog.simple', "
                "incidentlog_fold(:tsq)))")
        rows = connection.execute(text(
            f"SELECT incident.id, {rank} * 10 FROM incident WHERE incident.id = ANY(:ids) "
            f"AND {_TSQUERY}"), {"tsq": " | ".join(quoted), "ids": list(ids)})
        return {row_id: float(value) / (float(value) + RANK_HALF) for row_id, value in rows}

    def check(self, connection: Connection, *, read_only: bool) -> list[str]:
        """Foreign keys, and the indexes through ``amcheck`` where the server has it."""
        problems = _foreign_key_problems(connection)
        problems.extend(_index_problems(connection))
        return problems


#: (child table, column, parent table) of every foreign key in the schema.
_FOREIGN_KEYS = (
    ("incident_source", "incident_id", "incident"),
    ("incident_source", "source_id", "source"),
    ("incident_tag", "incident_id", "incident"),
    ("incident_link", "from_id", "incident"),
    ("incident_link", "to_id", "incident"),
    ("quote", "incident_id", "incident"),
    ("quote", "source_id", "source"),
)


def _foreign_key_problems(connection: Connection) -> list[str]:
    """Rows pointing to a missing parent (a constraint disabled or dropped by hand)."""
    problems: list[str] = []
    for child, column, parent in _FOREIGN_KEYS:
        rows = connection.exec_driver_sql(
            f"SELECT c.ctid::text FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {parent} p WHERE p.id = c.{column}) LIMIT 20").fetchall()
        problems.extend(f"foreign key: {child} row {row[0]} points to a missing {parent}"
                        for row in rows)
    return problems


def _index_problems(connection: Connection) -> list[str]:
    """B-tree indexes ``amcheck`` finds damaged; nothing when it is not installed or this
    login may not run it.

    ``bt_index_check`` takes only the lock a read takes; creating the extension is left
    to the server's administrator (``CREATE EXTENSION amcheck``, docs/team.md).
    """
    schema = connection.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'amcheck'"
    ).scalar()
    # Not installed, or this login may not run it (only a superuser may, unless granted).
    if schema is None or not connection.exec_driver_sql(
            f"SELECT has_function_privilege('{schema}.bt_index_check(regclass)', 'EXECUTE')"
    ).scalar():
        return []
    indexes = connection.exec_driver_sql(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.amname = 'btree' AND n.nspname = current_schema() AND i.indisvalid "
        "ORDER BY c.relname").scalars().all()
    problems: list[str] = []
    for index in indexes:
        connection.exec_driver_sql("SAVEPOINT amcheck")
        try:
            connection.exec_driver_sql(f"SELECT {schema}.bt_index_check(%(i)s::regclass)",
                                       {"i": index})
        except Exception as exc:  # amcheck reports damage as an error
            connection.exec_driver_sql("ROLLBACK TO SAVEPOINT amcheck")
            problems.append(f"index {index}: {str(exc).splitlines()[0]}")
        else:
            connection.exec_driver_sql("RELEASE SAVEPOINT amcheck")
    return problems
