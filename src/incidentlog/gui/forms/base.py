"""What the incident, source and quote forms share, and the declaration their fields are built from.

``FormBase`` keeps messages beside the fields, dirty tracking against a
snapshot of the widgets, the Save / Discard / Cancel question, read-only mode
and the conflict offer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QWidget,
)

from incidentlog.domain.errors import ConflictError
from incidentlog.gui import plain_text
from incidentlog.gui.context import AppContext
from incidentlog.gui.widgets.completers import IncidentPicker
from incidentlog.gui.widgets.counts import CountEdit
from incidentlog.gui.widgets.moments import MomentEdit
from incidentlog.gui.widgets.notices import ErrorLabel, NoticeBar, mark_invalid
from incidentlog.gui.widgets.text import hint_label, name_field, section_header, set_text_read_only


@dataclass
class FieldEntry:
    """One field of a form: its label, the widgets marked on error, its message label."""

    name: str
    label: QLabel
    error: ErrorLabel
    marks: tuple[QWidget, ...]
    focus: QWidget
    layout: QFormLayout
    #: The line under the input (a hint), if any.
    extra: QWidget | None = None


@dataclass(frozen=True)
class Field:
    """The declaration of one input of a form, from which ``FormBase.build_fields`` makes its row.

    ``name`` is the record's field: the input's object name (what tests find it
    by) and the key of its problems. The label, with its "&" mnemonic, is also
    the input's accessible name without the "&" (what a screen reader says).
    ``widget`` makes the row's widget from its parent; when that widget is a
    row of several (a moment and its precision, a line edit and a button), its
    focus proxy is the input.
    """

    name: str
    label: str
    widget: Callable[[QWidget], QWidget]
    placeholder: str = ""
    #: At most this many digits wide (0: grows with the form).
    width: int = 0
    #: The form attribute that holds the widget: ``name`` when empty, none when None.
    attr: str | None = ""
    #: The object name of a ``MomentEdit``'s precision combo.
    precision: str = ""
    #: The object name of a hint line shown under the input.
    hint: str = ""
    label_on_top: bool = False
    tracked: bool = True


@dataclass(frozen=True)
class Section:
    """A heading between the fields of a form."""

    title: str


def plain_label(text: str) -> str:
    """A label's text as read aloud: without its "&" mnemonic marker and trailing colon."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(":")


def _raw(widget: QWidget) -> Any:
    """What the user sees in a widget, for comparing against the loaded state."""
    raw = getattr(widget, "raw", None)
    if callable(raw):
        return raw()
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return widget.currentText() if widget.isEditable() else widget.currentIndex()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox):
        return widget.value()
    return None


def _set_widget_read_only(widget: QWidget, read_only: bool) -> None:
    setter = getattr(widget, "set_read_only", None)
    if callable(setter):
        setter(read_only)
    elif isinstance(widget, QLineEdit | QPlainTextEdit):
        set_text_read_only(widget, read_only)
    else:
        widget.setEnabled(not read_only)


