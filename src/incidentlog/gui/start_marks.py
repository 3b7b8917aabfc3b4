"""Marks of a start on standard output, for timing the real program from outside.

With ``INCIDENTLOG_START_MARKS=1`` in its environment, incidentlog prints one line at
each moment of its start that a user sees, from inside the paint that shows it:

* ``painted``: the window's first paint (its "Opening…" page);
* ``rows``: the log's first rows painted (the preview read before the data layer,
  gui/first_rows.py, or else the table's own rows);
* ``workspace``: the incident table's own rows painted.

``python -m bench`` times them for the source install and the packaged build alike
(docs/performance.md). Without the variable nothing is printed and no filter installed.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject

__all__ = ["ENABLED", "mark", "mark_on_paint"]

ENABLED = os.environ.get("INCIDENTLOG_START_MARKS", "") not in ("", "0")
_printed: set[str] = set()


def mark(name: str) -> None:
    """Print ``name`` once per process (when enabled)."""
    if ENABLED and name not in _printed:
        _printed.add(name)
        print(name, flush=True)


class _PaintMark(QObject):
    def __init__(self, names: tuple[str, ...], ready: Callable[[], bool],
                 parent: QObject) -> None:
        super().__init__(parent)
        self._names = names
        self._ready = ready

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.Paint and self._ready():
            for name in self._names:
                mark(name)
            watched.removeEventFilter(self)
            self.deleteLater()
        return False


def mark_on_paint(widget: QObject, *names: str, ready: Callable[[], bool] = lambda: True
                  ) -> None:
    """Print ``names`` from inside the first paint of ``widget`` at which ``ready()``."""
    if ENABLED and not all(name in _printed for name in names):
        widget.installEventFilter(_PaintMark(names, ready, widget))
