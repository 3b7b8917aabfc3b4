"""How the timeline view answers the mouse, the wheel and the keyboard (``Navigator``).

A drag pans (and scrolls the lanes), the wheel zooms around the pointer
(Shift or a sideways wheel pans, Alt scrolls the lanes), a click selects,
a double-click opens an incident or edits a period, + and - zoom, the arrows
pan, Enter opens the current incident; the context menu offers the periods.
The view's event handlers hand each event here and fall back to Qt's when
it is not one of these.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QMenu

from incidentlog.domain.when import zone
from incidentlog.gui.timeline.layout import Placed, PlacedQuote
from incidentlog.gui.timeline.tooltips import (
    band_tooltip,
    density_tooltip,
    incident_tooltip,
    period_tooltip,
    quote_tooltip,
)
from incidentlog.services.timeline import from_epoch

if TYPE_CHECKING:
    from incidentlog.gui.timeline.view import TimelineView

ZOOM_STEP = 1.25


class Navigator:
    """The pointer and keyboard of one view; each method says whether it took the event."""

    def __init__(self, view: TimelineView) -> None:
        self._view = view
        self._press: QPointF | None = None
        self._dragging = False

    def wheel(self, event: QWheelEvent) -> bool:
        view = self._view
        delta = event.angleDelta()
        modifiers = event.modifiers()
        if modifiers & Qt.KeyboardModifier.AltModifier:
            return False  # Alt + wheel: scroll the lanes
        if abs(delta.x()) > abs(delta.y()) or modifiers & Qt.KeyboardModifier.ShiftModifier:
            amount = delta.x() if abs(delta.x()) > abs(delta.y()) else delta.y()
            view.pan_by(amount / 120 * view.viewport().width() / 10)
        elif delta.y():
            view.zoom_by((1 / ZOOM_STEP) ** (delta.y() / 120), event.position().x())
        event.accept()
        return True

    def press(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        self._press = event.position()
        self._dragging = False
        self._view.setFocus(Qt.FocusReason.MouseFocusReason)
        event.accept()
        return True

    def move(self, event: QMouseEvent) -> bool:
        if self._press is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return False
        view = self._view
        moved = event.position() - self._press
        if self._dragging or abs(moved.x()) + abs(moved.y()) > 4:
            if not self._dragging:
                view.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            self._dragging = True
            self._press = event.position()
            scroll = view.verticalScrollBar()
            scroll.setValue(int(scroll.value() - moved.y()))
            view.pan_by(moved.x())
        event.accept()
        return True

    def release(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return False
        was_dragging = self._dragging
        self._press = None
        self._dragging = False
        self._view.viewport().unsetCursor()
        if not was_dragging:
            self._click(event.position())
        event.accept()
        return True

    def _click(self, pos: QPointF) -> None:
        found = self._view.hit(pos)
        uid: str | None = None
        if isinstance(found, Placed):
            uid = found.item.uid
        elif isinstance(found, PlacedQuote):
            uid = found.quote.incident_uid
        if uid is None:
            return
        self._view.select(uid)

    def double_click(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        view = self._view
        pos = event.position()
        found = view.hit(pos)
        if isinstance(found, Placed):
            view.select(found.item.uid)
            view.openIncidentRequested.emit(found.item.uid)
        elif isinstance(found, PlacedQuote) and found.quote.incident_uid:
            view.openIncidentRequested.emit(found.quote.incident_uid)
        elif pos.y() < view.header_height():
            period = view.period_at(pos)
            if period is not None:
                view.edit_period(period)
        event.accept()
        return True

    def key(self, event: QKeyEvent) -> bool:
        view = self._view
        key = event.key()
        modifiers = event.modifiers()
        width = view.viewport().width()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            view.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            view.zoom_out()
        elif key == Qt.Key.Key_0 and modifiers & Qt.KeyboardModifier.ControlModifier:
            view.fit_all()
        elif key == Qt.Key.Key_Left:
            view.pan_by(width / 8)
        elif key == Qt.Key.Key_Right:
            view.pan_by(-width / 8)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            uid = view.context.state.current_incident
            if uid:
                view.openIncidentRequested.emit(uid)
        else:
            return False
        event.accept()
        return True

    def tooltip(self, pos: QPointF) -> str | None:
        """What a hover at a viewport point tells (None: nothing there)."""
        view = self._view
        found = view.hit(pos)
        if isinstance(found, Placed):
            return incident_tooltip(found.item)
        if isinstance(found, PlacedQuote):
            return quote_tooltip(found.quote)
        layout = view.layout_data
        y = view.to_scene(pos).y()
        if layout is not None and layout.density is not None:
            text = density_tooltip(layout, view.time_scale.t(pos.x()), y, view.time_zone)
            if text:
                return text
        if layout is not None and layout.data is not None and layout.data.items is not None:
            text = band_tooltip(layout, y)
            if text:
                return text
        period = view.period_at(pos)
        return period_tooltip(period) if period is not None else None

    def zoom_to_selection(self) -> bool:
        """Fit the selected incidents (or the current one); False when there is none."""
        view = self._view
        state = view.context.state
        uids = list(state.selected_incidents) or (
            [state.current_incident] if state.current_incident else [])
        spans = [span for span in (self.interval_of(uid) for uid in uids[:500]) if span]
        if not spans:
            return False
        start = min(span[0] for span in spans)
        end = max(span[1] for span in spans)
        span = max(end - start, 2 * 3600.0)
        middle = (start + end) / 2
        view.set_visible_window(from_epoch(middle - span * 0.6), from_epoch(middle + span * 0.6))
        return True

    def interval_of(self, uid: str) -> tuple[float, float] | None:
        """Epoch seconds of an incident's start and end (drawn or read)."""
        layout = self._view.layout_data
        if layout is not None and uid in layout.by_uid:
            item = layout.by_uid[uid].item
            return item.start, item.end
        incident = self._view.context.services.incident_query.get(uid)
        if incident is None or incident.occurred is None:
            return None
        start, end = incident.occurred.interval()
        return start.timestamp(), end.timestamp()

    def context_menu(self, pos: QPointF) -> QMenu:
        """Open the incident, new, edit, delete or zoom to a period, fit all."""
        view = self._view
        menu = QMenu(view)
        found = view.hit(pos)
        if isinstance(found, Placed):
            uid = found.item.uid
            menu.addAction(_tr("Open %1").replace("%1", found.item.ref),
                           lambda: view.openIncidentRequested.emit(uid))
            menu.addSeparator()
        period = view.period_at(pos)
        writable = not view.context.read_only
        day = datetime.fromtimestamp(view.time_scale.t(pos.x()), zone(view.time_zone)).date()
        new = menu.addAction(_tr("New period from here…"),
                             lambda: view.new_period(day, day + timedelta(days=6)))
        new.setEnabled(writable)
        if period is not None:
            edit = menu.addAction(_tr("Edit period “%1”…").replace("%1", period.label),
                                  lambda: view.edit_period(period))
            edit.setEnabled(writable)
            remove = menu.addAction(_tr("Delete period “%1”").replace("%1", period.label),
                                    lambda: view.remove_period(period))
            remove.setEnabled(writable)
            if period.start and period.end:
                first, last = period.start.interval()[0], period.end.interval()[1]
                menu.addAction(_tr("Zoom to period"), lambda: view.zoom_to(first, last))
        menu.addSeparator()
        menu.addAction(_tr("Fit all"), view.fit_all)
        return menu


def _tr(text: str) -> str:
    return QCoreApplication.translate("TimelineView", text)


__all__ = ["ZOOM_STEP", "Navigator"]
