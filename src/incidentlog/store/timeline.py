"""The SQL of the timeline: what is in a time window, and how dense it is.

The timeline never loads the log. For the window on screen it asks either for
the incidents themselves (when few enough to draw) or for counts per time bin
(when they are denser than the pixels). Both had to stay fast on a million
incidents, and measuring (``bench/bench_timeline.py``) decided the shapes:

* **Counts are range counts on a covering index**, one correlated ``count(*)``
  per bin (and per lane): ``occurred_at >= lo AND occurred_at < hi`` on
  ``(occurred_at, id)``, ``(country, occurred_at)``, ``(event_type,
  occurred_at)`` or ``(status, occurred_at)``. SQLite steps through the index
  without touching the table (0.15 µs a row; a million in 0.18 s, in 0.12 s
  on two cores). ``GROUP BY substr(occurred_at, 1, 10)`` over the same index
  took 0.75 µs a row (a sorter), ``julianday``/``unixepoch`` buckets 0.7–1 µs,
  and any column outside the index a table seek per row (3–10 µs: seconds).
  Bins before the first and after the last start are skipped.
* The partial indexes are chosen with ``INDEXED BY``: the database carries no
  ``ANALYZE`` statistics, and without them SQLite prefers the index on
  ``deleted_at`` for ``deleted_at IS NULL``, which reads every row.
* An incident is counted where its interval **starts**, which the index knows.
  Week, month and year intervals would pile up on the first day of their
  interval, so ``long_intervals`` fetches them (with their end) for the
  service to spread over the bins they cover. Such incidents can only start at
  a local midnight on a Monday, the 1st of a month or 1 January, so only the
  index ranges around those days (±14 h for the time zones) are read; but the
  precision is in the table, so it costs a seek per candidate row (2–3 s on a
  million generated incidents, where one in six is week-, month- or
  year-long): the view asks for it once per filter, after the first frame.
  An index on ``(time_precision, occurred_at, occurred_end)`` would make it
  index-only.
* An incident that starts before a window can still cover it (a year
  precision bar), so "what overlaps [start, end)" reads the window plus the
  same few boundary ranges before it, never the 367 days before it.

Nothing here is Qt; the service turns the rows into plain values.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from incidentlog.domain.query import IncidentFilter
from incidentlog.store import timeline_actors as actor_lanes
from incidentlog.store.backend import Backend
from incidentlog.store.timeline_actors import is_actor_lane
from incidentlog.store.timeline_quotes import (
    QUOTE_COLUMNS,
    quote_bin_counts,
    quote_count,
    quotes,
)
from incidentlog.store.timeline_sql import (
    _HOLDING,
    COARSE_PRECISIONS,
    GROUP_COLUMNS,
    PRECISION_SECONDS,
    _bind_list,
    _bins_values,
    _clip,
    _date_free,
    _few,
    _from,
    _range_index,
    _Where,
    _where,
    covering_index,
    parse_utc,
    start_ranges,
    utc_text,
)

#: What the service and the view import from here (the shared SQL and the quote
#: queries live beside this module).
__all__ = [
    "COARSE_PRECISIONS", "GROUP_COLUMNS", "ITEM_COLUMNS", "PRECISION_SECONDS", "QUOTE_COLUMNS",
    "bin_counts", "count_long_candidates", "count_starting", "covering_index",
    "distinct_values", "items", "last_end", "long_intervals", "parse_utc", "quote_bin_counts",
    "quote_count", "quotes", "start_bounds", "start_ranges", "utc_text",
]

#: The columns an item on the timeline needs (tooltip included), nothing more.
ITEM_COLUMNS = (
    "id",
    "uid",
    "ref",
    "title",
    "occurred_at",
    "occurred_end",
    "time_precision",
    "tz",
    "approximate",
    "place",
    "country",
    "event_type",
    "perpetrator",
    "status",
    "killed",
    "killed_qualifier",
    "injured",
    "injured_qualifier",
    "killed_low",
    "killed_high",
    "injured_low",
    "injured_high",
    "injured_seriously",
    "injured_seriously_qualifier",
)


# --- queries ---------------------------------------------------------------------------


def count_starting(
    connection: Connection,
    flt: IncidentFilter,
    backend: Backend,
    start: datetime,
    end: datetime,
    cap: int | None = None,
) -> int:
    """Incidents whose interval starts in [start, end), counted no further than ``cap``.

    It decides between drawing items and drawing density, so it stops as soon
    as the answer is "more than the view draws one by one": a few thousand
    index entries, even on a million incidents.
    """
    start, end = _clip(flt, start, end)
    if start >= end:
        return 0
    flt = _date_free(flt)
    where = _where(flt, backend, connection.dialect)
    params = {**where.params, "tl_start": utc_text(start), "tl_end": utc_text(end)}
    inner = (
        f"SELECT 1 FROM {_from(backend, covering_index(flt, None))} "
        f"WHERE {where.sql} AND occurred_at >= :tl_start AND occurred_at < :tl_end"
    )
    if cap is not None:
        inner += " LIMIT :tl_cap"
        params["tl_cap"] = cap
    sql = f"SELECT count(*) FROM ({inner}) AS few"
    return int(connection.execute(text(sql), params).scalar_one())


def count_long_candidates(
    connection: Connection,
    flt: IncidentFilter,
    backend: Backend,
    start: datetime,
    end: datetime,
    precisions: Sequence[str],
    cap: int,
) -> int:
    """Index entries (any precision) where intervals of ``precisions`` overlapping the
    window could begin, counted no further than ``cap``: what reading them would cost."""
    ranges = _few(start_ranges(start, end, precisions))
    if not ranges:
        return 0
    flt = _date_free(flt)
    where = _where(flt, backend, connection.dialect)
    params = {**where.params, "tl_cap": cap}
    parts = []
    for number, (lo, hi) in enumerate(ranges):
        params[f"tl_lo{number}"] = utc_text(lo)
        params[f"tl_hi{number}"] = utc_text(hi)
        parts.append(
            f"SELECT 1 FROM {_from(backend, covering_index(flt, None))} WHERE {where.sql} "
            f"AND occurred_at >= :tl_lo{number} AND occurred_at < :tl_hi{number}"
        )
    sql = f"SELECT count(*) FROM ({' UNION ALL '.join(parts)} LIMIT :tl_cap) AS few"
    return int(connection.execute(text(sql), params).scalar_one())


def items(
    connection: Connection,
    flt: IncidentFilter,
    backend: Backend,
    start: datetime,
    end: datetime,
    limit: int,
    precisions: Sequence[str] = tuple(PRECISION_SECONDS),
) -> list[Any]:
    """Up to ``limit`` incidents of these precisions whose interval overlaps [start, end),
    by start then id.

    Rows are tuples of ``ITEM_COLUMNS`` in that order (a mapping per row costs more
    than the query on 5,000 rows). The filter's date range still applies (an
    incident outside it is not shown even when the window reaches it).
    """
    ranges = _few(start_ranges(start, end, precisions))
    if not ranges or not precisions:
        return []
    where = _where(flt, backend, connection.dialect)
    params = dict(where.params)
    params.update(tl_start=utc_text(start), tl_end=utc_text(end), tl_limit=limit)
    names = _bind_list("tl_p", precisions, params)
    every = set(precisions) == set(PRECISION_SECONDS)
    columns = ", ".join(ITEM_COLUMNS)
    # One range read per candidate range: ranges OR-ed on one column can make
    # SQLite give up the index; a UNION ALL of disjoint ranges never does.
    parts = []
    for number, (lo, hi) in enumerate(ranges):
        params[f"tl_lo{number}"] = utc_text(lo)
        params[f"tl_hi{number}"] = utc_text(hi)
        parts.append(
            f"SELECT {columns} FROM {_from(backend, _range_index(flt))} WHERE {where.sql} "
            f"AND occurred_at >= :tl_lo{number} AND occurred_at < :tl_hi{number} "
            "AND occurred_end > :tl_start"
            + ("" if every else f" AND time_precision IN ({names})")
        )
    sql = " UNION ALL ".join(parts) + " ORDER BY occurred_at, id LIMIT :tl_limit"
    return list(connection.execute(text(sql), params))


def last_end(
    connection: Connection,
    flt: IncidentFilter,
    backend: Backend,
    last_start: datetime,
    precisions: Sequence[str],
) -> datetime | None:
    """The latest end among incidents of these precisions that cover ``last_start``
    (the end of the log: a day or a year bar may end after the last start)."""
    after = last_start + timedelta(seconds=1)
    ranges = _few(start_ranges(last_start, after, precisions))
    if not ranges:
        return None
    where = _where(flt, backend, connection.dialect)
    params = {**where.params, "tl_start": utc_text(last_start)}
    names = _bind_list("tl_p", precisions, params)
    parts = []
    for number, (lo, hi) in enumerate(ranges):
        params[f"tl_lo{number}"] = utc_text(lo)
        params[f"tl_hi{number}"] = utc_text(hi)
        parts.append(
            f"SELECT occurred_end AS e FROM {_from(backend, _range_index(flt))} "
            f"WHERE {where.sql} AND occurred_at >= :tl_lo{number} AND occurred_at < :tl_hi{number}"
            f" AND occurred_end > :tl_start AND time_precision IN ({names})"
        )
    value = connection.execute(
        text(f"SELECT max(e) FROM ({' UNION ALL '.join(parts)}) AS ends"), params).scalar()
    return parse_utc(value) if value else None


def distinct_values(
    connection: Connection, flt: IncidentFilter, backend: Backend, column: str
) -> list[str | None]:
    """The values of ``column`` among the matching incidents, sorted, None (unknown) last.

    A loose index scan: one index seek per distinct value (the next value
    after the last one found), so a dozen countries cost a dozen seeks, not a
    pass over a million rows.
    """
    if column not in GROUP_COLUMNS:
        raise ValueError(f"no lanes by {column!r}")
    where = _where(flt, backend, connection.dialect)
    if is_actor_lane(column):
        return actor_lanes.lane_values(connection, flt, backend, column, where)
    source = _from(backend, None if flt.deleted else _HOLDING[column])
    found: list[str | None] = []
    step = text(
        f"SELECT {column} FROM {source} WHERE {where.sql} AND {column} > :tl_after "
        f"ORDER BY {column} LIMIT 1"
    )
    first = text(
        f"SELECT {column} FROM {source} WHERE {where.sql} AND {column} IS NOT NULL "
        f"ORDER BY {column} LIMIT 1"
    )
    value = connection.execute(first, dict(where.params)).scalar()
    while value is not None:
        found.append(value)
        value = connection.execute(step, {**where.params, "tl_after": value}).scalar()
    unknown = connection.execute(
        text(f"SELECT 1 FROM {source} WHERE {where.sql} AND {column} IS NULL LIMIT 1"),
        dict(where.params),
    ).scalar()
    if unknown:
        found.append(None)
    return found


def start_bounds(
    connection: Connection, flt: IncidentFilter, backend: Backend
) -> tuple[datetime, datetime] | None:
    """The first and the last start among the matching incidents (two index seeks)."""
    where = _where(flt, backend, connection.dialect)
    source = _from(backend, _range_index(flt))
    bounds = []
    for order in ("", " DESC"):
        value = connection.execute(
            text(f"SELECT occurred_at FROM {source} WHERE {where.sql} "
                 f"ORDER BY occurred_at{order} LIMIT 1"),
            dict(where.params),
        ).scalar()
        if value is None:
            return None
        bounds.append(parse_utc(value))
    return bounds[0], bounds[1]


def bin_counts(
    connection: Connection,
    flt: IncidentFilter,
    backend: Backend,
    edges: Sequence[datetime],
    column: str | None = None,
    values: Sequence[str | None] = (),
) -> dict[tuple[str | None, int], int]:
    """Incidents starting in each bin [edges[i], edges[i+1]), per value of ``column``.

    ``{(value, bin): count}`` with zero counts left out; ``value`` is None when
    ``column`` is None. Uses range counts on a covering index when one exists
    (see the module's notes), else a single scan that computes the bin of
    each row (a table seek per row: seconds on a million rows).
    """
    if len(edges) < 2:
        return {}
    start, end = _clip(flt, edges[0], edges[-1])
    if start >= end:
        return {}
    flt = _date_free(flt)
    where = _where(flt, backend, connection.dialect)
    index = covering_index(flt, column)
    if column is not None and is_actor_lane(column):
        return actor_lanes.scan_counts(connection, flt, backend, edges, start, end, column,
                                       where)
    if index is None:
        return _scan_counts(connection, flt, backend, edges, start, end, column, where)
    occupied = _occupied(connection, flt, backend, where, start, end)
    if occupied is None:
        return {}
    params = dict(where.params)
    bins_sql = _bins_values(edges, *occupied)
    if not bins_sql:
        return {}
    if column is None:
        sql = (
            f"WITH b(i, lo, hi) AS ({bins_sql}) SELECT NULL AS v, b.i AS i, "
            f"(SELECT count(*) FROM {_from(backend, index)} WHERE {where.sql} "
            "AND occurred_at >= b.lo AND occurred_at < b.hi) AS n FROM b"
        )
    else:
        if not values:
            return {}
        sql = _per_value_sql(backend, column, values, params, bins_sql,
                             f"SELECT count(*) FROM {_from(backend, index)} WHERE {where.sql}")
    return {(row.v, int(row.i)): int(row.n) for row in connection.execute(text(sql), params)
            if row.n}



def _per_value_sql(backend: Backend, column: str, values: Sequence[str | None],
                   params: dict[str, Any], bins_sql: str, count: str) -> str:
    """The counts per (value, bin): ``count`` (a ``SELECT count(*) … WHERE …``) narrowed to
    each value of ``column`` and each bin of ``bins_sql``, one index range each."""
    ranged = "AND occurred_at >= b.lo AND occurred_at < b.hi"
    if backend.name == "sqlite":  # SQLite's ``IS`` matches NULL to NULL on the index
        value_rows = [f"(:tl_v{number})" for number in range(len(values))]
        _bind_list("tl_v", values, params)
        return (f"WITH b(i, lo, hi) AS ({bins_sql}), g(v) AS (VALUES {', '.join(value_rows)}) "
                f"SELECT g.v AS v, b.i AS i, ({count} AND {column} IS g.v {ranged}) AS n "
                "FROM g, b")
    # PostgreSQL indexes no operator that matches NULL to NULL (an OR of the two turns
    # each count into a heap scan: 5 s for lanes on a million incidents): the known values
    # with ``=``, the unknown one apart.
    known = [value for value in values if value is not None]
    _bind_list("tl_v", known, params)
    parts = []
    if known:
        rows = ", ".join(f"(:tl_v{number})" for number in range(len(known)))
        parts.append(f"SELECT g.v AS v, b.i AS i, ({count} AND {column} = g.v {ranged}) AS n "
                     f"FROM (VALUES {rows}) AS g(v), b")
    if None in values:
        parts.append(f"SELECT NULL AS v, b.i AS i, ({count} AND {column} IS NULL {ranged}) "
                     "AS n FROM b")
    return f"WITH b(i, lo, hi) AS ({bins_sql}) {' UNION ALL '.join(parts)}"


def _occupied(connection: Connection, flt: IncidentFilter, backend: Backend, where: _Where,
              start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """[start, end) narrowed to the first and the last start in it; None if nothing starts.

    Bins before the first and after the last start are empty: two index seeks
    spare a count per bin and per value there (a padded window is 2/3 padding
    when the whole log is on screen).
    """
    source = _from(backend, covering_index(flt, None))  # in occurred_at order
    params = {**where.params, "tl_start": utc_text(start), "tl_end": utc_text(end)}
    found: list[str | None] = []
    for order in ("", " DESC"):
        found.append(connection.execute(text(
            f"SELECT occurred_at FROM {source} WHERE {where.sql} AND occurred_at >= :tl_start "
            f"AND occurred_at < :tl_end ORDER BY occurred_at{order} LIMIT 1"), params).scalar())
    if found[0] is None or found[1] is None:
        return None
    return max(start, parse_utc(found[0])), min(end, parse_utc(found[1]) + timedelta(seconds=1))


def _scan_counts(
    connection: Connection,
    flt: IncidentFilter,
    backend: Backend,
    edges: Sequence[datetime],
    start: datetime,
    end: datetime,
    column: str | None,
    where: _Where,
) -> dict[tuple[str | None, int], int]:
    """One pass over the window grouping by (value, day): for columns no index covers.

    Days are then put in their bins here; a bin edge inside a day (a time zone
    other than UTC) puts that day's incidents in the bin holding most of it.
    """
    params = {**where.params, "tl_start": utc_text(start), "tl_end": utc_text(end)}
    group = column if column is not None else "NULL"
    sql = (
        f"SELECT {group} AS v, substr(occurred_at, 1, 13) AS h, count(*) AS n "
        f"FROM {_from(backend, _range_index(flt))} WHERE {where.sql} "
        "AND occurred_at >= :tl_start AND occurred_at < :tl_end GROUP BY 1, 2"
    )
    keys = [utc_text(edge)[:13] for edge in edges]
    found: dict[tuple[str | None, int], int] = {}
    for row in connection.execute(text(sql), params):
        number = max(0, min(bisect_right(keys, row.h) - 1, len(edges) - 2))
        key = (row.v, number)
        found[key] = found.get(key, 0) + int(row.n)
    return found


def long_intervals(
    connection: Connection,
    flt: IncidentFilter,
    backend: Backend,
    start: datetime,
    end: datetime,
    precisions: Sequence[str] = ("week", "month", "year"),
    column: str | None = None,
    ranges: Sequence[tuple[datetime, datetime]] | None = None,
) -> list[tuple[str, str, str, str | None, int]]:
    """Incidents of these (coarse) precisions overlapping [start, end), grouped:
    ``(occurred_at, occurred_end, time_precision, value of column, count)``.

    Density spreads them over the bins they cover instead of counting them
    where they start. Only the index ranges where such intervals can begin
    are read, and a table seek happens only for rows at a whole or half hour
    (local midnights are; a minute-precision time rarely is). ``ranges`` (a part of
    ``start_ranges``) lets a caller read them in slices and stop between two.
    """
    if ranges is None:
        ranges = start_ranges(start, end, precisions)
    if not ranges:
        return []
    start, end = _clip(flt, start, end)
    where = _where(flt, backend, connection.dialect)
    params = dict(where.params)
    params.update(tl_start=utc_text(start), tl_end=utc_text(end))
    names = _bind_list("tl_p", precisions, params)
    by_actor = column is not None and is_actor_lane(column)
    # By actor: the incident's id, its actors joined to the grouped starts below.
    group = "incident.id AS iid" if by_actor else f"{column or 'NULL'} AS v"
    parts = []
    for number, (lo, hi) in enumerate(ranges):
        params[f"tl_lo{number}"] = utc_text(lo)
        params[f"tl_hi{number}"] = utc_text(hi)
        parts.append(
            f"SELECT occurred_at AS a, occurred_end AS e, time_precision AS p, {group} "
            f"FROM {_from(backend, _range_index(flt))} WHERE {where.sql} "
            f"AND occurred_at >= :tl_lo{number} AND occurred_at < :tl_hi{number} "
            "AND substr(occurred_at, 15, 2) IN ('00', '30', '45') "
            f"AND time_precision IN ({names}) "
            "AND occurred_end > :tl_start AND occurred_at < :tl_end"
        )
    if by_actor:
        assert column is not None
        sql = actor_lanes.long_groups_sql(" UNION ALL ".join(parts), column, params, backend)
        return actor_lanes.named_groups(connection, list(connection.execute(text(sql), params)))
    sql = (
        f"SELECT a, e, p, v, count(*) AS n FROM ({' UNION ALL '.join(parts)}) AS starts "
        "GROUP BY a, e, p, v"
    )
    return [(row.a, row.e, row.p, row.v, int(row.n))
            for row in connection.execute(text(sql), params)]
