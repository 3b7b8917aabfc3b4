"""The form's building blocks, each on its own: counts, dates with precision, zones, countries."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QStringListModel, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from incidentlog.domain.enums import CountQualifier, TimePrecision
from incidentlog.domain.records import Count, Incident
from incidentlog.domain.when import Moment
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.settings import Settings
from incidentlog.gui.widgets.completers import (
    IncidentPicker,
    ListCompleter,
    set_completions,
    split_list,
)
from incidentlog.gui.widgets.counts import CountEdit, OptionalFloatEdit, OptionalIntEdit
from incidentlog.gui.widgets.moments import MomentEdit
from incidentlog.gui.widgets.notices import NoticeBar
from incidentlog.gui.widgets.places import CountryCombo, TimeZoneCombo
from incidentlog.services import Services

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")


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


def shown(qtbot: Any, *widgets: QWidget) -> QWidget:
    """The widgets in an active window, after a line edit to Tab from."""
    window = QWidget()
    layout = QVBoxLayout(window)
    start = QLineEdit(window)
    start.setObjectName("start")
    layout.addWidget(start)
    for widget in widgets:
        layout.addWidget(widget)
    qtbot.addWidget(window)
    window.show()
    activate(qtbot, window)
    start.setFocus()
    return window


def tab_into(qtbot: Any, window: QWidget) -> None:
    qtbot.keyClick(window.findChild(QLineEdit, "start"), Qt.Key.Key_Tab)


# --- counts ----------------------------------------------------------------------------------


def test_count_edit_keeps_unknown_apart_from_zero(qtbot: Any) -> None:
    count = CountEdit()
    qtbot.addWidget(count)
    assert count.value() == Count()
    assert not count.number.isEnabled()  # unknown: nothing to type
    with qtbot.waitSignal(count.changed):
        count.qualifier.setCurrentIndex(1)
    assert count.number.isEnabled()
    assert count.value() == Count.exact(0)  # "exactly 0" is a statement, unknown is not
    count.number.setValue(3)
    assert count.value() == Count.exact(3)
    count.set_value(Count.at_least(5))
    assert count.current_qualifier() is CountQualifier.AT_LEAST
    assert count.value() == Count.at_least(5)
    count.set_value(Count.about(12))
    assert count.value().display() == "about 12"
    count.set_value(Count())
    assert count.value() == Count() and not count.number.isEnabled()


def test_count_edit_from_the_keyboard_and_read_only(qtbot: Any) -> None:
    count = CountEdit()
    count.setObjectName("injured")
    count.setAccessibleName("injured")
    window = shown(qtbot, count)
    assert count.qualifier.objectName() == "injured_qualifier"
    assert count.number.accessibleName() == "injured: number"
    tab_into(qtbot, window)
    assert QApplication.focusWidget() is count.qualifier
    qtbot.keyClicks(count.qualifier, "at")  # keyboard search: "at least"
    assert count.current_qualifier() is CountQualifier.AT_LEAST
    qtbot.keyClick(count.qualifier, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is count.number
    qtbot.keyClicks(count.number, "4")
    assert count.value() == Count.at_least(4)
    count.set_read_only(True)
    assert not count.qualifier.isEnabled() and not count.number.isEnabled()
    count.set_read_only(False)
    assert count.number.isEnabled()


def test_optional_numbers_are_empty_when_unknown(qtbot: Any) -> None:
    launched = OptionalIntEdit()
    qtbot.addWidget(launched)
    assert launched.value() is None
    assert launched.placeholderText() == "unknown"
    qtbot.keyClicks(launched, "1a2")  # letters are refused
    assert launched.text() == "12" and launched.value() == 12
    launched.set_value(0)
    assert launched.value() == 0
    latitude = OptionalFloatEdit()
    qtbot.addWidget(latitude)
    latitude.setText("33,7856")
    assert latitude.value() == pytest.approx(33.7856)
    latitude.set_value(-12.5)
    assert latitude.text() == "-12.5"
    latitude.setText("-")
    with pytest.raises(ValueError, match="not a number"):
        latitude.value()


# --- dates with precision --------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2024-01-20 18:30", "202401201830"])
def test_moment_edit_accepts_a_typed_date_time(qtbot: Any, typed: str) -> None:
    moment = MomentEdit()
    window = shown(qtbot, moment)
    tab_into(qtbot, window)
    assert QApplication.focusWidget() is moment.edit
    qtbot.keyClicks(moment.edit, typed)
    assert moment.wall() == datetime(2024, 1, 20, 18, 30)
    value = moment.moment("Asia/Baghdad", approximate=True)
    assert value == Moment.from_local(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE,
                                      "Asia/Baghdad", True)
    assert value is not None and value.utc_text == "2024-01-20T15:30:00Z"


def test_the_precision_adapts_what_is_editable(qtbot: Any) -> None:
    moment = MomentEdit()
    qtbot.addWidget(moment)
    moment.set_wall(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE)
    steps = [
        (TimePrecision.HOUR, "2024-01-20 18h", datetime(2024, 1, 20, 18)),
        (TimePrecision.DAY, "2024-01-20", datetime(2024, 1, 20)),
        (TimePrecision.WEEK, "2024-W03", datetime(2024, 1, 15)),
        (TimePrecision.MONTH, "2024-01", datetime(2024, 1, 1)),
        (TimePrecision.YEAR, "2024", datetime(2024, 1, 1)),
        (TimePrecision.DAY, "2024-01-01", datetime(2024, 1, 1)),
        (TimePrecision.MINUTE, "2024-01-01 00:00", datetime(2024, 1, 1)),
    ]
    for precision, text, wall in steps:
        with qtbot.waitSignal(moment.changed):
            moment.precision.setCurrentIndex(list(TimePrecision).index(precision))
        assert moment.current_precision() is precision
        assert moment.edit.text() == text
        assert moment.wall() == wall
    moment.set_wall(datetime(2024, 1, 20), TimePrecision.DAY)
    qtbot.keyClicks(moment.edit, "99")  # the mask has no room for a time at day precision
    assert moment.edit.text() == "2024-01-20"


def test_moment_edit_reports_unfinished_and_impossible_dates(qtbot: Any) -> None:
    moment = MomentEdit()
    qtbot.addWidget(moment)
    assert moment.wall() is None and moment.is_empty()
    moment.edit.setText("2024-01")
    with pytest.raises(ValueError, match="incomplete: write it as 2024-01-20 18:30"):
        moment.wall()
    moment.edit.setText("2024-02-30 10:00")
    with pytest.raises(ValueError, match="not a real date"):
        moment.wall()
    moment.set_moment(Moment.from_local(datetime(2024, 1, 20), TimePrecision.DAY, "UTC"))
    assert moment.edit.text() == "2024-01-20"
    moment.set_moment(None, TimePrecision.DAY)
    assert moment.is_empty() and moment.moment("UTC") is None


def test_a_moment_is_shown_in_its_own_time_zone(qtbot: Any) -> None:
    moment = MomentEdit()
    qtbot.addWidget(moment)
    stored = Moment.from_local(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE,
                               "Asia/Baghdad")
    moment.set_moment(stored)
    assert moment.edit.text() == "2024-01-20 18:30"  # local wall time, not 15:30 UTC


# --- time zones and countries ----------------------------------------------------------------


def test_time_zone_combo_completes_by_contains(qtbot: Any) -> None:
    combo = TimeZoneCombo()
    window = shown(qtbot, combo)
    completer = combo.completer()
    completer.setCompletionPrefix("Baghdad")
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "Asia/Baghdad"
    completer.setCompletionPrefix("york")
    assert completer.currentCompletion() == "America/New_York"

    tab_into(qtbot, window)
    qtbot.keyClicks(combo, "Baghdad")
    assert combo.zone_name() == "Baghdad" and not combo.is_valid()
    popup = QApplication.activePopupWidget()
    qtbot.keyClick(popup or combo, Qt.Key.Key_Tab)  # leaving the field is enough
    assert combo.currentText() == "Asia/Baghdad"
    assert combo.is_valid()


@pytest.mark.parametrize(("typed", "expected"), [
    ("Baghdad", "Asia/Baghdad"),
    ("baghdad", "Asia/Baghdad"),
    ("new york", "America/New_York"),
    ("Asia/Tehran", "Asia/Tehran"),
    ("UTC", "UTC"),
])
def test_time_zone_combo_resolves_what_was_typed(qtbot: Any, typed: str, expected: str) -> None:
    combo = TimeZoneCombo()
    qtbot.addWidget(combo)
    combo.setEditText(typed)
    assert combo.resolve()
    assert combo.zone_name() == expected


def test_time_zone_combo_leaves_an_unknown_or_ambiguous_text(qtbot: Any) -> None:
    combo = TimeZoneCombo()
    qtbot.addWidget(combo)
    for text in ("Atlantis", "America"):
        combo.setEditText(text)
        assert not combo.resolve()
        assert combo.zone_name() == text and not combo.is_valid()
    combo.set_zone("Asia/Damascus")
    assert combo.currentText() == "Asia/Damascus" and combo.is_valid()


@pytest.mark.parametrize(("typed", "code"), [
    ("Iraq", "IQ"), ("iq", "IQ"), ("IRQ", "IQ"), ("Syria", "SY"), ("Iran", "IR"),
    ("Jordan (JO)", "JO"), ("united states", "US"),
])
def test_country_combo_finds_names_and_codes(qtbot: Any, typed: str, code: str) -> None:
    combo = CountryCombo()
    qtbot.addWidget(combo)
    combo.setEditText(typed)
    assert combo.code() == code
    assert combo.resolve()
    assert combo.currentData() == code
    assert combo.currentText().endswith(f"({code})")


def test_country_combo_from_the_keyboard(qtbot: Any) -> None:
    combo = CountryCombo()
    window = shown(qtbot, combo)
    tab_into(qtbot, window)
    qtbot.keyClicks(combo, "Iraq")
    qtbot.keyClick(QApplication.activePopupWidget() or combo, Qt.Key.Key_Tab)
    assert combo.currentText() == "Iraq (IQ)"
    assert combo.code() == "IQ"


def test_country_combo_keeps_what_it_cannot_read(qtbot: Any) -> None:
    combo = CountryCombo()
    qtbot.addWidget(combo)
    assert combo.code() is None and combo.raw_text() == ""
    for text in ("Atlantis", "Ira"):  # unknown; Iran or Iraq
        combo.setEditText(text)
        assert not combo.resolve()
        assert combo.code() is None and combo.raw_text() == text
    combo.set_code("IR")
    assert combo.currentText() == "Iran (IR)"
    combo.set_code(None)
    assert combo.code() is None and combo.currentText() == ""


# --- completion, lists, notices, incident picker ---------------------------------------------


def test_list_completer_completes_the_last_item(qtbot: Any) -> None:
    edit = QLineEdit()
    set_completions(edit, ["rockets", "ballistic missiles", "drones"], multiple=True)
    completer = edit.completer()
    assert isinstance(completer, ListCompleter)
    assert completer.splitPath("rockets, ball") == ["ball"]
    window = shown(qtbot, edit)
    tab_into(qtbot, window)
    qtbot.keyClicks(edit, "rockets, ball")
    popup = QApplication.activePopupWidget()
    assert popup is not None
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert edit.text() == "rockets, ballistic missiles"
    set_completions(edit, ["mortars"], multiple=True)
    source = completer.source
    assert isinstance(source, QStringListModel) and source.stringList() == ["mortars"]
    assert split_list(" rockets, ,ballistic missiles,") == ("rockets", "ballistic missiles")


def test_notice_bar_offers_actions_without_a_dialog(qtbot: Any) -> None:
    bar = NoticeBar()
    qtbot.addWidget(bar)
    bar.show()
    clicked: list[str] = []
    bar.show_notice("changed by someone else", [("Reload", lambda: clicked.append("reload"))])
    assert bar.isVisible() and bar.text() == "changed by someone else"
    button = bar.button("Reload")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert clicked == ["reload"]
    bar.clear()
    assert not bar.isVisible() and bar.buttons() == []


def test_incident_picker_finds_an_incident_by_ref_or_title(
    qtbot: Any, context: AppContext
) -> None:
    services = context.services
    incident = services.incidents.create(Incident(
        title="Drone attack on Tower 22", country="JO",
        occurred=Moment.from_local(datetime(2024, 1, 28), TimePrecision.DAY, "Asia/Amman"),
    )).record
    picker = IncidentPicker(services)
    qtbot.addWidget(picker)
    picker.setText("tower")
    picker.search_now()
    completer = picker.completer()
    assert completer.model().rowCount() == 1
    picker.setText("JO-2024-0001")
    assert picker.resolve()
    assert picker.uid() == incident.uid
    assert picker.text() == "JO-2024-0001 — Drone attack on Tower 22"
    assert picker.is_valid()
    picker.setText("XX-1")
    assert not picker.resolve() and not picker.is_valid()
    picker.setText("")
    assert picker.resolve() and picker.uid() is None


def test_an_empty_date_takes_typing_from_its_first_digit(qtbot: Any) -> None:
    moment = MomentEdit(optional=True)
    window = shown(qtbot, moment)  # kept: the window owns the widget
    moment.set_moment(None, TimePrecision.DAY)
    moment.edit.setFocus()  # a click or a mnemonic, not Tab: the cursor was left at the end
    qtbot.keyClicks(moment.edit, "2024-01-20")
    assert moment.wall() == datetime(2024, 1, 20)
    assert window.isVisible()
