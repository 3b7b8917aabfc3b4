"""What an export holds, read from the database in streamed batches.

Both exports (JSON and CSV) read through here, so that they hold the same
records in the same order:

- no filter (or an empty one): every live incident, source and quote;
- a filter: the matching incidents, the live quotes of those incidents, and
  the live sources they cite or that carry those quotes.

An export is self-contained: a reference to a record that is not in it (a
citation of a source in the trash, the incident of a quote that is in the
trash) is left out, so that the file imports anywhere.

Order is deterministic and independent of row ids, so that an export of a
database filled by importing that export is the same file: incidents by
``occurred_at``, then ``ref``, then ``uid``; sources by ``published_at`` then
``uid``; quotes by ``said_at`` then ``uid`` (records without a date first,
by ``uid``). The database sorts by the first key only, which its indexes on
those columns deliver without a sort step; ties (records of the same instant,
which are few) are ordered here. Records without a date are read in a query
of their own, by the unique index on ``uid``, so that thousands of undated
quotes never form one tie to hold in memory.

Rows are streamed (``stream_results`` with ``fetchmany``) and the extras of
each batch (tags, citations) are read with one query per batch, so memory
stays flat however large the log grows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.engine import Connection

from incidentlog.domain.query import IncidentFilter
from incidentlog.store.backend import Backend
from incidentlog.store.queries import incident_conditions
from incidentlog.store.schema import (
    incident_source_table,
    incident_table,
    incident_tag_table,
    quote_table,
    source_table,
)

#: Rows per batch: large enough that per-batch queries are few, small enough
#: that a batch of full rows is a few hundred kilobytes.
BATCH = 500

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Link:
    """An incident's citation of a source, with what a CSV shows of the source."""

    source_uid: str
    note: str | None
    title: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class IncidentItem:
    row: Row
    tags: list[str]
    links: list[Link]


@dataclass(frozen=True, slots=True)
class SourceItem:
    row: Row
    cited_by: list[str]  # refs of the incidents in the export that cite it


@dataclass(frozen=True, slots=True)
class Counts:
    incidents: int
    sources: int
    quotes: int

    @property
    def total(self) -> int:
        return self.incidents + self.sources + self.quotes


