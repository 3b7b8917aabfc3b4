"""Bulk reads and writes for export and import: plain tuples through the DBAPI cursor.

The services read and write one record at a time through SQLAlchemy Core, which
is right for a form and far too slow for a million rows: building a ``Row`` and
its ``_mapping`` per row, or a dict of parameters per row, costs more than
SQLite's own work. Export and import therefore stream here:

- ``stream`` runs a SQLAlchemy ``Select`` (built where the conditions are
  known, e.g. ``exchange.scope``) in the caller's transaction and yields
  batches of plain tuples, in the select's column order, read straight from
  the DBAPI cursor;
- ``tags_by_incident``, ``links_by_incident`` and ``citing_refs`` read what a
  batch of records refers to with one query per batch (never one per row);
- ``insert_rows``, ``ids_by_uid`` and friends write and look up many rows with
  one ``executemany`` or one ``IN`` query per batch;
- ``DeferredIndexes`` and ``page_cache`` let an import into an empty log build
  its indexes once at the end, with a larger page cache meanwhile;
- ``UidLedger`` keeps the uids of a file being checked on disk.

Every function takes an open ``Connection`` inside the caller's transaction and
never commits. The queries are built with SQLAlchemy from ``store.schema``; what
is SQLite's own (``sqlite_master``, pragmas, the FTS ``rebuild``, the ledger's
scratch database) is said where it is used, for the PostgreSQL backend to
provide its way.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, Table, bindparam, select
from sqlalchemy.engine import Connection

from incidentlog.store.safe_paths import create_private_file
from incidentlog.store.schema import (
    incident_source_table,
    incident_table,
    incident_tag_table,
    period_table,
    quote_table,
    source_table,
)

__all__ = [
    "BATCH",
    "DeferredIndexes",
    "UidLedger",
    "citing_refs",
    "ids_by_uid",
    "insert_rows",
    "links_by_incident",
    "page_cache",
    "rows_by_uid",
    "stream",
    "tables_empty",
    "tags_by_incident",
    "uids_by_ref",
]

#: Rows per batch and ids per ``IN`` list: large enough that per-batch queries are
#: few, small enough that a batch of full rows is a few hundred kilobytes and an
#: ``IN`` list stays far below SQLite's limit of bound parameters.
BATCH = 500


def _cursor(connection: Connection) -> Any:
    # The DBAPI connection under the SQLAlchemy one: same transaction, same snapshot.
    return connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def stream(
    connection: Connection, query: Select[Any], size: int = BATCH
) -> Iterator[Sequence[Any]]:
    """Batches of the rows of ``query`` as tuples, streamed (memory stays flat).

    SQLAlchemy runs the statement (its compiled cache, its events, its error
    translation); the rows are then read from the DBAPI cursor under the result,
    as the driver's plain tuples, without a ``Row`` and its type processing each.
    """
    result = connection.execute(query)
    cursor = result.cursor
    try:
        while True:
            rows = cursor.fetchmany(size)
            if not rows:
                return
            yield rows
    finally:
        result.close()


def fetch_all(
    connection: Connection, query: Any, parameters: dict[str, Any] | None = None
) -> Sequence[Any]:
    """All rows of a small query as tuples."""
    result = connection.execute(query, parameters or {})
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


# The per-batch lookups take their ids as one expanding parameter: the statement is
# built and compiled once (SQLAlchemy caches it), not once per batch with 500 literals.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)


@lru_cache(maxsize=1)
def _tags_query() -> Select[Any]:
    t = incident_tag_table
    return select(t.c.incident_id, t.c.tag).where(t.c.incident_id.in_(_IDS))


@lru_cache(maxsize=1)
def _links_query() -> Select[Any]:
    link, source = incident_source_table, source_table
    return (
        select(link.c.incident_id, source.c.uid, link.c.note, source.c.title, source.c.url)
        .join(source, source.c.id == link.c.source_id)
        .where(link.c.incident_id.in_(_IDS), source.c.deleted_at.is_(None))
    )


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _grouped(
    connection: Connection,
    query: Select[Any],
    ids: Sequence[int],
    *,
    whole: bool = False,
    key: Callable[[Any], Any] | None = None,
) -> dict[int, list[Any]]:
    """The rows of ``query`` for ``ids`` (its ``:ids``, a batch at a time) grouped by
    their first column: the second column each (the rest as a tuple if ``whole``),
    every group sorted by ``key`` (code-point order, whatever the database's
    collation)."""
    found: dict[int, list[Any]] = {}
    for chunk in _chunks(ids):
        for row in fetch_all(connection, query, {"ids": chunk}):
            item = tuple(row[1:]) if whole else row[1]
            group = found.get(row[0])
            if group is None:
                found[row[0]] = [item]
            else:
                group.append(item)
    for group in found.values():
        if len(group) > 1:
            group.sort(key=key)
    return found


def tags_by_incident(connection: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    """The tags of each incident of ``ids`` that has any, in code-point order."""
    return _grouped(connection, _tags_query(), ids)


def links_by_incident(
    connection: Connection, ids: Sequence[int]
) -> dict[int, list[tuple[str, str | None, str | None, str | None]]]:
    """Citations of live sources by the incidents of ``ids``: ``(source uid, note,
    source title, source url)`` each, ordered by source uid."""
    return _grouped(connection, _links_query(), ids, whole=True, key=_first)


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


def citing_refs(
    connection: Connection,
    source_ids: Sequence[int],
    incident_where: Iterable[ColumnElement[bool]],
) -> dict[int, list[str]]:
    """The refs of the incidents (those meeting ``incident_where``) citing each source,
    in code-point order."""
    link = incident_source_table
    query = (
        select(link.c.source_id, incident_table.c.ref)
        .join(incident_table, incident_table.c.id == link.c.incident_id)
        .where(link.c.source_id.in_(_IDS), *incident_where)
    )
    return _grouped(connection, query, source_ids)


# --- writing ---------------------------------------------------------------------------


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (tuples in the order of ``columns``) with one ``executemany``."""
    if not rows:
        return
    cursor = _cursor(connection)
    try:
        cursor.executemany(insert_sql(connection, table, columns), rows)
    finally:
        cursor.close()


