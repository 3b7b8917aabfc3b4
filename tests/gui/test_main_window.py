"""The main window as ``build_main_window`` builds it, driven like a user would."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableView,
    QToolBar,
    QWidget,
)
from sample_data import DialogRecorder, build_window, make_database

from incidentlog import paths
from incidentlog.domain.enums import Status
from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.settings import open_settings

# The offscreen platform warns once per shown top-level window; that says
# nothing about incidentlog.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

VIEW_NAMES = ("incidentTable", "sourceTable", "quoteTable", "incidentForm", "filterBar",
              "searchBox")
ACTION_NAMES = ("actionNewIncident", "actionSave", "actionDelete", "actionUndo", "actionRedo",
                "actionImport", "actionExport", "actionOpenReadOnly")


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


@pytest.fixture
def window(qtbot, db_path: Path, dialogs: DialogRecorder) -> MainWindow:  # type: ignore[no-untyped-def]
    make_database(db_path)
    return build_window(qtbot, ["--db", str(db_path)])  # type: ignore[return-value]


def action(window: MainWindow, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


class PaintCounter(QObject):
    """Counts the paint events of the widget it filters (a screen of rows costs ~50 ms at 1M)."""

    paints = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_object_names_and_accessible_names(window: MainWindow) -> None:
    for name in VIEW_NAMES:
        widget = window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName(), f"{name} has no accessible name"
    for name in ACTION_NAMES:
        assert action(window, name).text()
    unnamed = [w.objectName() or type(w).__name__
               for w in window.findChildren(QLineEdit) + window.findChildren(QTableView)
               if not w.accessibleName() and w.isVisibleTo(window)
               and not w.objectName().startswith("qt_")
               and not isinstance(w.parentWidget(), QComboBox)]  # the combo is named
    assert unnamed == []


def test_standard_shortcuts(window: MainWindow) -> None:
    key = QKeySequence.StandardKey
    for name, standard in (("actionNewIncident", key.New), ("actionSave", key.Save),
                           ("actionFind", key.Find), ("actionUndo", key.Undo),
                           ("actionRedo", key.Redo), ("actionDelete", key.Delete)):
        assert action(window, name).shortcuts() == QKeySequence.keyBindings(standard), name
    quit_keys = QKeySequence.keyBindings(key.Quit) or [QKeySequence("Ctrl+Q")]
    assert action(window, "actionQuit").shortcuts() == quit_keys


def test_status_bar_counts_and_database(qtbot, window: MainWindow, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    count = window.findChild(QLabel, "statusCount")
    assert count.text() == "5 of 5 incidents"
    assert str(db_path) in window.findChild(QLabel, "statusDatabase").text()
    assert not window.findChild(QLabel, "readOnlyBadge").isVisibleTo(window)
    window.findChild(QLineEdit, "searchBox").setText("Tower")
    qtbot.waitUntil(lambda: count.text() == "1 of 5 incidents", timeout=2000)
    window.show_view(1)
    assert count.text() == "2 of 2 sources"
    window.show_view(2)
    assert count.text() == "2 of 2 quotes"


def test_status_bar_on_the_timeline_counts_what_the_timeline_shows(
        qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    count = window.findChild(QLabel, "statusCount")
    window.resize(1200, 800)
    window.show()
    window.show_view(2)
    assert count.text() == "2 of 2 quotes"
    window.show_view(3)  # not the previous view's "2 of 2 quotes"
    qtbot.waitUntil(lambda: count.text() == "On the timeline: 5 incidents, 1 quote",
                    timeout=3000)
    window.findChild(QLineEdit, "searchBox").setText("Tower")
    qtbot.waitUntil(lambda: count.text().startswith("On the timeline: 1 incident,"), timeout=3000)


def test_find_focuses_the_search_box(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    action(window, "actionFind").trigger()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.findChild(QLineEdit,
                                                                           "searchBox"))
    window.show_view(1)
    action(window, "actionFind").trigger()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.workspace.sources_view.search_box)


def test_edit_menu_undo_texts_are_readable(window: MainWindow, dialogs: DialogRecorder) -> None:
    table = window.workspace.incident_table
    table.selectRow(0)
    uid = table.current_uid()
    incident = window.context.services.incident_query.get(uid)
    assert incident.status is Status.DRAFT
    assert window.set_status(Status.IN_REVIEW)
    undo = action(window, "actionUndo")
    assert undo.isEnabled()
    assert f"Mark {incident.ref} in review" in undo.text()
    undo.trigger()
    assert window.context.services.incident_query.get(uid).status is Status.DRAFT
    redo = action(window, "actionRedo")
    assert f"Mark {incident.ref} in review" in redo.text()
    redo.trigger()
    assert window.context.services.incident_query.get(uid).status is Status.IN_REVIEW


def test_the_undo_button_keeps_a_short_label_and_tells_the_command_in_its_tooltip(
        window: MainWindow) -> None:
    toolbar = window.findChild(QToolBar, "mainToolBar")
    undo = action(window, "actionUndo")
    button = toolbar.widgetForAction(undo)
    width = button.sizeHint().width()
    table = window.workspace.incident_table
    table.selectRow(0)
    incident = window.context.services.incident_query.get(table.current_uid())
    assert window.set_status(Status.IN_REVIEW)
    assert button.text() == "Undo"
    assert button.sizeHint().width() == width
    assert f"Mark {incident.ref} in review" in button.toolTip()


def test_a_refused_status_step_is_explained(window: MainWindow, dialogs: DialogRecorder) -> None:
    table = window.workspace.incident_table
    table.selectRow(0)  # a draft cannot become verified at once
    assert not window.set_status(Status.VERIFIED)
    assert dialogs.of("warning") and "cannot go from draft" in dialogs.of("warning")[0][2]


def test_delete_asks_then_moves_to_trash_and_undo_restores(window: MainWindow,
                                                           dialogs: DialogRecorder) -> None:
    table = window.workspace.incident_table
    model = table.incident_model
    table.selectRow(1)
    uid = table.current_uid()
    action(window, "actionDelete").trigger()
    assert dialogs.of("question"), "delete must ask first"
    assert model.row_of_uid(uid) is None
    assert window.context.services.incidents.get(uid).meta.deleted_at is not None
    assert window.context.state.current_incident != uid  # the next row became current
    action(window, "actionUndo").trigger()
    assert model.row_of_uid(uid) is not None


def test_delete_cancelled_changes_nothing(window: MainWindow, dialogs: DialogRecorder) -> None:
    from PySide6.QtWidgets import QMessageBox

    dialogs.answer = QMessageBox.StandardButton.Cancel
    window.workspace.incident_table.selectRow(0)
    action(window, "actionDelete").trigger()
    assert window.workspace.incident_table.incident_model.rowCount() == 5


def test_table_follows_the_current_incident_set_elsewhere(window: MainWindow) -> None:
    model = window.workspace.incident_table.incident_model
    last = model.uid_at(model.rowCount() - 1)
    window.context.state.set_current_incident(last)
    assert window.workspace.incident_table.current_uid() == last
    assert window.context.state.selected_incidents == (last,)


def test_recent_databases_and_settings_are_remembered(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                      dialogs: DialogRecorder) -> None:
    first, second = tmp_path / "first.sqlite3", tmp_path / "second.sqlite3"
    make_database(first)
    make_database(second, sample=False)
    window = build_window(qtbot, ["--db", str(first)])
    assert window.open_database_file(second)
    assert window.findChild(QLabel, "statusCount").text() == "0 of 0 incidents"
    header = window.workspace.incident_table.horizontalHeader()
    ref = window.workspace.incident_table.incident_model.column_index("ref")
    header.resizeSection(ref, 132)
    header.setSectionHidden(window.workspace.incident_table.incident_model.column_index("tags"),
                            False)
    window.resize(701, 503)
    window.show_view(2)
    window.close()

    settings = open_settings()
    assert settings.value("files/recent")[:2] == [str(second), str(first)]
    again = build_window(qtbot, [])  # no --db: the default database, created now
    again.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    window_menu = again.recent_menu
    window_menu.aboutToShow.emit()
    recent = [a.data() for a in window_menu.actions() if a.data()]
    assert recent[:3] == [str(paths.default_database_path()), str(second), str(first)]
    assert again.size().width() == 701
    assert again.workspace.currentIndex() == 2
    header = again.workspace.incident_table.horizontalHeader()
    model = again.workspace.incident_table.incident_model
    assert header.sectionSize(model.column_index("ref")) == 132
    assert not header.isSectionHidden(model.column_index("tags"))


def test_first_start_creates_the_default_database_and_offers_demo_data(
        qtbot, dialogs: DialogRecorder) -> None:  # type: ignore[no-untyped-def]
    assert not paths.default_database_path().exists()
    window = build_window(qtbot, [])
    assert paths.default_database_path().exists()
    assert window.first_start
    assert window.offer_demo_data()
    assert "demo" in dialogs.of("question")[0][2]
    model = window.workspace.incident_table.incident_model
    qtbot.waitUntil(lambda: model.rowCount() == 5, timeout=5000)


def test_a_file_that_is_not_ours_is_explained_and_the_window_still_opens(
        qtbot, tmp_path: Path, dialogs: DialogRecorder) -> None:  # type: ignore[no-untyped-def]
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_bytes(b"just some text, not a database" * 10)
    before = bogus.read_bytes()
    window = build_window(qtbot, ["--db", str(bogus)])
    assert window.context is None
    assert dialogs.of("warning") and "not an incidentlog database" in dialogs.of("warning")[0][2]
    assert window.findChild(QWidget, "welcomePage").isVisibleTo(window)
    assert not action(window, "actionNewIncident").isEnabled()
    assert action(window, "actionOpen").isEnabled()
    assert bogus.read_bytes() == before


def test_switching_databases_closes_the_old_one(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                dialogs: DialogRecorder) -> None:
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    make_database(first)
    make_database(second, sample=False)
    window = build_window(qtbot, ["--db", str(first)])
    old = window.context
    closed: list[bool] = []
    old.services.database.close = lambda: closed.append(True)  # type: ignore[method-assign]
    assert window.open_database_file(second)
    assert closed == [True]
    assert window.context is not old
    assert window.undo_group.activeStack() is window.context.undo_stack
    assert window.windowTitle().startswith("b.sqlite3")


def test_settings_file_lives_in_the_data_folder() -> None:
    settings = open_settings()
    assert Path(settings.fileName()).parent == paths.data_dir()
    assert settings.format() == QSettings.Format.IniFormat


def test_user_guide_and_about(qtbot, window: MainWindow, dialogs: DialogRecorder) -> None:  # type: ignore[no-untyped-def]
    dialog = window.show_user_guide()
    if dialog is not None:
        qtbot.addWidget(dialog)
        assert "user guide" in dialog.windowTitle().lower()
        dialog.close()
    action(window, "actionAbout").trigger()
    assert dialogs.of("about")


def test_the_delete_key_deletes_in_the_table_but_not_in_a_text_field(
        qtbot, window: MainWindow, dialogs: DialogRecorder) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    dialogs.answer = QMessageBox.StandardButton.Cancel
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    search = window.findChild(QLineEdit, "searchBox")
    search.setFocus()
    search.setText("abc")
    search.setCursorPosition(0)
    qtbot.keyClick(search, Qt.Key.Key_Delete)
    assert search.text() == "bc"
    assert not dialogs.of("question")
    table = window.workspace.incident_table
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert len(dialogs.of("question")) == 1


def test_enter_in_the_table_opens_the_incident_in_the_form(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.show()
    qtbot.waitExposed(window)
    table = window.workspace.incident_table
    table.setFocus()
    table.selectRow(2)
    with qtbot.waitSignal(table.openRequested) as opened:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened.args == [table.current_uid()]
    assert window.context.state.current_incident == table.current_uid()


def test_main_paints_the_window_then_opens_the_log(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    import sys

    from incidentlog.app import main

    make_database(db_path)
    hook = sys.excepthook
    seen: list[MainWindow] = []

    def fake_exec(_app: QApplication) -> int:
        # Running the real loop (and quitting it) would leave the shared test
        # QApplication in a state later tests notice; look at what it would show.
        window = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, MainWindow) and w.isVisible())
        seen.append(window)
        assert sys.excepthook is not hook  # errors become dialogs while it runs
        # The window comes first, saying what it opens; the log once it is painted.
        assert window.opening and window.context is None
        assert window.opening_page.isVisibleTo(window)
        assert db_path.name in window.opening_page.label.text()
        assert db_path.name in window.windowTitle()
        qtbot.waitUntil(lambda: window.context is not None, timeout=10_000)
        assert not window.opening
        assert window.context.services.database.path == db_path
        assert window.workspace is not None and window.workspace.isVisibleTo(window)
        model = window.workspace.incident_table.incident_model
        qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.loading, timeout=10_000)
        assert window.count_label.text().startswith(f"{model.rowCount()} of")
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert main(["--db", str(db_path)]) == 0
    assert seen and seen[0].context is None  # closed: the database was closed too
    assert QApplication.applicationName() == "incidentlog"
    assert sys.excepthook is hook  # restored after the loop
    assert not dialogs.of("warning")


def test_main_on_a_file_that_is_not_ours_ends_on_the_welcome_page(
        qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    from incidentlog.app import main

    bogus = tmp_path / "notes.sqlite3"
    bogus.write_bytes(b"just some text, not a database" * 10)
    before = bogus.read_bytes()

    def fake_exec(_app: QApplication) -> int:
        window = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, MainWindow) and w.isVisible())
        qtbot.waitUntil(lambda: not window.opening, timeout=10_000)
        assert window.context is None
        assert "not an incidentlog database" in dialogs.of("warning")[0][2]
        assert window.welcome.isVisibleTo(window)
        assert window.windowTitle() == "incidentlog"
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert main(["--db", str(bogus)]) == 0
    assert bogus.read_bytes() == before


def test_main_on_first_start_offers_the_demo_data_once_the_log_is_open(
        qtbot, monkeypatch: pytest.MonkeyPatch, dialogs: DialogRecorder) -> None:  # type: ignore[no-untyped-def]
    from incidentlog.app import main

    assert not paths.default_database_path().exists()
    dialogs.answer = QMessageBox.StandardButton.No  # the offer is what is tested here

    def fake_exec(_app: QApplication) -> int:
        window = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, MainWindow) and w.isVisible())
        qtbot.waitUntil(lambda: bool(dialogs.of("question")), timeout=10_000)
        assert window.context is not None
        assert "demo" in dialogs.of("question")[0][2]
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert main([]) == 0
    assert paths.default_database_path().exists()


def test_an_unexpected_error_becomes_a_dialog_not_only_a_traceback(
        monkeypatch: pytest.MonkeyPatch, dialogs: DialogRecorder) -> None:
    import sys

    from incidentlog.domain.errors import StorageError
    from incidentlog.gui import errors

    shown: list[str] = []
    monkeypatch.setattr(errors, "show_unexpected",
                        lambda _parent, kind, exc, _tb: shown.append(f"{kind.__name__}: {exc}"))
    printed: list[type[BaseException]] = []
    # stand-in for the hook underneath (pytest-qt's here, Python's printer in the app)
    monkeypatch.setattr(sys, "excepthook", lambda kind, _exc, _tb: printed.append(kind))
    previous = errors.install_excepthook(lambda: None)
    try:
        try:
            raise KeyError("boom")
        except KeyError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        try:
            raise StorageError("The disk is full. Nothing was changed.")
        except StorageError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    assert shown == ["KeyError: 'boom'"]
    assert printed == [KeyError, StorageError]  # still on stderr for the log
    assert dialogs.of("warning")[0][1] == "Database problem"
    assert "The disk is full" in dialogs.of("warning")[0][2]


@pytest.mark.parametrize("choice", ["keep_mine", "reload"])
def test_a_status_conflict_offers_reload_or_keep_mine(
        monkeypatch: pytest.MonkeyPatch, window: MainWindow, choice: str) -> None:
    from incidentlog.domain.errors import ConflictError
    from incidentlog.gui import errors
    from incidentlog.gui.errors import ConflictChoice

    services = window.context.services
    table = window.workspace.incident_table
    table.selectRow(0)
    uid = table.current_uid()
    real = services.incidents.set_status
    calls: list[int] = []

    def someone_else_was_faster(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise ConflictError("incident", uid, "IQ-2024-0002", 1, 2, "colleague", None)
        return real(*args, **kwargs)

    monkeypatch.setattr(services.incidents, "set_status", someone_else_was_faster)
    asked: list[str] = []
    monkeypatch.setattr(errors, "ask_conflict",
                        lambda _parent, error: asked.append(error.changed_by or "")
                        or ConflictChoice(choice))
    result = window.set_status(Status.IN_REVIEW)
    assert asked == ["colleague"]
    expected = Status.IN_REVIEW if choice == "keep_mine" else Status.DRAFT
    assert services.incident_query.get(uid).status is expected
    assert result is (choice == "keep_mine")


def test_an_export_given_on_the_command_line_is_offered_for_import(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``incidentlog FILE`` (the desktop opening an export): checked, then offered."""
    from incidentlog.cli.entry import _file_to_open
    from incidentlog.exchange import export_json
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    colleague = tmp_path / "colleague.sqlite3"
    make_database(colleague)
    export = tmp_path / "log.incidentlog.json"
    with open_database(colleague) as database:
        export_json(Services(database, actor="colleague"), export)
    assert _file_to_open([str(export)]) == str(export)
    assert _file_to_open(["export", str(export)]) is None
    assert _file_to_open(["--db", str(export)]) is None
    window = build_window(qtbot, ["--db", str(tmp_path / "mine.sqlite3"),
                                  "--import-file", str(export)])
    assert window.pending_import == export
    dialog = window.import_dialog(window.pending_import)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.apply_button.isEnabled(), timeout=10_000)
    assert "add" in dialog.report_view.toPlainText().lower()
    dialog.reject()


