"""View ▸ Review queue: what waits for review, oldest first, worked from the keyboard.

N (or the arrows) moves to the next incident, V verifies it with a reason, D
disputes it with a reason, C comments on it, O sends it back to draft; the
discussion of the chosen incident is beside the list (docs/review.md).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.enums import Status
from incidentlog.gui.plain_text import plain_label
from incidentlog.gui.review_dialogs import DiscussionPanel, ask_comment, ask_verdict
from incidentlog.services import Services

__all__ = ["ReviewQueueDialog"]


class ReviewQueueDialog(QDialog):
    """The review queue and the discussion of the incident chosen in it."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewQueue")
        self.setWindowTitle(self.tr("Review queue"))
        self.services = services
        self.uids: list[str] = []
        self.table = QTableWidget(0, 7, self)
        self.table.setObjectName("queueTable")
        self.table.setAccessibleName(self.tr("Incidents waiting for review"))
        self.table.setHorizontalHeaderLabels([
            self.tr("Ref"), self.tr("Occurred"), self.tr("Title"), self.tr("Entered by"),
            self.tr("Sources"), self.tr("Preserved"), self.tr("Open")])
        for column, tip in ((5, self.tr("Cited sources with an archived copy or a file hash")),
                            (6, self.tr("Comments not yet resolved"))):
            header_item = self.table.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # The title takes what the short columns leave: every column fits at 1024 px.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(lambda row, *_: self._show_row(row))
        self.discussion = DiscussionPanel(services, self)
        self.discussion.changed.connect(self.reload)
        self.summary = plain_label("", self)
        self.summary.setObjectName("queueSummary")
        keys = plain_label(self.tr(
            "N next · V verify · D dispute · C comment · O back to draft"), self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.discussion)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([620, 420])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary)
        bottom.addStretch(1)
        bottom.addWidget(keys)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        layout.addWidget(close)
        writable = not services.read_only
        for name, key, slot in (
            ("actionQueueNext", "N", self.next_incident),
            ("actionQueueVerify", "V", lambda: self.decide(Status.VERIFIED)),
            ("actionQueueDispute", "D", lambda: self.decide(Status.DISPUTED)),
            ("actionQueueComment", "C", self.comment),
            ("actionQueueReopen", "O", lambda: self.decide(Status.DRAFT)),
        ):
            action = QAction(self)
            action.setObjectName(name)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setEnabled(writable or name == "actionQueueNext")
            action.triggered.connect(slot)
            self.addAction(action)
        # Wide enough for queue and discussion side by side, never wider than the window.
        width = parent.width() - 40 if parent is not None else 1100
        self.resize(max(720, min(1100, width)), 600)
        self.reload()
        self.table.setFocus()

    def reload(self, keep_row: int | None = None) -> None:
        """Read the queue again; stay on the same incident, or on ``keep_row``."""
        current = self.current_uid()
        queue = self.services.review.queue()
        self.uids = [item.uid for item in queue]
        self.table.blockSignals(True)
        self.table.setRowCount(len(queue))
        for row, item in enumerate(queue):
            cells = [item.ref, item.occurred_at[:10], item.title, item.entered_by,
                     str(item.sources), str(item.preserved), str(item.open_comments)]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text if column == 2 else "")
                self.table.setItem(row, column, cell)
        self.table.blockSignals(False)
        self.summary.setText(self.tr("{0} waiting for review").format(len(queue)))
        if keep_row is None and current in self.uids:
            keep_row = self.uids.index(current)
        row = min(keep_row or 0, len(self.uids) - 1)
        if row >= 0:
            self.table.setCurrentCell(row, 0)
        self._show_row(row)

    def current_uid(self) -> str | None:
        row = self.table.currentRow()
        return self.uids[row] if 0 <= row < len(self.uids) else None

    def _show_row(self, row: int) -> None:
        self.discussion.show_incident(self.uids[row] if 0 <= row < len(self.uids) else None)

    def next_incident(self) -> None:
        row = self.table.currentRow()
        if row + 1 < len(self.uids):
            self.table.setCurrentCell(row + 1, 0)

    def decide(self, status: Status) -> None:
        uid = self.current_uid()
        if uid is None:
            return
        row = self.table.currentRow()
        if ask_verdict(self, self.services, uid, status) is not None:
            self.reload(keep_row=row)  # it left the queue: the next one takes its row
        self._back_to_list()

    def comment(self) -> None:
        uid = self.current_uid()
        if uid is not None and ask_comment(self, self.services, incident_uid=uid):
            self.reload()
        self._back_to_list()

    def _back_to_list(self) -> None:
        """After a dialog: the keys work on the list again."""
        self.activateWindow()
        self.table.setFocus()
