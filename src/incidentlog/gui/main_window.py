"""The main window: menus, toolbar, the incident/source/quote views and the status bar.

The window is built once; the *workspace* inside it (the views, built on one
``AppContext``) is rebuilt whenever another database is opened, and the old
context is closed, so nothing of the previous file lingers. The window owns
the actions (declared in ``gui/actions.py``), so that the menu, the toolbar and
the context menus share one enabled state: in read-only mode every edit action
is disabled in one place. What an action does in several steps is a workflow of
``gui/workflows/`` (delete, status, backups); the window assembles them.

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
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QShowEvent, QUndoGroup
from PySide6.QtWidgets import (
    QDialog,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QWidget,
)

from incidentlog.domain.enums import Status
from incidentlog.domain.errors import IncidentLogError, StorageError
from incidentlog.gui import help as help_module
from incidentlog.gui import plain_text, start_marks
from incidentlog.gui.actions import build_menus, build_toolbar, install_actions, make_action
from incidentlog.gui.context_menus import connect_context_menus, incident_menu
from incidentlog.gui.errors import show_error
from incidentlog.gui.icons import app_icon
from incidentlog.gui.settings import CURRENT_VIEW, Settings
from incidentlog.gui.start_pages import OpeningPage, WelcomePage
from incidentlog.gui.status_bar import StatusLine
from incidentlog.gui.views import INCIDENTS, QUOTES, SOURCES, TIMELINE
from incidentlog.gui.workflows.backups import BackupWorkflow
from incidentlog.gui.workflows.bulk_edit import BulkEditWorkflow
from incidentlog.gui.workflows.databases import DatabaseWorkflow
from incidentlog.gui.workflows.delete import DeleteWorkflow
from incidentlog.gui.workflows.exchange import ExchangeWorkflow
from incidentlog.gui.workflows.review import ReviewWorkflow
from incidentlog.gui.workflows.saved_views import SavedViewsWorkflow
from incidentlog.gui.workflows.status import StatusWorkflow
from incidentlog.gui.workflows.team import TeamWorkflow
from incidentlog.gui.workflows.trash import TrashWorkflow
from incidentlog.store.location import storage_warnings
from incidentlog.store.server_address import is_server

if TYPE_CHECKING:
    from incidentlog.gui.context import AppContext
    from incidentlog.gui.workspace import Workspace

__all__ = ["INCIDENTS", "QUOTES", "SOURCES", "TIMELINE", "MainWindow"]

#: Opens a database file (or a server's ``postgresql://…`` address) into a fresh context;
#: raises ``StorageError`` when it cannot.
ContextOpener = Callable[[Path | str, bool], "AppContext"]

OPEN_UNPAINTED_AFTER_MS = 1_000


class MainWindow(QMainWindow):
    """The application window; see the module docstring for how it is put together."""

    contextChanged = Signal(object)  # AppContext or None

    # Set by gui/actions.py:install_actions, one per entry of its tables.
    actionNewDatabase: QAction
    actionOpen: QAction
    actionOpenReadOnly: QAction
    actionConnectServer: QAction
    actionOpenForReview: QAction
    actionSendReviews: QAction
    actionImportReviews: QAction
    actionReviewQueue: QAction
    actionDiscussion: QAction
    actionTwoPersonRule: QAction
    actionImport: QAction
    actionImportTable: QAction
    actionExport: QAction
    actionAttach: QAction
    actionExportReport: QAction
    actionExportTimelineJS: QAction
    actionExportICalendar: QAction
    actionExportPackage: QAction
    actionBackup: QAction
    actionRestore: QAction
    actionBackupSettings: QAction
    actionQuit: QAction
    actionUndo: QAction
    actionRedo: QAction
    actionNewIncident: QAction
    actionNewSource: QAction
    actionNewQuote: QAction
    actionPastePost: QAction
    actionSave: QAction
    actionRevert: QAction
    actionDelete: QAction
    actionBulkEdit: QAction
    actionActors: QAction
    actionTrash: QAction
    actionSaveView: QAction
    actionManageViews: QAction
    actionFind: QAction
    actionUserGuide: QAction
    actionAbout: QAction
    status_actions: dict[Status, QAction]
    view_group: QActionGroup
    view_actions: list[QAction]
    #: Disabled in read-only mode (and with no database open).
    edit_actions: list[QAction]
    #: Need an open database, even a read-only one.
    database_actions: list[QAction]
    #: Write comments and verdicts: a writable log, or one in review mode.
    review_actions: list[QAction]

    def __init__(self, settings: Settings, opener: ContextOpener,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setAccessibleName(self.tr("incidentlog"))
        self.settings = settings
        self._opener = opener
        self.context: AppContext | None = None
        self.workspace: Workspace | None = None
        self.first_start = False
        #: An export the desktop asked to open (``incidentlog FILE``): offered for import.
        self.pending_import: Path | None = None
        self.undo_group = QUndoGroup(self)
        self.delete_flow: DeleteWorkflow = DeleteWorkflow(self)
        self.status_flow: StatusWorkflow = StatusWorkflow(self)
        self.backup_flow: BackupWorkflow = BackupWorkflow(self)
        self.database_flow: DatabaseWorkflow = DatabaseWorkflow(self)
        self.exchange_flow: ExchangeWorkflow = ExchangeWorkflow(self)
        self.trash_flow: TrashWorkflow = TrashWorkflow(self)
        self.bulk_edit_flow: BulkEditWorkflow = BulkEditWorkflow(self)
        self.saved_views_flow: SavedViewsWorkflow = SavedViewsWorkflow(self)
        self.team_flow: TeamWorkflow = TeamWorkflow(self)
        self.review_flow: ReviewWorkflow = ReviewWorkflow(self)

        self.stack = QStackedWidget(self)
        self.welcome = WelcomePage(self.database_flow.open_dialog,
                                   self.database_flow.new_database_dialog, self)
        self.stack.addWidget(self.welcome)
        #: (path, read-only, first start, file to offer for import) to open once painted
        self._pending_open: tuple[Path | str, bool, bool, Path | None] | None = None
        self.first_rows: QWidget | None = None  # the log's first rows while it opens
        self.opening_page = OpeningPage(self._opening_painted, self)
        start_marks.mark_on_paint(self.opening_page, "painted")
        self.stack.addWidget(self.opening_page)
        self.setCentralWidget(self.team_flow.wrap(self.stack))
        self.setWindowIcon(app_icon())
        install_actions(self)
        self._assemble_menus()
        self.toolbar = build_toolbar(self)
        self.status_line = StatusLine(self)
        self.count_label = self.status_line.count_label
        self._update_title()
        self._update_actions()

    # --- construction --------------------------------------------------------------
    def _assemble_menus(self) -> None:
        menus = build_menus(self)
        self.recent_menu = menus["menuRecent"]
        self.recent_menu.aboutToShow.connect(
            lambda: self.database_flow.fill_recent_menu(self.recent_menu))
        self.status_menu = menus["menuStatus"]
        self.status_menu.aboutToShow.connect(self.status_flow.update_actions)
        # The rule is the log's, which another user may switch: read when looked at.
        menus["menuEdit"].aboutToShow.connect(self.review_flow.read_rule)
        self.view_menu = menus["menuView"]
        self.timeline_menu = menus["menuTimeline"]
        self.saved_views_menu = menus["menuSavedViews"]
        self.saved_views_menu.aboutToShow.connect(
            lambda: self.saved_views_flow.fill_menu(self.saved_views_menu))

    # --- databases ------------------------------------------------------------------
    def open_database_file(self, path: str | Path, *, read_only: bool = False,
                           review: bool = False) -> bool:
        """Open ``path`` (or a server log's address) in place of the current database; on
        failure keep what was open.

        ``review``: review mode, the facts read-only, comments and verdicts writable.
        """
        if not self.maybe_leave_forms():
            return False
        if is_server(str(path)):
            return self.team_flow.open_server(str(path), read_only=read_only)
        try:
            context = self._opener(Path(path), read_only)
            context.services.database.review_only = review
        except IncidentLogError as exc:
            absolute = Path(path).expanduser().absolute()
            if isinstance(exc, StorageError) and self.backup_flow.offer_good_backup(absolute, exc):
                return self.open_database_file(path, read_only=read_only)
            show_error(self, exc)
            if isinstance(exc, StorageError):
                self.settings.remove_recent_database(str(absolute))
            return False
        self.set_context(context)
        self.settings.add_recent_database(path)
        location = context.services.database.path
        if location is not None:
            for warning in storage_warnings(location):
                plain_text.warning(self, self.tr("Where this database is"), warning)
        self.backup_flow.start_daily(context)
        return True

    def open_after_first_paint(self, path: Path | str, *, read_only: bool = False,
                               first_start: bool = False,
                               pending_import: Path | None = None) -> None:
        """Open ``path`` once the window has been painted (the start of the application).

        Importing the views and the data layer and opening the log take about a
        second on a large log; the window shows at once and says what it is
        opening meanwhile. ``first_start`` offers the demo data afterwards;
        ``pending_import`` offers that file for import.
        """
        self._pending_open = (path, read_only, first_start, pending_import)
        # A server log's address is shown without its password.
        where = path if isinstance(path, Path) else _without_password(path)
        name = path.name if isinstance(path, Path) else where
        self.opening_page.label.setText(
            self.tr("<h3>Opening {0}…</h3>").format(html.escape(str(name))))
        self.opening_page.setToolTip(str(where))
        self.stack.setCurrentWidget(self.opening_page)
        self.setWindowTitle(f"{name} — incidentlog")
        self.statusBar().showMessage(self.tr("Opening {0}…").format(where))
        # A window that is never painted (started minimized, on another desktop)
        # still opens its log.
        QTimer.singleShot(OPEN_UNPAINTED_AFTER_MS, self, self._open_pending)

    @property
    def opening(self) -> bool:
        """Whether the log the window starts on is still to be opened."""
        return self._pending_open is not None

    def _opening_painted(self) -> None:
        if self._pending_open is None or self.first_rows is not None:
            return
        path = self._pending_open[0]
        if isinstance(path, Path) and self.settings.get(CURRENT_VIEW) == INCIDENTS:
            from incidentlog.gui.first_rows import first_rows_page

            page = first_rows_page(path, self.settings, painted=self._first_rows_painted)
            if page is not None:
                self.first_rows = page
                self.stack.addWidget(page)
                self.stack.setCurrentWidget(page)
                return  # opened once the rows are painted
        # After this paint reaches the screen, not inside it.
        QTimer.singleShot(0, self, self._open_pending)

    def _first_rows_painted(self) -> None:
        start_marks.mark("rows")
        QTimer.singleShot(0, self, self._open_pending)

    def _drop_first_rows(self) -> None:
        page, self.first_rows = self.first_rows, None
        if page is not None:
            self.stack.removeWidget(page)
            page.deleteLater()

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

    def set_context(self, context: AppContext | None) -> None:
        """Show the views of ``context``; close the previous database cleanly."""
        self._close_context()
        self._drop_first_rows()
        self.context, self.workspace = context, None
        self.timeline_menu.clear()
        if context is not None:
            self._show_workspace(context)
        else:
            self.stack.setCurrentWidget(self.welcome)
            self.count_label.clear()
        self._update_title()
        self._update_actions()
        if context is not None:
            self.team_flow.attach(context)  # a server log: the others' work, the banner
        self.contextChanged.emit(context)

    def _close_context(self) -> None:
        old, old_workspace = self.context, self.workspace
        self.team_flow.detach()
        if old_workspace is not None:
            old_workspace.save_layout()
            self.stack.removeWidget(old_workspace)
            old_workspace.deleteLater()
        if old is not None:
            if old_workspace is not None:
                old_workspace.timeline.cancel_work()  # its slow reads stop within ~0.2 s
            self.undo_group.removeStack(old.undo_stack)
            old.close()

    def _show_workspace(self, context: AppContext) -> None:
        from incidentlog.gui.workspace import Workspace

        workspace = Workspace(context, self)
        self.workspace = workspace
        self.stack.addWidget(workspace)
        self.stack.setCurrentWidget(workspace)
        self.undo_group.addStack(context.undo_stack)
        if context.read_only:
            self.undo_group.setActiveStack(None)  # type: ignore[arg-type]  # None: no stack
        else:
            self.undo_group.setActiveStack(context.undo_stack)
        for form in workspace.forms():
            setter = getattr(form, "set_read_only", None)
            if callable(setter):
                setter(context.read_only)
        workspace.currentChanged.connect(self._view_changed)
        self.timeline_menu.addActions(workspace.timeline.actions_for_menu())
        self._connect_workspace(workspace)
        context.state.selectionChanged.connect(lambda _uids: self._update_actions())
        activated = getattr(workspace.sources_view.form, "incidentActivated", None)
        if activated is not None:  # "cited by" in the source form
            activated.connect(self.show_incident)
        model = workspace.incident_table.incident_model
        start_marks.mark_on_paint(workspace.incident_table.viewport(), "rows", "workspace",
                                  ready=lambda: model.rowCount() > 0)
        workspace.setCurrentIndex(min(self.settings.get(CURRENT_VIEW), workspace.count() - 1))
        self._view_changed(workspace.currentIndex())
        if workspace.currentIndex() == INCIDENTS:
            # Start in the table (arrows choose an incident), not on the view tabs' bar.
            workspace.incident_table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _connect_workspace(self, workspace: Workspace) -> None:
        """The counts in the status bar, Delete and the context menus of the three tables."""
        for model in (workspace.incident_table.incident_model,
                      workspace.sources_view.model, workspace.quotes_view.model):
            model.countsChanged.connect(self._show_counts)
            model.loadingChanged.connect(lambda _loading: self._show_counts())
            model.loadFailed.connect(self._load_failed)
        workspace.timeline.view.layoutChanged.connect(self._show_counts)
        for table in (workspace.incident_table, workspace.sources_view.table,
                      workspace.quotes_view.table):
            table.addAction(self.actionDelete)
        connect_context_menus(self, workspace)

    # --- state ------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.context is None or self.context.read_only

    def _update_title(self) -> None:
        self.status_line.show_database(self.context)
        if self.context is None:
            self.setWindowTitle("incidentlog")
            return
        location = self.context.services.database.location
        name = Path(location).name if self.context.services.database.path else location
        suffix = self.tr(" [read-only]") if self.context.read_only else ""
        if self.context.services.database.review_only:
            suffix = self.tr(" [review]")
        self.setWindowTitle(f"{name}{suffix} — incidentlog")

    def _update_actions(self) -> None:
        has_database = self.context is not None
        writable = has_database and not self.read_only
        for action in self.database_actions:
            action.setEnabled(has_database)
        for action in self.review_actions:
            action.setEnabled(self.review_flow.can_review)
        self.review_flow.update_rule_action()
        for action in self.edit_actions:
            if action in (self.actionUndo, self.actionRedo):
                continue  # the undo group enables them from the stack's state
            action.setEnabled(writable)
        if not writable:
            self.actionUndo.setEnabled(False)
            self.actionRedo.setEnabled(False)
        self.status_menu.setEnabled(writable and self._current_view() == INCIDENTS)
        # The post goes to the incident of the form, which only the Incidents view shows.
        self.actionPastePost.setEnabled(writable and self._current_view() == INCIDENTS)

    def _current_view(self) -> int:
        return self.workspace.currentIndex() if self.workspace is not None else -1

    def _view_changed(self, index: int) -> None:
        if 0 <= index < len(self.view_actions):
            self.view_actions[index].setChecked(True)
        self.settings.set(CURRENT_VIEW, index)
        if self.workspace is None:
            return
        from incidentlog.gui.record_browser import RecordBrowser

        current = self.workspace.currentWidget()
        if isinstance(current, RecordBrowser):
            current.ensure_loaded()  # sources and quotes load when first looked at
        self._show_counts()
        self._update_actions()

    def _show_counts(self, _shown: int = 0, _total: int = 0) -> None:
        self.status_line.show_counts(self.workspace)

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
        """Add a tab and its View-menu entry, above the View menu's separator."""
        if self.workspace is None:
            raise RuntimeError("no database is open")
        index = self.workspace.addTab(widget, title)
        action = make_action(self, action_name, title, lambda: self.show_view(index),
                             shortcut=shortcut)
        action.setCheckable(True)
        self.view_group.addAction(action)
        self.view_actions.append(action)
        separator = next(a for a in self.view_menu.actions() if a.isSeparator())
        self.view_menu.insertAction(separator, action)
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

    def paste_post(self) -> None:
        """Edit ▸ Paste post: the Quotes tab of the open incident does it."""
        if self.workspace is None or self.read_only or self._current_view() != INCIDENTS:
            return
        form = self.workspace.incident_form
        form.tabs.setCurrentWidget(form.quotes_tab)
        # The focus may be on a field of the tab just hidden: after the dialog it comes
        # back to the Quotes tab's button, beside the quote the paste made.
        form.quotes_tab.paste_button.setFocus(Qt.FocusReason.ShortcutFocusReason)
        form.quotes_tab.paste_post()

    def save_current(self) -> bool:
        if self.workspace is None or self.read_only:
            return False
        return bool(self._form_call(self.workspace.form(), "save"))

    def revert_current(self) -> None:
        if self.workspace is not None and not self.read_only:
            self._form_call(self.workspace.form(), "revert")

    def delete_incidents(self, uids: Sequence[str]) -> bool:
        return self.delete_flow.delete_incidents(uids)

    def set_status(self, status: Status, uids: Sequence[str] | None = None) -> bool:
        """Review action on the selected incidents (undoable, audited by the service)."""
        return self.status_flow.set_status(status, uids)

    def incident_menu(self) -> QMenu:
        """The incident table's context menu (gui/context_menus.py)."""
        return incident_menu(self)

    # --- exchange and backup ------------------------------------------------------------
    def export_dialog(self, scope: str | None = None) -> QDialog | None:
        return self.exchange_flow.export_dialog(scope)

    def import_dialog(self, path: Path | None = None) -> QDialog | None:
        return self.exchange_flow.import_dialog(path)

    def backup_settings_dialog(self) -> QDialog:
        return self.backup_flow.settings_dialog()

    def restore_dialog(self) -> QDialog | None:
        return self.backup_flow.restore_dialog()

    # --- help -------------------------------------------------------------------------
    def show_user_guide(self) -> QDialog | None:
        return help_module.show_user_guide(self)

    def show_about(self) -> None:
        location = self.context.services.database.location if self.context else "—"
        help_module.show_about(self, location)

    # --- first start ----------------------------------------------------------------------
    def offer_demo_data(self) -> bool:
        return self.exchange_flow.offer_demo_data()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.first_start:
            self.first_start = False
            QTimer.singleShot(0, self.offer_demo_data)


def _without_password(address: str) -> str:
    """``postgresql://user:secret@host/db`` as ``postgresql://user@host/db``."""
    return re.sub(r"://([^:@/]*):[^@/]*@", r"://\1@", address)
