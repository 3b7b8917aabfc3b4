"""Timeline lanes by actor: an incident is in the lane of each of its actors.

The other lanes are a column of ``incident`` (one lane per incident, counted
on an index of ``(column, occurred_at)``). Actors live in ``incident_actor``,
any number per incident, so the lanes of one incident are many and the time
is in another table. Measured on a million incidents (docs/timeline.md,
"Speed"), the shapes here are:

* **Counts walk the time index of ``incident`` and probe each incident's
  actors** in ``ix_incident_actor_lane`` ``(incident_id, role, actor_id)``:
  one index seek per incident in the window, never a read of either table,
  grouped by (actor, hour). Driving from the actor instead (its incidents,
  then their times) costs a table seek per incident of the whole log, however
  narrow the window.
* An incident is counted once per actor even when that actor holds two roles
  in it; the **unknown lane** holds the incidents without a named actor (in
  the role, when the lanes keep one).
* The lanes themselves (the actors among the matching incidents) are one
  ``EXISTS`` per actor of the vocabulary, on ``(actor_id, incident_id)`` or,
  for one role, ``ix_incident_actor_role`` ``(role, actor_id, incident_id)``.

Lanes are named by the actor's name (the vocabulary's, never an alias).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import ACTOR_LANES
from incidentlog.domain.query import IncidentFilter
from incidentlog.store.backend import Backend
from incidentlog.store.timeline_sql import _from, _range_index, _Where, utc_text

#: Ids per statement when reading the actors of the items on screen.
_ID_CHUNK = 900


def is_actor_lane(column: str | None) -> bool:
    return column in ACTOR_LANES


def _join(column: str, params: dict[str, Any], outer: str = "incident.id") -> str:
    """The condition tying a lane actor ``la`` to the incident: named, in the lane's role."""
    role = ACTOR_LANES[column]
    condition = f"la.incident_id = {outer} AND la.actor_id IS NOT NULL"
    if role is not None:
        params["tl_role"] = role
        condition += " AND la.role = :tl_role"
    return condition


def _lane_index(backend: Backend) -> str:
    return "incident_actor AS la" + (
        " INDEXED BY ix_incident_actor_lane" if backend.name == "sqlite" else "")


def lane_values(connection: Connection, flt: IncidentFilter, backend: Backend, column: str,
                where: _Where) -> list[str | None]:
    """The actors (names, sorted) among the matching incidents; None last when some
    matching incident has no named actor in the lane's role."""
    params = dict(where.params)
    role = ACTOR_LANES[column]
    role_test = ""
    if role is not None:
        params["tl_role"] = role
        role_test = " AND la.role = :tl_role"
    index = ""
    if backend.name == "sqlite":
        index = (" INDEXED BY ix_incident_actor_role" if role is not None
                 else " INDEXED BY ix_incident_actor_actor")
    names = connection.execute(text(
        "SELECT lane_actor.name FROM actor AS lane_actor WHERE EXISTS ("
        f"SELECT 1 FROM incident_actor AS la{index} JOIN incident ON incident.id = la.incident_id "
        f"WHERE la.actor_id = lane_actor.id{role_test} AND {where.sql}) "
        "ORDER BY lane_actor.name"), params).scalars().all()
    found: list[str | None] = list(names)
    unknown = connection.execute(text(
        f"SELECT 1 FROM {_from(backend, _range_index(flt))} WHERE {where.sql} AND NOT EXISTS ("
        f"SELECT 1 FROM {_lane_index(backend)} WHERE {_join(column, params)}) LIMIT 1"),
        params).scalar()
    if unknown:
        found.append(None)
    return found


def scan_counts(connection: Connection, flt: IncidentFilter, backend: Backend,
                edges: Sequence[datetime], start: datetime, end: datetime, column: str,
                where: _Where) -> dict[tuple[str | None, int], int]:
    """Incidents starting in each bin, per actor of the lane: ``{(name, bin): count}``.

    One pass over the window in the time index, grouped by (actor, hour) as
    ``timeline._scan_counts`` does for the columns no index covers; the hours
    are then put in their bins here.
    """
    params = {**where.params, "tl_start": utc_text(start), "tl_end": utc_text(end)}
    sql = (
        "SELECT la.actor_id AS v, substr(incident.occurred_at, 1, 13) AS h, "
        "count(DISTINCT incident.id) AS n "
        f"FROM {_from(backend, _range_index(flt))} LEFT JOIN {_lane_index(backend)} "
        f"ON {_join(column, params)} "
        f"WHERE {where.sql} AND incident.occurred_at >= :tl_start "
        "AND incident.occurred_at < :tl_end GROUP BY 1, 2"
    )
    rows = list(connection.execute(text(sql), params))
    names = actor_names(connection, {row.v for row in rows if row.v is not None})
    keys = [utc_text(edge)[:13] for edge in edges]
    found: dict[tuple[str | None, int], int] = {}
    for row in rows:
        number = max(0, min(bisect_right(keys, row.h) - 1, len(edges) - 2))
        key = (names.get(row.v) if row.v is not None else None, number)
        found[key] = found.get(key, 0) + int(row.n)
    return found


def long_groups_sql(starts: str, column: str, params: dict[str, Any], backend: Backend) -> str:
    """``starts`` (rows ``a, e, p, iid``: long intervals and their incident) grouped by
    interval and actor of the lane, an incident once per actor (None: no named actor)."""
    return (
        "SELECT a, e, p, la.actor_id AS v, count(DISTINCT iid) AS n "
        f"FROM ({starts}) AS starts LEFT JOIN {_lane_index(backend)} "
        f"ON {_join(column, params, outer='starts.iid')} GROUP BY a, e, p, la.actor_id"
    )


def named_groups(connection: Connection, rows: Sequence[Any]
                 ) -> list[tuple[str, str, str, str | None, int]]:
    """Rows of ``long_groups_sql`` with the actor's name in place of its id."""
    names = actor_names(connection, {row.v for row in rows if row.v is not None})
    return [(row.a, row.e, row.p, names.get(row.v) if row.v is not None else None, int(row.n))
            for row in rows]


def actor_names(connection: Connection, ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    wanted = sorted(ids)
    statement = text("SELECT id, name FROM actor WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    for first in range(0, len(wanted), _ID_CHUNK):
        found.update((int(row.id), str(row.name)) for row in connection.execute(
            statement, {"ids": wanted[first:first + _ID_CHUNK]}))
    return found


def item_actors(connection: Connection, ids: Sequence[int]
                ) -> dict[int, tuple[tuple[str, str], ...]]:
    """The named actors of these incidents as ``(role, name)``, in the order entered."""
    statement = text(
        "SELECT la.incident_id AS i, la.role AS r, lane_actor.name AS n "
        "FROM incident_actor AS la JOIN actor AS lane_actor ON lane_actor.id = la.actor_id "
        "WHERE la.incident_id IN :ids ORDER BY la.incident_id, la.position"
    ).bindparams(bindparam("ids", expanding=True))
    found: dict[int, list[tuple[str, str]]] = {}
    wanted = list(ids)
    for first in range(0, len(wanted), _ID_CHUNK):
        for row in connection.execute(statement, {"ids": wanted[first:first + _ID_CHUNK]}):
            found.setdefault(int(row.i), []).append((str(row.r), str(row.n)))
    return {incident: tuple(pairs) for incident, pairs in found.items()}
