"""``TimelineView`` (object name ``timelineView``): the ``QGraphicsView`` of the timeline.

It takes the ``AppContext`` and nothing else: it follows the shared filter
and current incident, sets the current incident when clicked, and redraws
when the services announce changes. How it is built (docs/timeline.md):

* **One painted item, never one item per incident.** The scene holds a single
  ``QGraphicsItem`` as wide as the viewport; it paints the layout of
  ``layout`` for the exposed rectangle only (``paint_marks``), under the axis,
  captions and legend (``paint_chrome``). Time is mapped to x by
  ``time_scale`` (a ``TimeScale``) rather than by scaling the view, so marks
  and text keep their size from seven years down to one minute.
* **What is drawn is read by ``TimelineFetcher``**, for the window on screen,
  off the GUI thread; the view lays out each answer it announces.
* The named periods and their dialogs are ``PeriodController``'s.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsView,
    QToolTip,
    QWidget,
)

from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Period
from incidentlog.domain.when import is_zone, zone
from incidentlog.gui.context import AppContext
from incidentlog.gui.settings import (
    TIMELINE_COLOUR,
    TIMELINE_LANES,
    TIMELINE_RELATED,
    TIMELINE_ZONE,
)
from incidentlog.gui.timeline import export
from incidentlog.gui.timeline.fetcher import FETCH_DELAY_MS, TimelineFetcher
from incidentlog.gui.timeline.interaction import ZOOM_STEP, Navigator
from incidentlog.gui.timeline.layout import Layout, Placed, PlacedQuote, build_layout
from incidentlog.gui.timeline.paint_chrome import Chrome, Frame, paint_period_bands
from incidentlog.gui.timeline.paint_marks import Canvas, PaintState, paint_layout
from incidentlog.gui.timeline.period_controller import PeriodController
from incidentlog.gui.timeline.related_lines import RelatedLines
from incidentlog.gui.timeline.scale import TimeScale
from incidentlog.gui.timeline.style import (
    AXIS_HEIGHT,
    PERIOD_ROW,
    ROW,
    value_label,
)
from incidentlog.gui.timeline.tooltips import describe, shown_counts
from incidentlog.services import Changes
from incidentlog.services.timeline import TimelineItem, TimelineQuery, TimelineQuote, from_epoch

#: Lane choices: (column or None, label). Colour choices likewise.
LANE_CHOICES: tuple[tuple[str | None, str], ...] = (
    (None, "No lanes"),
    ("country", "Country"),
    ("event_type", "Event type"),
    ("perpetrator", "Perpetrator"),
    ("place", "Place"),
    # By actor: an incident is in the lane of each of its actors (in any role, or in one).
    ("actors", "Actor (any role)"),
    ("actors:perpetrator", "Actor as perpetrator"),
    ("actors:claimant", "Actor as claimant"),
    ("actors:target", "Actor as target"),
    ("actors:victim", "Actor as victim"),
    ("actors:attributed_by", "Actor as attributed by"),
    ("actors:intervening", "Actor as intervening"),
)
COLOUR_CHOICES: tuple[tuple[str, str], ...] = (("event_type", "Event type"),
                                               ("status", "Status"))


class TimelineView(QGraphicsView):
    """Incidents and quotes in time, on the shared filter and current incident."""

    #: Double-click on an incident: the main window opens it in the form.
    openIncidentRequested = Signal(str)
    #: A new answer from the database has been laid out (tests wait on it).
    layoutChanged = Signal()
    #: The visible time window moved or zoomed: (start, end) as aware datetimes.
    windowChanged = Signal(object, object)
    #: Lanes, colours or time zone changed (the toolbar follows).
    optionsChanged = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("timelineView")
        self.setAccessibleName(self.tr("Timeline"))
        self.query = TimelineQuery(context.services.database)
        self.time_scale = TimeScale()
        settings = context.settings
        lanes = settings.get(TIMELINE_LANES)
        self._lane_column: str | None = lanes if lanes in dict(LANE_CHOICES) else None
        colour = settings.get(TIMELINE_COLOUR)
        self._colour_column = colour if colour in dict(COLOUR_CHOICES) else "event_type"
        tz = settings.get(TIMELINE_ZONE)
        self._zone = tz if is_zone(tz) else "UTC"
        self._layout: Layout | None = None
        self._fitted = False
        self._fit_pending = True
        self._auto_fit = True  # fit again on resize until the user zooms or pans
        self._reveal_uid: str | None = None
        self._selecting = False
        self.navigator = Navigator(self)
        self.chrome = Chrome()
        self.period_controller = PeriodController(self)
        self.fetcher = TimelineFetcher(self, self.query, context.runner, self)
        self.fetcher.overviewArrived.connect(self._on_overview)
        self.fetcher.longArrived.connect(self._on_long)
        self.fetcher.windowArrived.connect(self._on_window)
        self.fetcher.failed.connect(lambda: self.viewport().update())
        self.related_lines = RelatedLines(context.services, context.runner,
                                          self.viewport().update,
                                          bool(settings.get(TIMELINE_RELATED)), self)
        self._set_up_view()
        state = context.state
        state.filterChanged.connect(self._on_filter_changed)
        state.currentIncidentChanged.connect(self._on_current_changed)
        state.selectionChanged.connect(lambda _uids: self.viewport().update())
        context.bus.changed.connect(self._on_changes)
        self.period_controller.load()
        self.fetcher.request_overview()

    def _set_up_view(self) -> None:
        scene = QGraphicsScene(self)
        self.setScene(scene)
        self._canvas = Canvas(self.paint_canvas)
        scene.addItem(self._canvas)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState
                                  | QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(QSize(320, 200))
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.viewport().update())

    # --- options -------------------------------------------------------------------------
    @property
    def lane_column(self) -> str | None:
        return self._lane_column

    def set_lane_column(self, column: str | None) -> None:
        """Lanes by country, event type, perpetrator or place (None: one lane)."""
        if column == self._lane_column:
            return
        if column is not None and column not in dict(LANE_CHOICES):
            raise ValueError(f"no lanes by {column!r}")
        self._lane_column = column
        self.context.settings.set(TIMELINE_LANES, column)
        self.fetcher.invalidate(overview=True)
        self.optionsChanged.emit()

    @property
    def colour_column(self) -> str:
        return self._colour_column

    def set_colour_column(self, column: str) -> None:
        """Colour marks by event type or by status."""
        if column == self._colour_column:
            return
        if column not in dict(COLOUR_CHOICES):
            raise ValueError(f"no colours by {column!r}")
        self._colour_column = column
        self.context.settings.set(TIMELINE_COLOUR, column)
        self.fetcher.invalidate(overview=True)
        self.optionsChanged.emit()

    @property
    def time_zone(self) -> str:
        return self._zone

    def set_time_zone(self, tz: str) -> None:
        """Show the axis (and count days) in this IANA zone."""
        zone(tz)  # ValueError with a readable message when unknown
        if tz == self._zone:
            return
        self._zone = tz
        self.context.settings.set(TIMELINE_ZONE, tz)
        self.fetcher.forget_window()  # the bins follow the zone's midnights
        self._relayout()
        self.fetcher.schedule(0)
        self.optionsChanged.emit()

    def incident_filter(self) -> IncidentFilter:
        return self.context.state.filter

    # --- the window on screen --------------------------------------------------------------
    def visible_window(self) -> tuple[datetime, datetime]:
        width = self.viewport().width()
        return from_epoch(self.time_scale.t(0)), from_epoch(self.time_scale.t(width))

    def span_on_screen(self) -> tuple[float, float]:
        width = max(self.viewport().width(), 1)
        return self.time_scale.t(0), self.time_scale.t(width)

    def set_visible_window(self, start: datetime, end: datetime) -> None:
        """Show [start, end) across the view (after the lane captions)."""
        gutter = self._gutter_width()
        width = self.viewport().width() - gutter
        self.time_scale.fit(start.timestamp(), end.timestamp(), width, margin=0.0)
        self.time_scale.t0 -= gutter * self.time_scale.spp
        self._fitted = True
        self._fit_pending = False
        self._auto_fit = False
        self._scale_changed(delay=0)

    def x_of(self, instant: datetime) -> float:
        """Viewport x of an instant."""
        return self.time_scale.x_of(instant)

    def fit_all(self) -> None:
        """Show every incident that matches the filter."""
        overview = self.fetcher.overview
        if overview is None or overview.first is None or overview.last_end is None:
            self._fit_pending = True
            return
        end = overview.last_end.timestamp()
        for group in self.fetcher.long_groups or ():
            end = max(end, group.end)
        start = overview.first.timestamp()
        span = max(end - start, 3600.0)
        self.set_visible_window(from_epoch(start - span * 0.03), from_epoch(end + span * 0.03))
        self._auto_fit = True

    def zoom_in(self) -> None:
        self.zoom_by(1 / ZOOM_STEP, self._content_centre())

    def zoom_out(self) -> None:
        self.zoom_by(ZOOM_STEP, self._content_centre())

    def zoom_to_selection(self) -> bool:
        """Fit the selected incidents (or the current one); False when there is none."""
        return self.navigator.zoom_to_selection()

    def zoom_to(self, start: datetime, end: datetime) -> None:
        span = end - start
        self.set_visible_window(start - span * 0.05, end + span * 0.05)

    # --- what is shown ---------------------------------------------------------------------
    @property
    def mode(self) -> str | None:
        """"items", "density" or None before the first answer."""
        data = self.fetcher.data
        return data.mode if data is not None else None

    @property
    def layout_data(self) -> Layout | None:
        return self._layout

    def shown_items(self) -> list[TimelineItem]:
        """The incidents drawn, each once (lanes by actor draw one in several lanes)."""
        return [placed.item for placed in self._layout.by_uid.values()] if self._layout else []

    def shown_quotes(self) -> list[TimelineQuote]:
        return [placed.quote for placed in self._layout.quotes] if self._layout else []

    def item_rect(self, uid: str) -> QRectF | None:
        """Where an incident's mark is drawn, in viewport coordinates (None: not drawn)."""
        layout = self._layout
        placed = layout.by_uid.get(uid) if layout else None
        if layout is None or placed is None:
            return None
        rect = placed.rect().translated(layout.x_shift(self.time_scale.t0), 0)
        return self.viewportTransform().mapRect(rect)

    def row_of(self, uid: str) -> tuple[str | None, int] | None:
        """(lane value, row in the lane) of a drawn incident."""
        layout = self._layout
        placed = layout.by_uid.get(uid) if layout else None
        if layout is None or placed is None:
            return None
        return layout.lanes[placed.lane].value, placed.row

    def lanes(self) -> list[str | None]:
        return [lane.value for lane in self._layout.lanes] if self._layout else []

    def legend_values(self) -> list[str | None]:
        """The colour values of the drawn incidents, most frequent first."""
        return self.chrome.legend_values(self._layout, self._colour_column)

    def is_busy(self) -> bool:
        """A request to the database is under way (the long intervals aside)."""
        return self.fetcher.busy

    def cancel_work(self) -> None:
        """Stop the slow read of long intervals (closing the window, switching logs):
        ``context.close()`` waits for running work, and it stops within a slice."""
        self.fetcher.cancel_long()

    def closeEvent(self, event: Any) -> None:
        self.cancel_work()
        super().closeEvent(event)

    def refresh(self) -> None:
        """Forget what was read and ask the database again."""
        self.fetcher.invalidate(overview=True)

    # --- periods -----------------------------------------------------------------------------
    def periods(self) -> list[Period]:
        return list(self.period_controller.periods)

    def period_span_x(self, uid: str) -> tuple[float, float] | None:
        for period in self.period_controller.periods:
            if period.meta.uid == uid and period.start and period.end:
                return self.period_controller.span_x(period)
        return None

    def period_at(self, pos: QPointF) -> Period | None:
        """The period whose name strip or band is under a viewport point."""
        return self.period_controller.at(pos, self.header_height())

    def new_period(self, first: date | None = None, last: date | None = None) -> None:
        """Ask for a new period (by default the visible days) and store it, undoably."""
        self.period_controller.new_period(first, last)

    def edit_period(self, period: Period) -> None:
        self.period_controller.edit_period(period)

    def remove_period(self, period: Period) -> None:
        self.period_controller.remove_period(period)

    # --- exports -----------------------------------------------------------------------------
    def render_image(self, size: QSize | None = None) -> QImage:
        """The view as it is on screen (no scroll bar), as an image of ``size`` (the view's)."""
        return export.render_image(self, size)

    def export_png(self, path: str | Path) -> bool:
        """The current view as a PNG of the view's size."""
        return export.export_png(self, path)

    def export_svg(self, path: str | Path) -> bool:
        """The current view as an SVG drawing (vector: for a report)."""
        return export.export_svg(self, path, self.visible_window())

    # --- answers -------------------------------------------------------------------------------
    def _on_overview(self) -> None:
        overview = self.fetcher.overview
        if self._fit_pending and overview is not None and not overview.empty:
            self.fit_all()
        self._relayout()
        self.fetcher.schedule(0)

    def _on_long(self) -> None:
        if self._fit_pending or not self._fitted or self._auto_fit:
            self.fit_all()  # a year-long incident may end the log later than its last start
        self._relayout()

    def _on_window(self) -> None:
        self._relayout()
        self.layoutChanged.emit()

    def _on_filter_changed(self, _flt: IncidentFilter) -> None:
        self.fetcher.forget_window()
        self.fetcher.request_overview()

    def _on_changes(self, changes: Changes) -> None:
        if changes.periods:
            self.period_controller.load()
            self._relayout()
        if changes.incidents or changes.rows_changed:
            self.related_lines.forget()
            self.related_lines.layout_changed(self._layout)
        if changes.incidents or changes.quotes or changes.rows_changed:
            self.fetcher.invalidate(overview=bool(changes.incidents or changes.rows_changed),
                                    long=bool(changes.incidents))

    # --- layout ------------------------------------------------------------------------------
    def header_height(self) -> float:
        return AXIS_HEIGHT + PERIOD_ROW * self.period_controller.rows

    def _gutter_width(self) -> float:
        """Room kept at the left for the lane names when fitting a window."""
        if not self._lane_column:
            return 0.0
        overview = self.fetcher.overview
        values = overview.values.get(self._lane_column, ()) if overview else ()
        metrics = QFontMetricsF(self._small_font())
        widest = max((self.chrome.text_width(metrics, value_label(self._lane_column, v))
                      for v in values), default=60.0)
        return min(widest + 16, 190.0)

    def _relayout(self) -> None:
        fetcher = self.fetcher
        data = fetcher.merged(self.visible_window())
        header = self.header_height()
        available = self.viewport().height() - header - self._footer_height()
        if data is None:
            self._layout = None
        else:
            values = (fetcher.overview.values.get(self._lane_column, ())
                      if fetcher.overview and self._lane_column else ())
            self._layout = build_layout(
                data, t0=self.time_scale.t0, spp=self.time_scale.spp,
                lane_column=self._lane_column, lane_values=values,
                colour_column=self._colour_column, content_top=header,
                available_height=available, font=self._small_font(),
                density=fetcher.density(data))
        height = (self._layout.content_height if self._layout else header) \
            + self._footer_height()
        rect = QRectF(0, 0, self.viewport().width(), max(height, self.viewport().height()))
        self.scene().setSceneRect(rect)
        self._canvas.set_rect(rect)
        self.related_lines.layout_changed(self._layout)
        self._reveal()
        self._describe()
        self.viewport().update()

    def _scale_changed(self, delay: int = FETCH_DELAY_MS) -> None:
        """After a zoom or a pan: lay out again at a new zoom, translate at the same one.

        The database is asked ``delay`` ms later, so that a wheel turn or a drag
        asks once when it pauses, not at every step.
        """
        layout = self._layout
        if layout is not None and abs(layout.spp - self.time_scale.spp) > 1e-9 * layout.spp:
            self._relayout()
        else:
            self.viewport().update()
        self.fetcher.schedule(delay)
        self.windowChanged.emit(*self.visible_window())

    def _reveal(self) -> None:
        """Scroll vertically to the incident to reveal, once it is laid out."""
        uid = self._reveal_uid
        if uid is None or self._layout is None:
            return
        placed = self._layout.by_uid.get(uid)
        if placed is None:
            return
        self._reveal_uid = None
        header = self.header_height()
        top = self.verticalScrollBar().value()
        height = self.viewport().height()
        if placed.y - header < top or placed.y + ROW > top + height - self._footer_height():
            self.verticalScrollBar().setValue(int(max(placed.y - header - 2 * ROW, 0)))

    def shown_counts(self) -> str:
        """What the view shows, for the status bar."""
        return shown_counts(self._layout)

    def _describe(self) -> None:
        start, end = self.visible_window()
        self.setAccessibleDescription(describe(self._layout, (end - start).total_seconds()))

    def _footer_height(self) -> float:
        """The legend's height at the present width (more rows when narrow)."""
        return self.chrome.footer_height(self._layout, self._colour_column, self._small_font(),
                                         self.viewport().width())

    def _small_font(self) -> QFont:
        return QFont(self.font())

    # --- painting ------------------------------------------------------------------------------
    def paint_canvas(self, painter: QPainter, exposed: QRectF) -> None:
        if self._layout is None:
            return
        # QGraphicsView.render() exposes the whole item: paint what is on screen only.
        top = float(self.verticalScrollBar().value())
        exposed = exposed.intersected(QRectF(0, top, self.viewport().width(),
                                             self.viewport().height()))
        state = PaintState(self.time_scale.t0, self.viewport().width(), exposed,
                           self.palette(), self._small_font(),
                           self.context.state.current_incident,
                           frozenset(self.context.state.selected_incidents))
        paint_layout(painter, self._layout, state)
        self.related_lines.paint(painter, self._layout, state.t0, exposed)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        paint_period_bands(painter, QRectF(rect), self.period_controller.bands(),
                           self.palette())

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        frame = Frame(self.mapToScene(QPoint(0, 0)).y(), self.viewport().width(),
                      self.viewport().height(), self.palette(), self._small_font(),
                      self.time_scale, self._zone, self.header_height(),
                      self.period_controller.bands(), self._layout, self._colour_column,
                      self.fetcher.notice(self._layout is not None))
        self.chrome.paint(painter, frame)

    # --- the current incident ----------------------------------------------------------------
    def select(self, uid: str) -> None:
        """Make an incident the current one everywhere (the table and the form follow)."""
        self._selecting = True
        try:
            self.context.state.set_selected_incidents((uid,))
            self.context.state.set_current_incident(uid)
        finally:
            self._selecting = False
        self.viewport().update()

    def _on_current_changed(self, uid: str | None) -> None:
        self.viewport().update()
        if uid is None or self._selecting:
            return
        span = self.navigator.interval_of(uid)
        if span is None:
            return
        start, end = span
        scale = self.time_scale
        view_start, view_end = scale.t(self._gutter_width()), scale.t(self.viewport().width())
        if end <= view_start or start >= view_end:
            width = self.viewport().width()
            gutter = self._gutter_width()
            middle = start if end - start > view_end - view_start else (start + end) / 2
            scale.t0 = middle - (gutter + (width - gutter) / 2) * scale.spp
            self._reveal_uid = uid
            self._scale_changed()
        else:
            self._reveal_uid = uid
            self._reveal()

    # --- hit testing ------------------------------------------------------------------------
    def hit(self, pos: QPointF) -> Placed | PlacedQuote | None:
        """The incident or quote under a viewport point."""
        layout = self._layout
        if layout is None or pos.y() < self.header_height():
            return None
        scene = self.to_scene(pos)
        return layout.hit(scene.x() - layout.x_shift(self.time_scale.t0), scene.y())

    def to_scene(self, pos: QPointF) -> QPointF:
        return self.viewportTransform().inverted()[0].map(pos)

    # --- events ------------------------------------------------------------------------------
    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.navigator.tooltip(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Until the user zooms or pans, the view keeps showing everything;
        # after, a wider view shows more time on the right.
        overview = self.fetcher.overview
        if self._auto_fit and overview is not None and not overview.empty:
            self.fit_all()
            self._auto_fit = True
            return
        self._relayout()
        self.fetcher.schedule()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.fetcher.enabled:
            self.fetcher.enabled = True
            self.fetcher.request_overview()
        if self._fit_pending and self.fetcher.overview is not None:
            self.fit_all()

    def zoom_by(self, factor: float, anchor_x: float) -> None:
        """Zoom by ``factor`` (below 1: in) keeping the instant at ``anchor_x`` in place."""
        self.time_scale.zoom(factor, anchor_x)
        self._auto_fit = False
        self._fitted = True
        self._fit_pending = False
        self._scale_changed()

    def pan_by(self, dx: float) -> None:
        """Move the time axis ``dx`` pixels to the right (earlier times come in)."""
        self.time_scale.pan(dx)
        self._auto_fit = False
        self._scale_changed()

    def _content_centre(self) -> float:
        gutter = self._gutter_width()
        return gutter + (self.viewport().width() - gutter) / 2
    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.navigator.wheel(event):
            super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self.navigator.press(event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self.navigator.move(event):
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self.navigator.release(event):
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if not self.navigator.double_click(event):
            super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.navigator.key(event):
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.navigator.context_menu(QPointF(event.pos())).exec(event.globalPos())
