"""The main window's status bar: rows shown of the view on show, the database file, READ-ONLY."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QMainWindow

from incidentlog.gui.plain_text import plain_label
from incidentlog.gui.views import INCIDENTS, SOURCES, TIMELINE

if TYPE_CHECKING:
    from incidentlog.gui.context import AppContext
    from incidentlog.gui.workspace import Workspace

READ_ONLY_BADGE_STYLE = (
    "QLabel#readOnlyBadge { background: #b91c1c; color: white; font-weight: bold;"
    " border-radius: 4px; padding: 1px 8px; }")


class StatusLine(QObject):
    """The permanent parts of ``window``'s status bar; messages come and go beside them."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        bar = window.statusBar()
        bar.setAccessibleName(self.tr("Status bar"))
        self.count_label = plain_label("", window)
        self.count_label.setObjectName("statusCount")
        self.count_label.setAccessibleName(self.tr("Rows shown"))
        self.database_label = plain_label("", window)  # a file name may hold anything
        self.database_label.setObjectName("statusDatabase")
        self.database_label.setAccessibleName(self.tr("Database file"))
        self.database_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_only_badge = QLabel(self.tr("READ-ONLY"), window)
        self.read_only_badge.setObjectName("readOnlyBadge")
        self.read_only_badge.setAccessibleName(self.tr("Read-only mode"))
        self.read_only_badge.setToolTip(self.read_only_reason())
        self.read_only_badge.setStyleSheet(READ_ONLY_BADGE_STYLE)
        self.read_only_badge.setVisible(False)
        #: Why the log is read-only when it is not the user's choice (a reader's login).
        self.read_only_reason_label = plain_label("", window)
        self.read_only_reason_label.setObjectName("readOnlyReason")
        self.read_only_reason_label.setVisible(False)
        self.waiting_label = plain_label("", window)
        self.waiting_label.setObjectName("statusWaiting")
        self.waiting_label.setAccessibleName(self.tr("Waiting for review"))
        bar.addWidget(self.count_label)
        bar.addPermanentWidget(self.waiting_label)
        bar.addPermanentWidget(self.database_label)
        bar.addPermanentWidget(self.read_only_reason_label)
        bar.addPermanentWidget(self.read_only_badge)

    def show_database(self, context: AppContext | None) -> None:
        """Where the open log is, and whether it is read-only."""
        self.read_only_reason_label.setVisible(False)
        if context is None:
            self.database_label.clear()
            self.read_only_badge.setVisible(False)
            return
        location = context.services.database.location
        self.database_label.setText(location)
        self.database_label.setToolTip(location)
        self.read_only_badge.setVisible(context.read_only)
        review = context.services.database.review_only
        self.read_only_badge.setText(self.tr("REVIEW MODE") if review else self.tr("READ-ONLY"))
        self.read_only_badge.setToolTip(
            self.tr("Review mode: the facts cannot be changed; comments and verdicts can.")
            if review else self.tr("This database is open read-only: nothing can be changed."))

    def read_only_reason(self) -> str:
        return self.tr("This database is open read-only: nothing can be changed.")

    def explain_read_only(self, reason: str) -> None:
        """Why the log is read-only, when it is not the user's choice (a reader's login)."""
        self.read_only_badge.setToolTip(reason)
        self.read_only_badge.setAccessibleDescription(reason)
        self.read_only_reason_label.setText(reason)
        self.read_only_reason_label.setVisible(True)

    def show_counts(self, workspace: Workspace | None) -> None:
        """"n of m incidents" (sources, quotes) for the view on show; what the timeline shows."""
        if workspace is None:
            return
        index = workspace.currentIndex()
        if index == TIMELINE:
            self.count_label.setText(workspace.timeline.view.shown_counts())
            return
        if index == INCIDENTS:
            model: Any = workspace.incident_table.incident_model
            text = self.tr("{0} of {1} incidents")
        elif index == SOURCES:
            model = workspace.sources_view.model
            text = self.tr("{0} of {1} sources")
        else:
            model = workspace.quotes_view.model
            text = self.tr("{0} of {1} quotes")
        if model.loading and not (model.provisional and model.counted):
            # A sort or a search on a large log, in the background.
            self.count_label.setText(self.tr("Loading…"))
            return
        counts = text.format(f"{model.matches:,}", f"{model.total:,}")
        if model.loading:  # the first page is shown, the rest of the rows still load
            counts = self.tr("{0} (loading the rest…)").format(counts)
        self.count_label.setText(counts)