class Scope:
    """The records an export holds: the SQL conditions of each kind."""

    def __init__(self, flt: IncidentFilter | None, backend: Backend) -> None:
        self.filtered = flt is not None and not (flt.is_empty and not flt.deleted)
        self.flt = flt if flt is not None else IncidentFilter()
        self.backend = backend

    def _live(self, table: Any) -> ColumnElement[bool]:
        """``deleted_at IS NULL``, worded so that SQLite streams in index order.

        Without statistics SQLite takes ``deleted_at IS NULL`` for a selective
        test, answers it with the plain index on ``deleted_at`` and then sorts the
        whole table in memory; marked as likely true, the same test lets it walk
        the partial index on the sort column (``ix_incident_occurred``, ...) instead.
        """
        return self._likely(table.c.deleted_at.is_(None))

    def _likely(self, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return func.likely(condition) if self.backend.name == "sqlite" else condition

    def incident_where(self) -> list[ColumnElement[bool]]:
        conditions = incident_conditions(self.flt, self.backend)
        live = incident_table.c.deleted_at.is_(None)
        return [self._live(incident_table) if c.compare(live) else c for c in conditions]

    def _incident_ids(self) -> Select[Any]:
        return select(incident_table.c.id).where(*self.incident_where())

    def quote_where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [self._live(quote_table)]
        if self.filtered:
            conditions.append(quote_table.c.incident_id.in_(self._incident_ids()))
        return conditions

    def source_where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [self._live(source_table)]
        if self.filtered:
            cited = select(incident_source_table.c.source_id).where(
                incident_source_table.c.incident_id.in_(self._incident_ids())
            )
            carrying = select(quote_table.c.source_id).where(
                *self.quote_where(), quote_table.c.source_id.is_not(None)
            )
            conditions.append(or_(source_table.c.id.in_(cited), source_table.c.id.in_(carrying)))
        return conditions

    def counts(self, connection: Connection) -> Counts:
        def count(table: Any, where: list[ColumnElement[bool]]) -> int:
            query = select(func.count()).select_from(table).where(*where)
            return int(connection.execute(query).scalar_one())

        return Counts(
            count(incident_table, self.incident_where()),
            count(source_table, self.source_where()),
            count(quote_table, self.quote_where()),
        )

    # --- streams ------------------------------------------------------------------------

    def incidents(self, connection: Connection) -> Iterator[list[IncidentItem]]:
        """Batches of incidents in export order, each with its tags and citations."""
        query = (
            select(incident_table)
            .where(*self.incident_where())
            .order_by(incident_table.c.occurred_at)
        )
        for rows in _batches(
            _ordered(connection, query, "occurred_at", lambda r: (r["ref"], r["uid"]))
        ):
            ids = [row["id"] for row in rows]
            tags = _tags(connection, ids)
            links = _links(connection, ids)
            yield [
                IncidentItem(row, tags.get(row["id"], []), links.get(row["id"], [])) for row in rows
            ]

    def sources(
        self, connection: Connection, *, with_citing: bool = False
    ) -> Iterator[list[SourceItem]]:
        """Batches of sources in export order; ``with_citing`` adds the refs citing each."""
        query = select(source_table).where(*self.source_where())
        rows_in_order = self._dated_last(
            connection, query, source_table.c.published_at, source_table.c.uid
        )
        for rows in _batches(rows_in_order):
            citing = self._citing(connection, [row["id"] for row in rows]) if with_citing else {}
            yield [SourceItem(row, citing.get(row["id"], [])) for row in rows]

    def quotes(self, connection: Connection) -> Iterator[list[Row]]:
        """Batches of quotes in export order, with ``incident_uid``/``incident_ref`` and
        ``source_uid``/``source_title``/``source_url`` of the records they refer to when
        those are in the export (None otherwise)."""
        incident_join = and_(
            incident_table.c.id == quote_table.c.incident_id, *self.incident_where()
        )
        source_join = and_(
            source_table.c.id == quote_table.c.source_id, source_table.c.deleted_at.is_(None)
        )
        query = (
            select(
                quote_table,
                incident_table.c.uid.label("incident_uid"),
                incident_table.c.ref.label("incident_ref"),
                source_table.c.uid.label("source_uid"),
                source_table.c.title.label("source_title"),
                source_table.c.url.label("source_url"),
            )
            .select_from(
                quote_table.outerjoin(incident_table, incident_join).outerjoin(
                    source_table, source_join
                )
            )
            .where(*self.quote_where())
        )
        yield from _batches(
            self._dated_last(connection, query, quote_table.c.said_at, quote_table.c.uid)
        )

    def _dated_last(
        self, connection: Connection, query: Select[Any], date: Any, uid: Any
    ) -> Iterator[Row]:
        """Rows without a date (by uid), then the dated ones (by date, then uid)."""
        # "likely": walk the uid index, rather than the date index and then sort.
        undated = query.where(self._likely(date.is_(None))).order_by(uid)
        yield from _ordered(connection, undated, uid.name, lambda r: ())
        dated = query.where(date.is_not(None)).order_by(date)
        yield from _ordered(connection, dated, date.name, lambda r: (r[uid.name],))

    def _citing(self, connection: Connection, source_ids: Sequence[int]) -> dict[int, list[str]]:
        rows = connection.execute(
            select(incident_source_table.c.source_id, incident_table.c.ref)
            .join(incident_table, incident_table.c.id == incident_source_table.c.incident_id)
            .where(incident_source_table.c.source_id.in_(source_ids), *self.incident_where())
            .order_by(incident_source_table.c.source_id, incident_table.c.ref)
        )
        found: dict[int, list[str]] = {}
        for source_id, ref in rows:
            found.setdefault(source_id, []).append(ref)
        return found


def _ordered(
    connection: Connection,
    query: Select[Any],
    first: str,
    tie_key: Callable[[Row], tuple[Any, ...]],
) -> Iterator[Row]:
    """Stream ``query`` (ordered by ``first``), ordering each run of equal ``first`` values
    by ``tie_key``."""
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    group: list[Row] = []
    current: object = object()
    try:
        while True:
            chunk = result.fetchmany(BATCH)
            if not chunk:
                break
            for raw in chunk:
                row = raw._mapping
                value = row[first]
                if value != current and group:
                    group.sort(key=tie_key)
                    yield from group
                    group = []
                current = value
                group.append(row)
        group.sort(key=tie_key)
        yield from group
    finally:
        result.close()


def _batches(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _tags(connection: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    rows = connection.execute(
        select(incident_tag_table.c.incident_id, incident_tag_table.c.tag)
        .where(incident_tag_table.c.incident_id.in_(ids))
        .order_by(incident_tag_table.c.incident_id, incident_tag_table.c.tag)
    )
    for incident_id, tag in rows:
        found.setdefault(incident_id, []).append(tag)
    for tags in found.values():
        tags.sort()  # code-point order, whatever the database's collation
    return found


def _links(connection: Connection, ids: Sequence[int]) -> dict[int, list[Link]]:
    """Citations of live sources (the ones an export holds), by source uid."""
    found: dict[int, list[Link]] = {}
    rows = connection.execute(
        select(
            incident_source_table.c.incident_id,
            source_table.c.uid,
            incident_source_table.c.note,
            source_table.c.title,
            source_table.c.url,
        )
        .join(source_table, source_table.c.id == incident_source_table.c.source_id)
        .where(
            incident_source_table.c.incident_id.in_(ids),
            source_table.c.deleted_at.is_(None),
        )
    )
    for incident_id, uid, note, title, url in rows:
        found.setdefault(incident_id, []).append(Link(uid, note, title, url))
    for links in found.values():
        links.sort(key=lambda link: link.source_uid)
    return found
