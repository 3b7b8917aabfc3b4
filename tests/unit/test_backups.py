"""Backups kept and restored: rotation with a chosen count, and restoring over a live file.

Rotation runs after a backup was verified and renamed into place; it removes
the oldest backups of the same reason beyond ``keep`` and never the one just
made, whatever the dates in the other files' names say. A restore sets the
current file aside whole, with what a crash left in its WAL, never over an
earlier set-aside copy, and refuses a file another program has open. (What a
SIGKILL at any moment of a restore leaves is tested in
``tests/reliability/test_crash_export_restore.py``.)
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from incidentlog.domain.errors import StorageError
from incidentlog.services import Services
from incidentlog.store import backup as backup_module
from incidentlog.store.backup import (
    DEFAULT_KEEP,
    anchor_path,
    backup_database,
    backup_if_due,
    check_keep,
    list_backups,
    read_anchor,
    verify_backup,
)
from incidentlog.store.database import open_database
from incidentlog.store.restore import restore_backup
from tests.reliability.child import incident


@pytest.fixture
def log(db_path: Path) -> Path:
    with open_database(db_path) as database:
        Services(database, actor="tester").incidents.create(incident(1, "tester"))
    return db_path


def made_in(folder: Path, log: Path, reason: str) -> list[Path]:
    """The backups of ``reason`` in ``folder``, newest first."""
    return [info.path for info in list_backups(log, folder) if info.reason == reason]


@pytest.mark.parametrize("keep", [1, 3])
def test_rotation_keeps_the_newest_keep_backups_of_a_reason(
    log: Path, tmp_path: Path, keep: int
) -> None:
    folder = tmp_path / "backups"
    made = [backup_database(log, backup_dir=folder, reason="daily", keep=keep) for _ in range(5)]
    assert made_in(folder, log, "daily") == made[::-1][:keep]
    for path in made_in(folder, log, "daily"):
        verify_backup(path)


def test_rotation_leaves_other_reasons_alone(log: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    manual = backup_database(log, backup_dir=folder, reason="manual")
    pre_import = [backup_database(log, backup_dir=folder, reason="pre-import", keep=2)
                  for _ in range(3)]
    backup_database(log, backup_dir=folder, reason="daily", keep=1)
    assert made_in(folder, log, "manual") == [manual]
    assert made_in(folder, log, "pre-import") == pre_import[:0:-1]
    assert len(made_in(folder, log, "daily")) == 1


@pytest.mark.parametrize("keep", [1, 3])
def test_the_backup_just_made_is_kept_even_if_others_look_newer(
    log: Path, tmp_path: Path, keep: int
) -> None:
    """A clock set back, or backups copied in from a computer whose clock was ahead:
    rotating by date alone would remove the backup that was just made."""
    folder = tmp_path / "backups"
    first = backup_database(log, backup_dir=folder, reason="daily")
    future = [
        folder / f"{log.stem}-2099010{day}T000000000000Z-daily.sqlite3" for day in range(1, 5)
    ]
    for path in future:
        shutil.copyfile(first, path)
    made = backup_database(log, backup_dir=folder, reason="daily", keep=keep)
    remaining = made_in(folder, log, "daily")
    assert made in remaining and len(remaining) == keep
    # The others kept are the newest by name: the future-dated ones.
    assert set(remaining) - {made} == set(future[::-1][: keep - 1])


def test_nothing_is_removed_when_the_new_backup_fails_its_check(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    old = [backup_database(log, backup_dir=folder, reason="daily", keep=2) for _ in range(2)]

    def failing(path: Path, expected_counts: dict[str, int] | None = None) -> None:
        raise StorageError(f"The backup {path} failed its check: simulated.")

    monkeypatch.setattr(backup_module, "verify_backup", failing)
    with pytest.raises(StorageError, match="simulated"):
        backup_database(log, backup_dir=folder, reason="daily", keep=1)
    assert made_in(folder, log, "daily") == old[::-1]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in old)


def test_an_old_backup_that_cannot_be_removed_does_not_fail_the_new_one(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    backup_database(log, backup_dir=folder, reason="daily")
    real_unlink = Path.unlink

    def refuse(self: Path, missing_ok: bool = False) -> None:
        if self.parent == folder and not self.name.startswith("."):
            raise PermissionError(13, "Permission denied", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    made = backup_database(log, backup_dir=folder, reason="daily", keep=1)
    assert made.exists()


@pytest.mark.parametrize("keep", [0, -1, True, 2.0, "3"])
def test_a_keep_below_one_or_not_a_count_is_refused_before_anything_is_written(
    log: Path, tmp_path: Path, keep: object
) -> None:
    folder = tmp_path / "backups"
    with pytest.raises(ValueError, match="backups to keep must be 1 or more"):
        backup_database(log, backup_dir=folder, reason="daily", keep=keep)  # type: ignore[arg-type]
    assert not folder.exists()
    with pytest.raises(ValueError):
        check_keep(keep)  # type: ignore[arg-type]


def test_the_daily_backup_keeps_what_it_is_told(log: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    folder = tmp_path / "backups"
    now = datetime.now(UTC)
    for day in range(4):
        _write_something(log, day + 2)  # an unchanged log is not copied again
        backup_if_due(log, backup_dir=folder, keep=2, now=now + timedelta(days=day + 1))
    assert len(made_in(folder, log, "daily")) == 2
    assert DEFAULT_KEEP == 7


def _write_something(log: Path, number: int) -> None:
    with open_database(log) as database:
        Services(database, actor="tester").incidents.create(incident(number, "tester"))


def test_the_daily_backup_skips_a_log_unchanged_since_the_newest_backup(
        log: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    folder = tmp_path / "backups"
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    first = backup_if_due(log, backup_dir=folder, now=tomorrow)
    assert first is not None
    assert backup_if_due(log, backup_dir=folder, now=tomorrow + timedelta(days=1)) is None
    _write_something(log, 2)
    second = backup_if_due(log, backup_dir=folder, now=tomorrow + timedelta(days=2))
    assert second is not None and second != first
    assert made_in(folder, log, "daily") == [second, first]


def test_a_partial_left_by_a_killed_backup_goes_but_not_one_being_written(
        log: Path, tmp_path: Path) -> None:
    import fcntl
    import os
    import time

    folder = tmp_path / "backups"
    folder.mkdir()
    killed = folder / f".{log.stem}-20260101T000000000000Z-daily.sqlite3.partial"
    running = folder / f".{log.stem}-20260102T000000000000Z-daily.sqlite3.partial"
    just_made = folder / f".{log.stem}-20260103T000000000000Z-daily.sqlite3.partial"
    theirs = folder / ".notes.txt.partial"
    for path in (killed, running, just_made, theirs):
        path.write_bytes(b"")
    old = time.time() - 5 * 60  # older than the grace, younger than the hour of old
    for path in (killed, running, theirs):
        os.utime(path, (old, old))
    holder = os.open(running, os.O_RDONLY)  # a live backup holds its partial's lock
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        backup_if_due(log, backup_dir=folder)
        assert not killed.exists()
        assert running.exists() and just_made.exists() and theirs.exists()
    finally:
        os.close(holder)


def older_schema(path: Path) -> None:
    """Take a database back to before its first migration: ours, but no schema yet."""
    from alembic import command

    from incidentlog.store.database import _alembic_config, _make_engine

    engine, _ = _make_engine(path, read_only=False)
    with engine.execution_options(write=True).connect() as connection, connection.begin():
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    engine.dispose()


@pytest.mark.parametrize(("keep", "left"), [(None, DEFAULT_KEEP), (1, 1), (3, 3)])
def test_the_pre_migration_backups_keep_what_open_database_is_told(
    db_path: Path, tmp_path: Path, keep: int | None, left: int
) -> None:
    folder = tmp_path / "backups"
    for _ in range(DEFAULT_KEEP + 1):
        with open_database(db_path, backup_dir=folder, backup_keep=keep):
            pass
        older_schema(db_path)
    with open_database(db_path, backup_dir=folder, backup_keep=keep):
        pass
    assert len(made_in(folder, db_path, "pre-migration")) == left


# --- restore ---------------------------------------------------------------------------------


def incident_uids(path: Path) -> set[str]:
    with open_database(path) as database:
        return {incident.meta.uid or "" for incident in
                Services(database).incident_query.page(limit=1000)}


def crash_copy(live: Path, copy: Path) -> str:
    """Add an incident to ``live`` and copy it, with its WAL, while the connection is open:
    what a crash leaves (the commit in the WAL only). Returns the new incident's uid."""
    with open_database(live) as database:
        added = Services(database).incidents.create(incident(9, "crash")).record
        shutil.copyfile(live, copy)
        shutil.copyfile(f"{live}-wal", f"{copy}-wal")
    assert Path(f"{copy}-wal").stat().st_size > 0
    return added.uid or ""


