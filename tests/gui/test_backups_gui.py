"""Issue 6 in the window: restore from backup, a good backup offered for a damaged file,
the daily backup on open, the warning about network and cloud-sync folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentlog.services import Services
from incidentlog.store.backup import backup_database, default_backup_dir, list_backups
from incidentlog.store.database import open_database
from tests.gui.sample_data import DialogRecorder, build_window, make_database


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


def incident_count(path: Path) -> int:
    with open_database(path, read_only=True) as database:
        return Services(database).incident_query.count()


def test_opening_makes_the_daily_backup_once(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                             dialogs: DialogRecorder) -> None:
    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    window = build_window(qtbot, ["--db", str(db_path)])
    assert [info.reason for info in list_backups(db_path)] == ["daily"]
    window.open_database_file(db_path)  # reopening the same day makes no second one
    assert len(list_backups(db_path)) == 1
    assert dialogs.calls == []


def test_restore_from_backup_sets_the_current_file_aside(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                         dialogs: DialogRecorder) -> None:
    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    before = incident_count(db_path)
    backup = backup_database(db_path, reason="manual")
    window = build_window(qtbot, ["--db", str(db_path)])
    services = window.context.services
    uid = services.incident_query.page(limit=1)[0].meta.uid
    services.incidents.delete(uid)
    assert services.incident_query.count() == before - 1
    dialog = window.restore_dialog()
    # The manual backup is less than a day old: opening made no daily one.
    assert dialog is not None and dialog.list.topLevelItemCount() == 1
    assert "incidents" in dialog.list.topLevelItem(0).text(2)
    for row in range(dialog.list.topLevelItemCount()):
        if dialog.list.topLevelItem(row).toolTip(0) == str(backup):
            dialog.list.setCurrentItem(dialog.list.topLevelItem(row))
    dialog.accept()
    assert window.context is not None
    assert window.context.services.incident_query.count() == before
    aside = [p for p in tmp_path.iterdir() if ".set-aside-" in p.name and p.suffix == ".sqlite3"]
    assert len(aside) == 1 and incident_count(aside[0]) == before - 1


def test_a_damaged_file_is_offered_its_newest_good_backup(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                          dialogs: DialogRecorder) -> None:
    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    count = incident_count(db_path)
    backup_database(db_path, reason="daily")
    db_path.write_bytes(db_path.read_bytes()[:3000])  # truncated: damaged
    window = build_window(qtbot, ["--db", str(db_path)])
    [question] = dialogs.of("question")
    assert "good backup" in question[2] and "set aside" in question[2]
    assert window.context is not None
    assert window.context.services.incident_query.count() == count


def test_declining_the_backup_leaves_the_damaged_file_untouched(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    dialogs = DialogRecorder(answer=QMessageBox.StandardButton.No).install(monkeypatch)
    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    backup_database(db_path, reason="daily")
    damaged = db_path.read_bytes()[:3000]
    db_path.write_bytes(damaged)
    window = build_window(qtbot, ["--db", str(db_path)])
    assert window.context is None
    assert db_path.read_bytes() == damaged
    assert dialogs.of("critical") or dialogs.of("warning")


def test_a_database_in_a_sync_folder_is_warned_about(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     dialogs: DialogRecorder) -> None:
    db_path = tmp_path / "Dropbox" / "log.sqlite3"
    db_path.parent.mkdir()
    make_database(db_path)
    build_window(qtbot, ["--db", str(db_path)])
    [warning] = dialogs.of("warning")
    assert "cloud-sync folder" in warning[2]
    assert default_backup_dir(db_path).exists()
