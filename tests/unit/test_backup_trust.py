"""Tampering is not laundered through backups, and failed or empty operations keep them.

A backup checks the audit chain and the anchor of the log it copies: a log that
fails is still copied (it is evidence) but under a name that says so, and that
copy never rotates out a verified one. A restore of a backup that fails the
check is refused unless forced, and a forced one does not move the anchor on
to bless the copy. A refused import and an import that changes nothing write
no pre-import backup, and one kind of backup never rotates out another.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from incidentlog import cli
from incidentlog.domain.errors import StorageError
from incidentlog.services import Services
from incidentlog.store.backup import anchor_path, backup_database, list_backups
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database
from incidentlog.store.restore import backup_problems, restore_backup
from tests.reliability.child import incident


@pytest.fixture
def log(db_path: Path) -> Path:
    with open_database(db_path) as database:
        services = Services(database, actor="tester")
        for number in range(4):
            services.incidents.create(incident(number, "tester"))
    return db_path


def tamper(path: Path, *statements: str) -> None:
    """Drop the guarding triggers and change the audit log, as another program could."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        connection.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


REMOVE_NEWEST = "DELETE FROM audit_log WHERE id >= (SELECT max(id) - 1 FROM audit_log)"
ALTER_ONE = "UPDATE audit_log SET actor = 'someone else' WHERE id = 2"


def problems_of(path: Path) -> list[str]:
    with open_database(path, read_only=True) as database:
        return check_database(database)


def reasons(log: Path) -> list[str]:
    return [info.reason for info in list_backups(log)]


@pytest.mark.parametrize("statement", [REMOVE_NEWEST, ALTER_ONE])
def test_a_backup_of_a_tampered_log_is_kept_unverified_and_rotates_out_no_verified_one(
    log: Path, statement: str
) -> None:
    good = backup_database(log, reason="daily", keep=1)
    anchored = anchor_path(log).read_bytes()
    tamper(log, statement)
    made = [backup_database(log, reason="daily", keep=1) for _ in range(3)]
    assert good.exists(), "the last backup whose chain verified was rotated away"
    assert all(path.name.endswith("-daily-unverified.sqlite3") for path in made)
    assert [info.path for info in list_backups(log) if info.reason == "daily"] == [good]
    # Evidence: the newest unverified copy is kept too (they rotate among themselves).
    assert made[-1].exists()
    assert anchor_path(log).read_bytes() == anchored  # the anchor never moves onto them


def test_a_backup_of_an_altered_chain_does_not_move_the_anchor(log: Path) -> None:
    backup_database(log, reason="manual")
    anchored = anchor_path(log).read_bytes()
    with open_database(log) as database:
        Services(database, actor="tester").incidents.create(incident(9, "tester"))
    tamper(log, ALTER_ONE)
    made = backup_database(log, reason="manual")
    assert made.name.endswith("-manual-unverified.sqlite3")
    assert anchor_path(log).read_bytes() == anchored


