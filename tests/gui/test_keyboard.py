"""Keyboard paths: no widget keeps Tab, Ctrl+Tab works anywhere in the incident form,
focus comes back where the officer goes on, and Tab follows what the eye sees.

Keys are sent to the focused widget of a shown, active window, as a keyboard would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget
from sample_data import build_window, make_database
from test_incident_form import activate, context, focused, press, show, store_incident

from incidentlog.domain.records import Source
from incidentlog.gui.context import AppContext
from incidentlog.gui.filter_bar import FilterBar
from incidentlog.gui.forms.incident_form import DETAILS_TAB, QUOTES_TAB, SOURCES_TAB, IncidentForm
from incidentlog.gui.workers import TaskRunner

__all__ = ["context"]  # the fixture, shared with the incident form's tests

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def form(qtbot: Any, context: AppContext) -> IncidentForm:
    widget = IncidentForm(context)
    show(qtbot, widget)
    return widget


def _sources_tab_with_a_link(qtbot: Any, form: IncidentForm, context: AppContext) -> None:
    incident = store_incident(context.services)
    source = context.services.sources.create(
        Source(title="CENTCOM statement", url="https://www.centcom.mil/statement")).record
    form.load(incident.uid)
    assert form.sources_tab.link(source.uid)
    form.tabs.setCurrentIndex(SOURCES_TAB)
    form.sources_tab.table.setFocus(Qt.FocusReason.TabFocusReason)
    form.sources_tab.table.setCurrentCell(0, 0)
    qtbot.waitUntil(lambda: focused() is form.sources_tab.table)


def test_tab_and_shift_tab_leave_the_linked_sources_table(
        qtbot: Any, form: IncidentForm, context: AppContext) -> None:
    _sources_tab_with_a_link(qtbot, form, context)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is form.sources_tab.link_button
    form.sources_tab.table.setFocus(Qt.FocusReason.TabFocusReason)
    press(qtbot, Qt.Key.Key_Backtab, SHIFT)
    assert focused() is not form.sources_tab.table
    assert form.sources_tab.table.currentRow() == 0


def test_ctrl_tab_switches_the_tabs_from_the_sources_table(
        qtbot: Any, form: IncidentForm, context: AppContext) -> None:
    _sources_tab_with_a_link(qtbot, form, context)
    press(qtbot, Qt.Key.Key_Tab, CTRL)
    assert form.tabs.currentIndex() == QUOTES_TAB
    press(qtbot, Qt.Key.Key_Backtab, CTRL | SHIFT)
    assert form.tabs.currentIndex() == SOURCES_TAB
    press(qtbot, Qt.Key.Key_Backtab, CTRL | SHIFT)
    assert form.tabs.currentIndex() == DETAILS_TAB
    form.summary.setFocus(Qt.FocusReason.TabFocusReason)
    press(qtbot, Qt.Key.Key_Tab, CTRL)
    assert form.tabs.currentIndex() == SOURCES_TAB
    assert focused() is form.sources_tab.table


def test_focus_returns_to_the_button_that_opened_a_source_dialog(
        qtbot: Any, form: IncidentForm, context: AppContext) -> None:
    _sources_tab_with_a_link(qtbot, form, context)
    tab = form.sources_tab
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: tab.active_dialog is not None)  # a mnemonic clicks after a blink
    dialog = tab.active_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: tab.active_dialog is None)
    activate(qtbot, form)
    assert focused() is tab.new_button

    # Opened with Enter on a row: back in the table.
    tab.table.setFocus(Qt.FocusReason.TabFocusReason)
    tab.table.setCurrentCell(0, 0)
    press(qtbot, Qt.Key.Key_Return)
    dialog = tab.active_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: tab.active_dialog is None)
    activate(qtbot, form)
    assert focused() is tab.table

    # The Quotes tab's Add quote… likewise.
    press(qtbot, Qt.Key.Key_Tab, CTRL)
    quotes = form.quotes_tab
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: quotes.active_dialog is not None)
    dialog = quotes.active_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: quotes.active_dialog is None)
    activate(qtbot, form)
    assert focused() is quotes.add_button


def test_at_start_the_incident_table_has_the_focus_and_its_first_row(
        qtbot: Any, db_path: Path) -> None:
    make_database(db_path)
    # Rows arrive from a worker thread, as in the application: the first page comes later.
    window: Any = build_window(qtbot, ["--db", str(db_path)], runner=TaskRunner())
    table = window.workspace.incident_table
    window.show()
    activate(qtbot, window)
    qtbot.waitUntil(lambda: table.currentIndex().isValid())
    assert table.currentIndex().row() == 0
    assert focused() is table
    # The form beside follows once the rows are painted (the rows come first).
    qtbot.waitUntil(
        lambda: window.context.state.current_incident == table.incident_model.uid_at(0))
    assert window.workspace.incident_form.uid() == table.incident_model.uid_at(0)


# --- Tab follows the visual order ------------------------------------------------------------


def _inputs(container: QWidget) -> list[QWidget]:
    """The widgets of ``container`` Tab should reach: shown, enabled, taking Tab focus."""
    found = []
    for widget in container.findChildren(QWidget):
        if (widget.isVisible() and widget.isEnabled()
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                and widget.focusProxy() is None
                and not any(isinstance(a, (QComboBox, QAbstractSpinBox))
                            for a in _ancestors(widget, container))):
            found.append(widget)
    return found


def _ancestors(widget: QWidget, container: QWidget) -> list[QWidget]:
    result = []
    parent = widget.parentWidget()
    while parent is not None and parent is not container:
        result.append(parent)
        parent = parent.parentWidget()
    return result


def _visual_order(widgets: list[QWidget]) -> list[QWidget]:
    """Top to bottom by rows (widgets whose heights overlap share a row), left to right."""
    def box(widget: QWidget) -> tuple[int, int, int]:
        top_left = widget.mapToGlobal(QPoint(0, 0))
        return top_left.y(), top_left.y() + widget.height(), top_left.x()

    rows: list[list[QWidget]] = []
    bottom = None
    for widget in sorted(widgets, key=lambda w: box(w)[0] + box(w)[1]):
        top, low, _x = box(widget)
        if bottom is None or (top + low) // 2 >= bottom:
            rows.append([])
            bottom = low
        rows[-1].append(widget)
        bottom = max(bottom, low) if len(rows[-1]) == 1 else bottom
    return [w for row in rows for w in sorted(row, key=lambda w: box(w)[2])]


def _walk_tab(qtbot: Any, first: QWidget, steps: int) -> list[QWidget]:
    """The widgets the focus visits from ``first`` with ``steps`` presses of Tab."""
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(first.hasFocus)
    visited = [first]
    for _ in range(steps):
        press(qtbot, Qt.Key.Key_Tab)
        widget = focused()
        # An editable combo box or a date passes the focus to its own line edit.
        while widget.parentWidget() is not None and isinstance(
                widget.parentWidget(), (QComboBox, QAbstractSpinBox)):
            widget = widget.parentWidget()
        visited.append(widget)
    return visited


def _names(widgets: list[QWidget]) -> list[str]:
    return [w.objectName() or w.accessibleName() or type(w).__name__ for w in widgets]


def test_tab_walks_the_details_tab_in_visual_order(qtbot: Any, form: IncidentForm) -> None:
    form.new_incident()
    expected = _visual_order(_inputs(form.findChild(QWidget, "details")))
    assert len(expected) > 20
    visited = _walk_tab(qtbot, expected[0], len(expected) - 1)
    assert _names(visited) == _names(expected), (_names(visited), _names(expected))


def test_tab_walks_the_filter_bar_in_visual_order(qtbot: Any, context: AppContext) -> None:
    bar = FilterBar(context)
    show(qtbot, bar, 900, 120)
    qtbot.keyClicks(bar.search_box, "rocket")
    bar.apply()  # a filter to clear: Clear is enabled
    expected = _visual_order(_inputs(bar))
    assert {bar.clear_button, bar.tag_combo} <= set(expected)
    visited = _walk_tab(qtbot, expected[0], len(expected) - 1)
    assert _names(visited) == _names(expected), (_names(visited), _names(expected))


def test_a_filled_date_steps_through_day_month_year_then_leaves(
        qtbot: Any, context: AppContext) -> None:
    bar = FilterBar(context)
    show(qtbot, bar, 900, 120)
    bar.since_edit.set_value(QDate(2024, 1, 20))
    bar.since_edit.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(bar.since_edit.hasFocus)
    sections = []
    for _ in range(3):
        sections.append(bar.since_edit.currentSection())
        press(qtbot, Qt.Key.Key_Tab)
    assert len(set(sections)) == 3
    assert bar.until_edit.hasFocus()


def test_tab_walks_the_sources_tab_in_visual_order(
        qtbot: Any, form: IncidentForm, context: AppContext) -> None:
    _sources_tab_with_a_link(qtbot, form, context)
    expected = _visual_order(_inputs(form.sources_tab))
    assert expected[0] is form.sources_tab.table and form.sources_tab.unlink_button in expected
    visited = _walk_tab(qtbot, expected[0], len(expected) - 1)
    assert _names(visited) == _names(expected), (_names(visited), _names(expected))


def test_a_mnemonic_closes_the_completion_popup_of_the_field_it_leaves(
        qtbot: Any, form: IncidentForm) -> None:
    form.event_type.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClicks(form.event_type, "ballistic missile attack")
    popup = QApplication.activePopupWidget()
    assert popup is not None and popup.isVisible()  # the vocabulary offers the type
    press(qtbot, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert focused() is form.weapons
    assert not popup.isVisible()
    for character in "rockets":  # as typed: each key to the popup or the focus
        press(qtbot, Qt.Key(ord(character.upper())))
    assert form.event_type.text() == "ballistic missile attack"
    assert form.weapons.text().lower() == "rockets"


def test_the_first_rows_are_painted_before_the_form_reads_the_first_incident(
        qtbot: Any, db_path: Path) -> None:
    from PySide6.QtCore import QEvent, QObject

    make_database(db_path)
    window: Any = build_window(qtbot, ["--db", str(db_path)], runner=TaskRunner())
    table = window.workspace.incident_table
    seen: list[object] = []

    class FirstRowsPaint(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:  # Qt override
            if (event.type() == QEvent.Type.Paint and not seen
                    and table.incident_model.rowCount()):
                seen.append(window.context.state.current_incident)
            return False

    watcher = FirstRowsPaint()
    table.viewport().installEventFilter(watcher)
    window.show()
    qtbot.waitUntil(lambda: bool(seen))
    assert seen == [None]  # the rows on screen, the form not yet read
    qtbot.waitUntil(lambda: window.workspace.incident_form.uid() == table.current_uid())
    table.viewport().removeEventFilter(watcher)
