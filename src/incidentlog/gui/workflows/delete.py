"""Edit ▸ Delete: ask, then move the selected incidents, sources or quotes to the trash.

One undo step per deletion (Undo brings the records back); deleting a cited source
names the incidents that cite it first.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox

from incidentlog.gui import plain_text
from incidentlog.gui.views import INCIDENTS, QUOTES, SOURCES
from incidentlog.gui.workflows.base import Workflow

#: How many citing incidents a source's deletion question names before "and n more".
NAMED_CITATIONS = 10


class DeleteWorkflow(Workflow):
    """Deletes what is selected in the view on show, after asking (undoable)."""

    def delete_selected(self) -> None:
        if self.workspace is None or self.read_only:
            return
        view = self.workspace.currentIndex()
        if view == INCIDENTS:
            self.delete_incidents(self.selected_incident_uids())
        elif view == SOURCES:
            self.delete_sources(self.workspace.sources_view.selected_uids())
        elif view == QUOTES:
            self.delete_quotes(self.workspace.quotes_view.selected_uids())

    def delete_incidents(self, uids: Sequence[str]) -> bool:
        if not uids or self.context is None or self.read_only:
            return False
        services = self.context.services
        incidents = [i for i in (services.incident_query.get(uid) for uid in uids) if i]
        if not incidents:
            return False
        if len(incidents) == 1:
            question = self.tr("Move the incident {0} “{1}” to the trash?").format(
                incidents[0].ref or "", incidents[0].title or "")
            text = self.tr("Delete incident {0}").format(incidents[0].ref or "")
        else:
            question = self.tr("Move {0} incidents to the trash?").format(len(incidents))
            text = self.tr("Delete {0} incidents").format(len(incidents))
        if not self._confirm(question + "\n\n" + self.tr("Undo (Ctrl+Z) brings them back.")):
            return False
        self._move_current_past(uids)
        from incidentlog.gui.undo import DeleteRecordCommand

        commands = [DeleteRecordCommand(services.incidents, i.meta.uid or "", i.meta.version,
                                        self.tr("Delete incident {0}").format(i.ref or ""))
                    for i in incidents]
        return self.report(self.run_commands(text, commands))

    def _move_current_past(self, uids: Sequence[str]) -> None:
        """Before deleting the current incident, make the next row current."""
        if self.context is None or self.workspace is None:
            return
        if self.context.state.current_incident not in uids:
            return
        table = self.workspace.incident_table
        rows = table.selected_rows() or [table.currentIndex().row()]
        model = table.incident_model
        next_uid = model.uid_at(max(rows) + 1) or model.uid_at(min(rows) - 1)
        if next_uid in uids:
            next_uid = None
        self.context.state.set_current_incident(next_uid)

    def delete_sources(self, uids: Sequence[str]) -> bool:
        if not uids or self.context is None or self.read_only:
            return False
        services = self.context.services
        sources = [s for s in (services.sources.find(uid) for uid in uids) if s]
        if not sources:
            return False
        if len(sources) == 1:
            question = self.tr("Move the source “{0}” to the trash?").format(sources[0].label)
        else:
            question = self.tr("Move {0} sources to the trash?").format(len(sources))
        lines = []
        for source in sources:
            refs = services.sources.citing(source.meta.uid or "")
            if not refs:
                continue
            names = ", ".join(ref for _uid, ref, _title in refs[:NAMED_CITATIONS])
            more = (self.tr(" and {0} more").format(len(refs) - NAMED_CITATIONS)
                    if len(refs) > NAMED_CITATIONS else "")
            lines.append(self.tr("“{0}” is cited by {1}{2}.").format(source.label, names, more))
        if lines:
            question += "\n\n" + "\n".join(lines) + "\n\n" + self.tr(
                "Those incidents will no longer show it as a source.")
        if not self._confirm(question + "\n\n" + self.tr("Undo (Ctrl+Z) brings it back.")):
            return False
        from incidentlog.gui.undo import DeleteRecordCommand

        commands = [DeleteRecordCommand(services.sources, s.meta.uid or "", s.meta.version,
                                        self.tr("Delete source {0}").format(s.label))
                    for s in sources]
        return self.report(self.run_commands(
            self.tr("Delete {0} sources").format(len(sources)), commands))

    def delete_quotes(self, uids: Sequence[str]) -> bool:
        if not uids or self.context is None or self.read_only:
            return False
        services = self.context.services
        quotes = [q for q in (services.quotes.find(uid) for uid in uids) if q]
        if not quotes:
            return False
        question = (self.tr("Move the quote {0} to the trash?").format(quotes[0].label)
                    if len(quotes) == 1
                    else self.tr("Move {0} quotes to the trash?").format(len(quotes)))
        if not self._confirm(question + "\n\n" + self.tr("Undo (Ctrl+Z) brings it back.")):
            return False
        from incidentlog.gui.undo import DeleteRecordCommand

        commands = [DeleteRecordCommand(services.quotes, q.meta.uid or "", q.meta.version,
                                        self.tr("Delete quote {0}").format(q.label))
                    for q in quotes]
        return self.report(self.run_commands(
            self.tr("Delete {0} quotes").format(len(quotes)), commands))

    def _confirm(self, question: str) -> bool:
        answer = plain_text.question(
            self.window, self.tr("Delete"), question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes
