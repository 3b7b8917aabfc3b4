"""Related incidents in SQL: read a link, the links of an incident (both ways), the links
among the incidents on screen. Only links whose two incidents are live are read: a link
to an incident in the trash is hidden until it is restored (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.engine import Connection

from incidentlog.domain.links import IncidentLink, LinkKind, RelatedIncident
from incidentlog.store.schema import incident_link_table, incident_table

_FROM = incident_table.alias("link_from")
_TO = incident_table.alias("link_to")
_LINKS: Select[Any] = (
    select(
        incident_link_table.c.from_id,
        incident_link_table.c.to_id,
        _FROM.c.uid, _FROM.c.ref, _FROM.c.title,
        _TO.c.uid, _TO.c.ref, _TO.c.title,
        incident_link_table.c.kind,
        incident_link_table.c.note,
        incident_link_table.c.created_at,
        incident_link_table.c.created_by,
        incident_link_table.c.id,
    )
    .join(_FROM, _FROM.c.id == incident_link_table.c.from_id)
    .join(_TO, _TO.c.id == incident_link_table.c.to_id)
    .where(_FROM.c.deleted_at.is_(None), _TO.c.deleted_at.is_(None))
)


def _link(row: Any) -> IncidentLink:
    return IncidentLink(row[2], row[5], LinkKind(row[8]), row[9], row[10], row[11])


def related_of(connection: Connection, incident_id: int) -> list[RelatedIncident]:
    """The live links of one incident, those it states first, each kind in order."""
    found: list[RelatedIncident] = []
    for outgoing, column in ((True, incident_link_table.c.from_id),
                             (False, incident_link_table.c.to_id)):
        for row in connection.execute(_LINKS.where(column == incident_id)
                                      .order_by(incident_link_table.c.id)):
            other = (row[5], row[6], row[7]) if outgoing else (row[2], row[3], row[4])
            found.append(RelatedIncident(_link(row), outgoing, *other))
    return found


def find_link(connection: Connection, from_id: int, to_id: int,
              kind: LinkKind) -> dict[str, Any] | None:
    """The stored row of one link (whatever the trash holds), or None."""
    row = connection.execute(
        select(incident_link_table).where(
            incident_link_table.c.from_id == from_id,
            incident_link_table.c.to_id == to_id,
            incident_link_table.c.kind == kind.value,
        )
    ).mappings().first()
    return dict(row) if row else None


def links_among(connection: Connection, uids: Iterable[str],
                limit: int = 2000) -> list[IncidentLink]:
    """The live links both of whose incidents are among ``uids`` (the marks on screen)."""
    wanted = list(dict.fromkeys(uids))
    found: list[IncidentLink] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        query = _LINKS.where(and_(_FROM.c.uid.in_(chunk), _TO.c.uid.in_(wanted)))
        found.extend(_link(row) for row in connection.execute(query.limit(limit - len(found))))
        if len(found) >= limit:
            break
    return found


def related_by_incident(connection: Connection,
                        incident_ids: list[int]) -> dict[int, list[RelatedIncident]]:
    """The live links of each of these incidents, both ways, by its row id (exports): those
    it states first, in the order they were made."""
    found: dict[int, list[RelatedIncident]] = {}
    for outgoing, column in ((True, incident_link_table.c.from_id),
                             (False, incident_link_table.c.to_id)):
        for start in range(0, len(incident_ids), 500):
            chunk = incident_ids[start:start + 500]
            # Sorted here, not in SQL: an export's queries never sort (a batch is small).
            for row in sorted(connection.execute(_LINKS.where(column.in_(chunk))),
                              key=lambda row: row[12]):
                other = (row[5], row[6], row[7]) if outgoing else (row[2], row[3], row[4])
                owner = row[0] if outgoing else row[1]
                found.setdefault(owner, []).append(RelatedIncident(_link(row), outgoing, *other))
    return found
