"""The command line and paths that are not regular files: pipes, devices, links, folders.

Every path incidentlog writes is a regular file it created (or a path that
does not exist yet); anything else given as ``--db`` or ``--out`` is refused
with one sentence (exit status 2) and left exactly as it was. A JSON export
is the exception: it streams into a named pipe, and ``--out -`` writes it to
standard output. Commands that would have hung on a pipe run in a child
process with a timeout, so that a regression fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from incidentlog import cli
from incidentlog.paths import DATA_DIR_VARIABLE
from incidentlog.store.backup import anchor_path

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pipes and devices are POSIX")

Run = Callable[..., tuple[int, str, str]]
#: Only a guard against a hang: a command here takes a second or two.
CHILD_TIMEOUT = 120


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


def child(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "incidentlog", *map(str, argv)],
        capture_output=True,
        env={**os.environ, DATA_DIR_VARIABLE: str(cwd / "user-data")},
        cwd=cwd,
        timeout=CHILD_TIMEOUT,
        check=False,
    )


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.sqlite3"
    assert cli.main(["demo", "--db", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid export (of the demo data) to import."""
    folder = tmp_path_factory.mktemp("export")
    assert cli.main(["demo", "--db", str(folder / "demo.sqlite3")]) == 0
    out = folder / "demo.json"
    assert cli.main(["export", "--db", str(folder / "demo.sqlite3"), "--format", "json",
                     "--out", str(out)]) == 0
    return out


