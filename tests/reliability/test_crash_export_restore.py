"""SIGKILL during an export and during a restore from backup: nothing half-made under a real name.

- An export is written under a hidden name and renamed into place when
  complete (``exchange/files.py``): after every kill the target either does not
  exist or holds a whole export, byte for byte what an uninterrupted export
  writes (the JSON's ``exported_at`` aside). The job exports again and again to
  the same target, so kills land both while the target is first created and
  while an existing one is replaced.
- A restore copies the backup beside the database, checks it, sets the current
  file aside and renames the copy over it (``store/backup.py``): after every
  kill the database file is the old one or the restored one and passes
  ``check_database``, and a set-aside copy, if one was made, holds the old data
  whole. Half of the kills are on a database that a crash left with committed
  transactions still in its WAL, the case where the order of the renames
  matters most.

The restore runs in slow motion (``child.py``: each file-system step is
reported, then waits), so that a kill can be aimed at the gap before any
step; the export and a few restores are killed at random moments at full
speed. Run with ``-s`` to read the figures (docs/reliability.md quotes them).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from incidentlog.exchange import validate_document
from incidentlog.services import Services
from incidentlog.store.backup import backup_database, verify_backup
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database
from tests.reliability.child import incident
from tests.reliability.forkserver import PHASE_TIMEOUT, Fixture, ForkServer, Job, live_uids

#: Kills of each export format.
EXPORT_KILLS = 12
#: What each step of the slow-motion restore waits before it runs.
STEP_PAUSE = 0.03
#: Restores killed at random moments at full speed, besides one aimed at each step.
RANDOM_RESTORE_KILLS = 6
CSV_FILES = ("incidents.csv", "sources.csv", "quotes.csv")

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fork are POSIX"),
    pytest.mark.slow,
]


def wait_for_count(job: Job, marker: str, count: int, ends: tuple[str, ...]) -> None:
    """Pump the server's lines until the job printed ``marker`` ``count`` times."""
    deadline = time.monotonic() + PHASE_TIMEOUT
    while job.markers.count(marker) < count:
        if set(ends) & set(job.markers):
            raise AssertionError(f"job {job.pid} ended: {job.markers[-3:]}")
        job.server.pump(deadline)


