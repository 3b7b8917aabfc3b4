"""The quote form on its own (as the Quotes view embeds it) and in its dialog."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.query import TextFilter
from incidentlog.domain.records import Incident, Quote, Source
from incidentlog.domain.when import Moment
from incidentlog.gui import plain_text
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.forms.quote_form import QuoteDialog, QuoteForm
from incidentlog.gui.settings import Settings
from incidentlog.services import Services

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

CENTCOM_QUOTE = (
    "Multiple ballistic missiles and rockets were launched by Iranian-backed militants in "
    "western Iraq targeting al-Assad Airbase."
)


def activate(qtbot: Any, window: QWidget) -> None:
    """Make ``window`` the active window, so that focus and Tab behave as on a desk.

    After another test's window was hidden but not yet destroyed, the offscreen
    platform may ignore ``activateWindow()``; Qt is then told directly.
    """
    window.activateWindow()
    QApplication.processEvents()
    if not window.isActiveWindow():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            QApplication.setActiveWindow(window)
    qtbot.waitUntil(window.isActiveWindow)


@pytest.fixture
def context(services: Services, tmp_path: Path, qapp: QApplication) -> Iterator[AppContext]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    bus = ChangeBus(services)
    yield AppContext(services, SelectionState(), bus, QUndoStack(), Settings(settings))
    bus.detach()


@pytest.fixture
def form(qtbot: Any, context: AppContext) -> QuoteForm:
    widget = QuoteForm(context)
    qtbot.addWidget(widget)
    widget.resize(520, 700)
    widget.show()
    activate(qtbot, widget)
    return widget


@pytest.fixture
def incident(services: Services) -> Incident:
    return services.incidents.create(Incident(
        title="Iranian-backed militants attack al-Assad Airbase", country="IQ",
        occurred=Moment.from_local(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE,
                                   "Asia/Baghdad", approximate=True))).record


def test_a_quote_of_an_incident_from_the_keyboard(
    qtbot: Any, form: QuoteForm, context: AppContext, incident: Incident
) -> None:
    services = context.services
    post = services.sources.create(Source(url="https://x.com/CENTCOM/status/1748846497406726425",
                                          handle="@CENTCOM")).record
    services.incidents.link_source(incident.uid or "", post.uid or "", "time")
    form.new_quote(incident.uid)
    assert form.incident.text() == "IQ-2024-0001 — Iranian-backed militants attack al-Assad Airbase"
    assert form.said_tz.currentText() == "Asia/Baghdad"  # the incident's zone
    assert [form.source.itemData(i) for i in range(form.source.count())] == [None, post.uid]
    assert QApplication.focusWidget() is form.text
    qtbot.keyClicks(form.text, CENTCOM_QUOTE)
    qtbot.keyClick(form.text, Qt.Key.Key_Tab)  # Tab leaves the multi-line text
    assert QApplication.focusWidget() is form.speaker
    qtbot.keyClicks(form.speaker, "U.S. Central Command")
    form.said.edit.setFocus()
    qtbot.keyClicks(form.said.edit, "2024-01-20")
    form.source.setCurrentIndex(1)
    with qtbot.waitSignal(form.saved) as saved:
        qtbot.keyClick(form.speaker, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    stored = services.quotes.get(saved.args[0])
    assert stored.text == CENTCOM_QUOTE
    assert stored.incident_uid == incident.uid and stored.source_uid == post.uid
    assert stored.said is not None and stored.said.local_text() == "2024-01-20"
    assert stored.said.tz == "Asia/Baghdad"
    assert services.quote_query.list(TextFilter(incident_uid=incident.uid)) == [stored]


def test_every_field_is_named(form: QuoteForm) -> None:
    for name in ("text", "speaker", "speaker_role", "speaker_org", "said_at", "said_precision",
                 "said_tz", "language", "context", "incident", "source"):
        widget = form.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName()  # the label's text: see test_form_labels.py


def test_problems_are_shown_beside_the_fields(qtbot: Any, form: QuoteForm,
                                              context: AppContext) -> None:
    form.new_quote()
    form.language.setText("English")
    form.incident.setText("XX-0000")
    form.said.edit.setText("2024-01")
    assert not form.save()
    errors = form.errors_shown()
    assert errors["text"] == "Text is required: what was said?"
    assert errors["speaker"] == "Speaker is required: who said it?"
    assert "language code" in errors["language"]
    assert errors["incident"].startswith("No incident has the ref")
    assert "incomplete" in errors["said_at"]
    assert context.services.quote_query.list() == []
    form.text.setPlainText("We will respond.")
    form.speaker.setText("Lloyd Austin")
    form.language.setText("en")
    form.incident.setText("")
    form.said.edit.setText("")
    assert form.errors_shown() == {}
    assert form.save()
    assert context.services.quote_query.list()[0].incident_uid is None  # about the conflict


def test_edit_undo_and_the_dialog(qtbot: Any, context: AppContext, incident: Incident) -> None:
    services = context.services
    quote = services.quotes.create(Quote(text=CENTCOM_QUOTE, speaker="CENTCOM",
                                         incident_uid=incident.uid)).record
    dialog = QuoteDialog(context)
    qtbot.addWidget(dialog)
    dialog.form.load(quote.uid)
    dialog.open()
    assert dialog.form.header.text() == quote.label
    dialog.form.speaker_role.setText("U.S. military command")
    with qtbot.waitSignal(dialog.accepted):
        dialog.button_box.accepted.emit()
    assert services.quotes.get(quote.uid or "").speaker_role == "U.S. military command"
    context.undo_stack.undo()
    assert services.quotes.get(quote.uid or "").speaker_role is None


def test_cancelling_a_dialog_with_edits_asks(qtbot: Any, context: AppContext,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = QuoteDialog(context)
    qtbot.addWidget(dialog)
    dialog.form.new_quote()
    dialog.open()
    dialog.form.text.setPlainText("Half a quote")
    monkeypatch.setattr(plain_text, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Cancel)
    dialog.reject()
    assert dialog.isVisible()
    monkeypatch.setattr(plain_text, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    with qtbot.waitSignal(dialog.rejected):
        dialog.reject()
    assert context.services.quote_query.list() == []


def test_a_change_elsewhere_reloads_a_clean_form(form: QuoteForm, context: AppContext) -> None:
    services = context.services
    quote = services.quotes.create(Quote(text="We will respond.", speaker="Austin")).record
    form.load(quote.uid)
    services.quotes.update(Quote(text="We will respond.", speaker="Lloyd Austin",
                                 meta=quote.meta))
    assert form.speaker.text() == "Lloyd Austin"
    form.context_edit.setPlainText("press conference")
    fresh = services.quotes.get(quote.uid or "")
    services.quotes.update(Quote(text="We will respond.", speaker="Lloyd J. Austin",
                                 meta=fresh.meta))
    assert form.speaker.text() == "Lloyd Austin"  # my edits stay
    assert form.notice.button("Reload") is not None


def test_read_only(form: QuoteForm, context: AppContext) -> None:
    quote = context.services.quotes.create(Quote(text="We will respond.",
                                                 speaker="Austin")).record
    form.load(quote.uid)
    form.set_read_only(True)
    assert form.text.isReadOnly() and form.speaker.isReadOnly() and form.incident.isReadOnly()
    assert not form.source.isEnabled() and not form.said.precision.isEnabled()
    assert not form.save_button.isEnabled()
    assert not form.save()
