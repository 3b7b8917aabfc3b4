"""attach, check of files, evidence packages: export, ``sha256sum -c``, import, hostile ZIPs."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from incidentlog import cli
from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.records import Incident, Source
from incidentlog.domain.when import parse_local
from incidentlog.exchange import package as pkg
from incidentlog.services import Services
from incidentlog.store.blobs import FolderBlobStore
from incidentlog.store.database import open_database

Run = Callable[..., tuple[int, str, str]]
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


@pytest.fixture
def log(tmp_path: Path) -> tuple[Path, str, str, str]:
    """A log with one incident citing one source: (path, incident ref, its uid, source uid)."""
    path = tmp_path / "log.sqlite3"
    with open_database(path) as database:
        services = Services(database, actor="tester")
        incident = services.incidents.create(Incident(
            title="Drone <b>attack</b> on Tower 22", country="JO",
            occurred=parse_local("2024-01-28", "Asia/Amman"))).record
        source = services.sources.create(Source(
            title="CENTCOM <script>", url="https://example.org/tower-22")).record
        assert incident.meta.uid and source.meta.uid
        services.incidents.link_source(incident.meta.uid, source.meta.uid)
    return path, incident.ref or "", incident.meta.uid, source.meta.uid


def test_attach_by_source_uid_prefix_and_incident_ref_then_check(
    run: Run, log: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    path, ref, _, source_uid = log
    (tmp_path / "shot.png").write_bytes(PNG)
    (tmp_path / "report.pdf").write_bytes(PDF)
    code, out, err = run("attach", tmp_path / "shot.png", "--source", source_uid[:8], "--db", path)
    assert code == 0, err
    assert hashlib.sha256(PNG).hexdigest() in out and "image/png" in out
    code, out, err = run("attach", tmp_path / "report.pdf", "--incident", ref, "--db", path)
    assert code == 0 and "application/pdf" in out, err
    assert run("check", "--db", path)[:2] == (0, "ok\n")
    code, out, _ = run("check", "--record-custody", "--db", path)
    assert code == 0 and "recorded" in out
    FolderBlobStore.beside(path).path(hashlib.sha256(PDF).hexdigest()).unlink()
    code, out, err = run("check", "--db", path)
    assert code == 1
    assert f"incident {ref}" in out and "report.pdf" in out and "missing" in out


def test_attach_refuses_an_unknown_record_or_a_missing_file(
    run: Run, log: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    path = log[0]
    (tmp_path / "shot.png").write_bytes(PNG)
    code, _, err = run("attach", tmp_path / "shot.png", "--incident", "XX-1", "--db", path)
    assert code == 1 and "XX-1" in err
    code, _, err = run("attach", tmp_path / "nothing.png", "--incident", log[1], "--db", path)
    assert code == 1 and "nothing.png" in err
    code, _, err = run("--read-only", "attach", tmp_path / "shot.png", "--source", log[3],
                       "--db", path)
    assert code == 2
    assert not FolderBlobStore.beside(path).root.exists()


def _package(run: Run, log: tuple[Path, str, str, str], tmp_path: Path) -> Path:
    path, ref, _, source_uid = log
    (tmp_path / "shot.png").write_bytes(PNG)
    (tmp_path / "report.pdf").write_bytes(PDF)
    assert run("attach", tmp_path / "shot.png", "--source", source_uid, "--db", path)[0] == 0
    assert run("attach", tmp_path / "report.pdf", "--incident", ref, "--db", path)[0] == 0
    out = tmp_path / "out" / "evidence.zip"
    code, said, err = run("export", "--format", "package", "--out", out, "--db", path)
    assert code == 0, err
    assert "2 files" in said
    return out


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_a_package_verifies_with_sha256sum_and_imports_into_an_empty_log(
    run: Run, log: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    package = _package(run, log, tmp_path)
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        archive.extractall(unpacked)
    assert {"incidents.json", "attachments.json", "index.html", pkg.MANIFEST} <= set(names)
    assert f"files/sha256/{hashlib.sha256(PNG).hexdigest()}" in names
    checked = subprocess.run(["sha256sum", "-c", pkg.MANIFEST], cwd=unpacked,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == len(names) - 1
    index = (unpacked / "index.html").read_text()
    assert "<script>" not in index and "CENTCOM &lt;script&gt;" in index
    assert "Drone &lt;b&gt;attack&lt;/b&gt;" in index

    # the export is in each file's custody trail
    with open_database(log[0], read_only=True) as database:
        services = Services(database)
        attached = services.evidence.of(OwnerKind.SOURCE, log[3])
        trail = services.evidence.custody(attached[0].uid)
    assert [e.action for e in trail] == ["attach", "export"]
    assert trail[1].changes["package"] == "evidence.zip"

    empty = tmp_path / "empty.sqlite3"
    code, out, err = run("import", package, "--db", empty)
    assert code == 0, err
    assert "2 attachments added" in out
    with open_database(empty, read_only=True) as database:
        services = Services(database)
        assert services.evidence.check() == []
        files = services.evidence.of(OwnerKind.SOURCE, log[3])
        assert [(a.name, a.sha256, a.added_by) for a in files] == [
            ("shot.png", hashlib.sha256(PNG).hexdigest(), attached[0].added_by)]
        with services.evidence.open(files[0]) as reading:
            assert reading.read() == PNG
        assert [e.action for e in services.evidence.custody(files[0].uid)] == ["import"]
    # importing it again adds nothing
    code, out, _ = run("import", package, "--db", empty)
    assert code == 0 and "0 attachments added" in out


def _rewrite(package: Path, target: Path, change: Callable[[str, bytes], bytes | None],
             extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(package) as original, zipfile.ZipFile(target, "w") as changed:
        for info in original.infolist():
            data = change(info.filename, original.read(info))
            if data is not None:
                changed.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            changed.writestr(name, data)
    return target


def _nothing_imported(run: Run, package: Path, tmp_path: Path, why: str) -> None:
    empty = tmp_path / "fresh.sqlite3"
    code, _, err = run("import", package, "--db", empty)
    assert code == 1 and why in err and "Nothing was imported" in err, err
    if empty.exists():
        with open_database(empty, read_only=True) as database:
            assert Services(database).incident_query.count() == 0
    assert not FolderBlobStore.beside(empty).root.exists()


def test_a_package_with_one_altered_file_is_refused_whole(
    run: Run, log: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    package = _package(run, log, tmp_path)
    png_member = f"files/sha256/{hashlib.sha256(PNG).hexdigest()}"
    altered = _rewrite(package, tmp_path / "altered.zip",
                       lambda name, data: data + b"!" if name == png_member else data)
    _nothing_imported(run, altered, tmp_path, "does not match its hash")


def test_a_package_climbing_out_with_dotdot_is_refused_before_extraction(
    run: Run, log: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    package = _package(run, log, tmp_path)
    hostile = _rewrite(package, tmp_path / "hostile.zip", lambda _n, data: data,
                       extra={"../../evil.sh": b"rm -rf ~\n"})
    _nothing_imported(run, hostile, tmp_path, "'../../evil.sh'")
    assert not (tmp_path / "evil.sh").exists()


def test_a_zip_bomb_is_refused_by_its_declared_ratio(
    run: Run, log: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    package = _package(run, log, tmp_path)
    zeros = b"\0" * (64 * 1024 * 1024)
    digest = hashlib.sha256(zeros).hexdigest()
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(package) as original, zipfile.ZipFile(bomb, "w") as changed:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == pkg.MANIFEST:
                data += f"{digest}  files/sha256/{digest}\n".encode()
            changed.writestr(info.filename, data)
        changed.writestr(f"files/sha256/{digest}", zeros, compress_type=zipfile.ZIP_DEFLATED)
    _nothing_imported(run, bomb, tmp_path, "a ZIP bomb")


def test_a_member_larger_than_it_declares_is_refused(tmp_path: Path) -> None:
    # A lying directory entry: 10 bytes declared, 4 MiB stored (zipfile trusts the entry).
    data = b"x" * (4 * 1024 * 1024)
    digest = hashlib.sha256(data).hexdigest()
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("incidents.json", b"{}")
        archive.writestr(f"files/sha256/{digest}", data)
        archive.writestr(pkg.MANIFEST, f"{digest}  files/sha256/{digest}\n"
                         f"{hashlib.sha256(b'{}').hexdigest()}  incidents.json\n")
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as archive:
        info = archive.getinfo(f"files/sha256/{digest}")
        info.file_size = 10
        with pytest.raises(ExchangeError, match=r"more than it declares|cannot be read"):
            list(pkg._chunks(archive, info, tmp_path / "lying.zip"))


def test_a_package_export_refuses_a_stored_file_that_was_altered(
    run: Run, log: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    path, _, _, source_uid = log
    (tmp_path / "shot.png").write_bytes(PNG)
    assert run("attach", tmp_path / "shot.png", "--source", source_uid, "--db", path)[0] == 0
    stored = FolderBlobStore.beside(path).path(hashlib.sha256(PNG).hexdigest())
    stored.chmod(0o600)
    stored.write_bytes(PNG + b"tampered")
    out = tmp_path / "evidence.zip"
    code, _, err = run("export", "--format", "package", "--out", out, "--db", path)
    assert code == 1 and "no longer matches its hash" in err
    assert not out.exists()


def test_attachments_json_lists_owner_and_hash(
    run: Run, log: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    package = _package(run, log, tmp_path)
    with zipfile.ZipFile(package) as archive:
        listed = orjson.loads(archive.read("attachments.json"))
    assert sorted((item["owner_kind"], item["name"]) for item in listed) == [
        ("incident", "report.pdf"), ("source", "shot.png")]


def test_attach_needs_a_record(run: Run, log: tuple[Path, str, str, str], tmp_path: Path) -> None:
    (tmp_path / "shot.png").write_bytes(PNG)
    code, _, err = run("attach", tmp_path / "shot.png", "--db", log[0])
    assert code == 2 and "--source or --incident" in err
