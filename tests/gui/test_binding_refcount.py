"""Guard against the PySide6 6.12.0 / CPython 3.11 reference leak.

That build takes a reference from None/True/False at every Qt call that
returns nothing (and every signal emit); after about 20,000 such calls the
process aborts with "Fatal Python error: none_dealloc". pyproject.toml keeps
it out; this test fails if an installed binding leaks anyway.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

CALLS = 100_000


class _Emitter(QObject):
    fired = Signal()


def test_void_qt_calls_leave_none_refcount_unchanged(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    update = widget.update
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        update()
    after = sys.getrefcount(None)
    # A leaking binding loses one reference per call: 100,000. Allow a little
    # slack for unrelated allocations during the loop.
    assert abs(after - before) < 100, f"None refcount drifted by {after - before}"


def test_bool_returning_and_signal_calls_do_not_leak(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    emitter = _Emitter()
    before = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    for _ in range(CALLS // 2):
        widget.setEnabled(True)
        widget.isVisible()
        emitter.fired.emit()
    after = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    drift = [abs(a - b) for a, b in zip(after, before, strict=True)]
    assert max(drift) < 100, f"refcounts of True/False/None drifted by {drift}"
