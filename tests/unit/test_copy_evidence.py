"""``incidentlog copy`` carries the evidence files: file to file, re-hashed on the way
(to and from a server: tests/unit/test_server_evidence.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from incidentlog import cli
from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.records import Source
from incidentlog.services import Services
from incidentlog.store.blobs import FolderBlobStore
from incidentlog.store.database import open_database

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WARC = b"WARC/1.0\r\nWARC-Type: response\r\n\r\n" + b"page " * 1000


def _log_with_files(path: Path) -> tuple[str, list[str]]:
    with open_database(path) as database:
        services = Services(database, actor="amira")
        uid = services.sources.create(Source(title="post", url="https://example.org/p"))
        source = uid.record.meta.uid or ""
        services.evidence.attach_bytes(PDF, "statement.pdf", OwnerKind.SOURCE, source)
        services.evidence.attach_bytes(WARC, "capture.warc", OwnerKind.SOURCE, source)
    return source, [hashlib.sha256(data).hexdigest() for data in (PDF, WARC)]


def test_a_copy_to_a_file_carries_the_evidence_files(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "desk.sqlite3", tmp_path / "copy.sqlite3"
    source, hashes = _log_with_files(first)
    assert cli.main(["copy", "--from", str(first), "--to", str(second)]) == 0
    assert "2 evidence files" in capsys.readouterr().out
    store = FolderBlobStore.beside(second)
    assert all(store.has(h) and store.problem(h) is None for h in hashes)
    with open_database(second) as database:
        services = Services(database)
        kept = services.evidence.of(OwnerKind.SOURCE, source)
        assert sorted(a.sha256 for a in kept) == sorted(hashes)
        assert services.evidence.check() == []
        with services.evidence.open(kept[0]) as reading:
            assert hashlib.sha256(reading.read()).hexdigest() == kept[0].sha256


def test_an_altered_file_stops_the_copy_before_any_row(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "desk.sqlite3", tmp_path / "copy.sqlite3"
    _source, hashes = _log_with_files(first)
    stored = FolderBlobStore.beside(first).path(hashes[0])
    stored.chmod(0o600)
    stored.write_bytes(PDF.replace(b"1.4", b"1.7"))
    assert cli.main(["copy", "--from", str(first), "--to", str(second)]) == 1
    assert "no longer matches its hash" in capsys.readouterr().err
    with open_database(second) as database:
        assert Services(database).source_query.list() == []
