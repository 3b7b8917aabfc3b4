"""The main window's actions, menus and toolbar, declared as tables.

Every action belongs to the window: its parent, and (unless declared otherwise)
its shortcut works anywhere in it. The menu, the toolbar and the context menus
add the same ``QAction``, so they share one enabled state. The window reaches
an action through the attribute named like its object name
(``window.actionSave``); ``install_actions`` sets those attributes.

Texts are translated in the ``MainWindow`` context, as ``MainWindow.tr`` would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from incidentlog.domain.enums import Status
from incidentlog.gui.icons import action_icon

if TYPE_CHECKING:
    from incidentlog.gui.main_window import MainWindow

__all__ = ["ACTIONS", "MENUS", "TOOLBAR", "ActionSpec", "MenuSpec", "build_menus",
           "build_toolbar", "install_actions", "make_action"]

Key = QKeySequence.StandardKey
Shortcut = Key | str | None
Slot = Callable[["MainWindow"], object]

#: In a menu or toolbar table: a separator.
SEPARATOR = "-"
#: In a menu table: the actions of a group, in order.
STATUS_GROUP = "@status"
VIEW_GROUP = "@views"


def attach_to_source(window: MainWindow) -> None:
    """File ▸ Attach…: files for the source the Sources view shows (it is brought forward)."""
    from incidentlog.gui.forms.source_form import SourceForm
    from incidentlog.gui.views import SOURCES

    if window.workspace is not None:
        window.workspace.setCurrentIndex(SOURCES)
        form = window.workspace.sources_view.form
        if isinstance(form, SourceForm):
            form.evidence.choose_files()


def _show_actors(window: MainWindow) -> object:
    from incidentlog.gui.workflows.actors import actors_flow

    return actors_flow(window).show_actors()


def N(text: str) -> str:
    """Marks a text of the tables for translation; it is translated when the action is made."""
    return text


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


@dataclass(frozen=True)
class ActionSpec:
    """One action: object name (and window attribute), text, what it does, how it is reached."""

    name: str
    text: str
    slot: Slot | None
    shortcut: Shortcut = None
    icon: str | None = None
    tip: str = ""
    #: False: the shortcut works only in the widgets the action is added to.
    window_wide: bool = True


@dataclass(frozen=True)
class MenuSpec:
    """A menu: object name, title, entries (action names, SEPARATOR, groups, submenus)."""

    name: str
    title: str
    entries: tuple[str | MenuSpec, ...] = ()


#: The window's actions, in the order they are made.
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("actionNewDatabase", N("&New database…"),
               lambda w: w.database_flow.new_database_dialog(),
               tip=N("Create an empty incident log in a new file")),
    ActionSpec("actionOpen", N("&Open…"), lambda w: w.database_flow.open_dialog(),
               shortcut=Key.Open, icon="open", tip=N("Open another incident log")),
    ActionSpec("actionOpenReadOnly", N("Open &read-only…"),
               lambda w: w.database_flow.open_dialog(read_only=True), icon="read-only",
               tip=N("Open a log to review it without any chance of changing it")),
    ActionSpec("actionConnectServer", N("Connect to a &team server…"),
               lambda w: w.team_flow.connect_dialog(),
               tip=N("Open a log kept on a PostgreSQL server, shared by the desk")),
    ActionSpec("actionOpenForReview", N("Open for re&view…"),
               lambda w: w.review_flow.open_for_review(),
               tip=N("Open a copy of a log to review it: the facts stay as they are; "
                     "comments and verdicts can be written")),
    ActionSpec("actionSendReviews", N("Send re&views…"), lambda w: w.review_flow.send_reviews(),
               tip=N("Write your comments and verdicts to a small file for the desk")),
    ActionSpec("actionImportReviews", N("Import revie&ws…"),
               lambda w: w.review_flow.import_reviews(),
               tip=N("Bring a reviewer's comments and verdicts into this log")),
    ActionSpec("actionReviewQueue", N("Review &queue…"), lambda w: w.review_flow.show_queue(),
               shortcut="Ctrl+Shift+R",
               tip=N("What waits for review, oldest first: verify, dispute, comment")),
    ActionSpec("actionDiscussion", N("D&iscussion…"), lambda w: w.review_flow.show_discussion(),
               shortcut="Ctrl+Shift+D",
               tip=N("The comments and verdicts of the open incident")),
    ActionSpec("actionTwoPersonRule", N("&Two-person rule"), None,
               tip=N("When on, whoever created or last edited an incident's facts cannot "
                     "verify it (a setting of this log)")),
    ActionSpec("actionImport", N("&Import…"), lambda w: w.import_dialog(), icon="import",
               tip=N("Merge a JSON export into this log")),
    ActionSpec("actionImportTable", N("Import from &CSV or spreadsheet…"),
               lambda w: w.exchange_flow.table_import_dialog(),
               tip=N("Read incidents from a CSV, .xlsx or .ods table (or an ACLED export) "
                     "through a column mapping")),
    ActionSpec("actionExport", N("&Export…"), lambda w: w.export_dialog(), icon="export",
               tip=N("Write the log, the filter or the selection to CSV or JSON")),
    ActionSpec("actionAttach", N("A&ttach to source…"), lambda w: attach_to_source(w),
               tip=N("Keep files (screenshots, PDFs, video…) with the source shown in Sources")),
    ActionSpec("actionExportReport", N("&Report (PDF or HTML)…"),
               lambda w: w.exchange_flow.export_dialog(fmt="pdf"),
               tip=N("Write a briefing of the filter or the selection: summary, timeline, "
                     "incidents with their quotes and sources")),
    ActionSpec("actionExportTimelineJS", N("&TimelineJS…"),
               lambda w: w.exchange_flow.export_dialog(fmt="timelinejs"),
               tip=N("Write the incidents as a TimelineJS document to publish")),
    ActionSpec("actionExportICalendar", N("i&Calendar…"),
               lambda w: w.exchange_flow.export_dialog(fmt="ics"),
               tip=N("Write the incidents as calendar events (.ics)")),
    ActionSpec("actionExportPackage", N("&Evidence package…"),
               lambda w: w.exchange_flow.export_dialog(fmt="package"),
               tip=N("Write the incidents, their sources and every file kept with them into "
                     "one ZIP with a SHA-256 manifest, for a colleague")),
    ActionSpec("actionBackup", N("&Backup…"), lambda w: w.backup_flow.backup(), icon="backup",
               tip=N("Write a verified copy of this database")),
    ActionSpec("actionRestore", N("&Restore from backup…"),
               lambda w: w.backup_flow.restore_dialog(),
               tip=N("Put a backup in place of this database (the current file is kept)")),
    ActionSpec("actionBackupSettings", N("Backup se&ttings…"),
               lambda w: w.backup_flow.settings_dialog(),
               tip=N("How many automatic backups of each kind are kept")),
    ActionSpec("actionQuit", N("&Quit"), lambda w: w.close(), shortcut=Key.Quit),
    ActionSpec("actionNewIncident", N("New &incident"), lambda w: w.new_incident(),
               shortcut=Key.New, icon="new-incident", tip=N("Log a new incident")),
    ActionSpec("actionNewSource", N("New &source"), lambda w: w.new_source(), icon="new-source",
               tip=N("Add a source (article, post, video…)")),
    ActionSpec("actionNewQuote", N("New &quote"), lambda w: w.new_quote(), icon="new-quote",
               tip=N("Add what someone said")),
    ActionSpec("actionPastePost", N("&Paste post…"), lambda w: w.paste_post(),
               shortcut="Ctrl+Shift+V",
               tip=N("Make the source and the quote of a copied post, for the open incident")),
    ActionSpec("actionSave", N("&Save"), lambda w: w.save_current(), shortcut=Key.Save,
               icon="save", tip=N("Save the open form")),
    ActionSpec("actionRevert", N("Re&vert"), lambda w: w.revert_current(),
               tip=N("Throw away the unsaved changes of the open form")),
    # Delete in a text field or a form's list is theirs.
    ActionSpec("actionDelete", N("&Delete"), lambda w: w.delete_flow.delete_selected(),
               shortcut=Key.Delete, icon="delete",
               tip=N("Move the selected records to the trash"), window_wide=False),
    ActionSpec("actionBulkEdit", N("Edit se&lection…"),
               lambda w: w.bulk_edit_flow.edit_selection(), shortcut="Ctrl+Shift+E",
               tip=N("Change tags, event type, country, status or confidence of the "
                     "selected incidents at once")),
    ActionSpec("actionActors", N("Act&ors…"), _show_actors, shortcut="Ctrl+Shift+A",
               tip=N("The actors' names and aliases: rename, add aliases, merge two into one")),
    ActionSpec("actionTrash", N("T&rash…"), lambda w: w.trash_flow.show_trash(),
               tip=N("The deleted incidents, sources and quotes: restore or purge them")),
    ActionSpec("actionSaveView", N("&Save current view…"),
               lambda w: w.saved_views_flow.save_current_view(),
               tip=N("Keep the incident table's filter, sort and columns under a name")),
    ActionSpec("actionManageViews", N("&Manage…"), lambda w: w.saved_views_flow.manage_dialog(),
               tip=N("Rename or delete saved views")),
    ActionSpec("actionFind", N("&Find"), lambda w: w.focus_search(), shortcut=Key.Find,
               icon="find", tip=N("Search the current view")),
    ActionSpec("actionUserGuide", N("User &guide"), lambda w: w.show_user_guide(),
               shortcut=Key.HelpContents),
    ActionSpec("actionAbout", N("&About incidentlog"), lambda w: w.show_about()),
)

#: The tabs' actions (View menu): object name and text; Ctrl+1… in this order.
VIEW_ACTIONS: tuple[tuple[str, str], ...] = (
    ("actionViewIncidents", N("&Incidents")),
    ("actionViewSources", N("&Sources")),
    ("actionViewQuotes", N("&Quotes")),
    ("actionViewTimeline", N("&Timeline")),
)

#: Disabled in read-only mode (and with no database open); the status actions too.
EDIT_ACTIONS: tuple[str, ...] = (
    "actionNewIncident", "actionNewSource", "actionNewQuote", "actionPastePost", "actionSave",
    "actionRevert",
    "actionDelete", "actionImport", "actionImportTable", "actionImportReviews", "actionRestore",
    "actionUndo", "actionRedo",
    "actionBulkEdit", "actionSaveView", "actionAttach")
#: Need a log whose comments and verdicts can be written (review mode too).
REVIEW_ACTIONS: tuple[str, ...] = ("actionSendReviews", "actionDiscussion")
#: Need an open database, even a read-only one; the view actions too.
DATABASE_ACTIONS: tuple[str, ...] = ("actionExport", "actionBackup", "actionFind",
                                     "actionTrash", "actionManageViews", "actionReviewQueue",
                                     "actionExportReport", "actionExportTimelineJS",
                                     "actionExportICalendar", "actionExportPackage",
                                     "actionActors")

MENUS: tuple[MenuSpec, ...] = (
    MenuSpec("menuFile", N("&File"), (
        "actionNewDatabase", "actionOpen", "actionOpenReadOnly", "actionOpenForReview",
        "actionConnectServer",
        MenuSpec("menuRecent", N("&Recent databases")), SEPARATOR,
        "actionImport", "actionImportTable", "actionExport",
        MenuSpec("menuExportAs", N("Export &as"), (
            "actionExportReport", "actionExportTimelineJS", "actionExportICalendar",
            "actionExportPackage")),
        "actionAttach", "actionBackup", "actionRestore", "actionBackupSettings",
        SEPARATOR, "actionSendReviews", "actionImportReviews", SEPARATOR, "actionQuit")),
    MenuSpec("menuEdit", N("&Edit"), (
        "actionUndo", "actionRedo", SEPARATOR,
        "actionNewIncident", "actionNewSource", "actionNewQuote", "actionPastePost", SEPARATOR,
        "actionSave", "actionRevert", "actionDelete", "actionBulkEdit", "actionActors",
        MenuSpec("menuStatus", N("Set s&tatus"), (STATUS_GROUP,)), "actionDiscussion",
        "actionTwoPersonRule", SEPARATOR, "actionFind")),
    MenuSpec("menuView", N("&View"), (
        VIEW_GROUP, SEPARATOR, MenuSpec("menuTimeline", N("Ti&meline")),
        MenuSpec("menuSavedViews", N("Saved &views"), (
            "actionSaveView", "actionManageViews", SEPARATOR)),
        SEPARATOR, "actionReviewQueue", "actionTrash")),
    MenuSpec("menuHelp", N("&Help"), ("actionUserGuide", "actionAbout")),
)

TOOLBAR: tuple[str, ...] = (
    "actionNewIncident", "actionSave", "actionDelete", SEPARATOR,
    "actionUndo", "actionRedo", SEPARATOR,
    "actionImport", "actionExport")


def make_action(window: MainWindow, name: str, text: str, slot: Callable[[], object] | None,
                *, shortcut: Shortcut = None, icon: str | None = None, tip: str = "",
                window_wide: bool = True) -> QAction:
    """One action of the window (``text`` and ``tip`` already translated)."""
    action = QAction(text, window)
    action.setObjectName(name)
    if isinstance(shortcut, QKeySequence.StandardKey):
        # Every binding of the platform (Redo is Ctrl+Y and Ctrl+Shift+Z on Linux).
        action.setShortcuts(shortcut)
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        action.setIcon(action_icon(icon, window.palette()))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    if slot is not None:
        action.triggered.connect(lambda _checked=False: slot())
    if window_wide:
        window.addAction(action)
    else:
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    return action


def _from_spec(window: MainWindow, spec: ActionSpec) -> QAction:
    slot = spec.slot
    return make_action(
        window, spec.name, _tr(spec.text), None if slot is None else lambda: slot(window),
        shortcut=spec.shortcut, icon=spec.icon, tip=_tr(spec.tip) if spec.tip else "",
        window_wide=spec.window_wide)


def _undo_redo(window: MainWindow) -> None:
    """Undo and Redo come from the undo group, which enables them from the active stack."""
    window.actionUndo = window.undo_group.createUndoAction(window, _tr("&Undo"))
    window.actionRedo = window.undo_group.createRedoAction(window, _tr("&Redo"))
    for action, name, key, icon, short in (
            (window.actionUndo, "actionUndo", Key.Undo, "undo", _tr("Undo")),
            (window.actionRedo, "actionRedo", Key.Redo, "redo", _tr("Redo"))):
        action.setObjectName(name)
        # The text grows to name the command ("Undo Mark IQ-2024-0001 in review"):
        # the toolbar button keeps this short label, its tooltip the whole text.
        action.setIconText(short)
        action.setShortcuts(key)
        action.setIcon(action_icon(icon, window.palette()))


def _status_actions(window: MainWindow) -> dict[Status, QAction]:
    def set_status(status: Status) -> Callable[[], object]:
        return lambda: window.status_flow.set_status(status)

    return {status: make_action(window, f"actionStatus_{status.value}",
                                status.label.capitalize(), set_status(status))
            for status in Status}


def _view_actions(window: MainWindow) -> list[QAction]:
    def show(number: int) -> Callable[[], object]:
        return lambda: window.show_view(number)

    actions = []
    for number, (name, text) in enumerate(VIEW_ACTIONS):
        action = make_action(window, name, _tr(text), show(number),
                             shortcut=f"Ctrl+{number + 1}")
        action.setCheckable(True)
        window.view_group.addAction(action)
        actions.append(action)
    actions[0].setChecked(True)
    return actions


def install_actions(window: MainWindow) -> None:
    """Make every action of the tables and set it as the window attribute of its name."""
    declared = {name for cls in type(window).__mro__
                for name in getattr(cls, "__annotations__", {})}
    for spec in ACTIONS:
        if spec.name not in declared:  # a typo in the table would be a silent attribute
            raise AttributeError(f"MainWindow declares no attribute {spec.name}")
        setattr(window, spec.name, _from_spec(window, spec))
    quit_action = window.actionQuit
    if quit_action.shortcut().isEmpty():  # some platforms bind no Quit key
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    window.actionAbout.setMenuRole(QAction.MenuRole.AboutRole)
    _undo_redo(window)
    window.status_actions = _status_actions(window)
    window.view_group = QActionGroup(window)
    window.view_actions = _view_actions(window)
    window.edit_actions = [getattr(window, name) for name in EDIT_ACTIONS]
    window.edit_actions += window.status_actions.values()
    window.review_actions = [getattr(window, name) for name in REVIEW_ACTIONS]
    window.actionTwoPersonRule.setCheckable(True)
    window.actionTwoPersonRule.toggled.connect(window.review_flow.toggle_two_person_rule)
    window.database_actions = [getattr(window, name) for name in DATABASE_ACTIONS]
    window.database_actions += window.view_actions


def _fill(window: MainWindow, menu: QMenu, spec: MenuSpec, menus: dict[str, QMenu]) -> None:
    for entry in spec.entries:
        if isinstance(entry, MenuSpec):
            submenu = menu.addMenu(_tr(entry.title))
            submenu.setObjectName(entry.name)
            menus[entry.name] = submenu
            _fill(window, submenu, entry, menus)
        elif entry == SEPARATOR:
            menu.addSeparator()
        elif entry == STATUS_GROUP:
            menu.addActions(list(window.status_actions.values()))
        elif entry == VIEW_GROUP:
            menu.addActions(window.view_actions)
        else:
            menu.addAction(getattr(window, entry))


def build_menus(window: MainWindow) -> dict[str, QMenu]:
    """The menu bar of ``MENUS``; returns every menu and submenu by object name."""
    bar = window.menuBar()
    bar.setAccessibleName(_tr("Menu bar"))
    menus: dict[str, QMenu] = {}
    for spec in MENUS:
        menu = bar.addMenu(_tr(spec.title))
        menu.setObjectName(spec.name)
        menus[spec.name] = menu
        _fill(window, menu, spec, menus)
    return menus


def build_toolbar(window: MainWindow) -> QToolBar:
    """The main toolbar of ``TOOLBAR``, added at the top of the window."""
    toolbar = QToolBar(_tr("Main toolbar"), window)
    toolbar.setObjectName("mainToolBar")
    toolbar.setAccessibleName(_tr("Main toolbar"))
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for entry in TOOLBAR:
        if entry == SEPARATOR:
            toolbar.addSeparator()
        else:
            toolbar.addAction(getattr(window, entry))
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    return toolbar
