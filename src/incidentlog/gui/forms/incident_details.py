"""The Details tab of the incident form: its inputs declared as data, completions, the UTC
hint, and the incident's values put into the inputs and read back out of them.

``IncidentForm`` adds loading, saving, following the shared incident and the
review actions; this class is what the tab holds and how it helps typing.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.enums import (
    CONFIDENCE_MEANING,
    STATUS_TRANSITIONS,
    Attribution,
    GeoPrecision,
    Status,
    TimePrecision,
)
from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.records import Incident
from incidentlog.domain.validation import clean_incident, incident_errors
from incidentlog.domain.when import zone_label
from incidentlog.gui.forms.base import Field, FormBase, Section
from incidentlog.gui.forms.incident_actors import ActorsEditor, cited_sources, vocabulary_from
from incidentlog.gui.forms.incident_harm import (
    InjuredEdit,
    KilledEdit,
    alias_harm_fields,
    harm_of,
    load_harm,
)
from incidentlog.gui.settings import LAST_TIME_ZONE
from incidentlog.gui.widgets.completers import set_completions, split_list
from incidentlog.gui.widgets.counts import OptionalFloatEdit, OptionalIntEdit
from incidentlog.gui.widgets.moments import MomentEdit
from incidentlog.gui.widgets.places import CountryCombo, TimeZoneCombo
from incidentlog.gui.widgets.text import hint_label, plain_text_edit
from incidentlog.services import Services
from incidentlog.services.vocabulary import VocabularyQuery

#: Badge colours of the statuses: readable at a glance, and never the only cue (the text is).
_STATUS_COLOURS = {
    Status.DRAFT: ("#5f6368", "#eceff1"),
    Status.IN_REVIEW: ("#0b57d0", "#e8f0fe"),
    Status.VERIFIED: ("#137333", "#e6f4ea"),
    Status.DISPUTED: ("#b3261e", "#fce8e6"),
    Status.ARCHIVED: ("#3c4043", "#dadce0"),
}



class IncidentDetails(FormBase):
    """The inputs of an incident; ``IncidentForm`` is the form around them."""

    # The inputs, made by ``build_fields`` from ``_declarations()``.
    title: QLineEdit
    ref: QLineEdit
    occurred: MomentEdit
    tz: TimeZoneCombo
    approximate: QCheckBox
    place: QLineEdit
    admin1: QLineEdit
    country: CountryCombo
    latitude: OptionalFloatEdit
    longitude: OptionalFloatEdit
    geo_precision: QComboBox
    event_type: QLineEdit
    weapons: QLineEdit
    launched: OptionalIntEdit
    intercepted: OptionalIntEdit
    summary: QPlainTextEdit
    actors: ActorsEditor
    target: QLineEdit
    killed: KilledEdit
    injured: InjuredEdit
    confidence: QComboBox
    tags: QLineEdit
    status: QLabel
    utc_hint: QLabel
    _services: Services
    _incident: Incident | None  # as last loaded or saved; None while a new one is typed
    _vocabulary: VocabularyQuery
    _stale_completions: set[QLineEdit]

    def _declarations(self) -> tuple[Field | Section, ...]:
        """The Details tab, top to bottom."""
        tr = self.tr
        return (
            Field("title", tr("Tit&le"), QLineEdit, tr("What happened, where — in one line")),
            Field("ref", tr("Reference"), self._ref_edit,
                  tr("given when saved, e.g. IQ-2024-0007"), width=26),
            Section(tr("When")),
            Field("occurred_at", tr("&Occurred"), MomentEdit, attr="occurred",
                  precision="time_precision", hint="utcHint"),
            Field("tz", tr("Time &zone"), TimeZoneCombo),
            Field("approximate", "", self._approximate_box),
            Section(tr("Where")),
            Field("place", tr("&Place"), QLineEdit, tr("e.g. al-Assad Airbase")),
            Field("admin1", tr("Provi&nce"), QLineEdit,
                  tr("province or state, e.g. Al Anbar")),
            Field("country", tr("&Country"), CountryCombo),
            Field("latitude", tr("Latitude"), OptionalFloatEdit, tr("e.g. 33.7856 (WGS84)"),
                  width=22),
            Field("longitude", tr("Longitude"), OptionalFloatEdit,
                  tr("e.g. 42.4412 (WGS84)"), width=22),
            Field("geo_precision", tr("Location precision"), self._geo_precision_combo),
            Section(tr("What")),
            Field("event_type", tr("Event t&ype"), QLineEdit,
                  tr("e.g. ballistic missile attack")),
            Field("weapons", tr("&Weapons"), QLineEdit,
                  tr("comma-separated, e.g. ballistic missiles, rockets")),
            Field("launched", tr("La&unched"), OptionalIntEdit, width=14),
            Field("intercepted", tr("Intercepted"), OptionalIntEdit, width=14),
            Field("summary", tr("Su&mmary"), partial(plain_text_edit, lines=5),
                  tr("What the sources report, in your words"), label_on_top=True),
            Section(tr("Who")),
            Field("actors", tr("Acto&rs"), self._actors_editor, label_on_top=True),
            Field("target", tr("Target"), QLineEdit, tr("e.g. U.S. and coalition forces")),
            Section(tr("Harm")),
            Field("killed", tr("&Killed"), KilledEdit),
            Field("injured", tr("In&jured"), InjuredEdit),
            Section(tr("Review")),
            Field("confidence", tr("Confidence"), self._confidence_combo),
            Field("tags", tr("Ta&gs"), QLineEdit,
                  tr("comma-separated, e.g. escalation, injuries")),
            Field("status", tr("Status"), self._status_cell, attr=None, label_on_top=True,
                  tracked=False),
        )

    def _build_fields(self, form: QFormLayout, content: QWidget) -> None:
        self.build_fields(form, self._declarations())
        self.utc_hint = self.hint("occurred_at")
        self.alias_field("time_precision", "occurred_at")
        alias_harm_fields(self)
        self.meta = hint_label("", content)
        self.meta.setObjectName("recordInfo")
        form.addRow(self.meta)

    def _ref_edit(self, parent: QWidget) -> QLineEdit:
        edit = QLineEdit(parent)
        edit.setMaxLength(40)
        return edit

    def _approximate_box(self, parent: QWidget) -> QCheckBox:
        return QCheckBox(self.tr("&Approximate — the report said “about”"), parent)

    def _geo_precision_combo(self, parent: QWidget) -> QComboBox:
        combo = QComboBox(parent)
        combo.addItem(self.tr("— not given —"), None)
        labels = {
            GeoPrecision.SITE: self.tr("site — the exact place"),
            GeoPrecision.NEAR: self.tr("near — close to the place"),
            GeoPrecision.REGION: self.tr("region — somewhere in the province"),
            GeoPrecision.COUNTRY: self.tr("country — only the country is known"),
        }
        for precision in GeoPrecision:
            combo.addItem(labels[precision], precision.value)
        return combo

    def _actors_editor(self, parent: QWidget) -> ActorsEditor:
        return ActorsEditor(lambda: vocabulary_from(self._vocabulary.actors()), parent)

    def _confidence_combo(self, parent: QWidget) -> QComboBox:
        combo = QComboBox(parent)
        combo.addItem(self.tr("— not assessed —"), None)
        for level, meaning in CONFIDENCE_MEANING.items():
            combo.addItem(f"{level} – {self.tr(meaning)}", level)
        return combo

    def _status_cell(self, parent: QWidget) -> QWidget:
        """The status badge over the review buttons; the badge is the row's input."""
        cell = QWidget(parent)
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel(cell)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        box.addWidget(self.status)
        self._review_grid = QGridLayout()
        self._review_grid.setContentsMargins(0, 0, 0, 0)
        self._review_buttons: dict[Status, QPushButton] = {}
        for status, caption, name in (
            (Status.IN_REVIEW, self.tr("Submit for review"), "submitForReviewButton"),
            (Status.VERIFIED, self.tr("Verify"), "verifyButton"),
            (Status.DISPUTED, self.tr("Dispute"), "disputeButton"),
            (Status.ARCHIVED, self.tr("Archive"), "archiveButton"),
            (Status.DRAFT, self.tr("Re-open"), "reopenButton"),
        ):
            button = QPushButton(caption, cell)
            button.setObjectName(name)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, s=status: self.set_status(s))
            self._review_buttons[status] = button
        self._review_grid.setColumnStretch(3, 1)
        box.addLayout(self._review_grid)
        cell.setFocusProxy(self.status)
        return cell


    def _completion_values(self, edit: QLineEdit) -> list[str]:
        """The vocabulary of a field plus the values the log already uses in it."""
        vocabulary = self._vocabulary.vocabulary
        in_use = self._services.incident_query.distinct
        if edit is self.event_type:
            return [*vocabulary("event_type"), *in_use("event_type")]
        if edit is self.weapons:
            return vocabulary("weapon")
        if edit is self.tags:
            return sorted({t.lower() for t in vocabulary("tag")}
                          | set(self._services.incidents.tags_in_use()))
        return in_use(edit.objectName())  # place, admin1, target

    def _completing_edits(self) -> tuple[QLineEdit, ...]:
        return (self.event_type, self.weapons, self.target, self.place,
                self.admin1, self.tags)

    def _refresh_completions(self) -> None:
        """Mark the completion lists stale; each is read when its field is next entered.

        Reading them all up front would cost a grouping query per field over the
        whole log each time the form is built — seconds on a million incidents.
        """
        self._stale_completions = set(self._completing_edits())
        self.actors.refresh_vocabulary()
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit) and focus in self._stale_completions:
            self._load_completions(focus)

    def _load_completions(self, edit: QLineEdit) -> None:
        self._stale_completions.discard(edit)
        try:
            values = self._completion_values(edit)
        except IncidentLogError:  # completion is a help; a busy file must not stop the form
            return
        set_completions(edit, values, multiple=edit in (self.weapons, self.tags))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if (event.type() == QEvent.Type.FocusIn and isinstance(watched, QLineEdit)
                and watched in self._stale_completions):
            self._load_completions(watched)
        return super().eventFilter(watched, event)

    def _update_hint(self) -> None:
        """The UTC instant the local time stands for, so a wrong zone shows at once."""
        tz = self.tz.zone_name()
        try:
            moment = self.occurred.moment(tz, self.approximate.isChecked()) if (
                self.tz.is_valid()) else None
        except ValueError:
            moment = None
        if moment is None:
            self.utc_hint.setText(self.tr("Local time of the report, in the time zone below."))
            return
        start, end = moment.interval()
        utc = start.strftime("%Y-%m-%d %H:%M UTC")
        if moment.precision in (TimePrecision.MINUTE, TimePrecision.HOUR):
            self.utc_hint.setText(self.tr("= {0} · {1}").format(utc, moment.display()))
        else:
            self.utc_hint.setText(self.tr("= {0} to {1} · {2} {3}").format(
                utc, end.strftime("%Y-%m-%d %H:%M UTC"), moment.display(), zone_label(tz)))


    # --- values in and out ------------------------------------------------------------

    def _last_zone(self) -> str:
        return self._context.settings.get(LAST_TIME_ZONE)

    def _fill_fields(self, record: Incident,
                     sources: list[tuple[str, str]] | None = None) -> None:
        """Put ``record``'s values into the inputs (a new incident: the last zone used);
        ``sources``: the sources it cites when known already (else they are read)."""
        self.title.setText(record.title or "")
        self.ref.setText(record.ref or "")
        if record.occurred is not None:
            self.occurred.set_moment(record.occurred)
            self.tz.set_zone(record.occurred.tz)
            self.approximate.setChecked(record.occurred.approximate)
        else:
            self.occurred.set_wall(None, TimePrecision.MINUTE)
            self.tz.set_zone(self._last_zone())
            self.approximate.setChecked(False)
        self.place.setText(record.place or "")
        self.admin1.setText(record.admin1 or "")
        self.country.set_code(record.country)
        self.latitude.set_value(record.latitude)
        self.longitude.set_value(record.longitude)
        self.geo_precision.setCurrentIndex(max(self.geo_precision.findData(
            record.geo_precision.value), 0) if record.geo_precision else 0)
        self.event_type.setText(record.event_type or "")
        self.weapons.setText(record.weapons or "")
        self.launched.set_value(record.launched)
        self.intercepted.set_value(record.intercepted)
        self.summary.setPlainText(record.summary or "")
        self.actors.set_actors(record.actors, sources if sources is not None
                              else cited_sources(self._services, record.uid))
        self.target.setText(record.target or "")
        load_harm(self.killed, self.injured, record)
        self.confidence.setCurrentIndex(max(self.confidence.findData(record.confidence), 0)
                                        if record.confidence else 0)
        self.tags.setText(", ".join(record.tags))

    def _collect(self) -> tuple[Incident, dict[str, str]]:
        """The incident the inputs describe, cleaned, and the problems found, by field."""
        errors: dict[str, str] = {}
        tz = self.tz.zone_name()
        if not self.tz.is_valid():
            errors["tz"] = self.zone_problem(tz)
        occurred = None
        try:
            occurred = self.occurred.moment(tz if self.tz.is_valid() else "UTC",
                                            self.approximate.isChecked())
        except ValueError as exc:
            errors["occurred_at"] = str(exc)
        country_text = self.country.raw_text()
        country = self.country.code()
        if country_text and country is None:
            errors["country"] = self.tr("“{0}” is not a country; type a name or an ISO code, "
                                        "e.g. Iraq or IQ").format(country_text)
        coordinates: dict[str, float | None] = {}
        for name, edit in (("latitude", self.latitude), ("longitude", self.longitude)):
            try:
                coordinates[name] = edit.value()
            except ValueError as exc:
                errors[name] = str(exc)
                coordinates[name] = None
        geo = self.geo_precision.currentData()
        harm, harm_errors = harm_of(self.killed, self.injured)
        errors.update(harm_errors)
        base = self._incident or Incident()
        incident = replace(
            base,
            title=self.title.text(),
            ref=self.ref.text(),
            occurred=occurred,
            summary=self.summary.toPlainText(),
            place=self.place.text(),
            admin1=self.admin1.text(),
            country=country,
            latitude=coordinates["latitude"],
            longitude=coordinates["longitude"],
            geo_precision=GeoPrecision(geo) if geo else None,
            event_type=self.event_type.text(),
            weapons=", ".join(split_list(self.weapons.text())),
            launched=self.launched.value(),
            intercepted=self.intercepted.value(),
            actors=self.actors.actors(),  # the perpetrator is derived from them
            perpetrator=None,
            attribution=Attribution.UNKNOWN,
            target=self.target.text(),
            **harm,
            confidence=self.confidence.currentData(),
            tags=split_list(self.tags.text()),
        )
        cleaned = clean_incident(incident)
        domain = incident_errors(cleaned)
        if "latitude" in errors or "longitude" in errors:
            # "give both" would only repeat the real problem: the number is not a number.
            for name in ("latitude", "longitude"):
                if domain.get(name, "").startswith("give both"):
                    domain.pop(name)
        return cleaned, {**domain, **errors}

    def set_status(self, status: Status) -> bool:
        raise NotImplementedError

    def show_review_state(self, incident: Incident | None, *, editable: bool) -> None:
        """The status badge of ``incident`` and the review steps the workflow allows
        from it (none for a new incident)."""
        record = incident or Incident()
        status = record.status
        labels = {Status.DRAFT: self.tr("draft"), Status.IN_REVIEW: self.tr("in review"),
                  Status.VERIFIED: self.tr("verified"), Status.DISPUTED: self.tr("disputed"),
                  Status.ARCHIVED: self.tr("archived")}
        foreground, background = _STATUS_COLOURS[status]
        self.status.setText(labels[status])
        self.status.setStyleSheet(
            f"color: {foreground}; background: {background}; border-radius: 8px; "
            f"padding: 2px 10px; font-weight: 600; border: 1px solid {foreground};")
        self.status.setAccessibleDescription(self.tr("Status: {0}").format(labels[status]))
        allowed = STATUS_TRANSITIONS[status] if incident is not None else frozenset()
        # Only the steps the workflow allows from here, three to a row so that a
        # narrow pane never cuts a button off.
        for button in self._review_buttons.values():
            self._review_grid.removeWidget(button)
        shown = [b for s, b in self._review_buttons.items() if s in allowed]
        for index, button in enumerate(shown):
            self._review_grid.addWidget(button, index // 3, index % 3)
        for target, button in self._review_buttons.items():
            button.setVisible(target in allowed)
            button.setEnabled(editable)
