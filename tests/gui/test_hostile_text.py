"""Hostile text in every field of an imported file is shown as text, everywhere.

The log is imported from a JSON file whose every text field carries HTML (an
image, bold, a link). The test then opens every view and tab of the real
window and walks the widgets it finds — not a list that could go stale — and
checks each place Qt could interpret the text: every label, every tooltip of
every item view (cells and headers), every widget tooltip, and the message
boxes that quote a record. A place "interprets" the text when what it shows
is not the literal text: ``<img src=…>`` must be visible as those characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QHelpEvent, QTextDocument
from PySide6.QtGui import Qt as QtGuiQt  # mightBeRichText lives in QtGui's Qt namespace
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTabWidget,
    QToolTip,
    QWidget,
)

from incidentlog.cli import main as cli
from incidentlog.domain.enums import SourceKind, TimePrecision
from incidentlog.domain.records import Incident, Quote, Source
from incidentlog.domain.when import Moment
from incidentlog.gui.plain_text import RICH_TEXT_PROPERTY
from incidentlog.services import Services
from incidentlog.store.database import open_database
from tests.gui.sample_data import build_window

#: What every text field holds. The image points nowhere harmful; the literal must show.
MARK = "hostile"  # lower case: tags are kept in lower case
IMAGE = '<img src="/nonexistent/incidentlog-canary.png">'


def hostile(field: str) -> str:
    return f'{MARK} {field} {IMAGE}<b>bold</b><a href="https://example.org/">link</a>'


def _moment() -> Moment:
    return Moment.from_local(dt.datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE,
                             "Asia/Baghdad")


def _populate(services: Services) -> None:
    incident = services.incidents.create(Incident(
        title=hostile("title"), occurred=_moment(), summary=hostile("summary"),
        place=hostile("place"), admin1=hostile("province"), country="IQ",
        event_type=hostile("event type"), weapons=hostile("weapons"),
        perpetrator=hostile("perpetrator"), target=hostile("target"),
        tags=(f"{MARK} {IMAGE}<b>bold</b>",),
    )).record
    source = services.sources.create(Source(
        kind=SourceKind.ARTICLE, title=hostile("source title"),
        url="https://example.org/report?q=%3Cimg%3E", outlet=hostile("outlet"),
        author=hostile("author"), handle="@hostile", excerpt=hostile("excerpt"),
        notes=hostile("notes"), published=_moment(),
    )).record
    services.incidents.link_source(incident.meta.uid or "", source.meta.uid or "",
                                   hostile("supports"))
    services.quotes.create(Quote(
        text=hostile("quote"), speaker=hostile("speaker"), speaker_role=hostile("role"),
        speaker_org=hostile("organisation"), context=hostile("context"), said=_moment(),
        incident_uid=incident.meta.uid, source_uid=source.meta.uid,
    ))


@pytest.fixture
def hostile_log(tmp_path: Path) -> Path:
    """A log made by importing a JSON file full of hostile text."""
    origin = tmp_path / "origin.sqlite3"
    with open_database(origin) as database:
        _populate(Services(database, actor="attacker"))
    exported = tmp_path / "hostile.json"
    assert cli(["export", "--db", str(origin), "--format", "json",
                "--out", str(exported)]) == 0
    target = tmp_path / "log.sqlite3"
    assert cli(["import", "--db", str(target), str(exported)]) == 0
    return target


def shown_text(text: str, text_format: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What a person sees for ``text`` in a widget with ``text_format``."""
    rich = (text_format == Qt.TextFormat.RichText
            or (text_format == Qt.TextFormat.AutoText and QtGuiQt.mightBeRichText(text)))
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


#: Every place found interpreting the text, so that one run names them all.
FOUND: list[str] = []


def assert_literal(where: str, source_text: str, seen: str) -> None:
    """Wherever the source holds hostile text, the same characters must be seen."""
    if MARK in source_text and not (IMAGE in seen and "<b>bold</b>" in seen):
        FOUND.append(f"{where} interprets {source_text[:60]!r}")


def _all_widgets(root: QWidget) -> Iterator[QWidget]:
    yield root
    yield from root.findChildren(QWidget)


def check_labels(root: QWidget) -> int:
    checked = 0
    for label in root.findChildren(QLabel):
        text = label.text()
        if MARK not in text:
            continue
        if label.property(RICH_TEXT_PROPERTY):
            assert_literal(f"rich label {label.objectName()!r}", text,
                           shown_text(text, Qt.TextFormat.RichText))
        else:
            assert_literal(f"label {label.objectName()!r}", text,
                           shown_text(text, label.textFormat()))
        checked += 1
    return checked


def _tooltip_shown(widget: QWidget, pos: QPoint) -> str:
    QToolTip.hideText()
    event = QHelpEvent(QEvent.Type.ToolTip, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)
    return QToolTip.text()


