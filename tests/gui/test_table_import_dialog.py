"""File ▸ Import from CSV or spreadsheet: guessed mapping, edited per column, preview, import."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QFileDialog
from sample_data import DialogRecorder, build_window, make_database

from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.table_import_dialog import TableImportDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ACLED_SAMPLE = Path(__file__).parents[1] / "unit" / "data" / "acled_sample.csv"
TABLE = (
    "التاريخ,العنوان,Town,Dead,Notes\r\n"
    "2024-01-20,قصف على الموصل,Mosul,3,<b>bold?</b>\r\n"
    "20/01/2024,=1+1,Erbil,at least 2,\r\n"
    "2024-13-01,bad date,Kirkuk,five,\r\n"
)


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


def open_dialog(qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path,  # type: ignore[no-untyped-def]
                table: Path) -> tuple[MainWindow, TableImportDialog]:
    make_database(db_path, sample=False)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *_a, **_k: (str(table), "")))
    window.actionImportTable.trigger()
    dialog = window.findChild(TableImportDialog)
    assert isinstance(dialog, TableImportDialog)
    qtbot.addWidget(dialog)
    dialog.browse()
    return window, dialog


def column_combo(dialog: TableImportDialog, header: str) -> QComboBox:
    table = dialog.columns_table
    for column in range(table.columnCount()):
        item = table.horizontalHeaderItem(column)
        if item is not None and item.text() == header:
            combo = table.cellWidget(0, column)
            assert isinstance(combo, QComboBox)
            return combo
    raise AssertionError(header)


def test_the_guessed_mapping_is_corrected_previewed_and_imported(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    table = tmp_path / "desk.csv"
    table.write_text(TABLE, encoding="utf-8")
    window, dialog = open_dialog(qtbot, monkeypatch, db_path, table)
    assert column_combo(dialog, "التاريخ").currentData() == "occurred"
    assert column_combo(dialog, "Dead").currentData() == "killed"
    assert column_combo(dialog, "Town").currentData() == "place"
    preview = dialog.preview_table
    assert preview.rowCount() == 3
    assert preview.item(0, 1).text() == "قصف على الموصل"
    assert preview.item(1, 1).text() == "=1+1"  # a formula is text, never run
    assert "Killed" in preview.item(2, 0).text() and "is not a date" in preview.item(2, 0).text()
    assert "1 with problems" in dialog.status.text()
    # The HTML-looking cell is shown as the text it is.
    cells = dialog.columns_table
    shown = [cells.item(1, c).text() for c in range(cells.columnCount())]
    assert "<b>bold?</b>" in shown

    # The bad row makes the whole import refuse; told by row.
    with qtbot.waitSignal(dialog.checked) as checked:
        dialog.check_button.click()
    assert isinstance(checked.args[0], Exception)
    assert "row 4" in dialog.report_view.toPlainText()
    assert not dialog.apply_button.isEnabled()

    # Corrected in the file; the "Dead" column is then not imported: the preview follows.
    table.write_text(TABLE.rsplit("2024-13-01", 1)[0], encoding="utf-8")
    combo = column_combo(dialog, "Dead")
    combo.setCurrentIndex(combo.findData(""))
    combo.activated.emit(combo.currentIndex())
    assert "killed" not in dialog.mapping.columns.values()
    assert dialog.preview_table.rowCount() == 2
    assert "0 with problems" in dialog.status.text()
    with qtbot.waitSignal(dialog.checked):
        dialog.check_button.click()
    assert "Incidents: 2 added" in dialog.report_view.toPlainText()
    model = window.workspace.incident_table.incident_model
    assert model.rowCount() == 0
    with qtbot.waitSignal(dialog.imported):
        dialog.apply_button.click()
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    assert "Import finished" in dialogs.of("information")[-1][2]


def test_an_acled_file_gets_the_built_in_mapping_and_a_time_zone(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path,  # type: ignore[no-untyped-def]
        dialogs: DialogRecorder) -> None:
    _window, dialog = open_dialog(qtbot, monkeypatch, db_path, ACLED_SAMPLE)
    assert dialog.mapping.name == "ACLED"
    assert dialog.preset.currentData() == "acled"
    assert dialog.preview_table.rowCount() == 4
    dialog.zone.set_zone("Asia/Baghdad")
    dialog.zone.resolve()
    assert dialog.mapping.tz == "Asia/Baghdad"
    assert dialog.preview.rows[0].incident["occurred_at"] == "2024-01-19T21:00:00Z"  # type: ignore[index, union-attr]
