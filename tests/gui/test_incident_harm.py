"""The harm editor of the incident form: typed with the keyboard, saved, shown in the table."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from incidentlog.domain.columns import INCIDENT_COLUMNS
from incidentlog.domain.records import Count, HarmSplit
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.incident_form import IncidentForm
from incidentlog.gui.incident_cells import incident_cell
from tests.gui.test_incident_form import (  # the form's fixtures and keyboard helpers
    context,
    focused,
    form,
    press,
    store_incident,
    tab,
    type_text,
)

__all__ = ["context", "form"]  # fixtures, imported for pytest

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")


def choose(qtbot: Any, label: str) -> None:
    """Pick a qualifier with the arrow keys (unknown, exactly, at least, about)."""
    combo = focused()
    for _ in range(("unknown", "exactly", "at least", "about").index(label)):
        press(qtbot, Qt.Key.Key_Down)
    assert combo.currentText() == label  # type: ignore[attr-defined]


def test_the_seeds_harm_is_typed_with_the_keyboard_and_saved(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    incident = store_incident(context.services)
    form.load(incident.uid)
    form.killed.qualifier.setFocus()
    choose(qtbot, "about")
    tab(qtbot)
    assert focused() is form.killed.number
    form.killed.number.selectAll()
    type_text(qtbot, "4")
    tab(qtbot)
    assert focused() is form.killed.low
    type_text(qtbot, "3")
    tab(qtbot)
    assert focused() is form.killed.high
    type_text(qtbot, "5")
    tab(qtbot)
    assert focused() is form.killed.parts["civilians"]
    type_text(qtbot, "1")
    tab(qtbot)
    type_text(qtbot, "at least 2")
    tab(qtbot, 2)  # status unknown: not reported
    assert focused() is form.injured.qualifier
    choose(qtbot, "at least")
    tab(qtbot)
    form.injured.number.selectAll()
    type_text(qtbot, "5")
    tab(qtbot)  # the low end: "at least 5" is its own
    assert focused() is form.injured.high
    tab(qtbot, 4)  # no high end, no split
    assert focused() is form.injured.parts["seriously"]
    type_text(qtbot, "1")
    assert form.save()
    stored = context.services.incidents.get(incident.uid or "")
    assert stored.killed == Count.between(3, 5, best=4)
    assert stored.killed_split == HarmSplit(civilians=Count.exact(1),
                                            military=Count.at_least(2))
    assert (stored.injured, stored.injured_seriously) == (Count.at_least(5), Count.exact(1))
    cells = {column.key: incident_cell(column, stored, Qt.ItemDataRole.DisplayRole)
             for column in INCIDENT_COLUMNS if column.key in ("killed", "injured")}
    assert cells == {"killed": "3–5 (best 4)", "injured": "≥ 5 (1 seriously)"}
    tooltip = incident_cell(INCIDENT_COLUMNS[[c.key for c in INCIDENT_COLUMNS].index("killed")],
                            stored, Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "3–5 (best 4) (1 civilians, at least 2 military)"


def test_the_editor_shows_a_stored_incident_and_reports_bad_parts_beside_the_total(
    qtbot: Any, form: IncidentForm, context: AppContext
) -> None:
    incident = store_incident(context.services, injured=Count.at_least(5),
                              injured_seriously=Count.exact(1))
    form.load(incident.uid)
    assert form.injured.parts["seriously"].text() == "1"
    assert form.injured.high.isEnabled() and not form.injured.low.isEnabled()
    assert not form.killed.parts["civilians"].isEnabled()  # unknown total: no parts
    form.injured.parts["civilians"].setText("lots")
    assert not form.save()
    assert "Civilians: 'lots' is not a count" in (form.error_text("injured") or "")
    form.injured.parts["civilians"].setText("")
    form.injured.qualifier.setCurrentIndex(1)  # exactly
    form.injured.number.setValue(3)
    form.injured.parts["seriously"].setText("4")
    assert not form.save()
    assert "more than the injured total's high end of 3" in (form.error_text("injured") or "")
    form.injured.parts["seriously"].setText("1")
    assert form.save()
    stored = context.services.incidents.get(incident.uid or "")
    assert (stored.injured, stored.injured_seriously) == (Count.exact(3), Count.exact(1))


def test_a_timeline_mark_tells_the_range_and_the_seriously_injured(
    context: AppContext,
) -> None:
    from sqlalchemy import select

    from incidentlog.gui.timeline.tooltips import incident_tooltip
    from incidentlog.services.timeline_values import item_of_row
    from incidentlog.store.schema import incident_table
    from incidentlog.store.timeline import ITEM_COLUMNS

    store_incident(context.services, killed=Count.parse("3-5"), injured=Count.at_least(5),
                   injured_seriously=Count.exact(1))
    with context.services.database.read() as connection:
        row = connection.execute(select(*(incident_table.c[c] for c in ITEM_COLUMNS))).one()
    tooltip = incident_tooltip(item_of_row(tuple(row)))
    assert "killed: 3–5 · injured: at least 5 (1 seriously)" in tooltip
