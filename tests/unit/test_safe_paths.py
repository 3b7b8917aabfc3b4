"""What incidentlog writes: regular files it created, owner-only, and no spool left behind.

The store and exchange functions themselves (what the window calls too):
a database, backup, restore, anchor or export path that is not a regular file
is refused with the existing error types and left as it was; what is written
is 0600 in 0700 folders under a umask of 022; an import killed with SIGKILL
leaves its hidden spool folder beside the database, and the next import or
opening removes it, but never one that a running import holds. The command
line's side is in ``tests/cli/test_cli_paths.py``.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentlog.domain.errors import ExchangeError, StorageError
from incidentlog.exchange import export_csv, export_json, import_json
from incidentlog.services import Services
from incidentlog.store.backup import anchor_path, backup_database
from incidentlog.store.database import inspect_file, open_database
from incidentlog.store.restore import restore_backup
from tests.reliability.child import incident

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pipes, links and modes are POSIX")

SPOOL_GLOB = ".incidentlog-import-*"


@pytest.fixture
def log(db_path: Path) -> Path:
    with open_database(db_path) as database:
        services = Services(database, actor="tester")
        for number in range(1, 4):
            services.incidents.create(incident(number, "tester"))
    return db_path


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def fingerprint(path: Path) -> tuple[int, int, str]:
    info = os.lstat(path)
    target = str(path.readlink()) if stat.S_ISLNK(info.st_mode) else ""
    return stat.S_IFMT(info.st_mode), info.st_ino, target


def make(kind: str, path: Path, log: Path | None = None) -> Path:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("device files cannot be made here")
    elif kind == "folder":
        path.mkdir()
    elif kind == "link-to-empty":
        (path.parent / "empty-target").touch()
        path.symlink_to(path.parent / "empty-target")
    elif kind == "link-to-database":
        assert log is not None
        path.symlink_to(log)
    else:
        raise AssertionError(kind)
    return path


# --- not a regular file -----------------------------------------------------------------------


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize(
    "kind", ["fifo", "device", "folder", "link-to-empty", "link-to-database"]
)
def test_open_database_refuses_what_is_not_a_regular_file(
    log: Path, tmp_path: Path, kind: str, read_only: bool
) -> None:
    target = make(kind, tmp_path / "other.sqlite3", log)
    before = fingerprint(target)
    with pytest.raises(StorageError, match="not a regular file"):
        open_database(target, read_only=read_only)
    assert fingerprint(target) == before
    with pytest.raises(StorageError, match="not a regular file"):
        inspect_file(target)  # a pipe would hang here: it is refused before it is opened


def test_a_restore_over_a_link_is_refused_and_the_link_kept(log: Path, tmp_path: Path) -> None:
    backup = backup_database(log, out=tmp_path / "copy.sqlite3")
    link = make("link-to-database", tmp_path / "link.sqlite3", log)
    with pytest.raises(StorageError, match="not a regular file"):
        restore_backup(backup, link)
    assert link.is_symlink() and link.resolve() == log


@pytest.mark.parametrize("kind", ["device", "link-to-empty"])
def test_a_backup_to_what_is_not_a_regular_file_is_refused(
    log: Path, tmp_path: Path, kind: str
) -> None:
    target = make(kind, tmp_path / "copy.sqlite3")
    before = fingerprint(target)
    with pytest.raises(StorageError, match="not a regular file"):
        backup_database(log, out=target)
    assert fingerprint(target) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")] == []


def test_an_anchor_that_is_a_link_is_left_alone(log: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("not ours\n", encoding="utf-8")
    anchor = anchor_path(log)
    anchor.parent.mkdir()
    anchor.symlink_to(elsewhere)
    backup_database(log, reason="daily")
    assert anchor.is_symlink()
    assert elsewhere.read_text(encoding="utf-8") == "not ours\n"


@pytest.mark.parametrize("kind", ["device", "link-to-empty"])
def test_an_export_to_what_is_not_a_regular_file_is_refused(
    log: Path, tmp_path: Path, kind: str
) -> None:
    target = make(kind, tmp_path / "out.json")
    before = fingerprint(target)
    with open_database(log, read_only=True) as database, pytest.raises(
        ExchangeError, match="not a regular file"
    ):
        export_json(Services(database), target)
    assert fingerprint(target) == before


def test_a_backup_removes_only_its_own_stale_leftovers(log: Path, tmp_path: Path) -> None:
    folder = tmp_path / "shelf"
    folder.mkdir()
    theirs = folder / ".thesis.odt.partial"  # another program's, two hours old
    ours = folder / ".log-20240101T000000000000Z-manual.sqlite3.partial"
    for leftover in (theirs, ours):
        leftover.write_bytes(b"half")
        os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    backup_database(log, backup_dir=folder)
    assert theirs.exists() and not ours.exists()


# --- owner-only -------------------------------------------------------------------------------


@pytest.mark.usefixtures("umask_022")
def test_a_restored_database_and_its_set_aside_copy_are_owner_only(
    log: Path, tmp_path: Path
) -> None:
    backup = backup_database(log, out=tmp_path / "shelf" / "copy.sqlite3")
    assert (mode(backup.parent), mode(backup)) == (0o700, 0o600)
    aside = restore_backup(backup, log)
    assert aside is not None
    assert (mode(log), mode(aside)) == (0o600, 0o600)


@pytest.mark.usefixtures("umask_022")
def test_the_automatic_backups_their_folder_and_the_anchor_are_owner_only(log: Path) -> None:
    made = backup_database(log, reason="daily", keep=3)
    assert (mode(made.parent), mode(made), mode(anchor_path(log))) == (0o700, 0o600, 0o600)


@pytest.mark.usefixtures("umask_022")
def test_a_csv_export_into_a_new_folder_is_owner_only(log: Path, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "csv"
    with open_database(log, read_only=True) as database:
        export_csv(Services(database), folder)
    assert (mode(folder.parent), mode(folder)) == (0o700, 0o700)
    assert {mode(p) for p in folder.iterdir()} == {0o600}


@pytest.mark.usefixtures("umask_022")
def test_the_import_spool_is_owner_only(log: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.json"
    with open_database(log) as database:
        services = Services(database, actor="tester")
        export_json(services, export)
        seen: dict[str, int] = {}

        def look(_done: int, _total: int) -> None:
            for spool in log.parent.glob(SPOOL_GLOB):
                seen[spool.name] = mode(spool)
                for inside in spool.iterdir():
                    seen[f"{spool.name}/{inside.name}"] = mode(inside)

        import_json(services, export, progress=look)
    assert seen and set(seen.values()) <= {0o700, 0o600}
    folders = [name for name in seen if "/" not in name]
    assert [seen[name] for name in folders] == [0o700]
    assert any(name.endswith("/incidents") for name in seen)  # a spool file was seen
    assert list(log.parent.glob(SPOOL_GLOB)) == []


# --- stale spool folders ---------------------------------------------------------------------

KILLED_IMPORT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from incidentlog.exchange import import_json
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    def die(_done, _total):  # killed in the middle of checking the file: no cleanup runs
        os.kill(os.getpid(), signal.SIGKILL)

    database = open_database(sys.argv[1])
    import_json(Services(database, actor="child"), Path(sys.argv[2]), progress=die)
    """
)