def test_a_crashed_database_is_set_aside_with_what_its_wal_holds(
    log: Path, tmp_path: Path
) -> None:
    good = backup_database(log, out=tmp_path / "good.sqlite3")
    target = tmp_path / "crashed" / "log.sqlite3"
    target.parent.mkdir()
    added = crash_copy(log, target)
    aside = restore_backup(good, target)
    assert aside is not None
    assert sorted(p.name for p in target.parent.iterdir()) == [aside.name, target.name]
    assert added in incident_uids(aside)
    assert added not in incident_uids(target)  # the restored file, no WAL of the old one
    with open_database(target) as database:
        from incidentlog.store.check import check_database

        assert check_database(database) == []


def test_two_restores_in_one_second_keep_both_set_aside_copies(log: Path, tmp_path: Path) -> None:
    good = backup_database(log, out=tmp_path / "good.sqlite3")
    first = restore_backup(good, log)
    second = restore_backup(good, log)
    assert first is not None and second is not None and first != second
    assert first.exists() and second.exists()


def test_a_restore_refuses_a_database_another_program_has_open(
    log: Path, tmp_path: Path
) -> None:
    good = backup_database(log, out=tmp_path / "good.sqlite3")
    with open_database(log) as database:
        Services(database).incidents.create(incident(5, "other program"))
        with pytest.raises(StorageError, match="open in another program"):
            restore_backup(good, log)
        # (Its WAL may have been checkpointed into it: the same records, other bytes.)
        assert Services(database).incident_query.count() == 2
    assert incident_uids(log) != incident_uids(good)
    assert not list(log.parent.glob("*.set-aside-*"))


