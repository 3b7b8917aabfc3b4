"""What the forms look like: the incident's Sources and Quotes tabs, read-only fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget
from sample_data import DialogRecorder, build_window, make_database

from incidentlog.domain.records import Quote
from incidentlog.gui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:  # type: ignore[no-untyped-def]
    DialogRecorder().install(monkeypatch)
    make_database(db_path)
    return build_window(qtbot, ["--db", str(db_path)])  # type: ignore[return-value]


def _open_incident(window: MainWindow, keyword: str) -> str:
    context = window.context
    assert context is not None
    (uid,) = [i.uid for i in context.services.incident_query.page(limit=50)
              if keyword in (i.title or "")]
    assert uid is not None
    context.state.set_current_incident(uid)
    return uid


def test_the_quotes_tab_names_a_speaker_once_when_it_is_its_own_organisation(
        window: MainWindow) -> None:
    uid = _open_incident(window, "Tower")
    context = window.context
    assert context is not None
    context.services.quotes.create(Quote(
        text="Multiple ballistic missiles and rockets were launched.",
        speaker="US Central Command (CENTCOM)", speaker_org="US Central Command (CENTCOM)",
        incident_uid=uid))
    quotes_tab = window.workspace.incident_form.quotes_tab
    quotes_tab.refresh()
    (who,) = [quotes_tab.table.item(row, 0).text()
              for row in range(quotes_tab.table.rowCount())]
    assert who.count("US Central Command (CENTCOM)") == 1, who


def test_the_quotes_tab_still_names_a_different_organisation(window: MainWindow) -> None:
    uid = _open_incident(window, "Tower")
    context = window.context
    assert context is not None
    context.services.quotes.create(Quote(
        text="We will respond.", speaker="Lloyd Austin", speaker_org="US Department of Defense",
        incident_uid=uid))
    quotes_tab = window.workspace.incident_form.quotes_tab
    quotes_tab.refresh()
    who = quotes_tab.table.item(0, 0).text()
    assert "Lloyd Austin" in who and "US Department of Defense" in who


def test_the_cells_of_a_row_of_the_sources_tab_are_aligned_alike(window: MainWindow) -> None:
    _open_incident(window, "al-Assad")
    table = window.workspace.incident_form.sources_tab.table
    assert table.rowCount() > 0
    for row in range(table.rowCount()):
        alignments = {int(table.item(row, column).textAlignment())
                      for column in range(table.columnCount())}
        assert alignments == {int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)}


def _base(widget: QWidget) -> str:
    return widget.palette().color(QPalette.ColorRole.Base).name()


def test_read_only_text_fields_look_read_only(qtbot, db_path: Path,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    DialogRecorder().install(monkeypatch)
    make_database(db_path)
    editable: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    title = editable.workspace.incident_form.findChild(QLineEdit, "title")
    editable_base = _base(title)
    editable.close()
    window: MainWindow = build_window(qtbot, ["--db", str(db_path), "--read-only"])  # type: ignore[assignment]
    window_colour = window.palette().color(QPalette.ColorRole.Window).name()
    for form in window.workspace.forms():
        fields = [w for w in form.findChildren(QLineEdit) + form.findChildren(QPlainTextEdit)
                  if w.isReadOnly() and w.objectName() and not w.objectName().startswith("qt_")]
        assert fields, form.objectName()
        for field in fields:
            # The background of the window, not of a field that takes typing.
            assert _base(field) != editable_base, (form.objectName(), field.objectName())
            assert _base(field) == window_colour, (form.objectName(), field.objectName())
