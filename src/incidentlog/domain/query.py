"""What a view or an export asks for: a filter and a sort order, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidentlog.domain.actors import ActorRole
from incidentlog.domain.enums import Status

#: Columns the incident table can sort by (the store maps each to SQL).
INCIDENT_SORT_COLUMNS = (
    "occurred_at",
    "ref",
    "title",
    "place",
    "admin1",
    "country",
    "event_type",
    "perpetrator",
    "attribution",
    "target",
    "killed",
    "injured",
    "launched",
    "intercepted",
    "status",
    "confidence",
    "updated_at",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """All conditions must hold; an empty tuple or None means "any".

    The date range is half-open, [since, until): an incident matches when the
    interval its precision implies overlaps the range, so "January 2024"
    matches a filter on 20 January.
    """

    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    countries: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    statuses: tuple[Status, ...] = ()
    tags: tuple[str, ...] = ()
    perpetrators: tuple[str, ...] = ()
    #: Incidents with one of these actors (a name or an alias), in ``actor_role`` if set.
    actors: tuple[str, ...] = ()
    actor_role: ActorRole | None = None
    uids: tuple[str, ...] | None = None  # a selection; None means no restriction
    deleted: bool = False  # True: the trash instead of the live log

    @property
    def is_empty(self) -> bool:
        return self == IncidentFilter(deleted=self.deleted)


@dataclass(frozen=True, slots=True)
class Sort:
    column: str = "occurred_at"
    descending: bool = False


@dataclass(frozen=True, slots=True)
class TextFilter:
    """Filter of the sources and quotes views: words to look for, and the trash flag."""

    text: str | None = None
    deleted: bool = False
    incident_uid: str | None = None  # quotes of one incident / sources it cites
