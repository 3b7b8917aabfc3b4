"""The merge rules of one record, shared by every kind: added, unchanged, updated, a
conflict, in the trash; the stamps it gets, its audit entry, and the bulk writes.

``json.merge`` applies them kind by kind (``Importer``, whose docstring states the
rules); this module holds what does not depend on the kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import IncidentActor, actors_beyond_legacy, actors_change
from incidentlog.domain.enums import AuditAction, RecordKind
from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.records import SourceLink
from incidentlog.domain.when import utc_now
from incidentlog.exchange.json.schema import SECTIONS, now_text
from incidentlog.exchange.reports import KindCounts
from incidentlog.exchange.scope import BATCH, Row
from incidentlog.store import audit, bulk
from incidentlog.store.schema import audit_table

__all__ = ["MergeRules", "Meta", "Tally", "created", "diff", "link_change", "tag_change"]


@dataclass
class Tally:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    skipped: int = 0

    def frozen(self) -> KindCounts:
        return KindCounts(self.added, self.updated, self.unchanged, self.merged, self.skipped)


_SECTION_OF_KIND = {
    RecordKind.INCIDENT: "incidents",
    RecordKind.SOURCE: "sources",
    RecordKind.QUOTE: "quotes",
    RecordKind.PERIOD: "periods",
    RecordKind.SAVED_VIEW: "saved_views",
    RecordKind.COMMENT: "comments",
    RecordKind.VERDICT: "verdicts",
}


class Meta(NamedTuple):
    """A record's identity and stamps as the file gives them (``RecordMeta``'s fields)."""

    uid: str
    version: int
    created_at: str | None
    created_by: str | None
    updated_at: str | None
    updated_by: str | None
    fingerprint: str = ""
    ancestors: tuple[str, ...] | list[str] = ()


#: How far ahead of this machine's clock a file's stamp may be before it is reported and
#: replaced by the time of the import: clocks a few minutes apart are normal.
FUTURE_TOLERANCE = timedelta(minutes=5)


class MergeRules:
    """What merging one record of any kind does, and what the import has done so far.

    A record that is here and differs from the file's is decided by history, never by
    clocks (docs/formats.md, "Import and merge"): the file's replaces ours only when
    ours is one of the versions the file's descends from (its fingerprint is among the
    file's ``ancestors``); the file's is older when it is one of ours' ancestors (nothing
    to do); anything else was changed on both sides, a conflict: ours stays, and both
    versions are reported.
    """

    def __init__(self, actor: str, path: Path) -> None:
        self.actor = actor
        self.path = path
        self.now = now_text()
        self.tally = {name: Tally() for name in SECTIONS}
        self.conflicts: list[str] = []
        self.warnings: list[str] = []
        self.older = 0
        #: The lineage each added or updated record takes from the file, written per batch.
        self.lineages: dict[str, list[str]] = {}
        self.latest = (utc_now() + FUTURE_TOLERANCE).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.pending_audit: list[tuple[str, str, str, str, str, str | None, Mapping[str, Any]]] = []
        self.prev_hash = audit.GENESIS

    def _audit(
        self, action: AuditAction, kind: RecordKind, uid: str, label: str | None, changes: Any
    ) -> None:
        self.pending_audit.append(
            (self.now, self.actor, action.value, kind.value, uid, label, changes)
        )

    def _flush_audit(self, connection: Connection, *, final: bool) -> None:
        if not self.pending_audit or (not final and len(self.pending_audit) < BATCH):
            return
        rows, self.prev_hash = audit.audit_rows(self.prev_hash, self.pending_audit)
        self._insert(connection, audit_table, rows)
        self.pending_audit = []

    def _meta(self, label: str, values: Sequence[Any]) -> Meta:
        """The file's identity and stamps of a record; a stamp in the future (beyond
        ``FUTURE_TOLERANCE``) is reported and replaced by the time of the import, so that
        no clock makes a record look newer and no stamp here ever goes backwards."""
        meta = Meta(*values)
        late = [name for name in ("created_at", "updated_at")
                if (getattr(meta, name) or "") > self.latest]
        if late:
            self.warnings.append(
                f"{label} ({meta.uid}): dated in the future "
                f"({', '.join(f'{name} {getattr(meta, name)}' for name in late)}); "
                f"the file's clock is ahead; given the time of this import, {self.now}, instead"
            )
            meta = meta._replace(
                created_at=self.now if "created_at" in late else meta.created_at,
                updated_at=self.now if "updated_at" in late else meta.updated_at,
            )
        return meta

    def _conflict(self, label: str, meta: Meta, row: Row, note: str) -> None:
        self.conflicts.append(
            f"{label} ({meta.uid}): differs here and in the file, and {note}. "
            f"Here: version {row['version']}, {row['updated_at']} by "
            f"{row['updated_by']}. File: version {meta.version or 1}, "
            f"{meta.updated_at or 'undated'} by {meta.updated_by or 'unknown'}; "
            "kept the one here"
        )

    def _trashed(self, tally: Tally, kind: RecordKind, label: str, uid: str) -> None:
        self.conflicts.append(
            f"{label} ({uid}): the {kind.value} is in the trash here; left there "
            "(restore it and import again to update it)"
        )
        tally.skipped += 1

    def _merge_changed(
        self,
        kind: RecordKind,
        label: str,
        meta: Meta,
        row: Row,
        values: dict[str, Any],
        changes: dict[str, list[Any]],
        updates: list[dict[str, Any]],
        audit_label: str | None,
        local_print: Callable[[], str],
    ) -> bool:
        """A live record that is here already: unchanged, older than ours (nothing to do),
        updated to the file's (derived from ours) or a conflict (ours kept); see the class.
        ``local_print``: the fingerprint of ours. True when it is updated."""
        tally = self.tally[_SECTION_OF_KIND[kind]]
        if not changes:
            tally.unchanged += 1
            return False
        ours = local_print()
        if ours == meta.fingerprint:
            tally.unchanged += 1
            return False
        uid = meta.uid
        if ours in meta.ancestors:
            updates.append({"row_id": row["id"], **values, **self._updated_meta(meta, row)})
            self._audit(AuditAction.IMPORT, kind, uid, audit_label, changes)
            self.lineages[uid] = list(meta.ancestors)
            tally.updated += 1
            return True
        if meta.fingerprint in self.local_ancestors(uid):
            self.older += 1
            tally.unchanged += 1
            return False
        note = (
            "the file does not say which version its copy was derived from (a file "
            "written before lineage was exported)"
            if not meta.ancestors
            else "the file's copy was not derived from the version here: both were "
            "changed since their common version"
        )
        self._conflict(label, meta, row, note)
        tally.skipped += 1
        return False

    def local_ancestors(self, uid: str) -> list[str]:
        """The lineage of our record ``uid`` (the importer reads it from the database)."""
        raise NotImplementedError

    def _new_meta(self, meta: Meta) -> dict[str, Any]:
        if meta.ancestors:
            self.lineages[meta.uid] = list(meta.ancestors)
        created_at = meta.created_at or self.now
        created_by = meta.created_by or self.actor
        return {
            "uid": meta.uid,
            "version": meta.version or 1,
            "created_at": created_at,
            "created_by": created_by,
            "updated_at": meta.updated_at or created_at,
            "updated_by": meta.updated_by or created_by,
            "deleted_at": None,
        }

    def _updated_meta(self, meta: Meta, row: Row) -> dict[str, Any]:
        return {
            "version": max(meta.version or 1, row["version"] + 1),
            # Never backwards here, whatever the file's clock said.
            "updated_at": max(meta.updated_at or self.now, row["updated_at"]),
            "updated_by": meta.updated_by or self.actor,
        }

    @staticmethod
    def _insert(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        """INSERT rows built alike (same keys, same order) with one executemany."""
        if not rows:
            return
        columns = tuple(rows[0])
        values_of = itemgetter(*columns)
        bulk.insert_rows(connection, table, columns, [values_of(row) for row in rows])

    @staticmethod
    def _existing(connection: Connection, table: Any, uids: list[str]) -> dict[str, Row]:
        """The rows already here with these uids (one query per batch)."""
        return bulk.rows_by_uid(connection, table, uids)

    @staticmethod
    def _update_many(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        """UPDATE by row id, one executemany per set of columns."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(sorted(row)), []).append(row)
        for columns, group in by_columns.items():
            names = [name for name in columns if name != "row_id"]
            statement = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({name: bindparam(f"v_{name}") for name in names})
            )
            connection.execute(
                statement,
                [{"row_id": row["row_id"], **{f"v_{n}": row[n] for n in names}} for row in group],
            )

    def _missing(self, label: str, field_name: str, kind: str, uid: str) -> ExchangeError:
        return ExchangeError(
            f"refers to the {kind} {uid}, which is not in the file or in this database",
            file=str(self.path),
            record=label,
            field=field_name,
        )

    def _write_rows(
        self,
        connection: Connection,
        table: Any,
        inserts: list[dict[str, Any]],
        updates: list[dict[str, Any]],
    ) -> None:
        self._insert(connection, table, inserts)
        if updates:
            self._update_many(connection, table, updates)


