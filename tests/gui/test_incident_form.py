"""The incident form, driven the way a desk officer and a reviewer use it.

Each test gets a fresh database (conftest) and its own settings file; modal
questions are answered by patching the static ``QMessageBox`` calls, and the
form's dialogs are opened with ``open()``, so none is ever left blocking.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.enums import (
    Attribution,
    AuditAction,
    CountQualifier,
    Status,
    TimePrecision,
)
from incidentlog.domain.query import TextFilter
from incidentlog.domain.records import Count, Incident, Source
from incidentlog.domain.when import Moment
from incidentlog.gui import plain_text
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.forms.incident_form import SOURCES_TAB, IncidentForm
from incidentlog.gui.forms.link_dialogs import CitationDialog, LinkSourceDialog
from incidentlog.gui.forms.quote_form import QuoteDialog
from incidentlog.gui.forms.source_form import SourceDialog
from incidentlog.gui.settings import Settings
from incidentlog.services import Services

TITLE = "Iranian-backed militants attack al-Assad Airbase"
CENTCOM_QUOTE = (
    "Multiple ballistic missiles and rockets were launched by Iranian-backed militants in "
    "western Iraq targeting al-Assad Airbase."
)
CITATION = "— U.S. Central Command (@CENTCOM) January 20, 2024"
POST_URL = "https://twitter.com/CENTCOM/status/1748846497406726425"
SAME_POST = "https://x.com/centcom/status/1748846497406726425?s=20"

#: The offscreen platform says so when a window or a completion popup is shown.
pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")


@pytest.fixture
def context(services: Services, tmp_path: Path, qapp: QApplication) -> Iterator[AppContext]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    bus = ChangeBus(services)
    context = AppContext(services, SelectionState(), bus, QUndoStack(), Settings(settings))
    yield context
    bus.detach()


def show(qtbot: Any, widget: QWidget, width: int = 520, height: int = 900) -> None:
    """Shown and active, so that focus and Tab behave as on a desk."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    activate(qtbot, widget)


@pytest.fixture
def form(qtbot: Any, context: AppContext) -> IncidentForm:
    widget = IncidentForm(context)
    show(qtbot, widget)
    return widget


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


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def press(qtbot: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
          ) -> None:
    """A key as the keyboard sends it: to an open completion popup first, else the focus."""
    target = QApplication.activePopupWidget() or focused()
    qtbot.keyClick(target, key, modifier)


def type_text(qtbot: Any, text: str) -> None:
    qtbot.keyClicks(focused(), text)


def tab(qtbot: Any, times: int = 1) -> None:
    for _ in range(times):
        press(qtbot, Qt.Key.Key_Tab)


def store_incident(services: Services, **changes: Any) -> Incident:
    values: dict[str, Any] = {
        "title": TITLE,
        "occurred": Moment.from_local(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE,
                                      "Asia/Baghdad", approximate=True),
        "place": "al-Assad Airbase",
        "admin1": "Al Anbar",
        "country": "IQ",
        "event_type": "ballistic missile attack",
    }
    values.update(changes)
    return services.incidents.create(Incident(**values)).record


def dialog_of(tab_widget: Any, kind: type) -> Any:
    dialog = tab_widget.active_dialog
    assert isinstance(dialog, kind), dialog
    return dialog


# --- the desk officer's day ------------------------------------------------------------------


