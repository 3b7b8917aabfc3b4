"""The SQL pieces the timeline's queries share: the filter, the index to read, the ranges.

How the timeline reads and why is told in ``store/timeline.py`` and
docs/timeline.md; this module holds what its incident and quote queries
(``store/timeline_quotes.py``) both build on.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.engine.interfaces import BindTyping, Dialect

from incidentlog.domain import calendar
from incidentlog.domain.actors import ACTOR_LANES
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.when import to_utc_text
from incidentlog.store.backend import Backend
from incidentlog.store.queries import incident_conditions
from incidentlog.store.schema import incident_table

#: Columns the timeline can put in lanes or colour by.
GROUP_COLUMNS = ("country", "event_type", "perpetrator", "place", "status", *ACTOR_LANES)
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


def utc_text(instant: datetime) -> str:
    return to_utc_text(instant)


def parse_utc(value: str) -> datetime:
    """Stored ``2024-01-20T15:30:00Z`` → aware datetime (3× faster than fromisoformat)."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


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
    # A backend and a dialect class are hashable, though not typed so.
    return _compiled_where(flt, cast(Hashable, backend), cast(Hashable, type(dialect)))


@lru_cache(maxsize=64)
def _compiled_where(flt: IncidentFilter, backend: Backend, dialect_class: type) -> _Where:
    statement = select(incident_table.c.id).where(*incident_conditions(flt, backend))
    named = dialect_class(paramstyle="named")
    # psycopg's dialect writes ``:p::VARCHAR``, which text() would not take for a parameter.
    named.bind_typing = BindTyping.NONE
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
    if flt.perpetrators or flt.actors or flt.uids is not None:
        return None
    if column is not None:
        if column not in _COVERING or not restricted <= {column}:
            return None
        return _COVERING[column]
    if len(restricted) > 1:
        return None
    return _COVERING[next(iter(restricted))] if restricted else _COVERING[None]


def _range_index(flt: IncidentFilter) -> str | None:
    """Index for reading a time range of whole rows (the rows are read anyway)."""
    if flt.deleted:
        return None
    if flt.text and flt.text.strip():
        return None  # a rare word: let SQLite start from the full-text matches
    return covering_index(_date_free(flt), None) or _COVERING[None]


def _clip(flt: IncidentFilter, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    if flt.since is not None:
        start = max(start, flt.since)
    if flt.until is not None:
        end = min(end, flt.until)
    return start, end


def _bind_list(prefix: str, values: Sequence[Any], params: dict[str, Any]) -> str:
    names = []
    for number, value in enumerate(values):
        params[f"{prefix}{number}"] = value
        names.append(f":{prefix}{number}")
    return ", ".join(names)


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


# --- candidate ranges for long intervals --------------------------------------------


def _boundaries(first: datetime, last: datetime, unit: str) -> Iterable[datetime]:
    """UTC midnights starting a ``unit`` (Mondays, 1sts, 1 January) from the one
    holding ``first`` to ``last``."""
    day = calendar.floor(first, unit)
    while day <= last:
        yield day
        day = calendar.advance(day, unit)


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
    for precision in ("week", "month", "year"):
        if precision not in precisions:
            continue
        first = start - timedelta(days=unit_days[precision])
        for boundary in _boundaries(first, end + timedelta(days=1), precision):
            ranges.append((boundary - _ZONE_BEFORE, boundary + _ZONE_AFTER))
    clipped = sorted((lo, min(hi, end)) for lo, hi in ranges if lo < end)
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in clipped:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        elif lo < hi:
            merged.append((lo, hi))
    return merged