def hidden(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


# --- export -------------------------------------------------------------------------------


def json_content(path: Path) -> dict[str, object]:
    document: dict[str, object] = orjson.loads(path.read_bytes())
    document.pop("exported_at")  # the one field two exports of the same data differ in
    return document


def export_matches(kind: str, target: Path, reference: Path) -> bool:
    """Is ``target`` a whole export, the same as the uninterrupted ``reference``?"""
    if kind == "json":
        return json_content(target) == json_content(reference)
    return sorted(p.name for p in target.iterdir() if not p.name.startswith(".")) == sorted(
        CSV_FILES
    ) and all((target / name).read_bytes() == (reference / name).read_bytes() for name in CSV_FILES)


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_an_export_killed_at_any_moment_leaves_a_whole_export_or_none(
    server: ForkServer, data: Fixture, tmp_path: Path, kind: str
) -> None:
    from incidentlog import cli

    db = tmp_path / "log.sqlite3"
    shutil.copyfile(data.generated, db)
    name = "export.json" if kind == "json" else "csv"
    reference = tmp_path / "reference" / name
    reference.parent.mkdir()
    assert cli.main(["export", "--db", str(db), "--format", kind, "--out", str(reference)]) == 0
    if kind == "json":
        validate_document(reference)
    size = sum(p.stat().st_size for p in (reference.iterdir() if kind == "csv" else [reference]))

    # How long one export takes here, to spread the kills over the first two.
    probe = tmp_path / "probe"
    probe.mkdir()
    job = server.start("export", str(db), kind, str(probe / name))
    began = job.wait_for("started")
    seconds = job.wait_for("exported") - began
    job.kill()

    rng = random.Random(20240205 if kind == "json" else 20240206)
    landed: Counter[str] = Counter()
    leftovers = 0
    started = time.monotonic()
    for number in range(EXPORT_KILLS):
        folder = tmp_path / f"kill{number}"
        folder.mkdir()
        target = folder / name
        job = server.start("export", str(db), kind, str(target))
        job.wait_for("started")
        time.sleep(rng.uniform(0.0, 2.5 * seconds))
        job.kill()
        assert job.exit_code == -signal.SIGKILL
        assert "failed" not in job.markers, server.stderr_tail()
        exported = job.markers.count("exported")
        landed["creating" if exported == 0 else "replacing"] += 1
        if exported:
            assert target.exists(), f"kill {number}: the export made before is gone"
        if target.exists():
            assert export_matches(kind, target, reference), f"kill {number}: a partial export"
        # Besides the target, only hidden temporaries of the export that was killed.
        assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] in ([], [name])
        leftovers += len(hidden(folder)) + (len(hidden(target)) if target.is_dir() else 0)
    elapsed = time.monotonic() - started

    # The next export into the folder removes what killed ones left an hour ago or more.
    stale = [p for p in folder.iterdir() if p.name.startswith(".")]
    if target.is_dir():
        stale += [p for p in target.iterdir() if p.name.startswith(".")]
    hour_ago = time.time() - 3700
    for path in stale:
        os.utime(path, (hour_ago, hour_ago))
    assert cli.main(["export", "--db", str(db), "--format", kind, "--out", str(target)]) == 0
    assert hidden(folder) == [] and (not target.is_dir() or hidden(target) == [])
    assert export_matches(kind, target, reference)

    print(
        f"\n[export {kind}] {EXPORT_KILLS} SIGKILLs while exporting {size:,} bytes "
        f"(500 incidents) again and again to one target, one export taking {seconds:.2f} s: "
        f"kills landed {dict(landed)}; partial exports under the target's name: 0; "
        f"hidden temporaries left by the kills: {leftovers} (removed by the next export "
        f"once an hour old); {elapsed:.1f} s"
    )
    assert landed["creating"] >= 1 and landed["replacing"] >= 1, dict(landed)


# --- restore ------------------------------------------------------------------------------


def crash_state(template: Path, folder: Path) -> tuple[Path, frozenset[str]]:
    """A database as a crash leaves it: one committed incident still in the WAL only.

    The application's connection stays open while the files are copied, so the
    copy holds the main file without that commit and the WAL with it.
    """
    folder.mkdir()
    live = folder / "live.sqlite3"
    shutil.copyfile(template, live)
    with open_database(live) as database:
        added = Services(database, actor="after the last checkpoint").incidents.create(
            incident(3, "wal")
        ).record
        snapshot = folder / "log.sqlite3"
        shutil.copyfile(live, snapshot)
        shutil.copyfile(Path(f"{live}-wal"), Path(f"{snapshot}-wal"))
    assert Path(f"{snapshot}-wal").stat().st_size > 0
    probe = folder / "probe.sqlite3"
    shutil.copyfile(snapshot, probe)
    shutil.copyfile(Path(f"{snapshot}-wal"), Path(f"{probe}-wal"))
    with open_database(probe) as database:
        uids = live_uids(database)["incident"]
    assert added.uid in uids
    return snapshot, uids


