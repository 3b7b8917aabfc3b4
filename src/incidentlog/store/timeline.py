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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import Dialect

from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.when import to_utc_text
from incidentlog.store.backend import Backend
from incidentlog.store.queries import incident_conditions
from incidentlog.store.schema import incident_table

#: Columns the timeline can put in lanes or colour by.
GROUP_COLUMNS = ("country", "event_type", "perpetrator", "place", "status")

#: Index whose leading columns are (column, occurred_at): counts stay in the index.
_COVERING = {
    None: "ix_incident_occurred",
    "country": "ix_incident_country",
    "event_type": "ix_incident_event_type",
    "status": "ix_incident_status",
}
#: Index that at least holds the column (for lane lists).
_HOLDING = {**_COVERING, "perpetrator": "ix_incident_perpetrator", "place": "ix_incident_place"}
#: Filter fields and the column each one restricts.
_FILTER_COLUMNS = {"countries": "country", "event_types": "event_type", "statuses": "status"}

#: Nominal length of each precision's interval (DST and leap days aside).
PRECISION_SECONDS = {
    "minute": 60,
    "hour": 3600,
    "day": 86_400,
    "week": 7 * 86_400,
    "month": 31 * 86_400,
    "year": 366 * 86_400,
}
COARSE_PRECISIONS = ("day", "week", "month", "year")
#: Local midnight lies between UTC−12 and UTC+14: 14 h before to 12 h after UTC midnight.
_ZONE_BEFORE = timedelta(hours=14)
_ZONE_AFTER = timedelta(hours=12, minutes=1)
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
)


def utc_text(instant: datetime) -> str:
    return to_utc_text(instant)


# --- building the SQL ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Where:
    """The filter as an SQL fragment with named parameters, ready for ``text()``."""

    sql: str
    params: Mapping[str, Any]  # read-only: the value is shared (see ``_where``)


def _where(flt: IncidentFilter, backend: Backend, dialect: Dialect) -> _Where:
    """``incident_conditions`` compiled once per filter, so that every query here shares it.

    It is compiled inside a whole ``SELECT … FROM incident`` so that correlated
    parts (the tag filter's EXISTS) stay correlated, then cut after WHERE.
    Compiling costs a millisecond or two and a view asks a dozen queries per
    filter: the result is remembered (filters are frozen values).
    """
    # A class object is hashable; mypy checks Dialect's own (unbound) __hash__ against
    # lru_cache's Hashable and refuses it. The class, not the instance, is the key so that
    # every log opened in the process shares the cache.
    return _compiled_where(flt, backend, type(dialect))  # type: ignore[arg-type]


@lru_cache(maxsize=64)
def _compiled_where(flt: IncidentFilter, backend: Backend, dialect_class: type) -> _Where:
    statement = select(incident_table.c.id).where(*incident_conditions(flt, backend))
    named = dialect_class(paramstyle="named")
    compiled = statement.compile(dialect=named, compile_kwargs={"render_postcompile": True})
    sql = str(compiled)
    head, separator, where = sql.partition("\nWHERE ")
    if not separator or not head.rstrip().endswith("FROM incident"):
        raise AssertionError(f"unexpected filter SQL: {sql!r}")
    return _Where(where, MappingProxyType(dict(compiled.params)))


def _from(backend: Backend, index: str | None) -> str:
    """``incident`` with an index hint where the engine takes one (SQLite)."""
    if index is not None and backend.name == "sqlite":
        return f"incident INDEXED BY {index}"
    return "incident"


def _date_free(flt: IncidentFilter) -> IncidentFilter:
    """The filter without its date range (the callers clip their window to it instead).

    ``since`` is tested on ``occurred_end``, a column outside every index; a
    window clipped to [since, until) needs no such test for what starts in it.
    """
    if flt.since is None and flt.until is None:
        return flt
    from dataclasses import replace

    return replace(flt, since=None, until=None)


