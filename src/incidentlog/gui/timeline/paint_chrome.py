"""Painting what frames the marks: period bands, the time axis, the lane captions,
the legend and a notice.

The marks scroll with the lanes; all of this stays put (the axis at the top,
the legend at the bottom, the captions at the left edge), so the view paints
it in its foreground, in viewport terms, after the marks (``paint_marks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPalette, QPen

from incidentlog.domain.records import Period
from incidentlog.gui.timeline.fetcher import step_of
from incidentlog.gui.timeline.layout import Layout
from incidentlog.gui.timeline.scale import TimeScale, axis_ticks
from incidentlog.gui.timeline.style import (
    AXIS_HEIGHT,
    CAPTION,
    DENSITY_COLOUR,
    FOOTER_HEIGHT,
    PERIOD_COLOUR,
    PERIOD_ROW,
    QUOTE_COLOUR,
    value_colour,
    value_label,
)
from incidentlog.services.timeline import WindowData

_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True, slots=True)
class PeriodBand:
    """A period where it is drawn: viewport x of its ends, row of its name in the strip."""

    period: Period
    x0: float
    x1: float
    level: int

    @property
    def colour(self) -> QColor:
        return QColor(self.period.color or PERIOD_COLOUR)


@dataclass(slots=True)
class Frame:
    """What the chrome of one frame needs: the viewport in scene terms and what it shows."""

    top: float  # scene y of the viewport's top edge
    width: float
    height: float
    palette: QPalette
    font: QFont
    scale: TimeScale
    zone: str
    header: float  # the axis and the period strip
    bands: list[PeriodBand]
    layout: Layout | None
    colour_column: str
    notice: str | None


def paint_period_bands(painter: QPainter, rect: QRectF, bands: list[PeriodBand],
                       palette: QPalette) -> None:
    """The background: the base colour, and a tinted band behind each period."""
    painter.fillRect(rect, palette.color(QPalette.ColorRole.Base))
    for band in bands:
        if band.x1 < rect.left() or band.x0 > rect.right():
            continue
        fill = band.colour
        fill.setAlphaF(0.10)
        painter.fillRect(QRectF(band.x0, rect.top(), band.x1 - band.x0, rect.height()), fill)
        edge = band.colour
        edge.setAlphaF(0.45)
        painter.setPen(QPen(edge, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(band.x0, rect.top()), QPointF(band.x0, rect.bottom()))
        painter.drawLine(QPointF(band.x1, rect.top()), QPointF(band.x1, rect.bottom()))


class Chrome:
    """Paints the foreground of each frame; keeps what repeats from frame to frame."""

    def __init__(self) -> None:
        self._ticks_cache: tuple[Any, Any] = (None, None)
        self._widths: dict[tuple[float, str], float] = {}
        self._legend_cache: tuple[Layout | None, list[str | None]] = (None, [])

    def paint(self, painter: QPainter, frame: Frame) -> None:
        painter.save()
        try:
            self._paint_gutter(painter, frame)
            self._paint_axis(painter, frame)
            self._paint_footer(painter, frame)
            self._paint_notice(painter, frame)
        finally:
            painter.restore()

    def text_width(self, metrics: QFontMetricsF, text: str) -> float:
        """Width of a label, remembered: the axis draws the same few dozen every frame."""
        key = (metrics.height(), text)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) > 4096:
                self._widths.clear()
            width = self._widths[key] = metrics.horizontalAdvance(text)
        return width

    def legend_values(self, layout: Layout | None, column: str) -> list[str | None]:
        """The colour values of the drawn incidents, most frequent first (once per layout)."""
        if layout is None:
            return []
        if self._legend_cache[0] is layout:
            return self._legend_cache[1]
        seen: dict[str | None, int] = {}
        for placed in layout.placed:
            value = placed.item.value(column)
            seen[value] = seen.get(value, 0) + 1
        values = sorted(seen, key=lambda v: (-seen[v], v is None, v or ""))
        self._legend_cache = (layout, values)
        return values

    # --- the axis ------------------------------------------------------------------------
    def _paint_axis(self, painter: QPainter, frame: Frame) -> None:
        top, width = frame.top, frame.width
        text = frame.palette.color(QPalette.ColorRole.Text)
        painter.fillRect(QRectF(0, top, width, frame.header),
                         frame.palette.color(QPalette.ColorRole.Window))
        key = (frame.scale.t0, frame.scale.spp, width, frame.zone)
        if self._ticks_cache[0] != key:
            self._ticks_cache = (key, axis_ticks(frame.scale, width, frame.zone))
        minor, major, _unit = self._ticks_cache[1]
        faint = QColor(text)
        faint.setAlphaF(0.25)
        self._paint_minor_ticks(painter, frame, minor, faint)
        self._paint_major_ticks(painter, frame, major, faint)
        painter.setFont(frame.font)
        metrics = QFontMetricsF(frame.font)
        zone_text = _tr("Time zone: %1").replace("%1", frame.zone)
        zone_width = self.text_width(metrics, zone_text) + 8
        painter.fillRect(QRectF(width - zone_width - 4, top + 2, zone_width + 4, 18),
                         frame.palette.color(QPalette.ColorRole.Window))
        painter.drawText(QRectF(width - zone_width, top + 2, zone_width, 18), _LEFT, zone_text)
        _paint_period_names(painter, frame, metrics, text)
        painter.setPen(QPen(faint, 1))
        painter.drawLine(QPointF(0, top + frame.header), QPointF(width, top + frame.header))

    def _paint_minor_ticks(self, painter: QPainter, frame: Frame, minor: list[Any],
                           faint: QColor) -> None:
        """Minor ticks and their labels (second row), light grid lines down the content:
        lines in one call each, labels elided only when they do not fit."""
        top = frame.top
        text = frame.palette.color(QPalette.ColorRole.Text)
        grid = QColor(text)
        grid.setAlphaF(0.07)
        painter.setFont(frame.font)
        metrics = QFontMetricsF(frame.font)
        xs = [frame.scale.x(tick.t) for tick in minor]
        bottom = top + frame.height
        painter.setPen(QPen(grid, 1))
        painter.drawLines([QLineF(x, top + frame.header, x, bottom) for x in xs])
        painter.setPen(QPen(faint, 1))
        painter.drawLines([QLineF(x, top + AXIS_HEIGHT - 7, x, top + AXIS_HEIGHT) for x in xs])
        painter.setPen(text)
        for number, tick in enumerate(minor):
            x = xs[number]
            room = (xs[number + 1] if number + 1 < len(xs) else x + 200) - x - 4
            if room > 12:
                label = tick.label
                if self.text_width(metrics, label) > room:
                    label = metrics.elidedText(label, Qt.TextElideMode.ElideRight, room)
                painter.drawText(QRectF(x + 3, top + 20, room, 18), _LEFT, label)

    def _paint_major_ticks(self, painter: QPainter, frame: Frame, major: list[Any],
                           faint: QColor) -> None:
        """Major labels (first row), kept in view while their span is."""
        top = frame.top
        bold = QFont(frame.font)
        bold.setBold(True)
        painter.setFont(bold)
        bold_metrics = QFontMetricsF(bold)
        major_xs = [frame.scale.x(tick.t) for tick in major]
        painter.setPen(QPen(faint, 1))
        painter.drawLines([QLineF(x, top + 2, x, top + AXIS_HEIGHT) for x in major_xs])
        painter.setPen(frame.palette.color(QPalette.ColorRole.Text))
        for number, tick in enumerate(major):
            x = major_xs[number]
            following = major_xs[number + 1] if number + 1 < len(major_xs) else 1e9
            left = max(x, 0.0) + 4
            room = min(following, frame.width) - left - 4
            needed = self.text_width(bold_metrics, tick.label)
            if room >= needed or room > 120:
                label = tick.label if needed <= room else bold_metrics.elidedText(
                    tick.label, Qt.TextElideMode.ElideRight, room)
                painter.drawText(QRectF(left, top + 2, room, 18), _LEFT, label)

    # --- captions at the left edge ---------------------------------------------------------
    def _paint_gutter(self, painter: QPainter, frame: Frame) -> None:
        """Lane and track captions, kept at the left edge."""
        layout = frame.layout
        if layout is None:
            return
        text = frame.palette.color(QPalette.ColorRole.Text)
        window = QColor(frame.palette.color(QPalette.ColorRole.Window))
        window.setAlphaF(0.88)
        bold = QFont(frame.font)
        bold.setBold(True)
        metrics = QFontMetricsF(bold)
        painter.setFont(bold)
        track_y, track_height = layout.quote_track
        if track_height > 0:
            caption = _tr("Quotes") + _quote_caption_tail(layout)
            _caption(painter, frame, caption, track_y, QColor(QUOTE_COLOUR), metrics, window)
        for lane in layout.lanes:
            if not layout.lane_column:
                continue
            if lane.y + lane.height < frame.top or lane.y > frame.top + frame.height:
                continue
            caption = lane.title
            if lane.count:
                caption += f"  {lane.count:,}"
            _caption(painter, frame, caption, lane.y, text, metrics, window)

    # --- the legend ----------------------------------------------------------------------
    def _paint_footer(self, painter: QPainter, frame: Frame) -> None:
        """The legend: what the colours and the marks mean, and the density's scale.

        On as many rows as the width needs (a 1024-pixel screen, 150 % scaling),
        so that no entry is cut off.
        """
        rows = self.legend_rows(frame.layout, frame.colour_column, frame.font, frame.width)
        height = FOOTER_HEIGHT * len(rows)
        top, width = frame.top + frame.height - height, frame.width
        text = frame.palette.color(QPalette.ColorRole.Text)
        painter.fillRect(QRectF(0, top, width, height),
                         frame.palette.color(QPalette.ColorRole.Window))
        faint = QColor(text)
        faint.setAlphaF(0.25)
        painter.setPen(QPen(faint, 1))
        painter.drawLine(QPointF(0, top), QPointF(width, top))
        painter.setFont(frame.font)
        metrics = QFontMetricsF(frame.font)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for number, row in enumerate(rows):
            x, y = 8.0, top + number * FOOTER_HEIGHT
            for kind, colour, label in row:
                label_width = metrics.horizontalAdvance(label)
                _paint_legend_mark(painter, frame.palette, kind, colour, x,
                                   y + FOOTER_HEIGHT / 2)
                painter.setPen(QColor(text))
                painter.drawText(QRectF(x + 16, y, label_width + 2, FOOTER_HEIGHT),
                                 int(Qt.AlignmentFlag.AlignVCenter), label)
                x += 16 + label_width + 14
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def legend_rows(self, layout: Layout | None, column: str, font: QFont,
                    width: float) -> list[list[tuple[str, QColor | None, str]]]:
        """The legend's entries, wrapped into the rows that fit ``width``."""
        metrics = QFontMetricsF(font)
        rows: list[list[tuple[str, QColor | None, str]]] = [[]]
        x = 8.0
        for entry in self._legend_entries(layout, column):
            needed = 16 + metrics.horizontalAdvance(entry[2])
            if rows[-1] and x + needed > width - 8:
                rows.append([])
                x = 8.0
            rows[-1].append(entry)
            x += needed + 14
        return rows

    def footer_height(self, layout: Layout | None, column: str, font: QFont,
                      width: float) -> float:
        """How tall the legend is at ``width``: one row, or more on a narrow view."""
        return FOOTER_HEIGHT * len(self.legend_rows(layout, column, font, width))

    def _legend_entries(self, layout: Layout | None,
                        column: str) -> list[tuple[str, QColor | None, str]]:
        """(kind of mark, colour, label) of each entry of the legend, in order."""
        entries: list[tuple[str, QColor | None, str]] = []
        if layout is not None and layout.density is not None and layout.density_max > 0:
            stacked = (layout.lane_column is None
                       and layout.density.column == layout.colour_column)
            scale = _tr("bars: incidents per %1, tallest %2").replace(
                "%1", step_name(layout.data)).replace("%2", f"{layout.density_max:,.0f}")
            entries.append(("bar", QColor(DENSITY_COLOUR) if not stacked else None, scale))
            if stacked:
                for value in layout.density.counts:
                    entries.append(("swatch", value_colour(column, value),
                                    value_label(column, value)))
        else:
            for value in self.legend_values(layout, column):
                entries.append(("swatch", value_colour(column, value),
                                value_label(column, value)))
            entries.append(("point", None, _tr("time")))
            entries.append(("ring", None, _tr("about")))
            entries.append(("span", None, _tr("day, week, month, year")))
            entries.append(("dashed", None, _tr("approximate")))
        entries.append(("quote", QColor(QUOTE_COLOUR), _tr("quote")))
        return entries

    # --- a notice over the picture -----------------------------------------------------------
    def _paint_notice(self, painter: QPainter, frame: Frame) -> None:
        message = frame.notice
        if not message:
            return
        painter.setFont(frame.font)
        metrics = QFontMetricsF(frame.font)
        box_width = metrics.horizontalAdvance(message) + 24
        y = frame.top + frame.header + (frame.height - frame.header) / 2 - 14
        if frame.layout is not None:
            y = frame.top + frame.height - 34 - self.footer_height(
                frame.layout, frame.colour_column, frame.font, frame.width)
        box = QRectF((frame.width - box_width) / 2, y, box_width, 26)
        palette = frame.palette
        painter.setPen(QPen(QColor(palette.color(QPalette.ColorRole.Mid)), 1))
        painter.setBrush(QColor(palette.color(QPalette.ColorRole.ToolTipBase)))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(palette.color(QPalette.ColorRole.ToolTipText))
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), message)