def incidents_of(path: Path, scratch: Path) -> frozenset[str]:
    """The live incidents of a database file (with its WAL), opened on a copy; it must pass
    ``check_database``."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    copy = scratch / "copy.sqlite3"
    shutil.copyfile(path, copy)
    if Path(f"{path}-wal").exists():
        shutil.copyfile(Path(f"{path}-wal"), Path(f"{copy}-wal"))
    with open_database(copy) as database:
        assert check_database(database) == []
        return live_uids(database)["incident"]


def test_a_restore_killed_at_any_moment_leaves_the_old_or_the_restored_file(
    server: ForkServer, data: Fixture, tmp_path: Path
) -> None:
    good = backup_database(data.generated, out=tmp_path / "good-backup.sqlite3")
    verify_backup(good)
    with open_database(good, read_only=True) as database:
        restored = live_uids(database)["incident"]
    crashed, old_with_wal = crash_state(data.template, tmp_path / "crashed")
    with open_database(data.template, read_only=True) as database:
        old_plain = live_uids(database)["incident"]

    def prepare(folder: Path, with_wal: bool) -> Path:
        folder.mkdir()
        db = folder / "log.sqlite3"
        shutil.copyfile(crashed if with_wal else data.template, db)
        if with_wal:
            shutil.copyfile(Path(f"{crashed}-wal"), Path(f"{db}-wal"))
        return db

    # A first restore of each kind, not killed: how many steps it takes.
    steps: dict[bool, int] = {}
    for with_wal in (True, False):
        db = prepare(tmp_path / f"probe-{with_wal}", with_wal)
        job = server.start("restore", str(db), str(good), "0")
        job.wait_for("restored")
        steps[with_wal] = job.markers.count("step")
        job.kill()
        assert incidents_of(db, tmp_path / "scratch") == restored

    rng = random.Random(20240207)
    # One kill in the gap before each step (and one after the last), with and without a
    # WAL, then some at random moments at full speed.
    plan = [(with_wal, k, STEP_PAUSE) for with_wal in (True, False)
            for k in range(1, steps[with_wal] + 2)]
    plan += [(rng.random() < 0.5, 0, 0.0) for _ in range(RANDOM_RESTORE_KILLS)]
    outcomes: Counter[tuple[str, str]] = Counter()
    asides_checked = 0
    temporaries = 0
    started = time.monotonic()
    for number, (with_wal, k, pause) in enumerate(plan):
        folder = tmp_path / f"kill{number}"
        db = prepare(folder, with_wal)
        old = old_with_wal if with_wal else old_plain
        job = server.start("restore", str(db), str(good), str(pause))
        job.wait_for("started")
        if k == 0:
            time.sleep(rng.uniform(0.0, 0.05))
        elif k > steps[with_wal]:
            job.wait_for("restored")
        else:
            wait_for_count(job, "step", k, ("restored", "failed"))
            time.sleep(rng.uniform(0.0, pause))
        job.kill()
        assert job.exit_code in (0, -signal.SIGKILL), server.stderr_tail()
        where = "random" if k == 0 else ("after" if k > steps[with_wal] else f"step {k}")

        assert db.exists(), f"kill {number} ({where}): the database file is gone"
        now = incidents_of(db, tmp_path / "scratch")
        assert now in (old, restored), f"kill {number} ({where}): neither old nor restored"
        outcome = "restored" if now == restored else "old"
        asides = sorted(folder.glob("log.set-aside-*.sqlite3"))
        assert len(asides) <= 1, asides
        if outcome == "restored":
            assert asides, f"kill {number} ({where}): restored, but the old file is not set aside"
        for aside in asides:
            assert incidents_of(aside, tmp_path / "scratch") == old, f"kill {number}: set-aside"
            asides_checked += 1
        if "restored" in job.markers:
            assert outcome == "restored"
        temporaries += len(hidden(folder))
        outcomes[("wal" if with_wal else "no wal"), outcome] += 1
    elapsed = time.monotonic() - started
    print(
        f"\n[restore] {len(plan)} SIGKILLs during a restore of a {good.stat().st_size:,}-byte "
        f"backup ({len(restored)} incidents) over a database of {len(old_plain)} incidents, "
        f"half of them with a committed transaction still in its WAL; a restore takes "
        f"{steps[True]} file-system steps with a WAL, {steps[False]} without, and one kill "
        f"was aimed at the gap before each ({len(plan) - RANDOM_RESTORE_KILLS} kills), "
        f"{RANDOM_RESTORE_KILLS} at random moments at full speed. Outcomes: {dict(outcomes)}; "
        f"database file missing or neither old nor restored: 0; check_database failures: 0; "
        f"set-aside copies checked whole: {asides_checked}; hidden temporaries left: "
        f"{temporaries}; {elapsed:.1f} s"
    )
    assert outcomes[("wal", "old")] and outcomes[("wal", "restored")], dict(outcomes)
