"""A log on read-only media opens with ``--read-only``, as a user who cannot write there.

A WAL database whose last connection closed cleanly has no ``-shm`` file, and
SQLite cannot create one in a folder the user cannot write (a write-protected
evidence folder, a mounted image, a DVD): it refused to open it at all.

The suite runs as root in CI, and permissions do not stop root: the opening
runs in a child process that drops to ``nobody`` first. If that cannot be done
the test fails and says why; it never passes without having been tried.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import site
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import incidentlog
from incidentlog.services import Services
from incidentlog.store.database import open_database
from tests.reliability.child import incident

#: Run in the unprivileged child: proves it cannot write the folder, then opens the log.
CHILD = """
import sys
from pathlib import Path
path = Path(sys.argv[1])
try:
    (path.parent / "probe").write_text("x")
except PermissionError:
    print("cannot write the folder")
else:
    sys.exit("the child can write the folder: the test would prove nothing")
from incidentlog import cli
from incidentlog.services import Services
from incidentlog.store.database import open_database
with open_database(path, read_only=True) as database:
    print("incidents:", Services(database).incident_query.count())
sys.exit(cli.main(["--read-only", "check", "--db", str(path)]))
"""

CHILD_WAL = """
import sys
from incidentlog.domain.errors import StorageError
from incidentlog.store.database import open_database
try:
    open_database(sys.argv[1], read_only=True).close()
except StorageError as exc:
    print(exc.message)
    sys.exit(3)
print("opened")
"""


@pytest.fixture
def evidence() -> Iterator[Path]:
    """A folder outside pytest's (0700, which ``nobody`` could not even enter)."""
    folder = Path(tempfile.mkdtemp(prefix="incidentlog-evidence-"))
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def make_log(folder: Path, count: int = 3) -> Path:
    path = folder / "log.sqlite3"
    with open_database(path) as database:
        services = Services(database, actor="tester")
        for number in range(count):
            services.incidents.create(incident(number, "tester"))
    assert path.read_bytes()[18:20] == b"\x02\x02"  # the header of a WAL database
    return path


def write_protect(folder: Path) -> None:
    for entry in folder.iterdir():
        entry.chmod(0o444)
    folder.chmod(0o555)


def world_runnable(path: Path) -> bool:
    """Whether any account may run ``path``: every folder above it may be entered."""
    real = path.resolve()
    if not real.is_file() or not real.stat().st_mode & stat.S_IXOTH:
        return False
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in real.parents)


def interpreter() -> str:
    """A Python of this version that ``nobody`` may run (ours may live in root's home)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [sys.executable, shutil.which(f"python{version}"), "/usr/bin/python3",
                  "/usr/local/bin/python3"]
    for candidate in filter(None, candidates):
        path = Path(candidate)
        if world_runnable(path):
            found = subprocess.run([str(path), "-c", "import sys; print(sys.version[:4])"],
                                   capture_output=True, text=True, check=False)
            if found.stdout.strip().startswith(version):
                return str(path)
    pytest.fail(f"no Python {version} that an unprivileged account may run was found "
                f"(tried {candidates}): the opening cannot be tested as such an account")


def world_readable(path: Path) -> bool:
    """Whether any account may read ``path``: every folder above it may be entered."""
    real = path.resolve()
    return bool(real.stat().st_mode & stat.S_IROTH) and all(
        folder.stat().st_mode & stat.S_IXOTH for folder in real.parents)


#: Top-level entries of the environment the child never imports (Qt is most of its size).
_NOT_COPIED = ("PySide6*", "shiboken6*", "mypy*", "*mypyc*", "pip", "setuptools", "ruff*",
               "pygments", "__pycache__", "*.dist-info")


def readable_copy() -> Path:
    """incidentlog and this environment's packages (but Qt and the tools) copied where
    ``nobody`` may read them: a checkout cloned into a private folder (``mktemp -d``,
    0700) and its venv cannot be entered by another account. Made once per session."""
    global _READABLE
    if _READABLE is not None:
        return _READABLE
    folder = Path(tempfile.mkdtemp(prefix="incidentlog-readable-"))
    atexit.register(shutil.rmtree, folder, True)
    ignore = shutil.ignore_patterns(*_NOT_COPIED)
    sources = Path(site.getsitepackages()[0])
    for top in (*sources.iterdir(), Path(incidentlog.__file__).parent):
        if ignore(str(top.parent), [top.name]) or top.name.startswith("__editable__"):
            continue
        if top.is_dir():
            shutil.copytree(top, folder / top.name, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(top, folder / top.name)
    for entry in (folder, *folder.rglob("*")):
        entry.chmod(0o755 if entry.is_dir() else 0o644)
    _READABLE = folder
    return folder


_READABLE: Path | None = None


def run_unprivileged(code: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as ``nobody`` when we are root (else as ourselves), with this
    environment's packages (``site.addsitedir`` reads the editable install's hooks)."""
    environment = {"PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir(),
                   "INCIDENTLOG_DATA_DIR": tempfile.gettempdir(), "LANG": "C.UTF-8"}
    drop = None
    python = sys.executable
    if os.geteuid() == 0:
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            pytest.fail("the test must run as an unprivileged user, and there is no 'nobody' "
                        "account to drop to")
        python = interpreter()

        def drop() -> None:
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)

    prelude = f"import site, sys; site.addsitedir({site.getsitepackages()[0]!r})\n"
    if drop is not None and not world_readable(Path(incidentlog.__file__)):
        prelude += f"sys.path.insert(0, {str(readable_copy())!r})\n"
    try:
        result = subprocess.run([python, "-c", prelude + code, *arguments], capture_output=True,
                                text=True, env=environment, preexec_fn=drop, timeout=120,
                                check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.fail(f"could not run the opening as an unprivileged user: {exc}")
    if "No module named" in result.stderr:
        pytest.fail(f"the unprivileged child cannot import incidentlog: {result.stderr}")
    return result


def test_a_wal_log_without_its_shm_opens_read_only_where_nobody_can_write(
    evidence: Path,
) -> None:
    path = make_log(evidence)
    assert not Path(f"{path}-shm").exists() and not Path(f"{path}-wal").exists()
    before = path.read_bytes()
    write_protect(evidence)
    result = run_unprivileged(CHILD, str(path))
    assert "cannot write the folder" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    assert "incidents: 3" in result.stdout and result.stdout.endswith("ok\n"), result.stdout
    assert sorted(p.name for p in evidence.iterdir()) == ["log.sqlite3"]
    assert path.read_bytes() == before


def test_a_wal_holding_changes_is_refused_with_a_sentence_not_read_stale(
    evidence: Path,
) -> None:
    """Without its ``-shm``, a ``-wal`` that holds pages cannot be read in place: opening
    the file as if it had none would show the log as it was before those changes."""
    path = make_log(evidence)
    writer = sqlite3.connect(path)
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("UPDATE incident SET title = 'newer' WHERE id = 1")
        writer.commit()
        shutil.copyfile(f"{path}-wal", evidence / "saved-wal")
    finally:
        writer.close()  # folds the WAL in and removes it; put the crash's copy back
    (evidence / "saved-wal").rename(f"{path}-wal")
    Path(f"{path}-shm").unlink(missing_ok=True)
    write_protect(evidence)
    result = run_unprivileged(CHILD_WAL, str(path))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "-wal" in result.stdout and "copy" in result.stdout, result.stdout
