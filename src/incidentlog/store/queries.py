"""Filtering, sorting, counting and paging in SQL, never in Python.

The views and the exports share these: a table of a million incidents asks
for a count, the sorted row ids (a compact array), and the rows of the page on
screen; an export streams the same selection.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.engine import Connection

from incidentlog.domain.query import INCIDENT_SORT_COLUMNS, IncidentFilter, Sort, TextFilter
from incidentlog.domain.when import to_utc_text
from incidentlog.store.actors import incidents_with_actor
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


#: The index that walks the live incidents in the order (column, id), per sort column.
SORT_INDEXES = {
    "occurred_at": "ix_incident_occurred",
    "title": "ix_incident_title",
    "country": "ix_incident_country_id",
    "perpetrator": "ix_incident_perpetrator",
    "place": "ix_incident_place",
    "updated_at": "ix_incident_updated",
}

#: Above this many trashed incidents, live matches are counted by a join, not
#: as "all matches minus the trashed ones" (one index probe per trashed row).
MAX_TRASH_PROBES = 2_000

#: Costs in microseconds a row, measured on a million incidents (docs/performance.md): a
#: match looked up and sorted, a match put in an IN list, an index entry
#: walked, a row probed in the full-text index.
COST_LOOKUP_AND_SORT = 2.5
COST_IN_LIST = 0.5
COST_WALK = 0.3
COST_PROBE = 50.0


@dataclass(frozen=True, slots=True)
class TextPlan:
    """How to answer a word search, chosen by how many rows match (docs/performance.md).

    - few matches: look each up and sort them (SQLite's own choice);
    - many: build the list of matches once and walk the sort column's index,
      keeping the rows in it;
    - most, when only the first page is wanted: walk the index and probe the
      full-text index row by row, never building the list.
    """

    search: str  # the FTS5 query
    matches: int | None  # live incidents that match, when the filter is the words alone
    probe: bool = False
    walk: str | None = None  # the index to walk in sort order (INDEXED BY)


def _words_only(flt: IncidentFilter) -> bool:
    return bool(flt.text) and replace(flt, text=None) == IncidentFilter()


def text_plan(
    connection: Connection,
    flt: IncidentFilter,
    sort: Sort,
    backend: Backend,
    wanted: int | None,
) -> TextPlan | None:
    """The plan for ``flt``'s words, for the first ``wanted`` rows (None: all of them)."""
    if not flt.text:
        return None
    search = backend.text_search(connection, flt.text)
    if search is None:
        return None
    if not _words_only(flt):  # other conditions too: SQLite weighs them itself
        return TextPlan(search, None)
    matches = _live_matches(connection, search, backend)
    index = SORT_INDEXES.get(sort.column)
    if index is None or matches == 0 or wanted == 0:
        return TextPlan(search, matches)
    best = cheapest_plan(matches, max(_live_estimate(connection), matches), wanted)
    if best == "lookup":
        return TextPlan(search, matches)
    return TextPlan(search, matches, probe=best == "probe", walk=index)


def cheapest_plan(matches: int, rows: int, wanted: int | None) -> str:
    """"lookup", "list" or "probe": the cheapest way to the first ``wanted`` of ``matches``.

    Walking the index in sort order, the first ``wanted`` matches are met after
    about ``wanted * rows / matches`` entries (the words are spread over time).
    """
    walked = rows if wanted is None else min(rows, math.ceil(wanted * rows / max(matches, 1)))
    costs = {
        "lookup": COST_LOOKUP_AND_SORT * matches,
        "list": COST_IN_LIST * matches + COST_WALK * walked,
        "probe": COST_PROBE * walked if wanted is not None else math.inf,
    }
    return min(costs, key=costs.__getitem__)


def _live_estimate(connection: Connection) -> int:
    # The largest id bounds the live rows from above, read from the primary key at once.
    return int(connection.execute(select(func.max(incident_table.c.id))).scalar() or 0)


def _live_matches(connection: Connection, search: str, backend: Backend) -> int:
    """Live incidents matching ``search``: the full-text count minus the trashed matches."""
    t = incident_table
    total = backend.search_count(connection, search)
    if total == 0:
        return 0
    trashed = int(connection.execute(
        select(func.count()).select_from(t).where(t.c.deleted_at.is_not(None))).scalar_one())
    if trashed == 0:
        return total
    if trashed <= MAX_TRASH_PROBES:
        matched = connection.execute(select(func.count()).select_from(t).where(
            t.c.deleted_at.is_not(None), backend.search_match(t.c.id, search, probe=True)))
        return total - int(matched.scalar_one())
    return int(connection.execute(select(func.count()).select_from(t).where(
        t.c.deleted_at.is_(None), backend.search_match(t.c.id, search, probe=False))
    ).scalar_one())


def incident_conditions(
    flt: IncidentFilter, backend: Backend, plan: TextPlan | None = None
) -> list[ColumnElement[bool]]:
    t = incident_table
    conditions: list[ColumnElement[bool]] = [
        t.c.deleted_at.is_not(None) if flt.deleted else t.c.deleted_at.is_(None)
    ]
    if plan is not None:
        conditions.append(backend.search_match(t.c.id, plan.search, probe=plan.probe))
    elif flt.text and flt.text.strip():
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
    if flt.actors:
        conditions.append(t.c.id.in_(incidents_with_actor(flt.actors, flt.actor_role)))
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
    """The ORDER BY of a sort. Empty values come first ascending and last descending on
    every engine: SQLite's order, which ``incident_page``'s keys assume (PostgreSQL's
    default is the reverse; its indexes on such columns are built NULLS FIRST to match,
    store/postgres_sql.py)."""
    if sort.column not in INCIDENT_SORT_COLUMNS:
        raise ValueError(f"cannot sort incidents by {sort.column!r}")
    column = incident_table.c[sort.column]
    if not column.nullable:
        key = [column, incident_table.c.id]
        return [c.desc() for c in key] if sort.descending else key
    if sort.descending:
        return [column.desc().nulls_last(), incident_table.c.id.desc()]
    return [column.asc().nulls_first(), incident_table.c.id]


def count_incidents(connection: Connection, flt: IncidentFilter, backend: Backend) -> int:
    t = incident_table
    if flt.is_empty and not flt.deleted:
        # The partial occurred_at index holds exactly the live rows.
        query = select(func.count()).select_from(t).where(t.c.deleted_at.is_(None))
        return int(connection.execute(query).scalar_one())
    plan = text_plan(connection, flt, Sort(), backend, wanted=0)
    if plan is not None and plan.matches is not None:
        return plan.matches
    query = select(func.count()).select_from(t).where(*incident_conditions(flt, backend, plan))
    return int(connection.execute(query).scalar_one())


def incident_ids(
    connection: Connection,
    flt: IncidentFilter,
    sort: Sort,
    backend: Backend,
    chunk: int = 50_000,
) -> Iterator[array[int]]:
    """The ids of every matching incident in sort order, in chunks (array of int64)."""
    plan = text_plan(connection, flt, sort, backend, wanted=None)
    query = (
        select(incident_table.c.id)
        .where(*incident_conditions(flt, backend, plan))
        .order_by(*_sort_columns(sort))
    )
    yield from id_chunks(connection, query, chunk, index=plan.walk if plan else None)


_FROM_INCIDENT = re.compile(r"^FROM incident\b(?!_)", re.MULTILINE)


def id_chunks(
    connection: Connection, query: Select[Any], chunk: int = 50_000, *, index: str | None = None,
    whole_list: bool = True,
) -> Iterator[array[int]]:
    """The single integer column of ``query``, in chunks of arrays of int64.

    The rows go straight from the DBAPI cursor into the arrays: a million ids
    through SQLAlchemy's Row objects take ~5x longer than the query itself, and
    a list of Python ints takes 4.5x the memory of an array. ``index`` makes
    SQLite walk that index of the incident table (SQLAlchemy has no SQLite
    index hints, so it goes into the compiled text). ``whole_list``: a list that may be
    long (not one page), streamed from a server in chunks.
    """
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    positional = [params[name] for name in compiled.positiontup or ()]
    statement = str(compiled)
    if index is not None and connection.dialect.name == "sqlite":  # only SQLite takes hints
        statement, hinted = _FROM_INCIDENT.subn(f"FROM incident INDEXED BY {index}", statement, 1)
        if not hinted:
            raise ValueError("the query does not read the incident table")
    driver = connection.connection.driver_connection
    if whole_list and connection.dialect.name == "postgresql":
        # A server-side cursor in binary: libpq would otherwise hold the whole answer (a
        # million rows as text, ~40 MB) before the first chunk is read (docs/performance.md).
        cursor = driver.cursor(name="incidentlog_ids", binary=True)  # type: ignore[union-attr]
        cursor.itersize = chunk
    else:
        cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement, positional if compiled.positional else params)
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                return
            yield array("q", [row[0] for row in rows])
    finally:
        cursor.close()