def test_a_new_filter_paints_the_table_once(qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each paint of a screen of rows costs ~50 ms on a large log: a filter must not
    paint twice (the view's own delayed layout repainted after the first paint
    of the new rows whenever the scroll bar's range changed)."""
    from incidentlog.domain.query import IncidentFilter
    from incidentlog.gui.workers import TaskRunner

    make_database(db_path)
    # Rows arrive from a worker thread, as in the application (the order of the
    # paint and the view's timers depends on it).
    window = build_window(qtbot, ["--db", str(db_path)], runner=TaskRunner())
    table = window.workspace.incident_table
    model = table.incident_model
    window.resize(900, 420)  # fewer rows fit than the log has: a scroll bar, as on a large log
    window.show()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() > 0, timeout=10_000)
    # The form beside follows the first row once the rows are painted (and lays itself out).
    qtbot.waitUntil(lambda: window.workspace.incident_form.uid() == table.current_uid(),
                    timeout=10_000)
    qtbot.wait(50)

    counter = PaintCounter()
    table.viewport().installEventFilter(counter)
    window.context.state.set_filter(IncidentFilter(countries=("IQ",)))
    deadline = time.monotonic() + 10
    while model.loading and time.monotonic() < deadline:
        QApplication.processEvents()  # as the event loop runs: posted events, then timers
    assert not model.loading
    for _ in range(20):
        QApplication.processEvents()
    assert counter.paints == 1


def test_the_table_paints_its_cells_as_qt_s_own_delegate_would(
        qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """The cell delegate fills each cell's style option in one call instead of
    seven; what it paints must be exactly what Qt's delegate paints."""
    from PySide6.QtWidgets import QStyledItemDelegate

    table = window.workspace.incident_table
    model = table.incident_model
    header = table.horizontalHeader()
    for key in ("place", "event_type", "tags", "summary"):
        header.setSectionHidden(model.column_index(key), False)
    window.show()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() > 0, timeout=10_000)
    table.selectRow(1)
    ours = table.viewport().grab().toImage()
    assert model.rowCount() >= 3
    table.setItemDelegate(QStyledItemDelegate(table))
    theirs = table.viewport().grab().toImage()
    assert ours == theirs


def test_a_window_never_painted_still_opens_its_log(qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Started minimized or on another desktop, the window gets no paint: the log
    is opened anyway, a moment later."""
    from incidentlog.app import build_main_window
    from incidentlog.gui.workers import ImmediateRunner

    make_database(db_path)
    window = build_main_window(["--db", str(db_path)], runner=ImmediateRunner(),
                               open_later=True)
    qtbot.addWidget(window)
    assert window.opening and not window.isVisible()
    qtbot.waitUntil(lambda: window.context is not None, timeout=5_000)
    assert not window.opening


def _window_of_80_incidents(qtbot: Any, db_path: Path) -> tuple[MainWindow, Any]:
    """A window on 80 incidents, shown, with a runner the test drives."""
    from datetime import UTC, datetime

    from incidentlog.domain.records import Incident
    from incidentlog.domain.when import Moment
    from incidentlog.gui.workers import ManualRunner
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    make_database(db_path, sample=False)
    with open_database(db_path) as database:
        services = Services(database, actor="tester")
        for number in range(80):
            services.incidents.create(Incident(
                title=f"Incident {number:02}", country="SY",
                occurred=Moment(datetime(2023, 1, 1 + number % 28, tzinfo=UTC))))
    runner = ManualRunner()
    window = build_window(qtbot, ["--db", str(db_path)], runner=runner)
    window.resize(900, 500)
    window.show()
    return window, runner


def _settle() -> None:
    for _ in range(30):
        QApplication.processEvents()


def test_the_rest_of_the_ids_arriving_below_the_screen_repaints_nothing(
        qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The full id list extends the first page out of view: only the scroll bar
    changes, so the rows on screen are not painted again (~50 ms at 1M)."""
    window, runner = _window_of_80_incidents(qtbot, db_path)
    table = window.workspace.incident_table
    model = table.incident_model
    runner.run_pending()
    _settle()
    runner.run_pending()
    assert model.rowCount() == 80 and model.first_page_size == 50  # far more than fits

    counter = PaintCounter()
    table.viewport().installEventFilter(counter)
    model.sort(model.column_index("title"), Qt.SortOrder.AscendingOrder)
    runner.pending.pop(0).execute()  # the first page
    _settle()
    assert model.rowCount() == 50 and model.provisional
    assert counter.paints == 1
    runner.run_pending()  # the rest of the ids, below the screen
    _settle()
    assert model.rowCount() == 80 and not model.loading
    assert counter.paints == 1
    visible = table.viewport().height() // table.rowHeight(0)
    assert table.verticalScrollBar().maximum() == 80 - visible  # the scroll bar knows them


def test_the_full_id_list_is_asked_for_once_the_first_page_is_painted(
        qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Read beside the first paint, the id list slows it down (docs/performance.md)."""
    window, runner = _window_of_80_incidents(qtbot, db_path)
    table = window.workspace.incident_table
    model = table.incident_model
    runner.run_pending()
    _settle()
    runner.run_pending()
    counter = PaintCounter()
    table.viewport().installEventFilter(counter)
    painted_when_asked: list[int] = []
    submit = runner._submit
    runner._submit = lambda task: (painted_when_asked.append(counter.paints), submit(task))
    model.sort(model.column_index("title"), Qt.SortOrder.AscendingOrder)
    painted_when_asked.clear()
    runner.pending.pop(0).execute()  # the first page arrives
    assert model.rowCount() == 50 and not runner.pending
    _settle()
    assert len(runner.pending) == 1 and painted_when_asked == [1]  # after the paint
    # A sort asked for between a first page and its paint: no ids of the old one.
    model.sort(model.column_index("ref"), Qt.SortOrder.AscendingOrder)
    _ids_of_the_sort_before, first_page = runner.pending
    runner.pending.clear()
    first_page.execute()
    model.sort(model.column_index("title"), Qt.SortOrder.DescendingOrder)
    _settle()
    assert len(runner.pending) == 1  # the newest sort's first page only
    runner.run_pending()
    _settle()
    runner.run_pending()
    assert model.rowCount() == 80 and not model.loading and not model.provisional
    assert model.data(model.index(0, model.column_index("title"))) == "Incident 79"


def test_the_tables_context_menus_act_on_the_selection(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMenu

    from incidentlog.gui.exchange_dialogs import ExportDialog

    assert window.workspace is not None
    table = window.workspace.incident_table
    qtbot.waitUntil(lambda: table.model().rowCount() > 0)
    table.selectRow(0)
    pos = table.visualRect(table.model().index(0, 1)).center()
    table.customContextMenuRequested.emit(pos)
    menu = window.findChild(QMenu, "incidentContextMenu")
    assert menu is not None and menu.isVisible()
    texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert texts[:2] == ["Open", "Set status"]
    assert window.actionDelete in menu.actions() and window.actionBulkEdit in menu.actions()
    export = next(a for a in menu.actions() if a.text().replace("&", "") == "Export selection…")
    menu.close()
    export.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and dialog.scope() == "selection"
    dialog.close()
    # Below the last row: no menu.
    menu.deleteLater()
    qtbot.waitUntil(lambda: window.findChild(QMenu, "incidentContextMenu") is None)
    table.customContextMenuRequested.emit(table.viewport().rect().bottomRight())
    assert window.findChild(QMenu, "incidentContextMenu") is None
    sources = window.workspace.sources_view
    window.show_view(1)  # the Sources view
    qtbot.waitUntil(lambda: sources.table.model().rowCount() > 0)
    before = set(window.findChildren(QMenu))
    sources.table.customContextMenuRequested.emit(
        sources.table.visualRect(sources.table.model().index(0, 0)).center())
    [record_menu] = set(window.findChildren(QMenu)) - before
    assert record_menu.actions() == [window.actionDelete]
