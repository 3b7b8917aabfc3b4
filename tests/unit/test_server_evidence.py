"""A server log keeps evidence bytes in its tables (``blob``/``blob_chunk``, 1 MiB a row):
attach, read back, check, purge, roles and triggers, failures mid-attach, packages, copy
and backup with files. Against the real test server (tests/pg.py)."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from incidentlog import cli
from incidentlog.domain.errors import ReadOnlyError, StorageError
from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.records import Incident, Source
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.audit import verify_chain
from incidentlog.store.blobs import CHUNK, FolderBlobStore
from incidentlog.store.database import open_database
from incidentlog.store.schema import attachment_table, audit_table, blob_chunk_table, blob_table
from incidentlog.store.server_blobs import TableBlobStore
from tests.pg import PgServer
from tests.unit.test_server import as_login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: Two and a half chunks of bytes no compressor shrinks.
BIG = os.urandom(CHUNK * 2 + CHUNK // 2)


@pytest.fixture
def log(pg_server: PgServer) -> Iterator[str]:
    name = pg_server.log_database()
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def lead(pg_server: PgServer, log: str) -> Iterator[Services]:
    database = open_database(pg_server.tester_url(log))
    yield Services(database, actor="tester")
    database.close()


def _source(services: Services, title: str = "CENTCOM") -> str:
    uid = services.sources.create(Source(title=title, url="https://example.org/a")).record.meta.uid
    assert uid is not None
    return uid


def _incident(services: Services) -> str:
    uid = services.incidents.create(Incident(
        title="Drone attack on Tower 22", occurred=parse_local("2024-01-28", "UTC"))
    ).record.meta.uid
    assert uid is not None
    return uid


def _counts(services: Services) -> tuple[int, int, int, int]:
    """Blob rows, chunk rows, attachment rows, audit entries."""
    with services.database.read() as connection:
        return tuple(int(connection.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (blob_table, blob_chunk_table, attachment_table, audit_table))  # type: ignore[return-value]


def _engine(pg_server: PgServer, log: str, user: str | None = None) -> Engine:
    url = make_url(pg_server.url(log, user)).set(drivername="postgresql+psycopg")
    return create_engine(url, poolclass=NullPool)


def _refused(engine: Engine, sql: str, match: str) -> None:
    with engine.connect() as connection, pytest.raises(DBAPIError, match=match):
        connection.exec_driver_sql(sql)


def test_a_file_is_streamed_in_chunks_stored_once_and_read_back(
        lead: Services, tmp_path: Path) -> None:
    source, incident = _source(lead), _incident(lead)
    path = tmp_path / "video.bin"
    path.write_bytes(BIG)
    digest = hashlib.sha256(BIG).hexdigest()
    first = lead.evidence.attach_file(path, OwnerKind.SOURCE, source)
    again = lead.evidence.attach_file(path, OwnerKind.INCIDENT, incident)
    assert (first.sha256, first.size, again.sha256) == (digest, len(BIG), digest)
    with lead.database.read() as connection:
        chunks = connection.execute(
            select(blob_chunk_table.c.sha256, blob_chunk_table.c.seq,
                   func.length(blob_chunk_table.c.data)).order_by(blob_chunk_table.c.seq)).all()
        blobs = connection.execute(select(blob_table)).all()
        assert verify_chain(connection) == []
    assert chunks == [(digest, 0, CHUNK), (digest, 1, CHUNK), (digest, 2, CHUNK // 2)]
    assert blobs == [(digest, len(BIG), "application/octet-stream")]  # stored once for both
    with lead.evidence.open(first) as reading:
        assert reading.read(100) == BIG[:100]
        assert reading.read() == BIG[100:]
    assert lead.evidence.check() == []
    assert [e.action for e in lead.evidence.custody(first.uid)] == ["attach"]
    copy = lead.evidence.working_copy(first, tmp_path / "work")
    assert copy.read_bytes() == BIG and stat.S_IMODE(copy.stat().st_mode) == 0o400


def test_attach_and_check_from_the_command_line_name_the_record_of_a_damaged_blob(
        pg_server: PgServer, log: str, lead: Services, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = _source(lead)
    (tmp_path / "report.pdf").write_bytes(PDF)
    (tmp_path / "video.bin").write_bytes(BIG)
    url = pg_server.tester_url(log)
    for name in ("report.pdf", "video.bin"):
        assert cli.main(["attach", str(tmp_path / name), "--source", source, "--db", url]) == 0
    assert "application/pdf" in capsys.readouterr().out
    assert cli.main(["check", "--db", url]) == 0
    assert capsys.readouterr().out == "ok\n"
    # Around the triggers, as only the server's owner can: one chunk altered, one removed.
    pdf, big = hashlib.sha256(PDF).hexdigest(), hashlib.sha256(BIG).hexdigest()
    pg_server.execute("ALTER TABLE blob_chunk DISABLE TRIGGER USER", log)
    pg_server.execute(f"UPDATE blob_chunk SET data = 'x'::bytea || data WHERE sha256 = '{pdf}'",
                      log)
    pg_server.execute(f"DELETE FROM blob_chunk WHERE sha256 = '{big}' AND seq = 1", log)
    pg_server.execute("ALTER TABLE blob_chunk ENABLE TRIGGER USER", log)
    assert cli.main(["check", "--db", url]) == 1
    out = capsys.readouterr().out
    assert f"source uid {source}" in out
    assert "'report.pdf'" in out and "no longer match their hash" in out
    assert "'video.bin'" in out and "chunk 1 is missing" in out


def test_the_server_keeps_stored_bytes_from_being_changed_even_by_its_owner(
        pg_server: PgServer, log: str, lead: Services) -> None:
    source = _source(lead)
    digest = lead.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source).sha256
    # The server's owner (the triggers hold whatever the grants):
    engine = _engine(pg_server, log)
    never = "stored evidence is never rewritten"
    _refused(engine, f"UPDATE blob_chunk SET data = 'x' WHERE sha256 = '{digest}'", never)
    _refused(engine, f"UPDATE blob_chunk SET sha256 = 'x' WHERE sha256 = '{digest}'", never)
    _refused(engine, f"DELETE FROM blob_chunk WHERE sha256 = '{digest}'", never)
    _refused(engine, f"INSERT INTO blob_chunk VALUES ('{digest}', 7, 'more')", never)
    _refused(engine, f"UPDATE blob SET size = 1 WHERE sha256 = '{digest}'", never)
    _refused(engine, f"DELETE FROM blob WHERE sha256 = '{digest}'", "still attached")
    _refused(engine, "TRUNCATE blob_chunk", "never truncated")
    _refused(engine, "TRUNCATE blob", "never truncated")
    engine.dispose()
    engine = _engine(pg_server, log, "tester")  # a lead's login: no grant to rewrite either
    _refused(engine, f"UPDATE blob_chunk SET data = 'x' WHERE sha256 = '{digest}'",
             "permission denied")
    _refused(engine, f"DELETE FROM blob_chunk WHERE sha256 = '{digest}'", never)
    _refused(engine, "TRUNCATE blob_chunk", "permission denied")
    engine.dispose()
    assert lead.evidence.check() == []


def test_an_officer_attaches_a_reader_reads_and_neither_removes_bytes(
        pg_server: PgServer, log: str, tmp_path: Path) -> None:
    with as_login(pg_server, log, "officer") as officer:
        source = _source(officer)
        kept = officer.evidence.attach_bytes(BIG, "video.bin", OwnerKind.SOURCE, source)
        user = officer.database.login
    engine = _engine(pg_server, log, user)
    _refused(engine, f"DELETE FROM blob WHERE sha256 = '{kept.sha256}'", "permission denied")
    _refused(engine, "DELETE FROM blob_chunk", "permission denied")
    _refused(engine, "UPDATE blob_chunk SET data = ''", "permission denied")
    engine.dispose()
    with as_login(pg_server, log, "reader") as reader:
        assert reader.database.read_only
        with reader.evidence.open(kept) as reading:
            assert hashlib.sha256(reading.read()).hexdigest() == kept.sha256
        assert reader.evidence.check() == []
        with pytest.raises(ReadOnlyError):
            reader.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source)
    with as_login(pg_server, log, "reviewer") as reviewer:
        assert reviewer.database.review_only
        with pytest.raises(ReadOnlyError):  # review mode: comments and verdicts only
            reviewer.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source)


class _Failing:
    """Gives ``chunks`` chunks of ``BIG``, then calls ``fail`` (which raises, or not: the
    end of the stream)."""

    def __init__(self, chunks: int, fail: Callable[[], None]) -> None:
        self.given = 0
        self.chunks = chunks
        self.fail = fail

    def read(self, size: int = -1) -> bytes:
        if self.given == self.chunks:
            self.fail()
            return b""
        self.given += 1
        return BIG[:size]


def test_a_read_failure_or_a_dropped_connection_mid_attach_leaves_nothing(
        pg_server: PgServer, log: str, lead: Services) -> None:
    source = _source(lead)
    before = _counts(lead)

    def vanish() -> None:
        raise OSError(5, "Input/output error")

    reading: IO[bytes] = _Failing(2, vanish)  # type: ignore[assignment]
    with pytest.raises(StorageError, match="could not be read"):
        lead.evidence.attach_stream(reading, "video.bin", OwnerKind.SOURCE, source)
    assert _counts(lead) == before

    def drop_connection() -> None:  # the server goes away between two chunks
        pg_server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{log}' AND state LIKE 'idle in transaction%'")

    reading = _Failing(2, drop_connection)  # type: ignore[assignment]
    with pytest.raises(StorageError):
        lead.evidence.attach_stream(reading, "video.bin", OwnerKind.SOURCE, source)
    assert _counts(lead) == before
    # The log works on: the next attach is whole.
    lead.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source)
    assert _counts(lead)[:3] == (1, 1, 1) and lead.evidence.check() == []


def test_an_empty_stream_or_a_file_changed_meanwhile_is_refused_and_nothing_kept(
        lead: Services, tmp_path: Path) -> None:
    source = _source(lead)
    before = _counts(lead)
    with pytest.raises(StorageError, match="empty"):
        lead.evidence.attach_bytes(b"", "empty.bin", OwnerKind.SOURCE, source)
    with pytest.raises(StorageError, match="changed while"):
        TableBlobStore(lead.database).put(_Failing(1, lambda: None),  # type: ignore[arg-type]
                                          expected_size=CHUNK * 3)
    assert _counts(lead) == before


def test_purge_removes_only_the_bytes_no_other_record_uses(lead: Services) -> None:
    source, incident = _source(lead), _incident(lead)
    shared = lead.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.INCIDENT, incident)
    lead.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source)
    alone = lead.evidence.attach_bytes(BIG, "video.bin", OwnerKind.INCIDENT, incident)
    lead.incidents.delete(incident)
    assert _counts(lead)[:2] == (2, 4)  # the trash keeps them
    lead.incidents.purge(incident)
    store = TableBlobStore(lead.database)
    assert store.has(shared.sha256) and not store.has(alone.sha256)
    assert _counts(lead)[:2] == (1, 1)  # the chunks of the purged bytes went too
    assert lead.evidence.check() == []
    # Detaching keeps the bytes (a custody event, not a purge).
    kept = lead.evidence.of(OwnerKind.SOURCE, source)[0]
    lead.evidence.detach(kept.uid)
    assert store.has(kept.sha256)


def test_a_package_from_a_server_verifies_and_imports_into_another_server(
        pg_server: PgServer, log: str, lead: Services, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = _source(lead)
    incident = _incident(lead)
    lead.incidents.link_source(incident, source)
    lead.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source)
    lead.evidence.attach_bytes(BIG, "video.bin", OwnerKind.INCIDENT, incident)
    package = tmp_path / "evidence.zip"
    assert cli.main(["export", "--format", "package", "--out", str(package),
                     "--db", pg_server.tester_url(log)]) == 0
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(unpacked)
    checked = subprocess.run(["sha256sum", "-c", "MANIFEST-sha256.txt"], cwd=unpacked,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (unpacked / "files" / "sha256" / hashlib.sha256(BIG).hexdigest()).read_bytes() == BIG
    other = pg_server.log_database()
    try:
        capsys.readouterr()
        assert cli.main(["import", str(package), "--db", pg_server.tester_url(other)]) == 0
        assert "2 attachments added" in capsys.readouterr().out
        with open_database(pg_server.tester_url(other)) as database:
            services = Services(database)
            assert services.evidence.check() == []
            files = services.evidence.of(OwnerKind.INCIDENT, incident)
            assert [(a.name, a.size) for a in files] == [("video.bin", len(BIG))]
            with services.evidence.open(files[0]) as reading:
                assert reading.read() == BIG
    finally:
        pg_server.drop_database(other)


def _log_file_with_files(path: Path) -> tuple[str, list[str]]:
    with open_database(path) as database:
        services = Services(database, actor="amira")
        source = _source(services, "post")
        services.evidence.attach_bytes(PDF, "statement.pdf", OwnerKind.SOURCE, source)
        services.evidence.attach_bytes(BIG, "video.bin", OwnerKind.SOURCE, source)
    return source, sorted(hashlib.sha256(data).hexdigest() for data in (PDF, BIG))


def test_copy_file_to_server_and_back_carries_the_files(
        pg_server: PgServer, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    first, back = tmp_path / "desk.sqlite3", tmp_path / "back.sqlite3"
    source, hashes = _log_file_with_files(first)
    server = pg_server.url(pg_server.empty_database())
    assert cli.main(["init", "--db", server]) == 0
    assert cli.main(["copy", "--from", str(first), "--to", server]) == 0
    assert "2 evidence files" in capsys.readouterr().out
    with open_database(server) as database:
        services = Services(database)
        assert sorted(a.sha256 for a in services.evidence.of(OwnerKind.SOURCE, source)) == hashes
        assert services.evidence.check() == []
        assert sorted(TableBlobStore(database).hashes()) == hashes
    assert cli.main(["copy", "--from", server, "--to", str(back)]) == 0
    store = FolderBlobStore.beside(back)
    assert all(store.problem(h) is None for h in hashes)
    with open_database(back) as database:
        assert Services(database).evidence.check() == []
        with database.read() as connection:  # the bytes went to the folder, not the file
            assert connection.execute(select(func.count()).select_from(blob_chunk_table)
                                      ).scalar_one() == 0


def test_a_failed_copy_to_a_server_leaves_no_bytes_there(
        pg_server: PgServer, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "desk.sqlite3"
    _source_uid, hashes = _log_file_with_files(first)
    stored = FolderBlobStore.beside(first).path(hashes[-1])
    stored.chmod(0o600)
    stored.write_bytes(b"altered")
    server = pg_server.url(pg_server.empty_database())
    assert cli.main(["init", "--db", server]) == 0
    assert cli.main(["copy", "--from", str(first), "--to", server]) == 1
    assert "no longer matches its hash" in capsys.readouterr().err
    with open_database(server) as database:
        services = Services(database)
        assert services.source_query.list() == []
        assert _counts(services)[:3] == (0, 0, 0)


def test_backup_of_a_server_carries_its_files_beside_the_copy(
        pg_server: PgServer, log: str, lead: Services, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = _source(lead)
    kept = lead.evidence.attach_bytes(BIG, "video.bin", OwnerKind.SOURCE, source)
    capsys.readouterr()
    assert cli.main(["backup", "--db", pg_server.tester_url(log), "--out", str(tmp_path)]) == 0
    written = Path(capsys.readouterr().out.strip())
    store = FolderBlobStore.beside(written)
    assert store.problem(kept.sha256) is None
    assert stat.S_IMODE(store.path(kept.sha256).stat().st_mode) == 0o400
    with open_database(written, read_only=True) as database:
        services = Services(database)
        assert services.evidence.check() == []
        with services.evidence.open(kept) as reading:
            assert reading.read() == BIG
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".incidentlog-backup-")]


def test_the_same_bytes_stored_by_two_desks_at_once_are_one_blob(
        pg_server: PgServer, log: str, lead: Services) -> None:
    source = _source(lead)
    store = TableBlobStore(lead.database)
    done: list[bool] = []
    # The second desk's seal waits for the first's transaction (or comes after it), then
    # finds the bytes stored and drops its own.
    worker = threading.Thread(target=lambda: done.append(
        store.put(_Failing(3, lambda: None)).new))  # type: ignore[arg-type]
    with store.writing() as first:
        one = store.bound(first).put(_Failing(3, lambda: None))  # type: ignore[arg-type]
        worker.start()
        worker.join(0.5)
    worker.join()
    assert one.new and done == [False]
    assert _counts(lead)[:2] == (1, 3)
    assert store.problem(one.sha256) is None
    lead.evidence.attach_bytes(BIG[:CHUNK] * 3, "same.bin", OwnerKind.SOURCE, source)
    assert _counts(lead)[:2] == (1, 3)