def covering_index(flt: IncidentFilter, column: str | None) -> str | None:
    """The index on ``(column, occurred_at)`` that answers this filter without the table.

    None when no index covers it: the filter or the column needs the table
    (perpetrator, place, text is fine: it is a rowid test), or the trash is
    shown (the indexes hold live rows only).
    """
    if flt.deleted:
        return None
    restricted = {col for name, col in _FILTER_COLUMNS.items() if getattr(flt, name)}
    if flt.perpetrators or flt.uids is not None:
        return None
    if column is not None:
        if column not in _COVERING or not restricted <= {column}:
            return None
        return _COVERING[column]
    if len(restricted) > 1:
        return None
    return _COVERING[next(iter(restricted))] if restricted else _COVERING[None]


def _clip(flt: IncidentFilter, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    if flt.since is not None:
        start = max(start, flt.since)
    if flt.until is not None:
        end = min(end, flt.until)
    return start, end


# --- candidate ranges for long intervals --------------------------------------------


def _mondays(first: datetime, last: datetime) -> Iterable[datetime]:
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    day -= timedelta(days=day.weekday())
    while day <= last:
        yield day
        day += timedelta(days=7)


def _firsts_of_month(first: datetime, last: datetime) -> Iterable[datetime]:
    day = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while day <= last:
        yield day
        day = day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(
            month=day.month + 1
        )


def _new_years(first: datetime, last: datetime) -> Iterable[datetime]:
    for year in range(first.year, last.year + 1):
        yield datetime(year, 1, 1, tzinfo=UTC)


def start_ranges(
    start: datetime, end: datetime, precisions: Sequence[str]
) -> list[tuple[datetime, datetime]]:
    """Where (in ``occurred_at``) an incident of these precisions overlapping [start, end)
    can begin: merged, half-open UTC ranges.

    A week, month or year interval begins at local midnight of a Monday, a 1st
    or a 1 January; local midnight is within 14 h before or 12 h after UTC
    midnight whatever the zone. Minute, hour and day intervals begin at most
    a day (25 h with a DST change) before the window.
    """
    ranges: list[tuple[datetime, datetime]] = []
    if any(p in ("minute", "hour", "day") for p in precisions):
        ranges.append((start - timedelta(hours=26), end))
    unit_days = {"week": 8, "month": 32, "year": 367}
    boundaries = {"week": _mondays, "month": _firsts_of_month, "year": _new_years}
    for precision in ("week", "month", "year"):
        if precision not in precisions:
            continue
        first = start - timedelta(days=unit_days[precision])
        for boundary in boundaries[precision](first, end + timedelta(days=1)):
            ranges.append((boundary - _ZONE_BEFORE, boundary + _ZONE_AFTER))
    clipped = sorted((lo, min(hi, end)) for lo, hi in ranges if lo < end)
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in clipped:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        elif lo < hi:
            merged.append((lo, hi))
    return merged


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
    return int(connection.execute(text(f"SELECT count(*) FROM ({inner})"), params).scalar_one())


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
    sql = f"SELECT count(*) FROM ({' UNION ALL '.join(parts)} LIMIT :tl_cap)"
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
        text(f"SELECT max(e) FROM ({' UNION ALL '.join(parts)})"), params).scalar()
    return parse_utc(value) if value else None


def _bind_list(prefix: str, values: Sequence[Any], params: dict[str, Any]) -> str:
    names = []
    for number, value in enumerate(values):
        params[f"{prefix}{number}"] = value
        names.append(f":{prefix}{number}")
    return ", ".join(names)


def _range_index(flt: IncidentFilter) -> str | None:
    """Index for reading a time range of whole rows (the rows are read anyway)."""
    if flt.deleted:
        return None
    if flt.text and flt.text.strip():
        return None  # a rare word: let SQLite start from the full-text matches
    return covering_index(_date_free(flt), None) or _COVERING[None]


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


