"""Edit ▸ Set status: step the selected incidents through the review workflow.

Only the steps ``STATUS_TRANSITIONS`` allows from the current status are offered;
the change is one undo step, audited by the service. When someone else changed an
incident between our read and our write (a shared log), the person chooses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from incidentlog.domain.enums import STATUS_TRANSITIONS, Status
from incidentlog.domain.errors import ConflictError
from incidentlog.gui import errors as errors_module
from incidentlog.gui.errors import ConflictChoice
from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:
    from incidentlog.domain.records import Incident


class StatusWorkflow(Workflow):
    """Sets the review status of incidents and keeps the status actions' enabled state."""

    def set_status(self, status: Status, uids: Sequence[str] | None = None) -> bool:
        """Mark the given (default: the selected) incidents ``status`` (undoable)."""
        if self.context is None or self.read_only:
            return False
        from incidentlog.gui.undo import SetStatusCommand

        services = self.context.services
        chosen = uids if uids is not None else self.selected_incident_uids()
        incidents = [i for i in (services.incident_query.get(uid) for uid in chosen) if i]
        commands = [SetStatusCommand(services, i, status,
                                     self.tr("Mark {0} {1}").format(i.ref or "", status.label))
                    for i in incidents if i.status != status]
        if not commands:
            return False
        errors = self.run_commands(
            self.tr("Mark {0} incidents {1}").format(len(commands), status.label), commands)
        conflict = next((e for e in errors if isinstance(e, ConflictError)), None)
        if conflict is None:
            return self.report(errors)
        choice = errors_module.ask_conflict(self.window, conflict)
        if choice is ConflictChoice.KEEP_MINE:
            return self.set_status(status, [conflict.uid])  # on top of their version
        if choice is ConflictChoice.RELOAD:
            from incidentlog.services import Changes

            self.context.bus.announce(Changes(incidents=frozenset({conflict.uid})))
        return False

    def update_actions(self) -> None:
        """Offer only the review steps the workflow allows from the current status."""
        incident = self._current_incident()
        selected = self.context.state.selected_incidents if self.context else ()
        allowed = (STATUS_TRANSITIONS[incident.status]
                   if incident is not None and len(selected) <= 1 else set(Status))
        for status, action in self.window.status_actions.items():
            action.setEnabled(not self.read_only and status in allowed)

    def _current_incident(self) -> Incident | None:
        if self.context is None or self.context.state.current_incident is None:
            return None
        return self.context.services.incident_query.get(self.context.state.current_incident)
