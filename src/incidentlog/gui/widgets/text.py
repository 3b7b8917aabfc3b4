"""Names, headings, hints and plain multi-line text: the small pieces every form uses."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QPalette,
)
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.records import Source
from incidentlog.domain.urls import url_host


def name_field(widget: QWidget, name: str, accessible: str | None = None) -> QWidget:
    """Object name and accessible name: what tests and screen readers find a field by."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible or name)
    return widget


def set_text_read_only(edit: QLineEdit | QPlainTextEdit, read_only: bool) -> None:
    """Read-only, and looking it: the window's background instead of the white of a
    field that takes typing (a read-only field otherwise looks editable)."""
    edit.setReadOnly(read_only)
    if read_only:
        palette = edit.palette()
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        edit.setPalette(palette)
    else:
        edit.setPalette(QPalette())  # resolves nothing: the parent's palette again


def hint_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """Grey explanatory text under a field (e.g. the UTC equivalent of a local time)."""
    label = QLabel(text, parent)
    label.setProperty("role", "hint")
    set_hint_colour(label)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def set_hint_colour(label: QLabel) -> None:
    """Secondary text: the palette's placeholder colour, readable in light and dark themes."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText,
                     palette.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(palette)


def section_header(text: str, parent: QWidget | None = None) -> QWidget:
    """A bold heading with a rule, spanning both columns of a QFormLayout."""
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 10, 0, 2)
    layout.setSpacing(2)
    label = QLabel(text, box)
    label.setProperty("role", "section")
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    rule = QFrame(box)
    rule.setFrameShape(QFrame.Shape.HLine)
    rule.setFrameShadow(QFrame.Shadow.Sunken)
    layout.addWidget(label)
    layout.addWidget(rule)
    box.setAccessibleName(text)
    return box


def plain_text_edit(parent: QWidget | None = None, *, lines: int = 4) -> QPlainTextEdit:
    """Multi-line text where Enter is a new line and Tab leaves the field (keyboard-first)."""
    edit = QPlainTextEdit(parent)
    edit.setTabChangesFocus(True)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    height = edit.fontMetrics().lineSpacing() * lines + 12
    edit.setMinimumHeight(height)
    edit.setFixedHeight(height + edit.fontMetrics().lineSpacing())
    return edit


def source_caption(source: Source) -> str:
    """What a person recognises a source by: its title, else whose post it is, else the URL."""
    if source.title:
        return source.title
    if source.handle:
        return f"{source.handle} {source.kind.label}"
    return source.url or source.label


def source_details(source: Source) -> str:
    """The second line: outlet, date, kind and the site."""
    host = url_host(source.url) if source.url else None
    published = source.published.display(with_zone=False) if source.published else None
    kind = source.kind.label if source.title else None  # else the caption says it
    return " · ".join(p for p in (source.outlet, published, kind, host) if p)
