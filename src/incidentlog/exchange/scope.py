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

Rows come as plain tuples in the column order below (``*_FIELDS``), streamed
in batches through ``store.bulk``, and the extras of each batch (tags,
citations, citing refs) are read with one query per batch, so memory stays
flat however large the log grows and no per-row object is built that the
writers do not need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import IncidentActor
from incidentlog.domain.links import RelatedIncident
from incidentlog.domain.query import IncidentFilter
from incidentlog.store import bulk
from incidentlog.store.actors import actors_by_incident
from incidentlog.store.backend import Backend
from incidentlog.store.links import related_by_incident
from incidentlog.store.queries import incident_conditions
from incidentlog.store.schema import (
    HARM_COLUMNS,
    incident_source_table,
    incident_table,
    quote_table,
    source_table,
)

#: Rows per batch (see ``store.bulk.BATCH``).
BATCH = bulk.BATCH

_META = ("id", "uid", "version", "created_at", "created_by", "updated_at", "updated_by")

#: The columns of an incident row as the streams give them, in this order.
INCIDENT_FIELDS = (
    *_META,
    "ref",
    "title",
    "summary",
    "occurred_at",
    "time_precision",
    "tz",
    "approximate",
    "place",
    "admin1",
    "country",
    "latitude",
    "longitude",
    "geo_precision",
    "event_type",
    "weapons",
    "launched",
    "intercepted",
    "perpetrator",
    "attribution",
    "target",
    "killed",
    "killed_qualifier",
    "injured",
    "injured_qualifier",
    "status",
    "confidence",
    *HARM_COLUMNS,  # last: the exports unpack them as ``*harm`` (exchange/harm.py)
)
SOURCE_FIELDS = (
    *_META,
    "kind",
    "title",
    "url",
    "url_normalized",
    "outlet",
    "author",
    "handle",
    "published_at",
    "published_precision",
    "published_tz",
    "accessed_at",
    "archive_url",
    "excerpt",
    "language",
    "reliability",
    "sha256",
    "notes",
)
#: A quote row ends with what it refers to, when that is in the export (else None).
QUOTE_FIELDS = (
    *_META,
    "text",
    "speaker",
    "speaker_role",
    "speaker_org",
    "said_at",
    "said_precision",
    "said_tz",
    "language",
    "context",
    "incident_uid",
    "incident_ref",
    "source_uid",
    "source_title",
    "source_url",
)

#: A row read by name (the import's lookups of what is already here).
Row = Mapping[str, Any]

#: A citation: ``(source uid, note, source title, source url)``.
Link = tuple[str, "str | None", "str | None", "str | None"]