def test_desk_officer_enters_the_al_assad_incident_from_the_keyboard(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    services = context.services
    form.new_incident()
    assert focused() is form.title

    type_text(qtbot, TITLE)
    tab(qtbot)  # the reference is given on save
    assert focused() is form.ref
    tab(qtbot)
    assert focused() is form.occurred.edit
    type_text(qtbot, "2024-01-20 18:30")
    tab(qtbot)
    assert focused() is form.occurred.precision
    assert form.occurred.current_precision() is TimePrecision.MINUTE
    tab(qtbot)
    assert focused() in (form.tz, form.tz.lineEdit())
    type_text(qtbot, "Baghdad")
    tab(qtbot)
    assert form.tz.currentText() == "Asia/Baghdad"
    assert focused() is form.approximate
    press(qtbot, Qt.Key.Key_Space)
    assert form.approximate.isChecked()
    tab(qtbot)
    type_text(qtbot, "al-Assad Airbase")
    tab(qtbot)
    type_text(qtbot, "Al Anbar")
    tab(qtbot)
    type_text(qtbot, "Iraq")
    tab(qtbot)
    assert form.country.code() == "IQ"
    assert form.country.currentText() == "Iraq (IQ)"
    assert focused() is form.latitude
    tab(qtbot, 3)  # latitude, longitude, location precision: not reported
    assert focused() is form.event_type
    type_text(qtbot, "ballistic missile attack")
    tab(qtbot)
    type_text(qtbot, "ballistic missiles, rockets")
    tab(qtbot, 3)  # launched and intercepted: unknown, not 0
    assert focused() is form.summary
    type_text(qtbot, "Multiple ballistic missiles and rockets were launched at the base.")
    press(qtbot, Qt.Key.Key_Return)  # a new line in the summary, not a save
    type_text(qtbot, "Some US personnel were assessed for injuries.")
    assert context.services.incident_query.count() == 0
    tab(qtbot)
    assert focused() is form.actors.add_button  # no actors yet: the section offers one
    press(qtbot, Qt.Key.Key_Space)
    [row] = form.actors.rows()
    assert focused() is row.role and row.role.currentText() == "perpetrator"
    tab(qtbot)
    type_text(qtbot, "Iranian-backed militants")
    tab(qtbot, 6)  # past remove, how known, attributed by, source and "Add actor"
    assert focused() is form.target
    type_text(qtbot, "U.S. and coalition forces")
    tab(qtbot)
    assert focused() is form.killed.qualifier
    tab(qtbot)  # the number is disabled while the count is unknown
    assert focused() is form.injured.qualifier
    assert form.injured.value() == Count()
    assert form.is_dirty()

    with qtbot.waitSignal(form.saved) as saved:
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    uid = saved.args[0]
    stored = services.incidents.get(uid)
    assert stored.title == TITLE
    assert stored.occurred is not None
    assert stored.occurred.utc_text == "2024-01-20T15:30:00Z"
    assert stored.occurred.tz == "Asia/Baghdad"
    assert stored.occurred.precision is TimePrecision.MINUTE
    assert stored.occurred.approximate
    assert (stored.place, stored.admin1, stored.country) == ("al-Assad Airbase", "Al Anbar", "IQ")
    assert stored.event_type == "ballistic missile attack"
    assert stored.weapons == "ballistic missiles, rockets"
    assert stored.perpetrator == "Iranian-backed militants"
    assert stored.launched is None and stored.intercepted is None
    assert stored.injured == Count() and stored.killed == Count()
    assert stored.ref == "IQ-2024-0001"
    assert form.ref.text() == "IQ-2024-0001"
    assert not form.is_dirty()
    assert context.state.current_incident == uid
    assert context.settings.qsettings.value("forms/lastTimeZone") == "Asia/Baghdad"

    # A quote: CENTCOM's statement.
    form.tabs.setCurrentIndex(2)
    dialog = form.quotes_tab.add_quote()
    assert isinstance(dialog, QuoteDialog)
    activate(qtbot, dialog)
    assert focused() is dialog.form.text
    qtbot.keyClicks(dialog.form.text, CENTCOM_QUOTE)
    dialog.form.speaker.setFocus()
    qtbot.keyClicks(dialog.form.speaker, "U.S. Central Command")
    qtbot.keyClick(dialog.form.speaker, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible()
    quotes = services.quote_query.list(TextFilter(incident_uid=uid))
    assert [q.text for q in quotes] == [CENTCOM_QUOTE]
    assert quotes[0].speaker == "U.S. Central Command"
    assert [q.uid for q in form.quotes_tab.quotes()] == [quotes[0].uid]

    # A source pasted as a citation: the attribution line, then the URL typed.
    form.tabs.setCurrentIndex(SOURCES_TAB)
    QGuiApplication.clipboard().setText(CITATION)
    citation = form.sources_tab.paste_citation()
    assert isinstance(citation, CitationDialog)
    assert citation.text.toPlainText() == CITATION
    assert "@CENTCOM" in citation.preview.text()
    citation.button_box.accepted.emit()
    source_dialog = dialog_of(form.sources_tab, SourceDialog)
    source_form = source_dialog.form
    assert source_form.handle.text() == "@CENTCOM"
    assert source_form.outlet.text() == "U.S. Central Command"
    assert source_form.published.edit.text() == "2024-01-20"
    activate(qtbot, source_dialog)
    source_form.url.setFocus()
    type_text(qtbot, POST_URL)
    tab(qtbot)
    assert not source_form.duplicate_notice.isVisible()
    source_dialog.note_edit.setFocus()
    type_text(qtbot, "time and place")
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert form.sources_tab.active_dialog is None
    sources = services.source_query.list()
    assert len(sources) == 1
    assert sources[0].handle == "@CENTCOM"
    assert sources[0].published is not None and sources[0].published.local_text() == "2024-01-20"
    assert services.incidents.links(uid)[0].note == "time and place"

    # The same post again, as x.com with a tracking parameter: one click reuses it.
    dialog = form.sources_tab.new_source()
    assert isinstance(dialog, SourceDialog)
    activate(qtbot, dialog)
    dialog.form.url.setFocus()
    type_text(qtbot, SAME_POST)
    tab(qtbot)
    notice = dialog.form.duplicate_notice
    assert notice.isVisible()
    assert "already in the log" in notice.label.text()
    reuse = notice.button("Use the existing source")
    assert reuse is not None
    qtbot.mouseClick(reuse, Qt.MouseButton.LeftButton)
    assert form.sources_tab.active_dialog is None
    assert len(services.source_query.list()) == 1
    assert [link.source_uid for link in services.incidents.links(uid)] == [sources[0].uid]
    assert form.sources_tab.table.rowCount() == 1
    assert form.tabs.tabText(SOURCES_TAB).replace("&", "") == "Sources (1)"

    # Undo and redo an edit of the title.
    activate(qtbot, form)
    form.tabs.setCurrentIndex(0)
    form.title.setFocus()
    form.title.selectAll()
    type_text(qtbot, "Missile attack on al-Assad Airbase")
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert services.incidents.get(uid).title == "Missile attack on al-Assad Airbase"
    stack = context.undo_stack
    assert stack.undoText() == "Edit incident IQ-2024-0001"
    # Edit ▸ Undo / Redo as the main window has them, on the standard keys.
    for action, key in ((stack.createUndoAction(form), QKeySequence.StandardKey.Undo),
                        (stack.createRedoAction(form), QKeySequence.StandardKey.Redo)):
        action.setShortcuts(key)
        form.addAction(action)
    form.save_button.setFocus()  # in a text field Ctrl+Z undoes the typing instead
    QTest.keySequence(focused(), QKeySequence.keyBindings(QKeySequence.StandardKey.Undo)[0])
    assert services.incidents.get(uid).title == TITLE
    assert form.title.text() == TITLE  # the form follows when it has no edits of its own
    QTest.keySequence(focused(), QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)[0])
    assert services.incidents.get(uid).title == "Missile attack on al-Assad Airbase"
    assert form.title.text() == "Missile attack on al-Assad Airbase"


def test_the_seeds_claim_and_the_pentagons_attribution_are_entered_as_actors(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    """Claimed by the Islamic Resistance in Iraq ("IRI" typed), attributed by the Pentagon
    to Iranian-backed militias with the statement that says so: from the keyboard, saved,
    read back from the log and shown again."""
    services = context.services
    stored = store_incident(services)
    statement = services.sources.create(
        Source(title="Pentagon briefing on the al-Assad attack",
               url="https://www.defense.gov/News/Transcripts/")).record
    form.load(stored.meta.uid)
    # A source cited while the form is open is offered by the actors at once.
    services.incidents.link_source(stored.meta.uid, statement.meta.uid)
    QApplication.processEvents()
    form.actors.setFocus()  # as the label's mnemonic does
    assert focused() is form.actors.add_button
    press(qtbot, Qt.Key.Key_Space)
    assert focused() is form.actors.rows()[0].role
    type_text(qtbot, "c")  # claimant
    tab(qtbot)
    type_text(qtbot, "IRI")
    tab(qtbot)  # leaving the name: the alias becomes the vocabulary's name
    assert focused() is form.actors.rows()[0].remove
    tab(qtbot, 3)  # a claimant's "how known" is claimed, not asked: attributed by, source
    assert focused() is form.actors.add_button
    press(qtbot, Qt.Key.Key_Space)
    second = form.actors.rows()[1]
    assert focused() is second.role
    assert second.role.currentText() == "perpetrator"
    tab(qtbot)
    type_text(qtbot, "Iranian-backed militias")
    tab(qtbot, 2)  # past the row's remove button, to how the role is known
    assert focused() is second.basis
    type_text(qtbot, "a")  # attributed
    tab(qtbot)
    type_text(qtbot, "Pentagon")
    tab(qtbot)
    assert focused() is second.source
    press(qtbot, Qt.Key.Key_Down)
    first = form.actors.rows()[0]
    assert first.actor.text() == "Islamic Resistance in Iraq"
    assert not first.basis.isEnabled()  # a claimant claimed it: nothing to choose
    assert form.is_dirty()
    typed = form.actors.rows()
    with qtbot.waitSignal(form.saved):
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert form.actors.rows() == typed  # the saved actors are the rows typed: kept, not rebuilt
    assert not form.is_dirty()

    back = services.incidents.get(stored.meta.uid)
    assert back is not None
    assert back.actors == (
        IncidentActor(ActorRole.CLAIMANT, "Islamic Resistance in Iraq", Attribution.CLAIMED),
        IncidentActor(ActorRole.PERPETRATOR, "Iranian-backed militants", Attribution.ATTRIBUTED,
                      "Pentagon", statement.meta.uid),
    )
    assert (back.perpetrator, back.attribution) == ("Islamic Resistance in Iraq",
                                                    Attribution.CLAIMED)
    assert ("actors: — → claimant: Islamic Resistance in Iraq; perpetrator: Iranian-backed "
            "militants (attributed by Pentagon)") in form.history.entries_text()[-1]
    form.load(None)
    form.load(stored.meta.uid)
    shown = form.actors.rows()
    assert [row.value() for row in shown] == list(back.actors)
    assert shown[1].source.currentText() == "Pentagon briefing on the al-Assad attack"
    assert not form.is_dirty()
    # A row removed from the keyboard is gone once saved.
    shown[0].remove.setFocus()
    press(qtbot, Qt.Key.Key_Space)
    assert len(form.actors.rows()) == 1 and focused() is form.actors.rows()[0].role
    with qtbot.waitSignal(form.saved):
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    after = services.incidents.get(stored.meta.uid)
    assert after is not None and after.actors == back.actors[1:]
    assert after.perpetrator == "Iranian-backed militants"


def test_a_new_incident_starts_with_the_last_time_zone(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    context.settings.qsettings.setValue("forms/lastTimeZone", "Asia/Baghdad")
    form.new_incident()
    assert form.tz.currentText() == "Asia/Baghdad"
    assert form.occurred.current_precision() is TimePrecision.MINUTE
    assert form.status.text() == "draft"
    assert form.actors.rows() == [] and form.actors.empty.isVisibleTo(form)
    assert not form.is_dirty()


def test_every_field_is_named_for_tests_and_screen_readers(form: IncidentForm) -> None:
    for name in ("title", "ref", "occurred_at", "time_precision", "tz", "approximate", "place",
                 "admin1", "country", "latitude", "longitude", "geo_precision", "event_type",
                 "weapons", "actors", "tags", "target", "launched",
                 "intercepted", "killed", "injured", "status", "confidence", "summary"):
        widget = form.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName()  # the label's text: see test_form_labels.py


def test_the_form_fits_a_narrow_pane(qtbot: Any, context: AppContext) -> None:
    widget = IncidentForm(context)
    show(qtbot, widget, 480, 700)
    details = widget.findChild(QWidget, "details")
    assert details.width() <= widget.width()
    for child in details.findChildren(QWidget):
        if child.isVisible() and isinstance(child, QLineEdit | QComboBox | QPlainTextEdit):
            right = child.mapTo(details, child.rect().topRight()).x()
            assert right <= details.width(), child.objectName()


# --- validation ------------------------------------------------------------------------------


def test_problems_are_shown_beside_their_fields_and_nothing_is_saved(
    qtbot: Any, form: IncidentForm, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialogs: list[str] = []
    monkeypatch.setattr(plain_text, "warning", lambda *a, **k: dialogs.append("warning"))
    form.new_incident()
    form.occurred.edit.setText("2024-01-20 18:30")
    form.latitude.setText("33.79")
    form.launched.setText("5")
    form.intercepted.setText("7")
    form.country.setEditText("Atlantis")

    assert not form.save()
    errors = form.errors_shown()
    assert set(errors) >= {"title", "longitude", "intercepted", "country"}
    assert errors["title"] == "Title is required"
    assert "longitude" in errors["longitude"]
    assert "more than the 5 launched" in errors["intercepted"]
    assert "Atlantis" in errors["country"]
    assert form.title.property("invalid") is True
    assert form.title.accessibleDescription() == "Title is required"
    assert form.findChild(QWidget, "title_error").isVisible()
    assert focused() is form.title
    assert context.services.incident_query.count() == 0
    assert dialogs == []  # never a dialog for validation

    # Fixing a field clears its message at once; the others stay until fixed.
    qtbot.keyClicks(form.title, "Rocket attack")
    assert form.error_text("title") is None
    assert form.title.property("invalid") is False
    assert form.error_text("longitude") is not None
    form.longitude.setText("42.44")
    form.intercepted.setText("4")
    form.country.setEditText("IQ")
    assert form.errors_shown() == {}
    assert form.save()
    stored = context.services.incidents.get(form.uid() or "")
    assert (stored.latitude, stored.longitude, stored.country) == (33.79, 42.44, "IQ")
    assert (stored.launched, stored.intercepted) == (5, 4)


def test_an_unfinished_date_and_an_unknown_zone_are_reported(form: IncidentForm) -> None:
    form.new_incident()
    form.title.setText("Rocket attack")
    form.occurred.edit.setText("2024-01")
    form.tz.setEditText("Atlantis/Nowhere")
    assert not form.save()
    errors = form.errors_shown()
    assert "incomplete" in errors["occurred_at"]
    assert "not a time zone" in errors["tz"]
    form.occurred.edit.setText("2024-13-20 18:30")
    form.tz.setEditText("Asia/Baghdad")
    assert "not a real date" in form.errors_shown()["occurred_at"]
    assert "tz" not in form.errors_shown()


def test_a_duplicate_reference_is_shown_beside_the_reference(
    form: IncidentForm, context: AppContext
) -> None:
    store_incident(context.services, ref="IQ-2024-0007")
    form.new_incident()
    form.title.setText("Drone attack")
    form.occurred.edit.setText("2024-01-21 10:00")
    form.ref.setText("IQ-2024-0007")
    assert not form.save()
    assert "already used" in (form.error_text("ref") or "")


# --- dirty state, leaving, reverting ---------------------------------------------------------


def test_editing_marks_dirty_and_revert_restores(qtbot: Any, form: IncidentForm,
                                                 context: AppContext) -> None:
    incident = store_incident(context.services)
    form.load(incident.uid)
    assert not form.is_dirty()
    with qtbot.waitSignal(form.dirtyChanged):
        form.place.setText("Ain al-Asad")
    assert form.is_dirty()
    assert "unsaved" in form.header.text()
    form.place.setText("al-Assad Airbase")  # typed back: nothing to save
    assert not form.is_dirty()
    form.killed.qualifier.setCurrentIndex(1)
    form.killed.number.setValue(2)
    assert form.is_dirty()
    qtbot.mouseClick(form.revert_button, Qt.MouseButton.LeftButton)
    assert not form.is_dirty()
    assert form.killed.value() == Count()
    assert context.services.incidents.get(incident.uid or "").killed == Count()


def test_changing_the_current_incident_asks_and_cancel_keeps_the_form(
    form: IncidentForm, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store_incident(context.services)
    second = store_incident(context.services, title="Drone attack on Tower 22",
                            country="JO", place="Tower 22")
    state = context.state
    state.set_current_incident(first.uid)
    assert form.uid() == first.uid
    form.summary.setPlainText("Half-written summary")
    asked: list[str] = []

    def answer(button: QMessageBox.StandardButton) -> Any:
        def question(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
            asked.append(args[2])
            return button
        return question

    monkeypatch.setattr(plain_text, "question", answer(QMessageBox.StandardButton.Cancel))
    state.set_current_incident(second.uid)
    assert len(asked) == 1 and "unsaved changes" in asked[0]
    assert form.uid() == first.uid
    assert form.summary.toPlainText() == "Half-written summary"
    assert state.current_incident == first.uid  # the selection is put back

    monkeypatch.setattr(plain_text, "question", answer(QMessageBox.StandardButton.Discard))
    state.set_current_incident(second.uid)
    assert form.uid() == second.uid
    assert form.title.text() == "Drone attack on Tower 22"
    assert context.services.incidents.get(first.uid or "").summary is None

    form.summary.setPlainText("Kept")
    monkeypatch.setattr(plain_text, "question", answer(QMessageBox.StandardButton.Save))
    state.set_current_incident(first.uid)
    assert form.uid() == first.uid
    assert context.services.incidents.get(second.uid or "").summary == "Kept"
    assert len(asked) == 3


def test_a_change_made_elsewhere_reloads_or_is_announced(
    form: IncidentForm, context: AppContext
) -> None:
    incident = store_incident(context.services)
    form.load(incident.uid)
    services = context.services
    stored = services.incidents.update(
        Incident(**{**_fields(incident), "place": "Ain al-Asad air base"})).record
    assert form.place.text() == "Ain al-Asad air base"  # not dirty: simply reloaded

    form.target.setText("my edit")
    services.incidents.update(Incident(**{**_fields(stored), "summary": "theirs"}))
    assert form.notice.isVisible()
    assert "changed by tester" in form.notice.label.text()
    assert form.target.text() == "my edit"  # nothing of mine is lost
    # Saving now is a conflict: offered Reload or Keep mine, not a dialog.
    assert not form.save()
    keep = form.notice.button("Keep mine")
    assert keep is not None and form.notice.button("Reload") is not None
    keep.click()
    again = services.incidents.get(incident.uid or "")
    assert again.target == "my edit"
    assert not form.is_dirty()


def _fields(incident: Incident) -> dict[str, Any]:
    return {name: getattr(incident, name) for name in Incident.__dataclass_fields__}


# --- read-only and review --------------------------------------------------------------------


def test_read_only_disables_every_input_and_saving(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    incident = store_incident(context.services)
    form.load(incident.uid)
    form.set_read_only(True)
    for widget in form.findChild(QWidget, "details").findChildren(QWidget):
        if isinstance(widget, QLineEdit | QPlainTextEdit) and widget.isVisible():
            assert widget.isReadOnly() or not widget.isEnabled(), widget.objectName()
        elif isinstance(widget, QComboBox | QCheckBox | QPushButton) and widget.isVisible():
            assert not widget.isEnabled(), widget.objectName()
    assert not form.save_button.isEnabled()
    assert not form.sources_tab.link_button.isEnabled()
    assert not form.quotes_tab.add_button.isEnabled()
    qtbot.keyClicks(form.title, "x")
    assert form.title.text() == TITLE
    assert not form.is_dirty()
    assert not form.save()
    assert not form.set_status(Status.IN_REVIEW)
    assert context.services.incidents.get(incident.uid or "").meta.version == 1


def test_review_buttons_change_the_status_with_an_audit_entry(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    incident = store_incident(context.services)
    form.load(incident.uid)
    names = ("submitForReviewButton", "verifyButton", "disputeButton", "archiveButton",
             "reopenButton")
    shown = [n for n in names if form.findChild(QPushButton, n).isVisibleTo(form)]
    assert shown == ["submitForReviewButton", "archiveButton"]  # what a draft may become
    submit = form.findChild(QPushButton, "submitForReviewButton")
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    assert context.services.incidents.get(incident.uid or "").status is Status.IN_REVIEW
    assert form.status.text() == "in review"
    verify = form.findChild(QPushButton, "verifyButton")
    assert verify.isVisibleTo(form)
    qtbot.mouseClick(verify, Qt.MouseButton.LeftButton)
    assert context.services.incidents.get(incident.uid or "").status is Status.VERIFIED

    history = context.services.incident_query.history(incident.uid or "")
    assert [e.action for e in history][-2:] == [AuditAction.STATUS, AuditAction.STATUS]
    lines = form.history.entries_text()
    assert "Status: draft → in review" in lines[-2]
    assert "Status: in review → verified" in lines[-1]
    assert "tester" in lines[-1] and "UTC" in lines[-1]

    context.undo_stack.undo()
    assert context.services.incidents.get(incident.uid or "").status is Status.IN_REVIEW
    assert form.status.text() == "in review"


def test_history_lists_changed_fields_old_and_new(form: IncidentForm, context: AppContext
                                                  ) -> None:
    incident = store_incident(context.services)
    form.load(incident.uid)
    form.place.setText("Ain al-Asad")
    form.injured.qualifier.setCurrentIndex(2)  # at least
    form.injured.number.setValue(4)
    assert form.save()
    lines = form.history.entries_text()
    assert lines[0].split(" | ")[2].startswith("Created IQ-2024-0001")
    last = lines[-1]
    assert "Edited 3 field(s)" in last
    assert "place: “al-Assad Airbase” → “Ain al-Asad”" in last
    assert "injured qualifier: unknown → at least" in last
    assert "injured: — → 4" in last


# --- sources and quotes tabs -----------------------------------------------------------------


def test_a_new_incident_is_saved_before_a_source_is_linked(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    form.new_incident()
    assert form.sources_tab.new_source() is None  # nothing to link to: the title is missing
    assert form.error_text("title") == "Title is required"
    form.title.setText("Rocket attack")
    form.occurred.edit.setText("2024-01-20 18:30")
    dialog = form.sources_tab.new_source()
    assert isinstance(dialog, SourceDialog)
    assert form.uid() is not None
    dialog.reject()


def test_link_an_existing_source_with_a_note_edit_the_note_and_unlink(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    from incidentlog.domain.enums import SourceKind
    from incidentlog.domain.records import Source

    services = context.services
    incident = store_incident(services)
    reuters = services.sources.create(Source(kind=SourceKind.ARTICLE, title="US base attacked in "
                                             "Iraq hours after Iran vows revenge",
                                             outlet="Reuters",
                                             url="https://www.reuters.com/world/x")).record
    services.sources.create(Source(title="Failed rocket strike on base in Syria", outlet="AP"))
    form.load(incident.uid)
    form.tabs.setCurrentIndex(SOURCES_TAB)
    dialog = form.sources_tab.link_existing()
    assert isinstance(dialog, LinkSourceDialog)
    assert dialog.results.count() == 2
    qtbot.keyClicks(dialog.search, "reuters")
    dialog.search_now()
    assert dialog.results.count() == 1
    qtbot.keyClicks(dialog.note, "casualties")
    dialog.button_box.accepted.emit()
    assert services.incidents.links(incident.uid or "")[0].note == "casualties"
    table = form.sources_tab.table
    assert form.sources_tab.rows() == [(reuters.label, "casualties")]

    # Typing on a row edits its note (the only editable column); Enter records it.
    activate(qtbot, form)
    table.setFocus()
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = focused()
    assert isinstance(editor, QLineEdit) and editor.text() == "casualties"
    editor.selectAll()
    qtbot.keyClicks(editor, "casualties and time")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop
    qtbot.waitUntil(lambda: services.incidents.links(incident.uid or "")[0].note
                    == "casualties and time")
    context.undo_stack.undo()
    assert services.incidents.links(incident.uid or "")[0].note == "casualties"
    assert form.sources_tab.rows() == [(reuters.label, "casualties")]

    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert services.incidents.links(incident.uid or "") == []
    assert table.rowCount() == 0
    context.undo_stack.undo()
    assert [link.note for link in services.incidents.links(incident.uid or "")] == ["casualties"]


def test_not_a_duplicate_creates_a_second_source(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    from incidentlog.domain.records import Source

    services = context.services
    services.sources.create(Source(url=POST_URL, handle="@CENTCOM"))
    incident = store_incident(services)
    form.load(incident.uid)
    dialog = form.sources_tab.paste_citation(SAME_POST)
    assert isinstance(dialog, CitationDialog)
    dialog.button_box.accepted.emit()
    source_dialog = dialog_of(form.sources_tab, SourceDialog)
    notice = source_dialog.form.duplicate_notice
    assert notice.isVisible()  # the paste alone is enough to warn
    assert source_dialog.form.url.text() == SAME_POST
    assert not source_dialog.form.save()  # not until the officer decides
    button = notice.button("Not a duplicate")
    assert button is not None
    button.click()
    assert not notice.isVisible()
    assert source_dialog.form.save()
    assert len(services.source_query.list()) == 2
    assert len(services.incidents.links(incident.uid or "")) == 1


def test_quotes_are_edited_and_removed_with_undo(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    from incidentlog.domain.records import Quote

    services = context.services
    incident = store_incident(services)
    quote = services.quotes.create(Quote(text=CENTCOM_QUOTE, speaker="CENTCOM",
                                         incident_uid=incident.uid)).record
    form.load(incident.uid)
    assert form.tabs.tabText(2).replace("&", "") == "Quotes (1)"
    table = form.quotes_tab.table
    table.selectRow(0)
    dialog = form.quotes_tab.edit_selected()
    assert isinstance(dialog, QuoteDialog)
    dialog.form.speaker_role.setText("U.S. military command")
    dialog.button_box.accepted.emit()
    assert services.quotes.get(quote.uid or "").speaker_role == "U.S. military command"
    table.selectRow(0)
    qtbot.mouseClick(form.quotes_tab.remove_button, Qt.MouseButton.LeftButton)
    assert services.quote_query.list(TextFilter(incident_uid=incident.uid)) == []
    assert table.rowCount() == 0
    context.undo_stack.undo()
    assert len(services.quote_query.list(TextFilter(incident_uid=incident.uid))) == 1
    assert table.rowCount() == 1


def test_the_window_save_action_takes_ctrl_s_without_ambiguity(
    qtbot: Any, context: AppContext
) -> None:
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    form = IncidentForm(context)
    window.setCentralWidget(form)
    action = QAction("Save", window)
    action.setShortcut(QKeySequence.StandardKey.Save)
    action.triggered.connect(lambda: form.save())
    window.addAction(action)
    show(qtbot, window)
    assert not form.save_shortcut.isEnabled()
    form.title.setFocus()
    qtbot.keyClicks(form.title, "Rocket attack")
    form.occurred.edit.setText("2024-01-20 18:30")
    with qtbot.waitSignal(action.triggered):
        qtbot.keyClick(form.title, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert context.services.incident_query.count() == 1


def test_counts_keep_unknown_apart_from_zero(form: IncidentForm, context: AppContext) -> None:
    incident = store_incident(context.services, killed=Count.exact(0),
                              injured=Count(None, CountQualifier.UNKNOWN))
    form.load(incident.uid)
    assert form.killed.value() == Count.exact(0)
    assert form.killed.number.isEnabled()
    assert form.injured.value() == Count()
    assert not form.injured.number.isEnabled()


def test_label_mnemonics_are_unique_and_jump_to_their_field(
    qtbot: Any, form: IncidentForm
) -> None:
    import re

    from PySide6.QtWidgets import QLabel

    letters: dict[str, str] = {}
    for label in form.findChild(QWidget, "details").findChildren(QLabel):
        match = re.search(r"&([^&])", label.text())
        if match:
            key = match.group(1).lower()
            assert key not in letters, (label.text(), letters.get(key))
            letters[key] = label.text()
            assert label.buddy() is not None, label.text()
    # Letters the main window uses (menus, view tabs, filter bar) are left to it.
    assert not set(letters) & set("efhiqstv")
    form.title.setFocus()
    press(qtbot, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert focused() in (form.country, form.country.lineEdit())
    press(qtbot, Qt.Key.Key_Y, Qt.KeyboardModifier.AltModifier)
    assert focused() is form.event_type


def test_ctrl_tab_moves_between_the_tabs(qtbot: Any, form: IncidentForm) -> None:
    form.title.setFocus()
    press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert form.tabs.currentIndex() == SOURCES_TAB


def test_completion_offers_the_vocabulary_and_the_values_in_use(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    store_incident(context.services, event_type="sabotage", tags=("night attack",),
                   place="Tower 22")
    form.new_incident()
    form.event_type.setFocus()  # read when the field is entered, not when the form is built
    strings = form.event_type.completer().source.stringList()
    assert {"rocket attack", "ballistic missile attack", "sabotage"} <= set(strings)
    form.tags.setFocus()
    tags = form.tags.completer().source.stringList()
    assert {"us forces", "escalation", "night attack"} <= set(tags)
    form.place.setFocus()
    assert "Tower 22" in form.place.completer().source.stringList()
    form.tags.setFocus()
    qtbot.keyClicks(form.tags, "escalation, nig")
    popup = QApplication.activePopupWidget()
    assert popup is not None
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert form.tags.text() == "escalation, night attack"


def test_a_storage_error_is_told_and_the_edits_stay(
    form: IncidentForm, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentlog.domain.errors import StorageError

    incident = store_incident(context.services)
    form.load(incident.uid)
    form.place.setText("Ain al-Asad")
    told: list[str] = []
    monkeypatch.setattr(plain_text, "warning", lambda _parent, _title, text: told.append(text))

    def disk_full(*_args: Any, **_kwargs: Any) -> Any:
        raise StorageError("The disk is full: nothing was written.")

    monkeypatch.setattr(context.services.incidents, "update", disk_full)
    assert not form.save()
    assert told and told[0].startswith("The disk is full")
    assert form.is_dirty() and form.place.text() == "Ain al-Asad"
    assert context.undo_stack.count() == 0  # the failed step is not left on the stack


def test_saving_the_incidents_fields_leaves_its_sources_and_quotes_tabs_alone(
    form: IncidentForm, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save of the Details re-reads neither tab (a save is on the officer's critical
    path); a change to a linked source or a quote still shows at once."""
    from dataclasses import replace

    from incidentlog.domain.records import Quote, Source

    services = context.services
    incident = store_incident(services)
    source = services.sources.create(Source(title="Failed rocket strike", outlet="AP")).record
    services.incidents.link_source(incident.uid or "", source.uid or "")
    form.load(incident.uid)
    assert form.sources_tab.rows() == [(source.label, None)]
    reads: list[str] = []
    for name in ("sources_tab", "quotes_tab"):
        tab = getattr(form, name)
        monkeypatch.setattr(tab, "refresh", lambda tab=tab, name=name: (
            reads.append(name), type(tab).refresh(tab)))

    form.title.setText("Rocket attack on al-Asad Airbase (edited)")
    assert form.save()
    assert services.incidents.find(incident.uid or "").title.endswith("(edited)")
    assert reads == []

    services.sources.update(replace(source, title="Failed rocket strike on base in Syria"))
    assert reads == ["sources_tab"]
    assert form.sources_tab.rows() == [("Failed rocket strike on base in Syria", None)]
    services.quotes.create(Quote(text="We will respond", speaker="Pentagon",
                                 incident_uid=incident.uid, source_uid=source.uid))
    assert reads[-1] == "quotes_tab"
    assert form.quotes_tab.table.rowCount() == 1


def test_the_history_tab_reads_the_audit_log_when_shown_not_at_every_save(
    qtbot: Any, form: IncidentForm, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentlog.gui.forms.incident_form import HISTORY_TAB

    show(qtbot, form)
    incident = store_incident(context.services)
    query = context.services.incident_query
    reads: list[str | None] = []
    history = query.history
    monkeypatch.setattr(query, "history", lambda uid: (reads.append(uid), history(uid))[1])
    form.load(incident.uid)
    form.title.setText("Rocket attack on al-Asad Airbase (edited)")
    assert form.save()
    assert reads == []
    form.tabs.setCurrentIndex(HISTORY_TAB)
    assert reads == [incident.uid]
    assert "Edited 1 field(s)" in form.history.entries_text()[-1]
    form.title.setText("Rocket attack on al-Asad Airbase")
    assert form.save()  # on screen: read at once
    assert reads == [incident.uid, incident.uid]
