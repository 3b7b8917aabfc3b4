"""Attachments: content-addressed, streamed, stored once, custody in the audit log."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from incidentlog.domain.errors import NotFoundError, ReadOnlyError, StorageError
from incidentlog.domain.evidence import CUSTODY_KIND, OwnerKind, safe_name
from incidentlog.domain.records import Incident, Source
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store import blobs
from incidentlog.store.audit import recent, verify_chain
from incidentlog.store.blobs import FolderBlobStore, sniff_media_type
from incidentlog.store.database import open_database

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def source_uid(services: Services) -> str:
    stored = services.sources.create(Source(title="CENTCOM", url="https://example.org/a"))
    uid = stored.record.meta.uid
    assert uid is not None
    return uid


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _store_files(services: Services) -> list[Path]:
    root = FolderBlobStore.beside(services.database.path).root  # type: ignore[arg-type]
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_file_is_stored_under_its_hash_once_with_who_and_when(
    services: Services, source_uid: str, tmp_path: Path
) -> None:
    png = _write(tmp_path / "shot.png", PNG)
    first = services.evidence.attach_file(png, OwnerKind.SOURCE, source_uid)
    digest = hashlib.sha256(PNG).hexdigest()
    assert (first.sha256, first.size, first.media_type) == (digest, len(PNG), "image/png")
    assert first.name == "shot.png" and first.added_by == "tester"
    again = services.evidence.attach_file(_write(tmp_path / "copy.bin", PNG),
                                          OwnerKind.SOURCE, source_uid)
    assert again.uid == first.uid  # the same bytes on the same record: one attachment
    incident = services.incidents.create(Incident(
        title="t", occurred=parse_local("2024-01-20", "UTC"))).record
    assert incident.meta.uid is not None
    other = services.evidence.attach_file(png, OwnerKind.INCIDENT, incident.meta.uid)
    assert other.uid != first.uid and other.sha256 == digest
    stored = _store_files(services)
    assert [p.name for p in stored] == [digest]  # stored once for both records
    mode = stat.S_IMODE(stored[0].stat().st_mode)
    assert mode & 0o077 == 0 and not mode & 0o200  # owner-only and read-only
    assert [a.uid for a in services.evidence.of(OwnerKind.SOURCE, source_uid)] == [first.uid]
    trail = services.evidence.custody(first.uid)
    assert [(e.action, e.kind) for e in trail] == [("attach", CUSTODY_KIND)]
    assert trail[0].changes["sha256"] == digest and trail[0].changes["source"] == source_uid
    with services.database.read() as connection:
        assert verify_chain(connection) == []


def test_media_type_is_sniffed_from_the_content_not_the_name() -> None:
    assert sniff_media_type(PNG) == "image/png"
    assert sniff_media_type(PDF) == "application/pdf"
    assert sniff_media_type(b"<!DOCTYPE html><html></html>") == "text/html"
    assert sniff_media_type(b"WARC/1.0\r\n") == "application/warc"
    assert sniff_media_type("plain words é".encode()) == "text/plain"
    assert sniff_media_type(b"\x00\x01\x02\xff") == "application/octet-stream"


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\evil.exe", "evil.exe"),
    ("a\x00b\x1b[31mc\r\n.png", "ab[31mc.png"),  # the escape character goes
    ("photo\u202egnp.exe", "photognp.exe"),  # a right-to-left override hides the suffix
    ("..", "file"),
    ("   ", "file"),
    ("x" * 500 + ".jpeg", "x" * 194 + "….jpeg"),  # 200 characters, the suffix kept
])
def test_hostile_names_are_made_harmless(given: str, kept: str) -> None:
    assert safe_name(given) == kept


def test_a_hostile_name_is_kept_only_as_a_harmless_label(
    services: Services, source_uid: str, tmp_path: Path
) -> None:
    attachment = services.evidence.attach_bytes(PNG, "../../x\x07/..\\evil\x1b.png",
                                                OwnerKind.SOURCE, source_uid)
    assert attachment.name == "evil.png"
    copy = services.evidence.working_copy(attachment, tmp_path / "work")
    assert copy == tmp_path / "work" / "evil.png" and copy.read_bytes() == PNG
    assert stat.S_IMODE(copy.stat().st_mode) == 0o400  # read-only: a working copy


def test_an_empty_file_is_refused_and_nothing_is_stored(
    services: Services, source_uid: str, tmp_path: Path
) -> None:
    with pytest.raises(StorageError, match="empty"):
        services.evidence.attach_file(_write(tmp_path / "empty.png", b""),
                                      OwnerKind.SOURCE, source_uid)
    assert _store_files(services) == []
    assert services.evidence.of(OwnerKind.SOURCE, source_uid) == []


def _audit_size(services: Services) -> int:
    with services.database.read() as connection:
        return len(recent(connection, 10_000))


def test_a_file_that_vanishes_while_copied_leaves_nothing(
    services: Services, source_uid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _write(tmp_path / "video.mp4", os.urandom(3 * blobs.CHUNK + 5))
    entries = _audit_size(services)
    real_transfer = FolderBlobStore._transfer

    def vanish_then_copy(self: FolderBlobStore, source: int, descriptor: int, count: int) -> int:
        big.unlink(missing_ok=True)
        return real_transfer(self, source, descriptor, count)

    monkeypatch.setattr(FolderBlobStore, "_transfer", vanish_then_copy)
    with pytest.raises(StorageError, match="vanished"):
        services.evidence.attach_file(big, OwnerKind.SOURCE, source_uid)
    assert services.evidence.of(OwnerKind.SOURCE, source_uid) == []
    assert _audit_size(services) == entries
    assert not list((FolderBlobStore.beside(services.database.path).root / "tmp").iterdir())  # type: ignore[arg-type]


def test_a_file_cut_short_while_copied_is_refused(
    services: Services, source_uid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _write(tmp_path / "video.mp4", os.urandom(3 * blobs.CHUNK + 5))
    real_transfer = FolderBlobStore._transfer
    copied: list[int] = []

    def truncate_after_the_first(self: FolderBlobStore, source: int, descriptor: int,
                                 count: int) -> int:
        if copied:
            os.truncate(big, blobs.CHUNK)
        copied.append(real_transfer(self, source, descriptor, min(count, blobs.CHUNK)))
        return copied[-1]

    monkeypatch.setattr(FolderBlobStore, "_transfer", truncate_after_the_first)
    with pytest.raises(StorageError, match="changed while"):
        services.evidence.attach_file(big, OwnerKind.SOURCE, source_uid)
    assert _store_files(services) == []


def test_a_full_disk_while_copying_leaves_nothing_half_stored(
    services: Services, source_uid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _write(tmp_path / "video.mp4", os.urandom(3 * blobs.CHUNK))
    entries = _audit_size(services)
    written: list[int] = []
    real_transfer = FolderBlobStore._transfer

    def fill_up(self: FolderBlobStore, source: int, descriptor: int, count: int) -> int:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(real_transfer(self, source, descriptor, min(count, blobs.CHUNK)))
        return written[-1]

    monkeypatch.setattr(FolderBlobStore, "_transfer", fill_up)
    with pytest.raises(StorageError, match="full"):
        services.evidence.attach_file(big, OwnerKind.SOURCE, source_uid)
    assert written  # a first chunk was written before the disk filled
    assert _store_files(services) == []
    assert services.evidence.of(OwnerKind.SOURCE, source_uid) == []
    assert _audit_size(services) == entries


def test_a_full_disk_while_storing_a_stream_leaves_nothing(
    services: Services, source_uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[int] = []
    real_write = FolderBlobStore._write

    def fill_up(self: FolderBlobStore, descriptor: int, data: bytes) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(len(data))
        real_write(self, descriptor, data)

    monkeypatch.setattr(FolderBlobStore, "_write", fill_up)
    with pytest.raises(StorageError, match="full"):
        services.evidence.attach_bytes(os.urandom(3 * blobs.CHUNK), "pasted.png",
                                       OwnerKind.SOURCE, source_uid)
    assert written and _store_files(services) == []
    assert services.evidence.of(OwnerKind.SOURCE, source_uid) == []


def test_a_file_of_several_kernel_chunks_is_hashed_as_written(
    services: Services, source_uid: str, tmp_path: Path
) -> None:
    data = os.urandom(2 * blobs.KERNEL_CHUNK + 3)
    attachment = services.evidence.attach_file(_write(tmp_path / "v.bin", data),
                                               OwnerKind.SOURCE, source_uid)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest() and attachment.size == len(data)
    with services.evidence.open(attachment) as reading:
        assert reading.read() == data


def test_without_a_kernel_copy_the_file_is_copied_by_hand(
    services: Services, source_uid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(*_args: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", unsupported)
    data = os.urandom(2 * blobs.KERNEL_CHUNK + 3)
    attachment = services.evidence.attach_file(_write(tmp_path / "v.bin", data),
                                               OwnerKind.SOURCE, source_uid)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert services.evidence.check() == []


def test_a_missing_record_or_a_read_only_log_copies_nothing(
    services: Services, source_uid: str, tmp_path: Path
) -> None:
    png = _write(tmp_path / "a.png", PNG)
    with pytest.raises(NotFoundError):
        services.evidence.attach_file(png, OwnerKind.SOURCE, "0" * 36)
    path = services.database.path
    assert path is not None
    with open_database(path, read_only=True) as database, pytest.raises(ReadOnlyError):
        Services(database).evidence.attach_file(png, OwnerKind.SOURCE, source_uid)
    assert _store_files(services) == []


def test_purging_an_incident_keeps_bytes_another_record_uses(
    services: Services, source_uid: str, tmp_path: Path
) -> None:
    png = _write(tmp_path / "a.png", PNG)
    incident = services.incidents.create(Incident(
        title="t", occurred=parse_local("2024-01-20", "UTC"))).record
    uid = incident.meta.uid
    assert uid is not None
    services.evidence.attach_file(png, OwnerKind.INCIDENT, uid)
    kept = services.evidence.attach_file(png, OwnerKind.SOURCE, source_uid)
    services.incidents.delete(uid)
    services.incidents.purge(uid)
    assert services.evidence.of(OwnerKind.INCIDENT, uid) == []
    assert services.evidence.check() == []
    with services.evidence.open(kept) as reading:
        assert reading.read() == PNG


def test_check_names_the_record_of_a_missing_or_altered_file(
    services: Services, source_uid: str, tmp_path: Path
) -> None:
    png = services.evidence.attach_file(_write(tmp_path / "a.png", PNG),
                                        OwnerKind.SOURCE, source_uid)
    pdf = services.evidence.attach_file(_write(tmp_path / "b.pdf", PDF),
                                        OwnerKind.SOURCE, source_uid)
    assert services.evidence.check(record=True) == []
    assert [e.action for e in services.evidence.custody(png.uid)] == ["attach", "verify"]
    store = FolderBlobStore.beside(services.database.path)  # type: ignore[arg-type]
    store.path(png.sha256).unlink()
    altered = store.path(pdf.sha256)
    altered.chmod(0o600)
    altered.write_bytes(PDF + b"x")
    problems = services.evidence.check()
    assert len(problems) == 2
    assert f"source uid {source_uid}" in problems[0] and "missing" in problems[0]
    assert "'b.pdf'" in problems[1] and "no longer matches" in problems[1]


def test_detach_keeps_the_bytes_and_records_custody(
    services: Services, source_uid: str, tmp_path: Path
) -> None:
    attachment = services.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source_uid)
    services.evidence.detach(attachment.uid)
    assert services.evidence.of(OwnerKind.SOURCE, source_uid) == []
    assert [e.action for e in services.evidence.custody(attachment.uid)] == ["attach", "detach"]
    assert FolderBlobStore.beside(services.database.path).has(attachment.sha256)  # type: ignore[arg-type]
    assert services.evidence.counts(OwnerKind.SOURCE, [source_uid]) == {}
