"""The fork server of the SIGKILL tests, and the data they share (see ``child.py``).

``ForkServer`` runs ``python -m tests.reliability.child serve`` and starts each
job in a process forked from it; ``Job`` follows what the job printed and kills
it. ``make_data`` builds, once per test session (``conftest.py``), a generated
log of ``IMPORT_INCIDENTS`` incidents, its JSON export, and a small database of
a few records of its own.
"""

from __future__ import annotations

import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson

from incidentlog.domain.records import Quote, Source
from incidentlog.exchange import export_json
from incidentlog.services import Services
from incidentlog.store.database import Database, open_database
from tests.reliability.child import incident

ROOT = Path(__file__).resolve().parents[2]

#: Incidents in the generated export (with about 1.6 sources and 0.95 quotes each).
#: Validation costs ~3 ms per incident and runs before every write, so a kill
#: inside the write transaction costs ~1.5 s of validation first: 500 keeps
#: the test near 20 s while the transaction still writes ~2,000 rows and
#: ~2 MB of pages.
IMPORT_INCIDENTS = 500
#: A job that has not reached a phase by then is stuck: fail instead of hanging.
PHASE_TIMEOUT = 60.0


@dataclass
class Job:
    """One forked job: its pid and the words of every line it printed so far."""

    server: ForkServer
    pid: int
    lines: list[list[str]] = field(default_factory=list)
    seen_at: dict[str, float] = field(default_factory=dict)
    exit_code: int | None = None

    @property
    def markers(self) -> list[str]:
        return [words[0] for words in self.lines if words]

    def wait_for(self, marker: str, timeout: float = PHASE_TIMEOUT) -> float:
        """Block until the job prints ``marker``; return when (``time.monotonic``)."""
        deadline = time.monotonic() + timeout
        while marker not in self.markers:
            if {"imported", "failed"} & set(self.markers):
                raise AssertionError(
                    f"job {self.pid} ended ({self.markers}) before {marker!r}"
                    f"{self.server.stderr_tail()}"
                )
            self.server.pump(deadline)
        return self.seen_at[marker]

    def kill(self) -> None:
        """SIGKILL, then have the server reap it; the pid cannot have been reused before."""
        os.kill(self.pid, signal.SIGKILL)
        self.server.send(f"reap {self.pid}")
        deadline = time.monotonic() + PHASE_TIMEOUT
        while self.exit_code is None:
            self.server.pump(deadline)


class ForkServer:
    """``python -m tests.reliability.child serve``: runs each job in a fresh forked process."""

    def __init__(self, env: dict[str, str], stderr_path: Path) -> None:
        self.stderr_path = stderr_path
        self._stderr: IO[bytes] = stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.child", "serve"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.jobs: dict[int, Job] = {}  # forked and not yet reaped
        self._pending: Job | None = None
        threading.Thread(target=self._read, daemon=True).start()
        first = self.lines.get(timeout=PHASE_TIMEOUT)
        assert first == "ready", f"the fork server did not start: {first!r}{self.stderr_tail()}"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def pump(self, deadline: float) -> None:
        """Take one line from the server (or a job) and file it under its pid."""
        try:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no word from the jobs in time{self.stderr_tail()}") from None
        if line is None:
            raise AssertionError(f"the fork server died{self.stderr_tail()}")
        words = line.split()
        if not words or not words[0].isdigit():
            return  # what the CLI itself prints ("x.json: Import finished.")
        pid, rest = int(words[0]), words[1:]
        if rest[:1] == ["forked"] and self._pending is not None:
            job, self._pending = self._pending, None
            job.pid = pid
            early = self.jobs.get(pid)  # "started" can come before the server's "forked"
            if early is not None:
                job.lines[:0] = early.lines
                job.seen_at = {**early.seen_at, **job.seen_at}
            self.jobs[pid] = job
            return
        job = self.jobs.setdefault(pid, Job(self, pid))
        if rest[:1] == ["exit"]:
            job.exit_code = int(rest[1])
            del self.jobs[pid]  # reaped: its pid may be given to a later job
            return
        job.lines.append(rest)
        if rest:
            job.seen_at.setdefault(rest[0], time.monotonic())

    def start(self, *words: str) -> Job:
        job = Job(self, 0)
        self._pending = job
        self.send(shlex.join(words))
        deadline = time.monotonic() + PHASE_TIMEOUT
        while self._pending is not None:
            self.pump(deadline)
        return job

    def stderr_tail(self) -> str:
        self._stderr.flush()
        text = self.stderr_path.read_text(errors="replace")[-3000:]
        return f"\n--- child stderr ---\n{text}" if text.strip() else ""

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()  # our own child, by its pid
            self.process.wait()
        self._stderr.close()


def start_server(folder: Path) -> ForkServer:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "INCIDENTLOG_DATA_DIR": str(folder / "user-data"),
    }
    return ForkServer(env, folder / "stderr.txt")


@dataclass(frozen=True)
class Fixture:
    """A database to import into (holding a few records of its own) and a file to import."""

    template: Path
    export: Path
    generated: Path
    base: dict[str, frozenset[str]]
    base_audit: int
    in_file: dict[str, frozenset[str]]


KINDS = ("incident", "source", "quote")


def live_uids(database: Database) -> dict[str, frozenset[str]]:
    with database.read() as connection:
        return {
            kind: frozenset(
                connection.exec_driver_sql(
                    f"SELECT uid FROM {kind} WHERE deleted_at IS NULL"
                ).scalars()
            )
            for kind in KINDS
        }


def audit_rows(database: Database) -> int:
    with database.read() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM audit_log").scalar_one())


def make_data(folder: Path) -> Fixture:
    from bench.generate import generate

    generated = folder / "generated.sqlite3"
    generate(generated, IMPORT_INCIDENTS, 20240120, report=False)
    with open_database(generated) as database:
        export_json(Services(database), folder / "export.json")
    document = orjson.loads((folder / "export.json").read_bytes())
    in_file = {
        kind: frozenset(record["uid"] for record in document[f"{kind}s"]) for kind in KINDS
    }
    template = folder / "template.sqlite3"
    with open_database(template) as database:
        services = Services(database, actor="before")
        first = services.incidents.create(incident(1, "before")).record
        services.incidents.create(incident(2, "before"))
        source = services.sources.create(Source(title="Earlier source")).record
        services.quotes.create(
            Quote(text="Said before", speaker="Someone", incident_uid=first.uid,
                  source_uid=source.uid)
        )
        base, base_audit = live_uids(database), audit_rows(database)
    assert not Path(f"{template}-wal").exists() or Path(f"{template}-wal").stat().st_size == 0
    return Fixture(template, folder / "export.json", generated, base, base_audit, in_file)
