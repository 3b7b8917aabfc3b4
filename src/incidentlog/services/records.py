"""Use cases on records: one transaction each (incidents: ``services/incidents.py``).

Each validates, writes the change and its audit entry in the same
transaction, detects stale versions (optimistic locking), and returns an
``Outcome`` with the stored record and what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import AuditAction, RecordKind
from incidentlog.domain.errors import ConflictError, NotFoundError, ValidationError
from incidentlog.domain.records import Incident, Period, Quote, Source
from incidentlog.domain.saved_views import SavedView
from incidentlog.domain.urls import InvalidUrl, normalize_url
from incidentlog.domain.validation import (
    checked_period,
    checked_quote,
    checked_source,
)
from incidentlog.domain.when import utc_now
from incidentlog.services.changes import ChangeNotifier, Changes, Outcome
from incidentlog.store import audit, lineage, server_blobs, trash
from incidentlog.store import records as rows
from incidentlog.store.database import Database, new_uid
from incidentlog.store.schema import (
    period_table,
    quote_table,
    source_table,
)

R = TypeVar("R", Incident, Source, Quote, Period, SavedView)
#: Columns an edit sets without changing what the record says.
_STAMPS = frozenset({"deleted_at", "updated_at", "updated_by"})


@dataclass(frozen=True, slots=True)
class TrashItem(Generic[R]):
    """A record in the trash, when and by whom it was moved there."""

    record: R
    deleted_at: str
    deleted_by: str


@dataclass(frozen=True, slots=True)
class TrashPage(Generic[R]):
    items: list[TrashItem[R]]
    after: tuple[str, int] | None  # the key of the next page; None when this is the last


def _stamp() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value differs: ``{field: [old, new]}``."""
    return {key: [old.get(key), value] for key, value in new.items() if old.get(key) != value}


