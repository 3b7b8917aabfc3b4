"""What the main window shows without a log: the welcome page, and the page shown while opening."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from incidentlog.gui.plain_text import mark_rich


class OpeningPage(QWidget):
    """What the window shows while the log it starts on is opened; calls back once painted."""

    def __init__(self, painted: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._painted = painted
        self.setObjectName("openingPage")
        layout = QVBoxLayout(self)
        self.label = mark_rich(QLabel(self))  # "Opening <name>…", the name escaped
        self.label.setObjectName("openingLabel")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self._painted()


class WelcomePage(QWidget):
    """No log is open: open one or create one."""

    def __init__(self, open_log: Callable[[], object], new_log: Callable[[], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        self.setAccessibleName(self.tr("No database open"))
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        text = mark_rich(QLabel(self.tr(
            "<h2>No incident log is open</h2>"
            "<p>Open an existing log, or create a new one.</p>"), self))
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(text)
        for label, slot in ((self.tr("&Open a log…"), open_log),
                            (self.tr("&New log…"), new_log)):
            button = QPushButton(label, self)
            button.setAccessibleName(label.replace("&", ""))
            button.clicked.connect(lambda _checked=False, s=slot: s())
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
