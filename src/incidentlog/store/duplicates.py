"""The incidents near in time to a probe, read through indexes only (docs/performance.md).

An incident of precision "year" starts on 1 January but covers the whole year,
so "near in time" is asked per precision, on ``ix_incident_precision``
(time_precision, occurred_at, id; migration 0010): the stored start may lie up
to that precision's longest interval before the probe. Each precision walks
outwards from the probe's middle, both ways, at most ``PER_SIDE`` rows a way, so
that a probe dated "2024" reads a bounded number of rows on a million.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.when import to_utc_text
from incidentlog.store.schema import incident_table

#: The longest interval each precision stands for (a leap year; DST adds an hour).
LONGEST = {
    TimePrecision.MINUTE: timedelta(minutes=1),
    TimePrecision.HOUR: timedelta(hours=1),
    TimePrecision.DAY: timedelta(hours=25),
    TimePrecision.WEEK: timedelta(days=7, hours=1),
    TimePrecision.MONTH: timedelta(days=31, hours=1),
    TimePrecision.YEAR: timedelta(days=366, hours=1),
}

#: Rows read per precision and direction: bounds a lookup on a crowded period.
PER_SIDE = 300

#: Precisions at least this coarse are narrowed to the probe's country (or none).
BY_COUNTRY = {TimePrecision.MONTH, TimePrecision.YEAR}

#: What ``ix_incident_precision`` holds: the first cut needs no row.
_NEAR = ("id", "occurred_at", "occurred_end", "country", "title")
_COLUMNS = ("id", "uid", "ref", "title", "summary", "occurred_at", "occurred_end", "place",
            "country", "latitude", "longitude")


@dataclass(frozen=True, slots=True)
class Window:
    """The probe's interval widened by the slack, and what narrows it."""

    start: datetime
    end: datetime
    country: str | None = None
    except_uid: str | None = None


def _select(columns: Sequence[str]) -> Select[Any]:
    t = incident_table
    return select(*(t.c[name] for name in columns))


def near_in_time(connection: Connection, window: Window) -> list[tuple[Any, ...]]:
    """Live incidents whose interval meets ``window``, nearest to its middle first per way:
    (id, occurred_at, occurred_end, country, title), read from the index alone."""
    low, high = to_utc_text(window.start), to_utc_text(window.end)
    found: dict[int, tuple[Any, ...]] = {}
    for precision, longest in LONGEST.items():
        by_country = precision in BY_COUNTRY and bool(window.country)
        pivot = to_utc_text(window.start + (window.end - window.start) / 2 - longest / 2)
        values = {"precision": precision.value, "earliest": to_utc_text(window.start - longest),
                  "high": high, "low": low, "pivot": pivot, "country": window.country,
                  "limit": PER_SIDE}
        for query in _queries(by_country):
            found.update((row[0], tuple(row)) for row in connection.execute(query, values))
    return list(found.values())


@lru_cache(maxsize=2)
def _queries(by_country: bool) -> tuple[Select[Any], Select[Any]]:
    """The two walks from the pivot, built once (a lookup runs twelve of them)."""
    t = incident_table
    conditions = [
        t.c.deleted_at.is_(None), t.c.time_precision == bindparam("precision"),
        t.c.occurred_at >= bindparam("earliest"), t.c.occurred_at < bindparam("high"),
        t.c.occurred_end > bindparam("low"),
    ]
    if by_country:
        conditions.append(or_(t.c.country == bindparam("country"), t.c.country.is_(None)))
    pivot: Any = bindparam("pivot")
    limit: Any = bindparam("limit")
    after = _select(_NEAR).where(*conditions, t.c.occurred_at >= pivot).order_by(
        t.c.occurred_at, t.c.id).limit(limit)
    before = _select(_NEAR).where(*conditions, t.c.occurred_at < pivot).order_by(
        t.c.occurred_at.desc(), t.c.id.desc()).limit(limit)
    return after, before


def rows_of(connection: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The columns a candidate is scored and shown with, for the shortlisted ``ids``."""
    t = incident_table
    if not ids:
        return {}
    return {row["id"]: dict(row) for row in connection.execute(
        _select(_COLUMNS).where(t.c.id.in_(list(ids)))).mappings()}


def sweep(connection: Connection, *, batch: int = 5_000) -> Iterator[list[dict[str, Any]]]:
    """Every live incident in (occurred_at, id) order, a batch at a time (keyset paging)."""
    t = incident_table
    columns = [*_COLUMNS, "time_precision"]
    after: tuple[str, int] | None = None
    while True:
        query = _select(columns).where(t.c.deleted_at.is_(None))
        if after is not None:
            query = query.where(or_(t.c.occurred_at > after[0],
                                    and_(t.c.occurred_at == after[0], t.c.id > after[1])))
        rows = [dict(row) for row in connection.execute(
            query.order_by(t.c.occurred_at, t.c.id).limit(batch)).mappings()]
        if not rows:
            return
        yield rows
        after = (rows[-1]["occurred_at"], rows[-1]["id"])


def live_count(connection: Connection) -> int:
    from sqlalchemy import func

    t = incident_table
    return int(connection.execute(
        select(func.count()).select_from(t).where(t.c.deleted_at.is_(None))).scalar_one())