class RecordService(Generic[R]):
    """What every record kind shares: read, soft delete, restore, purge, conflict checks."""

    kind: RecordKind
    table: Any

    def __init__(self, database: Database, actor: str, notifier: ChangeNotifier) -> None:
        self._db = database
        self._actor = actor
        self._notifier = notifier

    # subclasses provide these
    def _load(self, connection: Connection, uid: str) -> R | None:
        raise NotImplementedError

    def _changes(self, uid: str, rows_changed: bool) -> Changes:
        return Changes.of(self.kind, frozenset({uid}), rows_changed=rows_changed)

    def _audit(
        self,
        connection: Connection,
        action: AuditAction,
        uid: str,
        label: str | None,
        changes: Mapping[str, Any],
        at: str,
    ) -> None:
        audit.append(
            connection,
            at=at,
            actor=self._actor,
            action=action.value,
            kind=self.kind.value,
            uid=uid,
            label=label,
            changes=changes,
        )

    def _require(self, connection: Connection, uid: str) -> R:
        record = self._load(connection, uid)
        if record is None:
            raise NotFoundError(self.kind.label, uid)
        return record

    def _finish(self, outcome: Outcome[R]) -> Outcome[R]:
        self._notifier.notify(outcome.changes)
        return outcome

    def _check_version(self, current: R, expected: int | None) -> None:
        if expected is not None and current.meta.version != expected:
            raise ConflictError(
                self.kind.label,
                current.meta.uid or "",
                current.label,
                expected,
                current.meta.version,
                current.meta.updated_by,
                current.meta.updated_at,
            )

    def _bump(
        self, connection: Connection, current: R, expected: int | None, values: Mapping[str, Any]
    ) -> None:
        uid = current.meta.uid or ""
        if set(values) - _STAMPS:  # its content changes: the version it replaces is an ancestor
            lineage.remember(connection, current)
        if not rows.versioned_update(connection, self.table, uid, expected, values):
            fresh = self._require(connection, uid)
            self._check_version(fresh, expected)

    def _checked(self, record: R) -> R:
        """The cleaned record, or ``ValidationError`` (per kind)."""
        raise NotImplementedError

    def _row_values(self, connection: Connection, record: R) -> dict[str, Any]:
        """The stored columns of ``record``, except identity and bookkeeping."""
        raise NotImplementedError

    def _audit_values(self, record: R, values: dict[str, Any]) -> dict[str, Any]:
        """What the audit log records of those columns (quotes: uids, not row ids)."""
        return values

    def _insert(self, connection: Connection, record: R, values: dict[str, Any], at: str) -> str:
        """INSERT a new row and its "create" audit entry; returns the new uid."""
        meta = _new_meta(self._actor, at)
        connection.execute(insert(self.table).values(**values, **meta))
        self._audit(
            connection,
            AuditAction.CREATE,
            meta["uid"],
            record.label,
            _creation_audit(self._audit_values(record, values)),
            at,
        )
        return str(meta["uid"])

    def _create(self, record: R, also: Changes | None = None) -> Outcome[R]:
        """Validate and insert; ``also`` adds what else the new row changes for the views."""
        record = self._checked(record)
        at = _stamp()
        with self._db.write() as connection:
            uid = self._insert(connection, record, self._row_values(connection, record), at)
            stored = self._require(connection, uid)
        return self._finish(Outcome(stored, self._changes(uid, True) | (also or Changes())))

    def _update(self, record: R, *, force: bool) -> Outcome[R]:
        """Save an edit: version-checked (unless ``force``), audited field by field."""
        uid = record.meta.uid
        if uid is None:
            raise ValueError(f"update() needs a stored {self.kind.label}; use create()")
        record = self._checked(record)
        expected = None if force else record.meta.version
        at = _stamp()
        with self._db.write() as connection:
            current = self._require(connection, uid)
            self._check_version(current, expected)
            values = self._row_values(connection, record)
            changed = diff(
                self._audit_values(current, self._row_values(connection, current)),
                self._audit_values(record, values),
            )
            if not changed:
                return Outcome(current)
            self._bump(
                connection,
                current,
                expected,
                {**values, "updated_at": at, "updated_by": self._actor},
            )
            self._audit(connection, AuditAction.UPDATE, uid, record.label, changed, at)
            stored = self._require(connection, uid)
        return self._finish(Outcome(stored, self._changes(uid, False)))

    def get(self, uid: str) -> R:
        with self._db.read() as connection:
            return self._require(connection, uid)

    def find(self, uid: str) -> R | None:
        with self._db.read() as connection:
            return self._load(connection, uid)

    def _load_ids(self, connection: Connection, ids: Sequence[int]) -> dict[int, R]:
        """Records by row id (a page of the trash), per kind."""
        raise NotImplementedError

    def trash(self, *, limit: int = 100, after: tuple[str, int] | None = None) -> TrashPage[R]:
        """A page of this kind's trash, the latest deleted first, with who deleted each.

        Pass the page's ``after`` to get the next one; it is None after the last.
        """
        with self._db.read() as connection:
            keys = trash.trash_page(connection, self.table, limit=limit, after=after)
            found = self._load_ids(connection, [row_id for row_id, _ in keys])
            records = [found[row_id] for row_id, _ in keys]
            who = trash.deleted_by(connection, [r.meta.uid or "" for r in records])
        # Without a "delete" entry (a record imported as deleted) the last writer did it.
        items = [
            TrashItem(
                r, r.meta.deleted_at or "", who.get(r.meta.uid or "") or r.meta.updated_by or ""
            )
            for r in records
        ]
        # A full page may have more after it; a short one is the last.
        following = (keys[-1][1], keys[-1][0]) if keys and len(keys) == limit else None
        return TrashPage(items, following)

    def trash_count(self) -> int:
        with self._db.read() as connection:
            return trash.trash_count(connection, self.table)

    def delete(self, uid: str, expected_version: int | None = None) -> Outcome[R]:
        """Move to the trash (soft delete): hidden from the log, restorable."""
        at = _stamp()
        with self._db.write() as connection:
            current = self._require(connection, uid)
            self._check_version(current, expected_version)
            if current.meta.deleted_at is not None:
                return Outcome(current)
            self._bump(
                connection,
                current,
                expected_version,
                {"deleted_at": at, "updated_at": at, "updated_by": self._actor},
            )
            self._audit(
                connection, AuditAction.DELETE, uid, current.label, {"deleted_at": [None, at]}, at
            )
            stored = self._require(connection, uid)
        return self._finish(Outcome(stored, self._changes(uid, True)))

    def restore(self, uid: str) -> Outcome[R]:
        """Take a record out of the trash (one already live is returned as it is)."""
        outcome = self.restore_many([uid])
        stored = outcome.record[0] if outcome.record else self.get(uid)
        return Outcome(stored, outcome.changes)

    def restore_many(self, uids: Sequence[str]) -> Outcome[list[R]]:
        """Take several records out of the trash in one transaction, one audit entry each.

        Returns the records restored; those already live are left alone. A uid
        that no longer exists (purged meanwhile) raises ``NotFoundError`` and
        nothing is restored.
        """
        at = _stamp()
        restored: list[R] = []
        with self._db.write() as connection:
            for uid in dict.fromkeys(uids):
                current = self._require(connection, uid)
                if current.meta.deleted_at is None:
                    continue
                self._bump(
                    connection,
                    current,
                    None,
                    {"deleted_at": None, "updated_at": at, "updated_by": self._actor},
                )
                self._audit(
                    connection,
                    AuditAction.RESTORE,
                    uid,
                    current.label,
                    {"deleted_at": [current.meta.deleted_at, None]},
                    at,
                )
                restored.append(self._require(connection, uid))
        changes = Changes.of(
            self.kind, frozenset(r.meta.uid or "" for r in restored), rows_changed=bool(restored)
        )
        self._notifier.notify(changes)
        return Outcome(restored, changes)

    def purge(self, uid: str) -> Outcome[None]:
        """Delete for good a record that is in the trash (emptying the trash on purpose)."""
        outcome = self.purge_many([uid])
        return Outcome(None, outcome.changes)

    def purge_many(self, uids: Sequence[str]) -> Outcome[int]:
        """Delete for good several records of the trash: all of them, or none.

        Each purge is audited. A record that is not in the trash, or that
        cannot be purged (a source still cited: ``_purge_refusal``), refuses the
        whole purge with one ``ValidationError`` naming every such record.
        """
        at = _stamp()
        wanted = list(dict.fromkeys(uids))
        with self._db.write() as connection:
            doomed = [self._require(connection, uid) for uid in wanted]
            problems = {
                f"{self.kind.label} {record.label}": problem
                for record in doomed
                if (problem := self._purge_problem(connection, record)) is not None
            }
            if problems:
                raise ValidationError(problems)
            for record in doomed:
                self._purge_one(connection, record, at)
        changes = Changes.of(self.kind, frozenset(wanted), rows_changed=bool(wanted))
        self._notifier.notify(changes)
        return Outcome(len(wanted), changes)

    def _purge_problem(self, connection: Connection, record: R) -> str | None:
        if record.meta.deleted_at is None:
            return "move it to the trash first; only the trash can be emptied"
        return self._purge_refusal(connection, record)

    def _purge_refusal(self, connection: Connection, record: R) -> str | None:
        """Why a trashed record may not be purged yet; None when it may (per kind)."""
        return None

    def _purge_audit(self, connection: Connection, record: R) -> dict[str, Any]:
        """What purging ``record`` takes with it, for its audit entry (per kind)."""
        return {}

    def _purge_one(self, connection: Connection, record: R, at: str) -> None:
        uid = record.meta.uid or ""
        changes = self._purge_audit(connection, record)
        # A server's evidence bytes go with the last record that names them.
        hashes = server_blobs.attached_hashes(connection, self.table.name, uid)
        connection.execute(delete(self.table).where(self.table.c.uid == uid))
        server_blobs.remove_unused(connection, hashes)
        lineage.forget(connection, [uid])
        self._audit(connection, AuditAction.PURGE, uid, record.label, changes, at)

    def empty_trash(self) -> Outcome[int]:
        """Purge the whole trash of this kind; what may not be purged yet stays in it."""
        at = _stamp()
        with self._db.write() as connection:
            trashed = (
                connection.execute(
                    select(self.table.c.uid).where(self.table.c.deleted_at.is_not(None),
                                                   *trash.tombstones_hidden(self.table))
                )
                .scalars()
                .all()
            )
            doomed = [self._require(connection, uid) for uid in trashed]
            doomed = [r for r in doomed if self._purge_refusal(connection, r) is None]
            for record in doomed:
                self._purge_one(connection, record, at)
        gone = frozenset(r.meta.uid or "" for r in doomed)
        changes = Changes.of(self.kind, gone, rows_changed=bool(gone))
        self._notifier.notify(changes)
        return Outcome(len(gone), changes)


