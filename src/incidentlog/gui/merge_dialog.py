"""Merge two incidents: the differing facts side by side, a choice per field.

Only the fields whose values differ get a choice; each defaults to the survivor's
value. Accepting runs ``MergeCommand`` (undoable, gui/undo.py) through the
window's undo stack: citations, quotes, comments, verdicts, attachments and
tags of the other incident move to the survivor (services/merge.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.actors import IncidentActor
from incidentlog.domain.harm import parts_text
from incidentlog.domain.records import Count, HarmSplit, Incident
from incidentlog.domain.when import Moment
from incidentlog.gui.context import AppContext
from incidentlog.gui.plain_text import plain_label, tooltip_html
from incidentlog.gui.undo import MergeCommand, push_command
from incidentlog.gui.widgets.notices import report_error
from incidentlog.services.merge import MERGE_FIELDS, combined

#: How each field is named in the dialog (the form's words).
FIELD_LABELS = {
    "title": "Title", "occurred": "Occurred", "summary": "Summary", "place": "Place",
    "admin1": "Region", "country": "Country", "latitude": "Latitude",
    "longitude": "Longitude", "geo_precision": "Location precision",
    "event_type": "Event type", "weapons": "Weapons", "launched": "Launched",
    "intercepted": "Intercepted", "actors": "Actors", "target": "Target",
    "killed": "Killed", "killed_split": "Killed: split", "injured": "Injured",
    "injured_split": "Injured: split", "injured_seriously": "Seriously injured",
    "status": "Status", "confidence": "Confidence",
}

#: Longer values are cut in the dialog (a radio button's text does not wrap; the whole
#: text is in its tooltip), so that both columns fit side by side.
SHOWN_CHARACTERS = 46


def shown(value: Any) -> str:
    """A field's value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Moment):
        return value.display()
    if isinstance(value, Count):
        return value.display() if value.known else "—"
    if isinstance(value, HarmSplit):
        return parts_text(value) or "—"
    if isinstance(value, tuple):  # actors
        return "; ".join(item.display() if isinstance(item, IncidentActor) else str(item)
                         for item in value) or "—"
    label = getattr(value, "label", None)
    return str(label) if isinstance(label, str) else str(value)


def differing(survivor: Incident, other: Incident) -> list[str]:
    """The fields a person must choose between, in the form's order."""
    return [name for name in MERGE_FIELDS if getattr(survivor, name) != getattr(other, name)]


class MergeDialog(QDialog):
    """``survivor`` keeps its ref and uid; ``other`` becomes a tombstone pointing to it."""

    def __init__(self, survivor: Incident, other: Incident,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mergeDialog")
        self.setWindowTitle(self.tr("Merge incidents"))
        self._survivor, self._other = survivor, other
        self._groups: dict[str, QButtonGroup] = {}
        root = QVBoxLayout(self)
        intro = plain_label(self.tr(
            "{0} stays; {1} is merged into it and keeps only a pointer to it. Its sources, "
            "quotes, comments, attachments, tags and related incidents move to {0}, and "
            "its actors join those of {0}. Choose the value to keep where the two differ."
        ).format(survivor.label, other.label), self)
        intro.setWordWrap(True)
        root.addWidget(intro)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content = QWidget(scroll)
        grid = QGridLayout(content)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        for column, record in ((1, survivor), (2, other)):
            head = plain_label(f"{record.label} — {record.title or ''}", content)
            head.setWordWrap(True)
            font = head.font()
            font.setBold(True)
            head.setFont(font)
            grid.addWidget(head, 0, column)
        fields = differing(survivor, other)
        for row, name in enumerate(fields, start=1):
            grid.addWidget(plain_label(self.tr(FIELD_LABELS.get(name, name)), content), row, 0,
                           Qt.AlignmentFlag.AlignTop)
            group = QButtonGroup(self)
            for column, record in ((1, survivor), (2, other)):
                text = shown(getattr(record, name))
                button = QRadioButton(_cut(text), content)
                button.setObjectName(f"merge_{name}_{'survivor' if column == 1 else 'other'}")
                button.setToolTip(tooltip_html(text) if len(text) > SHOWN_CHARACTERS else "")
                group.addButton(button, column)
                grid.addWidget(button, row, column, Qt.AlignmentFlag.AlignTop)
            group.button(1).setChecked(True)
            self._groups[name] = group
        if not fields:
            grid.addWidget(QLabel(self.tr("The two agree on every fact."), content),
                           1, 0, 1, 3)
        grid.setRowStretch(len(fields) + 1, 1)
        scroll.setWidget(content)
        root.addWidget(scroll, 1)
        buttons = QDialogButtonBox(self)
        self.merge_button = buttons.addButton(self.tr("Merge"),
                                              QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.setObjectName("mergeButton")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        root.addWidget(buttons)
        self.resize(760, min(640, 160 + 34 * max(len(fields), 3)))

    def taken_from_other(self) -> set[str]:
        return {name for name, group in self._groups.items() if group.checkedId() == 2}

    def choose_other(self, name: str) -> None:
        """Take ``name`` from the other incident (as a click on its radio does)."""
        self._groups[name].button(2).setChecked(True)

    def facts(self) -> Incident:
        """The survivor's facts as chosen."""
        return combined(self._survivor, self._other, self.taken_from_other())


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SHOWN_CHARACTERS else flat[:SHOWN_CHARACTERS - 1] + "…"


def merge_into(context: AppContext, parent: QWidget, survivor_uid: str, other_uid: str,
               dialog_shown: Callable[[MergeDialog], None] | None = None) -> bool:
    """Ask the facts field by field, then merge ``other_uid`` into ``survivor_uid`` (undoable).

    ``dialog_shown`` gets the dialog before it runs (the screenshots and tests drive it).
    """
    services = context.services
    survivor, other = services.incidents.get(survivor_uid), services.incidents.get(other_uid)
    dialog = MergeDialog(survivor, other, parent)
    if dialog_shown is not None:
        dialog_shown(dialog)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    command = MergeCommand(
        services, survivor_uid, other_uid, dialog.facts(),
        (survivor.meta.version, other.meta.version),
        parent.tr("Merge {0} into {1}").format(other.label, survivor.label))
    error = push_command(context.undo_stack, command)
    if error is not None:
        report_error(parent, error, parent.tr("Could not merge the incidents"))
        return False
    return True