def created(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Audit changes of a new record: every field that has a value."""
    return {key: [None, value] for key, value in values.items() if value not in (None, False)}


def diff(row: Row, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {key: [row[key], value] for key, value in values.items() if row[key] != value}


def tag_change(old: Sequence[str], new: Sequence[str]) -> dict[str, list[Any]]:
    if tuple(old) == tuple(new):
        return {}
    return {"tags": [list(old) or None, list(new)]}


def actor_list(row: Mapping[str, Any], actors: Sequence[IncidentActor]) -> list[dict[str, Any]]:
    """An incident's actors as audited and fingerprinted, ``row`` its stored columns."""
    return actors_beyond_legacy(actors, row["perpetrator"], row["attribution"])


def actor_change(
    before: tuple[Mapping[str, Any], Sequence[IncidentActor]] | None,
    values: Mapping[str, Any],
    actors: Sequence[IncidentActor],
) -> dict[str, list[Any]]:
    """The audit entry's ``actors`` (as ``services.incidents`` writes it): ``before`` is
    our row and actors, None for a new incident."""
    old = actor_list(*before) if before is not None else []
    return actors_change(old, actor_list(values, actors))


def link_change(links: Sequence[SourceLink]) -> dict[str, list[Any]]:
    if not links:
        return {}
    return {"sources": [None, [link.source_uid for link in links]]}