def check_item_view_tooltips(view: QAbstractItemView) -> int:
    """Ask each visible cell (or header section) for its tooltip as the pointer would."""
    model = view.model()
    if model is None or not view.isVisible():
        return 0
    checked = 0
    if isinstance(view, QHeaderView):
        for section in range(view.count()):
            tip = model.headerData(section, view.orientation(), Qt.ItemDataRole.ToolTipRole)
            if not tip or MARK not in str(tip):
                continue
            x = view.sectionViewportPosition(section) + view.sectionSize(section) // 2
            pos = QPoint(x, view.height() // 2) if view.orientation() == \
                Qt.Orientation.Horizontal else QPoint(view.width() // 2, x)
            assert_literal(f"header of {view.objectName()!r}", str(tip),
                           shown_text(_tooltip_shown(view.viewport(), pos)))
            checked += 1
        return checked
    try:
        columns = model.columnCount(QModelIndex())
    except TypeError:  # a list model (a completer's): one column, its count private
        columns = 1
    for row in range(min(model.rowCount(QModelIndex()), 20)):
        for column in range(columns):
            index = model.index(row, column)
            tip = index.data(Qt.ItemDataRole.ToolTipRole)
            if not tip or MARK not in str(tip):
                continue
            rect = view.visualRect(index)
            if rect.isEmpty() or not view.viewport().rect().contains(rect.center()):
                continue
            assert_literal(f"tooltip of {view.objectName()!r} ({row}, {column})", str(tip),
                           shown_text(_tooltip_shown(view.viewport(), rect.center())))
            checked += 1
    return checked


def check_widget_tooltips(root: QWidget) -> int:
    checked = 0
    for widget in _all_widgets(root):
        tip = widget.toolTip()
        if MARK in tip and widget.isVisible():
            center = widget.rect().center()
            assert_literal(f"tooltip of {widget.objectName()!r}", tip,
                           shown_text(_tooltip_shown(widget, center)))
            checked += 1
    return checked


def walk_every_tab(root: QWidget) -> Iterator[None]:
    """Show each page of each tab widget in turn, the tabs inside a page included
    (the views, then the form's tabs within the incidents view)."""
    outer = [tabs for tabs in root.findChildren(QTabWidget)
             if not any(isinstance(parent, QTabWidget) for parent in _ancestors(tabs, root))]
    for tabs in outer:
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            QApplication.processEvents()
            yield
            page = tabs.widget(index)
            if page is not None:
                yield from walk_every_tab(page)


def _ancestors(widget: QWidget, root: QWidget) -> Iterator[QWidget]:
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        yield parent
        parent = parent.parentWidget()


def check_timeline_hovers(root: QWidget) -> int:
    """The timeline draws its own tooltips: hover over its marks on a grid of points."""
    checked = 0
    for view in root.findChildren(QAbstractScrollArea, "timelineView"):
        if not view.isVisible():
            continue
        navigator = view.navigator  # type: ignore[attr-defined]
        for y in range(0, view.viewport().height(), 4):
            for x in range(0, view.viewport().width(), 6):
                tip = navigator.tooltip(QPointF(x, y))
                if tip and MARK in tip:
                    assert_literal(f"timeline hover at ({x}, {y})", MARK + IMAGE + "<b>bold</b>",
                                   shown_text(tip))
                    checked += 1
    return checked


def test_every_view_shows_imported_html_as_text(qtbot, hostile_log: Path,  # type: ignore[no-untyped-def]
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    shown_boxes: list[tuple[str, Qt.TextFormat]] = []

    def record_box(box: QMessageBox) -> int:
        shown_boxes.append((box.text(), box.textFormat()))
        shown_boxes.append((box.informativeText(), box.textFormat()))
        return int(QMessageBox.StandardButton.Cancel)

    def record_static(_parent: object, _title: str, text: str, *_args: object) -> object:
        shown_boxes.append((text, Qt.TextFormat.AutoText))  # what the static functions use
        return QMessageBox.StandardButton.Cancel

    FOUND.clear()
    monkeypatch.setattr(QMessageBox, "exec", record_box)
    for kind in ("question", "information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(record_static))
    window = build_window(qtbot, ["--db", str(hostile_log)])
    window.resize(1400, 860)  # type: ignore[attr-defined]
    window.show()  # type: ignore[attr-defined]
    qtbot.waitExposed(window)
    table = window.workspace.incident_table  # type: ignore[attr-defined]
    table.selectRow(0)
    labels = tooltips = 0
    for _ in walk_every_tab(window):  # type: ignore[arg-type]
        qtbot.wait(20)
        labels += check_labels(window)  # type: ignore[arg-type]
        tooltips += check_widget_tooltips(window)  # type: ignore[arg-type]
        for view in window.findChildren(QAbstractItemView):  # type: ignore[attr-defined]
            tooltips += check_item_view_tooltips(view)
        tooltips += check_timeline_hovers(window)  # type: ignore[arg-type]
    assert labels > 0 and tooltips > 5, (labels, tooltips, sorted(set(FOUND)))

    # The confirmation that quotes the record shows its title as text.
    window.show_view(0)  # type: ignore[attr-defined]
    table.selectRow(0)
    window.findChild(QAction, "actionDelete").trigger()  # type: ignore[attr-defined]
    assert any(MARK in text for text, _format in shown_boxes), "delete must quote the title"
    for text, text_format in shown_boxes:
        assert_literal("a message box", text, shown_text(text, text_format))
    assert sorted(set(FOUND)) == []


@pytest.mark.parametrize("ask", ["text", "item"])
def test_an_input_dialog_quoting_a_name_shows_it_as_text(qtbot, ask: str) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog, QLabel

    from incidentlog.gui import plain_text

    hostile = "<b>Islamic Resistance</b> &amp; <i>IRI</i>"
    seen: list[tuple[str, Qt.TextFormat]] = []

    def look_and_cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(10, look_and_cancel)
            return
        seen.extend((label.text(), label.textFormat()) for label in dialog.findChildren(QLabel))
        dialog.reject()

    QTimer.singleShot(0, look_and_cancel)
    label = f"New name of {hostile}:"
    if ask == "text":
        assert plain_text.get_text(None, "Rename actor", label, "x") is None
    else:
        assert plain_text.get_item(None, "Merge actors", label, ["a", "b"]) is None
    assert (label, Qt.TextFormat.PlainText) in seen
