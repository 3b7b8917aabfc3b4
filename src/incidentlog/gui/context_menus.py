"""The context menus of the window's three tables.

The incident table's menu holds what acts on the selected incidents (open, status,
delete, bulk edit, export of the selection); the sources' and quotes' tables offer
Delete. The actions are the window's own (gui/actions.py), so a menu entry and its
shortcut are one thing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from incidentlog.gui.main_window import MainWindow
    from incidentlog.gui.record_browser import RecordBrowser
    from incidentlog.gui.workspace import Workspace

__all__ = ["connect_context_menus", "incident_menu"]


def connect_context_menus(window: MainWindow, workspace: Workspace) -> None:
    table = workspace.incident_table
    table.customContextMenuRequested.connect(
        lambda pos: _popup_incident_menu(window, workspace, pos))
    for browser in (workspace.sources_view, workspace.quotes_view):
        browser.table.customContextMenuRequested.connect(
            lambda pos, browser=browser: _popup_record_menu(window, browser, pos))


def incident_menu(window: MainWindow) -> QMenu:
    """Open, Set status ▸, Delete, Export selection… for the selected incidents."""
    menu = QMenu(window)
    menu.setObjectName("incidentContextMenu")
    open_action = menu.addAction(menu.tr("&Open"))
    open_action.triggered.connect(
        lambda: window.workspace.focus_incident_form() if window.workspace else None)
    status_menu = menu.addMenu(menu.tr("Set s&tatus"))
    window.status_flow.update_actions()
    status_menu.addActions(list(window.status_actions.values()))
    status_menu.setEnabled(not window.read_only)
    menu.addAction(window.actionDelete)
    menu.addAction(window.actionBulkEdit)
    menu.addSeparator()
    export = menu.addAction(menu.tr("E&xport selection…"))
    export.triggered.connect(lambda: window.export_dialog(scope="selection"))
    return menu


def _popup_incident_menu(window: MainWindow, workspace: Workspace, pos: QPoint) -> None:
    table = workspace.incident_table
    if table.indexAt(pos).isValid():
        incident_menu(window).popup(table.viewport().mapToGlobal(pos))


def _popup_record_menu(window: MainWindow, browser: RecordBrowser, pos: QPoint) -> None:
    if not browser.table.indexAt(pos).isValid():
        return
    menu = QMenu(window)
    menu.addAction(window.actionDelete)
    menu.popup(browser.table.viewport().mapToGlobal(pos))
