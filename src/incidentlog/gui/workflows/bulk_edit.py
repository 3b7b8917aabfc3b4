"""Edit ▸ Edit selection…: one change to several incidents, as one undo step.

The selection is read with the versions the window shows, so a record someone
else saved meanwhile is reported and left as it is, not overwritten; records the
review workflow or the trash refuse are named too (services/bulk_edit.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog

from incidentlog.domain.errors import IncidentLogError
from incidentlog.gui import plain_text
from incidentlog.gui.errors import show_error
from incidentlog.gui.views import INCIDENTS
from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:  # the data layer is imported when first used (gui/main_window.py)
    from incidentlog.services.bulk_edit import BulkChange, BulkResult, Selected

#: Fewer than this many selected incidents is not a bulk edit (the form edits one).
MIN_SELECTION = 2


class BulkEditWorkflow(Workflow):
    """Asks for the change, applies it as one command, and says what was not changed."""

    def selection(self) -> list[Selected]:
        """The selected incidents with the version the window read."""
        if self.context is None:
            return []
        from incidentlog.services.bulk_edit import Selected

        query = self.context.services.incident_query
        found = (query.get(uid) for uid in self.selected_incident_uids())
        return [Selected(i.meta.uid or "", i.meta.version) for i in found if i is not None]

    def edit_selection(self) -> QDialog | None:
        if self.context is None or self.workspace is None or self.read_only:
            return None
        if self.workspace.currentIndex() != INCIDENTS:
            self.workspace.setCurrentIndex(INCIDENTS)
        selection = self.selection()
        if len(selection) < MIN_SELECTION:
            plain_text.information(self.window, self.tr("Edit selection"), self.tr(
                "Select two incidents or more in the table (Shift or Ctrl and click, or "
                "Ctrl+A for all), then choose Edit selection again."))
            return None
        from incidentlog.gui.bulk_edit_dialog import BulkEditDialog

        services = self.context.services
        dialog = BulkEditDialog(len(selection), services.incident_query.distinct("event_type"),
                                services.incidents.tags_in_use(), self.window)
        dialog.accepted.connect(lambda: self.apply(selection, dialog.change()))
        dialog.open()
        return dialog

    def apply(self, selection: list[Selected], change: BulkChange) -> BulkResult | None:
        """Apply ``change`` as one undo step; report what was not changed. None on refusal."""
        if self.context is None or self.read_only or change.is_empty:
            return None
        from incidentlog.services.bulk_edit import checked_change

        try:
            checked_change(change)  # an invalid change is refused before the undo stack
        except IncidentLogError as exc:
            show_error(self.window, exc)
            return None
        from incidentlog.gui.undo import BulkEditCommand

        command = BulkEditCommand(self.context.services, selection, change,
                                  self.tr("Edit {0} incidents").format(len(selection)))
        errors = self.run_commands(command.text(), [command])
        if not self.report(errors):
            return None
        result: BulkResult = command.result
        self.window.statusBar().showMessage(result.summary(), 10_000)
        if result.conflicts or result.refused:
            plain_text.warning(self.window, self.tr("Some incidents were not changed"),
                               self._not_changed(result))
        return result

    def _not_changed(self, result: BulkResult) -> str:
        lines = [result.summary(), ""]
        for conflict in result.conflicts:
            lines.append(self.tr("• {0}: changed by {1} at {2} since you selected it").format(
                conflict.label, conflict.changed_by or self.tr("someone else"),
                conflict.changed_at or "?"))
        for refusal in result.refused:
            lines.append(f"• {refusal.label}: {refusal.message}")
        return "\n".join(lines)
