"""Curating the actors' vocabulary: rename an actor, give it aliases, merge two into one.

An incident stores its actors by the vocabulary's row, so renaming an actor or
merging one into another changes what every incident naming it says. Each such
incident therefore gets a new version and an audit entry of its own (its
``actors`` and derived ``perpetrator``, as an edit records them), so that the
audit log's replay and the records' fingerprints stay true; the vocabulary's own
change is audited under the kind ``actor``. Every edit returns a receipt that
undoes it (gui/actors_dialog.py pushes them on the window's undo stack).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import MAX_ACTOR_NAME, IncidentActor, derived_perpetrator
from incidentlog.domain.enums import AuditAction, RecordKind
from incidentlog.domain.errors import NotFoundError, ValidationError, quoted
from incidentlog.domain.records import Incident
from incidentlog.services.changes import Changes, Outcome
from incidentlog.services.incidents import IncidentService, _actors_change
from incidentlog.services.records import _stamp, diff
from incidentlog.store import actor_edits as vocab
from incidentlog.store import audit, lineage
from incidentlog.store import records as rows
from incidentlog.store.actors import ActorNames, replace_actors
from incidentlog.store.schema import audit_table, incident_table

#: ``progress(done, total)``: how far a rewrite of the incidents naming an actor is.
Progress = Callable[[int, int], None]

#: Incidents read at a time when an edit of the vocabulary rewrites those naming an actor.
REWRITE_BATCH = 2_000

#: The audit log's kind for the vocabulary's own entries (not a record: no replay).
ACTOR_KIND = "actor"


@dataclass(frozen=True, slots=True)
class Renamed:
    """A rename, enough to undo it; ``dropped_alias``: the alias the new name was."""

    old: str
    new: str
    dropped_alias: str | None = None


@dataclass(frozen=True, slots=True)
class ActorsMerged:
    """A merge of ``merged`` into ``survivor``, enough to undo it."""

    merged: str
    merged_aliases: tuple[str, ...]
    survivor: str
    #: The actors each incident touched had before, by uid.
    before: Mapping[str, tuple[IncidentActor, ...]]


def _mapped(actors: Iterable[IncidentActor], names: Mapping[str, str]) -> tuple[IncidentActor, ...]:
    """The actors with the names of ``names`` replaced; an actor now repeated is dropped."""
    result: list[IncidentActor] = []
    for actor in actors:
        moved = replace(actor, actor=names.get(actor.actor or "", actor.actor),
                        attributed_by=names.get(actor.attributed_by or "", actor.attributed_by))
        if moved not in result:
            result.append(moved)
    return tuple(result)


class ActorService(IncidentService):
    """The vocabulary's edits; each is one transaction, audited, and notified."""

    def entries(self) -> list[vocab.ActorEntry]:
        with self._db.read() as connection:
            return vocab.actor_entries(connection)

    # --- the edits ----------------------------------------------------------------------

    def rename(self, name: str, new_name: str, *, progress: Progress | None = None
               ) -> Outcome[Renamed]:
        """The actor ``name`` is called ``new_name`` from now on, in every incident;
        ``progress(done, total)`` after each batch of them."""
        new_name = _checked_name(new_name, "name")
        at = _stamp()
        with self._db.write() as connection:
            actor_id, old = self._actor_named(connection, name)
            dropped = None
            owner = vocab.name_owner(connection, new_name)
            if owner is not None and owner[0] != actor_id:
                raise ValidationError({"name": f"{quoted(new_name)} already names {owner[1]}"},
                                      record=f"actor {old}")
            if new_name == old:
                return Outcome(Renamed(old, new_name))
            for alias in vocab.aliases_of(connection, actor_id):
                if alias.casefold() == new_name.casefold():
                    vocab.drop_alias(connection, alias)
                    dropped = alias
            # The incidents first, read under the old name; their actor rows keep the
            # actor's id, so only the incidents' versions, derived perpetrator and
            # entries change, and the vocabulary's row last.
            uids = self._rewrite(connection,
                                 self._incidents_naming(connection, [actor_id], progress),
                                 lambda incident: _mapped(incident.actors, {old: new_name}), at,
                                 same_rows=True)
            vocab.set_actor_name(connection, actor_id, new_name)
            changed: dict[str, list[str | None]] = {"name": [old, new_name]}
            if dropped is not None:
                changed["alias"] = [dropped, None]
            self._audit_actor(connection, AuditAction.UPDATE, actor_id, new_name, changed, at)
        return self._done(Renamed(old, new_name, dropped), uids)

    def undo_rename(self, renamed: Renamed) -> Outcome[Renamed]:
        outcome = self.rename(renamed.new, renamed.old)
        if renamed.dropped_alias is not None:
            self.add_alias(renamed.old, renamed.dropped_alias)
        return outcome

    def add_alias(self, name: str, alias: str) -> Outcome[str]:
        """``alias`` becomes another name of the actor ``name``; returns the alias stored."""
        alias = _checked_name(alias, "alias")
        at = _stamp()
        with self._db.write() as connection:
            actor_id, stored = self._actor_named(connection, name)
            owner = vocab.name_owner(connection, alias)
            if owner is not None:
                already = "is already an alias of" if owner[0] == actor_id else "already names"
                raise ValidationError({"alias": f"{quoted(alias)} {already} {owner[1]}"},
                                      record=f"actor {stored}")
            vocab.put_alias(connection, actor_id, alias)
            self._audit_actor(connection, AuditAction.UPDATE, actor_id, stored,
                              {"alias": [None, alias]}, at)
        return self._done(alias, frozenset())

    def remove_alias(self, alias: str) -> Outcome[str]:
        """``alias`` names no actor any more; returns the name of the actor it named."""
        at = _stamp()
        with self._db.write() as connection:
            owner = vocab.name_owner(connection, alias)
            if owner is None or owner[1].casefold() == alias.strip().casefold():
                raise ValidationError({"alias": f"{quoted(alias)} is not an alias"})
            vocab.drop_alias(connection, alias.strip())
            self._audit_actor(connection, AuditAction.UPDATE, owner[0], owner[1],
                              {"alias": [alias.strip(), None]}, at)
        return self._done(owner[1], frozenset())

    def merge(self, merged: str, survivor: str, *, progress: Progress | None = None
              ) -> Outcome[ActorsMerged]:
        """``merged`` and its aliases become aliases of ``survivor``; every incident
        naming ``merged`` names ``survivor`` instead (a repeat is dropped);
        ``progress(done, total)`` after each batch of them."""
        at = _stamp()
        with self._db.write() as connection:
            merged_id, merged_name = self._actor_named(connection, merged)
            survivor_id, survivor_name = self._actor_named(connection, survivor)
            if merged_id == survivor_id:
                raise ValidationError({"merge": "an actor cannot be merged into itself"},
                                      record=f"actor {merged_name}")
            aliases = vocab.aliases_of(connection, merged_id)
            before: dict[str, tuple[IncidentActor, ...]] = {}
            # The incidents first: the merged actor's name must find the survivor's row.
            vocab.move_aliases(connection, merged_id, survivor_id)
            renamed = {merged_name: survivor_name}
            names = ActorNames(connection)

            def merged_actors(incident: Incident) -> tuple[IncidentActor, ...]:
                before[incident.meta.uid or ""] = incident.actors  # for the undo
                return _mapped(incident.actors, renamed)

            uids = self._rewrite(connection,
                                 self._incidents_naming(connection, [merged_id], progress),
                                 merged_actors, at, names)
            vocab.delete_actor(connection, merged_id)
            vocab.put_alias(connection, survivor_id, merged_name)
            self._audit_actor(connection, AuditAction.MERGE, merged_id, merged_name,
                              {"name": [merged_name, None], "merged_into": [None, survivor_name]},
                              at)
            self._audit_actor(connection, AuditAction.MERGE, survivor_id, survivor_name,
                              {"aliases": [None, [merged_name, *aliases]],
                               "incidents": [None, len(uids)]}, at)
        receipt = ActorsMerged(merged_name, aliases, survivor_name, before)
        return self._done(receipt, uids)

    def unmerge(self, receipt: ActorsMerged) -> Outcome[ActorsMerged]:
        """Undo a merge: the actor is back with its aliases, the incidents as they were."""
        at = _stamp()
        with self._db.write() as connection:
            _, survivor_name = self._actor_named(connection, receipt.survivor)
            if vocab.actor_row(connection, receipt.merged) is not None:
                raise ValidationError({"merge": f"{receipt.merged} is an actor again already"})
            for alias in (receipt.merged, *receipt.merged_aliases):
                vocab.drop_alias(connection, alias)
            merged_id = vocab.insert_actor(connection, receipt.merged)
            for alias in receipt.merged_aliases:
                vocab.put_alias(connection, merged_id, alias)
            self._audit_actor(connection, AuditAction.RESTORE, merged_id, receipt.merged,
                              {"name": [None, receipt.merged],
                               "merged_into": [survivor_name, None]}, at)
            current = rows.load_incidents_by_uid(connection, list(receipt.before))
            uids = self._rewrite(connection, list(current.values()), lambda incident:
                                 receipt.before.get(incident.meta.uid or "", incident.actors), at)
        return self._done(receipt, uids)

    # --- shared steps -------------------------------------------------------------------

    def _actor_named(self, connection: Connection, name: str) -> tuple[int, str]:
        found = vocab.actor_row(connection, name.strip())
        if found is None:
            raise NotFoundError("actor", name)
        return found

    def _incidents_naming(self, connection: Connection, actor_ids: Sequence[int],
                          progress: Progress | None = None) -> Iterator[Incident]:
        """Every incident naming one of ``actor_ids``, read a batch at a time: an actor
        of a million-incident log may be named by a sixth of it (docs/performance.md)."""
        ids = vocab.incident_ids_naming(connection, actor_ids)
        for start in range(0, len(ids), REWRITE_BATCH):
            if progress is not None:
                progress(start, len(ids))
            yield from rows.load_incidents(connection, ids[start:start + REWRITE_BATCH]).values()

    def _rewrite(
        self,
        connection: Connection,
        incidents: Iterable[Incident],
        actors_of: Callable[[Incident], tuple[IncidentActor, ...]],
        at: str,
        names: ActorNames | None = None,
        *,
        same_rows: bool = False,
    ) -> frozenset[str]:
        """Each incident with its actors changed: a new version, its rows and an entry.
        ``same_rows``: the actors' rows stand as they are (a rename keeps the ids)."""
        names = names or ActorNames(connection)
        touched: set[str] = set()
        batch: list[_Rewritten] = []
        for current in incidents:
            actors = actors_of(current)
            perpetrator, attribution = derived_perpetrator(actors)
            wanted = replace(current, actors=actors, perpetrator=perpetrator,
                             attribution=attribution)
            old_values, new_values = rows.incident_values(current), rows.incident_values(wanted)
            changed = diff(old_values, new_values) | _actors_change(current, wanted)
            if not same_rows:
                replace_actors(connection, current.meta.id or 0, actors, names)
            if changed:
                batch.append(_Rewritten(current, old_values, new_values, changed))
                touched.add(current.meta.uid or "")
            if len(batch) >= REWRITE_BATCH:
                self._store_rewritten(connection, batch, at)
                batch = []
        self._store_rewritten(connection, batch, at)
        return frozenset(touched)

    def _store_rewritten(self, connection: Connection, batch: Sequence[_Rewritten],
                         at: str) -> None:
        """A batch of rewritten incidents: their lineage, one UPDATE for all of them (only
        the columns that change) and their audit entries, as ``update`` writes one."""
        if not batch:
            return
        lineage.remember_all(connection, [edit.current for edit in batch])
        t = incident_table
        columns = sorted({name for edit in batch for name, value in edit.new.items()
                          if edit.old.get(name) != value})
        connection.execute(
            update(t).where(t.c.id == bindparam("r_id")).values(
                **{name: bindparam(f"r_{name}") for name in columns},
                version=t.c.version + 1, updated_at=at, updated_by=self._actor),
            [{"r_id": edit.current.meta.id} | {f"r_{name}": edit.new[name] for name in columns}
             for edit in batch])
        entries = [(at, self._actor, AuditAction.UPDATE.value, RecordKind.INCIDENT.value,
                    edit.current.meta.uid or "", edit.current.label, edit.changed)
                   for edit in batch]
        audit_rows, _ = audit.audit_rows(audit.last_hash(connection), entries)
        connection.execute(insert(audit_table), audit_rows)

    def _audit_actor(self, connection: Connection, action: AuditAction, actor_id: int,
                     name: str, changes: Mapping[str, Any], at: str) -> None:
        audit.append(connection, at=at, actor=self._actor, action=action.value,
                     kind=ACTOR_KIND, uid=f"actor-{actor_id}", label=name, changes=changes)

    def _done(self, record: Any, uids: frozenset[str]) -> Outcome[Any]:
        changes = Changes(incidents=uids, vocabulary=True)
        self._notifier.notify(changes)
        return Outcome(record, changes)


@dataclass(frozen=True, slots=True)
class _Rewritten:
    """An incident whose actors changed: as it was, its columns then and now, the entry."""

    current: Incident
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    changed: Mapping[str, Any]


def _checked_name(text: str, field: str) -> str:
    """A name or alias as stored: trimmed, not empty, not too long."""
    name = (text or "").strip()
    if not name:
        raise ValidationError({field: "must not be empty"})
    if len(name) > MAX_ACTOR_NAME:
        raise ValidationError({field: f"is longer than {MAX_ACTOR_NAME} characters"})
    return name