def insert_sql(connection: Connection, table: Table, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns...) VALUES (?, ...)`` in the driver's parameter style,
    with the columns in the order given (SQLAlchemy's ``insert`` follows the table's)."""
    quote = connection.dialect.identifier_preparer.quote
    style = connection.dialect.paramstyle
    marks = ", ".join(
        "?" if style == "qmark" else f":{n + 1}" if style == "numeric" else "%s"
        for n in range(len(columns))
    )
    names = ", ".join(quote(name) for name in columns)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"


def ids_by_uid(connection: Connection, table: Table, uids: Iterable[str]) -> dict[str, int]:
    """Row ids of the records of ``table`` with these uids (those that exist)."""
    found: dict[str, int] = {}
    query = _ids_query(table)
    for chunk in _chunks(list(uids)):
        for uid, row_id in fetch_all(connection, query, {"ids": chunk}):
            found[uid] = row_id
    return found


def rows_by_uid(connection: Connection, table: Table, uids: Sequence[str]) -> dict[str, Any]:
    """The whole rows (``Row._mapping``, read by name) of the records with these uids."""
    found: dict[str, Any] = {}
    query = _rows_query(table)
    for chunk in _chunks(uids):
        for row in connection.execute(query, {"ids": chunk}):
            found[row.uid] = row._mapping
    return found


def uids_by_ref(connection: Connection, refs: Iterable[str]) -> dict[str, str]:
    """The uid of the incident holding each of these refs (those that are used)."""
    found: dict[str, str] = {}
    for chunk in _chunks(list(refs)):
        for ref, uid in fetch_all(connection, _refs_query(), {"ids": chunk}):
            found[ref] = uid
    return found


@lru_cache(maxsize=1)
def _refs_query() -> Select[Any]:
    return select(incident_table.c.ref, incident_table.c.uid).where(incident_table.c.ref.in_(_IDS))


@lru_cache(maxsize=16)
def _ids_query(table: Table) -> Select[Any]:
    return select(table.c.uid, table.c.id).where(table.c.uid.in_(_IDS))


@lru_cache(maxsize=16)
def _rows_query(table: Table) -> Select[Any]:
    return select(table).where(table.c.uid.in_(_IDS))


# --- the uids of a file being imported ----------------------------------------------------


class UidLedger:
    """Which uids a file defines, and which it refers to, kept in a scratch SQLite file.

    Checking an import needs every uid of the file at hand (a uid used twice, a
    citation of a source further down, a quote's incident): a Python set of a
    million-incident file's 3.5 million uids alone takes about 300 MiB. Here they
    live in a B-tree on disk, behind a small page cache, and each batch costs
    one query and one ``executemany``. ``kind`` and the reference's ``section``
    are small integers chosen by the caller; ``key`` is a uid's 16 bytes.
    """

    def __init__(self, path: Path) -> None:
        os.close(create_private_file(path))  # owner-only: SQLite would use the umask
        self._db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -65536"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            "CREATE TABLE defined (kind INTEGER NOT NULL, key BLOB NOT NULL, "
            "PRIMARY KEY (kind, key)) WITHOUT ROWID"
        )
        # place: position in the file, to report the first reference to a missing uid
        self._db.execute(
            "CREATE TABLE wanted (kind INTEGER NOT NULL, key BLOB NOT NULL, "
            "place INTEGER NOT NULL, section INTEGER NOT NULL, record INTEGER NOT NULL, "
            "number INTEGER NOT NULL)"
        )
        self._db.execute("BEGIN")

    def define(self, kind: int, keys: Sequence[bytes]) -> int | None:
        """Add the uids of a batch; the position in ``keys`` of the first one that was
        defined before (earlier in ``keys`` or in an earlier batch), else None."""
        seen: set[bytes] = set()
        for position, key in enumerate(keys):
            if key in seen:
                first_repeat = position
                break
            seen.add(key)
        else:
            first_repeat = len(keys)
        known: set[bytes] = set()
        for chunk in _chunks(list(seen)):
            marks = ", ".join("?" * len(chunk))
            known.update(
                key
                for (key,) in self._db.execute(
                    f"SELECT key FROM defined WHERE kind = ? AND key IN ({marks})",
                    (kind, *chunk),
                )
            )
        if known:
            first_repeat = min(
                first_repeat, next(i for i, key in enumerate(keys) if key in known)
            )
        if first_repeat < len(keys):
            return first_repeat
        self._db.executemany(
            "INSERT INTO defined (kind, key) VALUES (?, ?)", [(kind, key) for key in keys]
        )
        return None

    def refer(self, references: Iterable[tuple[int, bytes, int, int, int, int]]) -> None:
        """Add ``(kind, key, place, section, record, number)`` of references."""
        self._db.executemany("INSERT INTO wanted VALUES (?, ?, ?, ?, ?, ?)", references)

    def missing(self, kind: int) -> Iterator[list[tuple[bytes, int, int, int]]]:
        """Batches of ``(key, section, record, number)``: each uid of ``kind`` referred to
        but not defined, with its first reference, in the order of the file."""
        cursor = self._db.execute(
            "SELECT w.key, w.section, w.record, w.number, min(w.place) AS first FROM wanted w "
            "WHERE w.kind = ? AND NOT EXISTS "
            "(SELECT 1 FROM defined d WHERE d.kind = w.kind AND d.key = w.key) "
            "GROUP BY w.key ORDER BY first",
            (kind,),
        )
        while rows := cursor.fetchmany(BATCH):
            yield [row[:4] for row in rows]

    def close(self) -> None:
        self._db.close()


# --- loading into empty tables ------------------------------------------------------------

#: The tables an import fills; their secondary indexes may be built after the load.
_RECORD_TABLES = (
    "incident", "incident_tag", "source", "incident_source", "quote", "period", "audit_log",
)  # fmt: skip


def tables_empty(connection: Connection) -> bool:
    """True when no incident, source, quote or period is stored (live or in the trash)."""
    for table in (incident_table, source_table, quote_table, period_table):
        if connection.execute(select(table.c.id).limit(1)).first() is not None:
            return False
    return True


#: The page cache while the deferred indexes are built (see ``DeferredIndexes.rebuild``).
_SORT_CACHE_MIB = 32


class DeferredIndexes:
    """Inside the caller's write transaction: the secondary indexes of the record tables
    and the full-text triggers set aside, then built again in one go.

    Building an index by sorting its rows once, and the full-text index with one
    ``rebuild``, is several times faster than updating them row by row (random
    uids, every word of every title and summary): what ``bench/generate.py`` does
    too. The unique indexes (uid, ref) stay, so lookups and constraints work
    during the load. Only for tables that start empty (``tables_empty``): the
    rebuild reads every incident. Everything is DDL inside the transaction, so a
    rollback (an error, a dry run) puts the indexes and triggers back as they were.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        tables = ", ".join(f"'{name}'" for name in _RECORD_TABLES)
        self._deferred = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND ("
            f"(type = 'index' AND name LIKE 'ix\\_%' ESCAPE '\\' AND tbl_name IN ({tables})) "
            "OR (type = 'trigger' AND name LIKE 'incident\\_fts\\_%' ESCAPE '\\'))"
        ).fetchall()
        for kind, name, _sql in self._deferred:
            connection.exec_driver_sql(f'DROP {kind.upper()} "{name}"')

    def rebuild(self) -> None:
        connection = self._connection
        # Building an index sorts all its entries (a million-record import: hundreds of
        # megabytes). SQLite's sorter keeps as much as the page cache in memory and its
        # overflow in temporary files, which temp_store=MEMORY keeps in memory too: for
        # the rebuild, a small cache and temporary files on disk keep memory flat.
        temp_store = connection.exec_driver_sql("PRAGMA temp_store").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size = {-_SORT_CACHE_MIB * 1024}")
        connection.exec_driver_sql("PRAGMA temp_store = FILE")
        try:
            for _kind, _name, sql in self._deferred:
                connection.exec_driver_sql(sql)
            if any(kind == "trigger" for kind, _, _ in self._deferred):
                connection.exec_driver_sql(
                    "INSERT INTO incident_fts(incident_fts) VALUES ('rebuild')"
                )
        finally:
            connection.exec_driver_sql(f"PRAGMA temp_store = {int(temp_store or 0)}")
        self._deferred = []


@contextlib.contextmanager
def page_cache(connection: Connection, mib: int) -> Iterator[None]:
    """A page cache of ``mib`` MiB on this connection for a bulk write, then the usual one.

    A million-record import inserts into the uid indexes at random places; with
    the usual 32 MiB most of those pages would be read back and written to the
    WAL again and again.
    """
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = {-int(mib) * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous or -2000)}")
