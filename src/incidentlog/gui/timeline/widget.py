"""``TimelineWidget``: the timeline view with its toolbar (lanes, colours, time zone,
fit, zoom, new period, export).

The main window constructs it with the context and adds it as a view;
``actions_for_menu()`` are the View-menu entries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.when import is_zone, zone_label
from incidentlog.gui import plain_text
from incidentlog.gui.context import AppContext
from incidentlog.gui.errors import show_error
from incidentlog.gui.settings import LAST_DIR, TIMELINE_RELATED
from incidentlog.gui.timeline.view import COLOUR_CHOICES, LANE_CHOICES, TimelineView


class TimelineWidget(QWidget):
    """The timeline with its toolbar: lanes, colours, time zone, fit, zoom, periods, export.

    The main window constructs it with the context and adds it as a view;
    ``actions()`` are the View-menu entries; ``openIncidentRequested`` asks
    the window to open an incident in the form.
    """

    openIncidentRequested = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("timelineWidget")
        self.setAccessibleName(self.tr("Timeline"))
        self.view = TimelineView(context, self)
        self.view.openIncidentRequested.connect(self.openIncidentRequested)

        self._build_actions(context)
        self.toolbar = self._build_toolbar()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        self.setFocusProxy(self.view)
        self.view.optionsChanged.connect(self._sync_options)
        self.setTabOrder(self.lane_combo, self.colour_combo)
        self.setTabOrder(self.colour_combo, self.zone_combo)
        self.setTabOrder(self.zone_combo, self.view)

    def _build_actions(self, context: AppContext) -> None:
        """The toolbar's and the View menu's actions, and the lane, colour and zone combos."""
        self.actionFitAll = self._action("actionTimelineFitAll", self.tr("&Fit All"),
                                         self.view.fit_all, QKeySequence("Ctrl+0"),
                                         self.tr("Show every incident that matches the filter"))
        self.actionZoomIn = self._action("actionTimelineZoomIn", self.tr("Zoom &In"),
                                         self.view.zoom_in, QKeySequence.StandardKey.ZoomIn,
                                         self.tr("Zoom in (or +, or the mouse wheel)"))
        self.actionZoomOut = self._action("actionTimelineZoomOut", self.tr("Zoom &Out"),
                                          self.view.zoom_out, QKeySequence.StandardKey.ZoomOut,
                                          self.tr("Zoom out (or -, or the mouse wheel)"))
        self.actionZoomToSelection = self._action(
            "actionTimelineZoomToSelection", self.tr("Zoom to &Selection"),
            self.view.zoom_to_selection, None,
            self.tr("Show the selected incidents across the view"))
        self.actionNewPeriod = self._action(
            "actionTimelineNewPeriod", self.tr("New &Period…"), lambda: self.view.new_period(),
            None, self.tr("Name a span of days, shown as a band behind the incidents"))
        self.actionNewPeriod.setEnabled(not context.read_only)
        self.actionRelated = self._action(
            "actionTimelineRelated", self.tr("&Related Incident Lines"), lambda: None, None,
            self.tr("Draw a line between related incidents (retaliation for, part of, "
                    "follow-up of, same as)"))
        self.actionRelated.setCheckable(True)
        self.actionRelated.setChecked(self.view.related_lines.enabled)
        self.actionRelated.toggled.connect(self.set_related_lines)
        self.actionExport = self._action("actionTimelineExport", self.tr("&Export View…"),
                                         self.export, None,
                                         self.tr("Save the view as a PNG image or SVG drawing"))

        self.lane_combo = self._combo("timelineLanes", self.tr("Lanes"),
                                      [(self.tr(label), value) for value, label in LANE_CHOICES],
                                      self.view.lane_column)
        self.lane_combo.currentIndexChanged.connect(
            lambda _i: self.view.set_lane_column(self.lane_combo.currentData()))
        self.colour_combo = self._combo("timelineColour", self.tr("Colour by"),
                                        [(self.tr(label), value)
                                         for value, label in COLOUR_CHOICES],
                                        self.view.colour_column)
        self.colour_combo.currentIndexChanged.connect(
            lambda _i: self.view.set_colour_column(self.colour_combo.currentData()))
        self.zone_combo = self._zone_combo()

    def _build_toolbar(self) -> QToolBar:
        toolbar = QToolBar(self.tr("Timeline"), self)
        toolbar.setObjectName("timelineToolBar")
        toolbar.setAccessibleName(self.tr("Timeline toolbar"))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addWidget(self._label(self.tr("&Lanes:"), self.lane_combo))
        toolbar.addWidget(self.lane_combo)
        toolbar.addWidget(self._label(self.tr("&Colour:"), self.colour_combo))
        toolbar.addWidget(self.colour_combo)
        toolbar.addWidget(self._label(self.tr("&Zone:"), self.zone_combo))
        toolbar.addWidget(self.zone_combo)
        toolbar.addSeparator()
        for action in (self.actionFitAll, self.actionZoomToSelection, self.actionZoomIn,
                       self.actionZoomOut):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.actionNewPeriod)
        toolbar.addAction(self.actionExport)
        for button in toolbar.findChildren(QToolButton):
            if button.defaultAction() is not None:
                button.setAccessibleName(button.defaultAction().text().replace("&", ""))
        return toolbar

    def _sync_options(self) -> None:
        """The toolbar shows what the view does (also when set through the view's API)."""
        for combo, value in ((self.lane_combo, self.view.lane_column),
                             (self.colour_combo, self.view.colour_column),
                             (self.zone_combo, self.view.time_zone)):
            index = combo.findData(value)
            if index < 0 and combo is self.zone_combo:
                combo.addItem(f"{zone_label(str(value))} — {value}", value)
                index = combo.count() - 1
            if index >= 0 and index != combo.currentIndex():
                combo.blockSignals(True)
                combo.setCurrentIndex(index)
                combo.blockSignals(False)

    def cancel_work(self) -> None:
        """Call before ``context.close()``: see ``TimelineView.cancel_work``."""
        self.view.cancel_work()

    def closeEvent(self, event: Any) -> None:
        self.cancel_work()
        super().closeEvent(event)

    def actions_for_menu(self) -> list[QAction]:
        """The entries the main window puts in its View menu (after View ▸ Timeline); the
        related-incident lines are a toggle there only, so that the toolbar fits 1024 px."""
        return [self.actionFitAll, self.actionZoomToSelection, self.actionZoomIn,
                self.actionZoomOut, self.actionRelated, self.actionNewPeriod, self.actionExport]

    def set_related_lines(self, shown: bool) -> None:
        """Draw the lines between related incidents, or not (kept in the settings)."""
        self.context.settings.set(TIMELINE_RELATED, shown)
        self.view.related_lines.set_enabled(shown, self.view.layout_data)
        if self.actionRelated.isChecked() != shown:
            self.actionRelated.setChecked(shown)
        self.view.viewport().update()

    def _action(self, name: str, text: str, slot: Callable[[], Any],
                shortcut: QKeySequence | QKeySequence.StandardKey | None,
                tip: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
            # Only while the timeline has the focus: "-" and "+" type text elsewhere.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _combo(self, name: str, accessible: str, items: list[tuple[str, Any]],
               current: Any) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        for text, value in items:
            combo.addItem(text, value)
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
        return combo

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        label.setContentsMargins(8, 0, 4, 0)
        return label

    def _zone_combo(self) -> QComboBox:
        """UTC, the zones the log uses most, and any other typed in (checked)."""
        combo = QComboBox(self)
        combo.setObjectName("timelineZone")
        combo.setAccessibleName(self.tr("Time zone of the axis"))
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.setMinimumContentsLength(14)
        combo.setToolTip(self.tr("IANA time zone of the axis and of the day counts, "
                                 "e.g. UTC or Asia/Baghdad"))
        zones = ["UTC", "Asia/Baghdad", "Asia/Damascus", "Asia/Amman", "Asia/Tehran",
                 "Asia/Jerusalem", "Asia/Aden", "Europe/London", "America/New_York"]
        if self.view.time_zone not in zones:
            zones.insert(1, self.view.time_zone)
        for name in zones:
            combo.addItem(f"{name}" if name == "UTC" else f"{zone_label(name)} — {name}", name)
        combo.setCurrentIndex(max(combo.findData(self.view.time_zone), 0))

        def chosen() -> None:
            text = combo.currentText().strip()
            value = combo.currentData() if combo.findText(text) >= 0 else None
            name = value or text.rsplit("—", 1)[-1].strip()
            if is_zone(name):
                self.view.set_time_zone(name)
            else:
                combo.setCurrentIndex(max(combo.findData(self.view.time_zone), 0))

        combo.activated.connect(lambda _i: chosen())
        line = combo.lineEdit()
        if line is not None:
            line.editingFinished.connect(chosen)
        return combo

    def export(self) -> None:
        """Ask where to save the view, as PNG or SVG by the chosen name."""
        settings = self.context.settings
        folder = settings.get(LAST_DIR) or str(Path.home())
        default = str(Path(folder) / f"timeline-{date.today():%Y%m%d}.png")
        path, chosen = QFileDialog.getSaveFileName(
            self, self.tr("Export the timeline"), default,
            self.tr("PNG image (*.png);;SVG drawing (*.svg)"))
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg"):
            target = target.with_suffix(".svg" if "svg" in chosen.lower() else ".png")
        try:
            ok = (self.view.export_svg(target) if target.suffix.lower() == ".svg"
                  else self.view.export_png(target))
        except ExchangeError as exc:  # not a regular file, a folder that cannot be written
            show_error(self, exc)
            return
        if ok:
            settings.set(LAST_DIR, str(target.parent))
        else:
            plain_text.warning(self, self.tr("Export the timeline"),
                               self.tr("The view could not be written to %1.").replace(
                                   "%1", str(target)))


__all__ = ["TimelineWidget"]
