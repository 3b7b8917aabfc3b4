"""Evidence use cases: attach, list, detach, working copies, custody, the check of files.

A log file: the bytes go into the evidence store beside it first (``store/blobs.py``),
the row and its custody entry in the audit log after, in one transaction: a failure
while copying leaves the log as it was, and a failure of the transaction leaves at
most a whole file under its hash that no row names, which the next attach of the
same bytes reuses (it is never removed: another process may be naming it at that
moment). A server log: the bytes go into the database (``store/server_blobs.py``) in
the same transaction as the rows, which commit together or not at all. See
docs/evidence.md.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy.engine import Connection

from incidentlog.domain.enums import RecordKind
from incidentlog.domain.errors import NotFoundError, ReadOnlyError, StorageError
from incidentlog.domain.evidence import (
    CUSTODY_KIND,
    Attachment,
    CustodyAction,
    OwnerKind,
    StoredBlob,
    safe_name,
)
from incidentlog.domain.when import utc_now
from incidentlog.services.changes import ChangeNotifier, Changes
from incidentlog.store import attachments as rows
from incidentlog.store import audit
from incidentlog.store.blobs import BlobStore, FolderBlobStore, Progress, file_digest, put_file
from incidentlog.store.database import Database, new_uid
from incidentlog.store.safe_paths import make_private_folder, open_private
from incidentlog.store.server_blobs import TableBlobStore

T = TypeVar("T")

#: Problems ``check`` lists at most; the rest are counted.
MAX_FILE_PROBLEMS = 50


@dataclass(frozen=True)
class NewAttachment:
    """One of the files ``attach_together`` keeps."""

    reading: IO[bytes]
    name: str
    role: str = "file"
    details: Mapping[str, Any] = field(default_factory=dict)
    action: CustodyAction = CustodyAction.ATTACH


def _stamp() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def store_of(database: Database) -> FolderBlobStore | TableBlobStore:
    """The evidence store of a log: a folder beside a log file, the tables of a server."""
    if database.path is None:
        return TableBlobStore(database)
    return FolderBlobStore.beside(database.path)


class EvidenceService:
    """Files kept with sources and incidents, and their custody trail."""

    def __init__(self, database: Database, actor: str, notifier: ChangeNotifier,
                 store: BlobStore | None = None) -> None:
        self._db = database
        self._actor = actor
        self._notifier = notifier
        self._store = store

    @property
    def store(self) -> BlobStore:
        if self._store is None:
            self._store = store_of(self._db)
        return self._store

    # --- adding -------------------------------------------------------------------------

    def attach_file(self, path: Path, kind: OwnerKind, owner_uid: str, *,
                    progress: Progress | None = None) -> Attachment:
        """Keep the file at ``path`` with a record; the same bytes twice are one row."""
        self._require_writable(kind, owner_uid)
        return self._attach(lambda store: put_file(store, Path(path), progress), path.name,
                            kind, owner_uid)

    def attach_stream(self, reading: IO[bytes], name: str, kind: OwnerKind, owner_uid: str, *,
                      role: str = "file", details: Mapping[str, Any] | None = None,
                      action: CustodyAction = CustodyAction.ATTACH) -> Attachment:
        """Keep what ``reading`` gives (a pasted image, a capture) with a record."""
        self._require_writable(kind, owner_uid)
        return self._attach(lambda store: store.put(reading), name, kind, owner_uid,
                            role=role, details=details, action=action)

    def attach_bytes(self, data: bytes, name: str, kind: OwnerKind, owner_uid: str) -> Attachment:
        return self.attach_stream(io.BytesIO(data), name, kind, owner_uid)

    def attach_together(self, items: Sequence[NewAttachment], kind: OwnerKind,
                        owner_uid: str) -> list[Attachment]:
        """Keep several files with a record in one transaction (a capture's WARC, its
        screenshot and its PDF): all their rows and custody entries, or none."""
        self._require_writable(kind, owner_uid)
        kept = self._stored(
            lambda store: [store.put(item.reading) for item in items],
            lambda connection, blobs: [
                self._insert(connection, blob, item.name, kind, owner_uid, role=item.role,
                             details=item.details, action=item.action)
                for blob, item in zip(blobs, items, strict=True)])
        self._notify(kind, owner_uid)
        return kept

    def _stored(self, put: Callable[[BlobStore], Any],
                rows_of: Callable[[Connection, Any], T]) -> T:
        """``put`` the bytes, then write ``rows_of`` them. A server's bytes go into the
        rows' own transaction, sent before its write lock is taken (a long upload does
        not hold up the other desks); a log file's go beside it first."""
        store = self.store
        if isinstance(store, TableBlobStore):
            with store.writing() as connection:
                blobs = put(store.bound(connection))
                store.lock_for_write(connection)
                return rows_of(connection, blobs)
        blobs = put(store)
        with self._db.write() as connection:
            return rows_of(connection, blobs)

    def _require_writable(self, kind: OwnerKind, owner_uid: str) -> None:
        """Refuse before any byte is copied: a read-only log, a record that is not there."""
        with self._db.read() as connection:
            found = rows.owner_id(connection, kind, owner_uid)
        if self._db.read_only:
            raise ReadOnlyError(f"The database {self._db.location}")
        if found is None:
            raise NotFoundError(kind.value, owner_uid)

    def _attach(self, put: Callable[[BlobStore], StoredBlob], name: str, kind: OwnerKind,
                owner_uid: str, *, role: str = "file", details: Mapping[str, Any] | None = None,
                action: CustodyAction = CustodyAction.ATTACH) -> Attachment:
        attachment = self._stored(put, lambda connection, blob: self._insert(
            connection, blob, name, kind, owner_uid, role=role, details=details, action=action))
        self._notify(kind, owner_uid)
        return attachment

    def _insert(self, connection: Any, blob: StoredBlob, name: str, kind: OwnerKind,
                owner_uid: str, *, role: str, details: Mapping[str, Any] | None,
                action: CustodyAction) -> Attachment:
        """The row and its custody entry (the same bytes twice with a record: the row
        it has)."""
        owner = rows.owner_id(connection, kind, owner_uid)
        if owner is None:
            raise NotFoundError(kind.value, owner_uid)
        known = rows.existing(connection, kind, owner, blob.sha256)
        if known is not None:
            found = rows.find(connection, known)
            assert found is not None
            return found
        at = _stamp()
        attachment = Attachment(
            uid=new_uid(), owner_kind=kind, owner_uid=owner_uid,
            sha256=blob.sha256, size=blob.size, media_type=blob.media_type,
            name=safe_name(name), added_at=at, added_by=self._actor, role=role,
            details=dict(details or {}),
        )
        rows.insert_row(connection, attachment, owner)
        self._custody(connection, attachment, action, at, {
            "sha256": blob.sha256, "size": blob.size, "media_type": blob.media_type,
            "name": attachment.name, kind.value: owner_uid, "role": role,
            **({"details": attachment.details} if attachment.details else {}),
        })
        return attachment

    def import_attachments(self, attachments: Iterable[Attachment]) -> int:
        """Add attachments read from a package, their bytes already in the store, in one
        transaction; their uid, who added them and when are kept. One the log has
        already, or whose record is not here (merged into another, in the trash), is
        left out. Returns how many were added."""
        at = _stamp()
        added: set[tuple[OwnerKind, str]] = set()
        count = 0
        with self._db.write() as connection:
            for attachment in attachments:
                owner = rows.owner_id(connection, attachment.owner_kind, attachment.owner_uid)
                if owner is None or rows.find(connection, attachment.uid) is not None:
                    continue
                if not self.store.has(attachment.sha256):
                    raise StorageError(f"{attachment.name}: its file is not in the store.")
                stored = replace(attachment, name=safe_name(attachment.name))
                rows.insert_row(connection, stored, owner)
                self._custody(connection, stored, CustodyAction.IMPORT, at, {
                    "sha256": stored.sha256, "size": stored.size, "name": stored.name,
                    stored.owner_kind.value: stored.owner_uid})
                added.add((stored.owner_kind, stored.owner_uid))
                count += 1
        for kind, uid in added:
            self._notify(kind, uid)
        return count

    def _custody(self, connection: Any, attachment: Attachment, action: CustodyAction,
                 at: str, changes: Mapping[str, Any]) -> None:
        audit.append(connection, at=at, actor=self._actor, action=action.value,
                     kind=CUSTODY_KIND, uid=attachment.uid, label=attachment.name,
                     changes=changes)

    def _notify(self, kind: OwnerKind, owner_uid: str) -> None:
        record_kind = RecordKind.SOURCE if kind is OwnerKind.SOURCE else RecordKind.INCIDENT
        self._notifier.notify(Changes.of(record_kind, frozenset({owner_uid})))

    # --- reading --------------------------------------------------------------------------

    def of(self, kind: OwnerKind, owner_uid: str) -> list[Attachment]:
        with self._db.read() as connection:
            return rows.of_owner(connection, kind, owner_uid)

    def get(self, uid: str) -> Attachment:
        with self._db.read() as connection:
            found = rows.find(connection, uid)
        if found is None:
            raise NotFoundError("attachment", uid)
        return found

    def counts(self, kind: OwnerKind, uids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """``{uid: (files, captures)}`` of the records among ``uids`` that hold any."""
        with self._db.read() as connection:
            return rows.counts(connection, kind, uids)

    def custody(self, uid: str) -> list[audit.AuditEntry]:
        """The custody trail of one attachment, oldest first."""
        with self._db.read() as connection:
            return audit.history(connection, uid)

    def open(self, attachment: Attachment) -> IO[bytes]:
        return self.store.open(attachment.sha256)

    # --- changing -------------------------------------------------------------------------

    def detach(self, uid: str) -> None:
        """Remove an attachment from its record (the bytes stay in the store)."""
        attachment = self.get(uid)
        with self._db.write() as connection:
            rows.delete_row(connection, uid)
            self._custody(connection, attachment, CustodyAction.DETACH, _stamp(),
                          {"sha256": attachment.sha256,
                           attachment.owner_kind.value: attachment.owner_uid})
        self._notify(attachment.owner_kind, attachment.owner_uid)

    def record_custody(self, attachments: Iterable[Attachment], action: CustodyAction,
                       changes: Mapping[str, Any]) -> None:
        """One custody entry per attachment (exported in a package, verified)."""
        if self._db.read_only:
            return  # a read-only log cannot record; the package's manifest still proves it
        at = _stamp()
        with self._db.write() as connection:
            for attachment in attachments:
                self._custody(connection, attachment, action, at,
                              {"sha256": attachment.sha256, **changes})

    def working_copy(self, attachment: Attachment, folder: Path | None = None) -> Path:
        """A read-only copy of the file to open in another program; the stored one is
        never handed out. Refused if the stored bytes no longer match their hash."""
        if folder is None:  # mkdtemp makes it owner-only
            target_folder = Path(tempfile.mkdtemp(prefix="incidentlog-working-"))
        else:
            target_folder = Path(folder)
            make_private_folder(target_folder)
        target = target_folder / safe_name(attachment.name)
        with self.open(attachment) as reading, open_private(target) as writing:
            shutil.copyfileobj(reading, writing, 1024 * 1024)
        with target.open("rb") as check:
            if file_digest(check) != attachment.sha256:
                target.unlink()
                raise StorageError(
                    f"{attachment.name}: the stored file no longer matches its hash; run "
                    "'incidentlog check'.")
        target.chmod(0o400)
        return target

    # --- the check ------------------------------------------------------------------------

    def check(self, *, record: bool = False) -> list[str]:
        """Re-hash every stored file; one sentence per missing or altered one, naming the
        record it belongs to. ``record``: add a "verify" custody entry for each sound one."""
        problems: list[str] = []
        sound: list[Attachment] = []
        for attachment, problem in self.verify_all():
            if problem is None:
                sound.append(attachment)
            elif len(problems) < MAX_FILE_PROBLEMS:
                problems.append(problem)
            else:
                problems.append("… and more evidence problems not listed")
                break
        if record and sound:
            self.record_custody(sound, CustodyAction.VERIFY, {"result": "ok"})
        return problems

    def verify_all(self) -> Iterator[tuple[Attachment, str | None]]:
        with self._db.read() as connection:
            everything = list(_owner_names(connection))
        verdicts: dict[str, str | None] = {}
        for attachment, owner_name in everything:
            if attachment.sha256 not in verdicts:
                verdicts[attachment.sha256] = self.store.problem(attachment.sha256)
            problem = verdicts[attachment.sha256]
            yield attachment, (
                None if problem is None
                else f"{owner_name}: attachment {attachment.name!r} ({attachment.sha256}): "
                     f"{problem}"
            )


def _owner_names(connection: Any) -> Iterator[tuple[Attachment, str]]:
    # Only a check names records: the replay module stays off the window's start path.
    from incidentlog.store.replay import record_name

    for attachment, ref in rows.everything(connection, with_ref=True):
        yield attachment, record_name(attachment.owner_kind.value, ref, attachment.owner_uid)
