"""End to end, in the real window: a desk officer's day with the al-Assad Airbase report.

Enter the incident from the keyboard, add a quote and two sources (one pasted
as a citation, one a duplicate that gets reused), save, find it again by a
word of its summary, undo and redo an edit, export the filtered table to CSV.
The form's own behaviour is tested in test_incident_form.py; this test checks
that the window puts it all together.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget
from sample_data import DialogRecorder, build_window, make_database

from incidentlog.domain.query import TextFilter
from incidentlog.gui.exchange_dialogs import CSV
from incidentlog.gui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

TITLE = "Iranian-backed militants attack al-Assad Airbase"
SUMMARY = ("Multiple ballistic missiles and rockets were launched at the base; most were "
           "intercepted by air defences.")
QUOTE = ("Multiple ballistic missiles and rockets were launched by Iranian-backed militants in "
         "western Iraq targeting al-Assad Airbase.")
CITATION = "— U.S. Central Command (@CENTCOM) January 20, 2024"
POST_URL = "https://twitter.com/CENTCOM/status/1748846497406726425"
SAME_POST = "https://x.com/centcom/status/1748846497406726425?s=20"
CTRL = Qt.KeyboardModifier.ControlModifier


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def key(qtbot: Any, which: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
        ) -> None:
    qtbot.keyClick(QApplication.activePopupWidget() or focused(), which, modifier)


def type_into(qtbot: Any, widget: QWidget, text: str) -> None:
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClicks(focused(), text)


def activate(qtbot: Any, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def test_a_desk_officer_logs_the_al_assad_attack(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialogs = DialogRecorder().install(monkeypatch)
    make_database(db_path, sample=False)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    window.resize(1400, 860)
    window.show()
    activate(qtbot, window)
    services = window.context.services
    form: Any = window.workspace.incident_form
    table = window.workspace.incident_table

    # Ctrl+N: a new incident, the cursor in its title.
    key(qtbot, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: focused() is form.title)
    qtbot.keyClicks(form.title, TITLE)
    type_into(qtbot, form.occurred.edit, "2024-01-20 18:30")
    type_into(qtbot, form.tz.lineEdit() or form.tz, "Baghdad")
    key(qtbot, Qt.Key.Key_Tab)
    assert form.tz.currentText() == "Asia/Baghdad"
    assert focused() is form.approximate
    key(qtbot, Qt.Key.Key_Space)
    type_into(qtbot, form.place, "al-Assad Airbase")
    type_into(qtbot, form.country.lineEdit() or form.country, "Iraq")
    key(qtbot, Qt.Key.Key_Tab)
    type_into(qtbot, form.event_type, "ballistic missile attack")
    type_into(qtbot, form.summary, SUMMARY)
    # Ctrl+S from the window's Save action.
    with qtbot.waitSignal(form.saved) as saved:
        key(qtbot, Qt.Key.Key_S, CTRL)
    uid = saved.args[0]
    stored = services.incidents.get(uid)
    assert (stored.ref, stored.country, stored.place) == ("IQ-2024-0001", "IQ", "al-Assad Airbase")
    assert stored.occurred is not None and stored.occurred.utc_text == "2024-01-20T15:30:00Z"
    assert stored.occurred.approximate
    assert table.current_uid() == uid  # the table follows the saved incident
    assert window.count_label.text() == "1 of 1 incidents"

    # A quote.
    form.tabs.setCurrentIndex(2)
    quote_dialog = form.quotes_tab.add_quote()
    activate(qtbot, quote_dialog)
    qtbot.keyClicks(quote_dialog.form.text, QUOTE)
    type_into(qtbot, quote_dialog.form.speaker, "U.S. Central Command")
    key(qtbot, Qt.Key.Key_S, CTRL)
    assert [q.text for q in services.quote_query.list(TextFilter(incident_uid=uid))] == [QUOTE]

    # A source pasted as a citation, then the same post again: reused, not duplicated.
    form.tabs.setCurrentIndex(1)
    QGuiApplication.clipboard().setText(CITATION)
    citation = form.sources_tab.paste_citation()
    citation.button_box.accepted.emit()
    source_dialog = form.sources_tab.active_dialog
    activate(qtbot, source_dialog)
    type_into(qtbot, source_dialog.form.url, POST_URL)
    key(qtbot, Qt.Key.Key_S, CTRL)
    assert form.sources_tab.active_dialog is None
    again = form.sources_tab.new_source()
    activate(qtbot, again)
    type_into(qtbot, again.form.url, SAME_POST)
    key(qtbot, Qt.Key.Key_Tab)
    notice = again.form.duplicate_notice
    assert notice.isVisible()
    qtbot.mouseClick(notice.button("Use the existing source"), Qt.MouseButton.LeftButton)
    sources = services.source_query.list()
    assert len(sources) == 1 and sources[0].handle == "@CENTCOM"
    assert [link.source_uid for link in services.incidents.links(uid)] == [sources[0].uid]
    window.show_view(1)
    assert window.workspace.sources_view.model.rowCount() == 1
    assert window.count_label.text() == "1 of 1 sources"
    window.show_view(2)
    assert window.workspace.quotes_view.model.rowCount() == 1
    window.show_view(0)

    # Another incident, so that the search has something to leave out.
    activate(qtbot, window)
    window.actionNewIncident.trigger()
    qtbot.keyClicks(form.title, "Drone attack on Tower 22")
    type_into(qtbot, form.occurred.edit, "2024-01-28 05:00")
    window.actionSave.trigger()
    assert table.incident_model.rowCount() == 2

    # Find it by a word of its summary.
    key(qtbot, Qt.Key.Key_F, CTRL)
    search = window.workspace.filter_bar.search_box
    qtbot.waitUntil(lambda: focused() is search)
    qtbot.keyClicks(search, "intercepted")
    qtbot.waitUntil(lambda: table.incident_model.rowCount() == 1, timeout=2000)
    assert table.incident_model.uid_at(0) == uid
    assert window.count_label.text() == "1 of 2 incidents"

    # Undo and redo an edit of the title, from the Edit menu's actions and their keys.
    window.context.state.set_current_incident(uid)
    form.tabs.setCurrentIndex(0)
    form.title.setFocus()
    form.title.selectAll()
    qtbot.keyClicks(form.title, "Missile attack on al-Assad Airbase")
    key(qtbot, Qt.Key.Key_S, CTRL)
    assert services.incidents.get(uid).title == "Missile attack on al-Assad Airbase"
    assert "Edit incident IQ-2024-0001" in window.actionUndo.text()
    table.setFocus()
    key(qtbot, Qt.Key.Key_Z, CTRL)
    assert services.incidents.get(uid).title == TITLE
    key(qtbot, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert services.incidents.get(uid).title == "Missile attack on al-Assad Airbase"
    # Qt remembers the modifiers of the last key event: let go of Ctrl and Shift, or
    # every later click in the suite would be a Ctrl+Shift+click.
    key(qtbot, Qt.Key.Key_Shift)
    assert QGuiApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier

    # Export the filtered table to CSV.
    out = tmp_path / "for-colleagues"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *_a: str(out)))
    dialog = window.export_dialog()
    qtbot.addWidget(dialog)
    assert dialog.scope() == "filter"
    dialog.set_format(CSV)
    dialog.browse_button.click()
    dialog.export_button.click()
    with (out / "incidents.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert "Missile attack on al-Assad Airbase" in rows[0].values()
    assert not dialogs.of("warning"), dialogs.of("warning")
