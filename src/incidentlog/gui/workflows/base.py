"""What every workflow of the main window shares: the window, the open log, one undo step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from incidentlog.domain.errors import IncidentLogError
from incidentlog.gui.errors import show_error

if TYPE_CHECKING:
    from incidentlog.gui.context import AppContext
    from incidentlog.gui.main_window import MainWindow
    from incidentlog.gui.workspace import Workspace


class Workflow(QObject):
    """A workflow of ``window``; the open log is the window's at the time of the call."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    @property
    def context(self) -> AppContext | None:
        return self.window.context

    @property
    def workspace(self) -> Workspace | None:
        return self.window.workspace

    @property
    def read_only(self) -> bool:
        return self.window.read_only

    def selected_incident_uids(self) -> tuple[str, ...]:
        """The incidents an action applies to: the table's selection, read now."""
        if self.context is None:
            return ()
        if self.workspace is not None:
            selected = self.workspace.incident_table.selected_uids()  # never a stale copy
            if selected:
                return selected
        selected = self.context.state.selected_incidents
        if selected:
            return selected
        current = self.context.state.current_incident
        return (current,) if current else ()

    def run_commands(self, text: str, commands: Sequence[Any]) -> list[IncidentLogError]:
        """Push commands as one undo step; return the errors to show."""
        assert self.context is not None
        from incidentlog.gui.undo import push_command

        stack = self.context.undo_stack
        errors: list[IncidentLogError] = []
        if len(commands) == 1:
            error = push_command(stack, commands[0])
            return [error] if error else []
        stack.beginMacro(text)
        for command in commands:
            error = push_command(stack, command)
            if error is not None:
                errors.append(error)
        stack.endMacro()
        return errors

    def report(self, errors: list[IncidentLogError]) -> bool:
        """Show the first error; True when there was none."""
        if errors:
            show_error(self.window, errors[0])
            return False
        return True
