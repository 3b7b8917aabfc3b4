"""A save waits for another program's long write (an import from the command line)
instead of being refused as busy, when the writer is patient (the window is)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentlog.domain.errors import StorageError
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store import backend
from incidentlog.store.database import open_database

HOLD_THE_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()  # held until the test says so
connection.execute("COMMIT")
"""


@pytest.fixture
def other_writer(db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another program holding the write lock of ``db_path`` until told to commit."""
    open_database(db_path).close()
    child = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(db_path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    yield child
    child.kill()
    child.wait()


def _incident() -> Incident:
    return Incident(title="Rocket attack on Tower 22", country="JO",
                    occurred=parse_local("2024-01-28", "Asia/Amman"))


def test_a_patient_save_waits_for_the_other_program_and_succeeds(
        db_path: Path, other_writer: subprocess.Popen[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "BUSY_TIMEOUT_MS", 100)  # SQLite's own wait, made short
    database = open_database(db_path)
    waits: list[int] = []

    def on_wait() -> None:
        waits.append(1)
        if len(waits) == 3:  # the other program commits while we wait
            assert other_writer.stdin is not None
            other_writer.stdin.write("\n")
            other_writer.stdin.flush()

    database.on_wait = on_wait
    database.patience_s = 120
    try:
        stored = Services(database, actor="desk").incidents.create(_incident()).record
        assert stored.meta.uid
        assert len(waits) >= 3  # told the window it was waiting, then saved
    finally:
        database.close()


def test_without_patience_the_save_is_refused_as_busy(
        db_path: Path, other_writer: subprocess.Popen[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "BUSY_TIMEOUT_MS", 100)
    database = open_database(db_path)
    try:
        with pytest.raises(StorageError):
            Services(database, actor="cli").incidents.create(_incident())
    finally:
        database.close()
