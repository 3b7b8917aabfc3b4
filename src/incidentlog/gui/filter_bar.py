"""The filter shared by every incident view and by export.

What the user sets here becomes one ``IncidentFilter`` in the shared
``SelectionState``; the table (and the timeline, and "export the current
filter") follow it. Typing in the search box filters as you type, after a
short pause so that a million-row log is not searched at every key.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.actors import ActorRole
from incidentlog.domain.countries import country_name
from incidentlog.domain.enums import Status
from incidentlog.domain.query import IncidentFilter
from incidentlog.gui.context import AppContext
from incidentlog.gui.flow_layout import FlowLayout
from incidentlog.gui.plain_text import plain_label
from incidentlog.services import Changes

SEARCH_DELAY_MS = 250
NO_DATE = QDate(1900, 1, 1)


def default_vocabulary(kind: str) -> list[str]:
    """The shipped word list of ``kind`` (event types, tags…), offered before any is used."""
    try:
        data = resources.files("incidentlog.resources").joinpath("vocabularies.json").read_text(
            encoding="utf-8")
        values = json.loads(data).get(kind, [])
    except (OSError, ValueError):
        return []
    return [str(value) for value in values]


class OptionalDateEdit(QDateEdit):
    """A date that may be left empty ("any"): the minimum date stands for "no date"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("d MMM yyyy")
        self.setMinimumDate(NO_DATE)
        self.setSpecialValueText(self.tr("any"))
        self.setDate(NO_DATE)
        self.calendarWidget().installEventFilter(self)

    def value(self) -> QDate | None:
        date = self.date()
        return None if date == NO_DATE else date

    def set_value(self, date: QDate | None) -> None:
        self.setDate(date if date is not None and date.isValid() else NO_DATE)

    def focusNextPrevChild(self, next: bool) -> bool:  # Qt override
        # While it shows "any" there are no day, month and year to step through, and
        # QDateEdit would keep Tab; leave for the next field instead.
        if self.value() is None:
            return QWidget.focusNextPrevChild(self, next)
        return super().focusNextPrevChild(next)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # An empty date would open the calendar in January 1900: show this month.
        if watched is self.calendarWidget() and event.type() == QEvent.Type.Show \
                and self.value() is None:
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())
        return super().eventFilter(watched, event)


