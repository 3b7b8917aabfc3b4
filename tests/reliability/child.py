"""Child processes for the reliability tests: real processes, killed or racing for real.

Usage: ``python -m tests.reliability.child ACTION DB [ARGS…]``; each committed
record's uid is printed on its own line, flushed, only after its commit
returned, so that the parent knows exactly what was promised to the user.

``python -m tests.reliability.child serve`` is a fork server for tests that
kill many jobs: it pays Python's start and the imports (about 1.4 s) once, then
runs each job it reads on stdin (``import DB FILE [small-cache]``, ``backup DB
FOLDER``, ``export DB FORMAT TARGET``, ``restore DB BACKUP PAUSE``) in a freshly
forked process that the parent kills with SIGKILL. The
server itself never opens a database, so a job inherits no SQLite connection
or lock; it is the same real process kill as a fresh interpreter, only cheaper.
Every line a job prints starts with its pid. The server reaps a job only when
told (``reap PID``), so the parent can never signal a pid that was reused.
"""

from __future__ import annotations

import os
import shlex
import sys
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from incidentlog.domain.errors import ConflictError
from incidentlog.domain.records import Count, Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.database import open_database


def incident(number: int, actor: str) -> Incident:
    return Incident(
        title=f"{actor} incident {number}",
        occurred=parse_local("2024-01-20 18:30", "Asia/Baghdad"),
        summary="Multiple ballistic missiles and rockets were launched " * 5,
        country="IQ",
        injured=Count.at_least(number % 7),
        tags=("crash-test",),
    )


def save_forever(db: str, actor: str, limit: int) -> None:
    with open_database(db) as database:
        services = Services(database, actor=actor)
        print("ready", flush=True)
        for number in range(limit):
            stored = services.incidents.create(incident(number, actor)).record
            print(stored.meta.uid, flush=True)


def edit_after_signal(db: str, uid: str) -> None:
    """Read an incident, wait for the parent's go, then save an edit of the stale copy."""
    with open_database(db) as database:
        services = Services(database, actor="first")
        stale = services.incidents.get(uid)
        print("loaded", flush=True)
        sys.stdin.readline()
        try:
            services.incidents.update(replace(stale, title="first process's title"))
        except ConflictError as exc:
            print(f"conflict by {exc.changed_by}", flush=True)
        else:
            print("saved", flush=True)


def edit_now(db: str, uid: str) -> None:
    with open_database(db) as database:
        services = Services(database, actor="second")
        current = services.incidents.get(uid)
        services.incidents.update(replace(current, title="second process's title"))
        print("saved", flush=True)


def say(*words: object) -> None:
    """One line to the parent, prefixed with this process's pid.

    Written with one ``os.write`` (atomic on a pipe below PIPE_BUF bytes): the
    server and its job share the pipe, and ``print`` may split a line in two.
    """
    sys.stdout.flush()
    line = " ".join(map(str, (os.getpid(), *words))) + "\n"
    os.write(sys.stdout.fileno(), line.encode())


def import_job(db: str, file: str, small_cache: bool) -> None:
    """``incidentlog import --db DB FILE``, as a user runs it, telling the parent its phase.

    ``writing`` when the one write transaction begins (the file has passed
    validation and the pre-import backup is made), ``committing`` just before
    its COMMIT, ``imported`` once the command returned. ``small_cache`` gives
    the connection a 256 KiB page cache, so that the transaction spills pages
    into the WAL long before its commit, as an import of a few hundred
    thousand records would with the default 32 MiB cache.
    """
    from sqlalchemy import Engine, event

    from incidentlog import cli

    def writing(connection: Any) -> bool:
        return bool(connection.get_execution_options().get("write"))

    @event.listens_for(Engine, "begin")
    def _begin(connection: Any) -> None:
        if writing(connection):
            if small_cache:
                connection.exec_driver_sql("PRAGMA cache_size = -256")
            say("writing")

    @event.listens_for(Engine, "commit")
    def _commit(connection: Any) -> None:
        if writing(connection):
            say("committing")

    status = cli.main(["import", "--db", db, file])
    say("imported" if status == 0 else f"failed {status}")


def backup_job(db: str, folder: str) -> None:
    """Make rotating backups of ``db`` one after another, each reported once it is in place."""
    from incidentlog.store.backup import backup_database

    while True:
        made = backup_database(Path(db), backup_dir=Path(folder), reason="crash", keep=3)
        say("backed-up", made.name)


def export_job(db: str, kind: str, target: str) -> None:
    """``incidentlog export --format KIND --out TARGET`` again and again, each reported once
    the command returned: the first creates the target, the others replace it."""
    from incidentlog import cli

    while True:
        status = cli.main(["export", "--db", db, "--format", kind, "--out", target])
        say("exported" if status == 0 else f"failed {status}")
        if status:
            return


def restore_job(db: str, backup: str, pause: str) -> None:
    """``restore_backup`` as File ▸ Restore from backup runs it, in slow motion.

    Every step that touches the file system (copy, check, fsync, rename, remove,
    an SQLite connection) is reported as ``step NAME`` and then waits ``pause``
    seconds before it runs, so that the parent can aim a kill at the gap before
    any step: after the k-th report, the first k - 1 steps are done and the k-th
    is not. ``restored`` when it returned.
    """
    import shutil
    import sqlite3
    import time

    from incidentlog.store import restore as restore_module

    delay = float(pause)

    def slow(name: str, function: Any) -> Any:
        def step(*args: Any, **kwargs: Any) -> Any:
            say("step", name)
            time.sleep(delay)
            return function(*args, **kwargs)

        return step

    shutil.copyfile = slow("copy", shutil.copyfile)  # type: ignore[assignment]
    os.fsync = slow("fsync", os.fsync)
    os.link = slow("link", os.link)
    sqlite3.connect = slow("connect", sqlite3.connect)  # type: ignore[assignment]
    Path.replace = slow("rename", Path.replace)  # type: ignore[method-assign]
    Path.unlink = slow("remove", Path.unlink)  # type: ignore[method-assign]
    aside = restore_module.restore_backup(Path(backup), Path(db))
    say("restored", aside.name if aside is not None else "-")


JOBS = {
    "import": lambda db, file, *flags: import_job(db, file, "small-cache" in flags),
    "backup": lambda db, folder: backup_job(db, folder),
    "export": lambda db, kind, target: export_job(db, kind, target),
    "restore": lambda db, backup, pause: restore_job(db, backup, pause),
}


def serve() -> None:
    """The fork server's loop; see the module's docstring for the protocol."""
    import incidentlog.cli
    import incidentlog.exchange
    import incidentlog.services
    import incidentlog.store.backup
    import incidentlog.store.check  # noqa: F401 - imported here so that every job starts warm

    print("ready", flush=True)
    for line in sys.stdin:
        words = shlex.split(line)  # paths may hold spaces
        if not words:
            continue
        if words[0] == "reap":
            _, status = os.waitpid(int(words[1]), 0)
            os.write(1, f"{words[1]} exit {os.waitstatus_to_exitcode(status)}\n".encode())
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the job: never returns into the server's loop
            code = 0
            try:
                say("started")
                JOBS[words[0]](*words[1:])
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.write(1, f"{pid} forked\n".encode())


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
        raise SystemExit(0)
    action, db_path, *rest = sys.argv[1:]
    if action == "save":
        save_forever(db_path, rest[0], int(rest[1]))
    elif action == "edit-after-signal":
        edit_after_signal(db_path, rest[0])
    elif action == "edit-now":
        edit_now(db_path, rest[0])
    else:
        raise SystemExit(f"unknown action {action}")
