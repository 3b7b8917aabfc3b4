"""The actors section's name completions: read again when a name is next entered, not on
every save (a save refreshes the form's vocabularies, docs/performance.md)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.gui.forms.incident_actors import ActorsEditor, Vocabulary, vocabulary_from


def offered(edit: QLineEdit) -> list[str]:
    completer: QCompleter | None = edit.completer()
    assert completer is not None
    model = completer.model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_names_are_read_again_when_a_row_is_entered_not_when_refreshed(qtbot: Any) -> None:
    names = [("Islamic Resistance in Iraq", ["IRI"])]
    reads: list[int] = []

    def vocabulary() -> Vocabulary:
        reads.append(1)
        return vocabulary_from(names)

    window = QWidget()
    qtbot.addWidget(window)
    other = QLineEdit(window)
    editor = ActorsEditor(vocabulary, window)
    window.show()
    editor.set_actors([IncidentActor(ActorRole.CLAIMANT, "Islamic Resistance in Iraq"),
                       IncidentActor(ActorRole.TARGET, "U.S. forces")])
    assert len(reads) == 1  # once for both rows
    other.setFocus()
    names.append(("Kataib Hezbollah", ["KH"]))
    editor.refresh_vocabulary()  # the log's vocabulary grew (a save)
    assert len(reads) == 1
    second = editor.rows()[1]
    assert "Kataib Hezbollah" not in offered(second.actor)
    second.actor.setFocus()
    qtbot.waitUntil(lambda: second.actor.hasFocus())
    assert len(reads) == 2
    for row in editor.rows():  # every row is up to date from one read
        assert "Kataib Hezbollah" in offered(row.actor)
        assert "KH" in offered(row.attributed_by)
    editor.rows()[0].actor.setFocus()
    assert len(reads) == 2


def test_a_refresh_while_a_name_is_being_typed_completes_at_once(qtbot: Any) -> None:
    names = [("Islamic Resistance in Iraq", ["IRI"])]
    window = QWidget()
    qtbot.addWidget(window)
    editor = ActorsEditor(lambda: vocabulary_from(names), window)
    window.show()
    row = editor.add_row()
    row.actor.setFocus()
    qtbot.waitUntil(lambda: row.actor.hasFocus())
    names.append(("Kataib Hezbollah", []))
    editor.refresh_vocabulary()
    assert "Kataib Hezbollah" in offered(row.actor)