def killed_import(log: Path, export: Path) -> list[Path]:
    """Run an import in a child process and SIGKILL it; return the spool folders it left."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, str(log), str(export)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = sorted(log.parent.glob(SPOOL_GLOB))
    assert len(left) == 1 and left[0].is_dir()  # what the bug looked like
    return left


@pytest.fixture
def export(log: Path, tmp_path: Path) -> Path:
    path = tmp_path / "all.json"
    with open_database(log, read_only=True) as database:
        export_json(Services(database), path)
    return path


def test_a_killed_imports_spool_is_removed_when_the_database_is_next_opened(
    log: Path, export: Path
) -> None:
    killed_import(log, export)
    with open_database(log):
        pass
    assert list(log.parent.glob(SPOOL_GLOB)) == []


def test_a_killed_imports_spool_is_removed_by_the_next_import(log: Path, export: Path) -> None:
    with open_database(log) as database:  # opened before the kill: the import cleans up
        killed_import(log, export)
        import_json(Services(database, actor="tester"), export)
    assert list(log.parent.glob(SPOOL_GLOB)) == []


def test_a_running_imports_spool_and_folders_not_ours_are_kept(log: Path, tmp_path: Path) -> None:
    from incidentlog.store.safe_paths import SpoolFolder, remove_stale_spools

    running = SpoolFolder(log.parent)  # holds its lock, as a running import does
    try:
        (log.parent / ".incidentlog-import-link").symlink_to(tmp_path / "target")
        (log.parent / ".incidentlog-import-file").write_text("not a folder", encoding="utf-8")
        young = log.parent / ".incidentlog-import-nolock"
        young.mkdir()  # no lock yet (being made): kept until an hour old
        (log.parent / ".other-import-x").mkdir()
        (log.parent / ".other-import-x" / "lock").touch()
        assert remove_stale_spools(log.parent) == []
        with open_database(log):
            pass
        assert running.path.is_dir() and young.is_dir()
        assert (log.parent / ".incidentlog-import-link").is_symlink()
        os.utime(young, (0, 0))
        assert remove_stale_spools(log.parent) == [young]
    finally:
        running.remove()
    assert not running.path.exists()