def test_a_damaged_database_goes_aside_with_its_journals(log: Path, tmp_path: Path) -> None:
    good = backup_database(log, out=tmp_path / "good.sqlite3")
    target = tmp_path / "damaged" / "log.sqlite3"
    target.parent.mkdir()
    crash_copy(log, target)
    wal = Path(f"{target}-wal").read_bytes()
    target.write_bytes(b"not a database any more " * 200)
    aside = restore_backup(good, target)
    assert aside is not None
    assert Path(f"{aside}-wal").read_bytes() == wal
    assert aside.read_bytes() == b"not a database any more " * 200
    assert not Path(f"{target}-wal").exists()
    assert incident_uids(target) == incident_uids(good)


# --- the audit anchor ------------------------------------------------------------------------


def audit_ids(path: Path) -> list[int]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT id FROM audit_log ORDER BY id")]
    finally:
        connection.close()


def tamper(path: Path, *statements: str) -> None:
    """What another program could do: drop the guarding triggers and change the log."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        connection.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def problems_of(path: Path) -> list[str]:
    from incidentlog.store.check import check_database

    with open_database(path, read_only=True) as database:
        return check_database(database)


def add_incidents(path: Path, count: int) -> None:
    with open_database(path) as database:
        services = Services(database, actor="tester")
        for number in range(count):
            services.incidents.create(incident(10 + number, "later"))


def test_removing_the_newest_audit_entries_is_seen_by_the_check(log: Path) -> None:
    add_incidents(log, 3)
    backup_database(log, reason="daily")  # records the chain's head beside the backups
    assert read_anchor(log) is not None and problems_of(log) == []
    last = audit_ids(log)[-2:]
    tamper(log, f"DELETE FROM audit_log WHERE id >= {last[0]}")
    problems = problems_of(log)
    assert len(problems) == 1 and problems[0].startswith("audit log: the backup of ")
    assert f"entry {last[1]} is gone" in problems[0], problems
    # The hash chain alone sees nothing: what is left is a well-formed chain.
    from incidentlog.store.audit import verify_chain

    with open_database(log, read_only=True) as database, database.read() as connection:
        assert verify_chain(connection) == []
    # A backup made now does not move the anchor on to the shortened log.
    anchored = anchor_path(log).read_bytes()
    backup_database(log, reason="daily")
    assert anchor_path(log).read_bytes() == anchored
    assert len(problems_of(log)) == 1


def test_a_chain_recomputed_from_an_entry_on_is_seen_by_the_check(log: Path) -> None:
    """Rewrite entry 2 and recompute every hash after it: a chain that verifies, but not
    the one the backup recorded."""
    from incidentlog.store.audit import _digest

    add_incidents(log, 2)
    backup_database(log, reason="daily")
    tamper(log)
    connection = sqlite3.connect(log)
    try:
        rows = connection.execute(
            "SELECT id, prev_hash, at, actor, action, kind, uid, label, changes "
            "FROM audit_log ORDER BY id"
        ).fetchall()
        previous = rows[0][1]
        for number, (row_id, _, at, actor, action, kind, uid, label, changes) in enumerate(rows):
            actor = "someone else" if number == 1 else actor
            digest = _digest(previous, at, actor, action, kind, uid, label, changes)
            connection.execute(
                "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?",
                (actor, previous, digest, row_id),
            )
            previous = digest
        connection.commit()
    finally:
        connection.close()
    problems = problems_of(log)
    assert len(problems) == 1 and "is not the one it was" in problems[0], problems


def test_a_restore_records_the_restored_head(log: Path, tmp_path: Path) -> None:
    older = backup_database(log, reason="daily")
    add_incidents(log, 2)
    backup_database(log, reason="daily")  # the anchor moves on with the log
    assert problems_of(log) == []
    restore_backup(older, log)  # back in time: fewer entries, and no alarm
    assert problems_of(log) == []
    anchor = read_anchor(log)
    assert anchor is not None and anchor.last_id == audit_ids(log)[-1]


def test_a_new_database_at_the_same_path_is_not_judged_by_the_old_anchor(log: Path) -> None:
    add_incidents(log, 1)
    backup_database(log, reason="daily")
    log.unlink()
    add_incidents(log, 1)  # a new log, created where the old one was
    assert problems_of(log) == []
    backup_database(log, reason="daily")
    assert read_anchor(log) is not None and read_anchor(log).last_id == audit_ids(log)[-1]


def test_a_log_whose_every_entry_was_removed_is_seen(log: Path) -> None:
    backup_database(log, reason="daily")
    tamper(log, "DELETE FROM audit_log")
    problems = problems_of(log)
    assert len(problems) == 1 and "now it has none" in problems[0], problems


def test_backups_elsewhere_and_an_unreadable_anchor_change_nothing(
    log: Path, tmp_path: Path
) -> None:
    backup_database(log, backup_dir=tmp_path / "elsewhere", reason="daily")
    assert read_anchor(log) is None and not anchor_path(log).exists()
    anchor_path(log).parent.mkdir()
    anchor_path(log).write_text("{not json", encoding="utf-8")
    assert read_anchor(log) is None and problems_of(log) == []
    backup_database(log, reason="daily")  # replaces it
    assert read_anchor(log) is not None