def test_the_cli_backup_of_a_tampered_log_warns_and_fails(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup_database(log, reason="daily")
    tamper(log, REMOVE_NEWEST)
    assert cli.main(["backup", "--db", str(log)]) == 1
    captured = capsys.readouterr()
    written = Path(captured.out.strip())
    assert written.exists() and written.name.endswith("-manual-unverified.sqlite3")
    assert "audit log" in captured.err and "unverified" in captured.err


def test_the_laundering_of_the_issue_no_longer_works(log: Path) -> None:
    """Tamper, back up, restore that backup: check used to say "ok" afterwards."""
    backup_database(log, reason="daily", keep=1)
    tamper(log, REMOVE_NEWEST)
    assert problems_of(log) != []
    tampered = backup_database(log, reason="daily", keep=1)
    assert backup_problems(tampered, log) != []
    with pytest.raises(StorageError, match="did not verify"):
        restore_backup(tampered, log)
    assert problems_of(log) != []
    anchored = anchor_path(log).read_bytes()
    restore_backup(tampered, log, force=True)  # the user insisted: restored, not blessed
    assert anchor_path(log).read_bytes() == anchored
    assert problems_of(log) != []


def test_a_backup_whose_chain_is_altered_inside_is_refused(log: Path, tmp_path: Path) -> None:
    copy = backup_database(log, out=tmp_path / "copy.sqlite3")
    tamper(copy, ALTER_ONE)
    assert any("altered" in problem for problem in backup_problems(copy, log))
    with pytest.raises(StorageError, match="did not verify"):
        restore_backup(copy, log)


def test_a_good_older_backup_restores_without_a_word(log: Path) -> None:
    older = backup_database(log, reason="daily")
    with open_database(log) as database:
        Services(database, actor="tester").incidents.create(incident(9, "tester"))
    backup_database(log, reason="daily")
    assert backup_problems(older, log) == []
    restore_backup(older, log)
    assert problems_of(log) == []


def test_the_cli_restore_refuses_an_unverified_backup_unless_forced(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = backup_database(log, reason="daily")
    tamper(log, REMOVE_NEWEST)
    bad = backup_database(log, reason="daily")
    capsys.readouterr()
    assert cli.main(["restore", "--db", str(log), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "did not verify" in err and "--force" in err
    assert cli.main(["restore", "--db", str(log), str(bad), "--force"]) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err and "Restored" in captured.out
    assert cli.main(["restore", "--db", str(log), str(good)]) == 0
    assert problems_of(log) == []
    assert cli.main(["--read-only", "restore", "--db", str(log), str(good)]) == 2


# --- failed and empty operations keep the backups -------------------------------------------


def test_a_refused_import_writes_no_backup_and_removes_none(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = [backup_database(log, reason="pre-import", keep=2) for _ in range(2)]
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "incidentlog-export", "incidents": [', encoding="utf-8")
    for _ in range(10):
        assert cli.main(["import", "--db", str(log), "--keep", "2", str(broken)]) == 1
    assert [info.path for info in list_backups(log)] == real[::-1]


def test_a_demo_that_changes_nothing_writes_no_backup(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--db", str(log)]) == 0
    first = reasons(log)
    assert first == ["pre-import"]  # the demo changed the log: backed up first
    for _ in range(3):
        assert cli.main(["demo", "--db", str(log)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert reasons(log) == first


def test_an_import_backs_up_the_log_as_it_was_before(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from incidentlog.exchange import export_json

    other = tmp_path / "other.sqlite3"
    with open_database(other) as database:
        Services(database, actor="colleague").incidents.create(incident(50, "colleague"))
        export_json(Services(database), tmp_path / "theirs.json")
    assert cli.main(["import", "--db", str(log), str(tmp_path / "theirs.json")]) == 0
    [made] = list_backups(log)
    assert made.reason == "pre-import"
    counts = sqlite3.connect(made.path).execute("SELECT count(*) FROM incident").fetchone()
    assert counts == (4,)


def test_one_kind_of_backup_never_rotates_out_another(log: Path, tmp_path: Path) -> None:
    kinds = ("daily", "pre-import", "pre-migration", "manual")
    first = {kind: backup_database(log, reason=kind, keep=1) for kind in kinds}
    for kind in kinds:
        for _ in range(3):
            backup_database(log, reason=kind, keep=1)
    # "pre-import" and "pre-migration" must not be mistaken for one another, nor for
    # "manual" by a hand-named file in the folder.
    assert sorted(reasons(log)) == sorted(kinds)
    assert all(not path.exists() for path in first.values())


def test_a_backup_whose_every_audit_entry_was_removed_is_refused(
    log: Path, tmp_path: Path
) -> None:
    backup_database(log, reason="daily")
    copy = backup_database(log, out=tmp_path / "copy.sqlite3")
    tamper(copy, "DELETE FROM audit_log")
    assert any("now it has none" in problem for problem in backup_problems(copy, log))
    with pytest.raises(StorageError, match="did not verify"):
        restore_backup(copy, log)
