"""View ▸ Saved views: save the incident table's filter, sort and columns under a name,
apply a saved one, rename or delete them (services/saved_views.py).

Views are stored in the log, so they travel with it (exports too). A stored view
this version cannot wholly read is applied with what could be read, and the
parts left out are named, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QVBoxLayout,
)

from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.saved_views import SavedView
from incidentlog.gui import plain_text
from incidentlog.gui.errors import show_error
from incidentlog.gui.views import INCIDENTS
from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:
    from incidentlog.gui.main_window import MainWindow


def _menu_text(name: str) -> str:
    return name.replace("&", "&&")  # a name's "&" is a character, not a mnemonic


class SavedViewsWorkflow(Workflow):
    """Save, apply, rename and delete the log's saved views."""

    #: The entries ``fill_menu`` added (one per saved view), replaced on each fill.
    entries: list[QAction]

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.entries = []

    # --- the current view -----------------------------------------------------------
    def current_view(self, name: str) -> SavedView | None:
        """The table's filter, sort and visible columns (in their order) under ``name``."""
        if self.context is None or self.workspace is None:
            return None
        table = self.workspace.incident_table
        model = table.incident_model
        header = table.horizontalHeader()
        columns = tuple(model.columns[header.logicalIndex(visual)].key
                        for visual in range(header.count())
                        if not header.isSectionHidden(header.logicalIndex(visual)))
        return SavedView(name=name, filter=self.context.state.filter,
                         sort=model.sort_order, columns=columns)

    def save_current_view(self, name: str | None = None) -> SavedView | None:
        """View ▸ Saved views ▸ Save current view…: asks for a name unless given one."""
        if self.context is None or self.read_only:
            return None
        if name is None:
            name, ok = QInputDialog.getText(self.window, self.tr("Save current view"),
                                            self.tr("Name of the view:"))
            if not ok:
                return None
        view = self.current_view(name)
        if view is None:
            return None
        try:
            stored = self.context.services.saved_views.create(view).record
        except IncidentLogError as exc:
            show_error(self.window, exc)
            return None
        self.window.statusBar().showMessage(
            self.tr("View “{0}” saved.").format(stored.label), 6000)
        return stored

    # --- applying -----------------------------------------------------------------------
    def apply_view(self, view: SavedView) -> None:
        """Show the incidents as ``view`` says; name what of it could not be read."""
        if self.context is None or self.workspace is None:
            return
        self.workspace.setCurrentIndex(INCIDENTS)
        table = self.workspace.incident_table
        if view.columns:
            self._show_columns(view.columns)
        else:
            table.reset_layout()
        number = table.incident_model.column_of_sort(view.sort.column)
        if number is not None:
            order = (Qt.SortOrder.DescendingOrder if view.sort.descending
                     else Qt.SortOrder.AscendingOrder)
            table.sortByColumn(number, order)
        self.context.state.set_filter(view.filter)
        self.window.statusBar().showMessage(
            self.tr("Showing the view “{0}”.").format(view.label), 6000)
        if view.problems:
            plain_text.warning(
                self.window, self.tr("Part of the view could not be read"),
                self.tr("The view “{0}” was applied without what this version cannot "
                        "read:").format(view.label) + "\n\n"
                + "\n".join(f"• {problem}" for problem in view.problems))

    def _show_columns(self, keys: tuple[str, ...]) -> None:
        assert self.workspace is not None
        table = self.workspace.incident_table
        model = table.incident_model
        header = table.horizontalHeader()
        known = [column.key for column in model.columns]
        for visual, key in enumerate(k for k in keys if k in known):
            number = known.index(key)
            header.moveSection(header.visualIndex(number), visual)
        for number, key in enumerate(known):
            header.setSectionHidden(number, key not in keys)

    # --- the menu -----------------------------------------------------------------------
    def fill_menu(self, menu: QMenu) -> None:
        """One entry per saved view, after the menu's fixed actions."""
        for action in self.entries:
            menu.removeAction(action)
            action.deleteLater()
        self.entries = []
        if self.context is None:
            return
        try:
            views = self.context.services.saved_views.list()
        except IncidentLogError as exc:
            show_error(self.window, exc)
            return
        for view in views:
            action = QAction(_menu_text(view.label), menu)
            action.setObjectName(f"savedView_{view.uid}")
            if view.problems:
                action.setStatusTip(self.tr("Part of this view cannot be read: {0}").format(
                    "; ".join(view.problems)))
            action.triggered.connect(lambda _checked=False, v=view: self.apply_view(v))
            menu.addAction(action)
            self.entries.append(action)
        if not views:
            placeholder = QAction(self.tr("No saved views yet"), menu)
            placeholder.setEnabled(False)
            menu.addAction(placeholder)
            self.entries.append(placeholder)

    # --- managing -----------------------------------------------------------------------
    def manage_dialog(self) -> QDialog | None:
        if self.context is None:
            return None
        dialog = ManageViewsDialog(self)
        dialog.open()
        return dialog

    def rename(self, view: SavedView, name: str | None = None) -> bool:
        if self.context is None or self.read_only or view.uid is None:
            return False
        if name is None:
            name, ok = QInputDialog.getText(self.window, self.tr("Rename view"),
                                            self.tr("New name:"), QLineEdit.EchoMode.Normal,
                                            view.label)
            if not ok:
                return False
        try:
            self.context.services.saved_views.rename(view.uid, name, view.meta.version)
        except IncidentLogError as exc:
            show_error(self.window, exc)
            return False
        return True

    def delete(self, view: SavedView) -> bool:
        if self.context is None or self.read_only or view.uid is None:
            return False
        answer = plain_text.question(
            self.window, self.tr("Delete view"),
            self.tr("Move the saved view “{0}” to the trash?\n\nView ▸ Trash… brings it "
                    "back.").format(view.label),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self.context.services.saved_views.delete(view.uid, view.meta.version)
        except IncidentLogError as exc:
            show_error(self.window, exc)
            return False
        return True


class ManageViewsDialog(QDialog):
    """View ▸ Saved views ▸ Manage…: the views by name, to rename or delete."""

    def __init__(self, flow: SavedViewsWorkflow) -> None:
        super().__init__(flow.window)
        self.setObjectName("manageViewsDialog")
        self.setWindowTitle(self.tr("Saved views"))
        self.resize(480, 360)
        self._flow = flow
        self.views: list[SavedView] = []
        self.list = QListWidget(self)
        self.list.setObjectName("savedViewList")
        self.list.setAccessibleName(self.tr("Saved views"))
        self.problems = plain_text.plain_label("", self)
        self.problems.setObjectName("savedViewProblems")
        self.problems.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.rename_button = buttons.addButton(self.tr("&Rename…"),
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.rename_button.setObjectName("renameViewButton")
        self.rename_button.clicked.connect(lambda: self._act(flow.rename))
        self.delete_button = buttons.addButton(self.tr("&Delete"),
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.delete_button.setObjectName("deleteViewButton")
        self.delete_button.clicked.connect(lambda: self._act(flow.delete))
        for button in (self.rename_button, self.delete_button):
            button.setAutoDefault(False)
            button.setVisible(not flow.read_only)
        self.list.currentRowChanged.connect(self._show_problems)
        self.list.itemActivated.connect(lambda _item: self._apply())
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        context = self._flow.context
        self.views = context.services.saved_views.list() if context is not None else []
        self.list.clear()
        for view in self.views:
            item = QListWidgetItem(view.label + (" ⚠" if view.problems else ""))
            self.list.addItem(item)
        if self.views:
            self.list.setCurrentRow(0)
        self._show_problems(self.list.currentRow())

    def current(self) -> SavedView | None:
        row = self.list.currentRow()
        return self.views[row] if 0 <= row < len(self.views) else None

    def _show_problems(self, row: int) -> None:
        view = self.views[row] if 0 <= row < len(self.views) else None
        self.problems.setText("\n".join(view.problems) if view is not None else "")
        for button in (self.rename_button, self.delete_button):
            button.setEnabled(view is not None)

    def _act(self, action: object) -> None:
        view = self.current()
        if view is not None and callable(action) and action(view):
            self.reload()

    def _apply(self) -> None:
        view = self.current()
        if view is not None:
            self._flow.apply_view(view)
