"""Fixtures shared by every test: a fresh database per test, never the user's.

``database`` is a file; in a test marked ``both_engines`` it is a file and then a
database on the test PostgreSQL server (tests/pg.py), the test running once on each.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

# Before anything imports Qt: the suite runs with no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from hypothesis import settings

from incidentlog.services import Services
from incidentlog.store.database import Database, open_database
from tests.pg import PgServer, ServerUnavailableError

ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker
    # A module's fixtures that compare the bytes of files (FILE_ONLY_FIXTURES) keep it on SQLite.
    file_fixtures = set(getattr(metafunc.module, "FILE_ONLY_FIXTURES", ()))
    if ("db_engine" in metafunc.fixturenames and marked("both_engines") and not marked(
            "file_only") and not file_fixtures & set(metafunc.fixturenames)):
        metafunc.parametrize("db_engine", ENGINES, indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The test PostgreSQL server; a test that needs it fails, saying why, without one."""
    try:
        server = PgServer.start()
    except ServerUnavailableError as exc:
        pytest.fail(f"no PostgreSQL server for the tests: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def db_engine(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db_target(db_engine: str, db_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Where the test's log is: a file path, or a server URL holding a new empty log."""
    if db_engine == "sqlite":
        yield str(db_path)
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.log_database()
    yield server.tester_url(name)
    server.drop_database(name)

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
def db_targets(db_engine: str, tmp_path: Path,
               request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """Where the test's logs named so-and-so are: ``NAME.sqlite3`` files, or databases on the
    test server (each a new empty log); the same name gives the same log."""
    made: dict[str, str] = {}
    server: PgServer | None = None

    def target(name: str) -> str:
        nonlocal server
        if db_engine == "sqlite":
            return str(tmp_path / f"{name}.sqlite3")
        if server is None:
            server = request.getfixturevalue("pg_server")
        if name not in made:
            made[name] = server.log_database()
        return server.tester_url(made[name])

    yield target
    if server is not None:
        for database in made.values():
            server.drop_database(database)


@pytest.fixture
def database(db_target: str) -> Iterator[Database]:
    db = open_database(db_target)
    yield db
    db.close()


@pytest.fixture
def services(database: Database) -> Services:
    return Services(database, actor="tester")
