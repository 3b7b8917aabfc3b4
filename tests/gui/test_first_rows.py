"""The log's first rows, read with sqlite3 before the data layer is imported, are the rows
the table shows first, and look the same; anything unusual shows none (docs/performance.md).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sample_data import build_window, make_database, populate

from incidentlog.domain.query import IncidentFilter, Sort
from incidentlog.gui.first_rows import FirstRowsPage
from incidentlog.gui.main_window import MainWindow
from incidentlog.services import Services
from incidentlog.store.database import open_database
from incidentlog.store.first_page import read_first_rows

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")
DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
def log(db_path: Path) -> Path:
    with open_database(db_path) as database:
        services = Services(database, actor="tester")
        populate(services)
        services.incidents.delete(services.incident_query.page(limit=1)[0].meta.uid or "", 1)
    return db_path


@pytest.mark.parametrize("sort", [Sort("occurred_at", descending=True), Sort("title"),
                                  Sort("country", descending=True), Sort("killed")])
def test_the_first_rows_are_the_tables_first_page(log: Path, sort: Sort) -> None:
    with open_database(log, read_only=True) as database:
        expected = Services(database).incident_query.page(IncidentFilter(), sort, limit=4)
    found = read_first_rows(log, sort, 4)
    assert found is not None
    assert [i.meta.uid for i in found] == [i.meta.uid for i in expected]
    assert found == expected  # every field and tag, as the store reads them


def _another_revision(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")


def _not_ours(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA application_id = 0")


@pytest.mark.parametrize("spoil", [_another_revision, _not_ours,
                                   lambda p: p.write_bytes(b"not a database at all"),
                                   lambda p: p.unlink()],
                         ids=["another revision", "not ours", "garbage", "missing"])
def test_a_file_that_is_not_plainly_ours_shows_no_first_rows(
        log: Path, tmp_path: Path, spoil: Any) -> None:
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(log, copy)
    spoil(copy)
    assert read_first_rows(copy, Sort("occurred_at", descending=True), 10) is None


def test_the_first_rows_show_until_the_table_replaces_them_with_the_same_cells(
        qtbot: Any, db_path: Path) -> None:
    make_database(db_path)
    window: MainWindow = build_window(  # type: ignore[assignment]
        qtbot, ["--db", str(db_path)])
    seen: dict[str, list[list[str]]] = {}

    def keep_first_rows() -> None:
        page = window.first_rows
        assert isinstance(page, FirstRowsPage) and window.workspace is None
        assert window.stack.currentWidget() is page
        model, header = page.model, page.table.horizontalHeader()
        shown = [n for n in range(model.columnCount()) if not header.isSectionHidden(n)]
        seen["preview"] = [[str(model.index(r, c).data(DISPLAY)) for c in shown]
                           for r in range(model.rowCount())]
        seen["columns"] = [[str(n) for n in shown]]
        window._open_pending()

    window.set_context(None)
    window._first_rows_painted = keep_first_rows  # type: ignore[method-assign]
    window.resize(1400, 860)
    window.open_after_first_paint(db_path)
    window.show()
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=5000)
    assert window.first_rows is None and "preview" in seen
    model = window.workspace.incident_table.incident_model
    qtbot.waitUntil(lambda: model.rowCount() >= len(seen["preview"]), timeout=5000)
    shown = [int(n) for n in seen["columns"][0]]
    table_rows = [[str(model.index(r, c).data(DISPLAY)) for c in shown]
                  for r in range(len(seen["preview"]))]
    assert seen["preview"] and table_rows == seen["preview"]
