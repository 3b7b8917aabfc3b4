"""One change applied to a selection of incidents, in one transaction (docs/architecture.md).

Tags added or removed, event type, country, status (through the review
workflow, as a single edit) and confidence. Each record changed gets its own
audit entry and version; a record already in the target state is not touched;
a record saved by someone else since the selection was read is reported, not
overwritten. The result holds each changed record before and after, so the
window can make the whole edit one undoable command: ``revert(result)`` undoes
it, and reverting that result redoes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Final

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import AuditAction, RecordKind, Status
from incidentlog.domain.errors import ConflictError, ValidationError
from incidentlog.domain.records import Incident
from incidentlog.domain.validation import clean_incident, clean_tags, incident_errors
from incidentlog.domain.when import utc_now
from incidentlog.services.changes import ChangeNotifier, Changes, Outcome
from incidentlog.services.incidents import transition_problem
from incidentlog.services.records import diff
from incidentlog.store import audit
from incidentlog.store import records as rows
from incidentlog.store.database import Database
from incidentlog.store.schema import audit_table, incident_table, incident_tag_table


class Keep(Enum):
    """The field is left as each record has it (distinct from None, which clears it)."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP

#: The columns a bulk edit may set, besides the tags.
BULK_FIELDS = ("event_type", "country", "status", "confidence")


@dataclass(frozen=True, slots=True)
class BulkChange:
    """What to do to every selected incident; ``KEEP`` leaves a field as it is."""

    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    event_type: str | Keep | None = KEEP
    country: str | Keep | None = KEEP
    status: Status | Keep = KEEP
    confidence: int | Keep | None = KEEP

    @property
    def is_empty(self) -> bool:
        return self == BulkChange()

    def applied_to(self, record: Incident) -> Incident:
        """``record`` as this change makes it (not yet validated or stored)."""
        tags = (set(record.tags) | set(self.add_tags)) - set(self.remove_tags)
        fields: dict[str, Any] = {"tags": tuple(sorted(tags))}
        for name in BULK_FIELDS:
            value = getattr(self, name)
            if value is not KEEP:
                fields[name] = value
        return replace(record, **fields)


@dataclass(frozen=True, slots=True)
class Selected:
    """A selected incident as the window read it: its uid and the version it showed."""

    uid: str
    version: int


@dataclass(frozen=True, slots=True)
class BulkEdited:
    before: Incident
    after: Incident


@dataclass(frozen=True, slots=True)
class BulkRefusal:
    """A selected incident the change could not be applied to, and why (a sentence)."""

    uid: str
    label: str
    message: str


