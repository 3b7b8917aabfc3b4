"""View ▸ Trash: the deleted incidents, sources, quotes and saved views, to restore or purge.

The dialog only shows the trash and says what was chosen; restoring, purging and
emptying (with their questions) are the trash workflow's (gui/workflows/trash.py).
In read-only mode it lists the trash and offers nothing to change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.enums import TRASH_KINDS, RecordKind
from incidentlog.domain.records import Incident
from incidentlog.gui import plain_text

if TYPE_CHECKING:
    from incidentlog.services import Services

#: The kinds the Trash shows, in this order (a deleted saved view is restored from here too).
#: At most this many records of each kind are listed (the latest deleted first).
LISTED_PER_KIND = 1_000


@dataclass(frozen=True)
class TrashRow:
    kind: RecordKind
    uid: str
    label: str
    deleted_at: str
    deleted_by: str


def trash_label(record: Any) -> str:
    if isinstance(record, Incident):
        return " ".join(part for part in (record.ref, record.title) if part) or record.label
    return str(record.label)


def read_trash(services: Services) -> tuple[list[TrashRow], int]:
    """The rows to list (latest deleted first within each kind), and how many are in the trash."""
    rows: list[TrashRow] = []
    total = 0
    for kind in TRASH_KINDS:
        service = services.of_kind(kind)
        total += service.trash_count()
        page = service.trash(limit=LISTED_PER_KIND)
        rows += [TrashRow(kind, item.record.meta.uid or "", trash_label(item.record),
                          item.deleted_at, item.deleted_by) for item in page.items]
    return rows, total


class TrashDialog(QDialog):
    """The trash of the open log; ``restore``, ``purge`` and ``empty`` are handed in."""

    COLUMNS = ("Kind", "Record", "Deleted (UTC)", "By")

    def __init__(self, services: Services, *, read_only: bool,
                 restore: Callable[[Sequence[TrashRow]], object],
                 purge: Callable[[Sequence[TrashRow]], object],
                 empty: Callable[[], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trashDialog")
        self.setWindowTitle(self.tr("Trash"))
        self.resize(820, 460)
        self._services = services
        self.rows: list[TrashRow] = []
        self.summary = plain_text.plain_label("", self)
        self.summary.setObjectName("trashSummary")
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("trashTable")
        self.table.setAccessibleName(self.tr("Deleted records"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.restore_button = self._button(buttons, "restoreButton", self.tr("&Restore"),
                                           lambda: restore(self.selected()))
        self.purge_button = self._button(buttons, "purgeButton", self.tr("&Purge…"),
                                         lambda: purge(self.selected()))
        self.empty_button = self._button(buttons, "emptyTrashButton", self.tr("&Empty trash…"),
                                         empty)
        self._read_only = read_only
        for button in (self.restore_button, self.purge_button, self.empty_button):
            button.setVisible(not read_only)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.reload()

    def _button(self, box: QDialogButtonBox, name: str, text: str,
                slot: Callable[[], object]) -> QPushButton:
        button = box.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def reload(self) -> None:
        """Read the trash again (after a restore or a purge, or a change elsewhere)."""
        self.rows, total = read_trash(self._services)
        self.table.setRowCount(len(self.rows))
        for number, row in enumerate(self.rows):
            for column, text in enumerate((row.kind.label.capitalize(), row.label,
                                           row.deleted_at.replace("T", " ").rstrip("Z"),
                                           row.deleted_by)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.uid)
                self.table.setItem(number, column, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(2)
        if total == 0:
            text = self.tr("The trash is empty.")
        elif total > len(self.rows):
            text = self.tr("{0} records in the trash; the latest {1} deleted of each kind "
                           "are listed.").format(total, LISTED_PER_KIND)
        else:
            text = self.tr("{0} records in the trash.").format(total)
        if self._read_only:
            text += " " + self.tr("This log is open read-only: nothing can be restored or purged.")
        self.summary.setText(text)
        self._update_buttons()

    def selected(self) -> list[TrashRow]:
        return [self.rows[index.row()] for index in self.table.selectionModel().selectedRows()]

    def select_uids(self, uids: Sequence[str]) -> None:
        """Select the rows of ``uids`` (as a reviewer would by clicking)."""
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for number, row in enumerate(self.rows):
            if row.uid in uids:
                self.table.selectRow(number)
        self.table.setSelectionMode(mode)

    def _update_buttons(self) -> None:
        chosen = bool(self.table.selectionModel().selectedRows())
        self.restore_button.setEnabled(chosen)
        self.purge_button.setEnabled(chosen)
        self.empty_button.setEnabled(bool(self.rows))
