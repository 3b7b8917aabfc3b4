"""Edit ▸ Actors…: the vocabulary dialog, its edits, their undo, and how it is reached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from sample_data import DialogRecorder, build_window, make_database

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.gui.actors_dialog import ActorsDialog
from incidentlog.gui.context import AppContext
from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.workflows.actors import actors_flow
from tests.gui.test_incident_form import activate, context, focused, store_incident  # noqa: F401

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

GROUP = "Resistance Front"  # not in the vocabulary a new log starts with


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


def answer(monkeypatch: pytest.MonkeyPatch, *answers: str | None) -> None:
    """The texts and choices the person gives, in order."""
    pending = list(answers)
    monkeypatch.setattr(ActorsDialog, "ask_text", lambda *_args: pending.pop(0))
    monkeypatch.setattr(ActorsDialog, "ask_choice", lambda *_args: pending.pop(0))


def finish(qtbot: Any, dialog: ActorsDialog) -> None:
    """A rename or a merge runs off the window's thread: wait until it is done."""
    qtbot.waitUntil(lambda: dialog.edit_task is not None and dialog.edit_task.done,
                    timeout=30_000)


def row_of(dialog: ActorsDialog, name: str) -> tuple[str, str, str]:
    for row in range(dialog.table.rowCount()):
        cells = tuple(dialog.table.item(row, column).text() for column in range(3))
        if cells[0] == name:
            return (*cells[:2], cells[2] or "0")  # type: ignore[return-value]
    raise AssertionError(f"{name} is not listed")


