"""Use cases on incidents: create, update, cite sources, move through the review workflow.

The shared machinery (one transaction each, audit, optimistic locking) is
``RecordService`` in ``services/records.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import actors_beyond_legacy, actors_change, derived_perpetrator
from incidentlog.domain.enums import STATUS_TRANSITIONS, AuditAction, RecordKind, Status
from incidentlog.domain.errors import NotFoundError, ValidationError
from incidentlog.domain.records import Incident, Source, SourceLink
from incidentlog.domain.validation import checked_incident
from incidentlog.services.changes import Changes, Outcome
from incidentlog.services.records import (
    RecordService,
    _creation_audit,
    _new_meta,
    _stamp,
    diff,
)
from incidentlog.store import records as rows
from incidentlog.store.actors import ActorNames, replace_actors
from incidentlog.store.schema import (
    incident_source_table,
    incident_table,
    incident_tag_table,
)


def _with_actor_names(incident: Incident, names: ActorNames) -> Incident:
    """The incident with its actors under the vocabulary's names (an alias typed becomes
    the name), and the perpetrator derived from them: what is stored is what is audited."""
    actors = names.canonical(incident.actors)
    if actors == incident.actors:
        return incident
    perpetrator, attribution = derived_perpetrator(actors)
    return replace(incident, actors=actors, perpetrator=perpetrator, attribution=attribution)


def _actors_change(before: Incident | None, after: Incident) -> dict[str, list[Any]]:
    """The audit entry's ``actors``: only what the perpetrator columns do not already say
    (domain/actors.py ``actors_beyond_legacy``), as the replay and the fingerprint read it."""
    new = actors_beyond_legacy(after.actors, after.perpetrator, after.attribution)
    old = [] if before is None else actors_beyond_legacy(before.actors, before.perpetrator,
                                                         before.attribution)
    return actors_change(old, new)


class IncidentService(RecordService[Incident]):
    kind = RecordKind.INCIDENT
    table = incident_table

    def _load(self, connection: Connection, uid: str) -> Incident | None:
        return rows.load_incident(connection, uid)

    def _load_ids(self, connection: Connection, ids: Sequence[int]) -> dict[int, Incident]:
        return rows.load_incidents(connection, ids)

    def create(self, incident: Incident) -> Outcome[Incident]:
        incident = checked_incident(incident)
        at = _stamp()
        with self._db.write() as connection:
            assert incident.occurred is not None
            if incident.ref is None:
                year = incident.occurred.local().year
                incident = replace(incident, ref=rows.next_ref(connection, incident.country, year))
            elif rows.ref_exists(connection, incident.ref):
                raise ValidationError(
                    {"ref": f"{incident.ref} is already used by another incident"},
                    record=f"incident {incident.ref}",
                )
            names = ActorNames(connection)
            incident = _with_actor_names(incident, names)
            values = rows.incident_values(incident)
            meta = _new_meta(self._actor, at)
            inserted = connection.execute(
                insert(incident_table).values(**values, **meta)
            ).inserted_primary_key
            assert inserted is not None  # an INSERT of one row
            incident_id = inserted[0]
            rows.replace_tags(connection, incident_id, incident.tags)
            replace_actors(connection, incident_id, incident.actors, names)
            grew = rows.extend_vocabulary(connection, rows.incident_vocabulary(incident))
            grew = grew or names.added
            audited = _creation_audit(values) | (
                {"tags": [None, list(incident.tags)]} if incident.tags else {}
            ) | _actors_change(None, incident)
            self._audit(connection, AuditAction.CREATE, meta["uid"], incident.ref, audited, at)
            stored = self._require(connection, meta["uid"])
        changes = self._changes(meta["uid"], True)
        return self._finish(Outcome(stored, replace(changes, vocabulary=grew)))

    def update(
        self, incident: Incident, *, force: bool = False, check_transition: bool = True
    ) -> Outcome[Incident]:
        """Save an edited incident; ``force`` saves over a newer version (the user chose so).

        ``check_transition=False`` lets undo put back a status the workflow would refuse.
        """
        uid = incident.meta.uid
        if uid is None:
            raise ValueError("update() needs a stored incident; use create()")
        incident = checked_incident(incident)
        expected = None if force else incident.meta.version
        at = _stamp()
        with self._db.write() as connection:
            current = self._require(connection, uid)
            self._check_version(current, expected)
            if incident.ref is None:
                incident = replace(incident, ref=current.ref)
            elif rows.ref_exists(connection, incident.ref, except_uid=uid):
                raise ValidationError(
                    {"ref": f"{incident.ref} is already used by another incident"},
                    record=f"incident {incident.ref}",
                )
            if check_transition and incident.status != current.status:
                _check_transition(current, incident.status)
            names = ActorNames(connection)
            if incident.actors != current.actors:  # stored ones are the vocabulary's names
                incident = _with_actor_names(incident, names)
            old_values = rows.incident_values(current)
            new_values = rows.incident_values(incident)
            changed = diff(old_values, new_values) | _actors_change(current, incident)
            if current.tags != incident.tags:
                changed["tags"] = [list(current.tags), list(incident.tags)]
            if not changed:
                return Outcome(current)
            self._bump(
                connection,
                current,
                expected,
                {**new_values, "updated_at": at, "updated_by": self._actor},
            )
            if current.tags != incident.tags:
                rows.replace_tags(connection, current.meta.id or 0, incident.tags)
            if current.actors != incident.actors:
                replace_actors(connection, current.meta.id or 0, incident.actors, names)
            grew = rows.extend_vocabulary(connection, rows.incident_vocabulary(incident))
            grew = grew or names.added
            action = AuditAction.STATUS if set(changed) == {"status"} else AuditAction.UPDATE
            self._audit(connection, action, uid, incident.ref, changed, at)
            stored = self._require(connection, uid)
        return self._finish(Outcome(stored, replace(self._changes(uid, False), vocabulary=grew)))

    def set_status(
        self,
        uid: str,
        status: Status,
        expected_version: int | None = None,
        *,
        check_transition: bool = True,
    ) -> Outcome[Incident]:
        """Review actions: submit for review, verify, dispute, archive, re-open.

        ``check_transition=False`` is for undo, which returns to the previous
        status even where the review workflow has no such step.
        """
        at = _stamp()
        with self._db.write() as connection:
            current = self._require(connection, uid)
            self._check_version(current, expected_version)
            if current.status == status:
                return Outcome(current)
            if check_transition:
                _check_transition(current, status)
            self._bump(
                connection,
                current,
                expected_version,
                {"status": status.value, "updated_at": at, "updated_by": self._actor},
            )
            self._audit(
                connection,
                AuditAction.STATUS,
                uid,
                current.ref,
                {"status": [current.status.value, status.value]},
                at,
            )
            stored = self._require(connection, uid)
        return self._finish(Outcome(stored, self._changes(uid, False)))

    def links(self, uid: str) -> list[SourceLink]:
        with self._db.read() as connection:
            current = self._require(connection, uid)
            return rows.links_of(connection, current.meta.id or 0)

    def cited(self, uid: str) -> list[tuple[SourceLink, Source]]:
        """The incident's citations with their sources (trashed ones included), in one
        read: what the form shows each time an incident is chosen."""
        with self._db.read() as connection:
            row = rows.get_incident_row(connection, uid)
            if row is None:
                raise NotFoundError(self.kind.label, uid)
            links = rows.links_of(connection, row["id"])
            sources = rows.load_sources_by_uid(connection, [link.source_uid for link in links])
        return [(link, sources[link.source_uid]) for link in links
                if link.source_uid in sources]

    def link_source(
        self, incident_uid: str, source_uid: str, note: str | None = None
    ) -> Outcome[SourceLink]:
        """Cite a source (or change the note of an existing citation)."""
        note = note.strip() or None if note else None
        at = _stamp()
        with self._db.write() as connection:
            incident = self._require(connection, incident_uid)
            source_row = rows.get_source_row(connection, source_uid)
            if source_row is None:
                raise NotFoundError("source", source_uid)
            key = {"incident_id": incident.meta.id, "source_id": source_row["id"]}
            existing = connection.execute(
                select(incident_source_table.c.note).where(
                    incident_source_table.c.incident_id == key["incident_id"],
                    incident_source_table.c.source_id == key["source_id"],
                )
            ).first()
            if existing is None:
                connection.execute(insert(incident_source_table).values(**key, note=note))
                changed = {"source": [None, source_uid], "note": [None, note]}
            elif existing[0] != note:
                connection.execute(
                    update(incident_source_table)
                    .where(
                        incident_source_table.c.incident_id == key["incident_id"],
                        incident_source_table.c.source_id == key["source_id"],
                    )
                    .values(note=note)
                )
                changed = {"source": [source_uid, source_uid], "note": [existing[0], note]}
            else:
                return Outcome(SourceLink(source_uid, note))
            self._audit(connection, AuditAction.LINK, incident_uid, incident.ref, changed, at)
        changes = Changes(incidents=frozenset({incident_uid}), sources=frozenset({source_uid}))
        self._notifier.notify(changes)
        return Outcome(SourceLink(source_uid, note), changes)

    def unlink_source(self, incident_uid: str, source_uid: str) -> Outcome[SourceLink | None]:
        at = _stamp()
        with self._db.write() as connection:
            incident = self._require(connection, incident_uid)
            source_row = rows.get_source_row(connection, source_uid)
            if source_row is None:
                raise NotFoundError("source", source_uid)
            condition = (incident_source_table.c.incident_id == incident.meta.id) & (
                incident_source_table.c.source_id == source_row["id"]
            )
            note = connection.execute(select(incident_source_table.c.note).where(condition)).first()
            if note is None:
                return Outcome(None)
            connection.execute(delete(incident_source_table).where(condition))
            self._audit(
                connection,
                AuditAction.UNLINK,
                incident_uid,
                incident.ref,
                {"source": [source_uid, None], "note": [note[0], None]},
                at,
            )
        changes = Changes(incidents=frozenset({incident_uid}), sources=frozenset({source_uid}))
        self._notifier.notify(changes)
        return Outcome(SourceLink(source_uid, note[0]), changes)

    def tags_in_use(self) -> list[str]:
        with self._db.read() as connection:
            return list(
                connection.execute(
                    select(incident_tag_table.c.tag).distinct().order_by(incident_tag_table.c.tag)
                ).scalars()
            )


def transition_problem(current: Incident, status: Status) -> str | None:
    """Why the review workflow does not let ``current`` go to ``status``; None if it does."""
    if status in STATUS_TRANSITIONS[current.status]:
        return None
    allowed = ", ".join(sorted(s.label for s in STATUS_TRANSITIONS[current.status]))
    return f"cannot go from {current.status.label} to {status.label} (possible: {allowed})"


def _check_transition(current: Incident, status: Status) -> None:
    problem = transition_problem(current, status)
    if problem is not None:
        raise ValidationError({"status": problem}, record=f"incident {current.label}")
