"""Painting the marks of a layout: lanes, incidents, counts, bands and quotes.

Only rectangles batched per colour (``drawRects``) and pre-drawn point marks
(a blit each) on the raster; real circles and diamonds on a vector device
(SVG). The axis, the captions and the legend are painted over them by
``paint_chrome``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPaintEngine,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from incidentlog.gui.timeline.layout import (
    TILE,
    Layout,
    PlacedQuote,
    Tile,
    label_text,
    tiles_in,
)
from incidentlog.gui.timeline.style import (
    BAR,
    CAPTION,
    DENSITY_COLOUR,
    LABEL_MIN,
    LINK_LIMIT,
    MARK,
    QUOTE_COLOUR,
    ROW,
    value_colour,
)

_tr = QCoreApplication.translate


class Canvas(QGraphicsItem):
    """The one item of the view's scene: hands its exposed rectangle to ``paint``."""

    def __init__(self, paint: Callable[[QPainter, QRectF], None]) -> None:
        super().__init__()
        self._paint = paint
        self._rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def set_rect(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(rect)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        self._paint(painter, option.exposedRect)


@dataclass
class PaintState:
    """What painting needs besides the layout."""

    t0: float
    width: float
    exposed: QRectF
    palette: QPalette
    font: QFont
    current_uid: str | None = None
    selected: frozenset[str] = frozenset()


def paint_layout(painter: QPainter, layout: Layout, state: PaintState) -> None:
    """Lanes, marks and quotes of ``layout`` that fall in ``state.exposed``."""
    palette = state.palette
    text_colour = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    stripe = QColor(text_colour)
    stripe.setAlphaF(0.035)
    rule = QColor(text_colour)
    rule.setAlphaF(0.14)
    exposed = state.exposed
    small = QFont(state.font)
    small.setPointSizeF(max(small.pointSizeF() - 1, 7.0))
    painter.setFont(small)
    metrics = QFontMetricsF(small)

    # Lane backgrounds: every other lane faintly striped, a rule between lanes.
    for number, lane in enumerate(layout.lanes):
        if lane.y > exposed.bottom() or lane.y + lane.height < exposed.top():
            continue
        if number % 2 == 1:
            painter.fillRect(QRectF(exposed.left(), lane.y, exposed.width(), lane.height),
                             stripe)
        if layout.lane_column:
            painter.setPen(QPen(rule, 1))
            painter.drawLine(QLineF(exposed.left(), lane.y, exposed.right(), lane.y))

    shift = layout.x_shift(state.t0)
    painter.save()
    painter.translate(shift, 0)
    visible = QRectF(exposed.translated(-shift, 0))
    if layout.density is not None:
        _paint_density(painter, layout, visible)
    elif layout.data is not None and layout.data.items is not None:
        _paint_bands(painter, layout, visible, metrics, text_colour)
        _paint_items(painter, layout, visible, metrics, text_colour, base, state)
    _paint_quotes(painter, layout, visible, base, state)
    painter.restore()


def _paint_density(painter: QPainter, layout: Layout, visible: QRectF) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    for tile in _tiles_in_columns(layout, visible):
        for colour, rects in tile.density.items():
            painter.setBrush(QColor(colour))
            painter.drawRects(rects)


def _tiles_in_columns(layout: Layout, visible: QRectF) -> list[Tile]:
    """Density bars sit at the bottom of their lane: pick tiles by column and lane rows."""
    return tiles_in(layout, visible.adjusted(0, -TILE, 0, TILE))


def _paint_bands(painter: QPainter, layout: Layout, visible: QRectF,
                 metrics: QFontMetricsF, text_colour: QColor) -> None:
    """Month- and year-long incidents too many to draw: one hatched band per lane."""
    for lane in layout.lanes:
        if not lane.band or lane.y > visible.bottom() or lane.y + lane.height < visible.top():
            continue
        y = lane.y + (CAPTION if layout.lane_column else 0.0) + (ROW - BAR) / 2
        count = sum(group.count for group in lane.band)
        rect = QRectF(visible.left(), y, visible.width(), BAR)
        colour = QColor(DENSITY_COLOUR)
        colour.setAlphaF(0.35)
        painter.fillRect(rect, QBrush(colour, Qt.BrushStyle.BDiagPattern))
        painter.setPen(text_colour)
        text = _tr("Timeline", "%1 incidents dated only to a month or a year").replace(
            "%1", f"{count:,}")
        painter.drawText(QRectF(visible.left() + 8, y - 3, metrics.horizontalAdvance(text) + 8,
                                ROW), int(Qt.AlignmentFlag.AlignVCenter), text)


def _paint_items(painter: QPainter, layout: Layout, visible: QRectF, metrics: QFontMetricsF,
                 text_colour: QColor, base: QColor, state: PaintState) -> None:
    tiles = tiles_in(layout, visible)
    bands = range(int(visible.top() // TILE), int(visible.bottom() // TILE) + 1)
    _paint_bars(painter, layout, tiles, bands)
    _paint_points(painter, tiles, base)
    _paint_selection(painter, layout, state)
    painter.setPen(text_colour)
    flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
    right_edge = visible.right()
    for tile in tiles:
        for rect, text in tile.labels:
            if rect.left() < right_edge and rect.bottom() >= visible.top():
                painter.drawText(rect, flags, text)
    _paint_inside_labels(painter, layout, visible, tiles, bands, metrics, text_colour)


def _paint_bars(painter: QPainter, layout: Layout, tiles: list[Tile], bands: range) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    wide = [layout.wide[band] for band in bands if band in layout.wide]
    for batch in [*wide, *(tile.bars for tile in tiles)]:
        for (colour, approximate), rects in batch.items():
            fill = QColor(colour)
            if approximate:
                fill.setAlphaF(0.38)
                painter.setPen(QPen(QColor(colour), 1.0))  # a dashed pen costs 10x
            else:
                painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRects(rects)


def _paint_points(painter: QPainter, tiles: list[Tile], base: QColor) -> None:
    vector = _is_vector(painter)
    for tile in tiles:
        for (colour, approximate), rects in tile.points.items():
            if vector:  # SVG: real circles
                _draw_points(painter, rects, colour, approximate, base)
                continue
            sprite = _sprite(colour, approximate, base, painter.device().devicePixelRatioF())
            offset = (sprite.width() / sprite.devicePixelRatioF() - MARK) / 2
            for rect in rects:  # a pre-drawn antialiased mark: a blit, not a path
                painter.drawPixmap(QPointF(rect.left() - offset, rect.top() - offset), sprite)


def _paint_selection(painter: QPainter, layout: Layout, state: PaintState) -> None:
    """The current incident and the selection: a ring in the highlight colour."""
    highlight = state.palette.color(QPalette.ColorRole.Highlight)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for uid in {state.current_uid, *state.selected} - {None}:
        placed = layout.by_uid.get(uid or "")
        if placed is None:
            continue
        painter.setPen(QPen(highlight, 2.4 if uid == state.current_uid else 1.6))
        for mark in (placed, *layout.also.get(uid or "", ())):  # each lane it is drawn in
            rect = mark.rect().adjusted(-3, -3, 3, 3)
            if mark.point:
                painter.drawEllipse(rect)
            else:
                painter.drawRoundedRect(rect, 3, 3)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _paint_inside_labels(painter: QPainter, layout: Layout, visible: QRectF,
                         tiles: list[Tile], bands: range, metrics: QFontMetricsF,
                         text_colour: QColor) -> None:
    """Labels inside wide bars, kept in view while the bar is."""
    flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
    top, bottom, right_edge = visible.top(), visible.bottom(), visible.right()
    column = layout.colour_column
    crossing = [placed for band in bands for placed in layout.inside.get(band, ())]
    for placed in [*crossing, *(placed for tile in tiles for placed in tile.inside)]:
        if placed.y > bottom or placed.y + ROW < top:
            continue
        rect = placed.rect()
        if rect.right() < visible.left() or rect.left() > right_edge:
            continue
        x = max(rect.left(), visible.left()) + 4
        room = min(rect.right(), right_edge) - x - 3
        if room < LABEL_MIN:
            continue
        text = metrics.elidedText(label_text(placed.item), Qt.TextElideMode.ElideRight,
                                  room)
        if not text or text == "…":
            continue
        fill = value_colour(column, placed.item.value(column))
        dark = placed.item.approximate or fill.lightnessF() > 0.62
        painter.setPen(text_colour if dark else QColor("#ffffff"))
        painter.drawText(QRectF(x, placed.y, room, ROW), flags, text)


_SPRITES: dict[tuple[str, bool, str, float], QPixmap] = {}


def _sprite(colour: str, approximate: bool, base: QColor, ratio: float) -> QPixmap:
    """A point mark drawn once (per colour, style and pixel ratio) and blitted many times:
    thousands of antialiased ellipse paths cost tens of milliseconds a frame."""
    key = (colour, approximate, base.name(), ratio)
    sprite = _SPRITES.get(key)
    if sprite is None:
        side = MARK + 4
        sprite = QPixmap(int(side * ratio), int(side * ratio))
        sprite.setDevicePixelRatio(ratio)
        sprite.fill(Qt.GlobalColor.transparent)
        painter = QPainter(sprite)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        _draw_points(painter, [QRectF(2, 2, MARK, MARK)], colour, approximate, base)
        painter.end()
        _SPRITES[key] = sprite
    return sprite


def _draw_points(painter: QPainter, rects: Sequence[QRectF], colour: str, approximate: bool,
                 base: QColor) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if approximate:  # a ring: the time is "about"
        painter.setPen(QPen(QColor(colour), 2.2))
        painter.setBrush(base)
        rects = [rect.adjusted(1, 1, -1, -1) for rect in rects]
    else:
        painter.setPen(QPen(base, 1.0))
        painter.setBrush(QColor(colour))
    for rect in rects:
        painter.drawEllipse(rect)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _draw_diamonds(painter: QPainter, rects: Sequence[QRectF], colour: QColor,
                   base: QColor) -> None:
    """Quotes: a diamond (a quote, not an incident), or a rounded bar when it is long."""
    marks = QPainterPath()
    for rect in rects:
        if rect.width() > MARK:
            marks.addRoundedRect(rect, 3, 3)
            continue
        centre = rect.center()
        marks.moveTo(centre.x(), rect.top() - 1)
        marks.lineTo(rect.right() + 1, centre.y())
        marks.lineTo(centre.x(), rect.bottom() + 1)
        marks.lineTo(rect.left() - 1, centre.y())
        marks.closeSubpath()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(base, 1.0))
    painter.setBrush(colour)
    painter.drawPath(marks)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _is_vector(painter: QPainter) -> bool:
    engine: QPaintEngine | None = painter.paintEngine()  # None when the painter is inactive
    return engine is not None and engine.type() not in (QPaintEngine.Type.Raster,
                                                        QPaintEngine.Type.OpenGL2)


def _paint_quotes(painter: QPainter, layout: Layout, visible: QRectF,
                  base: QColor, state: PaintState) -> None:
    _y, height = layout.quote_track
    if height <= 0:
        return
    data = layout.data
    if layout.quotes or (data is not None and data.quotes is not None):
        shown = [q for q in layout.quotes
                 if q.x1 >= visible.left() - MARK and q.x0 <= visible.right() + MARK
                 and visible.top() - ROW <= q.y <= visible.bottom()]
        _paint_quote_links(painter, layout, shown, state)
        _paint_quote_marks(painter, shown, base)
    elif data is not None and data.quote_density is not None and layout.quote_density_max > 0:
        _paint_quote_density(painter, layout, visible)


def _paint_quote_links(painter: QPainter, layout: Layout, shown: list[PlacedQuote],
                       state: PaintState) -> None:
    """A line from each quote to its incident (all of them only when few quotes show)."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    link_colour = QColor(QUOTE_COLOUR)
    link_colour.setAlphaF(0.75)
    links = QPainterPath()
    current_links = QPainterPath()
    draw_all = len(shown) <= LINK_LIMIT
    for placed in shown:
        target = layout.by_uid.get(placed.quote.incident_uid or "")
        if target is None:
            continue
        is_current = placed.quote.incident_uid == state.current_uid
        if not (draw_all or is_current):
            continue
        start = placed.rect().center()
        end_rect = target.rect()
        end = QPointF(end_rect.center().x() if target.point
                      else min(max(start.x(), end_rect.left()), end_rect.right()),
                      end_rect.top())
        path = current_links if is_current else links
        path.moveTo(QPointF(start.x(), placed.rect().bottom()))
        path.lineTo(end)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(link_colour, 1.3))
    painter.drawPath(links)
    painter.setPen(QPen(state.palette.color(QPalette.ColorRole.Highlight), 1.6))
    painter.drawPath(current_links)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _paint_quote_marks(painter: QPainter, shown: list[PlacedQuote], base: QColor) -> None:
    colour = QColor(QUOTE_COLOUR)
    if _is_vector(painter):
        _draw_diamonds(painter, [placed.rect() for placed in shown], colour, base)
        return
    sprite = _SPRITES.get(("quote", False, base.name(), 0.0))
    ratio = painter.device().devicePixelRatioF()
    if sprite is None or sprite.devicePixelRatioF() != ratio:
        side = MARK + 4
        sprite = QPixmap(int(side * ratio), int(side * ratio))
        sprite.setDevicePixelRatio(ratio)
        sprite.fill(Qt.GlobalColor.transparent)
        sprite_painter = QPainter(sprite)
        _draw_diamonds(sprite_painter, [QRectF(2, 2, MARK, MARK)], colour, base)
        sprite_painter.end()
        _SPRITES[("quote", False, base.name(), 0.0)] = sprite
    wide = [placed.rect() for placed in shown if placed.rect().width() > MARK]
    if wide:
        _draw_diamonds(painter, wide, colour, base)
    for placed in shown:
        rect = placed.rect()
        if rect.width() <= MARK:
            painter.drawPixmap(QPointF(rect.left() - 2, rect.top() - 2), sprite)


def _paint_quote_density(painter: QPainter, layout: Layout, visible: QRectF) -> None:
    """Quotes per bin, as bars in the quote track."""
    data = layout.data
    assert data is not None and data.quote_density is not None
    y, height = layout.quote_track
    density = data.quote_density
    edges = [edge.timestamp() for edge in data.request.edges]
    if len(edges) != len(density) + 1:
        return
    painter.setPen(Qt.PenStyle.NoPen)
    fill = QColor(QUOTE_COLOUR)
    fill.setAlphaF(0.75)
    painter.setBrush(fill)
    rects = []
    bottom = y + height - 2
    usable = height - CAPTION - 4
    for number, count in enumerate(density):
        x0 = (edges[number] - layout.t_ref) / layout.spp
        x1 = (edges[number + 1] - layout.t_ref) / layout.spp
        if count <= 0 or x1 < visible.left() or x0 > visible.right():
            continue
        h = count / layout.quote_density_max * usable
        rects.append(QRectF(x0, bottom - h, max(x1 - x0 - (1 if x1 - x0 > 4 else 0),
                                                1.0), h))
    painter.drawRects(rects)