class ChoiceCombo(QComboBox):
    """A combo whose choices are read from the log only when someone looks at them.

    Reading the countries, event types and tags in use is a GROUP BY over the
    whole log: on a large one that is worth doing when the list is opened or
    focused, not at start-up nor after every save.
    """

    def __init__(self, before_use: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._before_use = before_use

    def showPopup(self) -> None:
        self._before_use()
        super().showPopup()

    def focusInEvent(self, event: QFocusEvent) -> None:
        self._before_use()  # the arrow keys choose without opening the list
        super().focusInEvent(event)


def _combo(parent: QWidget, name: str, accessible: str,
           before_use: Callable[[], None] | None = None) -> QComboBox:
    combo = ChoiceCombo(before_use, parent) if before_use is not None else QComboBox(parent)
    combo.setObjectName(name)
    combo.setAccessibleName(accessible)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    return combo


class FilterBar(QWidget):
    """Search box, date range, country, event type, status and tag; one click clears."""

    filterApplied = Signal(object)  # IncidentFilter, after it reached the shared state

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._updating = False
        self.setObjectName("filterBar")
        self.setAccessibleName(self.tr("Filter"))
        self._choices_stale = True
        self._build_fields()
        self._build_layout()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._connect()
        self._fill(self.status_combo, self.tr("All statuses"),
                   [(status.label, status.value) for status in Status])
        self._fill(self.role_combo, self.tr("in any role"),
                   [(self.tr("as {0}").format(role.label), role.value) for role in ActorRole])
        for combo, everything in ((self.country_combo, self.tr("All countries")),
                                  (self.event_type_combo, self.tr("All event types")),
                                  (self.tag_combo, self.tr("All tags")),
                                  (self.actor_combo, self.tr("All actors"))):
            self._fill(combo, everything, [])  # the rest when first used
        self.show_filter(context.state.filter)
        context.state.filterChanged.connect(self.show_filter)
        context.bus.changed.connect(self._on_changes)

    def _build_fields(self) -> None:
        self.search_box = QLineEdit(self)
        self.search_box.setObjectName("searchBox")
        self.search_box.setAccessibleName(self.tr("Search incidents"))
        self.search_box.setPlaceholderText(
            self.tr("Search title, summary, place, actor or alias…  (Ctrl+F)"))
        self.search_box.setClearButtonEnabled(True)

        self.since_edit = OptionalDateEdit(self)
        self.since_edit.setObjectName("filterSince")
        self.since_edit.setAccessibleName(self.tr("From date"))
        self.until_edit = OptionalDateEdit(self)
        self.until_edit.setObjectName("filterUntil")
        self.until_edit.setAccessibleName(self.tr("To date"))
        self.country_combo = _combo(self, "filterCountry", self.tr("Country"),
                                    self.ensure_choices)
        self.event_type_combo = _combo(self, "filterEventType", self.tr("Event type"),
                                       self.ensure_choices)
        self.status_combo = _combo(self, "filterStatus", self.tr("Status"))
        self.tag_combo = _combo(self, "filterTag", self.tr("Tag"), self.ensure_choices)
        self.actor_combo = _combo(self, "filterActor", self.tr("Actor"), self.ensure_choices)
        self.role_combo = _combo(self, "filterActorRole", self.tr("Actor's role"))
        self.clear_button = QPushButton(self.tr("Clear"), self)
        self.clear_button.setObjectName("filterClear")
        self.clear_button.setAccessibleName(self.tr("Clear the filter"))
        self.clear_button.setToolTip(self.tr("Show every incident again"))

        self.summary_label = plain_label("", self)  # quotes the words searched for
        self.summary_label.setObjectName("filterSummary")
        self.summary_label.setAccessibleName(self.tr("Filter summary"))

    def _build_layout(self) -> None:
        """The search box and Clear above, the dates and the choices below.

        The dates and the choices wrap onto more rows when the bar is narrow (a
        1024-pixel screen, 150 % scaling) rather than forcing the window wider.
        """
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search_box, 1)
        top.addWidget(self.clear_button)
        dates = QWidget(self)
        dates.setObjectName("filterDates")
        dates_layout = QHBoxLayout(dates)
        dates_layout.setContentsMargins(0, 0, 8, 0)
        dates_layout.setSpacing(6)
        for text, widget in ((self.tr("&From"), self.since_edit),
                             (self.tr("&to"), self.until_edit)):
            label = QLabel(text, dates)
            label.setBuddy(widget)
            dates_layout.addWidget(label)
            dates_layout.addWidget(widget)
        dates.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        bottom = FlowLayout(spacing=6)
        bottom.addWidget(dates)
        for combo in (self.country_combo, self.event_type_combo, self.status_combo,
                      self.tag_combo, self.actor_combo, self.role_combo):
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            bottom.addWidget(combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(bottom)
        # As they are seen: the top row, then the dates and the choices.
        for first, second in itertools.pairwise((
                self.search_box, self.clear_button, self.since_edit, self.until_edit,
                self.country_combo, self.event_type_combo, self.status_combo, self.tag_combo,
                self.actor_combo, self.role_combo)):
            self.setTabOrder(first, second)

    def _connect(self) -> None:
        """Typing applies after a pause (or Enter), every other field at once."""
        self._search_timer.timeout.connect(self.apply)
        self.search_box.textChanged.connect(self._search_timer.start)
        self.search_box.returnPressed.connect(self.apply)
        for edit in (self.since_edit, self.until_edit):
            edit.dateChanged.connect(self.apply)
        for combo in (self.country_combo, self.event_type_combo, self.status_combo,
                      self.tag_combo, self.actor_combo, self.role_combo):
            combo.currentIndexChanged.connect(self.apply)
        self.clear_button.clicked.connect(self.clear)

    # --- choices ----------------------------------------------------------------
    def ensure_choices(self) -> None:
        """Read the choices if the log changed since they were last read."""
        if self._choices_stale:
            self.reload_choices()

    def reload_choices(self) -> None:
        """Fill the lists from what the log uses (most frequent first) and the vocabularies."""
        self._choices_stale = False
        services = self._context.services
        query = services.incident_query
        countries = query.distinct("country")
        self._fill(self.country_combo, self.tr("All countries"),
                   sorted(((f"{country_name(code)} ({code})", code) for code in countries),
                          key=lambda item: item[0].casefold()))
        used_types = query.distinct("event_type")
        types = used_types + [t for t in default_vocabulary("event_type") if t not in used_types]
        self._fill(self.event_type_combo, self.tr("All event types"),
                   [(value, value) for value in types])
        tags = services.incidents.tags_in_use()
        self._fill(self.tag_combo, self.tr("All tags"), [(tag, tag) for tag in tags])
        self._fill(self.actor_combo, self.tr("All actors"),
                   [(name, name) for name in services.vocabulary.actors_in_use()])

    def _fill(self, combo: QComboBox, everything: str, items: list[tuple[str, Any]]) -> None:
        current = combo.currentData()
        self._updating = True
        try:
            combo.clear()
            combo.addItem(everything, None)
            for text, value in items:
                combo.addItem(text, value)
            found = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(found, 0))
        finally:
            self._updating = False

    def _on_changes(self, changes: Changes) -> None:
        if changes.rows_changed or changes.vocabulary or changes.incidents:
            self._choices_stale = True  # read again when next used

    # --- filter <-> widgets -----------------------------------------------------
    def current_filter(self) -> IncidentFilter:
        def chosen(combo: QComboBox) -> tuple[Any, ...]:
            value = combo.currentData()
            return () if value is None else (value,)

        text = self._context.services.vocabulary.search_text(
            self.search_box.text().strip() or None)
        role = self.role_combo.currentData()
        since = self.since_edit.value()
        until = self.until_edit.value()
        return IncidentFilter(
            text=text,
            since=_start_of(since) if since else None,
            until=_start_of(until.addDays(1)) if until else None,  # "to" is inclusive
            countries=chosen(self.country_combo),
            event_types=chosen(self.event_type_combo),
            statuses=tuple(Status(v) for v in chosen(self.status_combo)),
            tags=chosen(self.tag_combo),
            perpetrators=self._context.state.filter.perpetrators,
            actors=chosen(self.actor_combo),
            actor_role=ActorRole(role) if role else None,
            uids=self._context.state.filter.uids,
            deleted=self._context.state.filter.deleted,
        )

    def apply(self) -> None:
        """Write the widgets' filter into the shared state (the views follow it)."""
        if self._updating:
            return
        self._search_timer.stop()
        flt = self.current_filter()
        self._context.state.set_filter(flt)
        self.clear_button.setEnabled(not flt.is_empty)
        self.filterApplied.emit(flt)

    def clear(self) -> None:
        self._context.state.set_filter(IncidentFilter(deleted=self._context.state.filter.deleted))
        self.search_box.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_filter(self, flt: IncidentFilter) -> None:
        """Show a filter set elsewhere (cleared, restored) without re-applying it.

        A value not among the choices read so far gets its own item: reading
        every choice takes a second on a million incidents, and is left to the
        moment a list is opened.
        """
        self._updating = True
        try:
            typed = self.search_box.text().strip() or None
            if typed != flt.text and self._context.services.vocabulary.search_text(
                    typed) != flt.text:  # "IRI" typed is searched as the actor's name
                self.search_box.setText(flt.text or "")
            self._search_timer.stop()
            self.since_edit.set_value(_date_of(flt.since))
            self.until_edit.set_value(
                _date_of(flt.until - timedelta(days=1)) if flt.until else None)
            for combo, values in ((self.country_combo, flt.countries),
                                  (self.event_type_combo, flt.event_types),
                                  (self.status_combo, tuple(s.value for s in flt.statuses)),
                                  (self.tag_combo, flt.tags),
                                  (self.actor_combo, flt.actors),
                                  (self.role_combo, (flt.actor_role.value,)
                                   if flt.actor_role else ())):
                found = combo.findData(values[0]) if values else 0
                if found < 0:
                    label = f"{country_name(values[0])} ({values[0]})" \
                        if combo is self.country_combo else str(values[0])
                    combo.addItem(label, values[0])
                    found = combo.count() - 1
                combo.setCurrentIndex(found)
        finally:
            self._updating = False
        self.clear_button.setEnabled(not flt.is_empty)

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()


def _start_of(date: QDate) -> datetime:
    """Midnight UTC at the start of ``date``: the date filter works in UTC days."""
    return datetime(date.year(), date.month(), date.day(), tzinfo=UTC)


def _date_of(moment: datetime | None) -> QDate | None:
    if moment is None:
        return None
    return QDate(moment.year, moment.month, moment.day)
