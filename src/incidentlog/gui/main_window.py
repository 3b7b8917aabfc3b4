"""The main window: menus, toolbar, the incident/source/quote views and the status bar.

The window is built once; the *workspace* inside it (the views, built on one
``AppContext``) is rebuilt whenever another database is opened, and the old
context is closed, so nothing of the previous file lingers. The window owns
the actions, so that the menu, the toolbar and the context menus share one
enabled state: in read-only mode every edit action is disabled in one place.

Whoever builds the window hands it a function that opens a database into an
``AppContext`` (``incidentlog.app.open_context``); the window never reaches
for a global.

Start-up. This module imports Qt and the light domain modules only: the views
(``incidentlog.gui.workspace``), the data layer (SQLAlchemy alone takes
0.3–0.4 s to import) and the dialogs are imported where first used, so the
window can be painted before the log it shows is opened
(``open_after_first_paint``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QKeySequence,
    QPaintEvent,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

import incidentlog
from incidentlog.domain.enums import STATUS_TRANSITIONS, Status
from incidentlog.domain.errors import ConflictError, IncidentLogError, StorageError
from incidentlog.gui import errors as errors_module
from incidentlog.gui.errors import ConflictChoice, show_error
from incidentlog.gui.icons import action_icon, app_icon
from incidentlog.gui.settings import Settings
from incidentlog.gui.views import INCIDENTS, QUOTES, SOURCES, TIMELINE
from incidentlog.store.location import storage_warnings

if TYPE_CHECKING:
    from incidentlog.domain.records import Incident
    from incidentlog.gui.context import AppContext
    from incidentlog.gui.record_browser import RecordBrowser
    from incidentlog.gui.workspace import Workspace

__all__ = ["INCIDENTS", "QUOTES", "SOURCES", "TIMELINE", "MainWindow", "user_guide_path"]

#: Opens a database file into a fresh context; raises ``StorageError`` when it cannot.
ContextOpener = Callable[[Path, bool], "AppContext"]

OPEN_UNPAINTED_AFTER_MS = 1_000
DATABASE_FILTER = "incidentlog databases (*.sqlite3 *.sqlite *.db);;All files (*)"


def user_guide_path() -> Path | None:
    """docs/user-guide.md of a source checkout (or next to an installed package)."""
    package = Path(incidentlog.__file__).resolve().parent
    for base in (package.parent.parent, package.parent, package):
        candidate = base / "docs" / "user-guide.md"
        if candidate.is_file():
            return candidate
    return None


class _OpeningPage(QWidget):
    """What the window shows while the log it starts on is opened; calls back once painted."""

    def __init__(self, painted: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._painted = painted
        self.setObjectName("openingPage")
        layout = QVBoxLayout(self)
        self.label = QLabel(self)
        self.label.setObjectName("openingLabel")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self._painted()


class MainWindow(QMainWindow):
    """The application window; see the module docstring for how it is put together."""

    contextChanged = Signal(object)  # AppContext or None

    def __init__(self, settings: QSettings, opener: ContextOpener,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setAccessibleName(self.tr("incidentlog"))
        self.settings = Settings(settings)
        self._opener = opener
        self.context: AppContext | None = None
        self.workspace: Workspace | None = None
        self.first_start = False
        #: An export the desktop asked to open (``incidentlog FILE``): offered for import.
        self.pending_import: Path | None = None
        self.undo_group = QUndoGroup(self)

        self.stack = QStackedWidget(self)
        self.welcome = self._build_welcome()
        self.stack.addWidget(self.welcome)
        #: (path, read-only, first start, file to offer for import) to open once painted
        self._pending_open: tuple[Path, bool, bool, Path | None] | None = None
        self.opening_page = _OpeningPage(self._opening_painted, self)
        self.stack.addWidget(self.opening_page)
        self.setCentralWidget(self.stack)
        self.setWindowIcon(app_icon())
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._update_title()
        self._update_actions()

    # --- construction --------------------------------------------------------------
    def _action(self, name: str, text: str, slot: Callable[[], Any] | None = None, *,
                shortcut: QKeySequence.StandardKey | str | None = None,
                icon: str | None = None, tip: str = "",
                window_wide: bool = True) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if isinstance(shortcut, QKeySequence.StandardKey):
            # Every binding of the platform (Redo is Ctrl+Y and Ctrl+Shift+Z on Linux).
            action.setShortcuts(shortcut)
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(action_icon(icon, self.palette()))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        if window_wide:
            self.addAction(action)
        else:  # the shortcut works only in the widgets the action is added to
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.actionNewDatabase = self._action(
            "actionNewDatabase", self.tr("&New database…"), self.new_database_dialog,
            tip=self.tr("Create an empty incident log in a new file"))
        self.actionOpen = self._action(
            "actionOpen", self.tr("&Open…"), self.open_dialog, shortcut=key.Open,
            icon="open", tip=self.tr("Open another incident log"))
        self.actionOpenReadOnly = self._action(
            "actionOpenReadOnly", self.tr("Open &read-only…"),
            lambda: self.open_dialog(read_only=True), icon="read-only",
            tip=self.tr("Open a log to review it without any chance of changing it"))
        self.actionImport = self._action(
            "actionImport", self.tr("&Import…"), self.import_dialog,
            icon="import", tip=self.tr("Merge a JSON export into this log"))
        self.actionExport = self._action(
            "actionExport", self.tr("&Export…"), self.export_dialog,
            icon="export", tip=self.tr("Write the log, the filter or the selection "
                                            "to CSV or JSON"))
        self.actionBackup = self._action(
            "actionBackup", self.tr("&Backup…"), self.backup_dialog, icon="backup",
            tip=self.tr("Write a verified copy of this database"))
        self.actionRestore = self._action(
            "actionRestore", self.tr("&Restore from backup…"), self.restore_dialog,
            tip=self.tr("Put a backup in place of this database (the current file is kept)"))
        self.actionBackupSettings = self._action(
            "actionBackupSettings", self.tr("Backup se&ttings…"), self.backup_settings_dialog,
            tip=self.tr("How many automatic backups of each kind are kept"))
        self.actionQuit = self._action("actionQuit", self.tr("&Quit"), self.close,
                                       shortcut=key.Quit)
        if self.actionQuit.shortcut().isEmpty():  # some platforms bind no Quit key
            self.actionQuit.setShortcut(QKeySequence("Ctrl+Q"))
        self.actionQuit.setMenuRole(QAction.MenuRole.QuitRole)

        self.actionUndo = self.undo_group.createUndoAction(self, self.tr("&Undo"))
        self.actionUndo.setObjectName("actionUndo")
        self.actionUndo.setShortcuts(key.Undo)
        self.actionUndo.setIcon(action_icon("undo", self.palette()))
        self.actionRedo = self.undo_group.createRedoAction(self, self.tr("&Redo"))
        self.actionRedo.setObjectName("actionRedo")
        self.actionRedo.setShortcuts(key.Redo)
        self.actionRedo.setIcon(action_icon("redo", self.palette()))
        self.actionNewIncident = self._action(
            "actionNewIncident", self.tr("New &incident"), self.new_incident, shortcut=key.New,
            icon="new-incident", tip=self.tr("Log a new incident"))
        self.actionNewSource = self._action(
            "actionNewSource", self.tr("New &source"), self.new_source, icon="new-source",
            tip=self.tr("Add a source (article, post, video…)"))
        self.actionNewQuote = self._action(
            "actionNewQuote", self.tr("New &quote"), self.new_quote, icon="new-quote",
            tip=self.tr("Add what someone said"))
        self.actionSave = self._action(
            "actionSave", self.tr("&Save"), self.save_current, shortcut=key.Save,
            icon="save", tip=self.tr("Save the open form"))
        self.actionRevert = self._action(
            "actionRevert", self.tr("Re&vert"), self.revert_current,
            tip=self.tr("Throw away the unsaved changes of the open form"))
        self.actionDelete = self._action(
            "actionDelete", self.tr("&Delete"), self.delete_selected, shortcut=key.Delete,
            icon="delete", tip=self.tr("Move the selected records to the trash"),
            window_wide=False)  # Delete in a text field or a form's list is theirs
        self.actionFind = self._action(
            "actionFind", self.tr("&Find"), self.focus_search, shortcut=key.Find, icon="find",
            tip=self.tr("Search the current view"))
        self.status_actions: dict[Status, QAction] = {}
        for status in Status:
            self.status_actions[status] = self._action(
                f"actionStatus_{status.value}", status.label.capitalize(),
                lambda s=status: self.set_status(s))

        self.view_group = QActionGroup(self)
        self.view_actions: list[QAction] = []
        for number, (name, text) in enumerate((
                ("actionViewIncidents", self.tr("&Incidents")),
                ("actionViewSources", self.tr("&Sources")),
                ("actionViewQuotes", self.tr("&Quotes")),
                ("actionViewTimeline", self.tr("&Timeline")))):
            action = self._action(name, text, lambda n=number: self.show_view(n),
                                  shortcut=f"Ctrl+{number + 1}")
            action.setCheckable(True)
            self.view_group.addAction(action)
            self.view_actions.append(action)
        self.view_actions[0].setChecked(True)

        self.actionUserGuide = self._action(
            "actionUserGuide", self.tr("User &guide"), self.show_user_guide,
            shortcut=key.HelpContents)
        self.actionAbout = self._action("actionAbout", self.tr("&About incidentlog"),
                                        self.show_about)
        self.actionAbout.setMenuRole(QAction.MenuRole.AboutRole)

        #: Disabled in read-only mode (and with no database open).
        self.edit_actions: list[QAction] = [
            self.actionNewIncident, self.actionNewSource, self.actionNewQuote,
            self.actionSave, self.actionRevert, self.actionDelete, self.actionImport,
            self.actionRestore,
            self.actionUndo, self.actionRedo, *self.status_actions.values()]
        #: Need an open database, even a read-only one.
        self.database_actions: list[QAction] = [
            self.actionExport, self.actionBackup, self.actionFind, *self.view_actions]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        bar.setAccessibleName(self.tr("Menu bar"))
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.setObjectName("menuFile")
        file_menu.addActions([self.actionNewDatabase, self.actionOpen, self.actionOpenReadOnly])
        self.recent_menu = file_menu.addMenu(self.tr("&Recent databases"))
        self.recent_menu.setObjectName("menuRecent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.actionImport, self.actionExport, self.actionBackup,
                              self.actionRestore, self.actionBackupSettings])
        file_menu.addSeparator()
        file_menu.addAction(self.actionQuit)

        edit_menu = bar.addMenu(self.tr("&Edit"))
        edit_menu.setObjectName("menuEdit")
        edit_menu.addActions([self.actionUndo, self.actionRedo])
        edit_menu.addSeparator()
        edit_menu.addActions([self.actionNewIncident, self.actionNewSource, self.actionNewQuote])
        edit_menu.addSeparator()
        edit_menu.addActions([self.actionSave, self.actionRevert, self.actionDelete])
        self.status_menu = edit_menu.addMenu(self.tr("Set s&tatus"))
        self.status_menu.setObjectName("menuStatus")
        self.status_menu.addActions(list(self.status_actions.values()))
        self.status_menu.aboutToShow.connect(self._update_status_actions)
        edit_menu.addSeparator()
        edit_menu.addAction(self.actionFind)

        self.view_menu = bar.addMenu(self.tr("&View"))
        self.view_menu.setObjectName("menuView")
        self.view_menu.addActions(self.view_actions)
        self._view_separator = self.view_menu.addSeparator()
        self.timeline_menu = self.view_menu.addMenu(self.tr("Ti&meline"))
        self.timeline_menu.setObjectName("menuTimeline")

        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.setObjectName("menuHelp")
        help_menu.addActions([self.actionUserGuide, self.actionAbout])

    def _build_toolbar(self) -> None:
        toolbar = QToolBar(self.tr("Main toolbar"), self)
        toolbar.setObjectName("mainToolBar")
        toolbar.setAccessibleName(self.tr("Main toolbar"))
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([self.actionNewIncident, self.actionSave, self.actionDelete])
        toolbar.addSeparator()
        toolbar.addActions([self.actionUndo, self.actionRedo])
        toolbar.addSeparator()
        toolbar.addActions([self.actionImport, self.actionExport])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setAccessibleName(self.tr("Status bar"))
        self.count_label = QLabel(self)
        self.count_label.setObjectName("statusCount")
        self.count_label.setAccessibleName(self.tr("Rows shown"))
        self.database_label = QLabel(self)
        self.database_label.setObjectName("statusDatabase")
        self.database_label.setAccessibleName(self.tr("Database file"))
        self.database_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_only_badge = QLabel(self.tr("READ-ONLY"), self)
        self.read_only_badge.setObjectName("readOnlyBadge")
        self.read_only_badge.setAccessibleName(self.tr("Read-only mode"))
        self.read_only_badge.setToolTip(self.tr(
            "This database is open read-only: nothing can be changed."))
        self.read_only_badge.setStyleSheet(
            "QLabel#readOnlyBadge { background: #b91c1c; color: white; font-weight: bold;"
            " border-radius: 4px; padding: 1px 8px; }")
        self.read_only_badge.setVisible(False)
        bar.addWidget(self.count_label)
        bar.addPermanentWidget(self.database_label)
        bar.addPermanentWidget(self.read_only_badge)

    def _build_welcome(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("welcomePage")
        page.setAccessibleName(self.tr("No database open"))
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        text = QLabel(self.tr(
            "<h2>No incident log is open</h2>"
            "<p>Open an existing log, or create a new one.</p>"), page)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(text)
        for label, slot in ((self.tr("&Open a log…"), self.open_dialog),
                            (self.tr("&New log…"), self.new_database_dialog)):
            button = QPushButton(label, page)
            button.setAccessibleName(label.replace("&", ""))
            button.clicked.connect(lambda _checked=False, s=slot: s())
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        return page

    # --- databases ------------------------------------------------------------------
    def open_database_file(self, path: str | Path, *, read_only: bool = False) -> bool:
        """Open ``path`` in place of the current database; on failure keep what was open."""
        if not self.maybe_leave_forms():
            return False
        from incidentlog.gui.backups import offer_good_backup, start_daily_backup

        try:
            context = self._opener(Path(path), read_only)
        except IncidentLogError as exc:
            if isinstance(exc, StorageError) and offer_good_backup(
                    self, Path(path).expanduser().absolute(), exc):
                return self.open_database_file(path, read_only=read_only)
            show_error(self, exc)
            if isinstance(exc, StorageError):
                self.settings.remove_recent_database(str(Path(path).expanduser().absolute()))
            return False
        self.set_context(context)
        self.settings.add_recent_database(path)
        location = context.services.database.path
        if location is not None:
            for warning in storage_warnings(location):
                QMessageBox.warning(self, self.tr("Where this database is"), warning)
        start_daily_backup(context, self._daily_backup_failed)
        return True

    def open_after_first_paint(self, path: Path, *, read_only: bool = False,
                               first_start: bool = False,
                               pending_import: Path | None = None) -> None:
        """Open ``path`` once the window has been painted (the start of the application).

        Importing the views and the data layer and opening the log take about a
        second on a large log; the window shows at once and says what it is
        opening meanwhile. ``first_start`` offers the demo data afterwards;
        ``pending_import`` offers that file for import.
        """
        self._pending_open = (path, read_only, first_start, pending_import)
        self.opening_page.label.setText(
            self.tr("<h3>Opening {0}…</h3>").format(html.escape(path.name)))
        self.opening_page.setToolTip(str(path))
        self.stack.setCurrentWidget(self.opening_page)
        self.setWindowTitle(f"{path.name} — incidentlog")
        self.statusBar().showMessage(self.tr("Opening {0}…").format(path))
        # A window that is never painted (started minimized, on another desktop)
        # still opens its log.
        QTimer.singleShot(OPEN_UNPAINTED_AFTER_MS, self, self._open_pending)

    @property
    def opening(self) -> bool:
        """Whether the log the window starts on is still to be opened."""
        return self._pending_open is not None

    def _opening_painted(self) -> None:
        if self._pending_open is not None:
            # After this paint reaches the screen, not inside it.
            QTimer.singleShot(0, self, self._open_pending)

    def _open_pending(self) -> None:
        if self._pending_open is None:
            return
        path, read_only, first_start, pending_import = self._pending_open
        self._pending_open = None
        self.statusBar().clearMessage()
        opened = self.open_database_file(path, read_only=read_only)
        if not opened:
            self.set_context(None)  # the welcome page: open another file or create one
            return
        if first_start and not read_only:
            QTimer.singleShot(0, self.offer_demo_data)
        if pending_import is not None:
            QTimer.singleShot(0, lambda: self.import_dialog(pending_import))

    def _daily_backup_failed(self, error: BaseException) -> None:
        text = getattr(error, "message", str(error))
        self.statusBar().showMessage(
            self.tr("The daily backup failed: {0}").format(text), 15_000)

    def backup_settings_dialog(self) -> QDialog:
        """File ▸ Backup settings: a preference, so it needs no open database."""
        from incidentlog.gui.backups import BackupSettingsDialog

        dialog = BackupSettingsDialog(self.settings.qsettings, self)
        dialog.open()
        return dialog

    def restore_dialog(self) -> QDialog | None:
        """File ▸ Restore from backup: pick a backup; the current file is set aside."""
        if self.context is None or self.context.services.database.path is None:
            return None
        from incidentlog.gui.backups import RestoreDialog, confirm_unverified, restore

        database = self.context.services.database.path
        dialog = RestoreDialog(database, self)

        def restore_chosen() -> None:
            backup = dialog.chosen()
            if backup is None:
                return
            anyway = confirm_unverified(self, database, backup)
            if anyway is False or not self.maybe_leave_forms():
                return
            read_only = self.read_only
            self.set_context(None)  # the file must be closed to be replaced
            try:
                aside = restore(database, backup, force=bool(anyway))
            except IncidentLogError as exc:
                show_error(self, exc)
            else:
                if aside is not None:
                    self.statusBar().showMessage(self.tr(
                        "Restored; the previous file was set aside as {0}").format(aside.name),
                        30_000)
            self.open_database_file(database, read_only=read_only)

        dialog.accepted.connect(restore_chosen)
        dialog.open()
        return dialog

    def set_context(self, context: AppContext | None) -> None:
        """Show the views of ``context``; close the previous database cleanly."""
        old, old_workspace = self.context, self.workspace
        if old_workspace is not None:
            old_workspace.save_layout()
            self.stack.removeWidget(old_workspace)
            old_workspace.deleteLater()
        if old is not None:
            if old_workspace is not None:
                old_workspace.timeline.cancel_work()  # its slow reads stop within ~0.2 s
            self.undo_group.removeStack(old.undo_stack)
            old.close()
        self.context, self.workspace = context, None
        if context is not None:
            from incidentlog.gui.workspace import Workspace

            workspace = Workspace(context, self)
            self.workspace = workspace
            self.stack.addWidget(workspace)
            self.stack.setCurrentWidget(workspace)
            self.undo_group.addStack(context.undo_stack)
            self.undo_group.setActiveStack(None if context.read_only else context.undo_stack)
            for form in workspace.forms():
                setter = getattr(form, "set_read_only", None)
                if callable(setter):
                    setter(context.read_only)
            workspace.currentChanged.connect(self._view_changed)
            self.timeline_menu.clear()
            self.timeline_menu.addActions(workspace.timeline.actions_for_menu())
            for model in (workspace.incident_table.incident_model,
                          workspace.sources_view.model, workspace.quotes_view.model):
                model.countsChanged.connect(self._show_counts)
                model.loadingChanged.connect(lambda _loading: self._show_counts())
                model.loadFailed.connect(self._load_failed)
            for table in (workspace.incident_table, workspace.sources_view.table,
                          workspace.quotes_view.table):
                table.addAction(self.actionDelete)
            workspace.incident_table.customContextMenuRequested.connect(
                self._incident_context_menu)
            workspace.sources_view.table.customContextMenuRequested.connect(
                lambda pos: self._record_context_menu(workspace.sources_view, pos))
            workspace.quotes_view.table.customContextMenuRequested.connect(
                lambda pos: self._record_context_menu(workspace.quotes_view, pos))
            context.state.selectionChanged.connect(lambda _uids: self._update_actions())
            activated = getattr(workspace.sources_view.form, "incidentActivated", None)
            if activated is not None:  # "cited by" in the source form
                activated.connect(self.show_incident)
            workspace.setCurrentIndex(min(self.settings.current_view(), workspace.count() - 1))
            self._view_changed(workspace.currentIndex())
        else:
            self.timeline_menu.clear()
            self.stack.setCurrentWidget(self.welcome)
            self.count_label.clear()
        self._update_title()
        self._update_actions()
        self.contextChanged.emit(context)

    def _choose_database(self, title: str) -> str:
        path, _filter = QFileDialog.getOpenFileName(self, title, self.settings.last_dir(),
                                                    self.tr(DATABASE_FILTER))
        if path:
            self.settings.set_last_dir(Path(path).parent)
        return path

    def open_dialog(self, read_only: bool = False) -> None:
        title = self.tr("Open a log read-only") if read_only else self.tr("Open a log")
        path = self._choose_database(title)
        if path:
            self.open_database_file(path, read_only=read_only)

    def new_database_dialog(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("New incident log"),
            str(Path(self.settings.last_dir() or Path.home()) / "incidents.sqlite3"),
            self.tr(DATABASE_FILTER))
        if not path:
            return
        target = Path(path)
        if target.exists() and target.stat().st_size > 0:
            QMessageBox.information(self, self.tr("New incident log"), self.tr(
                "{0} exists already; it is opened instead of being replaced.").format(path))
        self.settings.set_last_dir(target.parent)
        self.open_database_file(target)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_databases()
        for number, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{number} {path}")
            action.setData(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_database_file(p))
        if not recent:
            empty = self.recent_menu.addAction(self.tr("(none yet)"))
            empty.setEnabled(False)
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction(self.tr("&Clear the list"),
                                           self.settings.clear_recent_databases)
        clear.setEnabled(bool(recent))

    # --- state ------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.context is None or self.context.read_only

    def _update_title(self) -> None:
        if self.context is None:
            self.setWindowTitle("incidentlog")
            self.database_label.clear()
            self.read_only_badge.setVisible(False)
            return
        location = self.context.services.database.location
        name = Path(location).name if self.context.services.database.path else location
        suffix = self.tr(" [read-only]") if self.context.read_only else ""
        self.setWindowTitle(f"{name}{suffix} — incidentlog")
        self.database_label.setText(location)
        self.database_label.setToolTip(location)
        self.read_only_badge.setVisible(self.context.read_only)

    def _update_actions(self) -> None:
        has_database = self.context is not None
        writable = has_database and not self.read_only
        for action in self.database_actions:
            action.setEnabled(has_database)
        for action in self.edit_actions:
            if action in (self.actionUndo, self.actionRedo):
                continue  # the undo group enables them from the stack's state
            action.setEnabled(writable)
        if not writable:
            self.actionUndo.setEnabled(False)
            self.actionRedo.setEnabled(False)
        self.status_menu.setEnabled(writable and self._current_view() == INCIDENTS)

    def _update_status_actions(self) -> None:
        """Offer only the review steps the workflow allows from the current status."""
        incident = self._current_incident()
        selected = self.context.state.selected_incidents if self.context else ()
        allowed = (STATUS_TRANSITIONS[incident.status]
                   if incident is not None and len(selected) <= 1 else set(Status))
        for status, action in self.status_actions.items():
            action.setEnabled(not self.read_only and status in allowed)

    def _current_view(self) -> int:
        return self.workspace.currentIndex() if self.workspace is not None else -1

    def _view_changed(self, index: int) -> None:
        if 0 <= index < len(self.view_actions):
            self.view_actions[index].setChecked(True)
        self.settings.set_current_view(index)
        if self.workspace is None:
            return
        from incidentlog.gui.record_browser import RecordBrowser

        current = self.workspace.currentWidget()
        if isinstance(current, RecordBrowser):
            current.ensure_loaded()  # sources and quotes load when first looked at
        if index == INCIDENTS:
            model = self.workspace.incident_table.incident_model
            self._show_counts(model.matches, model.total)
        elif index == SOURCES:
            model = self.workspace.sources_view.model
            self._show_counts(model.matches, model.total)
        elif index == QUOTES:
            model = self.workspace.quotes_view.model
            self._show_counts(model.matches, model.total)
        self._update_actions()

    def _show_counts(self, _shown: int = 0, _total: int = 0) -> None:
        if self.workspace is None:
            return
        index = self.workspace.currentIndex()
        if index == INCIDENTS:
            model: Any = self.workspace.incident_table.incident_model
            text = self.tr("{0} of {1} incidents")
        elif index == SOURCES:
            model = self.workspace.sources_view.model
            text = self.tr("{0} of {1} sources")
        else:
            model = self.workspace.quotes_view.model
            text = self.tr("{0} of {1} quotes")
        if model.loading and not (model.provisional and model.counted):
            # A sort or a search on a large log, in the background.
            self.count_label.setText(self.tr("Loading…"))
            return
        counts = text.format(f"{model.matches:,}", f"{model.total:,}")
        if model.loading:  # the first page is shown, the rest of the rows still load
            counts = self.tr("{0} (loading the rest…)").format(counts)
        self.count_label.setText(counts)

    def _load_failed(self, error: BaseException) -> None:
        self._show_counts()
        if isinstance(error, IncidentLogError):
            show_error(self, error)
        else:
            raise error  # a bug: the exception hook reports it

    def restore_window_state(self) -> None:
        geometry = self.settings.state("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1400, 860)
        window_state = self.settings.state("window")
        if window_state is not None:
            self.restoreState(window_state)

    def save_window_state(self) -> None:
        self.settings.set_state("geometry", self.saveGeometry())
        self.settings.set_state("window", self.saveState())
        if self.workspace is not None:
            self.workspace.save_layout()
        self.settings.sync()

    def maybe_leave_forms(self) -> bool:
        """Ask each form with unsaved changes whether to save them; False means stay."""
        if self.workspace is None:
            return True
        for form in self.workspace.forms():
            maybe_leave = getattr(form, "maybe_leave", None)
            if callable(maybe_leave) and not maybe_leave():
                return False
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_leave_forms():
            event.ignore()
            return
        self._pending_open = None  # closed while opening: nothing more to open
        self.save_window_state()
        self.set_context(None)
        event.accept()

    # --- views ------------------------------------------------------------------------
    def show_view(self, index: int) -> None:
        if self.workspace is not None:
            self.workspace.setCurrentIndex(index)

    def add_view(self, widget: QWidget, title: str, action_name: str,
                 shortcut: str | None = None) -> QAction:
        """Add a tab and its View-menu entry (the timeline uses this)."""
        if self.workspace is None:
            raise RuntimeError("no database is open")
        index = self.workspace.addTab(widget, title)
        action = self._action(action_name, title, lambda: self.show_view(index),
                              shortcut=shortcut)
        action.setCheckable(True)
        self.view_group.addAction(action)
        self.view_actions.append(action)
        self.view_menu.insertAction(self._view_separator, action)
        return action

    def show_incident(self, uid: str) -> None:
        """Show an incident in the incidents view (clearing a filter that hides it)."""
        if self.workspace is None or self.context is None:
            return
        self.workspace.setCurrentIndex(INCIDENTS)
        table = self.workspace.incident_table
        if table.incident_model.row_of_uid(uid) is None:
            self.workspace.filter_bar.clear()
        self.context.state.set_current_incident(uid)
        table.show_incident(uid)
        table.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_search(self) -> None:
        if self.workspace is None:
            return
        from incidentlog.gui.record_browser import RecordBrowser

        current = self.workspace.currentWidget()
        if isinstance(current, RecordBrowser):
            current.focus_search()
        else:
            self.workspace.filter_bar.focus_search()

    # --- editing ------------------------------------------------------------------------
    def _form_call(self, form: QWidget, name: str, *args: Any) -> Any:
        method = getattr(form, name, None)
        return method(*args) if callable(method) else None

    def new_incident(self) -> None:
        if self.workspace is None or self.read_only:
            return
        self.workspace.setCurrentIndex(INCIDENTS)
        form = self.workspace.incident_form
        if getattr(form, "maybe_leave", lambda: True)():
            self._form_call(form, "new_incident")
            self.workspace.focus_incident_form()

    def new_source(self) -> None:
        if self.workspace is None or self.read_only:
            return
        self.workspace.setCurrentIndex(SOURCES)
        self.workspace.sources_view.new_record()

    def new_quote(self) -> None:
        if self.workspace is None or self.read_only:
            return
        self.workspace.setCurrentIndex(QUOTES)
        self.workspace.quotes_view.new_record()

    def save_current(self) -> bool:
        if self.workspace is None or self.read_only:
            return False
        return bool(self._form_call(self.workspace.form(), "save"))

    def revert_current(self) -> None:
        if self.workspace is not None and not self.read_only:
            self._form_call(self.workspace.form(), "revert")

    def _current_incident(self) -> Incident | None:
        if self.context is None or self.context.state.current_incident is None:
            return None
        return self.context.services.incident_query.get(self.context.state.current_incident)

    def _selected_incident_uids(self) -> tuple[str, ...]:
        """The incidents an action applies to: the table's selection, read now."""
        if self.context is None:
            return ()
        if self.workspace is not None:
            selected = self.workspace.incident_table.selected_uids()  # never a stale copy
            if selected:
                return selected
        selected = self.context.state.selected_incidents
        if selected:
            return selected
        current = self.context.state.current_incident
        return (current,) if current else ()

    def _run_commands(self, text: str, commands: Sequence[Any]) -> list[IncidentLogError]:
        """Push commands as one undo step; return the errors to show."""
        assert self.context is not None
        from incidentlog.gui.undo import push_command

        stack = self.context.undo_stack
        errors: list[IncidentLogError] = []
        if len(commands) == 1:
            error = push_command(stack, commands[0])
            return [error] if error else []
        stack.beginMacro(text)
        for command in commands:
            error = push_command(stack, command)
            if error is not None:
                errors.append(error)
        stack.endMacro()
        return errors

    def delete_selected(self) -> None:
        """Delete what is selected in the view on show, after asking (undoable)."""
        if self.workspace is None or self.read_only:
            return
        view = self.workspace.currentIndex()
        if view == INCIDENTS:
            self.delete_incidents(self._selected_incident_uids())
        elif view == SOURCES:
            self.delete_sources(self.workspace.sources_view.selected_uids())
        elif view == QUOTES:
            self.delete_quotes(self.workspace.quotes_view.selected_uids())

    def delete_incidents(self, uids: Sequence[str]) -> bool:
        if not uids or self.context is None or self.read_only:
            return False
        services = self.context.services
        incidents = [i for i in (services.incident_query.get(uid) for uid in uids) if i]
        if not incidents:
            return False
        if len(incidents) == 1:
            question = self.tr("Move the incident {0} “{1}” to the trash?").format(
                incidents[0].ref or "", incidents[0].title or "")
            text = self.tr("Delete incident {0}").format(incidents[0].ref or "")
        else:
            question = self.tr("Move {0} incidents to the trash?").format(len(incidents))
            text = self.tr("Delete {0} incidents").format(len(incidents))
        if not self._confirm(self.tr("Delete"), question + "\n\n" + self.tr(
                "Undo (Ctrl+Z) brings them back.")):
            return False
        self._move_current_past(uids)
        from incidentlog.gui.undo import DeleteRecordCommand

        commands = [DeleteRecordCommand(services.incidents, i.meta.uid or "", i.meta.version,
                                        self.tr("Delete incident {0}").format(i.ref or ""))
                    for i in incidents]
        return self._report(self._run_commands(text, commands))

    def _move_current_past(self, uids: Sequence[str]) -> None:
        """Before deleting the current incident, make the next row current."""
        if self.context is None or self.workspace is None:
            return
        if self.context.state.current_incident not in uids:
            return
        table = self.workspace.incident_table
        rows = table.selected_rows() or [table.currentIndex().row()]
        model = table.incident_model
        next_uid = model.uid_at(max(rows) + 1) or model.uid_at(min(rows) - 1)
        if next_uid in uids:
            next_uid = None
        self.context.state.set_current_incident(next_uid)

    def delete_sources(self, uids: Sequence[str]) -> bool:
        if not uids or self.context is None or self.read_only:
            return False
        services = self.context.services
        sources = [s for s in (services.sources.find(uid) for uid in uids) if s]
        if not sources:
            return False
        citing = {s.meta.uid: services.sources.citing(s.meta.uid or "") for s in sources}
        cited = [(s, citing[s.meta.uid]) for s in sources if citing[s.meta.uid]]
        if len(sources) == 1:
            question = self.tr("Move the source “{0}” to the trash?").format(sources[0].label)
        else:
            question = self.tr("Move {0} sources to the trash?").format(len(sources))
        if cited:
            lines = []
            for source, refs in cited:
                names = ", ".join(ref for _uid, ref, _title in refs[:10])
                more = self.tr(" and {0} more").format(len(refs) - 10) if len(refs) > 10 else ""
                lines.append(self.tr("“{0}” is cited by {1}{2}.").format(
                    source.label, names, more))
            question += "\n\n" + "\n".join(lines) + "\n\n" + self.tr(
                "Those incidents will no longer show it as a source.")
        if not self._confirm(self.tr("Delete"), question + "\n\n" + self.tr(
                "Undo (Ctrl+Z) brings it back.")):
            return False
        from incidentlog.gui.undo import DeleteRecordCommand

        commands = [DeleteRecordCommand(services.sources, s.meta.uid or "", s.meta.version,
                                        self.tr("Delete source {0}").format(s.label))
                    for s in sources]
        return self._report(self._run_commands(
            self.tr("Delete {0} sources").format(len(sources)), commands))

    def delete_quotes(self, uids: Sequence[str]) -> bool:
        if not uids or self.context is None or self.read_only:
            return False
        services = self.context.services
        quotes = [q for q in (services.quotes.find(uid) for uid in uids) if q]
        if not quotes:
            return False
        question = (self.tr("Move the quote {0} to the trash?").format(quotes[0].label)
                    if len(quotes) == 1
                    else self.tr("Move {0} quotes to the trash?").format(len(quotes)))
        if not self._confirm(self.tr("Delete"), question + "\n\n" + self.tr(
                "Undo (Ctrl+Z) brings it back.")):
            return False
        from incidentlog.gui.undo import DeleteRecordCommand

        commands = [DeleteRecordCommand(services.quotes, q.meta.uid or "", q.meta.version,
                                        self.tr("Delete quote {0}").format(q.label))
                    for q in quotes]
        return self._report(self._run_commands(
            self.tr("Delete {0} quotes").format(len(quotes)), commands))

    def set_status(self, status: Status, uids: Sequence[str] | None = None) -> bool:
        """Review action on the selected incidents (undoable, audited by the service)."""
        if self.context is None or self.read_only:
            return False
        from incidentlog.gui.undo import SetStatusCommand

        services = self.context.services
        chosen = uids if uids is not None else self._selected_incident_uids()
        incidents = [i for i in (services.incident_query.get(uid) for uid in chosen) if i]
        commands = [SetStatusCommand(services, i, status,
                                     self.tr("Mark {0} {1}").format(i.ref or "", status.label))
                    for i in incidents if i.status != status]
        if not commands:
            return False
        errors = self._run_commands(
            self.tr("Mark {0} incidents {1}").format(len(commands), status.label), commands)
        conflict = next((e for e in errors if isinstance(e, ConflictError)), None)
        if conflict is None:
            return self._report(errors)
        # Someone changed the incident between our read and our write (a shared log).
        choice = errors_module.ask_conflict(self, conflict)
        if choice is ConflictChoice.KEEP_MINE:
            return self.set_status(status, [conflict.uid])  # on top of their version
        if choice is ConflictChoice.RELOAD:
            from incidentlog.services import Changes

            self.context.bus.announce(Changes(incidents=frozenset({conflict.uid})))
        return False

    def _confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(
            self, title, question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def _report(self, errors: list[IncidentLogError]) -> bool:
        if errors:
            show_error(self, errors[0])
            return False
        return True

    # --- context menus ----------------------------------------------------------------
    def _incident_context_menu(self, pos: QPoint) -> None:
        if self.workspace is None:
            return
        table = self.workspace.incident_table
        if not table.indexAt(pos).isValid():
            return
        menu = self.incident_menu()
        menu.popup(table.viewport().mapToGlobal(pos))

    def incident_menu(self) -> QMenu:
        """Open, Set status ▸, Delete, Export selection… for the selected incidents."""
        menu = QMenu(self)
        menu.setObjectName("incidentContextMenu")
        open_action = menu.addAction(self.tr("&Open"))
        open_action.triggered.connect(lambda: self.workspace and
                                      self.workspace.focus_incident_form())
        status_menu = menu.addMenu(self.tr("Set s&tatus"))
        self._update_status_actions()
        status_menu.addActions(list(self.status_actions.values()))
        status_menu.setEnabled(not self.read_only)
        menu.addAction(self.actionDelete)
        menu.addSeparator()
        export = menu.addAction(self.tr("E&xport selection…"))
        export.triggered.connect(lambda: self.export_dialog(scope="selection"))
        return menu

    def _record_context_menu(self, browser: RecordBrowser, pos: QPoint) -> None:
        if not browser.table.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        menu.addAction(self.actionDelete)
        menu.popup(browser.table.viewport().mapToGlobal(pos))

    # --- exchange and backup ------------------------------------------------------------
    def export_dialog(self, scope: str | None = None) -> QDialog | None:
        if self.context is None:
            return None
        from incidentlog.gui.exchange_dialogs import ExportDialog

        dialog = ExportDialog(self.context, self, scope=scope)
        dialog.open()
        return dialog

    def import_dialog(self, path: Path | None = None) -> QDialog | None:
        """The import dialog; with ``path``, that file is checked at once (dry run)."""
        if self.context is None or self.read_only:
            return None
        from incidentlog.gui.exchange_dialogs import ImportDialog

        dialog = ImportDialog(self.context, self)
        dialog.open()
        if path is not None:
            dialog.file_edit.setText(str(path))
            dialog.check()
        return dialog

    def backup_dialog(self) -> None:
        if self.context is None:
            return
        from incidentlog.gui.exchange_dialogs import start_backup

        start_backup(self.context, self)

    # --- help -------------------------------------------------------------------------
    def show_user_guide(self) -> QDialog | None:
        path = user_guide_path()
        if path is None:
            QMessageBox.information(self, self.tr("User guide"), self.tr(
                "The user guide is docs/user-guide.md in incidentlog's source distribution."))
            return None
        dialog = QDialog(self)
        dialog.setObjectName("userGuide")
        dialog.setWindowTitle(self.tr("incidentlog user guide"))
        dialog.setAccessibleName(self.tr("User guide"))
        browser = QTextBrowser(dialog)
        browser.setOpenExternalLinks(True)
        browser.setMarkdown(path.read_text(encoding="utf-8"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        dialog.resize(820, 700)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_about(self) -> None:
        from PySide6 import __version__ as pyside_version

        location = self.context.services.database.location if self.context else "—"
        QMessageBox.about(self, self.tr("About incidentlog"), self.tr(
            "<h3>incidentlog {0}</h3>"
            "<p>Log security incidents reported in open sources: incidents, quotes and "
            "sources, offline, fast, safe.</p>"
            "<p>Database: {1}<br>Qt for Python {2}</p>").format(
                incidentlog.__version__, location, pyside_version))

    # --- first start ----------------------------------------------------------------------
    def offer_demo_data(self) -> bool:
        """First start: offer to fill the new, empty log with the demo data set."""
        if self.context is None or self.read_only:
            return False
        answer = QMessageBox.question(
            self, self.tr("Welcome to incidentlog"), self.tr(
                "Your incident log is empty. Load the demo data set (a few incidents of "
                "January–August 2024 with their quotes and sources) to try incidentlog out?"
                "\n\nYou can delete them later, or start a new log with File ▸ New database."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        from incidentlog.gui.exchange_dialogs import load_demo_data

        return load_demo_data(self.context, self)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.first_start:
            self.first_start = False
            QTimer.singleShot(0, self.offer_demo_data)
