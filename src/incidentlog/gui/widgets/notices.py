"""The colours of problems and notices, and the widgets that show them.

Problems are drawn through palettes, not a style sheet: a style sheet on a form
would re-polish every child (0.3 s per form) and override the platform's look
of every input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QPalette,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from incidentlog.domain.errors import IncidentLogError
from incidentlog.gui import plain_text
from incidentlog.gui.errors import show_error

#: The colours of problems and notices. Applied through palettes, not a style sheet:
#: a style sheet on the form would re-polish every child (0.3 s per form) and
#: would override the platform's look of every input.
ERROR_RED = QColor("#c62828")
NOTICE_AMBER = QColor("#f4c20d")


def _blend(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(
        base.redF() + (tint.redF() - base.redF()) * amount,
        base.greenF() + (tint.greenF() - base.greenF()) * amount,
        base.blueF() + (tint.blueF() - base.blueF()) * amount,
    )


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def mark_invalid(widget: QWidget, message: str | None) -> None:
    """Draw ``widget`` as having a problem (or not); the message is read by screen readers."""
    invalid = bool(message)
    if bool(widget.property("invalid")) == invalid and widget.accessibleDescription() == (
        message or ""
    ):
        return
    widget.setProperty("invalid", invalid)
    widget.setAccessibleDescription(message or "")
    if not invalid:
        widget.setPalette(QPalette())  # back to the inherited palette
        return
    parent = widget.parentWidget()
    palette = QPalette(parent.palette() if parent is not None else widget.palette())
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        palette.setColor(role, _blend(palette.color(role), ERROR_RED, 0.16))
    widget.setPalette(palette)


def report_error(parent: QWidget, error: IncidentLogError | str, title: str | None = None) -> None:
    """Tell the user about an error that belongs to no field (read-only file, disk full).

    Field problems never come here: they are shown beside their field. Errors
    go through the window's shared presenter (``gui.errors.show_error``), so
    they read the same everywhere (as text: gui/plain_text.py).
    """
    if isinstance(error, IncidentLogError):
        show_error(parent, error)
        return
    plain_text.warning(parent, title or parent.tr("incidentlog"), str(error))


class ErrorLabel(QLabel):
    """The small red message under a field (its form row is hidden while it is empty)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "error")
        palette = self.palette()
        dark = _is_dark(palette)
        palette.setColor(QPalette.ColorRole.WindowText,
                         ERROR_RED.lighter(170) if dark else ERROR_RED)
        self.setPalette(palette)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * 0.92)
        self.setFont(font)

    def set_message(self, text: str | None) -> None:
        self.setText(text or "")


class NoticeBar(QFrame):
    """A non-modal message with actions ("changed by someone else — Reload").

    Used instead of a dialog for things that do not need an answer right now,
    so the officer can keep typing.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setAccessibleName(self.tr("Notice"))
        self.setProperty("role", "notice")
        self.setFrameShape(QFrame.Shape.Box)
        self.setFrameShadow(QFrame.Shadow.Plain)
        palette = self.palette()
        window = palette.color(QPalette.ColorRole.Window)
        palette.setColor(QPalette.ColorRole.Window, _blend(window, NOTICE_AMBER, 0.35))
        palette.setColor(QPalette.ColorRole.WindowText, _blend(window, NOTICE_AMBER, 0.9)
                         if _is_dark(palette) else QColor("#7a5c00"))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.label, 1)
        self._buttons_box = QHBoxLayout()
        layout.addLayout(self._buttons_box)
        self._buttons: list[QPushButton] = []
        self.setVisible(False)

    def show_notice(
        self, text: str, actions: Sequence[tuple[str, Callable[[], object]]] = ()
    ) -> None:
        self.clear()
        self.label.setText(text)
        for caption, callback in actions:
            button = QPushButton(caption, self)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, cb=callback: cb())
            self._buttons_box.addWidget(button)
            self._buttons.append(button)
        self.setVisible(True)

    def clear(self) -> None:
        for button in self._buttons:
            button.hide()
            button.deleteLater()
        self._buttons = []
        self.label.clear()
        self.setVisible(False)

    def text(self) -> str:
        parent = self.parentWidget()
        shown = self.isVisible() if parent is None else self.isVisibleTo(parent)
        return self.label.text() if shown else ""

    def buttons(self) -> list[QPushButton]:
        return list(self._buttons)

    def button(self, caption: str) -> QPushButton | None:
        wanted = caption.replace("&", "")
        return next((b for b in self._buttons if b.text().replace("&", "") == wanted), None)