class FormBase(QWidget):
    """What the incident, source and quote forms share.

    Subclasses build their fields with ``add_field`` and ``track``, and
    implement ``_collect`` (widgets → record and the problems found while
    reading them), ``save`` and ``revert``.
    """

    saved = Signal(str)
    dirtyChanged = Signal(bool)

    #: Where messages that belong to no field go; each form places its own.
    notice: NoticeBar

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._fields: dict[str, FieldEntry] = {}
        self._tracked: list[QWidget] = []
        self._baseline: tuple[Any, ...] = ()
        self._dirty = False
        self._live_validation = False
        self._read_only = False
        self._loading = 0
        self._install_save_shortcut()

    # --- building -----------------------------------------------------------------------------

    def build_fields(self, layout: QFormLayout, fields: Iterable[Field | Section]) -> None:
        """One row per declared field, in order, and a heading per section."""
        parent = layout.parentWidget()
        assert parent is not None, "a form's layout is set on its widget first"
        for item in fields:
            if isinstance(item, Section):
                layout.addRow(section_header(item.title, parent))
                continue
            widget = item.widget(parent)
            if item.attr is not None:
                setattr(self, item.attr or item.name, widget)
            self._declare(layout, item, widget)

    def _declare(self, layout: QFormLayout, field: Field, widget: QWidget) -> None:
        inputs = (widget.inputs() if isinstance(widget, CountEdit | MomentEdit)
                  else (widget.focusProxy() or widget,))
        # A count names its qualifier and number itself ("Killed: number").
        target = widget if isinstance(widget, CountEdit) else inputs[0]
        own_text = widget.text() if isinstance(widget, QAbstractButton) else ""
        spoken = plain_label(field.label or own_text)
        name_field(target, field.name, spoken)
        if isinstance(widget, MomentEdit):
            name_field(widget.precision, field.precision,
                       self.tr("{0}: precision").format(spoken))
        if field.placeholder and isinstance(target, QLineEdit | QPlainTextEdit):
            target.setPlaceholderText(field.placeholder)
        if field.width:
            target.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * field.width + 24)
        hint = None
        if field.hint:
            hint = hint_label("", layout.parentWidget())
            hint.setObjectName(field.hint)
        self.add_field(layout, field.name, field.label, widget, marks=inputs, buddy=inputs[0],
                       extra=hint, label_on_top=field.label_on_top)
        if field.tracked:  # a moment or a count is watched whole, a row through its input
            self.track(widget if isinstance(widget, CountEdit | MomentEdit) else inputs[0])

    def hint(self, name: str) -> QLabel:
        """The hint line declared under the field ``name``."""
        hint = self._fields[name].extra
        assert isinstance(hint, QLabel), name
        return hint

    def add_field(
        self,
        layout: QFormLayout,
        name: str,
        label_text: str,
        widget: QWidget,
        *,
        marks: Sequence[QWidget] | None = None,
        buddy: QWidget | None = None,
        extra: QWidget | None = None,
        label_on_top: bool = False,
    ) -> QLabel:
        """A row: the label (with its mnemonic and buddy) and the input; under it, in rows
        of their own so that the label stays level with the input, an optional hint
        and the field's message (its row hidden while there is none)."""
        parent = layout.parentWidget()
        label = QLabel(label_text, parent)
        label.setBuddy(buddy or widget)
        if label_on_top:
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            label.setContentsMargins(0, 4, 0, 0)
        layout.addRow(label, widget)
        if extra is not None:
            layout.addRow("", extra)
        error = ErrorLabel(parent)
        error.setObjectName(f"{name}_error")
        layout.addRow("", error)
        layout.setRowVisible(error, False)
        self._fields[name] = FieldEntry(
            name, label, error, tuple(marks or (widget,)), buddy or widget, layout, extra
        )
        return label

    def alias_field(self, name: str, same_as: str) -> None:
        """Show messages about ``name`` (e.g. ``said_at``) beside the field ``same_as``."""
        self._fields[name] = self._fields[same_as]

    def track(self, *widgets: QWidget) -> None:
        """Watch ``widgets`` for edits (dirty state, live validation) and read-only mode."""
        for widget in widgets:
            self._tracked.append(widget)
            changed = getattr(widget, "changed", None)
            if isinstance(widget, CountEdit | MomentEdit | IncidentPicker) and changed is not None:
                changed.connect(self._edited)
                if isinstance(widget, IncidentPicker):
                    widget.textChanged.connect(self._edited)
            elif isinstance(widget, QLineEdit | QPlainTextEdit):
                widget.textChanged.connect(self._edited)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self._edited)
                if widget.isEditable():
                    widget.editTextChanged.connect(self._edited)
            elif isinstance(widget, QCheckBox):
                widget.toggled.connect(self._edited)
            elif isinstance(widget, QSpinBox):
                widget.valueChanged.connect(self._edited)
            elif changed is not None:  # a section of its own (the incident's actors)
                changed.connect(self._edited)

    # --- messages beside the fields -----------------------------------------------------------

    def field_label(self, name: str) -> str:
        entry = self._fields.get(name)
        if entry is None:
            return name.replace("_", " ")
        return plain_label(entry.label.text()) or entry.focus.accessibleName()

    def message_for(self, name: str, text: str) -> str:
        """Domain messages are predicates ("is required"): give them their subject."""
        first = text.split(" ", 1)[0]
        if first in ("is", "are", "has", "cannot", "must", "was", "needs"):
            return f"{self.field_label(name)} {text}"
        return text[:1].upper() + text[1:]

    def show_errors(self, errors: Mapping[str, str]) -> list[str]:
        """Show each message beside its field; returns those that belong to no field."""
        shown: dict[int, list[str]] = {}
        stray: list[str] = []
        for name, text in errors.items():
            entry = self._fields.get(name)
            if entry is None:
                stray.append(f"{name.replace('_', ' ')}: {text}")
                continue
            shown.setdefault(id(entry), []).append(self.message_for(name, text))
        seen: set[int] = set()
        for entry in self._fields.values():
            if id(entry) in seen:
                continue
            seen.add(id(entry))
            message = "\n".join(shown.get(id(entry), [])) or None
            entry.error.set_message(message)
            entry.layout.setRowVisible(entry.error, bool(message))
            for widget in entry.marks:
                mark_invalid(widget, message)
        return stray

    def clear_errors(self) -> None:
        self.show_errors({})

    def present_errors(self, errors: Mapping[str, str], *, focus: bool = True) -> None:
        """Validation failed: each message beside its field, the rest in the notice bar.

        From then on the messages follow what is typed (live validation).
        """
        self._live_validation = True
        stray = self.show_errors(errors)
        if stray:
            self.notice.show_notice("\n".join(stray))
        if focus:
            self.focus_first_error(errors)

    def error_text(self, name: str) -> str | None:
        """The message shown beside ``name``, None if there is none (tests, accessibility)."""
        entry = self._fields.get(name)
        return entry.error.text() or None if entry is not None else None

    def errors_shown(self) -> dict[str, str]:
        return {name: entry.error.text() for name, entry in self._fields.items()
                if entry.error.text()}

    def focus_first_error(self, errors: Mapping[str, str]) -> None:
        for name, entry in self._fields.items():
            if name in errors:
                entry.focus.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def _collect(self) -> tuple[Any, dict[str, str]]:
        raise NotImplementedError

    def zone_problem(self, text: str) -> str:
        """What to say about a time zone field that holds no IANA zone."""
        if not text:
            return self.tr("is required: the time zone of the report, e.g. Asia/Baghdad")
        return self.tr("“{0}” is not a time zone; type a city such as Baghdad and pick "
                       "Asia/Baghdad").format(text)

    def validation_errors(self) -> dict[str, str]:
        """Every problem the widgets hold now (parsing and the domain rules)."""
        return self._collect()[1]

    # --- dirty tracking -----------------------------------------------------------------------

    def _snapshot(self) -> tuple[Any, ...]:
        return tuple(_raw(widget) for widget in self._tracked)

    def _edited(self, *_args: object) -> None:
        if self._loading:
            return
        dirty = self._snapshot() != self._baseline
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)
        if self._live_validation:
            self.show_errors(self.validation_errors())
        self._after_edit()

    def _after_edit(self) -> None:
        """Hook: refresh derived displays (hints) after any edit."""

    def _mark_clean(self) -> None:
        self._baseline = self._snapshot()
        self._live_validation = False
        if self._dirty:
            self._dirty = False
            self.dirtyChanged.emit(False)

    def is_dirty(self) -> bool:
        return self._dirty and not self._read_only

    def save(self, *, force: bool = False) -> bool:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def maybe_leave(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved edits; True means "go on"."""
        if not self.is_dirty():
            return True
        answer = plain_text.question(
            self,
            self.tr("Unsaved changes"),
            self.tr("{0} has unsaved changes. Save them?").format(self.record_label()),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.revert()
            return True
        return False

    def record_label(self) -> str:
        return self.tr("This record")

    # --- Ctrl+S -------------------------------------------------------------------------------

    def _install_save_shortcut(self) -> None:
        """Ctrl+S (the platform's Save) saves while the focus is in the form.

        A window that has its own Save action with the same key (the main
        window's ``actionSave``) takes precedence: two live shortcuts on one key
        are ambiguous in Qt and neither would fire, so the form's own shortcut
        is switched off whenever its window has one.
        """
        self.save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(lambda: self.save())

    def _sync_save_shortcut(self) -> None:
        window = self.window()
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Save)
        taken = window is not self and any(
            key in action.shortcuts()
            # A window's own actions are its direct children (gui/actions.py): a search
            # of every widget below costs milliseconds at each show.
            for action in {*window.findChildren(
                QAction, options=Qt.FindChildOption.FindDirectChildrenOnly), *window.actions()}
            for key in keys
        )
        self.save_shortcut.setEnabled(not taken)

    def event(self, event: QEvent) -> bool:  # Qt override
        if event.type() in (QEvent.Type.Show, QEvent.Type.ParentChange):
            self._sync_save_shortcut()
        return super().event(event)

    # --- read-only ----------------------------------------------------------------------------

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._apply_read_only()

    def is_read_only(self) -> bool:
        return self._read_only

    def _effectively_read_only(self) -> bool:
        return self._read_only

    def _apply_read_only(self) -> None:
        read_only = self._effectively_read_only()
        for widget in self._tracked:
            _set_widget_read_only(widget, read_only)
        for button in self._edit_buttons():
            button.setEnabled(not read_only)

    def _edit_buttons(self) -> Iterable[QAbstractButton]:
        return ()

    # --- conflicts ----------------------------------------------------------------------------

    def _conflict_notice(self, notice: NoticeBar, error: ConflictError, reload: Callable[[], None]
                         ) -> None:
        """Offer Reload (their version) or Keep mine (save over it), without a modal dialog."""
        notice.show_notice(
            error.message,
            [
                (self.tr("Reload"), reload),
                (self.tr("Keep mine"), lambda: self.save(force=True)),
            ],
        )


def show_from_top(scroll: QScrollArea) -> None:
    """After loading a record: scrolled to the top, every line showing its start.

    A long title left with the cursor at its end shows only its tail.
    """
    for line in scroll.findChildren(QLineEdit):
        line.setCursorPosition(0)
    scroll.verticalScrollBar().setValue(0)