def _paint_period_names(painter: QPainter, frame: Frame, metrics: QFontMetricsF,
                        text: QColor) -> None:
    """Period names in their strip under the axis."""
    for band in frame.bands:
        if band.x1 < 0 or band.x0 > frame.width:
            continue
        y = frame.top + AXIS_HEIGHT + band.level * PERIOD_ROW
        fill = band.colour
        fill.setAlphaF(0.22)
        left, right = max(band.x0, 0.0), min(band.x1, frame.width)
        painter.fillRect(QRectF(left, y + 1, right - left, PERIOD_ROW - 2), fill)
        painter.setPen(text)
        room = right - left - 8
        if room > 12:
            name = metrics.elidedText(band.period.label, Qt.TextElideMode.ElideRight, room)
            painter.drawText(QRectF(left + 4, y, room, PERIOD_ROW), _LEFT, name)


def _quote_caption_tail(layout: Layout) -> str:
    """What follows "Quotes" in the track's caption: hidden, reading, zoom in, per bin."""
    data = layout.data
    if layout.hidden_quotes:
        return _tr(" (%1 more: zoom in)").replace("%1", str(layout.hidden_quotes))
    if data is not None and data.quotes_pending:
        return _tr(" (reading…)")
    if data is not None and data.quotes is None and data.quote_density is None:
        return _tr(" — zoom in to see the quotes of these incidents")
    if data is not None and data.quote_density is not None:
        return _tr(" per %1").replace("%1", step_name(data))
    return ""


