"""Review in the window: the queue, an incident's discussion, review mode, review files.

View ▸ Review queue…, Edit ▸ Discussion…, Edit ▸ Two-person rule, File ▸ Open for
review…, File ▸ Send reviews… and File ▸ Import reviews… (docs/review.md). The
status bar says how many incidents wait for review, kept up to date as the log
changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QVBoxLayout

from incidentlog.domain.errors import IncidentLogError
from incidentlog.gui import plain_text
from incidentlog.gui.errors import show_error
from incidentlog.gui.operations import Latest, QueryOp
from incidentlog.gui.views import SOURCES
from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:
    from incidentlog.gui.context import AppContext
    from incidentlog.gui.main_window import MainWindow
    from incidentlog.gui.review_queue import ReviewQueueDialog
    from incidentlog.services import Changes


class ReviewWorkflow(Workflow):
    """The review actions of the window and the "waiting for review" count."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.queue_dialog: ReviewQueueDialog | None = None
        self._waiting_ops = Latest()
        window.contextChanged.connect(self._attach)

    @property
    def can_review(self) -> bool:
        """Comments and verdicts can be written: a log open, not read-only (review mode is)."""
        return self.context is not None and not self.context.services.read_only

    def _attach(self, context: AppContext | None) -> None:
        if context is not None:
            context.bus.changed.connect(self._changed)
        self.show_waiting()
        self.read_rule()

    def _changed(self, changes: Changes) -> None:
        if changes.incidents or changes.rows_changed:
            self.show_waiting()

    def show_waiting(self) -> None:
        """Count in the background (on a million incidents the count is a scan of an
        index, and it follows every save): the latest count asked for wins."""
        label = self.window.status_line.waiting_label
        context = self.context
        if context is None:
            self._waiting_ops.drop()
            label.clear()
            return
        review = context.services.review
        QueryOp(parent=label, op=lambda _cancelled: review.waiting_count(),
                success=self._show_count).failure(self._count_failed).latest_in(
            self._waiting_ops).run_in_background(context.runner)

    def _show_count(self, count: int) -> None:
        self.window.status_line.waiting_label.setText(
            self.tr("{0} waiting for review").format(count))

    def _count_failed(self, error: BaseException) -> None:
        if not isinstance(error, IncidentLogError):
            raise error
        self.window.status_line.waiting_label.clear()

    def show_queue(self, *, modal: bool = True) -> ReviewQueueDialog | None:
        """The queue as a dialog, worked from the keyboard; ``modal=False`` shows it beside
        the window and returns it."""
        if self.context is None:
            return None
        from incidentlog.gui.review_queue import ReviewQueueDialog

        dialog = ReviewQueueDialog(self.context.services, self.window)
        self.queue_dialog = dialog
        if not modal:
            dialog.show()
            return dialog
        dialog.exec()
        self.queue_dialog = None
        return None

    def show_discussion(self, uid: str | None = None, *, modal: bool = True) -> QDialog | None:
        """The comments and verdicts of the current incident, with reply and resolve (in
        the Sources view: the comments on the current source); ``modal=False`` shows it
        beside the window and returns it."""
        if self.context is None or self.window.workspace is None:
            return None
        source_uid = None
        if uid is None and self.window.workspace.currentIndex() == SOURCES:
            source_uid = self.window.workspace.sources_view.current_uid()
        uid = uid or self.context.state.current_incident
        if uid is None and source_uid is None:
            plain_text.information(self.window, self.tr("Discussion"),
                                   self.tr("Choose an incident first."))
            return None
        from incidentlog.gui.review_dialogs import DiscussionPanel

        dialog = QDialog(self.window)
        dialog.setObjectName("discussionDialog")
        dialog.setWindowTitle(self.tr("Discussion"))
        panel = DiscussionPanel(self.context.services, dialog)
        if source_uid is not None:
            panel.show_source(source_uid)
        else:
            panel.show_incident(uid)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(panel)
        layout.addWidget(buttons)
        dialog.resize(760, 460)
        if not modal:
            dialog.show()
            return dialog
        dialog.exec()
        return None

    def toggle_two_person_rule(self, on: bool) -> None:
        if self.context is None:
            return
        try:
            self.context.services.review.set_two_person_rule(on)
        except IncidentLogError as exc:
            show_error(self.window, exc)
        self.read_rule()

    def read_rule(self) -> None:
        """Check the action as the log's setting says: when a log opens, when the rule is
        switched, when the Edit menu shows it. Not on every selection (a read of the log
        on the window's thread, docs/performance.md)."""
        on = False
        if self.context is not None:
            try:
                on = self.context.services.review.two_person_rule
            except IncidentLogError:
                on = False
        action = self.window.actionTwoPersonRule
        action.blockSignals(True)
        action.setChecked(on)
        action.blockSignals(False)

    def update_rule_action(self) -> None:
        self.window.actionTwoPersonRule.setEnabled(self.context is not None
                                                   and not self.read_only)

    def open_for_review(self, path: str | Path | None = None) -> bool:
        """Open a copy of a log in review mode: facts read-only, reviews writable."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self.window, self.tr("Open a log for review"), "",
                self.tr("incidentlog databases (*.sqlite3 *.db);;All files (*)"))
            if not path:
                return False
        return self.window.open_database_file(path, review=True)

    def send_reviews(self, path: str | Path | None = None) -> Path | None:
        """Write this person's comments and verdicts to a review file (File ▸ Send reviews…)."""
        if self.context is None:
            return None
        from incidentlog.exchange.review_file import review_file_name, send_reviews

        services = self.context.services
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self.window, self.tr("Send reviews"), review_file_name(services.actor),
                self.tr("Review files (*.json)"))
            if not path:
                return None
        try:
            written, comments, verdicts = send_reviews(services, Path(path))
        except IncidentLogError as exc:
            show_error(self.window, exc)
            return None
        self.window.statusBar().showMessage(
            self.tr("{0}: {1} comments and {2} verdicts of {3}").format(
                written.name, comments, verdicts, services.actor), 10_000)
        return written

    def import_reviews(self, path: str | Path | None = None) -> str | None:
        """Bring a reviewer's file into this log; the report says what was not applied."""
        if self.context is None or self.read_only:
            return None
        from incidentlog.exchange.review_file import import_reviews

        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self.window, self.tr("Import reviews"), "", self.tr("Review files (*.json)"))
            if not path:
                return None
        try:
            report = import_reviews(self.context.services, Path(path))
        except IncidentLogError as exc:
            show_error(self.window, exc)
            return None
        summary = report.summary()
        if report.not_applied:
            plain_text.warning(self.window, self.tr("Reviews imported"), summary)
        else:
            self.window.statusBar().showMessage(summary.splitlines()[-1], 10_000)
        return summary