def _after_key(column: Any, value: Any, last_id: int, *, descending: bool) -> Any:
    """The rows after the key ``(value, last_id)`` in the order of ``_sort_columns``."""
    t = incident_table
    if descending:
        # NULLs sort first ascending, so they come last descending.
        if value is None:
            return and_(column.is_(None), t.c.id < last_id)
        return or_(tuple_(column, t.c.id) < (value, last_id), column.is_(None))
    if value is None:
        return or_(and_(column.is_(None), t.c.id > last_id), column.is_not(None))
    return tuple_(column, t.c.id) > (value, last_id)


def incident_places(
    connection: Connection, flt: IncidentFilter, sort: Sort, backend: Backend,
    uids: Sequence[str],
) -> dict[str, tuple[int, int | None]]:
    """Where each of ``uids`` stands among the matches of ``flt`` in ``sort`` order:
    ``uid → (row id, rows before it)``, the place None where it does not match; uids
    with no row are left out. One indexed count each: an open table places a few new
    rows without reading every id again (docs/performance.md)."""
    t = incident_table
    column = t.c[sort.column]
    rows = connection.execute(select(t.c.uid, t.c.id).where(t.c.uid.in_(list(uids)))).all()
    found: dict[str, tuple[int, int | None]] = {uid: (row_id, None) for uid, row_id in rows}
    if not found:
        return found
    plan = text_plan(connection, flt, sort, backend, wanted=None)
    conditions = incident_conditions(flt, backend, plan)
    matching = connection.execute(
        select(t.c.uid, column, t.c.id).where(*conditions, t.c.uid.in_(list(found)))).all()
    for uid, value, row_id in matching:
        before = _after_key(column, value, row_id, descending=not sort.descending)
        count = connection.execute(
            select(func.count()).select_from(t).where(*conditions, before)).scalar_one()
        found[uid] = (row_id, int(count))
    return found


