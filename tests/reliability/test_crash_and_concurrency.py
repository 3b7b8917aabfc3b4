"""A saved record survives SIGKILL; two processes on one file wait and detect conflicts."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from incidentlog.domain.errors import StorageError
from incidentlog.services import Services
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database
from tests.reliability.child import incident

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.child", *args],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_every_committed_record_survives_sigkill(db_path: Path) -> None:
    with open_database(db_path):
        pass
    rng = random.Random(20240120)
    promised: list[str] = []
    for kill in range(KILLS):
        child = spawn("save", str(db_path), f"kill{kill}", "100000")
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        # Kill at a random moment: after a random number of saves plus a random delay,
        # so that some kills land inside a transaction and some between them.
        for _ in range(rng.randint(0, 30)):
            line = child.stdout.readline().strip()
            if line:
                promised.append(line)
        time.sleep(rng.random() * 0.05)
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        promised.extend(line for line in out.split() if line)
        assert child.returncode == -signal.SIGKILL
    with open_database(db_path) as database:
        services = Services(database)
        missing = [uid for uid in promised if services.incidents.find(uid) is None]
        assert missing == [], f"{len(missing)} of {len(promised)} committed records lost"
        assert check_database(database) == []
    assert len(promised) > KILLS


def test_two_processes_writing_at_once_both_succeed(db_path: Path) -> None:
    with open_database(db_path):
        pass
    children = [spawn("save", str(db_path), name, "150") for name in ("alice", "bob")]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert "locked" not in err
    with open_database(db_path) as database:
        assert Services(database).incident_query.count() == 300
        assert check_database(database) == []


def test_an_edit_of_a_record_changed_by_another_process_is_a_conflict(db_path: Path) -> None:
    with open_database(db_path) as database:
        uid = Services(database).incidents.create(incident(1, "setup")).record.meta.uid or ""
    first = spawn("edit-after-signal", str(db_path), uid)
    assert first.stdout is not None and first.stdin is not None
    assert first.stdout.readline().strip() == "loaded"
    second = spawn("edit-now", str(db_path), uid)
    assert second.communicate(timeout=60)[0].strip() == "saved"
    first.stdin.write("go\n")
    first.stdin.flush()
    out, err = first.communicate(timeout=60)
    assert out.strip() == "conflict by second", err
    with open_database(db_path) as database:
        assert Services(database).incidents.get(uid).title == "second process's title"


def test_a_full_disk_loses_nothing_already_saved(db_path: Path) -> None:
    from sqlalchemy import event

    with open_database(db_path) as database:
        services = Services(database)
        saved = [services.incidents.create(incident(n, "before")).record.meta.uid
                 for n in range(5)]
        with database.read() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    with open_database(db_path) as database:
        # SQLite's own "database or disk is full" (SQLITE_FULL), raised by a page limit
        # just above the current size: the same error path as a real full disk.
        @event.listens_for(database.engine, "connect")
        def _limit(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

        database.engine.dispose()
        services = Services(database)
        with pytest.raises(StorageError, match="full"):
            for n in range(10_000):
                services.incidents.create(incident(n, "during"))
    with open_database(db_path) as database:
        services = Services(database)
        assert all(services.incidents.find(uid) is not None for uid in saved)
        assert check_database(database) == []
