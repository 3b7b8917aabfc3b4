"""Pass 2 of an import: merging the checked records with what is here, kind by kind.

``Importer`` writes what the spool of pass 1 holds inside the transaction that
``json.importing`` opens; the rules by which a record of the file replaces ours
(its lineage, never the clocks) are ``json.rules`` and docs/formats.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import IncidentActor, derived_perpetrator
from incidentlog.domain.enums import AuditAction, RecordKind
from incidentlog.domain.records import SourceLink
from incidentlog.exchange.json.check import Checked, Spool
from incidentlog.exchange.json.merge_links import RelatedPlan
from incidentlog.exchange.json.merge_review import ReviewMerge
from incidentlog.exchange.json.rules import (
    Meta,
    actor_change,
    actor_list,
    created,
    diff,
    link_change,
    tag_change,
)
from incidentlog.exchange.json.vocabulary import import_actors
from incidentlog.exchange.reports import ImportReport, Ticker
from incidentlog.exchange.scope import BATCH, Row
from incidentlog.services import Services
from incidentlog.store import audit, bulk, lineage
from incidentlog.store import merge as store_merge
from incidentlog.store import records as store_records
from incidentlog.store.actors import ActorNames, actors_by_incident, write_actors
from incidentlog.store.records import live_view_names
from incidentlog.store.schema import (
    incident_source_table,
    incident_table,
    incident_tag_table,
    period_table,
    quote_table,
    saved_view_table,
    source_table,
)

__all__ = ["Importer"]


#: From how many records an import into an empty log builds its indexes at the end.
_DEFER_INDEXES_FROM = 1000


class Importer(ReviewMerge):
    """Pass 2: merge the file into the database inside the caller's transaction.

    Merge rules, per record, by uid first:

    - not here: added, keeping its uid, ref, version, stamps and lineage
      (so that export → import → export gives the same document);
    - here with the same content: unchanged;
    - here, and ours is one of the versions the file's copy was derived from
      (its ``ancestors``): updated; its version becomes the larger of the
      file's and ours + 1, so that an editor holding the old version notices;
    - here, and the file's copy is one of our earlier versions: nothing;
    - otherwise a conflict: ours is kept and both versions are reported
      (``json.rules``, docs/formats.md "Import and merge"; clocks decide nothing);
    - here but in the trash: skipped and reported (restore it, then import again).

    A source whose uid is not here but whose normalized URL is that of a live
    source that was here before the import is merged into it: citations and
    quotes of the file's source go to ours. Two sources of the file that are new
    here and share a normalized URL are merged the same way, into the first one
    (named in the report): a file with the same address twice is one source.

    A new incident whose ref is used here by another incident gets the next
    free ref (``renumbered``); an updated incident whose new ref is taken keeps
    its own. Citations are added when missing (never removed); the note of an
    existing citation follows the file only when the incident is updated.
    Each added or updated record gets an audit entry (action "import").

    The records come from the spool of pass 1 as plain values, in batches: one
    query per batch finds what is already here, and new rows, citations, tags
    and audit entries go in with one ``executemany`` each (``store.bulk``).
    """

    def __init__(
        self, services: Services, path: Path, checked: Checked, ticker: Ticker, spool: Spool
    ) -> None:
        super().__init__(services.actor, path)
        self.checked = checked
        self.ticker = ticker
        self.spool = spool
        self.sqlite = services.database.backend.name == "sqlite"  # DeferredIndexes is SQLite's
        self.renumbered: list[str] = []
        self.links_added = 0
        self.related = RelatedPlan()  # links to related incidents, written after the incidents
        self.source_alias: dict[str, str] = {}  # file uid → uid of the source merged into
        #: normalized URL → (uid, label) of the source this import added with it
        self.added_by_url: dict[str, tuple[str, str]] = {}
        self.merged_notes: list[str] = []
        self.merged_away: list[str] = []
        self.added_incidents: list[str] = []  # uids, for the duplicates section of the report
        # (row id or 0 until known, uid, ref in the file, title, country, local year, changes)
        self.deferred: list[tuple[int, str, str | None, str, str | None, int, dict[str, Any]]] = []
        self.period_uids: set[str] = set()  # added or updated
        self.view_uids: set[str] = set()  # added or updated
        self.watermark = 0  # sources with a larger id were added by this import
        self.actors_added = 0  # names and aliases of the file's vocabulary added here
        self.done = 0

    def report(self, dry_run: bool) -> ImportReport:
        return ImportReport(
            incidents=self.tally["incidents"].frozen(),
            sources=self.tally["sources"].frozen(),
            quotes=self.tally["quotes"].frozen(),
            periods=self.tally["periods"].frozen(),
            saved_views=self.tally["saved_views"].frozen(),
            comments=self.tally["comments"].frozen(),
            verdicts=self.tally["verdicts"].frozen(),
            conflicts=list(self.conflicts),
            warnings=list(self.warnings),
            merged=list(self.merged_notes),
            merged_away=list(self.merged_away),
            older=self.older,
            renumbered=list(self.renumbered),
            dry_run=dry_run,
            links_added=self.links_added,
            related_added=self.related.added,
            path=self.path,
            actors_added=self.actors_added,
        )

    # --- driving ---------------------------------------------------------------------------

    def run(self, connection: Connection) -> None:
        self.connection = connection
        self.prev_hash = audit.last_hash(connection)
        self.watermark = connection.execute(select(func.max(source_table.c.id))).scalar() or 0
        # Into an empty log (a colleague's export loaded into a new database), the indexes
        # and the full-text index are built once at the end rather than row by row.
        indexes = (
            bulk.DeferredIndexes(connection)
            if self.sqlite
            and self.checked.records >= _DEFER_INDEXES_FROM
            and bulk.tables_empty(connection)
            else None
        )
        # The file's actors and aliases first: its incidents' names then find them.
        self.actors_added = import_actors(
            connection, self.checked.extras.get("actors") or (),
            lambda *entry: self.pending_audit.append((self.now, self.actor, *entry)),
            self.warnings)
        for section, handler in (
            ("sources", self._sources),
            ("incidents", self._incidents),
            ("quotes", self._quotes),
            ("periods", self._periods),
            ("saved_views", self._saved_views),
            ("comments", self._comments),
            ("verdicts", self._verdicts),
        ):
            for batch in self.spool.batches(section):
                handler(connection, batch)
                if self.lineages:
                    lineage.replace(connection, self.lineages)
                    self.lineages = {}
                self._advance(len(batch))
                self._flush_audit(connection, final=False)
            if section == "incidents":
                self._assign_deferred_refs(connection)
                self.related.write(connection, self._audit, self.warnings, (self.now, self.actor))
        self._flush_audit(connection, final=True)
        if indexes is not None:
            indexes.rebuild()

    def local_ancestors(self, uid: str) -> list[str]:
        return lineage.ancestors_of(self.connection, [uid]).get(uid, [])

    def _local_quote_print(
        self, connection: Connection, row: Row, values: Mapping[str, Any]
    ) -> Callable[[], str]:
        """The fingerprint of our quote: its references by uid, as in every database."""

        def compute() -> str:
            refs = {"incident": None, "source": None}
            for name, table in (("incident", incident_table), ("source", source_table)):
                if row[f"{name}_id"] is not None:
                    refs[name] = connection.execute(
                        select(table.c.uid).where(table.c.id == row[f"{name}_id"])
                    ).scalar()
            content = lineage.quote_content(
                {name: row[name] for name in values}, refs["incident"], refs["source"]
            )
            return lineage.fingerprint_content("quote", content)

        return compute

    def _advance(self, count: int) -> None:
        self.done += count
        size, records = self.checked.size, max(1, self.checked.records)
        self.ticker.set(size + size * self.done // records)
        self.ticker.check()

    # --- sources ---------------------------------------------------------------------------

    def _sources(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, audit label)`` of each source."""
        tally = self.tally["sources"]
        existing = self._existing(connection, source_table, [item[1][0] for item in batch])
        by_url = self._live_sources_by_url(
            connection,
            {
                values["url_normalized"]
                for _, meta, values, _ in batch
                if meta[0] not in existing and values["url_normalized"]
            },
        )
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, meta_values, values, audit_label in batch:
            meta = self._meta(label, meta_values)
            uid = meta.uid
            row = existing.get(uid)
            if row is None:
                url = values["url_normalized"]
                merged_into = by_url.get(url or "")
                if merged_into is None and url in self.added_by_url:
                    merged_into, first = self.added_by_url[url]
                    self.merged_notes.append(
                        f"{label} ({uid}): the same address as {first}, added by this "
                        "import; merged into it (its citations and quotes are that source's)"
                    )
                if merged_into is not None:
                    self.source_alias[uid] = merged_into
                    tally.merged += 1
                    continue
                if url:
                    self.added_by_url[url] = (uid, f"{label} ({uid})")
                inserts.append(values | self._new_meta(meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.SOURCE, uid, audit_label, created(values)
                )
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed(tally, RecordKind.SOURCE, label, uid)
            else:
                self._merge_changed(
                    RecordKind.SOURCE, label, meta, row, values, diff(row, values), updates,
                    audit_label, _local_print("source", row, values),
                )
        self._write_rows(connection, source_table, inserts, updates)

    def _live_sources_by_url(self, connection: Connection, urls: set[str]) -> dict[str, str]:
        """The uid of the oldest live source that was here before the import, by URL."""
        by_url: dict[str, str] = {}
        if urls:
            for url, uid in connection.execute(
                select(source_table.c.url_normalized, source_table.c.uid)
                .where(
                    source_table.c.url_normalized.in_(urls),
                    source_table.c.deleted_at.is_(None),
                    source_table.c.id <= self.watermark,
                )
                .order_by(source_table.c.id.desc())
            ):
                by_url[url] = uid  # descending: the oldest one wins
        return by_url

    # --- incidents -------------------------------------------------------------------------

    def _incidents(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, tags, citations, title, country, local year,
        actors, links to related incidents)`` of each incident."""
        existing = self._existing(connection, incident_table, [item[1][0] for item in batch])
        existing_tags = store_records.tags_of(connection, [row["id"] for row in existing.values()])
        existing_actors = actors_by_incident(connection, [row["id"] for row in existing.values()])
        refs = {item[2]["ref"] for item in batch if item[2]["ref"]}
        plan = _IncidentWrites(bulk.uids_by_ref(connection, refs))
        alias = self.source_alias
        names = ActorNames(connection)
        for (label, meta_values, values, tags, cited, title, country, year, actors,
             related) in batch:
            file_actors = _named_actors(names, values, actors)
            meta = self._meta(label, meta_values)
            links = _distinct_links(
                SourceLink(alias.get(source, source), note) for source, note in cited
            )
            row = existing.get(meta.uid)
            if row is not None and row["merged_into"] is not None:
                # Merged here: never resurrected; its citations go to the survivor.
                self._merged_incident(connection, plan, label, row, links, existing)
            elif row is None:
                self._new_incident(
                    plan, label, meta, values, (tuple(tags), file_actors), links,
                    (title, country, year),
                )
            elif row["deleted_at"] is not None:
                self._trashed(self.tally["incidents"], RecordKind.INCIDENT, label, meta.uid)
                continue
            else:
                local_tags = tuple(existing_tags.get(row["id"], ()))
                local_actors = existing_actors.get(row["id"], ())
                self._known_incident(
                    plan, label, meta, row, values,
                    ((local_tags, tuple(tags)), (local_actors, file_actors)), links,
                )
            self.related.add(label, meta.uid, tuple(tuple(link) for link in related))
        self._write_incidents(connection, plan, existing)

    def _merged_incident(self, connection: Connection, plan: _IncidentWrites, label: str,
                         row: Row, links: list[SourceLink], existing: dict[str, Row]) -> None:
        """An incident merged into another here (services/merge.py): the file's citations
        are added to the survivor, its facts are not applied; reported."""
        survivor = store_merge.survivors(connection, [row["uid"]]).get(row["uid"], "")
        found = bulk.rows_by_uid(connection, incident_table, [survivor])
        if survivor not in found or found[survivor]["deleted_at"] is not None:
            self._trashed(self.tally["incidents"], RecordKind.INCIDENT, label, row["uid"])
            return
        existing[survivor] = found[survivor]
        plan.links.append((label, survivor, links, False))
        self.merged_away.append(f"{label}: merged into {found[survivor]['ref']} here; "
                                "its sources are cited there, its facts were not applied")

    def _new_incident(
        self,
        plan: _IncidentWrites,
        label: str,
        meta: Meta,
        values: dict[str, Any],
        extras: tuple[tuple[str, ...], tuple[IncidentActor, ...]],
        links: list[SourceLink],
        about: tuple[str, str | None, int],
    ) -> None:
        """An incident not here: added, keeping its ref if it is free (``about``: its title,
        country and local year, should it need the next free ref). ``extras``: its tags and
        actors."""
        tags, actors = extras
        uid, ref = meta.uid, values["ref"]
        changes = created(values) | tag_change((), tags) | actor_change(None, values, actors)
        changes |= link_change(links)
        if plan.free(ref, uid):
            plan.claimed.add(ref)
            self._audit(AuditAction.IMPORT, RecordKind.INCIDENT, uid, ref, changes)
        else:
            # A placeholder until every ref of the file is in; see _assign_deferred_refs.
            values["ref"] = "~" + uid
            changes.pop("ref", None)
            self.deferred.append((0, uid, ref, *about, changes))
        plan.inserts.append(values | self._new_meta(meta))
        self.added_incidents.append(uid)
        plan.new_tags.append((uid, tags))
        plan.new_actors.append((uid, actors))
        plan.links.append((label, uid, links, False))
        self.tally["incidents"].added += 1

    def _known_incident(
        self,
        plan: _IncidentWrites,
        label: str,
        meta: Meta,
        row: Row,
        values: dict[str, Any],
        extras: tuple[tuple[tuple[str, ...], tuple[str, ...]],
                      tuple[tuple[IncidentActor, ...], tuple[IncidentActor, ...]]],
        links: list[SourceLink],
    ) -> None:
        """A live incident here already: merged; it keeps its ref here when the file's new
        ref is used by another incident. ``extras``: the tags, then the actors, each ours
        then the file's."""
        (local_tags, file_tags), (local_actors, file_actors) = extras
        uid = meta.uid
        wanted_ref = values["ref"] or row["ref"]
        ref_note = None
        if wanted_ref != row["ref"] and not plan.free(wanted_ref, uid):
            ref_note = (
                f"{label}: kept its ref {row['ref']} here; {wanted_ref} is used by "
                "another incident"
            )
            wanted_ref = row["ref"]
        plan.claimed.add(wanted_ref)
        values["ref"] = wanted_ref
        changes = diff(row, values) | tag_change(local_tags, file_tags)
        changes |= actor_change((row, local_actors), values, file_actors)
        updated = self._merge_changed(
            RecordKind.INCIDENT, label, meta, row, values, changes, plan.updates, wanted_ref,
            _local_print("incident", row, values, local_tags,
                         actor_list(row, local_actors)),
        )
        plan.links.append((label, uid, links, updated))
        if updated:
            if local_tags != file_tags:
                plan.replaced_tags.append((row["id"], file_tags))
            if local_actors != file_actors:
                plan.replaced_actors.append((row["id"], file_actors))
            if ref_note:
                self.renumbered.append(ref_note)

    def _write_incidents(
        self, connection: Connection, plan: _IncidentWrites, existing: Mapping[str, Row]
    ) -> None:
        self._write_rows(connection, incident_table, plan.inserts, plan.updates)
        ids = bulk.ids_by_uid(connection, incident_table, [uid for _, uid, _, _ in plan.links])
        self.deferred = [
            (ids[uid] if row_id == 0 else row_id, uid, ref, title, country, year, changes)
            for row_id, uid, ref, title, country, year, changes in self.deferred
        ]
        if plan.replaced_tags:
            connection.execute(
                delete(incident_tag_table).where(
                    incident_tag_table.c.incident_id.in_([i for i, _ in plan.replaced_tags])
                )
            )
        tag_rows = [(ids[uid], tag) for uid, tags in plan.new_tags for tag in tags]
        tag_rows += [(i, tag) for i, tags in plan.replaced_tags for tag in tags]
        bulk.insert_rows(connection, incident_tag_table, ("incident_id", "tag"), tag_rows)
        actors = [(ids[uid], found) for uid, found in plan.new_actors if found]
        write_actors(connection, actors, plan.replaced_actors)
        self._links(connection, plan.links, ids, existing)

    def _links(
        self,
        connection: Connection,
        plan: list[tuple[str, str, list[SourceLink], bool]],
        ids: dict[str, int],
        existing: Mapping[str, Row],
    ) -> None:
        """Add the citations that are missing; follow the file's notes for updated incidents."""
        source_ids = bulk.ids_by_uid(
            connection, source_table, {link.source_uid for _, _, links, _ in plan for link in links}
        )
        # Only incidents that were here can have citations already.
        present = _citations(
            connection, [ids[uid] for _, uid, links, _ in plan if links and uid in existing]
        )
        inserts: list[tuple[int, int, str | None]] = []
        note_updates: list[dict[str, Any]] = []
        for label, uid, links, follow_notes in plan:
            incident_id = ids[uid]
            added: list[str] = []
            for number, link in enumerate(links):
                source_id = source_ids.get(link.source_uid)
                if source_id is None:
                    raise self._missing(
                        label, f"sources[{number}].source", "source", link.source_uid
                    )
                key = (incident_id, source_id)
                if key not in present:
                    present[key] = link.note
                    inserts.append((incident_id, source_id, link.note))
                    added.append(link.source_uid)
                elif follow_notes and present[key] != link.note:
                    note_updates.append(
                        {"b_incident": incident_id, "b_source": source_id, "b_note": link.note}
                    )
            if added and uid in existing:  # new incidents list theirs in their own entry
                self.links_added += len(added)
                self._audit(
                    AuditAction.LINK,
                    RecordKind.INCIDENT,
                    uid,
                    existing[uid]["ref"],
                    {"sources": [None, added]},
                )
        bulk.insert_rows(
            connection, incident_source_table, ("incident_id", "source_id", "note"), inserts
        )
        _update_notes(connection, note_updates)

    def _assign_deferred_refs(self, connection: Connection) -> None:
        """Give the incidents whose ref was taken (or missing) the next free ref."""
        given: dict[tuple[str | None, int], str] = {}  # the last ref given, by country, year
        for row_id, uid, old_ref, title, country, year, changes in self.deferred:
            ref = store_records.next_ref(connection, country, year, given.get((country, year)))
            given[(country, year)] = ref
            connection.execute(
                update(incident_table).where(incident_table.c.id == row_id).values(ref=ref)
            )
            if old_ref is None:
                self.renumbered.append(f"{title} ({uid}): had no ref, given {ref}")
            else:
                self.renumbered.append(
                    f"{old_ref} → {ref} ({title}): {old_ref} is used here by another incident"
                )
            self._audit(
                AuditAction.IMPORT, RecordKind.INCIDENT, uid, ref, {"ref": [None, ref], **changes}
            )
        self.deferred = []

    # --- quotes ----------------------------------------------------------------------------

    def _quotes(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, incident uid, source uid, audit label)`` of each
        quote; ``values`` without the references, resolved here."""
        tally = self.tally["quotes"]
        existing = self._existing(connection, quote_table, [item[1][0] for item in batch])
        alias = self.source_alias
        incident_ids = store_merge.follow_merged(connection, bulk.ids_by_uid(
            connection, incident_table, {item[3] for item in batch if item[3]}
        ))
        source_ids = bulk.ids_by_uid(
            connection, source_table, {alias.get(item[4], item[4]) for item in batch if item[4]}
        )
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, meta_values, values, incident_uid, file_source_uid, audit_label in batch:
            meta = self._meta(label, meta_values)
            uid = meta.uid
            source_uid = alias.get(file_source_uid or "", file_source_uid)
            if incident_uid:
                if incident_uid not in incident_ids:
                    raise self._missing(label, "incident", "incident", incident_uid)
                values["incident_id"] = incident_ids[incident_uid]
            if source_uid:
                if source_uid not in source_ids:
                    raise self._missing(label, "source", "source", source_uid)
                values["source_id"] = source_ids[source_uid]
            row = existing.get(uid)
            if row is None:
                audited = {k: v for k, v in values.items() if k not in ("incident_id", "source_id")}
                audited |= {"incident": incident_uid, "source": source_uid}
                inserts.append(values | self._new_meta(meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.QUOTE, uid, audit_label, created(audited)
                )
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed(tally, RecordKind.QUOTE, label, uid)
            else:
                self._merge_changed(
                    RecordKind.QUOTE, label, meta, row, values, diff(row, values), updates,
                    audit_label, self._local_quote_print(connection, row, values),
                )
        self._write_rows(connection, quote_table, inserts, updates)

    # --- periods ---------------------------------------------------------------------------

    def _periods(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, audit label)`` of each period."""
        tally = self.tally["periods"]
        existing = self._existing(connection, period_table, [item[1][0] for item in batch])
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, meta_values, values, audit_label in batch:
            meta = self._meta(label, meta_values)
            uid = meta.uid
            row = existing.get(uid)
            if row is None:
                inserts.append(values | self._new_meta(meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.PERIOD, uid, audit_label, created(values)
                )
                self.period_uids.add(uid)
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed(tally, RecordKind.PERIOD, label, uid)
            elif self._merge_changed(
                RecordKind.PERIOD, label, meta, row, values, diff(row, values), updates,
                audit_label, _local_print("period", row, values),
            ):
                self.period_uids.add(uid)
        self._write_rows(connection, period_table, inserts, updates)

    # --- saved views -----------------------------------------------------------------------

    def _saved_views(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, audit label)`` of each saved view.

        Merged by uid like every record. A new view whose name a live view of
        ours already has (ignoring case) gets " (imported)" after it, then a
        number: names are unique in the View menu.
        """
        tally = self.tally["saved_views"]
        existing = self._existing(connection, saved_view_table, [item[1][0] for item in batch])
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, meta_values, values, audit_label in batch:
            meta = self._meta(label, meta_values)
            uid = meta.uid
            row = existing.get(uid)
            if row is None:
                values = values | {"name": _free_view_name(connection, values["name"], inserts)}
                inserts.append(values | self._new_meta(meta))
                self._audit(
                    AuditAction.IMPORT, RecordKind.SAVED_VIEW, uid, audit_label, created(values)
                )
                self.view_uids.add(uid)
                tally.added += 1
            elif row["deleted_at"] is not None:
                self._trashed(tally, RecordKind.SAVED_VIEW, label, uid)
            elif self._merge_changed(
                RecordKind.SAVED_VIEW, label, meta, row, values, diff(row, values), updates,
                audit_label, _local_print("saved_view", row, values),
            ):
                self.view_uids.add(uid)
        self._write_rows(connection, saved_view_table, inserts, updates)


@dataclass
class _IncidentWrites:
    """What one batch of incidents writes, and the refs it has taken so far."""

    ref_owner: dict[str, str]  # ref → uid of the incident here that has it
    claimed: set[str] = field(default_factory=set)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    new_tags: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    replaced_tags: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    new_actors: list[tuple[str, tuple[IncidentActor, ...]]] = field(default_factory=list)
    replaced_actors: list[tuple[int, tuple[IncidentActor, ...]]] = field(default_factory=list)
    #: (label, uid, citations, whether the notes follow the file's) of each incident
    links: list[tuple[str, str, list[SourceLink], bool]] = field(default_factory=list)

    def free(self, ref: str | None, uid: str) -> bool:
        """Can the incident ``uid`` have ``ref``: not taken here by another, nor in this batch?"""
        return ref is not None and ref not in self.claimed and self.ref_owner.get(ref, uid) == uid


def _named_actors(
    names: ActorNames, values: dict[str, Any], actors: Iterable[Mapping[str, Any]]
) -> tuple[IncidentActor, ...]:
    """The file's actors under this log's names (its alias is our name), ``values``'
    perpetrator derived again if that renamed it: what is stored is what is audited."""
    named = names.canonical(IncidentActor.from_json(actor) for actor in actors)
    values["perpetrator"], attribution = derived_perpetrator(named)
    values["attribution"] = attribution.value
    return named


def _distinct_links(links: Iterable[SourceLink]) -> list[SourceLink]:
    """Each source cited once: two sources of the file merged into one are one citation
    (the first's note)."""
    seen: dict[str, SourceLink] = {}
    for link in links:
        seen.setdefault(link.source_uid, link)
    return list(seen.values())


def _local_print(
    kind: str, row: Row, values: Mapping[str, Any], tags: tuple[str, ...] | None = None,
    actors: list[dict[str, Any]] | None = None,
) -> Callable[[], str]:
    """The fingerprint of our record, computed only when it is needed (it differs);
    ``tags`` and ``actors``: an incident's."""

    def compute() -> str:
        content: Mapping[str, Any] = {name: row[name] for name in values}
        if tags is not None:
            content = lineage.incident_content(content, tags, actors or ())
        return lineage.fingerprint_content(kind, content)

    return compute


def _citations(
    connection: Connection, incident_ids: list[int]
) -> dict[tuple[int, int], str | None]:
    """The note of each citation of these incidents, by (incident id, source id)."""
    present: dict[tuple[int, int], str | None] = {}
    for start in range(0, len(incident_ids), BATCH):
        chunk = incident_ids[start : start + BATCH]
        for incident_id, source_id, note in connection.execute(
            select(
                incident_source_table.c.incident_id,
                incident_source_table.c.source_id,
                incident_source_table.c.note,
            ).where(incident_source_table.c.incident_id.in_(chunk))
        ):
            present[(incident_id, source_id)] = note
    return present


def _update_notes(connection: Connection, note_updates: list[dict[str, Any]]) -> None:
    if note_updates:
        connection.execute(
            update(incident_source_table)
            .where(
                incident_source_table.c.incident_id == bindparam("b_incident"),
                incident_source_table.c.source_id == bindparam("b_source"),
            )
            .values(note=bindparam("b_note")),
            note_updates,
        )


def _free_view_name(connection: Connection, name: str, pending: list[dict[str, Any]]) -> str:
    """``name``, or ``name (imported)``, ``name (imported 2)``…: the first no live view here
    nor one added in this batch has (ignoring case). A log holds a handful of views."""
    taken = set(live_view_names(connection)) | {values["name"].casefold() for values in pending}
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} (imported)" if number == 2 else f"{name} (imported {number - 1})"
    return candidate