@pytest.mark.both_engines
def test_rename_alias_and_merge_in_the_dialog_each_one_undo_step(
        qtbot: Any, context: AppContext, dialogs: DialogRecorder,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    services = context.services
    first = store_incident(services, actors=(IncidentActor(ActorRole.CLAIMANT, GROUP),))
    second = store_incident(services, title="Drone at Erbil", actors=(
        IncidentActor(ActorRole.PERPETRATOR, "RF cell"),))
    dialog = ActorsDialog(context, read_only=False)
    qtbot.addWidget(dialog)
    assert row_of(dialog, GROUP) == (GROUP, "", "1")
    dialog.search.setText("rf cel")
    assert [row for row in range(dialog.table.rowCount()) if not dialog.table.isRowHidden(row)
            ] == [dialog.entries.index(next(e for e in dialog.entries if e.name == "RF cell"))]
    dialog.search.clear()

    assert dialog.choose(GROUP)
    answer(monkeypatch, "RF")
    assert dialog.add_alias_clicked()
    assert row_of(dialog, GROUP)[1] == "RF"
    # an alias another actor has, and an empty name, are refused with a clear sentence
    assert dialog.choose("U.S. forces")
    answer(monkeypatch, "rf")
    assert not dialog.add_alias_clicked()
    assert "'rf' already names Resistance Front" in dialogs.of("warning")[-1][2]
    answer(monkeypatch, "  ")
    assert dialog.rename_clicked()  # it runs in the background, and fails there
    finish(qtbot, dialog)
    assert "must not be empty" in dialogs.of("warning")[-1][2]

    assert dialog.choose("rf")  # by its alias
    answer(monkeypatch, "Resistance Front of Iraq")
    assert dialog.rename_clicked()
    finish(qtbot, dialog)
    assert services.incidents.get(first.meta.uid or "").perpetrator == "Resistance Front of Iraq"
    assert dialog.current() is not None and dialog.current().name == "Resistance Front of Iraq"  # type: ignore[union-attr]

    assert dialog.choose("RF cell")
    answer(monkeypatch, "Resistance Front of Iraq")
    assert dialog.merge_clicked()
    finish(qtbot, dialog)
    assert services.incidents.get(second.meta.uid or "").perpetrator == "Resistance Front of Iraq"
    assert row_of(dialog, "Resistance Front of Iraq") == (
        "Resistance Front of Iraq", "RF; RF cell", "2")
    assert context.undo_stack.undoText().startswith("Merge actor RF cell")

    context.undo_stack.undo()  # the dialog follows an undo from the window
    assert row_of(dialog, "RF cell") == ("RF cell", "", "1")
    assert services.incidents.get(second.meta.uid or "").perpetrator == "RF cell"
    context.undo_stack.undo()
    assert row_of(dialog, GROUP) == (GROUP, "RF", "1")
    context.undo_stack.undo()
    assert row_of(dialog, GROUP) == (GROUP, "", "1")
    context.undo_stack.redo()
    context.undo_stack.redo()
    assert row_of(dialog, "Resistance Front of Iraq")[1] == "RF"

    assert dialog.choose("Resistance Front of Iraq")
    answer(monkeypatch, "RF")
    assert dialog.remove_alias_clicked()
    assert row_of(dialog, "Resistance Front of Iraq")[1] == ""


def test_read_only_lists_without_edits(qtbot: Any, context: AppContext) -> None:  # noqa: F811
    dialog = ActorsDialog(context, read_only=True)
    qtbot.addWidget(dialog)
    assert dialog.choose("IRI")  # an alias of the vocabulary a log starts with
    assert not dialog.rename_button.isEnabled()
    assert not dialog.merge_button.isEnabled()
    assert not dialog.rename_clicked()


def test_reached_by_shortcut_and_from_the_actors_section(
        qtbot: Any, db_path: Path, dialogs: DialogRecorder) -> None:
    make_database(db_path)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    window.show()
    qtbot.waitUntil(lambda: window.workspace is not None)
    activate(qtbot, window)
    action = window.findChild(QAction, "actionActors")
    assert action is not None and action.shortcut().toString() == "Ctrl+Shift+A"
    assert action in window.findChild(QAction, "actionBulkEdit").associatedObjects()[0].actions()  # type: ignore[union-attr]
    qtbot.keyClick(focused(), Qt.Key.Key_A,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = actors_flow(window).dialog
    assert dialog is not None and dialog.isVisible()
    dialog.close()

    assert window.workspace is not None
    form = window.workspace.incident_form
    rows = form.actors.add_row()
    rows.actor.setText("IRI")
    menu = rows.context_menu(rows.actor)
    found = [a for a in menu.actions() if a.objectName() == "actorsVocabularyAction"]
    assert found and found[0].text().endswith("Ctrl+Shift+A")
    found[0].trigger()
    assert dialog.isVisible()
    assert dialog.current() is not None
    assert dialog.current().name == "Islamic Resistance in Iraq"  # type: ignore[union-attr]


def test_a_rename_cancelled_in_its_progress_dialog_changes_nothing(
        qtbot: Any, context: AppContext, dialogs: DialogRecorder,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    from incidentlog.gui.workers import ManualRunner
    from incidentlog.services import actors as actor_service

    monkeypatch.setattr(actor_service, "REWRITE_BATCH", 1)
    services = context.services
    stored = [store_incident(services, title=f"Attack {n}",
                             actors=(IncidentActor(ActorRole.CLAIMANT, GROUP),))
              for n in range(3)]
    context.runner = ManualRunner()
    dialog = ActorsDialog(context, read_only=False)
    qtbot.addWidget(dialog)
    assert dialog.choose(GROUP)
    answer(monkeypatch, "Resistance Front of Iraq")
    depth = context.undo_stack.count()
    assert dialog.rename_clicked()
    assert services.incidents.get(stored[0].meta.uid or "").perpetrator == GROUP  # not yet
    assert dialog.edit_task is not None
    dialog.edit_task.cancel()  # Cancel in the progress dialog
    context.runner.run_pending()
    qtbot.waitUntil(lambda: dialog.edit_task is not None and dialog.edit_task.done)
    assert [services.incidents.get(i.meta.uid or "").perpetrator for i in stored] == [GROUP] * 3
    assert context.undo_stack.count() == depth and not dialogs.of("warning")
    assert row_of(dialog, GROUP) == (GROUP, "", "3")
