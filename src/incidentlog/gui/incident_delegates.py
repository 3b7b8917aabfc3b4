"""The incident table's looks: its default columns and the delegates that paint its cells.

Shared by the table (``incident_table``) and the first rows shown while the log
opens (``first_rows``), so that the one replaces the other without a change
on screen. A delegate reads the cells of any model that offers ``columns``,
``record_at`` and ``cell`` (``CellSource``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from incidentlog.domain.columns import Column
from incidentlog.gui.incident_cells import (
    ALIGNMENT,
    DECORATION,
    DEFAULT_SORT,
    DISPLAY,
    FONT,
    FOREGROUND,
    LEFT_ALIGNED,
    RIGHT_ALIGNED,
    Index,
    looks,
)

#: Where the incident table keeps its columns' order, widths and sort (the settings' state).
HEADER_KEY = "incidentHeader"


def default_layout(header: QHeaderView, columns: Sequence[Column[Any]]) -> None:
    """The columns shown at first start, in their order and widths, sorted newest first."""
    keys = [column.key for column in columns]
    ordered = [*DEFAULT_VISIBLE, *(k for k in keys if k not in DEFAULT_VISIBLE)]
    for visual, key in enumerate(ordered):
        number = keys.index(key)
        header.moveSection(header.visualIndex(number), visual)
        header.setSectionHidden(number, key not in DEFAULT_VISIBLE)
        header.resizeSection(number, DEFAULT_WIDTHS.get(key, 110))
    date = next((n for n, c in enumerate(columns) if c.sort == DEFAULT_SORT.column), 0)
    header.setSortIndicator(date, Qt.SortOrder.DescendingOrder)


def one_line_rows(view: QTableView) -> None:
    """Rows of one line each, elided, alternating, without row numbers."""
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    vertical = view.verticalHeader()
    vertical.setVisible(False)
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(view.fontMetrics().height() + 12)


def fit_title(header: QHeaderView, title: int, width: int) -> None:
    """Give the title column (section ``title``) the width the other shown columns leave
    of ``width`` (the viewport's), at least ``MIN_TITLE_WIDTH``."""
    others = sum(header.sectionSize(n) for n in range(header.count())
                 if n != title and not header.isSectionHidden(n))
    header.resizeSection(title, max(MIN_TITLE_WIDTH, width - others - 2))


class CellSource(Protocol):
    """What the delegates read: the model's columns, its records and their cells."""

    columns: Any

    def record_at(self, row: int) -> Any: ...

    def cell(self, column: Column[Any], record: Any, role: int) -> Any: ...


#: Shown at first start; the rest can be turned on from the header's menu.
#: In this order; the title takes what the others leave (see ``_fit_title``).
DEFAULT_VISIBLE = ("ref", "occurred", "title", "country", "status", "confidence",
                   "killed", "injured")
DEFAULT_WIDTHS = {"ref": 96, "occurred": 186, "title": 300, "place": 150, "country": 72,
                  "event_type": 135, "killed": 70, "injured": 128, "status": 96,
                  "confidence": 100, "summary": 300, "tags": 180, "perpetrator": 160,
                  "actors": 280,
                  "target": 150}
MIN_TITLE_WIDTH = 160
ALIGNMENT_FLAGS = {RIGHT_ALIGNED: Qt.AlignmentFlag(RIGHT_ALIGNED),
                   LEFT_ALIGNED: Qt.AlignmentFlag(LEFT_ALIGNED)}
HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
HAS_DECORATION = QStyleOptionViewItem.ViewItemFeature.HasDecoration
TEXT_COLOUR = QPalette.ColorRole.Text
CENTRED = int(Qt.AlignmentFlag.AlignCenter)

class IncidentCellDelegate(QStyledItemDelegate):
    """Fills a painted cell's style option from the model's record in one call.

    ``QStyledItemDelegate`` asks the model for seven roles per cell, each a
    call from C++ into Python: ~1,450 calls a screen of the table. This does
    what its ``initStyleOption`` does with the same values (``cell``), asking
    the model once per cell. With the colours made once, a repaint of a screen
    at 1M went from 41–44 ms to 32–35 ms; a test compares its pixels with Qt's.
    """

    def __init__(self, model: CellSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._swatches: dict[tuple[int, int, int], QIcon] = {}

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        model = self._model
        record = model.record_at(index.row()) if index.isValid() else None
        if record is None or index.column() >= len(model.columns):
            super().initStyleOption(option, index)
            return
        column = model.columns[index.column()]
        cell = model.cell
        option.index = index  # type: ignore[assignment]  # the view hands a QModelIndex
        font = cell(column, record, FONT)
        if font is not None:
            option.font = font.resolve(option.font)
            option.fontMetrics = QFontMetrics(option.font)
        # Enum members are read once (a PySide6 enum lookup costs microseconds).
        option.displayAlignment = ALIGNMENT_FLAGS[cell(column, record, ALIGNMENT)]
        foreground = cell(column, record, FOREGROUND)
        if foreground is not None:
            palette = option.palette
            palette.setBrush(TEXT_COLOUR, foreground)
            option.palette = palette
        swatch = cell(column, record, DECORATION)
        if swatch is not None:
            option.features |= HAS_DECORATION
            option.icon = self._swatch(swatch, option.decorationSize)
        text = cell(column, record, DISPLAY)
        if text is not None:
            option.features |= HAS_DISPLAY
            option.text = str(text).replace("\n", "\u2028")  # as Qt's displayText does
        option.backgroundBrush = QBrush()
        option.styleObject = None  # type: ignore[assignment]  # the stubs miss Optional

    def _swatch(self, colour: QColor, size: QSize) -> QIcon:
        key = (colour.rgba(), size.width(), size.height())
        icon = self._swatches.get(key)
        if icon is None:
            pixmap = QPixmap(size)
            pixmap.fill(colour)
            icon = self._swatches[key] = QIcon(pixmap)
        return icon


class StatusBadgeDelegate(IncidentCellDelegate):
    """Paints the status as a rounded, coloured badge readable at a glance."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        record = self._model.record_at(index.row()) if index.isValid() else None
        if record is None:
            super().paint(painter, option, index)
            return
        badge = looks().badge_colours[record.status]
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget: QWidget | None = opt.widget  # None when painted outside a view
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        metrics = opt.fontMetrics
        width = metrics.horizontalAdvance(text) + 16
        height = min(opt.rect.height() - 6, metrics.height() + 4)
        rect = QRect(opt.rect.left() + 6, opt.rect.center().y() - height // 2 + 1,
                     min(width, opt.rect.width() - 12), height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(badge)
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(looks().status_brushes[record.status].color())
        painter.drawText(rect, CENTRED, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 24, size.height())