def make(kind: str, path: Path) -> Path:
    """Put a thing of ``kind`` at ``path``: none of them is a regular file."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        try:  # /dev/null's numbers, in the test's folder: never the system's own
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("device files cannot be made here")
    elif kind == "folder":
        path.mkdir()
    elif kind == "link-to-empty":
        (path.parent / "empty-target").touch()
        path.symlink_to(path.parent / "empty-target")
    elif kind == "link-to-null":
        path.symlink_to("/dev/null")
    else:
        raise AssertionError(kind)
    return path


def fingerprint(path: Path) -> tuple[int, int, str]:
    """What must not change: the kind, the inode, and where a link points."""
    info = os.lstat(path)
    target = str(path.readlink()) if stat.S_ISLNK(info.st_mode) else ""
    return stat.S_IFMT(info.st_mode), info.st_ino, target


def refused(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("incidentlog: ") and err.count("\n") == 1, err
    assert "not a regular file" in err and "Traceback" not in err


KINDS = ["fifo", "device", "folder", "link-to-empty", "link-to-null"]


# --- item: --db that is not a file -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ["init", "demo", "import"])
def test_init_demo_and_import_refuse_a_db_that_is_not_a_regular_file(
    run: Run, tmp_path: Path, export: Path, command: str, kind: str
) -> None:
    target = make(kind, tmp_path / "log.sqlite3")
    before = fingerprint(target)
    argv = ["import", "--db", target, export] if command == "import" else [command, "--db", target]
    code, out, err = run(*argv)
    refused(code, err)
    assert out == ""
    assert fingerprint(target) == before
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)
    assert not list(tmp_path.glob("log-backups"))  # nothing was backed up either


@pytest.mark.parametrize("command", ["check", "backup", "export"])
def test_reading_commands_refuse_a_db_that_is_a_pipe_without_hanging(
    tmp_path: Path, command: str
) -> None:
    target = make("fifo", tmp_path / "log.sqlite3")
    extra = {"export": ["--format", "json", "--out", tmp_path / "out.json"]}.get(command, [])
    done = child(command, "--db", target, *extra, cwd=tmp_path)
    refused(done.returncode, done.stderr.decode())
    assert stat.S_ISFIFO(os.lstat(target).st_mode)


def test_a_db_that_is_a_link_to_a_database_is_refused_and_the_link_kept(
    run: Run, log: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link.sqlite3"
    link.symlink_to(log)
    for argv in (["init"], ["check"], ["backup"]):
        code, _, err = run(*argv, "--db", link)
        refused(code, err)
        assert str(log) in err  # it says which file to give instead
    assert link.is_symlink()


# --- item: --out that is not a file --------------------------------------------------------


@pytest.mark.parametrize("kind", ["device", "link-to-empty", "link-to-null"])
def test_export_refuses_an_out_that_is_not_a_regular_file(
    run: Run, log: Path, tmp_path: Path, kind: str
) -> None:
    target = make(kind, tmp_path / "out.json")
    before = fingerprint(target)
    code, _, err = run("export", "--db", log, "--format", "json", "--out", target)
    refused(code, err)
    assert fingerprint(target) == before
    assert (tmp_path / "empty-target").read_bytes() == b"" if kind == "link-to-empty" else True


def test_csv_export_refuses_a_link_for_a_folder_or_a_file(
    run: Run, log: Path, tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    code, _, err = run("export", "--db", log, "--format", "csv", "--out", tmp_path / "linked")
    refused(code, err)
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "incidents.csv").symlink_to(tmp_path / "elsewhere.csv")
    code, _, err = run("export", "--db", log, "--format", "csv", "--out", folder)
    assert code == 1 and "incidents.csv: is a symbolic link, not a regular file" in err
    assert err.count("\n") == 1
    assert (folder / "incidents.csv").is_symlink()
    assert not (tmp_path / "elsewhere.csv").exists() and list((tmp_path / "real").iterdir()) == []


@pytest.mark.parametrize("kind", ["device", "link-to-empty", "link-to-backup"])
def test_backup_refuses_an_out_that_is_not_a_regular_file(
    run: Run, log: Path, tmp_path: Path, kind: str
) -> None:
    if kind == "link-to-backup":  # even a link to an earlier backup: it would become a file
        assert run("backup", "--db", log, "--out", tmp_path / "earlier.sqlite3")[0] == 0
        target = tmp_path / "copy.sqlite3"
        target.symlink_to(tmp_path / "earlier.sqlite3")
    else:
        target = make(kind, tmp_path / "copy.sqlite3")
    before = fingerprint(target)
    code, _, err = run("backup", "--db", log, "--out", target)
    refused(code, err)
    assert fingerprint(target) == before


def test_backup_refuses_an_out_that_is_a_pipe_without_hanging(log: Path, tmp_path: Path) -> None:
    target = make("fifo", tmp_path / "copy.sqlite3")
    done = child("backup", "--db", log, "--out", target, cwd=tmp_path)
    refused(done.returncode, done.stderr.decode())
    assert stat.S_ISFIFO(os.lstat(target).st_mode)


# --- item: export to a pipe, to standard output ----------------------------------------------


@pytest.fixture
def reader() -> Iterator[Callable[[Path], threading.Thread]]:
    """Starts a thread that reads a pipe to its end (the data lands in ``thread.data``)."""
    started: list[tuple[threading.Thread, Path]] = []

    def start(fifo: Path) -> threading.Thread:
        thread = threading.Thread(target=lambda: setattr(thread, "data", fifo.read_bytes()),
                                  daemon=True)
        thread.start()
        started.append((thread, fifo))
        return thread

    yield start
    for thread, fifo in started:
        if thread.is_alive():  # the export failed: release the reader blocked in open()
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(CHILD_TIMEOUT)


def test_json_export_streams_into_a_named_pipe(
    log: Path, tmp_path: Path, reader: Callable[[Path], threading.Thread]
) -> None:
    fifo = make("fifo", tmp_path / "pipe.json")
    thread = reader(fifo)
    done = child("export", "--db", log, "--format", "json", "--out", fifo, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    thread.join(CHILD_TIMEOUT)
    document = json.loads(thread.data)  # type: ignore[attr-defined]
    assert document["format"] == "incidentlog" and len(document["incidents"]) > 0
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # the pipe is still the pipe
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pipe")] == []


def test_out_dash_writes_the_json_to_standard_output(
    run: Run, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("export", "--db", log, "--format", "json", "--out", "-")
    assert code == 0, err
    document = json.loads(out)  # nothing but the export: the summary went to stderr
    assert len(document["incidents"]) > 0
    assert "exported" in err.lower()
    assert not (tmp_path / "-").exists()


def test_out_dev_stdout_does_not_hang_and_writes_the_json(log: Path, tmp_path: Path) -> None:
    done = child("export", "--db", log, "--format", "json", "--out", "/dev/stdout", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert len(json.loads(done.stdout)["incidents"]) > 0


def test_csv_to_standard_output_is_a_clear_usage_error(
    run: Run, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("export", "--db", log, "--format", "csv", "--out", "-")
    assert code == 2 and out == ""
    assert "standard output" in err and err.count("\n") == 1
    assert not (tmp_path / "-").exists()


# --- item: owner-only permissions ------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.usefixtures("umask_022")
def test_databases_backups_and_the_anchor_are_owner_only(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "new" / "log.sqlite3"
    assert run("demo", "--db", path)[0] == 0
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
    code, out, _ = run("backup", "--db", path)
    assert code == 0
    made = Path(out.strip())
    assert (mode(made.parent), mode(made), mode(anchor_path(path))) == (0o700, 0o600, 0o600)
    named = tmp_path / "shelf" / "deep" / "copy.sqlite3"
    assert run("backup", "--db", path, "--out", named)[0] == 0
    assert (mode(named.parent.parent), mode(named.parent), mode(named)) == (0o700, 0o700, 0o600)
    assert run("export", "--db", path, "--format", "json", "--out", tmp_path / "x.json")[0] == 0
    assert run("import", "--db", path, tmp_path / "x.json")[0] == 0  # a pre-import backup
    for backup in (path.parent / "log-backups").iterdir():
        assert mode(backup) == 0o600, backup


@pytest.mark.usefixtures("umask_022")
def test_exports_are_owner_only(run: Run, log: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    assert run("export", "--db", log, "--format", "json", "--out", out)[0] == 0
    assert mode(out) == 0o600
    folder = tmp_path / "exports" / "csv"
    assert run("export", "--db", log, "--format", "csv", "--out", folder)[0] == 0
    assert (mode(folder.parent), mode(folder)) == (0o700, 0o700)
    assert {p.name: mode(p) for p in folder.iterdir()} == {
        "incidents.csv": 0o600, "sources.csv": 0o600, "quotes.csv": 0o600,
    }
    existing = tmp_path / "existing"
    existing.mkdir()
    assert run("export", "--db", log, "--format", "csv", "--out", existing)[0] == 0
    assert {mode(p) for p in existing.iterdir()} == {0o600}

