"""Guard against the PySide6 6.12.0 / CPython 3.11 reference leak.

That build takes a reference from None/True/False at every Qt call that
returns nothing (and every signal emit); after about 20,000 such calls the
process aborts with "Fatal Python error: none_dealloc". pyproject.toml keeps
it out; this test fails if an installed binding leaks anyway. It checks in
batches so that a leaking binding fails the test long before it can abort the
whole test run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

CALLS = 100_000
BATCH = 1_000
SLACK = 100  # unrelated allocations during a batch; a leak drifts by one per call


class _Emitter(QObject):
    fired = Signal()


def _assert_no_drift(call: Callable[[], object], singletons: tuple[object, ...]) -> None:
    before = [sys.getrefcount(s) for s in singletons]
    for done in range(BATCH, CALLS + 1, BATCH):
        for _ in range(BATCH):
            call()
        drift = [sys.getrefcount(s) - b for s, b in zip(singletons, before, strict=True)]
        assert max(abs(d) for d in drift) < SLACK, (
            f"after {done:,} calls the refcounts of {singletons} drifted by {drift}: this "
            f"PySide6 build leaks references and will abort the process "
            f"(PySide6 6.12.0 on Python {sys.version_info[0]}.{sys.version_info[1]}?)"
        )


def test_void_qt_calls_leave_none_refcount_unchanged(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    _assert_no_drift(widget.update, (None,))


def test_setters_getters_and_emits_do_not_leak(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    emitter = _Emitter()

    def calls() -> None:
        widget.setEnabled(True)
        widget.isVisible()
        emitter.fired.emit()

    _assert_no_drift(calls, (None, True, False))
