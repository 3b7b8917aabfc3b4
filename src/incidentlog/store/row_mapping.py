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
from incidentlog.domain.records import Count, HarmSplit, Incident, RecordMeta
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


def stored_count(
    value: int | None, qualifier: str | None, low: int | None = None, high: int | None = None
) -> Count:
    if qualifier is None:  # a part not reported (store/schema.py ``_harm_columns``)
        return Count()
    return Count(value, CountQualifier(qualifier), low, high)


def _total(row: Row, name: str) -> Count:
    """``killed``/``injured`` with its range."""
    return stored_count(row[name], row[f"{name}_qualifier"],
                        row[f"{name}_low"], row[f"{name}_high"])


def _part(row: Row, name: str) -> Count:
    return stored_count(row[name], row[f"{name}_qualifier"])


def _split(row: Row, total: str) -> HarmSplit:
    return HarmSplit(*(_part(row, f"{total}_{part}") for part in HarmSplit.PARTS))




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
        killed=_total(row, "killed"),
        injured=_total(row, "injured"),
        killed_split=_split(row, "killed"),
        injured_split=_split(row, "injured"),
        injured_seriously=_part(row, "injured_seriously"),
        status=Status(row["status"]),
        confidence=row["confidence"],
        tags=tuple(tags),
        meta=record_meta(row),
        # A row written around the services (a bulk insert) has no actor rows: its
        # perpetrator says who, as the migration would have made it.
        actors=actors or legacy_actors(row["perpetrator"], Attribution(row["attribution"])),
    )
