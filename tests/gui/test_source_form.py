"""The source form on its own (as the Sources view embeds it) and in its dialog."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from incidentlog.domain.citation import parse_citation
from incidentlog.domain.enums import Reliability, SourceKind, TimePrecision
from incidentlog.domain.query import TextFilter
from incidentlog.domain.records import Incident, Source
from incidentlog.domain.when import Moment
from incidentlog.gui import plain_text
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.forms.source_form import SourceDialog, SourceForm
from incidentlog.gui.settings import Settings
from incidentlog.services import Services

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

POST_URL = "https://twitter.com/CENTCOM/status/1748846497406726425"
SAME_POST = "https://x.com/centcom/status/1748846497406726425?s=20"


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
def form(qtbot: Any, context: AppContext) -> SourceForm:
    widget = SourceForm(context)
    qtbot.addWidget(widget)
    widget.resize(520, 800)
    widget.show()
    activate(qtbot, widget)
    return widget


def test_a_new_source_is_entered_and_saved_with_ctrl_s(
    qtbot: Any, form: SourceForm, context: AppContext
) -> None:
    form.new_source()
    assert QApplication.focusWidget() is form.title
    assert form.accessed_at.text().endswith("Z")  # accessed now, in UTC
    qtbot.keyClicks(form.title, "US base attacked in Iraq hours after Iran vows revenge")
    qtbot.keyClick(form.title, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "https://www.reuters.com/world/x?utm_source=tw")
    form.kind.setCurrentIndex(list(SourceKind).index(SourceKind.ARTICLE))
    form.outlet.setText("Reuters")
    form.published.set_wall(datetime(2024, 8, 5), TimePrecision.DAY)
    form.reliability.setCurrentIndex(2)  # B
    form.language.setText("en")
    with qtbot.waitSignal(form.saved) as saved:
        qtbot.keyClick(form.language, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    stored = context.services.sources.get(saved.args[0])
    assert stored.title == "US base attacked in Iraq hours after Iran vows revenge"
    assert stored.url == "https://www.reuters.com/world/x?utm_source=tw"
    assert stored.reliability is Reliability.B
    assert stored.published is not None and stored.published.local_text() == "2024-08-05"
    assert not form.is_dirty()
    assert form.header.text() == stored.title
    context.undo_stack.undo()
    assert context.services.source_query.list() == []


def test_every_field_is_named(form: SourceForm) -> None:
    for name in ("kind", "title", "url", "outlet", "author", "handle", "published_at",
                 "published_precision", "published_tz", "accessed_at", "archive_url",
                 "excerpt", "language", "reliability", "sha256", "notes", "citedBy"):
        widget = form.findChild(QLineEdit, name) or form.findChild(QComboBox, name) or \
            form.findChild(QPlainTextEdit, name) or form.findChild(object, name)
        assert widget is not None, name
        assert widget.accessibleName()  # the label's text: see test_form_labels.py


def test_problems_are_shown_beside_the_fields(qtbot: Any, form: SourceForm,
                                              context: AppContext) -> None:
    form.new_source()
    form.archive_url.setText("web.archive.org/x")
    form.language.setText("English")
    assert not form.save()
    errors = form.errors_shown()
    assert errors["title"].startswith("Give at least a title")
    assert "not a web address" in errors["archive_url"]
    assert "language code" in errors["language"]
    assert form.title.property("invalid") is True
    qtbot.keyClicks(form.url, POST_URL)
    assert "title" not in form.errors_shown()  # fixed: the message goes at once
    form.archive_url.setText("https://web.archive.org/x")
    form.language.setText("en")
    assert form.errors_shown() == {}
    assert form.save()
    assert len(context.services.source_query.list()) == 1


def test_a_known_address_is_offered_for_reuse(
    qtbot: Any, form: SourceForm, context: AppContext
) -> None:
    existing = context.services.sources.create(Source(url=POST_URL, handle="@CENTCOM")).record
    form.new_source()
    form.fill_from_guess(parse_citation(SAME_POST))
    assert form.handle.text() == "@centcom"
    assert form.kind.currentText() == "social post"
    notice = form.duplicate_notice
    assert notice.isVisible()
    assert [d.uid for d in form.duplicates()] == [existing.uid]
    assert not form.save()  # the officer decides first
    reused: list[str] = []
    form.reused.connect(reused.append)
    with qtbot.waitSignal(form.saved) as saved:
        button = notice.button("Use the existing source")
        assert button is not None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert saved.args == [existing.uid] and reused == [existing.uid]
    assert form.uid() == existing.uid
    assert len(context.services.source_query.list()) == 1
    assert context.undo_stack.count() == 0  # nothing was written


def test_not_a_duplicate_creates_a_distinct_source(form: SourceForm, context: AppContext
                                                   ) -> None:
    context.services.sources.create(Source(url=POST_URL))
    form.new_source()
    form.url.setText(SAME_POST)
    form.check_duplicates()
    button = form.duplicate_notice.button("Not a duplicate")
    assert button is not None
    button.click()
    assert form.save()
    assert len(context.services.source_query.list()) == 2
    context.undo_stack.undo()
    assert len(context.services.source_query.list()) == 1


def test_a_source_shows_the_incidents_that_cite_it(form: SourceForm, context: AppContext
                                                   ) -> None:
    services = context.services
    source = services.sources.create(Source(url=POST_URL)).record
    incident = services.incidents.create(Incident(
        title="Iranian-backed militants attack al-Assad Airbase", country="IQ",
        occurred=Moment.from_local(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE,
                                   "Asia/Baghdad"))).record
    form.load(source.uid)
    assert form.citing_texts() == []
    services.incidents.link_source(incident.uid or "", source.uid or "", "time")
    assert form.citing_texts() == ["IQ-2024-0001 — Iranian-backed militants attack al-Assad "
                                   "Airbase"]
    opened: list[str] = []
    form.incidentActivated.connect(opened.append)
    form.cited_by.itemActivated.emit(form.cited_by.item(0))
    assert opened == [incident.uid]


def test_dirty_revert_and_leaving(form: SourceForm, context: AppContext,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    source = context.services.sources.create(Source(title="A report", url=POST_URL)).record
    form.load(source.uid)
    assert not form.is_dirty() and form.maybe_leave()
    form.notes.setPlainText("check the video")
    assert form.is_dirty()
    monkeypatch.setattr(plain_text, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert not form.maybe_leave()
    assert form.notes.toPlainText() == "check the video"
    monkeypatch.setattr(plain_text, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Save)
    assert form.maybe_leave()
    assert context.services.sources.get(source.uid or "").notes == "check the video"
    form.title.setText("Another title")
    form.revert()
    assert form.title.text() == "A report" and not form.is_dirty()


def test_a_change_elsewhere_reloads_or_offers_keep_mine(form: SourceForm, context: AppContext
                                                         ) -> None:
    services = context.services
    source = services.sources.create(Source(title="A report", url=POST_URL)).record
    form.load(source.uid)
    theirs = services.sources.update(Source(title="Their title", url=POST_URL,
                                            meta=source.meta)).record
    assert form.title.text() == "Their title"
    form.outlet.setText("CENTCOM")
    services.sources.update(Source(title="Their title", url=POST_URL, notes="theirs",
                                   meta=theirs.meta))
    assert "changed by tester" in form.notice.label.text()
    assert not form.save()
    keep = form.notice.button("Keep mine")
    assert keep is not None
    keep.click()
    assert services.sources.get(source.uid or "").outlet == "CENTCOM"


def test_read_only(form: SourceForm, context: AppContext) -> None:
    source = context.services.sources.create(Source(title="A report", url=POST_URL)).record
    form.load(source.uid)
    form.set_read_only(True)
    assert form.title.isReadOnly() and form.excerpt.isReadOnly()
    assert not form.kind.isEnabled() and not form.reliability.isEnabled()
    assert not form.save_button.isEnabled() and not form.accessed_now.isEnabled()
    form.title.setText("changed")  # even set by a program: nothing is saved
    assert not form.is_dirty() and not form.save()


def test_the_dialog_saves_and_returns_the_source_and_its_note(
    qtbot: Any, context: AppContext
) -> None:
    dialog = SourceDialog(context, link_to="IQ-2024-0001")
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.form.url.setText(POST_URL)
    dialog.note_edit.setText("time and place")
    with qtbot.waitSignal(dialog.accepted):
        dialog.button_box.accepted.emit()
    assert dialog.source_uid is not None
    assert dialog.note() == "time and place"
    stored = context.services.source_query.list(TextFilter(text="CENTCOM"))
    assert [s.uid for s in stored] == [dialog.source_uid]
