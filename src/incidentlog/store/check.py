"""A full check of a database: storage, audit chain and the domain rules of every record.

Opening a database checks only what is cheap (``store/database.py``). This is
the thorough check behind ``incidentlog check`` and the GUI's "Check
database": it reads everything once and reports what is wrong in sentences a
person can act on, and it changes nothing.

Records are streamed in chunks so that memory stays flat on a large log, and
the list of problems is capped: a thousand damaged records are one problem to
act on, not a thousand lines to scroll.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, RowMapping

from incidentlog.domain.validation import incident_errors, quote_errors, source_errors
from incidentlog.store.audit import verify_chain
from incidentlog.store.backup import anchor_problem, read_anchor
from incidentlog.store.database import Database, read_only_uri
from incidentlog.store.records import (
    QUOTE_SELECT,
    incident_values,
    quote_from_row,
    source_from_row,
    tags_of,
)
from incidentlog.store.replay import record_name, replay_problems
from incidentlog.store.row_mapping import incident_from_row
from incidentlog.store.schema import incident_table, quote_table, source_table

#: At most this many record problems are listed; the rest are counted.
MAX_RECORD_PROBLEMS = 50

#: Rows read per query while streaming the records.
CHUNK = 1000


def check_database(database: Database) -> list[str]:
    """Every problem found in ``database``, one sentence each; an empty list when sound.

    Checks, in order: SQLite's ``integrity_check`` and ``foreign_key_check``
    and the full-text index (through the backend), the audit log's hash chain
    and that it still holds what the last backup recorded of it (the audit
    anchor, ``store/backup.py``), the validation rules of every live
    incident, source and quote, and that every record the audit log knows
    holds what its entries say (``store/replay.py``). A
    read-only database is never written: its full-text index is checked on a
    temporary copy, because SQLite checks an FTS5 index only through an INSERT.
    """
    problems: list[str] = []
    if database.read_only:
        with database.read() as connection:
            problems.extend(map(_one_line, database.backend.check(connection, read_only=True)))
        problems.extend(_full_text_check_on_copy(database))
    else:
        # The FTS5 check is an INSERT: take the write lock up front rather than
        # upgrading a read transaction, which can fail if someone wrote meanwhile.
        with database.write() as connection:
            problems.extend(map(_one_line, database.backend.check(connection, read_only=False)))
    with database.read() as connection:
        problems.extend(verify_chain(connection))
        problems.extend(_anchor_problems(database, connection))
        problems.extend(_record_problems(connection))
    return problems


def _anchor_problems(database: Database, connection: Connection) -> list[str]:
    """Entries that the last backup saw and that are gone or different now.

    The hash chain shows an altered entry, but not that the newest ones were
    removed, nor a chain recomputed from some entry on; the head recorded
    outside the database at the last backup does.
    """
    if database.path is None or database.backend.name != "sqlite":
        return []
    anchor = read_anchor(database.path)
    if anchor is None:
        return []

    def fetch(sql: str, parameters: tuple[Any, ...] = ()) -> Any:
        return connection.exec_driver_sql(sql, parameters).fetchone()

    problem = anchor_problem(anchor, fetch)
    return [problem] if problem else []


def _one_line(problem: str) -> str:
    """A backend problem without the SQL and link that SQLAlchemy appends to a driver error."""
    first = problem.split("\n", 1)[0]
    return re.sub(r"\((?:sqlite3|psycopg)\.\w+\) ", "", first)


def _full_text_check_on_copy(database: Database) -> list[str]:
    """Check the FTS5 index of a read-only SQLite file on a throw-away copy of it."""
    if database.backend.name != "sqlite" or database.path is None:
        return []
    with tempfile.TemporaryDirectory(prefix="incidentlog-check-") as folder:
        copy_path = Path(folder) / "copy.sqlite3"
        try:
            source = sqlite3.connect(read_only_uri(database.path), uri=True, timeout=10)
            try:
                copy = sqlite3.connect(copy_path)
                try:
                    source.backup(copy)
                    copy.execute(
                        "INSERT INTO incident_fts(incident_fts, rank) VALUES ('integrity-check', 1)"
                    )
                finally:
                    copy.close()
            finally:
                source.close()
        except sqlite3.OperationalError as exc:
            if "full" in str(exc).lower():
                return [
                    "full-text index: not checked, there is no room for a temporary copy "
                    f"in {tempfile.gettempdir()}"
                ]
            return [f"full-text index: {exc}"]
        except sqlite3.DatabaseError as exc:  # FTS5 reports a damaged index as corruption
            return [f"full-text index: {exc}"]
        except OSError as exc:
            return [f"full-text index: not checked, no temporary copy could be made ({exc})"]
    return []


def _record_problems(connection: Connection) -> Iterator[str]:
    """The domain-rule problems of every live record, capped at ``MAX_RECORD_PROBLEMS``."""
    found = 0
    for problem in _all_record_problems(connection):
        found += 1
        if found <= MAX_RECORD_PROBLEMS:
            yield problem
    if found > MAX_RECORD_PROBLEMS:
        more = found - MAX_RECORD_PROBLEMS
        yield f"… and {more:,} more record problem{'s' if more != 1 else ''} not listed"


def _all_record_problems(connection: Connection) -> Iterator[str]:
    for rows in _chunks(connection, incident_table, select(incident_table)):
        tags = tags_of(connection, [row["id"] for row in rows])
        for row in rows:
            yield from _incident_problems(row, tags[row["id"]])
    for rows in _chunks(connection, source_table, select(source_table)):
        for row in rows:
            yield from _problems("source", row, lambda r: source_errors(source_from_row(r)))
    for rows in _chunks(connection, quote_table, QUOTE_SELECT):
        for row in rows:
            yield from _problems("quote", row, lambda r: quote_errors(quote_from_row(r)))
    yield from replay_problems(connection)


def _chunks(connection: Connection, table: Table, query: Any) -> Iterator[list[RowMapping]]:
    """Live rows of ``table`` in id order, ``CHUNK`` at a time (keyset paging)."""
    last_id = 0
    while True:
        rows = [
            row._mapping
            for row in connection.execute(
                query.where(table.c.deleted_at.is_(None), table.c.id > last_id)
                .order_by(table.c.id)
                .limit(CHUNK)
            )
        ]
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]


def _incident_problems(row: RowMapping, tags: list[str]) -> Iterator[str]:
    def errors(r: RowMapping) -> dict[str, str]:
        incident = incident_from_row(r, tags)
        found = incident_errors(incident)
        # The date filter relies on the stored end of the interval.
        if incident.occurred is not None and "occurred_at" not in found:
            expected_end = incident_values(incident)["occurred_end"]
            if r["occurred_end"] != expected_end:
                found["occurred_end"] = (
                    f"is {r['occurred_end']} but the {incident.occurred.precision.label} "
                    f"that begins {r['occurred_at']} ends {expected_end}"
                )
        return found

    yield from _problems("incident", row, errors)


def _problems(
    kind: str,
    row: RowMapping,
    errors_of: Callable[[RowMapping], dict[str, str]],
) -> Iterator[str]:
    """One sentence per broken field; a row that cannot even be read is one problem."""
    name = _name(kind, row)
    try:
        errors = errors_of(row)
    except (ValueError, TypeError, KeyError) as exc:  # a stored value outside its vocabulary
        yield f"{name}: cannot be read ({exc})"
        return
    for field, text in errors.items():
        yield f"{name}: {field}: {text}"


def _name(kind: str, row: RowMapping) -> str:
    return record_name(kind, row.get("ref") if kind == "incident" else None, row["uid"])
