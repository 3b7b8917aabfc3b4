"""Shared by the window tests: no message box may wait for a person.

A box opened without a test's stand-in (``DialogRecorder``, or a patched
function of gui/plain_text.py) would block the suite until its time-out;
here it fails the test at once, saying which box it was.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox


@pytest.fixture(autouse=True)
def _no_unanswered_message_box(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(box: QMessageBox) -> int:
        raise AssertionError(
            f"a message box would wait for a person: {box.windowTitle()!r}: {box.text()!r}")

    monkeypatch.setattr(QMessageBox, "exec", refuse)
