"""A duplicate found while typing in the real incident form, merged with field choices, undone."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from incidentlog.gui import merge_dialog
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.incident_form import IncidentForm
from incidentlog.gui.merge_dialog import MergeDialog, differing
from tests.gui.test_incident_form import context, form, store_incident  # noqa: F401

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

TYPED = "Ballistic missiles hit al-Assad airbase"


def test_duplicate_found_while_typing_then_merged_and_undone(
        qtbot: Any, form: IncidentForm, context: AppContext,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    services = context.services
    stored = store_incident(services)
    form.new_incident()
    form.occurred.edit.setText("2024-01-20 18:10")
    form.tz.set_zone("Asia/Baghdad")
    form.country.setEditText("IQ")
    with qtbot.waitSignal(form.duplicates.looked, timeout=10_000):
        qtbot.keyClicks(form.title, TYPED)
    qtbot.waitUntil(lambda: bool(form.duplicates.candidates), timeout=10_000)
    panel = form.duplicates
    assert panel.isVisible()
    assert [c.uid for c in panel.candidates] == [stored.uid]
    assert "19 minutes apart" in panel.list.item(0).text()
    assert panel.list.item(0).text().startswith(stored.ref or "")
    assert stored.title in panel.list.item(0).text()

    shown: list[MergeDialog] = []

    def run(dialog: MergeDialog) -> int:
        shown.append(dialog)
        assert {"title", "occurred"} <= set(differing(dialog._survivor, dialog._other))
        dialog.choose_other("title")  # the typed title is the better one
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(MergeDialog, "exec", run)
    qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    assert len(shown) == 1
    typed_uid = shown[0]._other.uid or ""
    survivor = services.incidents.get(stored.uid or "")
    assert survivor.title == TYPED  # chosen from the typed one
    assert survivor.occurred == stored.occurred  # the survivor's by default
    assert services.incidents.get(typed_uid).meta.deleted_at is not None
    assert form.uid() == stored.uid  # the form shows the survivor
    assert context.undo_stack.undoText().startswith("Merge ")

    context.undo_stack.undo()
    assert services.incidents.get(stored.uid or "").title == stored.title
    assert services.incidents.get(typed_uid).meta.deleted_at is None
    context.undo_stack.redo()
    assert services.incidents.get(stored.uid or "").title == TYPED
    assert services.incidents.get(typed_uid).meta.deleted_at is not None


def test_the_merge_dialog_defaults_to_the_survivor(qtbot: Any, context: AppContext) -> None:  # noqa: F811
    services = context.services
    one = store_incident(services)
    two = store_incident(services, title="Rockets at al-Assad", place="Al Asad")
    dialog = MergeDialog(one, two)
    qtbot.addWidget(dialog)
    assert set(differing(one, two)) == {"title", "place"}
    assert dialog.taken_from_other() == set()
    assert dialog.facts() == one
    dialog.choose_other("place")
    assert dialog.facts().place == "Al Asad" and dialog.facts().title == one.title
    assert merge_dialog.shown(None) == "—"