@dataclass(frozen=True, slots=True)
class IncidentBatch:
    """Incident rows (``INCIDENT_FIELDS``) with the tags, citations and the links to related
    incidents of each (those it states and those stated of it), by row id."""

    rows: list[tuple[Any, ...]]
    tags: dict[int, list[str]]
    links: dict[int, list[Link]]
    #: The actors of each incident that has any (domain/actors.py), by row id.
    actors: dict[int, tuple[IncidentActor, ...]] = field(default_factory=dict)
    related: dict[int, list[RelatedIncident]] = field(default_factory=dict)  # both ways


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """Source rows (``SOURCE_FIELDS``) with the refs of the exported incidents citing each."""

    rows: Sequence[Any]
    cited_by: dict[int, list[str]]


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

    # --- the queries (also what the benchmark hands to the sqlite3 tool) ----------------

    def incident_query(self) -> Select[Any]:
        """Ordered by ``occurred_at`` only: ``incidents`` orders the ties."""
        t = incident_table
        return (
            select(*(t.c[name] for name in INCIDENT_FIELDS))
            .where(*self.incident_where())
            .order_by(t.c.occurred_at)
        )

    def source_queries(self) -> list[Select[Any]]:
        """Sources without a date (by uid), then the dated ones (by date, then uid)."""
        s = source_table
        query = select(*(s.c[name] for name in SOURCE_FIELDS)).where(*self.source_where())
        return self._dated_last(query, s.c.published_at, s.c.uid)

    def quote_queries(self) -> list[Select[Any]]:
        q, i, s = quote_table, incident_table, source_table
        incident_join = and_(i.c.id == q.c.incident_id, *self.incident_where())
        source_join = and_(s.c.id == q.c.source_id, s.c.deleted_at.is_(None))
        query = (
            select(
                *(q.c[name] for name in QUOTE_FIELDS[: len(QUOTE_FIELDS) - 5]),
                i.c.uid.label("incident_uid"),
                i.c.ref.label("incident_ref"),
                s.c.uid.label("source_uid"),
                s.c.title.label("source_title"),
                s.c.url.label("source_url"),
            )
            .select_from(q.outerjoin(i, incident_join).outerjoin(s, source_join))
            .where(*self.quote_where())
        )
        return self._dated_last(query, q.c.said_at, q.c.uid)

    def _dated_last(self, query: Select[Any], date: Any, uid: Any) -> list[Select[Any]]:
        """By uid (the unique index) without a date; by date (its index) with one, the
        ties ordered by the streams."""
        # "likely": walk the uid index, rather than the date index and then sort.
        undated = query.where(self._likely(date.is_(None))).order_by(uid)
        dated = query.where(date.is_not(None)).order_by(date)
        return [undated, dated]

    # --- streams ------------------------------------------------------------------------

    def incidents(self, connection: Connection) -> Iterator[IncidentBatch]:
        """Batches of incidents in export order, each with its tags and citations."""
        rows_in_order = _ties_ordered(
            bulk.stream(connection, self.incident_query()), _OCCURRED_AT, _ref_then_uid
        )
        for rows in rows_in_order:
            ids = [row[0] for row in rows]
            yield IncidentBatch(
                rows,
                bulk.tags_by_incident(connection, ids),
                bulk.links_by_incident(connection, ids),
                actors_by_incident(connection, ids),
                related_by_incident(connection, ids),
            )

    def sources(
        self, connection: Connection, *, with_citing: bool = False
    ) -> Iterator[SourceBatch]:
        """Batches of sources in export order; ``with_citing`` adds the refs citing each."""
        where = self.incident_where()
        undated, dated = self.source_queries()
        for rows in _chain(
            bulk.stream(connection, undated),
            _ties_ordered(bulk.stream(connection, dated), _PUBLISHED_AT, _uid),
        ):
                citing = (
                    bulk.citing_refs(connection, [row[0] for row in rows], where)
                    if with_citing
                    else {}
                )
                yield SourceBatch(rows, citing)

    def quotes(self, connection: Connection) -> Iterator[Sequence[Any]]:
        """Batches of quotes in export order (``QUOTE_FIELDS``)."""
        undated, dated = self.quote_queries()
        yield from bulk.stream(connection, undated)
        yield from _ties_ordered(bulk.stream(connection, dated), _SAID_AT, _uid)


_OCCURRED_AT = INCIDENT_FIELDS.index("occurred_at")
_PUBLISHED_AT = SOURCE_FIELDS.index("published_at")
_SAID_AT = QUOTE_FIELDS.index("said_at")
_UID = _META.index("uid")
_REF = INCIDENT_FIELDS.index("ref")


def _uid(row: tuple[Any, ...]) -> Any:
    return row[_UID]


def _ref_then_uid(row: tuple[Any, ...]) -> tuple[Any, Any]:
    return row[_REF], row[_UID]


def _chain(*streams: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    for batches in streams:
        yield from batches


def _ties_ordered(
    batches: Iterator[Sequence[Any]], first: int, tie: Callable[[Any], Any]
) -> Iterator[list[Any]]:
    """Batches of rows ordered by column ``first`` (as the database streams them), each
    run of equal ``first`` values ordered by ``tie``; a run may span batches."""
    run: list[tuple[Any, ...]] = []
    current: object = object()
    for rows in batches:
        out: list[tuple[Any, ...]] = []
        for row in rows:
            value = row[first]
            if value != current:
                if len(run) > 1:
                    run.sort(key=tie)
                out += run
                run = [row]
                current = value
            else:
                run.append(row)
        if out:
            yield out
    if len(run) > 1:
        run.sort(key=tie)
    if run:
        yield run
