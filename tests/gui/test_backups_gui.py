"""Backups in the window (docs/reliability.md): restore from backup, a good backup offered
for a damaged file, the daily backup on open, the warning about network and cloud-sync
folders."""

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


def old_dailies(db_path: Path, count: int) -> list[Path]:
    """``count`` good daily backups dated January 2020, oldest first; the log has changed
    since (a log unchanged since its newest backup is not copied again)."""
    from tests.reliability.child import incident

    folder = default_backup_dir(db_path)
    made = []
    for day in range(1, count + 1):
        path = folder / f"{db_path.stem}-202001{day:02d}T000000000000Z-daily.sqlite3"
        backup_database(db_path, out=path)
        made.append(path)
    with open_database(db_path) as database:
        Services(database, actor="tester").incidents.create(incident(9_999, "tester"))
    return made


def dailies(db_path: Path) -> list[Path]:
    return [info.path for info in list_backups(db_path) if info.reason == "daily"]


def test_the_backup_settings_spin_box_sets_what_the_next_backups_keep(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, dialogs: DialogRecorder) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox

    from incidentlog.gui.backups import BackupSettingsDialog, backup_keep

    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    old = old_dailies(db_path, 5)
    window = build_window(qtbot, ["--db", str(db_path)])
    # Opening made today's daily backup and kept the default 7: all six are there.
    assert len(dailies(db_path)) == 6
    today = dailies(db_path)[0]
    assert today not in old

    window.actionBackupSettings.trigger()
    dialog = window.findChild(BackupSettingsDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.addWidget(dialog)
    assert (dialog.keep.minimum(), dialog.keep.maximum(), dialog.keep.value()) == (1, 100, 7)
    dialog.keep.selectAll()
    qtbot.keyClicks(dialog.keep, "2")
    assert dialog.keep.value() == 2
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert backup_keep(window.context.settings) == 2

    # The next daily backup (due again once today's is gone) keeps 2: itself and the newest.
    today.unlink()
    window.open_database_file(db_path)
    remaining = dailies(db_path)
    assert len(remaining) == 2 and remaining[1] == old[-1]
    assert remaining[0] not in old


def test_cancelling_the_backup_settings_changes_nothing(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, dialogs: DialogRecorder) -> None:
    from incidentlog.gui.backups import backup_keep, set_backup_keep

    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    window = build_window(qtbot, ["--db", str(db_path)])
    settings = window.context.settings
    set_backup_keep(settings, 4)
    dialog = window.backup_settings_dialog()
    qtbot.addWidget(dialog)
    assert dialog.keep.value() == 4
    dialog.keep.setValue(30)
    dialog.reject()
    assert backup_keep(settings) == 4
    # A value edited by hand into the INI file is brought back into range.
    settings.qsettings.setValue("backups/keep", "0")
    assert backup_keep(settings) == 1
    settings.qsettings.setValue("backups/keep", "many")
    assert backup_keep(settings) == 7


def test_the_backup_before_an_import_keeps_the_chosen_count(  # type: ignore[no-untyped-def]
        qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dialogs: DialogRecorder) -> None:
    from incidentlog.exchange import export_json
    from incidentlog.gui.backups import set_backup_keep

    source_db, db_path = tmp_path / "colleague.sqlite3", tmp_path / "log.sqlite3"
    make_database(source_db)
    make_database(db_path, sample=False)
    document = tmp_path / "from-colleague.json"
    with open_database(source_db) as database:
        export_json(Services(database), document)
    folder = default_backup_dir(db_path)
    for day in range(1, 5):
        name = f"log-202001{day:02d}T000000000000Z-pre-import.sqlite3"
        backup_database(db_path, out=folder / name)
    window = build_window(qtbot, ["--db", str(db_path)])
    set_backup_keep(window.context.settings, 3)
    dialog = window.import_dialog(document)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.apply_button.isEnabled())
    with qtbot.waitSignal(dialog.imported):
        dialog.apply_button.click()
    pre_import = [info for info in list_backups(db_path) if info.reason == "pre-import"]
    assert len(pre_import) == 3
    assert pre_import[0].made_at.year > 2020  # the one just made, before the import
    assert incident_count(pre_import[0].path) == 0
    assert incident_count(db_path) == 5


def test_restoring_a_backup_that_did_not_verify_is_said_loudly(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit log was cut short by another program, then backed up: the restore dialog
    marks that backup, and restoring it asks first; declined, nothing is replaced."""
    import sqlite3

    from PySide6.QtWidgets import QMessageBox

    from incidentlog.store.backup import anchor_path

    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    backup_database(db_path, reason="daily")
    connection = sqlite3.connect(db_path)
    connection.execute("DROP TRIGGER audit_log_no_delete")
    connection.execute("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
    connection.commit()
    connection.close()
    unverified = backup_database(db_path, reason="manual")
    anchored = anchor_path(db_path).read_bytes()
    for answer, restored in ((QMessageBox.StandardButton.No, False),
                             (QMessageBox.StandardButton.Yes, True)):
        dialogs = DialogRecorder(answer=answer).install(monkeypatch)
        window = build_window(qtbot, ["--db", str(db_path)])
        dialog = window.restore_dialog()
        assert dialog is not None
        for row in range(dialog.list.topLevelItemCount()):
            item = dialog.list.topLevelItem(row)
            if item.toolTip(0) == str(unverified):
                assert "did not verify" in item.text(1)
                dialog.list.setCurrentItem(item)
        dialog.accept()
        [warning] = dialogs.of("warning")
        assert "did not verify" in warning[1] and unverified.name in warning[2]
        aside = [p for p in tmp_path.iterdir() if ".set-aside-" in p.name]
        assert bool(aside) is restored
        assert anchor_path(db_path).read_bytes() == anchored  # never blessed
        assert window.context is not None
        window.close()
