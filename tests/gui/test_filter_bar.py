"""The filter bar writes one IncidentFilter into the shared state; the table follows it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QComboBox
from sample_data import Sample, populate

from incidentlog.domain.enums import Status
from incidentlog.domain.query import IncidentFilter
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.filter_bar import FilterBar
from incidentlog.gui.incident_table import IncidentTable
from incidentlog.gui.settings import Settings, open_settings
from incidentlog.gui.workers import ImmediateRunner
from incidentlog.services import Services


@pytest.fixture
def context(services: Services) -> AppContext:
    return AppContext(services, SelectionState(), ChangeBus(services), QUndoStack(),
                      Settings(open_settings()), ImmediateRunner())


@pytest.fixture
def sample(services: Services) -> Sample:
    return populate(services)


@pytest.fixture
def bar(qtbot, context: AppContext, sample: Sample) -> FilterBar:  # type: ignore[no-untyped-def]
    widget = FilterBar(context)
    qtbot.addWidget(widget)
    return widget


def choose(combo: QComboBox, data: object) -> None:
    combo.showPopup()  # the choices are read when the list is opened
    combo.hidePopup()
    index = combo.findData(data)
    assert index > 0, f"{data} not offered"
    combo.setCurrentIndex(index)


def test_names(bar: FilterBar) -> None:
    assert bar.objectName() == "filterBar"
    assert bar.search_box.objectName() == "searchBox"
    for widget in (bar, bar.search_box, bar.since_edit, bar.until_edit, bar.country_combo,
                   bar.event_type_combo, bar.status_combo, bar.tag_combo, bar.clear_button):
        assert widget.accessibleName()


def test_search_is_debounced_then_applied(qtbot, bar: FilterBar, context: AppContext) -> None:  # type: ignore[no-untyped-def]
    applied: list[IncidentFilter] = []
    context.state.filterChanged.connect(applied.append)
    qtbot.keyClicks(bar.search_box, "Tower")
    assert applied == []  # not at every key
    qtbot.waitUntil(lambda: len(applied) == 1, timeout=2000)
    assert applied[0].text == "Tower"


def test_enter_applies_at_once(qtbot, bar: FilterBar, context: AppContext) -> None:  # type: ignore[no-untyped-def]
    bar.search_box.setText("rocket")
    qtbot.keyClick(bar.search_box, Qt.Key.Key_Return)
    assert context.state.filter.text == "rocket"


def test_choices_come_from_the_log_with_country_names(bar: FilterBar) -> None:
    assert bar.country_combo.count() == 1  # nothing read from the log until used
    bar.ensure_choices()
    countries = [bar.country_combo.itemText(i) for i in range(bar.country_combo.count())]
    assert countries == ["All countries", "Iraq (IQ)", "Jordan (JO)", "Syria (SY)"]
    types = [bar.event_type_combo.itemData(i) for i in range(1, bar.event_type_combo.count())]
    assert types[0] == "rocket attack"  # the most used first
    assert "IED" in types  # the vocabulary's, though unused yet
    tags = [bar.tag_combo.itemData(i) for i in range(1, bar.tag_combo.count())]
    assert tags == ["coalition", "escalation", "injuries", "retaliation", "us forces"]


def test_each_choice_filters_the_table(qtbot, bar: FilterBar, context: AppContext) -> None:  # type: ignore[no-untyped-def]
    table = IncidentTable(context)
    qtbot.addWidget(table)
    model = table.incident_model
    choose(bar.country_combo, "IQ")
    assert model.rowCount() == 3
    choose(bar.status_combo, Status.DRAFT.value)
    assert context.state.filter == IncidentFilter(countries=("IQ",), statuses=(Status.DRAFT,))
    assert model.rowCount() == 1
    bar.clear_button.click()
    assert context.state.filter.is_empty
    assert model.rowCount() == 5
    assert bar.country_combo.currentIndex() == 0
    choose(bar.tag_combo, "escalation")
    assert model.rowCount() == 2
    bar.clear()
    choose(bar.event_type_combo, "rocket attack")
    assert model.rowCount() == 2


def test_date_range_is_open_ended_and_inclusive(bar: FilterBar, context: AppContext) -> None:
    assert bar.since_edit.value() is None and bar.until_edit.value() is None
    assert bar.since_edit.text() == "any"
    bar.since_edit.set_value(QDate(2024, 1, 21))
    assert context.state.filter.since == datetime(2024, 1, 21, tzinfo=UTC)
    assert context.state.filter.until is None
    bar.until_edit.set_value(QDate(2024, 1, 28))
    assert context.state.filter.until == datetime(2024, 1, 29, tzinfo=UTC)  # the 28th included
    bar.since_edit.set_value(None)
    assert context.state.filter.since is None


def test_a_filter_set_elsewhere_is_shown(bar: FilterBar, context: AppContext) -> None:
    context.state.set_filter(IncidentFilter(text="drone", countries=("JO",),
                                            until=datetime(2024, 3, 1, tzinfo=UTC)))
    assert bar.search_box.text() == "drone"
    assert bar.country_combo.currentData() == "JO"
    assert bar.until_edit.value() == QDate(2024, 2, 29)
    assert bar.clear_button.isEnabled()


def test_choices_follow_new_data(bar: FilterBar, services: Services) -> None:
    from incidentlog.domain.records import Incident
    from incidentlog.domain.when import Moment

    bar.ensure_choices()
    services.notifier.subscribe(lambda changes: bar._on_changes(changes))
    services.incidents.create(Incident(title="Strike in Lebanon", country="LB",
                                       occurred=Moment(datetime(2024, 3, 1, tzinfo=UTC)),
                                       tags=("border",)))
    assert bar.country_combo.findData("LB") < 0  # not read again at every save…
    bar.ensure_choices()  # …but when the list is next used
    assert bar.country_combo.findData("LB") > 0
    assert bar.tag_combo.findData("border") > 0


def test_a_filter_set_elsewhere_is_shown_without_reading_every_choice(
        bar: FilterBar, context: AppContext, sample: Sample,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    query = context.services.incident_query
    original = query.distinct
    monkeypatch.setattr(query, "distinct", lambda column: reads.append(column) or original(column))
    context.state.set_filter(IncidentFilter(countries=("SY",), event_types=("rocket attack",)))
    assert reads == []  # a GROUP BY over the whole log waits until a list is opened
    assert bar.country_combo.currentData() == "SY"
    assert bar.country_combo.currentText() == "Syria (SY)"
    assert bar.event_type_combo.currentData() == "rocket attack"
    bar.ensure_choices()  # the list opened: every choice, the one shown still chosen
    assert reads and bar.country_combo.currentData() == "SY"
    assert bar.current_filter().countries == ("SY",)


def test_an_actor_is_chosen_in_a_role_and_searched_for_by_an_alias(  # type: ignore[no-untyped-def]
        qtbot, bar: FilterBar, context: AppContext) -> None:
    table = IncidentTable(context)
    qtbot.addWidget(table)
    model = table.incident_model
    choose(bar.actor_combo, "Iranian-backed militants")
    assert context.state.filter == IncidentFilter(actors=("Iranian-backed militants",))
    assert model.rowCount() == 1
    choose(bar.role_combo, "target")
    assert model.rowCount() == 0
    choose(bar.role_combo, "perpetrator")
    assert model.rowCount() == 1
    bar.clear()
    bar.search_box.setText("iran-backed militias")  # an alias the log's vocabulary knows
    qtbot.keyClick(bar.search_box, Qt.Key.Key_Return)
    assert context.state.filter.text == "Iranian-backed militants"
    assert bar.search_box.text() == "iran-backed militias"  # what was typed stays
    assert model.rowCount() == 1
