"""The harm editor of the incident form: killed and injured as low / best / high with
the qualifier, the split the source gives (civilians, military, status unknown) and,
for the injured, how many seriously (docs/harm.md, "Entering").

One ``HarmEdit`` per total. It is a ``CountEdit`` (qualifier and best number) with the
range beside it and the parts on a line below, so the form treats it as it treats any
count: watched whole for edits, named for screen readers, read-only as one. The parts
are short text fields that take what a report says ("5", "at least 5", "about 5"):
keyboard-first, and an empty part is "not reported", never 0.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QBoxLayout, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from incidentlog.domain.enums import CountQualifier
from incidentlog.domain.records import Count, HarmSplit, Incident
from incidentlog.gui.widgets.counts import CountEdit, OptionalIntEdit

__all__ = ["HarmEdit", "InjuredEdit", "KilledEdit", "alias_harm_fields", "harm_of", "load_harm"]

#: Characters wide of a part's field: "at least 1000" fits.
_PART_WIDTH = 9
#: The parts in the order they are shown; "unknown" is the part whose status is unknown.
_PART_LABELS = {"civilians": "Civilians", "military": "Military", "unknown": "Status unknown",
                "seriously": "Seriously"}


class PartEdit(QLineEdit):
    """One part of a total as a report gives it: "5", "at least 5", "about 5"; empty is
    not reported."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("—")
        self.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * _PART_WIDTH + 16)
        self.setMaxLength(30)

    def value(self) -> Count:
        """The part; ``ValueError`` with a sentence when the text is no count."""
        return Count.parse(self.text())

    def set_value(self, count: Count) -> None:
        self.setText(count.display() if count.known else "")


