"""Records from stored rows, with nothing but the standard library.

A row is any mapping from column name to value: SQLAlchemy's ``RowMapping``
in the store, or ``sqlite3.Row`` where the log's first rows are read before
the data layer is imported (``gui/first_rows.py``; docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from incidentlog.domain.actors import IncidentActor, legacy_actors
from incidentlog.domain.enums import Attribution, CountQualifier, GeoPrecision, Status
from incidentlog.domain.records import Count, Incident, RecordMeta
from incidentlog.domain.when import Moment

Row = Mapping[Any, Any]

META_COLUMNS = (
    "id",
    "uid",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "deleted_at",
)


def record_meta(row: Row) -> RecordMeta:
    return RecordMeta(**{name: row[name] for name in META_COLUMNS})


def stored_moment(
    at: str | None, precision: str | None, tz: str | None, approximate: bool = False
) -> Moment | None:
    if at is None:
        return None
    return Moment.from_stored(at, precision or "minute", tz, bool(approximate))


def stored_count(value: int | None, qualifier: str) -> Count:
    return Count(value, CountQualifier(qualifier))



def incident_from_row(
    row: Row, tags: Sequence[str] = (), actors: tuple[IncidentActor, ...] = ()
) -> Incident:
    return Incident(
        ref=row["ref"],
        title=row["title"],
        summary=row["summary"],
        occurred=stored_moment(row["occurred_at"], row["time_precision"], row["tz"],
                               row["approximate"]),
        place=row["place"],
        admin1=row["admin1"],
        country=row["country"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        geo_precision=GeoPrecision(row["geo_precision"]) if row["geo_precision"] else None,
        event_type=row["event_type"],
        weapons=row["weapons"],
        launched=row["launched"],
        intercepted=row["intercepted"],
        perpetrator=row["perpetrator"],
        attribution=Attribution(row["attribution"]),
        target=row["target"],
        killed=stored_count(row["killed"], row["killed_qualifier"]),
        injured=stored_count(row["injured"], row["injured_qualifier"]),
        status=Status(row["status"]),
        confidence=row["confidence"],
        tags=tuple(tags),
        meta=record_meta(row),
        # A row written around the services (a bulk insert) has no actor rows: its
        # perpetrator says who, as the migration would have made it.
        actors=actors or legacy_actors(row["perpetrator"], Attribution(row["attribution"])),
    )
