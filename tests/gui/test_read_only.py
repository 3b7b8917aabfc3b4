"""A reviewer opens a log read-only and cannot change anything, not even by accident."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel
from sample_data import DialogRecorder, build_window, make_database

from incidentlog.domain.enums import Status
from incidentlog.exchange import import_json
from incidentlog.gui.exchange_dialogs import CSV, demo_data_path
from incidentlog.gui.main_window import QUOTES, SOURCES, MainWindow
from incidentlog.services import Services
from incidentlog.store.database import open_database

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

EDIT_ACTIONS = ("actionNewIncident", "actionNewSource", "actionNewQuote", "actionSave",
                "actionRevert", "actionDelete", "actionImport", "actionUndo", "actionRedo")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    """The demo data set in a database file, as a colleague would send it."""
    path = tmp_path / "demo.sqlite3"
    demo = demo_data_path()
    assert demo is not None, "resources/demo/demo.json is missing"
    with open_database(path) as database:
        import_json(Services(database, actor="colleague"), demo)
    return path


def assert_nothing_can_be_edited(window: MainWindow) -> None:
    for name in EDIT_ACTIONS:
        found = window.findChild(QAction, name)
        assert found is not None and not found.isEnabled(), f"{name} is enabled"
    for status_action in window.status_actions.values():
        assert not status_action.isEnabled()
    badge = window.findChild(QLabel, "readOnlyBadge")
    assert badge.isVisibleTo(window) and badge.text() == "READ-ONLY"
    assert "[read-only]" in window.windowTitle()
    for form in window.workspace.forms():
        is_read_only = getattr(form, "is_read_only", None)
        if callable(is_read_only):
            assert is_read_only(), f"{form.objectName()} is editable"


def test_read_only_flag_disables_every_edit(qtbot, demo_db: Path,  # type: ignore[no-untyped-def]
                                            dialogs: DialogRecorder) -> None:
    window: MainWindow = build_window(qtbot, ["--db", str(demo_db), "--read-only"])  # type: ignore[assignment]
    assert window.context.read_only
    assert_nothing_can_be_edited(window)
    assert window.actionExport.isEnabled() and window.actionBackup.isEnabled()
    assert window.findChild(QAction, "actionOpenReadOnly").isEnabled()


def test_a_reviewer_session_leaves_the_file_byte_for_byte_unchanged(
        qtbot, monkeypatch: pytest.MonkeyPatch, demo_db: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    before = sha256(demo_db)
    window: MainWindow = build_window(qtbot, ["--db", str(demo_db), "--read-only"])  # type: ignore[assignment]
    window.show()
    qtbot.waitExposed(window)
    table = window.workspace.incident_table
    model = table.incident_model
    assert model.rowCount() == 5
    # browse: sort by a header click, search, filter, open an incident, the other views
    header = table.horizontalHeader()
    title_x = header.sectionViewportPosition(model.column_index("title")) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(title_x, header.height() // 2))
    assert model.sort_order.column == "title"
    qtbot.keyClicks(window.workspace.filter_bar.search_box, "Assad")
    qtbot.waitUntil(lambda: model.rowCount() < 5, timeout=2000)
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    # every way of editing is refused, and says nothing alarming
    for name in ("actionDelete", "actionNewIncident", "actionSave"):
        window.findChild(QAction, name).trigger()
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert not window.set_status(Status.VERIFIED)
    assert not window.delete_incidents([table.current_uid()])
    assert window.import_dialog() is None
    assert not dialogs.of("question")
    window.show_view(SOURCES)
    window.show_view(QUOTES)
    # a reviewer may export what they see
    out = tmp_path / "review"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *_a: str(out)))
    dialog = window.export_dialog()
    qtbot.addWidget(dialog)
    dialog.set_format(CSV)
    dialog.browse_button.click()
    dialog.export_button.click()
    assert (out / "incidents.csv").exists()
    window.close()
    assert sha256(demo_db) == before
    assert not Path(f"{demo_db}-wal").exists() or Path(f"{demo_db}-wal").stat().st_size == 0


def test_open_read_only_from_the_file_menu(qtbot, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                           db_path: Path, demo_db: Path,
                                           dialogs: DialogRecorder) -> None:
    make_database(db_path)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    assert window.actionNewIncident.isEnabled()
    assert not window.findChild(QLabel, "readOnlyBadge").isVisibleTo(window)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *_a, **_k: (str(demo_db), "")))
    window.findChild(QAction, "actionOpenReadOnly").trigger()
    assert window.context.services.database.path == demo_db
    assert_nothing_can_be_edited(window)
    # and back to a writable file: everything comes back
    assert window.open_database_file(db_path)
    assert window.actionNewIncident.isEnabled() and window.actionDelete.isEnabled()
    assert not window.findChild(QLabel, "readOnlyBadge").isVisibleTo(window)


def test_a_file_the_user_cannot_write_opens_read_only(qtbot, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                      demo_db: Path,
                                                      dialogs: DialogRecorder) -> None:
    import incidentlog.store.database as database_module

    real_access = os.access
    monkeypatch.setattr(database_module.os, "access",
                        lambda path, mode: False if mode == os.W_OK else real_access(path, mode))
    window: MainWindow = build_window(qtbot, ["--db", str(demo_db)])  # type: ignore[assignment]
    assert window.context.read_only
    assert_nothing_can_be_edited(window)
