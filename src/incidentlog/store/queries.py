"""Filtering, sorting, counting and paging in SQL, never in Python.

The views and the exports share these: a table of a million incidents asks
for a count, the sorted row ids (a compact array), and the rows of the page on
screen; an export streams the same selection.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.engine import Connection

from incidentlog.domain.query import INCIDENT_SORT_COLUMNS, IncidentFilter, Sort, TextFilter
from incidentlog.domain.when import to_utc_text
from incidentlog.store.backend import Backend
from incidentlog.store.schema import (
    incident_source_table,
    incident_table,
    incident_tag_table,
    quote_table,
    source_table,
)

#: The longest interval a precision implies (a leap year, plus DST slack):
#: lets a date-range filter use the occurred_at index.
LONGEST_INTERVAL_DAYS = 367


def incident_conditions(flt: IncidentFilter, backend: Backend) -> list[ColumnElement[bool]]:
    t = incident_table
    conditions: list[ColumnElement[bool]] = [
        t.c.deleted_at.is_not(None) if flt.deleted else t.c.deleted_at.is_(None)
    ]
    if flt.text and flt.text.strip():
        match = backend.text_match(t.c.id, flt.text)
        if match is not None:
            conditions.append(match)
    if flt.until is not None:
        conditions.append(t.c.occurred_at < to_utc_text(flt.until))
    if flt.since is not None:
        since = to_utc_text(flt.since)
        # occurred_end > since is the real test; the bound on occurred_at is
        # implied by it and lets SQLite use the index on occurred_at.
        conditions.append(
            t.c.occurred_at >= to_utc_text(flt.since - timedelta(days=LONGEST_INTERVAL_DAYS))
        )
        conditions.append(t.c.occurred_end > since)
    if flt.countries:
        conditions.append(t.c.country.in_(flt.countries))
    if flt.event_types:
        conditions.append(t.c.event_type.in_(flt.event_types))
    if flt.statuses:
        conditions.append(t.c.status.in_([status.value for status in flt.statuses]))
    if flt.perpetrators:
        conditions.append(t.c.perpetrator.in_(flt.perpetrators))
    if flt.tags:
        conditions.append(
            exists().where(
                incident_tag_table.c.incident_id == t.c.id,
                incident_tag_table.c.tag.in_(flt.tags),
            )
        )
    if flt.uids is not None:
        conditions.append(t.c.uid.in_(flt.uids))
    return conditions


def _sort_columns(sort: Sort) -> list[Any]:
    if sort.column not in INCIDENT_SORT_COLUMNS:
        raise ValueError(f"cannot sort incidents by {sort.column!r}")
    column = incident_table.c[sort.column]
    key = [column, incident_table.c.id]
    return [c.desc() for c in key] if sort.descending else key


def count_incidents(connection: Connection, flt: IncidentFilter, backend: Backend) -> int:
    t = incident_table
    if flt.is_empty and not flt.deleted:
        # The partial occurred_at index holds exactly the live rows.
        query = select(func.count()).select_from(t).where(t.c.deleted_at.is_(None))
    else:
        query = select(func.count()).select_from(t).where(*incident_conditions(flt, backend))
    return int(connection.execute(query).scalar_one())


def incident_ids(
    connection: Connection,
    flt: IncidentFilter,
    sort: Sort,
    backend: Backend,
    chunk: int = 50_000,
) -> Iterator[array[int]]:
    """The ids of every matching incident in sort order, in chunks (array of int64)."""
    query = (
        select(incident_table.c.id)
        .where(*incident_conditions(flt, backend))
        .order_by(*_sort_columns(sort))
    )
    yield from id_chunks(connection, query, chunk)


def id_chunks(
    connection: Connection, query: Select[Any], chunk: int = 50_000
) -> Iterator[array[int]]:
    """The single integer column of ``query``, in chunks of arrays of int64.

    The rows go straight from the DBAPI cursor into the arrays: a million ids
    through SQLAlchemy's Row objects take ~5x longer than the query itself, and
    a list of Python ints takes 4.5x the memory of an array.
    """
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    positional = [params[name] for name in compiled.positiontup or ()]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), positional if compiled.positional else params)
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                return
            yield array("q", [row[0] for row in rows])
    finally:
        cursor.close()


def incident_page(
    connection: Connection,
    flt: IncidentFilter,
    sort: Sort,
    backend: Backend,
    *,
    limit: int = 100,
    after: tuple[Any, int] | None = None,
) -> list[int]:
    """Ids of up to ``limit`` incidents following the key ``(sort value, id)`` (keyset paging).

    Keyset paging costs the same deep in the log as at its start, unlike OFFSET.
    """
    conditions = incident_conditions(flt, backend)
    if after is not None:
        value, last_id = after
        column = incident_table.c[sort.column]
        if sort.descending:
            # NULLs sort first ascending, so they come last descending.
            if value is None:
                conditions.append(and_(column.is_(None), incident_table.c.id < last_id))
            else:
                conditions.append(
                    or_(tuple_(column, incident_table.c.id) < (value, last_id), column.is_(None))
                )
        elif value is None:
            conditions.append(
                or_(and_(column.is_(None), incident_table.c.id > last_id), column.is_not(None))
            )
        else:
            conditions.append(tuple_(column, incident_table.c.id) > (value, last_id))
    query = (
        select(incident_table.c.id).where(*conditions).order_by(*_sort_columns(sort)).limit(limit)
    )
    return [row[0] for row in connection.execute(query)]


def sort_key_of(connection: Connection, incident_id: int, sort: Sort) -> tuple[Any, int]:
    value = connection.execute(
        select(incident_table.c[sort.column]).where(incident_table.c.id == incident_id)
    ).scalar_one()
    return value, incident_id


def filtered_incidents(
    flt: IncidentFilter, backend: Backend, sort: Sort | None = None
) -> Select[Any]:
    """SELECT of the full incident rows that match, sorted (exports stream it)."""
    return (
        select(incident_table)
        .where(*incident_conditions(flt, backend))
        .order_by(*_sort_columns(sort or Sort()), incident_table.c.uid)
    )


def distinct_values(connection: Connection, column: str, *, limit: int = 500) -> list[str]:
    """The values in use in an incident column (filter choices), most frequent first."""
    c = incident_table.c[column]
    rows = connection.execute(
        select(c)
        .where(c.is_not(None), incident_table.c.deleted_at.is_(None))
        .group_by(c)
        .order_by(func.count().desc(), c)
        .limit(limit)
    )
    return [row[0] for row in rows]


# --- sources and quotes ------------------------------------------------------

SOURCE_SORT_COLUMNS = (
    "published_at",
    "title",
    "outlet",
    "kind",
    "handle",
    "reliability",
    "updated_at",
    "url",
)
QUOTE_SORT_COLUMNS = ("said_at", "speaker", "speaker_role", "speaker_org", "text", "updated_at")


def _like_any(columns: Sequence[Any], text: str) -> ColumnElement[bool]:
    conditions = []
    for word in text.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        conditions.append(or_(*[column.ilike(pattern, escape="\\") for column in columns]))
    return and_(*conditions)


def source_conditions(flt: TextFilter) -> list[ColumnElement[bool]]:
    s = source_table
    conditions: list[ColumnElement[bool]] = [
        s.c.deleted_at.is_not(None) if flt.deleted else s.c.deleted_at.is_(None)
    ]
    if flt.text and flt.text.strip():
        conditions.append(
            _like_any(
                [s.c.title, s.c.outlet, s.c.url, s.c.handle, s.c.author, s.c.excerpt], flt.text
            )
        )
    if flt.incident_uid:
        conditions.append(
            s.c.id.in_(
                select(incident_source_table.c.source_id)
                .join(incident_table, incident_table.c.id == incident_source_table.c.incident_id)
                .where(incident_table.c.uid == flt.incident_uid)
            )
        )
    return conditions


def quote_conditions(flt: TextFilter) -> list[ColumnElement[bool]]:
    q = quote_table
    conditions: list[ColumnElement[bool]] = [
        q.c.deleted_at.is_not(None) if flt.deleted else q.c.deleted_at.is_(None)
    ]
    if flt.text and flt.text.strip():
        conditions.append(
            _like_any(
                [q.c.text, q.c.speaker, q.c.speaker_role, q.c.speaker_org, q.c.context], flt.text
            )
        )
    if flt.incident_uid:
        conditions.append(
            q.c.incident_id
            == select(incident_table.c.id)
            .where(incident_table.c.uid == flt.incident_uid)
            .scalar_subquery()
        )
    return conditions


def _ordered_ids(
    connection: Connection,
    table: Any,
    conditions: list[ColumnElement[bool]],
    allowed: Sequence[str],
    sort: Sort,
) -> array[int]:
    if sort.column not in allowed:
        raise ValueError(f"cannot sort by {sort.column!r}")
    key = [table.c[sort.column], table.c.id]
    if sort.descending:
        key = [c.desc() for c in key]
    found: array[int] = array("q")
    for chunk in id_chunks(connection, select(table.c.id).where(*conditions).order_by(*key)):
        found.extend(chunk)
    return found


def source_ids(connection: Connection, flt: TextFilter, sort: Sort) -> array[int]:
    return _ordered_ids(connection, source_table, source_conditions(flt), SOURCE_SORT_COLUMNS, sort)


def quote_ids(connection: Connection, flt: TextFilter, sort: Sort) -> array[int]:
    return _ordered_ids(connection, quote_table, quote_conditions(flt), QUOTE_SORT_COLUMNS, sort)


def citing_incidents(connection: Connection, source_id: int) -> list[tuple[str, str, str]]:
    """(uid, ref, title) of the live incidents that cite a source."""
    rows = connection.execute(
        select(incident_table.c.uid, incident_table.c.ref, incident_table.c.title)
        .join(incident_source_table, incident_source_table.c.incident_id == incident_table.c.id)
        .where(
            incident_source_table.c.source_id == source_id, incident_table.c.deleted_at.is_(None)
        )
        .order_by(incident_table.c.occurred_at)
    )
    return [(uid, ref, title) for uid, ref, title in rows]