@dataclass(frozen=True, slots=True)
class BulkResult:
    edited: tuple[BulkEdited, ...] = ()
    unchanged: tuple[str, ...] = ()  # uids already in the target state: not touched
    conflicts: tuple[ConflictError, ...] = ()  # saved by someone else since the selection
    refused: tuple[BulkRefusal, ...] = ()  # in the trash, purged, or a status not allowed

    def summary(self) -> str:
        """One sentence for the status bar."""
        parts = [f"{len(self.edited)} {_incidents(len(self.edited))} changed"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        if self.conflicts:
            who = sorted({c.changed_by or "someone else" for c in self.conflicts})
            one = len(self.conflicts) == 1
            parts.append(
                f"{len(self.conflicts)} changed by {', '.join(who)} since you selected "
                f"{'it, left as it is' if one else 'them, left as they are'} "
                f"({', '.join(c.label for c in self.conflicts[:5])})"
            )
        if self.refused:
            parts.append(
                f"{len(self.refused)} not changed ("
                + "; ".join(f"{r.label}: {r.message}" for r in self.refused[:3])
                + ("; …" if len(self.refused) > 3 else "")
                + ")"
            )
        return "; ".join(parts) + "."


def _incidents(count: int) -> str:
    return "incident" if count == 1 else "incidents"


def checked_change(change: BulkChange) -> BulkChange:
    """The change as it will be stored (trimmed, tags lower-cased), or ``ValidationError``.

    The rules are those of a single incident (domain/validation.py), checked
    once for the change rather than once per record.
    """
    probe = Incident(
        event_type=None if change.event_type is KEEP else change.event_type,
        country=None if change.country is KEEP else change.country,
        confidence=None if change.confidence is KEEP else change.confidence,
        tags=change.add_tags + change.remove_tags,
    )
    cleaned = clean_incident(probe)
    errors = {
        name: text
        for name, text in incident_errors(cleaned).items()
        if name in ("event_type", "country", "confidence", "tags")
    }
    add, remove = clean_tags(change.add_tags), clean_tags(change.remove_tags)
    both = sorted(set(add) & set(remove))
    if both:
        errors["tags"] = f"{', '.join(both)}: cannot be both added and removed"
    if errors:
        raise ValidationError(errors, record="bulk edit")
    return replace(
        change,
        add_tags=add,
        remove_tags=remove,
        event_type=change.event_type if change.event_type is KEEP else cleaned.event_type,
        country=change.country if change.country is KEEP else cleaned.country,
    )


def _bulk_values(incident: Incident) -> dict[str, Any]:
    return {
        "event_type": incident.event_type,
        "country": incident.country,
        "status": incident.status.value,
        "confidence": incident.confidence,
    }


Target = Callable[[Incident], Incident]


class BulkEditService:
    """Bulk edit of incidents: ``apply`` a change to a selection, ``revert`` a result."""

    def __init__(self, database: Database, actor: str, notifier: ChangeNotifier) -> None:
        self._db = database
        self._actor = actor
        self._notifier = notifier

    def apply(self, selection: Sequence[Selected], change: BulkChange) -> Outcome[BulkResult]:
        """Apply ``change`` to every selected incident that is live and still as it was read.

        Status changes follow the review workflow; a record it does not allow
        to take the new status is refused (listed in the result), the others
        changed. Raises ``ValidationError`` only for a change that is itself
        invalid (an unknown country code, a confidence of 9).
        """
        change = checked_change(change)
        wanted = {s.uid: (s.version, change.applied_to) for s in selection}
        return self._write(wanted, check_transition=True)

    def revert(self, result: BulkResult) -> Outcome[BulkResult]:
        """Put each record ``result`` changed back as it was (undo; reverting that redoes).

        A record changed again since ``result`` is reported as a conflict and
        left as it is. Status goes back even where the workflow has no such
        step, as undo of a single edit does.
        """
        wanted: dict[str, tuple[int, Target]] = {}
        for edited in result.edited:
            before = edited.before
            restored = {name: getattr(before, name) for name in BULK_FIELDS}

            def target(current: Incident, fields: Mapping[str, Any] = restored,
                       tags: tuple[str, ...] = before.tags) -> Incident:
                return replace(current, tags=tags, **fields)

            wanted[edited.after.meta.uid or ""] = (edited.after.meta.version, target)
        return self._write(wanted, check_transition=False)

    def _write(
        self, wanted: Mapping[str, tuple[int, Target]], *, check_transition: bool
    ) -> Outcome[BulkResult]:
        at = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
        edited: list[BulkEdited] = []
        unchanged: list[str] = []
        conflicts: list[ConflictError] = []
        refused: list[BulkRefusal] = []
        with self._db.write() as connection:
            found = rows.load_incidents_by_uid(connection, list(wanted))
            for uid, (version, target) in wanted.items():
                current = found.get(uid)
                if current is None:
                    refused.append(BulkRefusal(uid, uid, "it was deleted for good"))
                    continue
                if current.meta.deleted_at is not None:
                    refused.append(BulkRefusal(uid, current.label, "it is in the trash"))
                    continue
                if current.meta.version != version:
                    conflicts.append(_conflict(current, version))
                    continue
                new = target(current)
                if _bulk_values(new) == _bulk_values(current) and new.tags == current.tags:
                    unchanged.append(uid)
                    continue
                problem = (
                    transition_problem(current, new.status)
                    if check_transition and new.status != current.status
                    else None
                )
                if problem is not None:
                    refused.append(BulkRefusal(uid, current.label, problem))
                    continue
                after_meta = replace(
                    current.meta, version=version + 1, updated_at=at, updated_by=self._actor
                )
                edited.append(BulkEdited(current, replace(new, meta=after_meta)))
            grew = self._store(connection, edited, at)
        result = BulkResult(tuple(edited), tuple(unchanged), tuple(conflicts), tuple(refused))
        changes = Changes(
            incidents=frozenset(e.after.meta.uid or "" for e in edited), vocabulary=grew
        )
        self._notifier.notify(changes)
        return Outcome(result, changes)

    def _store(self, connection: Connection, edited: Sequence[BulkEdited], at: str) -> bool:
        """The rows, tags, audit entries and vocabulary of the changed records; True if the
        vocabulary grew."""
        if not edited:
            return False
        t = incident_table
        # Only the columns that change anywhere: setting event_type, even to its own
        # value, rewrites the row's full-text entry (the trigger is AFTER UPDATE OF).
        values = [(_bulk_values(e.before), _bulk_values(e.after)) for e in edited]
        columns = [
            name for name in BULK_FIELDS if any(old[name] != new[name] for old, new in values)
        ]
        connection.execute(
            update(t)
            .where(t.c.id == bindparam("b_id"), t.c.version == bindparam("b_version"))
            .values(
                **{name: bindparam(f"b_{name}") for name in columns},
                version=t.c.version + 1,
                updated_at=at,
                updated_by=self._actor,
            ),
            [
                {"b_id": e.before.meta.id, "b_version": e.before.meta.version}
                | {f"b_{name}": new[name] for name in columns}
                for e, (_, new) in zip(edited, values, strict=True)
            ],
        )
        _store_tags(connection, edited)
        entries = []
        for e, (old, new) in zip(edited, values, strict=True):
            changed: dict[str, Any] = diff(old, new)
            if e.before.tags != e.after.tags:
                changed["tags"] = [list(e.before.tags), list(e.after.tags)]
            action = AuditAction.STATUS if set(changed) == {"status"} else AuditAction.UPDATE
            entries.append((at, self._actor, action.value, RecordKind.INCIDENT.value,
                            e.after.meta.uid or "", e.after.ref, changed))
        audit_rows, _ = audit.audit_rows(audit.last_hash(connection), entries)
        connection.execute(insert(audit_table), audit_rows)
        vocabulary = {entry for e in edited for entry in rows.incident_vocabulary(e.after)
                      if entry[0] in ("event_type", "tag")}
        return rows.extend_vocabulary(connection, vocabulary)


def _store_tags(connection: Connection, edited: Sequence[BulkEdited]) -> None:
    """Only the tags that come and go: the others' rows stay as they are."""
    removed = [
        {"b_id": e.before.meta.id, "b_tag": tag}
        for e in edited
        for tag in sorted(set(e.before.tags) - set(e.after.tags))
    ]
    added = [
        {"incident_id": e.before.meta.id, "tag": tag}
        for e in edited
        for tag in sorted(set(e.after.tags) - set(e.before.tags))
    ]
    if removed:
        it = incident_tag_table
        connection.execute(
            delete(it).where(
                it.c.incident_id == bindparam("b_id"), it.c.tag == bindparam("b_tag")
            ),
            removed,
        )
    if added:
        connection.execute(insert(incident_tag_table), added)


def _conflict(current: Incident, expected: int) -> ConflictError:
    return ConflictError(
        RecordKind.INCIDENT.label,
        current.meta.uid or "",
        current.label,
        expected,
        current.meta.version,
        current.meta.updated_by,
        current.meta.updated_at,
    )