def incident_page(
    connection: Connection,
    flt: IncidentFilter,
    sort: Sort,
    backend: Backend,
    *,
    limit: int = 100,
    after: tuple[Any, int] | None = None,
    with_count: bool = False,
) -> Any:
    """Ids of up to ``limit`` incidents following the key ``(sort value, id)`` (keyset paging).

    Keyset paging costs the same deep in the log as at its start, unlike OFFSET.
    With ``with_count``, ``(ids, rows that match)``: a word search counts its
    matches to choose its plan, so the count comes at no extra cost.
    """
    plan = text_plan(connection, flt, sort, backend, wanted=limit)
    conditions = incident_conditions(flt, backend, plan)
    if after is not None:
        value, last_id = after
        conditions.append(_after_key(incident_table.c[sort.column], value, last_id,
                                     descending=sort.descending))
    query = (
        select(incident_table.c.id).where(*conditions).order_by(*_sort_columns(sort)).limit(limit)
    )
    found: list[int] = []
    for ids in id_chunks(connection, query, max(limit, 1), index=plan.walk if plan else None,
                         whole_list=False):
        found.extend(ids)
    if with_count:
        if len(found) < limit:
            matches = len(found)
        elif plan is not None and plan.matches is not None:
            matches = plan.matches
        else:
            matches = count_incidents(connection, flt, backend)
        return found, matches
    return found


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


def source_users(connection: Connection, source_id: int) -> list[tuple[str, str, str, bool]]:
    """(kind, uid, label, in the trash) of every incident citing and quote carried by a source.

    What purging the source would take with it (docs/architecture.md, "The trash").
    """
    incidents = connection.execute(
        select(incident_table.c.uid, incident_table.c.ref, incident_table.c.deleted_at)
        .join(incident_source_table, incident_source_table.c.incident_id == incident_table.c.id)
        .where(incident_source_table.c.source_id == source_id)
        .order_by(incident_table.c.ref)
    )
    quotes = connection.execute(
        select(quote_table.c.uid, quote_table.c.speaker, quote_table.c.deleted_at)
        .where(quote_table.c.source_id == source_id)
        .order_by(quote_table.c.id)
    )
    return [("incident", uid, ref, deleted is not None) for uid, ref, deleted in incidents] + [
        ("quote", uid, speaker, deleted is not None) for uid, speaker, deleted in quotes
    ]
