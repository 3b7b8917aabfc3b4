"""Merging two incidents into one, in one transaction, audited and undoable.

The survivor takes the facts chosen field by field (gui/merge_dialog.py) and
every child row of the other (store/merge.py: citations, tags, quotes,
comments, verdicts, attachments, links to related incidents) and the actors it
lacks. The other stays as a tombstone: in the
trash, hidden from it, with ``merged_into`` naming the survivor, so that its
uid still resolves (an import of a file holding it links the survivor).
``unmerge`` takes a receipt and puts everything back.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy.engine import Connection

from incidentlog.domain.actors import derived_perpetrator
from incidentlog.domain.enums import AuditAction, RecordKind
from incidentlog.domain.errors import ValidationError
from incidentlog.domain.records import Incident
from incidentlog.domain.validation import checked_incident
from incidentlog.services.changes import Changes, Outcome
from incidentlog.services.incidents import IncidentService, _actors_change, _with_actor_names
from incidentlog.services.records import _stamp, diff
from incidentlog.store import audit
from incidentlog.store import merge as children
from incidentlog.store import records as rows
from incidentlog.store.actors import ActorNames, replace_actors

#: The facts a merge may take from either incident, in the dialog's order.
MERGE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Incident)
    # The perpetrator and its attribution follow from the actors (domain/actors.py).
    if f.name not in ("meta", "tags", "ref", "perpetrator", "attribution"))


@dataclass(frozen=True, slots=True)
class MergeReceipt:
    """What a merge did, enough to undo it."""

    survivor_uid: str
    merged_uid: str
    before: Incident  # the survivor's facts before the merge
    after: Incident  # the survivor's facts after it
    moved: children.Moved


def combined(survivor: Incident, other: Incident, take: set[str]) -> Incident:
    """The survivor with the fields named in ``take`` taken from ``other``."""
    return replace(survivor, **{name: getattr(other, name) for name in take})


def with_actors_of(record: Incident, other: Incident) -> Incident:
    """``record`` with the actors of ``other`` it lacks after its own: a merge moves them."""
    extra = tuple(actor for actor in other.actors if actor not in record.actors)
    if not extra:
        return record
    actors = record.actors + extra
    perpetrator, attribution = derived_perpetrator(actors)
    return replace(record, actors=actors, perpetrator=perpetrator, attribution=attribution)


class MergeService(IncidentService):
    def merge(self, survivor_uid: str, merged_uid: str, facts: Incident | None = None,
              *, versions: tuple[int, int] | None = None) -> Outcome[MergeReceipt]:
        """Merge ``merged_uid`` into ``survivor_uid``; ``facts``: the survivor as chosen.

        ``versions``: the versions of the two the person saw; a newer one refuses.
        """
        if survivor_uid == merged_uid:
            raise ValidationError({"merge": "an incident cannot be merged into itself"})
        at = _stamp()
        with self._db.write() as connection:
            survivor = self._require(connection, survivor_uid)
            merged = self._require(connection, merged_uid)
            if versions is not None:
                self._check_version(survivor, versions[0])
                self._check_version(merged, versions[1])
            for record in (survivor, merged):
                if record.meta.deleted_at is not None:
                    raise ValidationError({"merge": f"{record.label} is in the trash"},
                                          record=f"incident {record.label}")
            wanted = with_actors_of(survivor if facts is None else replace(
                checked_incident(facts), ref=survivor.ref, tags=survivor.tags,
                meta=survivor.meta), merged)
            moved = children.move_children(connection, merged.meta.id or 0,
                                           survivor.meta.id or 0)
            self._audit_quotes(connection, moved, merged_uid, survivor_uid, at)
            self._write_facts(connection, survivor, wanted, at,
                              {"merged": [None, merged_uid], "moved": _counts(moved)})
            self._bump(connection, merged, None, {"deleted_at": at, "merged_into": survivor_uid,
                                                   "updated_at": at, "updated_by": self._actor})
            self._audit(connection, AuditAction.MERGE, merged_uid, merged.label,
                        {"deleted_at": [None, at], "merged_into": [None, survivor_uid]}
                        | _tags_change(connection, merged), at)
            after = self._require(connection, survivor_uid)
        receipt = MergeReceipt(survivor_uid, merged_uid, survivor, after, moved)
        changes = self._both(receipt)
        self._notifier.notify(changes)
        return Outcome(receipt, changes)

    def unmerge(self, receipt: MergeReceipt) -> Outcome[Incident]:
        """Undo a merge: the rows go back, the survivor's facts return, the other is live."""
        at = _stamp()
        with self._db.write() as connection:
            survivor = self._require(connection, receipt.survivor_uid)
            merged = self._require(connection, receipt.merged_uid)
            if merged.meta.deleted_at is None:
                raise ValidationError({"merge": f"{merged.label} is not merged any more"})
            children.move_back(connection, receipt.moved, survivor.meta.id or 0,
                               merged.meta.id or 0)
            self._audit_quotes(connection, receipt.moved, receipt.survivor_uid,
                               receipt.merged_uid, at)
            before = replace(receipt.before, tags=survivor.tags, meta=survivor.meta)
            self._write_facts(connection, survivor, before, at,
                              {"merged": [receipt.merged_uid, None],
                               "moved": _counts(receipt.moved)})
            self._bump(connection, merged, None, {"deleted_at": None, "merged_into": None,
                                                   "updated_at": at, "updated_by": self._actor})
            self._audit(connection, AuditAction.RESTORE, receipt.merged_uid, merged.label,
                        {"deleted_at": [merged.meta.deleted_at, None],
                         "merged_into": [receipt.survivor_uid, None]}
                        | _tags_change(connection, merged), at)
            restored = self._require(connection, receipt.merged_uid)
        return self._finish(Outcome(restored, self._both(receipt)))

    def _write_facts(self, connection: Connection, current: Incident, wanted: Incident,
                     at: str, also: dict[str, Any]) -> None:
        """The survivor's new facts (its version goes up even when only rows moved)."""
        names = ActorNames(connection)
        wanted = _with_actor_names(wanted, names)
        old_values, new_values = rows.incident_values(current), rows.incident_values(wanted)
        changed = (diff(old_values, new_values) | _tags_change(connection, current)
                   | _actors_change(current, wanted))
        self._bump(connection, current, None,
                   {**new_values, "updated_at": at, "updated_by": self._actor})
        if current.actors != wanted.actors:
            replace_actors(connection, current.meta.id or 0, wanted.actors, names)
        self._audit(connection, AuditAction.MERGE, current.meta.uid or "", current.label,
                    changed | also, at)

    def _audit_quotes(self, connection: Connection, moved: children.Moved, old: str, new: str,
                      at: str) -> None:
        """A quote names its incident: each moved one gets a new version and an entry."""
        ids = [key[0] for key in moved.get("quote", [])]
        if not ids:
            return
        for uid in children.bump_quotes(connection, ids, at, self._actor):
            audit.append(connection, at=at, actor=self._actor, action=AuditAction.UPDATE.value,
                         kind=RecordKind.QUOTE.value, uid=uid, label=None,
                         changes={"incident": [old, new]})

    def _both(self, receipt: MergeReceipt) -> Changes:
        uids = frozenset({receipt.survivor_uid, receipt.merged_uid})
        return Changes.of(RecordKind.INCIDENT, uids, rows_changed=True)


def _tags_change(connection: Connection, record: Incident) -> dict[str, list[Any]]:
    """The tag rows moved to or from ``record``, as its audit log records tags."""
    row_id = record.meta.id or 0
    now = sorted(rows.tags_of(connection, [row_id]).get(row_id, []))
    return {} if now == sorted(record.tags) else {"tags": [list(record.tags), now]}


def _counts(moved: children.Moved) -> dict[str, int]:
    return {table: len(keys) for table, keys in moved.items()}
