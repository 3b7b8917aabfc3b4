"""A log on a PostgreSQL server for the benchmarks: a throwaway server, a scratch copy.

- ``throwaway_server`` starts a server as the tests start theirs (tests/pg.py:
  ``initdb`` in a temporary folder, 127.0.0.1, as an unprivileged user when run
  as root), and stops and removes it at the end;
- ``scratch_copy`` makes a copy of a server log to write on (the save and the
  second user's figures) with ``CREATE DATABASE … TEMPLATE``, and drops it after:
  as the SQLite figures work on a copy of the file, the log measured is never
  modified. The login must be allowed to create databases.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parents[1]
#: What a desk's server is given (docs/team.md): the default 128 MB of shared buffers
#: holds a tenth of a million-incident log; a quarter of a small server's memory holds it.
SERVER_SETTINGS = {"shared_buffers": "1GB"}


def _admin(url: str) -> Any:
    """An autocommit engine on the server's ``postgres`` database, as ``url``'s login."""
    address: URL = make_url(url).set(drivername="postgresql+psycopg", database="postgres")
    return create_engine(address, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@contextlib.contextmanager
def throwaway_server() -> Iterator[Any]:
    """A ``tests.pg.PgServer`` started for the block (``INCIDENTLOG_TEST_PG`` names one's
    own instead), stopped after."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.pg import running_server

    with running_server(SERVER_SETTINGS) as server:
        yield server


@contextlib.contextmanager
def scratch_copy(url: str) -> Iterator[str]:
    """A copy of the server log at ``url`` for the block, then dropped."""
    source = make_url(url)
    name = f"{source.database}_bench_{uuid.uuid4().hex[:8]}"
    engine = _admin(url)
    try:
        with engine.connect() as connection:
            version = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
            # FILE_COPY copies the files (a 3 GB log in seconds); 15's default, WAL_LOG,
            # writes every page to the WAL.
            strategy = " STRATEGY FILE_COPY" if version >= 150000 else ""
            connection.exec_driver_sql(
                f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"{strategy}')
        try:
            yield source.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def describe(url: str) -> str:
    """The server log's address (no password), size and counts, as ``describe`` for a file."""
    from incidentlog.store.database import open_database

    shown = make_url(url).render_as_string(hide_password=True)
    with open_database(url, read_only=True) as database, database.read() as connection:
        counts = [connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
                  for table in ("incident", "source", "quote")]
        size = connection.exec_driver_sql(
            "SELECT pg_database_size(current_database())").scalar_one() / 1024 / 1024
        version = connection.exec_driver_sql("SHOW server_version").scalar_one()
    return (f"{shown} (PostgreSQL {version}, {size:,.0f} MiB): {counts[0]:,} incidents, "
            f"{counts[1]:,} sources, {counts[2]:,} quotes")
