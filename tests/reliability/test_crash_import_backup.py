"""SIGKILL during an import and during a backup: all or nothing, and nothing half-made.

Both tests kill real processes at random moments (``kill -9``: no handler,
no ``finally``, no flush) and then look at what is on disk:

- an import is one transaction: after every kill the database opens, passes
  ``check_database``, and holds either every record of the file or none of
  them (the uids are compared, kind by kind, and the audit log with them);
- a backup is written aside and renamed into place only once verified: after
  every kill the database is byte-for-byte what it was, every backup listed
  under a final name passes its check, and ``newest_good_backup`` finds one.

The jobs run in processes forked from a warm server (``child.py serve``,
``forkserver.py``), so that a kill costs the job's own time, not 1.4 s of
interpreter start and imports. The figures are printed: run with ``-s`` to read them
(docs/reliability.md quotes them).
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from incidentlog.store.backup import (
    anchor_path,
    backup_counts,
    list_backups,
    read_anchor,
    verify_backup,
)
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database
from incidentlog.store.restore import newest_good_backup
from tests.reliability.forkserver import (
    IMPORT_INCIDENTS,
    KINDS,
    Fixture,
    ForkServer,
    audit_rows,
    live_uids,
)

#: Kills during an import, by the phase the kill is aimed at.
IMPORT_PLAN = (
    ("committing",) + ("validating",) * 3 + ("writing",) * 6 + ("committing",) * 2 + ("closing",)
)
BACKUP_KILLS = 16

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fork are POSIX"),
    pytest.mark.slow,
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


PARTIAL = re.compile(r"\.partial(-journal|-wal|-shm)?$")


def backup_folder_problems(database: Path, folder: Path | None = None) -> list[str]:
    """What is wrong in a backup folder: a listed backup that fails its check, or a stray file.

    The only files allowed besides good backups are the audit anchor (readable)
    and the hidden ``.partial`` temporaries (and their journals) of a backup that
    was interrupted.
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
        elif path == anchor_path(database):
            if read_anchor(database) is None:  # written whole or not at all
                problems.append(f"{path.name}, the audit anchor, cannot be read")
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
