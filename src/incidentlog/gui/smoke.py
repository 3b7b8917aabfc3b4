"""The GUI step of ``incidentlog self-test``: open the real main window, then close it.

Kept in ``gui/`` so that only the GUI layer imports Qt; ``selftest.py`` calls it
lazily, after the headless steps.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QTimer, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication


def open_and_close_main_window(
    database: Path, svg_icon: Path, *, settle_seconds: float, modal_patience_ms: int
) -> str:
    """Build the window as ``incidentlog --db PATH`` does, show it, close it.

    Returns a line describing the Qt in use; raises ``RuntimeError`` saying what
    went wrong (a message box appeared, the database did not open, the window
    refused to close, SVG icons cannot be drawn).
    """
    from incidentlog.app import build_main_window

    application = QApplication.instance() or QApplication([sys.argv[0] or "incidentlog"])
    assert isinstance(application, QApplication)
    # A message box would wait for a click that never comes: note it and dismiss it.
    messages: list[str] = []

    def dismiss_message_boxes() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            text = modal.text() if hasattr(modal, "text") else modal.windowTitle()
            messages.append(" ".join(str(text).split()))
            modal.close()

    watchdog = QTimer()
    watchdog.setInterval(modal_patience_ms)
    watchdog.timeout.connect(dismiss_message_boxes)
    watchdog.start()
    try:
        window = build_main_window(["--db", str(database)])
        window.show()
        deadline = time.monotonic() + settle_seconds
        while time.monotonic() < deadline:
            application.processEvents()
            time.sleep(0.01)
        opened = window.context is not None
        svg_ok = not QIcon(str(svg_icon)).pixmap(48, 48).isNull()
        closed = window.close()
        window.deleteLater()
        application.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        application.processEvents()
    finally:
        watchdog.stop()
    if messages:
        raise RuntimeError(f"the window showed a message: {messages[0]}")
    if not opened:
        raise RuntimeError("the main window did not open the database")
    if not closed:
        raise RuntimeError("the main window refused to close")
    if not svg_ok:
        raise RuntimeError("Qt cannot draw SVG icons (the svg icon engine plugin is missing)")
    return f"Qt {qVersion()}, platform {application.platformName()}, SVG icons ok"
