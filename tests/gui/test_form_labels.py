"""A screen reader says an input by its label's words, as a sighted user reads them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.forms.base import FormBase
from incidentlog.gui.forms.incident_form import IncidentForm
from incidentlog.gui.forms.quote_form import QuoteForm
from incidentlog.gui.forms.source_form import SourceForm
from incidentlog.gui.settings import Settings
from incidentlog.services import Services


@pytest.fixture
def context(services: Services, tmp_path: Path, qapp: QApplication) -> Iterator[AppContext]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    bus = ChangeBus(services)
    yield AppContext(services, SelectionState(), bus, QUndoStack(), Settings(settings))
    bus.detach()


def _spoken(text: str) -> str:
    """What the eye reads on a label: no "&" mnemonic marker, no trailing colon."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(":")


def _labelled(form: QWidget) -> Iterator[tuple[str, QWidget]]:
    for label in form.findChildren(QLabel):
        buddy = label.buddy()
        if buddy is None:
            continue
        own = buddy.text() if isinstance(buddy, QAbstractButton) else ""
        yield _spoken(label.text()) or _spoken(own), buddy


@pytest.mark.parametrize("form_class", [IncidentForm, SourceForm, QuoteForm])
def test_every_input_is_named_by_its_label(qtbot: Any, context: AppContext,
                                           form_class: type[FormBase]) -> None:
    form = form_class(context)
    qtbot.addWidget(form)
    labelled = list(_labelled(form))
    assert len(labelled) >= 10
    spoken: set[str] = set()
    for text, buddy in labelled:
        assert text, buddy.objectName()
        name = buddy.accessibleName()
        # A row of several inputs says the label, then which part ("Killed: number").
        assert name == text or name.startswith(f"{text}: "), (buddy.objectName(), name, text)
        spoken.add(text)
    for widget in form.findChildren(QWidget):
        if not isinstance(widget, QLineEdit | QComboBox | QPlainTextEdit | QCheckBox):
            continue
        if (isinstance(widget.parentWidget(), QComboBox) or not widget.objectName()
                or widget.objectName().startswith("qt_")):
            continue  # the parts of Qt's own widgets (a combo's line edit, a spin box's)
        name = widget.accessibleName()
        assert name.split(": ", 1)[0] in spoken or name == "Cited by", (widget.objectName(), name)