def _caption(painter: QPainter, frame: Frame, caption: str, y: float, colour: QColor,
             metrics: QFontMetricsF, background: QColor) -> None:
    width = min(metrics.horizontalAdvance(caption) + 10, frame.width * 0.6)
    painter.fillRect(QRectF(0, y + 1, width, CAPTION - 1), background)
    painter.setPen(colour)
    painter.drawText(QRectF(4, y, width - 6, CAPTION), _LEFT,
                     metrics.elidedText(caption, Qt.TextElideMode.ElideRight, width - 6))


def _paint_legend_mark(painter: QPainter, palette: QPalette, kind: str, colour: QColor | None,
                       x: float, middle: float) -> None:
    """The mark of a legend entry, 10 px square, left of its label."""
    painter.setPen(Qt.PenStyle.NoPen)
    mark = QRectF(x, middle - 5, 10, 10)
    grey = QColor(palette.color(QPalette.ColorRole.Text))
    grey.setAlphaF(0.6)
    if kind == "swatch" and colour is not None:
        painter.setBrush(colour)
        painter.drawRoundedRect(mark, 2, 2)
    elif kind == "bar":
        painter.setBrush(colour or QColor(DENSITY_COLOUR))
        painter.drawRect(QRectF(x + 1, middle - 2, 3, 7))
        painter.drawRect(QRectF(x + 5, middle - 5, 3, 10))
    elif kind == "point":
        painter.setBrush(grey)
        painter.drawEllipse(mark)
    elif kind == "ring":
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.setPen(QPen(grey, 2))
        painter.drawEllipse(mark.adjusted(1, 1, -1, -1))
    elif kind == "span":
        painter.setBrush(grey)
        painter.drawRect(QRectF(x - 2, middle - 5, 14, 10))
    elif kind == "dashed":
        light = QColor(grey)
        light.setAlphaF(0.3)
        painter.setBrush(light)
        painter.setPen(QPen(grey, 1.0))
        painter.drawRect(QRectF(x - 2, middle - 5, 14, 10))
    elif kind == "quote" and colour is not None:
        painter.setBrush(colour)
        painter.drawPolygon([QPointF(x + 5, middle - 6), QPointF(x + 11, middle),
                             QPointF(x + 5, middle + 6), QPointF(x - 1, middle)])


def step_name(data: WindowData | None) -> str:
    """The step of the bins in words: "day", "2 weeks", "quarter"."""
    if data is None:
        return ""
    names = {("day", 1): _tr("day"), ("day", 2): _tr("2 days"),
             ("week", 1): _tr("week"), ("week", 2): _tr("2 weeks"),
             ("month", 1): _tr("month"), ("month", 3): _tr("quarter"),
             ("year", 1): _tr("year")}
    return names.get(step_of(data.request), "")


def _tr(text: str) -> str:
    return QCoreApplication.translate("TimelineView", text)


__all__ = ["Chrome", "Frame", "PeriodBand", "paint_period_bands", "step_name"]
