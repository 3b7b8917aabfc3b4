"""Fixtures shared by every test: a fresh database file per test, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

# Before anything imports Qt: the suite runs with no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from hypothesis import settings

from incidentlog.services import Services
from incidentlog.store.database import Database, open_database

# No test passes or fails on wall time: Hypothesis's per-example deadline (200 ms) is off
# for every property test, since a busy machine makes any example slow.
settings.register_profile("incidentlog", deadline=None)
settings.load_profile("incidentlog")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or write the real user data folder."""
    monkeypatch.setenv("INCIDENTLOG_DATA_DIR", str(tmp_path / "user-data"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "log.sqlite3"


@pytest.fixture
def database(db_path: Path) -> Iterator[Database]:
    db = open_database(db_path)
    yield db
    db.close()


@pytest.fixture
def services(database: Database) -> Services:
    return Services(database, actor="tester")
