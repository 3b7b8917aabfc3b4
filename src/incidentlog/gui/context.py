"""The objects every window part is handed: services, shared state, undo stack, settings.

Built once by ``incidentlog.app``; no module-level globals. The table, the
timeline and the form share one filter and one current incident through
``SelectionState``; every committed change reaches them as one ``ChangeBus``
signal carrying a ``Changes`` record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from incidentlog.domain.query import IncidentFilter
from incidentlog.gui.settings import Settings
from incidentlog.gui.workers import TaskRunner
from incidentlog.services import Changes, Services


class ChangeBus(QObject):
    """Re-emits the services' change notifications as a Qt signal.

    A notification from a worker thread (an import) reaches the widgets through
    a queued connection, on the GUI thread.
    """

    changed = Signal(object)  # Changes

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        services.notifier.subscribe(self._forward)

    def _forward(self, changes: Changes) -> None:
        self.changed.emit(changes)

    def announce(self, changes: Changes) -> None:
        """Tell every view about changes made outside the services' use cases (an import)."""
        if not changes.empty:
            self.changed.emit(changes)

    def detach(self) -> None:
        self._services.notifier.unsubscribe(self._forward)


class SelectionState(QObject):
    """The filter and the current incident, shared by every incident view."""

    filterChanged = Signal(object)  # IncidentFilter
    currentIncidentChanged = Signal(object)  # uid (str) or None
    selectionChanged = Signal(object)  # tuple of uids

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter = IncidentFilter()
        self._current: str | None = None
        self._selected: tuple[str, ...] = ()

    @property
    def filter(self) -> IncidentFilter:
        return self._filter

    def set_filter(self, flt: IncidentFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.filterChanged.emit(flt)

    @property
    def current_incident(self) -> str | None:
        return self._current

    def set_current_incident(self, uid: str | None) -> None:
        if uid != self._current:
            self._current = uid
            self.currentIncidentChanged.emit(uid)

    @property
    def selected_incidents(self) -> tuple[str, ...]:
        return self._selected

    def set_selected_incidents(self, uids: tuple[str, ...]) -> None:
        if uids != self._selected:
            self._selected = uids
            self.selectionChanged.emit(uids)


@dataclass
class AppContext:
    """Handed to every window part instead of globals."""

    services: Services
    state: SelectionState
    bus: ChangeBus
    undo_stack: QUndoStack
    settings: Settings
    #: Where long work runs; tests hand in an ``ImmediateRunner`` or ``ManualRunner``.
    runner: TaskRunner = field(default_factory=TaskRunner)

    @property
    def read_only(self) -> bool:
        """The facts cannot be changed: opened read-only, or in review mode."""
        return self.services.read_only or self.services.database.review_only

    def close(self) -> None:
        """Let running work finish, stop listening, close the database (switching files)."""
        self.runner.wait()
        self.bus.detach()
        self.undo_stack.clear()
        self.services.database.close()
