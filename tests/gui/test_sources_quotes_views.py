"""The sources and quotes models (qtmodeltester, data) and their views in the window."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox, QTableView
from sample_data import DialogRecorder, Sample, build_window, make_database, populate

from incidentlog.domain.query import TextFilter
from incidentlog.domain.records import Quote
from incidentlog.gui.main_window import SOURCES, MainWindow
from incidentlog.gui.quotes_view import QuoteTableModel
from incidentlog.gui.sources_view import SourceTableModel
from incidentlog.services import Services

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
def sample(services: Services) -> Sample:
    return populate(services)


def texts(model: SourceTableModel | QuoteTableModel, key: str) -> list[str]:
    number = model.column_index(key)
    return [model.data(model.index(row, number)) for row in range(model.rowCount())]


def test_source_model_passes_qtmodeltester(qtmodeltester, services: Services,  # type: ignore[no-untyped-def]
                                           sample: Sample) -> None:
    model = SourceTableModel(services)
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    # newest first by default
    assert texts(model, "outlet") == ["Reuters", "CENTCOM"]
    row = model.row_of_uid(sample.sources["centcom"])
    assert model.data(model.index(row, model.column_index("kind"))) == "social post"
    assert model.data(model.index(row, model.column_index("reliability"))) \
        == "B – usually reliable"
    assert isinstance(model.data(model.index(row, model.column_index("reliability")),
                                 Qt.ItemDataRole.DecorationRole), QColor)
    assert "UTC" in model.data(model.index(row, model.column_index("published")),
                               Qt.ItemDataRole.ToolTipRole)


def test_source_model_search_sort_and_changes(services: Services, sample: Sample) -> None:
    model = SourceTableModel(services)
    services.notifier.subscribe(model.handle_changes)
    model.set_text("centcom")
    assert texts(model, "outlet") == ["CENTCOM"]
    assert model.total == 2
    model.set_text("")
    model.sort(model.column_index("outlet"), Qt.SortOrder.AscendingOrder)
    assert texts(model, "outlet") == ["CENTCOM", "Reuters"]
    model.sort(model.column_index("title"), Qt.SortOrder.DescendingOrder)
    titles = texts(model, "title")
    assert titles == sorted(titles, reverse=True)
    source = services.sources.get(sample.sources["reuters"])
    services.sources.update(replace(source, outlet="Reuters (wire)"))
    assert "Reuters (wire)" in texts(model, "outlet")
    services.sources.delete(sample.sources["reuters"])
    assert model.rowCount() == 1


def test_quote_model_passes_qtmodeltester(qtmodeltester, services: Services,  # type: ignore[no-untyped-def]
                                          sample: Sample) -> None:
    model = QuoteTableModel(services)
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    row = model.row_of_uid(sample.quotes["biden"])
    assert model.data(model.index(row, model.column_index("speaker"))) == "Joe Biden"
    assert model.data(model.index(row, model.column_index("said"))) == ""
    text = model.data(model.index(row, model.column_index("text")), Qt.ItemDataRole.ToolTipRole)
    assert text.startswith("We also discussed")


def test_quote_model_search_sort_and_changes(services: Services, sample: Sample) -> None:
    model = QuoteTableModel(services)
    services.notifier.subscribe(model.handle_changes)
    model.set_filter(TextFilter("president"))
    assert texts(model, "speaker") == ["Joe Biden"]
    model.set_filter(TextFilter())
    model.sort(model.column_index("speaker"), Qt.SortOrder.AscendingOrder)
    assert texts(model, "speaker") == ["Joe Biden", "U.S. Central Command"]
    services.quotes.create(Quote(text="We will respond.", speaker="Lloyd Austin"))
    assert texts(model, "speaker") == ["Joe Biden", "Lloyd Austin", "U.S. Central Command"]


# --- in the window -----------------------------------------------------------------


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


@pytest.fixture
def built(qtbot, db_path: Path, dialogs: DialogRecorder) -> tuple[MainWindow, Sample]:  # type: ignore[no-untyped-def]
    sample = make_database(db_path)
    assert sample is not None
    return build_window(qtbot, ["--db", str(db_path)]), sample  # type: ignore[return-value]


def test_views_have_their_tables_and_forms(built: tuple[MainWindow, Sample]) -> None:
    window, _sample = built
    assert not window.workspace.sources_view.model.loaded  # nothing read until looked at
    window.show_view(SOURCES)
    window.show_view(2)
    source_table = window.findChild(QTableView, "sourceTable")
    quote_table = window.findChild(QTableView, "quoteTable")
    assert source_table.model().rowCount() == 2
    assert quote_table.model().rowCount() == 2
    # the first row is loaded in the form at once
    assert window.workspace.sources_view.current_uid() is not None


def test_deleting_a_cited_source_says_which_incidents_cite_it(
        built: tuple[MainWindow, Sample], dialogs: DialogRecorder) -> None:
    window, sample = built
    window.show_view(SOURCES)
    view = window.workspace.sources_view
    view.select_uid(sample.sources["centcom"])
    dialogs.answer = QMessageBox.StandardButton.Cancel
    window.actionDelete.trigger()
    question = dialogs.of("question")[-1][2]
    assert "cited by IQ-2024-0001" in question
    assert view.model.rowCount() == 2  # cancelled: nothing deleted
    dialogs.answer = QMessageBox.StandardButton.Yes
    window.actionDelete.trigger()
    assert view.model.rowCount() == 1
    window.actionUndo.trigger()
    assert view.model.rowCount() == 2


def test_deleting_a_quote_is_undoable(built: tuple[MainWindow, Sample]) -> None:
    window, sample = built
    window.show_view(2)
    view = window.workspace.quotes_view
    view.select_uid(sample.quotes["biden"])
    window.actionDelete.trigger()
    assert view.model.row_of_uid(sample.quotes["biden"]) is None
    assert "Delete quote" in window.actionUndo.text()
    window.actionUndo.trigger()
    assert view.model.row_of_uid(sample.quotes["biden"]) is not None


def test_view_search_box_filters_as_you_type(qtbot, built: tuple[MainWindow, Sample]) -> None:  # type: ignore[no-untyped-def]
    window, _sample = built
    window.show_view(SOURCES)
    view = window.workspace.sources_view
    qtbot.keyClicks(view.search_box, "reuters")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=2000)
    window.show_view(SOURCES)
    assert window.count_label.text() == "1 of 2 sources"
