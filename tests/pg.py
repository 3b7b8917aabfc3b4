"""A throwaway PostgreSQL server for the tests that run on both engines (docs/team.md).

``PgServer.start`` makes a cluster with ``initdb`` in a temporary folder and starts it
on 127.0.0.1 on a free port, as an unprivileged user when the tests run as root
(PostgreSQL refuses root); it is stopped and removed at the end of the session. With
``INCIDENTLOG_TEST_PG=postgresql://admin@host:port/db`` the tests use that server
instead (the login must be allowed to create databases and roles). A server that
cannot be started makes the engine's tests fail, saying why: they never skip.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ENV = "INCIDENTLOG_TEST_PG"
#: Every database and role the tests make starts with this, so that they can be told from
#: what a server of one's own holds (and dropped at the end).
PREFIX = "iltest_"
UNPRIVILEGED = ("postgres", "nobody")
TESTER = "tester"


class ServerUnavailableError(RuntimeError):
    """No PostgreSQL server for the tests, with the reason."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        raise ServerUnavailableError(
            f"{name} was not found (install Debian's 'postgresql' package, or set {ENV} "
            "to a server of your own)")
    return str(candidates[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgServer:
    """A server the tests may create databases and roles on, through ``admin_url``."""

    def __init__(self, admin_url: URL, folder: Path | None = None,
                 run_as: list[str] | None = None) -> None:
        self.admin_url = admin_url
        self._folder = folder
        self._run_as = run_as or []
        self._template: str | None = None
        self._tester_ready = False
        self._counter = itertools.count()
        self._run = uuid.uuid4().hex[:8]
        self._admin = create_engine(admin_url.set(drivername="postgresql+psycopg"),
                                    isolation_level="AUTOCOMMIT", pool_size=1)

    # --- starting and stopping ----------------------------------------------------------

    @classmethod
    def start(cls, settings: dict[str, str] | None = None) -> PgServer:
        """``settings``: server parameters beyond the tests' own (the benchmarks give the
        server the memory a desk's server would have)."""
        own = os.environ.get(ENV)
        if own:
            return cls(make_url(own))
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        folder = Path(tempfile.mkdtemp(prefix="incidentlog-pg-"))
        run_as: list[str] = []
        if os.geteuid() == 0:
            user = next((u for u in UNPRIVILEGED if _has_user(u)), None)
            if user is None:
                raise ServerUnavailableError("running as root and no unprivileged user to run "
                                        "PostgreSQL as (postgres, nobody)")
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            run_as = ["runuser", "-u", user, "--"]
        data, log = folder / "data", folder / "server.log"
        _call([*run_as, initdb, "-D", str(data), "-U", "postgres", "-A", "trust",
               "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], "initdb")
        port = _free_port()
        options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
        try:
            _call([*run_as, pg_ctl, "-D", str(data), "-l", str(log), "-o", options,
                   "-w", "-t", "60", "start"], "pg_ctl start")
        except ServerUnavailableError as exc:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            shutil.rmtree(folder, ignore_errors=True)
            raise ServerUnavailableError(f"{exc}\n{tail}") from exc
        url = URL.create("postgresql", username="postgres", host="127.0.0.1", port=port,
                         database="postgres")
        return cls(url, folder, run_as)

    def stop(self) -> None:
        self._admin.dispose()
        if self._folder is None:  # a server of one's own: drop what the tests made
            self._drop_leftovers()
            return
        with contextlib.suppress(ServerUnavailableError):
            _call([*self._run_as, _binary("pg_ctl"), "-D", str(self._folder / "data"),
                   "-m", "immediate", "-w", "stop"], "pg_ctl stop")
        shutil.rmtree(self._folder, ignore_errors=True)

    def _drop_leftovers(self) -> None:
        engine = create_engine(self.admin_url.set(drivername="postgresql+psycopg"),
                               isolation_level="AUTOCOMMIT")
        mine = f"{PREFIX}{self._run}%"
        with engine.connect() as connection:
            names = connection.execute(text(
                "SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": mine}).scalars()
            for name in list(names):
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            roles = connection.execute(text(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": mine}).scalars()
            for role in list(roles):
                connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        engine.dispose()

    # --- what the tests use -------------------------------------------------------------

    def name(self, what: str) -> str:
        """A name for a database or role unique to this run."""
        return f"{PREFIX}{self._run}_{what}{next(self._counter)}"

    def url(self, database: str, user: str | None = None) -> str:
        url = self.admin_url.set(database=database)
        if user is not None:
            url = url.set(username=user, password=None)
        return url.render_as_string(hide_password=False)

    def execute(self, sql: str, database: str | None = None) -> None:
        """Run ``sql`` as the administrator (on ``database``, or the admin's own)."""
        if database is None:
            with self._admin.connect() as connection:
                connection.exec_driver_sql(sql)
            return
        engine = create_engine(make_url(self.url(database)).set(drivername="postgresql+psycopg"),
                               isolation_level="AUTOCOMMIT", poolclass=_null_pool())
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def empty_database(self) -> str:
        name = self.name("db")
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def log_database(self) -> str:
        """A new database holding an empty incidentlog log (copied from a template made once)."""
        if self._template is None:
            from incidentlog.store.database import open_database

            template = self.name("template")
            self.execute(f'CREATE DATABASE "{template}"')
            open_database(self.url(template)).close()
            self._template = template
        name = self.name("db")
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return name

    def tester_url(self, database: str) -> str:
        """``database`` for login ``tester`` (the actor the tests' services name), a lead:
        the tests run with a lead's rights, not a superuser's."""
        if not self._tester_ready:
            self.execute(f"""DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TESTER}') THEN
                    CREATE ROLE {TESTER} LOGIN;
                END IF; END $$""")
            self.execute(f"GRANT incidentlog_lead TO {TESTER}")
            self._tester_ready = True
        return self.url(database, TESTER)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def login_role(self, what: str) -> str:
        role = self.name(what)
        self.execute(f'CREATE ROLE "{role}" LOGIN')
        return role


def _null_pool() -> type:
    from sqlalchemy.pool import NullPool

    return NullPool


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _call(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                check=False, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServerUnavailableError(f"{what} could not run: {exc}") from exc
    if result.returncode != 0:
        raise ServerUnavailableError(f"{what} failed ({result.returncode}): "
                                f"{(result.stderr or result.stdout).strip()[-1500:]}")


@contextlib.contextmanager
def running_server(settings: dict[str, str] | None = None) -> Iterator[PgServer]:
    server = PgServer.start(settings)
    try:
        yield server
    finally:
        server.stop()
