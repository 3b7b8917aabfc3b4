"""Text from a user or a file is shown as text, never interpreted as HTML.

Qt guesses "rich text" by itself (``Qt.mightBeRichText``) in labels, tooltips
and message boxes, and a guessed document loads what its ``<img>`` tags name
while it is laid out: ``<img src="/dev/zero">`` in an imported title would hang
the application when the pointer rests on its row, a local path would be read,
a ``file://host/share`` image would reach out to that host. See
docs/reliability.md ("Hostile text").

Three mechanisms, one per way Qt shows text:

- **Tooltips**: ``ToolTipGuard``, one event filter on the application, takes
  every tooltip request before the widget does, asks the same question Qt would
  (the item's or section's ``ToolTipRole``, else the widget's ``toolTip()``) and
  shows the answer escaped. Every tooltip in incidentlog is therefore plain
  text, including those of views added later; a widget that draws its own
  tooltips (the timeline) builds them with ``html.escape`` itself.
- **Message boxes**: ``question``, ``information``, ``warning`` and
  ``critical`` have the signature of ``QMessageBox``'s static functions but set
  ``Qt.PlainText`` before the text is set (too late once ``setText`` has laid the
  guessed document out). The GUI calls these, never the static functions.
- **Labels**: ``plain_label`` makes a ``QLabel`` that shows its text as text;
  labels whose HTML incidentlog writes itself (escaping what it quotes) are
  marked with ``mark_rich`` so that the test that walks every widget knows them.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QToolTip,
    QWidget,
)

#: The dynamic property that marks a label whose rich text incidentlog wrote itself.
RICH_TEXT_PROPERTY = "incidentlogRichText"

StandardButton = QMessageBox.StandardButton
StandardButtons = QMessageBox.StandardButton


def escaped(text: str) -> str:
    """``text`` as a rich-text fragment that shows exactly ``text`` (line breaks kept)."""
    return html.escape(text).replace("\n", "<br>")


def tooltip_html(text: str) -> str:
    """What ``QToolTip`` is given for ``text``: HTML that shows the text literally.

    Wrapped in ``<qt>`` so that Qt treats it as rich text and decodes the entities
    (escaped text without the wrapper is plain and would show "&lt;"), and wraps
    long lines as Qt's own rich tooltips do.
    """
    return f"<qt>{escaped(text)}</qt>"


def _item_view_tooltip(view: QAbstractItemView, event: QHelpEvent) -> str | None:
    model: QAbstractItemModel | None = view.model()  # None for a view without a model
    if model is None:
        return None
    if isinstance(view, QHeaderView):
        section = view.logicalIndexAt(event.pos())
        if section < 0:
            return None
        value = model.headerData(section, view.orientation(), Qt.ItemDataRole.ToolTipRole)
    else:
        index: QModelIndex = view.indexAt(event.pos())
        if not index.isValid():
            return None
        value = index.data(Qt.ItemDataRole.ToolTipRole)
    return str(value) if value not in (None, "") else None


def _owning_item_view(watched: QObject) -> QAbstractItemView | None:
    if isinstance(watched, QHeaderView):
        return watched
    parent = watched.parent() if isinstance(watched, QWidget) else None
    if isinstance(parent, QAbstractItemView) and parent.viewport() is watched:
        return parent
    return None


class ToolTipGuard(QObject):
    """Shows every tooltip of the application as plain text (see the module docstring)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        view = _owning_item_view(watched)
        if view is not None:
            text = _item_view_tooltip(view, event)
        elif isinstance(watched, QWidget) and watched.toolTip():
            text = watched.toolTip()
        else:
            return False  # a widget that answers tooltips itself (it escapes them)
        if text:
            QToolTip.showText(event.globalPos(), tooltip_html(text), watched)  # type: ignore[arg-type]
        else:
            QToolTip.hideText()
            event.ignore()
        return True


_GUARD: ToolTipGuard | None = None


def install_tooltip_guard(app: QApplication) -> ToolTipGuard:
    """Install the guard on ``app`` once; later calls return the same guard."""
    global _GUARD
    if _GUARD is None:
        _GUARD = ToolTipGuard(app)
        app.installEventFilter(_GUARD)
    return _GUARD


# --- message boxes ------------------------------------------------------------------------
def _message(icon: QMessageBox.Icon, parent: QWidget | None, title: str, text: str,
             buttons: StandardButtons, default: StandardButton) -> StandardButton:
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setTextFormat(Qt.TextFormat.PlainText)  # before setText: see the module docstring
    box.setWindowTitle(title)
    box.setText(text)
    box.setStandardButtons(buttons)
    if default != StandardButton.NoButton:
        box.setDefaultButton(default)
    return StandardButton(box.exec())


def question(parent: QWidget | None, title: str, text: str,
             buttons: StandardButtons = StandardButton.Yes | StandardButton.No,
             default: StandardButton = StandardButton.NoButton) -> StandardButton:
    return _message(QMessageBox.Icon.Question, parent, title, text, buttons, default)


def information(parent: QWidget | None, title: str, text: str,
                buttons: StandardButtons = StandardButton.Ok,
                default: StandardButton = StandardButton.NoButton) -> StandardButton:
    return _message(QMessageBox.Icon.Information, parent, title, text, buttons, default)


def warning(parent: QWidget | None, title: str, text: str,
            buttons: StandardButtons = StandardButton.Ok,
            default: StandardButton = StandardButton.NoButton) -> StandardButton:
    return _message(QMessageBox.Icon.Warning, parent, title, text, buttons, default)


def critical(parent: QWidget | None, title: str, text: str,
             buttons: StandardButtons = StandardButton.Ok,
             default: StandardButton = StandardButton.NoButton) -> StandardButton:
    return _message(QMessageBox.Icon.Critical, parent, title, text, buttons, default)


# --- input dialogs ------------------------------------------------------------------------
def _input_dialog(parent: QWidget | None, title: str, label: str) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText("")  # makes its label, which is then told to show text as text
    for child in dialog.findChildren(QLabel):
        child.setTextFormat(Qt.TextFormat.PlainText)
    dialog.setLabelText(label)
    return dialog


def get_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """What the person typed (None if cancelled), ``label`` shown as text."""
    dialog = _input_dialog(parent, title, label)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setTextValue(text)
    return dialog.textValue() if dialog.exec() else None


def get_item(parent: QWidget | None, title: str, label: str, items: list[str]) -> str | None:
    """The item chosen from ``items`` (None if cancelled), ``label`` shown as text."""
    dialog = _input_dialog(parent, title, label)
    dialog.setComboBoxItems(items)
    dialog.setComboBoxEditable(False)
    return dialog.textValue() if dialog.exec() else None


# --- labels -------------------------------------------------------------------------------
def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows ``text`` as text, whatever it contains."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def mark_rich(label: QLabel) -> QLabel:
    """Declare that ``label`` shows HTML incidentlog wrote (with ``escaped`` quotes)."""
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setProperty(RICH_TEXT_PROPERTY, True)
    return label
