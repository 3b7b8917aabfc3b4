"""Use cases on related incidents: link two incidents, change a link's note, unlink.

Each is one transaction with one audit entry on the incident that states the link
(actions ``relate`` and ``unrelate``), as citing a source is: the link is not one of
the incident's fields, so the replay (``incidentlog check``) passes over these entries
and the incident's fingerprint (``store/lineage.py``) does not include its links.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import AuditAction, RecordKind
from incidentlog.domain.errors import NotFoundError, ValidationError
from incidentlog.domain.links import IncidentLink, LinkKind, RelatedIncident, link_problem
from incidentlog.domain.records import Incident
from incidentlog.services.changes import ChangeNotifier, Changes, Outcome
from incidentlog.services.records import _stamp
from incidentlog.store import audit
from incidentlog.store import links as store
from incidentlog.store import records as rows
from incidentlog.store.database import Database
from incidentlog.store.schema import incident_link_table


class LinkService:
    """Typed links between incidents (docs/architecture.md, "Related incidents")."""

    def __init__(self, database: Database, actor: str, notifier: ChangeNotifier) -> None:
        self._db = database
        self._actor = actor
        self._notifier = notifier

    def related(self, uid: str) -> list[RelatedIncident]:
        """The links of a live incident, both ways; none when it is in the trash."""
        with self._db.read() as connection:
            incident = rows.load_incident(connection, uid)
            if incident is None or incident.meta.deleted_at is not None:
                return []
            return store.related_of(connection, incident.meta.id or 0)

    def among(self, uids: list[str]) -> list[IncidentLink]:
        """The live links between these incidents (the marks the timeline shows)."""
        with self._db.read() as connection:
            return store.links_among(connection, uids)

    def link(self, from_uid: str, to_uid: str, kind: LinkKind,
             note: str | None = None) -> Outcome[IncidentLink]:
        """State that ``from_uid`` is ``kind`` ``to_uid``, or change the note of that link."""
        note = (note or "").strip() or None
        problem = link_problem(IncidentLink(from_uid, to_uid, kind, note))
        if problem:
            raise ValidationError({"related": problem}, record=f"incident uid {from_uid}")
        at = _stamp()
        with self._db.write() as connection:
            source, target = self._live(connection, from_uid), self._live(connection, to_uid)
            existing = store.find_link(connection, source.meta.id or 0, target.meta.id or 0,
                                       kind)
            if existing is None:
                connection.execute(insert(incident_link_table).values(
                    from_id=source.meta.id, to_id=target.meta.id, kind=kind.value, note=note,
                    created_at=at, created_by=self._actor))
                changed = {"related": [None, to_uid], "kind": [None, kind.value],
                           "note": [None, note]}
            elif existing["note"] != note:
                connection.execute(update(incident_link_table)
                                   .where(incident_link_table.c.id == existing["id"])
                                   .values(note=note))
                changed = {"related": [to_uid, to_uid], "kind": [kind.value, kind.value],
                           "note": [existing["note"], note]}
            else:
                return Outcome(self._stored(existing, from_uid, to_uid, kind))
            self._audit(connection, AuditAction.RELATE, source, changed, at)
            stored = store.find_link(connection, source.meta.id or 0, target.meta.id or 0, kind)
        assert stored is not None
        return self._finish(self._stored(stored, from_uid, to_uid, kind), from_uid, to_uid)

    def unlink(self, from_uid: str, to_uid: str,
               kind: LinkKind) -> Outcome[IncidentLink | None]:
        """Remove a link; the removed link (with its note) for undo, None if there was none."""
        at = _stamp()
        with self._db.write() as connection:
            source, target = self._require(connection, from_uid), self._require(connection, to_uid)
            existing = store.find_link(connection, source.meta.id or 0, target.meta.id or 0,
                                       kind)
            if existing is None:
                return Outcome(None)
            connection.execute(delete(incident_link_table)
                               .where(incident_link_table.c.id == existing["id"]))
            self._audit(connection, AuditAction.UNRELATE, source,
                        {"related": [to_uid, None], "kind": [kind.value, None],
                         "note": [existing["note"], None]}, at)
        removed = self._finish(self._stored(existing, from_uid, to_uid, kind), from_uid, to_uid)
        return Outcome(removed.record, removed.changes)

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _require(connection: Connection, uid: str) -> Incident:
        incident = rows.load_incident(connection, uid)
        if incident is None:
            raise NotFoundError("incident", uid)
        return incident

    def _live(self, connection: Connection, uid: str) -> Incident:
        incident = self._require(connection, uid)
        if incident.meta.deleted_at is not None:
            raise ValidationError({"related": f"incident {incident.label} is in the trash"},
                                  record=f"incident {incident.label}")
        return incident

    @staticmethod
    def _stored(row: dict[str, object], from_uid: str, to_uid: str,
                kind: LinkKind) -> IncidentLink:
        return IncidentLink(from_uid, to_uid, kind, row["note"],  # type: ignore[arg-type]
                            row["created_at"], row["created_by"])  # type: ignore[arg-type]

    def _audit(self, connection: Connection, action: AuditAction, incident: Incident,
               changes: Mapping[str, Any], at: str) -> None:
        audit.append(connection, at=at, actor=self._actor, action=action.value,
                     kind=RecordKind.INCIDENT.value, uid=incident.meta.uid or "",
                     label=incident.ref, changes=changes)

    def _finish(self, link: IncidentLink, *uids: str) -> Outcome[IncidentLink]:
        changes = Changes(incidents=frozenset(uids))
        self._notifier.notify(changes)
        return Outcome(link, changes)
