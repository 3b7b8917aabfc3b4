"""Edit ▸ Actors…: the actors' vocabulary dialog (gui/actors_dialog.py), one at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:
    from incidentlog.gui.actors_dialog import ActorsDialog
    from incidentlog.gui.main_window import MainWindow


class ActorsWorkflow(Workflow):
    """Shows the dialog for the open log; a second call brings the same one forward."""

    dialog: ActorsDialog | None = None

    def show_actors(self, name: str | None = None) -> ActorsDialog | None:
        """The dialog, with the actor ``name`` (a name or an alias) chosen if given."""
        if self.context is None:
            return None
        from incidentlog.gui.actors_dialog import ActorsDialog  # not on the start path

        if self.dialog is None or self.dialog.context is not self.context:
            if self.dialog is not None:
                self.dialog.close()
                self.dialog.deleteLater()
            self.dialog = ActorsDialog(self.context, read_only=self.read_only,
                                       parent=self.window)
        else:
            self.dialog.reload()
        if name:
            self.dialog.choose(name)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog


def actors_flow(window: MainWindow) -> ActorsWorkflow:
    """The window's actors workflow, made on first use (it holds nothing until then)."""
    flow = window.findChild(ActorsWorkflow)
    return flow if isinstance(flow, ActorsWorkflow) else ActorsWorkflow(window)


def show_actors_from(widget: QWidget, name: str | None = None) -> ActorsDialog | None:
    """From a widget of the main window (the form's Actors section): the dialog, with the
    actor ``name`` chosen; None when the widget is not in a main window."""
    from incidentlog.gui.main_window import MainWindow

    window = widget.window()
    return actors_flow(window).show_actors(name) if isinstance(window, MainWindow) else None
