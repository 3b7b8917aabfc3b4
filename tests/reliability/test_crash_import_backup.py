"""SIGKILL during an import and during a backup: all or nothing, and nothing half-made.

Both tests kill real processes at random moments (``kill -9``: no handler,
no ``finally``, no flush) and then look at what is on disk:

- an import is one transaction: after every kill the database opens, passes
  ``check_database``, and holds either every record of the file or none of
  them (the uids are compared, kind by kind, and the audit log with them);
- a backup is written aside and renamed into place only once verified: after
  every kill the database is byte-for-byte what it was, every backup listed
  under a final name passes its check, and ``newest_good_backup`` finds one.

The jobs run in processes forked from a warm server (``child.py serve``), so
that a kill costs the job's own time, not 1.4 s of interpreter start and
imports. The figures are printed: run with ``-s`` to read them
(docs/reliability.md quotes them).
"""

from __future__ import annotations

import hashlib
import os
import queue
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson
import pytest

from incidentlog.domain.records import Quote, Source
from incidentlog.exchange import export_json
from incidentlog.services import Services
from incidentlog.store.backup import (
    backup_counts,
    list_backups,
    newest_good_backup,
    verify_backup,
)
from incidentlog.store.check import check_database
from incidentlog.store.database import Database, open_database
from tests.reliability.child import incident

ROOT = Path(__file__).resolve().parents[2]

#: Incidents in the generated export (with about 1.6 sources and 0.95 quotes each).
#: Validation costs ~3 ms per incident and runs before every write, so a kill
#: inside the write transaction costs ~1.5 s of validation first: 500 keeps
#: the test near 20 s while the transaction still writes ~2,000 rows and
#: ~2 MB of pages.
IMPORT_INCIDENTS = 500
#: Kills during an import, by the phase the kill is aimed at.
IMPORT_PLAN = (
    ("committing",) + ("validating",) * 3 + ("writing",) * 6 + ("committing",) * 2 + ("closing",)
)
BACKUP_KILLS = 16
#: A job that has not reached a phase by then is stuck: fail instead of hanging.
PHASE_TIMEOUT = 60.0

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fork are POSIX"),
    pytest.mark.slow,
]


# --- the fork server ----------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    folder = tmp_path_factory.mktemp("fork-server")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "INCIDENTLOG_DATA_DIR": str(folder / "user-data"),
    }
    started = ForkServer(env, folder / "stderr.txt")
    yield started
    started.close()


# --- shared data --------------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    from bench.generate import generate

    folder = tmp_path_factory.mktemp("crash-data")
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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


PARTIAL = re.compile(r"\.partial(-journal|-wal|-shm)?$")


def backup_folder_problems(database: Path, folder: Path | None = None) -> list[str]:
    """What is wrong in a backup folder: a listed backup that fails its check, or a stray file.

    The only files allowed besides good backups are the hidden ``.partial``
    temporaries (and their journals) of a backup that was interrupted.
    """
    folder = folder or database.parent / f"{database.stem}-backups"
    if not folder.exists():
        return []
    listed = {info.path for info in list_backups(database, folder)}
    problems = []
    for path in sorted(folder.iterdir()):
        if path in listed:
            try:
                verify_backup(path)
            except Exception as exc:
                problems.append(f"{path.name} is listed but fails its check: {exc}")
        elif not (path.name.startswith(".") and PARTIAL.search(path.name)):
            problems.append(f"{path.name} is neither a good backup nor a .partial temporary")
    return problems


# --- the tests ----------------------------------------------------------------------------


