"""The incident form's Related tab: add a link by searching, both ends, open, remove, undo."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication

from incidentlog.domain.links import LinkKind
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.forms.incident_form import RELATED_TAB, IncidentForm
from incidentlog.gui.settings import Settings
from incidentlog.services import Services

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

BASE = Incident(title="Ballistic missile and rocket attack on al-Assad Airbase",
                occurred=parse_local("2024-01-20 18:30", "Asia/Baghdad"), country="IQ")


@pytest.fixture
def context(services: Services, tmp_path: Path, qapp: QApplication) -> Iterator[AppContext]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    bus = ChangeBus(services)
    context = AppContext(services, SelectionState(), bus, QUndoStack(), Settings(settings))
    yield context
    bus.detach()


@pytest.fixture
def form(qtbot: Any, context: AppContext) -> IncidentForm:
    widget = IncidentForm(context)
    qtbot.addWidget(widget)
    widget.resize(560, 860)
    widget.show()
    return widget


def two(services: Services) -> tuple[Incident, Incident]:
    assad = services.incidents.create(BASE).record
    strikes = services.incidents.create(replace(
        BASE, title="US retaliatory strikes on Iranian-backed militias",
        occurred=parse_local("2024-02-02", "Asia/Baghdad"))).record
    return assad, strikes


def test_a_link_is_added_by_searching_and_read_from_both_ends(
        qtbot: Any, form: IncidentForm, context: AppContext) -> None:
    assad, strikes = two(context.services)
    form.load(strikes.uid)
    form.tabs.setCurrentIndex(RELATED_TAB)
    tab = form.related_tab
    assert form.tabs.tabText(RELATED_TAB) == "Related"
    tab.kind_combo.setCurrentIndex(tab.kind_combo.findData(LinkKind.RETALIATION_FOR.value))
    tab.picker.setFocus()
    qtbot.keyClicks(tab.picker, assad.ref or "")
    tab.picker.search_now()
    assert tab.picker.completer().model().rowCount() == 1
    qtbot.keyClick(tab.picker, Qt.Key.Key_Return)  # the typed ref resolves; on to the note
    assert tab.picker.uid() == assad.uid
    qtbot.keyClicks(tab.note_edit, "as the seed says")
    qtbot.keyClick(tab.note_edit, Qt.Key.Key_Return)
    assert tab.rows() == [("retaliation for", f"{assad.ref} — {assad.title}",
                           "as the seed says")]
    assert form.tabs.tabText(RELATED_TAB) == "Related (1)"
    assert tab.picker.text() == ""  # ready for the next one
    form.load(assad.uid)
    assert tab.rows() == [("answered by", f"{strikes.ref} — {strikes.title}",
                           "as the seed says")]
    form.load(strikes.uid)  # the link is an entry of the incident that states it
    assert f"Linked: retaliation for {assad.ref} — as the seed says" in " ".join(
        form.history.entries_text())


def test_enter_opens_the_other_incident_delete_removes_and_undo_restores(
        qtbot: Any, form: IncidentForm, context: AppContext) -> None:
    assad, strikes = two(context.services)
    context.services.links.link(strikes.uid or "", assad.uid or "", LinkKind.PART_OF)
    form.load(assad.uid)
    tab = form.related_tab
    form.tabs.setCurrentIndex(RELATED_TAB)
    assert tab.rows() == [("includes", f"{strikes.ref} — {strikes.title}", None)]
    tab.table.setFocus()
    tab.table.selectRow(0)
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    assert context.state.current_incident == strikes.uid
    form.load(assad.uid)
    tab.table.selectRow(0)
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert tab.rows() == []
    assert context.services.links.related(strikes.uid or "") == []
    context.undo_stack.undo()
    assert tab.rows() == [("includes", f"{strikes.ref} — {strikes.title}", None)]


def test_read_only_offers_no_adding_or_removing(
        qtbot: Any, form: IncidentForm, context: AppContext) -> None:
    assad, strikes = two(context.services)
    context.services.links.link(strikes.uid or "", assad.uid or "", LinkKind.SAME_AS)
    form.load(assad.uid)
    form.set_read_only(True)
    tab = form.related_tab
    tab.table.selectRow(0)
    assert not tab.add_button.isEnabled() and not tab.picker.isEnabled()
    assert not tab.remove_button.isEnabled() and tab.open_button.isEnabled()
    assert tab.remove_selected() is False


def test_saving_the_incidents_own_fields_reads_neither_its_links_nor_its_sources_again(
        qtbot: Any, form: IncidentForm, context: AppContext,
        monkeypatch: pytest.MonkeyPatch) -> None:
    services = context.services
    assad, strikes = two(services)
    services.links.link(strikes.uid or "", assad.uid or "", LinkKind.RETALIATION_FOR)
    form.load(strikes.uid)
    reads: list[str] = []
    related, cited = services.links.related, services.incidents.cited
    monkeypatch.setattr(services.links, "related",
                        lambda uid: reads.append("links") or related(uid))
    monkeypatch.setattr(services.incidents, "cited",
                        lambda uid: reads.append("sources") or cited(uid))
    form.title.setText("US strikes on militias in Iraq and Syria")
    assert form.save()
    assert reads == []  # a save of the fields: the list shows the other incidents
    # The other incident's title changing elsewhere is shown, and a new link too.
    services.incidents.update(replace(services.incidents.get(assad.uid or ""),
                                      title="Attack on al-Assad Airbase"))
    assert reads == ["links"]
    assert form.related_tab.rows() == [
        ("retaliation for", f"{assad.ref} — Attack on al-Assad Airbase", None)]
    third = services.incidents.create(replace(BASE, title="Follow-up")).record
    reads.clear()
    services.links.link(third.uid or "", strikes.uid or "", LinkKind.FOLLOW_UP_OF)
    assert reads.count("links") == 1 and len(form.related_tab.rows()) == 2
