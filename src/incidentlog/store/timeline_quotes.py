"""The quote track of the timeline: the dated quotes in a window, or their counts per bin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import Dialect

from incidentlog.domain.query import IncidentFilter
from incidentlog.store.backend import Backend
from incidentlog.store.timeline_sql import _bins_values, _where, parse_utc, utc_text

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
        "AND said_at >= :tl_start AND said_at < :tl_end LIMIT :tl_cap) AS few"
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
    bounds: list[str | None] = []
    for order in ("", " DESC"):
        bounds.append(connection.execute(text(
            f"SELECT said_at FROM quote {hint} WHERE deleted_at IS NULL AND said_at >= :lo "
            f"AND said_at < :hi ORDER BY said_at{order} LIMIT 1"),
            {"lo": utc_text(edges[0]), "hi": utc_text(edges[-1])}).scalar())
    if bounds[0] is None or bounds[1] is None:
        return {}
    first = max(edges[0], parse_utc(bounds[0]))
    last = min(edges[-1], parse_utc(bounds[1]) + timedelta(seconds=1))
    sql = (
        f"WITH b(i, lo, hi) AS ({_bins_values(edges, first, last)}) "
        "SELECT b.i AS i, (SELECT count(*) "
        f"FROM quote {hint} WHERE deleted_at IS NULL AND said_at >= b.lo "
        "AND said_at < b.hi) AS n FROM b"
    )
    return {int(row.i): int(row.n) for row in connection.execute(text(sql)) if row.n}