def _new_meta(actor: str, at: str, uid: str | None = None) -> dict[str, Any]:
    return {
        "uid": uid or new_uid(),
        "version": 1,
        "created_at": at,
        "created_by": actor,
        "updated_at": at,
        "updated_by": actor,
        "deleted_at": None,
    }


def _creation_audit(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {key: [None, value] for key, value in values.items() if value not in (None, False)}


class SourceService(RecordService[Source]):
    kind = RecordKind.SOURCE
    table = source_table

    def _load(self, connection: Connection, uid: str) -> Source | None:
        row = rows.get_source_row(connection, uid)
        return rows.source_from_row(row) if row else None

    def _load_ids(self, connection: Connection, ids: Sequence[int]) -> dict[int, Source]:
        return rows.load_sources(connection, ids)

    def duplicates_of(self, url: str | None, *, except_uid: str | None = None) -> list[Source]:
        """Live sources whose normalized URL is that of ``url``."""
        if not url:
            return []
        try:
            key = normalize_url(url)
        except InvalidUrl:
            return []
        with self._db.read() as connection:
            return [
                s for s in rows.find_sources_by_url(connection, key) if s.meta.uid != except_uid
            ]

    def create(self, source: Source, *, distinct: bool = False) -> Outcome[Source]:
        """Add a source, or return the existing one with the same normalized URL.

        ``distinct=True`` is the officer saying "not a duplicate": a new row is
        made even though the URL is known.
        """
        source = checked_source(source)
        at = _stamp()
        with self._db.write() as connection:
            values = rows.source_values(source)
            if not distinct and values["url_normalized"]:
                existing = rows.find_sources_by_url(connection, values["url_normalized"])
                if existing:
                    return Outcome(existing[0], Changes(), reused=True)
            uid = self._insert(connection, source, values, at)
            stored = self._require(connection, uid)
        return self._finish(Outcome(stored, self._changes(uid, True)))

    def update(self, source: Source, *, force: bool = False) -> Outcome[Source]:
        return self._update(source, force=force)

    def _checked(self, record: Source) -> Source:
        return checked_source(record)

    def _row_values(self, connection: Connection, record: Source) -> dict[str, Any]:
        return rows.source_values(record)

    def _purge_refusal(self, connection: Connection, record: Source) -> str | None:
        # Purging would silently take the citation away from a live record (the
        # links cascade, a quote's source becomes empty): refuse, and say by whom.
        from incidentlog.store.queries import source_users

        live = [(kind, label) for kind, _, label, trashed in
                source_users(connection, record.meta.id or 0) if not trashed]
        if not live:
            return None
        refs = [label for kind, label in live if kind == "incident"]
        quotes = len(live) - len(refs)
        parts = []
        if refs:
            shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
            parts.append(f"{'incident' if len(refs) == 1 else 'incidents'} {shown}")
        if quotes:
            parts.append(f"{quotes} {'quote' if quotes == 1 else 'quotes'}")
        return (
            f"is still cited by {' and '.join(parts)}; remove those citations, "
            "or restore the source"
        )

    def _purge_audit(self, connection: Connection, record: Source) -> dict[str, Any]:
        # Only records in the trash can still use it here: their citation goes with it.
        from incidentlog.store.queries import source_users

        users = source_users(connection, record.meta.id or 0)
        changes: dict[str, Any] = {}
        incidents = [uid for kind, uid, _, _ in users if kind == "incident"]
        quotes = [uid for kind, uid, _, _ in users if kind == "quote"]
        if incidents:
            changes["cited_by"] = [incidents, None]
        if quotes:
            changes["quotes"] = [quotes, None]
        return changes

    def citing(self, uid: str) -> list[tuple[str, str, str]]:
        """(uid, ref, title) of the live incidents that cite this source."""
        from incidentlog.store.queries import citing_incidents

        with self._db.read() as connection:
            current = self._require(connection, uid)
            return citing_incidents(connection, current.meta.id or 0)


class QuoteService(RecordService[Quote]):
    kind = RecordKind.QUOTE
    table = quote_table

    def _load(self, connection: Connection, uid: str) -> Quote | None:
        row = rows.get_quote_row(connection, uid)
        return rows.quote_from_row(row) if row else None

    def _load_ids(self, connection: Connection, ids: Sequence[int]) -> dict[int, Quote]:
        return rows.load_quotes(connection, ids)

    def _checked(self, record: Quote) -> Quote:
        return checked_quote(record)

    def _row_values(self, connection: Connection, record: Quote) -> dict[str, Any]:
        values = rows.quote_values(connection, record)
        errors = {}
        if record.incident_uid and values["incident_id"] is None:
            errors["incident"] = f"there is no incident {record.incident_uid}"
        if record.source_uid and values["source_id"] is None:
            errors["source"] = f"there is no source {record.source_uid}"
        if errors:
            raise ValidationError(errors, record=f"quote {record.label}")
        return values

    def _audit_values(self, record: Quote, values: dict[str, Any]) -> dict[str, Any]:
        # Audit by uid: row ids mean nothing outside this file.
        audited = {k: v for k, v in values.items() if k not in ("incident_id", "source_id")}
        return audited | {"incident": record.incident_uid, "source": record.source_uid}

    def create(self, quote: Quote) -> Outcome[Quote]:
        # The incident's Quotes tab changes too.
        incident = (
            Changes(incidents=frozenset({quote.incident_uid})) if quote.incident_uid else None
        )
        return self._create(quote, incident)

    def update(self, quote: Quote, *, force: bool = False) -> Outcome[Quote]:
        return self._update(quote, force=force)


class PeriodService(RecordService[Period]):
    """Named periods shown as bands on the timeline; stored, audited, exported."""

    kind = RecordKind.PERIOD
    table = period_table

    def _load(self, connection: Connection, uid: str) -> Period | None:
        row = rows.get_period_row(connection, uid)
        return rows.period_from_row(row) if row else None

    def _load_ids(self, connection: Connection, ids: Sequence[int]) -> dict[int, Period]:
        result = connection.execute(select(period_table).where(period_table.c.id.in_(ids)))
        return {row.id: rows.period_from_row(row._mapping) for row in result}

    def list(self) -> list[Period]:
        with self._db.read() as connection:
            result = connection.execute(
                select(period_table)
                .where(period_table.c.deleted_at.is_(None))
                .order_by(period_table.c.starts_at, period_table.c.id)
            )
            return [rows.period_from_row(row._mapping) for row in result]

    def _checked(self, record: Period) -> Period:
        return checked_period(record)

    def _row_values(self, connection: Connection, record: Period) -> dict[str, Any]:
        return rows.period_values(record)

    def create(self, period: Period) -> Outcome[Period]:
        return self._create(period)

    def update(self, period: Period, *, force: bool = False) -> Outcome[Period]:
        return self._update(period, force=force)