class HarmEdit(CountEdit):
    """A killed or injured total: qualifier, best, from low to high; its parts below."""

    PARTS: tuple[str, ...] = HarmSplit.PARTS
    #: The total's field name: the domain's messages about a part are keyed by it.
    TOTAL = "killed"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low = OptionalIntEdit(self)
        self.high = OptionalIntEdit(self)
        for end, word, tip in (
                (self.low, self.tr("low"), self.tr("low end of the range the source gives")),
                (self.high, self.tr("high"), self.tr("high end of the range the source gives"))):
            end.setPlaceholderText(word)
            end.setToolTip(tip)
            end.setMaximumWidth(end.fontMetrics().horizontalAdvance("0") * 7 + 16)
            end.textChanged.connect(self.changed)
        # The best number needs no more room than the ends: the range keeps its width.
        self.number.setMaximumWidth(self.number.fontMetrics().horizontalAdvance("0") * 8 + 40)
        self.parts: dict[str, PartEdit] = {}
        for name in self.PARTS:
            part = PartEdit(self)
            part.textChanged.connect(self.changed)
            self.parts[name] = part
        self._relayout()
        self._sync()

    def _relayout(self) -> None:
        """The count's row (qualifier, best) gains the range; the parts get a row below."""
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        while layout.count():
            layout.takeAt(0)
        layout.setDirection(QBoxLayout.Direction.TopToBottom)
        layout.setSpacing(2)
        total = QHBoxLayout()
        self.range_dash = QLabel("–", self)
        for widget in (self.qualifier, self.number, self.low, self.range_dash, self.high):
            total.addWidget(widget)
        total.addStretch(1)
        # Two parts a line: four in one would not fit a narrow pane.
        parts = QGridLayout()
        parts.setHorizontalSpacing(6)
        parts.setVerticalSpacing(2)
        self.part_labels: dict[str, QLabel] = {}
        for index, (name, edit) in enumerate(self.parts.items()):
            # No buddy: the field's own name says whose part it is ("Killed: civilians").
            label = QLabel(self.tr(_PART_LABELS[name]), self)
            self.part_labels[name] = label
            row, column = divmod(index, 2)
            parts.addWidget(label, row, column * 2)
            parts.addWidget(edit, row, column * 2 + 1)
        parts.setColumnStretch(4, 1)
        layout.addLayout(total)
        layout.addLayout(parts)

    def setObjectName(self, name: str) -> None:  # Qt name
        super().setObjectName(name)
        self.low.setObjectName(f"{name}_low")
        self.high.setObjectName(f"{name}_high")
        for part, edit in getattr(self, "parts", {}).items():
            edit.setObjectName(f"{name}_{part}")

    def setAccessibleName(self, name: str) -> None:  # Qt name
        super().setAccessibleName(name)
        self.number.setAccessibleName(self.tr("{0}: best estimate").format(name))
        self.low.setAccessibleName(self.tr("{0}: low").format(name))
        self.high.setAccessibleName(self.tr("{0}: high").format(name))
        for part, edit in getattr(self, "parts", {}).items():
            edit.setAccessibleName(f"{name}: {self.tr(_PART_LABELS[part]).lower()}")

    def _sync(self) -> None:
        super()._sync()
        if not hasattr(self, "high"):  # CountEdit.__init__ syncs before the range exists
            return
        qualifier = self.current_qualifier()
        editable = not self._read_only
        # "At least 3" is its own low end; an exact number has no range; an unknown total
        # has no parts (as its number, they are skipped by Tab until it is known).
        self.low.setEnabled(editable and qualifier is CountQualifier.ABOUT)
        self.high.setEnabled(editable and qualifier in (CountQualifier.ABOUT,
                                                        CountQualifier.AT_LEAST))
        for part in self.parts.values():
            part.setEnabled(editable and qualifier is not CountQualifier.UNKNOWN)

    def value(self) -> Count:
        count = super().value()
        if not count.known:
            return count
        low = self.low.value() if count.qualifier is CountQualifier.ABOUT else None
        high = self.high.value() if count.qualifier is not CountQualifier.EXACT else None
        return Count(count.value, count.qualifier, low, high).normalized()

    def set_value(self, count: Count) -> None:
        super().set_value(count)
        self.low.set_value(count.low if count.known else None)
        self.high.set_value(count.high if count.known else None)
        self._sync()

    def part_values(self) -> tuple[dict[str, Count], dict[str, str]]:
        """Each part, and a sentence for each whose text is no count (keyed as the
        domain keys it: ``killed_civilians``). An unknown total has no parts."""
        values: dict[str, Count] = dict.fromkeys(self.parts, Count())
        errors: dict[str, str] = {}
        if self.current_qualifier() is CountQualifier.UNKNOWN:
            return values, errors
        for name, edit in self.parts.items():
            try:
                values[name] = edit.value()
            except ValueError as error:
                values[name] = Count()
                errors[f"{self.TOTAL}_{name}"] = f"{_PART_LABELS[name]}: {error}"
        return values, errors

    def split(self) -> HarmSplit:
        values, _errors = self.part_values()
        return HarmSplit(*(values[name] for name in HarmSplit.PARTS))

    def set_parts(self, split: HarmSplit, seriously: Count | None = None) -> None:
        for name, count in split.parts():
            self.parts[name].set_value(count)
        if seriously is not None and "seriously" in self.parts:
            self.parts["seriously"].set_value(seriously)

    def inputs(self) -> tuple[QWidget, ...]:
        return (self.qualifier, self.number, self.low, self.high, *self.parts.values())

    def raw(self) -> tuple[Any, ...]:
        return (*super().raw(), self.low.text(), self.high.text(),
                *(edit.text() for edit in self.parts.values()))


class KilledEdit(HarmEdit):
    """Killed: civilians, military, status unknown."""


class InjuredEdit(HarmEdit):
    """Injured: the same split, and how many of them seriously."""

    PARTS = (*HarmSplit.PARTS, "seriously")
    TOTAL = "injured"


def alias_harm_fields(form: Any) -> None:
    """Messages about a part (``killed_civilians``) show beside its total."""
    for total in ("killed", "injured"):
        for part in (*HarmSplit.PARTS, *(("seriously",) if total == "injured" else ())):
            form.alias_field(f"{total}_{part}", total)


def load_harm(killed: HarmEdit, injured: HarmEdit, incident: Incident) -> None:
    killed.set_value(incident.killed)
    killed.set_parts(incident.killed_split)
    injured.set_value(incident.injured)
    injured.set_parts(incident.injured_split, incident.injured_seriously)


def harm_of(killed: HarmEdit, injured: HarmEdit) -> tuple[dict[str, Any], dict[str, str]]:
    """The incident's harm fields from the editors, and the parts that could not be read."""
    killed_parts, killed_errors = killed.part_values()
    injured_parts, injured_errors = injured.part_values()
    fields = {
        "killed": killed.value(),
        "injured": injured.value(),
        "killed_split": HarmSplit(*(killed_parts[name] for name in HarmSplit.PARTS)),
        "injured_split": HarmSplit(*(injured_parts[name] for name in HarmSplit.PARTS)),
        "injured_seriously": injured_parts["seriously"],
    }
    return fields, {**killed_errors, **injured_errors}