def parse_utc(value: str) -> datetime:
    """Stored ``2024-01-20T15:30:00Z`` → aware datetime (3× faster than fromisoformat)."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


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
    if index is None:
        return _scan_counts(connection, flt, backend, edges, start, end, column, where)
    params = dict(where.params)
    # Bins before the first and after the last start are empty: two index seeks
    # spare a count per bin and per value there (a padded window is 2/3 padding
    # when the whole log is on screen).
    source = _from(backend, covering_index(flt, None))  # in occurred_at order
    found = []
    for order in ("", " DESC"):
        found.append(connection.execute(text(
            f"SELECT occurred_at FROM {source} WHERE {where.sql} AND occurred_at >= :tl_start "
            f"AND occurred_at < :tl_end ORDER BY occurred_at{order} LIMIT 1"),
            {**params, "tl_start": utc_text(start), "tl_end": utc_text(end)}).scalar())
    first, last = found
    if first is None or last is None:
        return {}
    start = max(start, parse_utc(first))
    end = min(end, parse_utc(last) + timedelta(seconds=1))
    bins_sql = _bins_values(edges, start, end)
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
        value_rows = [f"(:tl_v{number})" for number in range(len(values))]
        _bind_list("tl_v", values, params)
        sql = (
            f"WITH b(i, lo, hi) AS ({bins_sql}), g(v) AS (VALUES {', '.join(value_rows)}) "
            f"SELECT g.v AS v, b.i AS i, (SELECT count(*) FROM {_from(backend, index)} "
            f"WHERE {where.sql} AND {column} IS g.v "
            "AND occurred_at >= b.lo AND occurred_at < b.hi) AS n FROM g, b"
        )
    return {(row.v, int(row.i)): int(row.n) for row in connection.execute(text(sql), params)
            if row.n}


def _bins_values(edges: Sequence[datetime], start: datetime, end: datetime) -> str:
    """``VALUES (i, lo, hi), …`` of the bins clipped to [start, end).

    A multi-row VALUES, not a UNION ALL: SQLite caps a compound SELECT at 500
    terms, and a padded window at daily bins has more. The times are our own
    formatted timestamps, never user input, so literals keep the statement short.
    """
    rows = []
    for number in range(len(edges) - 1):
        lo, hi = max(edges[number], start), min(edges[number + 1], end)
        if lo < hi:
            rows.append(f"({number}, '{utc_text(lo)}', '{utc_text(hi)}')")
    return "VALUES " + ", ".join(rows) if rows else ""


def _few(ranges: list[tuple[datetime, datetime]], most: int = 120
         ) -> list[tuple[datetime, datetime]]:
    """At most ``most`` ranges (a UNION ALL term each): beyond, one range over them all."""
    if len(ranges) <= most:
        return ranges
    return [(ranges[0][0], ranges[-1][1])]


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
    group = column if column is not None else "NULL"
    parts = []
    for number, (lo, hi) in enumerate(ranges):
        params[f"tl_lo{number}"] = utc_text(lo)
        params[f"tl_hi{number}"] = utc_text(hi)
        parts.append(
            f"SELECT occurred_at AS a, occurred_end AS e, time_precision AS p, {group} AS v "
            f"FROM {_from(backend, _range_index(flt))} WHERE {where.sql} "
            f"AND occurred_at >= :tl_lo{number} AND occurred_at < :tl_hi{number} "
            "AND substr(occurred_at, 15, 2) IN ('00', '30', '45') "
            f"AND time_precision IN ({names}) "
            "AND occurred_end > :tl_start AND occurred_at < :tl_end"
        )
    sql = (
        f"SELECT a, e, p, v, count(*) AS n FROM ({' UNION ALL '.join(parts)}) "
        "GROUP BY a, e, p, v"
    )
    return [(row.a, row.e, row.p, row.v, int(row.n))
            for row in connection.execute(text(sql), params)]


# --- quotes --------------------------------------------------------------------------

QUOTE_COLUMNS = (
    "q.uid AS uid",
    "q.said_at AS said_at",
    "q.said_precision AS said_precision",
    "q.said_tz AS said_tz",
    "q.speaker AS speaker",
    "q.speaker_role AS speaker_role",
    "substr(q.text, 1, 300) AS text",
    "i.uid AS incident_uid",
)


def _quote_where(
    flt: IncidentFilter, backend: Backend, dialect: Dialect, params: dict[str, Any]
) -> str:
    """Live, dated quotes; with a filter, those about no incident or about a matching one."""
    sql = "q.deleted_at IS NULL AND q.said_at IS NOT NULL"
    if flt.is_empty and not flt.deleted:
        return sql
    where = _where(flt, backend, dialect)
    params.update(where.params)
    return (
        f"{sql} AND (q.incident_id IS NULL OR EXISTS (SELECT 1 FROM incident "
        f"WHERE incident.id = q.incident_id AND {where.sql}))"
    )


def quote_count(
    connection: Connection, backend: Backend, start: datetime, end: datetime, cap: int
) -> int:
    """Dated live quotes said in [start, end), counted no further than ``cap`` (index only)."""
    params: dict[str, Any] = {"tl_start": utc_text(start), "tl_end": utc_text(end), "tl_cap": cap}
    hint = "INDEXED BY ix_quote_said" if backend.name == "sqlite" else ""
    sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM quote {hint} WHERE deleted_at IS NULL "
        "AND said_at >= :tl_start AND said_at < :tl_end LIMIT :tl_cap)"
    )
    return int(connection.execute(text(sql), params).scalar_one())


def quotes(
    connection: Connection,
    flt: IncidentFilter,
    backend: Backend,
    start: datetime,
    end: datetime,
    limit: int,
) -> list[Any]:
    """Up to ``limit`` quotes said in [start, end) (from a day before: a day-precision
    quote covers its day), with the uid of their incident."""
    params: dict[str, Any] = {
        "tl_start": utc_text(start - timedelta(hours=26)),
        "tl_end": utc_text(end),
        "tl_limit": limit,
    }
    condition = _quote_where(flt, backend, connection.dialect, params)
    hint = "INDEXED BY ix_quote_said" if backend.name == "sqlite" else ""
    sql = (
        f"SELECT {', '.join(QUOTE_COLUMNS)} FROM quote AS q {hint} "
        "LEFT JOIN incident AS i ON i.id = q.incident_id "
        f"WHERE {condition} AND q.said_at >= :tl_start AND q.said_at < :tl_end "
        "ORDER BY q.said_at, q.id LIMIT :tl_limit"
    )
    return list(connection.execute(text(sql), params))


def quote_bin_counts(
    connection: Connection, backend: Backend, edges: Sequence[datetime]
) -> dict[int, int]:
    """Live dated quotes per bin (all of them: range counts on ``(said_at, id)``)."""
    if len(edges) < 2:
        return {}
    hint = "INDEXED BY ix_quote_said" if backend.name == "sqlite" else ""
    bounds = []
    for order in ("", " DESC"):
        bounds.append(connection.execute(text(
            f"SELECT said_at FROM quote {hint} WHERE deleted_at IS NULL AND said_at >= :lo "
            f"AND said_at < :hi ORDER BY said_at{order} LIMIT 1"),
            {"lo": utc_text(edges[0]), "hi": utc_text(edges[-1])}).scalar())
    earliest, latest = bounds
    if earliest is None or latest is None:
        return {}
    first = max(edges[0], parse_utc(earliest))
    last = min(edges[-1], parse_utc(latest) + timedelta(seconds=1))
    sql = (
        f"WITH b(i, lo, hi) AS ({_bins_values(edges, first, last)}) "
        "SELECT b.i AS i, (SELECT count(*) "
        f"FROM quote {hint} WHERE deleted_at IS NULL AND said_at >= b.lo "
        "AND said_at < b.hi) AS n FROM b"
    )
    return {int(row.i): int(row.n) for row in connection.execute(text(sql)) if row.n}
