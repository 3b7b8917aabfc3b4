"""The Trash, bulk edit of a selection and saved views, on the real window and database."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMessageBox
from sample_data import DialogRecorder, Sample, build_window, make_database
from sqlalchemy import update

from incidentlog.domain.enums import RecordKind, Status
from incidentlog.domain.query import IncidentFilter
from incidentlog.gui.main_window import MainWindow
from incidentlog.store.schema import saved_view_table

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


@pytest.fixture
def sample(db_path: Path) -> Sample:
    made = make_database(db_path)
    assert made is not None
    return made


@pytest.fixture
def window(qtbot, db_path: Path, sample: Sample, dialogs: DialogRecorder) -> MainWindow:  # type: ignore[no-untyped-def]
    return build_window(qtbot, ["--db", str(db_path)])  # type: ignore[return-value]


def _services(window: MainWindow):  # type: ignore[no-untyped-def]
    assert window.context is not None
    return window.context.services


# --- the Trash ---------------------------------------------------------------------------


def test_trash_lists_restores_and_purges(window: MainWindow, sample: Sample,
                                         dialogs: DialogRecorder) -> None:
    services = _services(window)
    drone, retaliatory = sample.incidents["drone"], sample.incidents["retaliatory"]
    services.incidents.delete(drone)
    services.incidents.delete(retaliatory)
    services.sources.delete(sample.sources["reuters"])  # still cited by a live incident
    window.actionTrash.trigger()
    dialog = window.trash_flow.dialog
    assert dialog is not None and dialog.isVisible()
    listed = {(row.kind, row.uid): row for row in dialog.rows}
    assert set(listed) == {(RecordKind.INCIDENT, drone), (RecordKind.INCIDENT, retaliatory),
                           (RecordKind.SOURCE, sample.sources["reuters"])}
    assert "Drone attack near Tower 22" in listed[RecordKind.INCIDENT, drone].label
    assert listed[RecordKind.INCIDENT, drone].deleted_by == services.actor
    assert dialog.table.rowCount() == 3

    dialog.select_uids([drone])
    dialog.restore_button.click()
    assert services.incidents.get(drone).meta.deleted_at is None
    assert len(dialog.rows) == 2

    dialog.select_uids([sample.sources["reuters"]])
    dialog.purge_button.click()
    question = dialogs.of("question")[-1]
    assert "Delete 1 record for good?" in question[2]
    refusal = dialogs.of("warning")[-1]
    assert "remove those citations" in refusal[2]
    assert services.sources.find(sample.sources["reuters"]) is not None

    dialog.select_uids([retaliatory])
    dialog.purge_button.click()
    assert services.incidents.find(retaliatory) is None
    assert [row.uid for row in dialog.rows] == [sample.sources["reuters"]]


def test_purge_and_empty_trash_ask_first(window: MainWindow, sample: Sample,
                                         dialogs: DialogRecorder) -> None:
    services = _services(window)
    for key in ("drone", "retaliatory"):
        services.incidents.delete(sample.incidents[key])
    services.quotes.delete(sample.quotes["biden"])
    window.actionTrash.trigger()
    dialog = window.trash_flow.dialog
    assert dialog is not None
    dialogs.answer = QMessageBox.StandardButton.Cancel
    dialog.empty_button.click()
    assert "all 3 records" in dialogs.of("question")[-1][2]
    assert services.incidents.trash_count() == 2  # cancelled: nothing purged
    dialogs.answer = QMessageBox.StandardButton.Yes
    dialog.empty_button.click()
    assert services.incidents.trash_count() == 0
    assert services.quotes.trash_count() == 0
    assert dialog.rows == []
    assert not dialog.empty_button.isEnabled()


def test_read_only_trash_lists_only(qtbot, db_path: Path, sample: Sample,  # type: ignore[no-untyped-def]
                                    dialogs: DialogRecorder) -> None:
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    database = open_database(db_path)
    Services(database, actor="tester").incidents.delete(sample.incidents["drone"])
    database.close()
    window: MainWindow = build_window(qtbot, ["--db", str(db_path), "--read-only"])  # type: ignore[assignment]
    assert window.actionTrash.isEnabled()
    window.actionTrash.trigger()
    dialog = window.trash_flow.dialog
    assert dialog is not None
    assert [row.uid for row in dialog.rows] == [sample.incidents["drone"]]
    assert not any(b.isVisible() for b in (dialog.restore_button, dialog.purge_button,
                                           dialog.empty_button))
    assert window.trash_flow.restore(dialog.rows) == 0
    assert "read-only" in dialog.summary.text()


# --- bulk edit ------------------------------------------------------------------------------


def _select_all(window: MainWindow) -> None:
    assert window.workspace is not None
    table = window.workspace.incident_table
    table.selectAll()
    assert len(table.selected_uids()) == 5


def test_bulk_edit_is_one_undoable_command(window: MainWindow, sample: Sample,
                                           dialogs: DialogRecorder) -> None:
    services = _services(window)
    assert window.actionBulkEdit.shortcut() == QKeySequence("Ctrl+Shift+E")
    _select_all(window)
    window.actionBulkEdit.trigger()
    dialog = window.findChild(object, "bulkEditDialog")
    assert dialog is not None and dialog.isVisible()
    dialog.add_tags.setText("reviewed, batch")
    dialog.remove_tags.setText("escalation")
    dialog.confidence.setCurrentIndex(dialog.confidence.findData("4"))
    before = {uid: services.incidents.get(uid) for uid in sample.incidents.values()}
    stack = window.context.undo_stack  # type: ignore[union-attr]
    count = stack.count()
    dialog.accept()
    after = {uid: services.incidents.get(uid) for uid in sample.incidents.values()}
    for uid, incident in after.items():
        assert {"reviewed", "batch"} <= set(incident.tags)
        assert "escalation" not in incident.tags
        assert incident.confidence == 4
        assert incident.country == before[uid].country
    assert stack.count() == count + 1
    window.actionUndo.trigger()
    for uid, incident in before.items():
        restored = services.incidents.get(uid)
        assert (restored.tags, restored.confidence) == (incident.tags, incident.confidence)
    window.actionRedo.trigger()
    assert all(services.incidents.get(uid).confidence == 4 for uid in before)
    assert not dialogs.of("warning")


def test_bulk_edit_reports_conflicts_and_refusals(window: MainWindow, sample: Sample,
                                                  dialogs: DialogRecorder) -> None:
    services = _services(window)
    _select_all(window)
    window.actionBulkEdit.trigger()
    dialog = window.findChild(object, "bulkEditDialog")
    assert dialog is not None
    dialog.status.setCurrentIndex(dialog.status.findData(Status.ARCHIVED.value))
    # Someone else saves an incident after the selection was read.
    drone = services.incidents.get(sample.incidents["drone"])
    services.incidents.update(replace(drone, title="Drone attack near Tower 22 (edited)"))
    dialog.accept()
    warning = dialogs.of("warning")[-1]
    assert warning[1] == "Some incidents were not changed"
    assert "changed by" in warning[2] and "since you selected" in warning[2]
    assert services.incidents.get(sample.incidents["drone"]).status == Status.DISPUTED


def test_bulk_edit_needs_a_selection_of_several(window: MainWindow,
                                                dialogs: DialogRecorder) -> None:
    assert window.workspace is not None
    window.workspace.incident_table.clearSelection()
    assert window.bulk_edit_flow.edit_selection() is None
    assert dialogs.of("information")


# --- saved views --------------------------------------------------------------------------


def _saved_view_entry(window: MainWindow, name: str) -> QAction:
    window.saved_views_menu.aboutToShow.emit()
    found = [a for a in window.saved_views_menu.actions() if a.text() == name]
    assert len(found) == 1, [a.text() for a in window.saved_views_menu.actions()]
    return found[0]


def test_saved_view_stores_and_applies_filter_sort_columns(
        window: MainWindow, monkeypatch: pytest.MonkeyPatch, dialogs: DialogRecorder) -> None:
    assert window.workspace is not None and window.context is not None
    table = window.workspace.incident_table
    model = table.incident_model
    header = table.horizontalHeader()
    window.context.state.set_filter(IncidentFilter(countries=("IQ",)))
    table.sortByColumn(model.column_index("title"), Qt.SortOrder.AscendingOrder)
    header.setSectionHidden(model.column_index("confidence"), True)
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *_a, **_k: ("Iraq & Syria", True)))
    window.actionSaveView.trigger()
    stored = _services(window).saved_views.list()
    assert [v.name for v in stored] == ["Iraq & Syria"]
    assert stored[0].filter.countries == ("IQ",)
    assert stored[0].sort.column == model.columns[model.column_index("title")].sort
    assert "confidence" not in stored[0].columns

    window.workspace.filter_bar.clear()
    table.reset_layout()
    assert window.context.state.filter.countries == ()
    _saved_view_entry(window, "Iraq && Syria").trigger()
    assert window.context.state.filter.countries == ("IQ",)
    assert model.sort_order == stored[0].sort
    assert header.isSectionHidden(model.column_index("confidence"))
    assert not dialogs.of("warning")


def test_saved_view_problems_are_shown_and_views_managed(
        window: MainWindow, monkeypatch: pytest.MonkeyPatch, dialogs: DialogRecorder) -> None:
    services = _services(window)
    view = window.saved_views_flow.save_current_view("Broken")
    assert view is not None
    with services.database.write() as connection:
        connection.execute(update(saved_view_table)
                           .where(saved_view_table.c.uid == view.uid)
                           .values(filter_json='{"galaxy": ["far"]}'))
    _saved_view_entry(window, "Broken").trigger()
    warning = dialogs.of("warning")[-1]
    assert warning[1] == "Part of the view could not be read"
    assert "galaxy" in warning[2]

    manage = window.saved_views_flow.manage_dialog()
    assert manage is not None
    assert "galaxy" in manage.problems.text()  # type: ignore[attr-defined]
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: ("Mended", True)))
    manage.rename_button.click()  # type: ignore[attr-defined]
    assert [v.name for v in services.saved_views.list()] == ["Mended"]
    manage.delete_button.click()  # type: ignore[attr-defined]
    assert services.saved_views.list() == []
    assert services.saved_views.trash_count() == 1


def test_bulk_edit_dialog_reads_names_codes_and_clear(window: MainWindow) -> None:
    _select_all(window)
    dialog = window.bulk_edit_flow.edit_selection()
    assert dialog is not None
    untouched = dialog.change()  # type: ignore[attr-defined]
    assert untouched.is_empty
    dialog.country.setEditText("Jordan")  # type: ignore[attr-defined]
    dialog.event_type.setCurrentIndex(1)  # type: ignore[attr-defined]  # Clear
    dialog.add_tags.setText(" night ; convoy,, ")  # type: ignore[attr-defined]
    change = dialog.change()  # type: ignore[attr-defined]
    assert change.country == "JO"
    assert change.event_type is None
    assert change.add_tags == ("night", "convoy")
    dialog.reject()