def test_an_import_killed_at_any_moment_is_all_or_nothing(
    server: ForkServer, data: Fixture, tmp_path: Path
) -> None:
    rng = random.Random(20240128)
    plan = [IMPORT_PLAN[0], *rng.sample(IMPORT_PLAN[1:], len(IMPORT_PLAN) - 1)]
    expected_all = {kind: data.base[kind] | data.in_file[kind] for kind in KINDS}
    file_records = sum(len(uids) for uids in data.in_file.values())
    write_seconds = 1.0  # until the first kill at the commit has measured it
    landed: Counter[str] = Counter()
    outcomes: Counter[tuple[str, str]] = Counter()
    spilled = 0  # the most bytes of WAL a kill left behind before any commit
    started = time.monotonic()
    for number, aim in enumerate(plan):
        folder = tmp_path / f"kill{number}"
        folder.mkdir()
        db = folder / "log.sqlite3"
        shutil.copyfile(data.template, db)
        small_cache = number % 2 == 1
        job = server.start("import", str(db), str(data.export), *(["small-cache"] * small_cache))
        if aim == "validating":
            job.wait_for("started")
            time.sleep(rng.uniform(0.0, 1.0))
        elif aim == "writing":
            job.wait_for("writing")
            time.sleep(rng.uniform(0.0, write_seconds))
        else:
            began = job.wait_for("writing")
            write_seconds = job.wait_for("committing") - began
            # The COMMIT writes the WAL frames and fsyncs in a few ms here: a kill within
            # 5 ms lands before, inside or just after it. "closing" aims at what follows:
            # the checkpoint into the main file when the last connection closes (~40 ms).
            time.sleep(rng.uniform(0.0, 0.005) if aim == "committing" else
                       rng.uniform(0.005, 0.04))
        job.kill()
        markers = set(job.markers)
        assert job.exit_code == (0 if "imported" in markers else -signal.SIGKILL)
        phase = next(
            (name for name in ("imported", "committing", "writing") if name in markers),
            "validating",
        )
        landed[phase] += 1
        assert not {"failed"} & markers, f"the import failed{server.stderr_tail()}"
        wal = Path(f"{db}-wal")
        if phase == "writing" and wal.exists():
            spilled = max(spilled, wal.stat().st_size)  # uncommitted frames, to be ignored

        with open_database(db) as database:
            uids = live_uids(database)
            audit = audit_rows(database)
            problems = check_database(database)
        assert problems == [], f"kill {number} ({phase}): {problems}"
        if uids == data.base:
            outcome = "none"
            assert audit == data.base_audit
        else:
            counts = {kind: (len(uids[kind]), len(expected_all[kind])) for kind in KINDS}
            assert uids == expected_all, f"kill {number} ({phase}): partial import {counts}"
            outcome = "all"
            assert audit == data.base_audit + file_records
        outcomes[aim, outcome] += 1
        if phase in ("validating", "writing"):
            assert outcome == "none", f"kill {number} before the commit kept the import"
        if phase == "imported":
            assert outcome == "all", f"kill {number} after the import lost it"
        assert backup_folder_problems(db) == []
    elapsed = time.monotonic() - started
    print(
        f"\n[import] {len(plan)} SIGKILLs during `incidentlog import` of {file_records:,} "
        f"records ({IMPORT_INCIDENTS} incidents, {data.export.stat().st_size:,} bytes) into a "
        f"database of {sum(len(u) for u in data.base.values())} records; kills landed: "
        f"{dict(landed)}; outcomes by aim: {dict(outcomes)}; partial imports: 0; "
        f"check_database failures: 0; up to {spilled:,} bytes of uncommitted WAL left by a "
        f"kill; write phase {write_seconds:.2f} s; {elapsed:.1f} s"
    )
    assert sum(landed.values()) == len(plan)
    assert landed["writing"] >= 3, f"too few kills inside the transaction: {dict(landed)}"


def test_a_backup_killed_at_any_moment_leaves_no_partial_backup(
    server: ForkServer, data: Fixture, tmp_path: Path
) -> None:
    db = tmp_path / "log.sqlite3"
    shutil.copyfile(data.generated, db)
    folder = tmp_path / "backups"
    before = sha256(db)
    with open_database(db, read_only=True) as database:
        counts = {kind: len(uids) for kind, uids in live_uids(database).items()}
    rng = random.Random(20240202)
    made = 0
    partial_left = 0
    started = time.monotonic()
    for number in range(BACKUP_KILLS):
        partials_before = {p.name for p in folder.glob(".*.partial*")} if folder.exists() else set()
        job = server.start("backup", str(db), str(folder))
        job.wait_for("started")
        time.sleep(rng.uniform(0.0, 0.4))
        job.kill()
        assert job.exit_code == -signal.SIGKILL
        made += job.markers.count("backed-up")
        if {p.name for p in folder.glob(".*.partial*")} - partials_before:
            partial_left += 1
        assert sha256(db) == before, f"kill {number}: the database changed"
        assert backup_folder_problems(db, folder) == [], f"kill {number}"
        if made:
            newest = newest_good_backup(db, folder)
            assert newest is not None, f"kill {number}: no good backup after {made} were made"
    elapsed = time.monotonic() - started
    newest = newest_good_backup(db, folder)
    assert newest is not None
    assert backup_counts(newest.path)["incident"] == counts["incident"]
    with open_database(db, read_only=True) as database:
        assert check_database(database) == []
    assert sha256(db) == before
    print(
        f"\n[backup] {BACKUP_KILLS} SIGKILLs while backing up a {db.stat().st_size:,}-byte "
        f"database in a loop: {made} backups completed, {partial_left} kills left a .partial "
        f"(killed mid-backup), 0 partial files under a backup's name, database unchanged "
        f"(sha256), newest good backup holds all {counts['incident']} incidents; {elapsed:.1f} s"
    )
    assert made >= 1
