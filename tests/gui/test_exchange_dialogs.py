"""Import, export and backup through their dialogs, with the file dialogs patched."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QPushButton
from sample_data import DialogRecorder, build_window, make_database

from incidentlog.domain.errors import Cancelled
from incidentlog.exchange import export_json
from incidentlog.gui.exchange_dialogs import CSV, JSON, ExportDialog, ImportDialog
from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.workers import ManualRunner, TaskRunner
from incidentlog.services import Services
from incidentlog.store.database import open_database

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


def patch_file_dialogs(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *_a, **_k: str(target)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *_a, **_k: (str(target), "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *_a, **_k: (str(target), "")))


def test_export_of_the_filtered_table_to_csv_runs_off_the_gui_thread(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    make_database(db_path)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)], runner=TaskRunner())  # type: ignore[assignment]
    window.workspace.filter_bar.search_box.setText("airbase")
    window.workspace.filter_bar.apply()
    model = window.workspace.incident_table.incident_model
    qtbot.waitUntil(lambda: model.rowCount() == 2 and not model.loading)  # off the GUI thread

    out = tmp_path / "csv-out"
    patch_file_dialogs(monkeypatch, out)
    dialog = window.export_dialog()
    assert isinstance(dialog, ExportDialog)
    qtbot.addWidget(dialog)
    assert dialog.scope() == "filter"  # a filter is on: it is the default scope
    assert dialog.scope_filter.text().replace("&", "") == "The current filter (2 incidents)"
    dialog.set_format(CSV)
    dialog.browse_button.click()
    assert dialog.destination_edit.text() == str(out)
    with qtbot.waitSignal(dialog.exportFinished, timeout=10_000) as finished:
        dialog.export_button.click()
    assert not isinstance(finished.args[0], BaseException), finished.args[0]
    assert sorted(p.name for p in out.iterdir()) == ["incidents.csv", "quotes.csv", "sources.csv"]
    with (out / "incidents.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert all("airbase" in (row.get("Place", "") + row.get("Title", "") + row.get(
        "Summary", "")).lower() for row in rows)
    assert "Exported 2 incidents" in dialogs.of("information")[-1][2]


def test_a_cancelled_export_leaves_no_file(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    make_database(db_path)
    runner = ManualRunner()
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)], runner=runner)  # type: ignore[assignment]
    out = tmp_path / "log.json"
    patch_file_dialogs(monkeypatch, out)
    dialog = window.export_dialog()
    qtbot.addWidget(dialog)
    dialog.set_format(JSON)
    dialog.browse_button.click()
    dialog.export_button.click()
    progress = dialog.findChild(QProgressDialog, "progressDialog")
    assert progress is not None
    cancel = progress.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    cancel.click()  # the user clicks Cancel before the work gets going
    with qtbot.waitSignal(dialog.exportFinished) as finished:
        runner.run_pending()
    assert isinstance(finished.args[0], Cancelled)
    assert not out.exists()
    assert list(tmp_path.glob("log.json*")) == []
    assert not dialogs.of("warning")


def test_export_selection_to_json(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    import json

    make_database(db_path)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    table = window.workspace.incident_table
    table.selectRow(0)
    qtbot.waitUntil(lambda: len(window.context.state.selected_incidents) == 1)
    out = tmp_path / "selection.json"
    patch_file_dialogs(monkeypatch, out)
    dialog = window.export_dialog(scope="selection")
    qtbot.addWidget(dialog)
    assert dialog.scope() == "selection"
    dialog.set_format(JSON)
    dialog.browse_button.click()
    dialog.export_button.click()
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [i["uid"] for i in document["incidents"]] == [table.current_uid()]


def test_import_shows_the_dry_run_report_then_applies(
        qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    source_db, target_db = tmp_path / "colleague.sqlite3", tmp_path / "mine.sqlite3"
    make_database(source_db)
    make_database(target_db, sample=False)
    document = tmp_path / "from-colleague.json"
    with open_database(source_db) as database:
        export_json(Services(database), document)

    window: MainWindow = build_window(qtbot, ["--db", str(target_db)])  # type: ignore[assignment]
    model = window.workspace.incident_table.incident_model
    patch_file_dialogs(monkeypatch, document)
    dialog = window.import_dialog()
    assert isinstance(dialog, ImportDialog)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.checked):
        dialog.browse_button.click()  # choosing the file checks it at once
    report = dialog.report_view.toPlainText()
    assert "Dry run, nothing was written" in report
    assert "Incidents: 5 added" in report
    assert model.rowCount() == 0  # nothing written yet
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.imported):
        dialog.apply_button.click()
    qtbot.waitUntil(lambda: model.rowCount() == 5)
    window.show_view(1)
    assert window.workspace.sources_view.model.rowCount() == 2
    assert "Import finished" in dialogs.of("information")[-1][2]


def test_import_of_a_bad_file_says_where_and_writes_nothing(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    make_database(db_path)
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "incidentlog", "version": 1, "incidents": [', encoding="utf-8")
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    patch_file_dialogs(monkeypatch, bad)
    dialog = window.import_dialog()
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.checked) as checked:
        dialog.browse_button.click()
    assert isinstance(checked.args[0], Exception)
    assert "broken.json" in dialog.report_view.toPlainText()
    assert not dialog.apply_button.isEnabled()
    assert window.workspace.incident_table.incident_model.rowCount() == 5


def test_backup_writes_a_verified_copy(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    make_database(db_path)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)], runner=TaskRunner())  # type: ignore[assignment]
    copy = tmp_path / "backups" / "copy.sqlite3"
    patch_file_dialogs(monkeypatch, copy)
    window.actionBackup.trigger()
    qtbot.waitUntil(lambda: bool(dialogs.of("information")), timeout=10_000)
    assert "verified copy" in dialogs.of("information")[-1][2]
    with open_database(copy, read_only=True) as database:
        assert Services(database).incident_query.count() == 5


def test_a_backup_of_a_log_whose_audit_log_does_not_verify_says_so(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    import sqlite3

    make_database(db_path)
    connection = sqlite3.connect(db_path)
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 1")
    connection.commit()
    connection.close()
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)], runner=TaskRunner())  # type: ignore[assignment]
    copy = tmp_path / "evidence.sqlite3"
    patch_file_dialogs(monkeypatch, copy)
    window.actionBackup.trigger()
    qtbot.waitUntil(lambda: bool(dialogs.of("warning")), timeout=10_000)
    [warning] = dialogs.of("warning")
    assert "did not verify" in warning[1] and "entry 1" in warning[2]
    assert copy.exists() and not dialogs.of("information")
