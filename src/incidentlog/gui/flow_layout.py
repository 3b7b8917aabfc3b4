"""A layout that lays its items out in rows, wrapping to a new row when the next
one does not fit: the filter bar is one row on a wide screen and two or three
on a 1024-pixel one (or at 150 % scaling), instead of forcing the window wider
than the screen.

Each row is stretched to the full width: the extra space goes to the items
whose horizontal size policy expands (to every item when none does).
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget


class FlowLayout(QLayout):
    """Items left to right, wrapping into as many rows as the width needs."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    # --- QLayout's item list --------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # --- sizes ------------------------------------------------------------------
    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def sizeHint(self) -> QSize:
        """Everything on one row."""
        visible = self._visible()
        width = sum(item.sizeHint().width() for item in visible) \
            + self._gap * max(len(visible) - 1, 0)
        height = max((item.sizeHint().height() for item in visible), default=0)
        return QSize(width, height).grownBy(self.contentsMargins())

    def minimumSize(self) -> QSize:
        """As narrow as the widest item: one item a row."""
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        return size.grownBy(self.contentsMargins())

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    # --- placing ----------------------------------------------------------------
    def _visible(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _rows(self, width: int) -> list[list[QLayoutItem]]:
        rows: list[list[QLayoutItem]] = []
        used = 0
        for item in self._visible():
            wanted = item.sizeHint().width()
            if rows and used + self._gap + wanted <= width:
                rows[-1].append(item)
                used += self._gap + wanted
            else:
                rows.append([item])
                used = wanted
        return rows

    def _arrange(self, rect: QRect, *, place: bool) -> int:
        """Place the items in ``rect`` (when ``place``); the height they take."""
        margins: QMargins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        y = area.y()
        for number, row in enumerate(self._rows(area.width())):
            if number:
                y += self._gap
            height = max(item.sizeHint().height() for item in row)
            if place:
                self._place_row(row, area.x(), y, area.width(), height)
            y += height
        return y - area.y() + margins.top() + margins.bottom()

    def _place_row(self, row: list[QLayoutItem], x: int, y: int, width: int,
                   height: int) -> None:
        widths = [item.sizeHint().width() for item in row]
        spare = width - sum(widths) - self._gap * (len(row) - 1)
        growing = [i for i, item in enumerate(row) if _expands(item)] or list(range(len(row)))
        for turn, index in enumerate(growing):
            share = spare // len(growing) + (1 if turn < spare % len(growing) else 0)
            widths[index] = max(widths[index] + share, row[index].minimumSize().width())
        for item, item_width in zip(row, widths, strict=True):
            item.setGeometry(QRect(QPoint(x, y), QSize(item_width, height)))
            x += item_width + self._gap


def _expands(item: QLayoutItem) -> bool:
    widget = item.widget()
    if widget is None:
        return False
    policy = widget.sizePolicy().horizontalPolicy()
    return bool(policy.value & QSizePolicy.PolicyFlag.ExpandFlag.value)
