"""View ▸ Trash: list the deleted records; restore, purge or empty the trash, asking first.

Restoring is one transaction per kind; a purge is all or nothing (the service refuses
the whole purge, naming each record it may not purge: a source still cited, say), and
emptying purges what may be purged and says what stayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QMessageBox

from incidentlog.domain.enums import TRASH_KINDS, RecordKind
from incidentlog.domain.errors import IncidentLogError
from incidentlog.gui import plain_text
from incidentlog.gui.errors import show_error
from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:
    from incidentlog.gui.trash_dialog import TrashDialog, TrashRow

#: Sources first: only a source may be refused (still cited), and then nothing is purged.
PURGE_ORDER = (RecordKind.SOURCE, RecordKind.INCIDENT, RecordKind.QUOTE, RecordKind.SAVED_VIEW)


def _records(count: int) -> str:
    return "record" if count == 1 else "records"


class TrashWorkflow(Workflow):
    """The Trash dialog and what its buttons do."""

    dialog: TrashDialog | None = None

    def show_trash(self) -> QDialog | None:
        if self.context is None:
            return None
        if self.dialog is not None:
            self.dialog.close()
        from incidentlog.gui.trash_dialog import TrashDialog  # not on the start path

        self.dialog = TrashDialog(self.context.services, read_only=self.read_only,
                                  restore=self.restore, purge=self.purge, empty=self.empty,
                                  parent=self.window)
        self.dialog.open()
        return self.dialog

    def restore(self, rows: Sequence[TrashRow]) -> int:
        """Take ``rows`` out of the trash; returns how many were restored."""
        if not rows or self.context is None or self.read_only:
            return 0
        restored = 0
        try:
            for kind in TRASH_KINDS:
                uids = [row.uid for row in rows if row.kind == kind]
                if uids:
                    restored += len(self.context.services.of_kind(kind).restore_many(uids).record)
        except IncidentLogError as exc:
            show_error(self.window, exc)
        self._after(self.tr("{0} {1} restored.").format(restored, _records(restored)))
        return restored

    def purge(self, rows: Sequence[TrashRow]) -> int:
        """Delete ``rows`` for good after asking; returns how many were purged."""
        if not rows or self.context is None or self.read_only:
            return 0
        question = self.tr("Delete {0} {1} for good?").format(len(rows), _records(len(rows)))
        named = "\n".join(f"• {row.kind.label}: {row.label}" for row in rows[:10])
        more = self.tr("\n… and {0} more").format(len(rows) - 10) if len(rows) > 10 else ""
        warning = self.tr("This cannot be undone.")
        if not self._confirm(self.tr("Purge"), f"{question}\n\n{named}{more}\n\n{warning}"):
            return 0
        purged = 0
        try:
            for kind in PURGE_ORDER:
                uids = [row.uid for row in rows if row.kind == kind]
                if uids:
                    purged += self.context.services.of_kind(kind).purge_many(uids).record
        except IncidentLogError as exc:
            plain_text.warning(self.window, self.tr("Not purged"), exc.message)
        self._after(self.tr("{0} {1} deleted for good.").format(purged, _records(purged)))
        return purged

    def empty(self) -> int:
        """Purge the whole trash after asking; what may not be purged yet stays."""
        if self.context is None or self.read_only:
            return 0
        services = self.context.services
        total = sum(services.of_kind(kind).trash_count() for kind in TRASH_KINDS)
        if total == 0:
            return 0
        question = self.tr("Delete all {0} {1} in the trash for good?\n\nThis cannot be "
                           "undone.").format(total, _records(total))
        if not self._confirm(self.tr("Empty trash"), question):
            return 0
        purged = 0
        try:
            for kind in TRASH_KINDS:
                purged += services.of_kind(kind).empty_trash().record
        except IncidentLogError as exc:
            show_error(self.window, exc)
        left = total - purged
        message = self.tr("{0} {1} deleted for good.").format(purged, _records(purged))
        if left:
            message += " " + self.tr("{0} stayed in the trash: sources still cited by live "
                                     "records cannot be purged yet.").format(left)
            plain_text.information(self.window, self.tr("Empty trash"), message)
        self._after(message)
        return purged

    def _after(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 8000)
        if self.dialog is not None:
            self.dialog.reload()

    def _confirm(self, title: str, question: str) -> bool:
        answer = plain_text.question(
            self.window, title, question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes
