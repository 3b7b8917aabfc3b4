"""The window on a small screen: 1024×700, and 1280×720 at 150 % scaling.

At 150 % a 1280×720 screen is 853×480 device-independent pixels, which is
what Qt lays out in: the window is tested at that logical size (the font is
in points, so it is the same number of logical pixels at any scale).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QScrollArea, QToolBar, QToolButton, QWidget
from sample_data import DialogRecorder, build_window, make_database

from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.timeline.style import QUOTE_COLOUR
from incidentlog.gui.views import INCIDENTS, QUOTES, SOURCES

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SMALL_SCREENS = [QSize(1024, 700), QSize(853, 480)]
TIMELINE = 3


@pytest.fixture
def window(qtbot, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:  # type: ignore[no-untyped-def]
    DialogRecorder().install(monkeypatch)
    make_database(db_path)
    return build_window(qtbot, ["--db", str(db_path)])  # type: ignore[return-value]


def _show_at(window: MainWindow, size: QSize) -> None:
    window.resize(size)
    window.show()
    for _ in range(5):
        QApplication.processEvents()


def _fully_shown(window: QWidget, widget: QWidget) -> bool:
    """Shown, and not cut by any of its parents up to the window."""
    if not widget.isVisible():
        return False
    parent = widget.parentWidget()
    while parent is not None:
        top_left = widget.mapTo(parent, QPoint(0, 0))
        if not parent.rect().contains(QRect(top_left, widget.size())):
            return False
        if parent is window:
            return True
        parent = parent.parentWidget()
    return False


@pytest.mark.parametrize("screen", SMALL_SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_window_fits_a_small_screen(window: MainWindow, screen: QSize) -> None:
    _show_at(window, screen)
    hint = window.minimumSizeHint()
    assert hint.width() <= screen.width() and hint.height() <= screen.height(), hint
    assert window.width() <= screen.width() and window.height() <= screen.height()


@pytest.mark.parametrize("screen", SMALL_SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_every_form_can_be_saved_and_is_not_cut_at_the_side(window: MainWindow,
                                                             screen: QSize) -> None:
    _show_at(window, screen)
    workspace = window.workspace
    assert workspace is not None
    for index in (INCIDENTS, SOURCES, QUOTES):
        workspace.setCurrentIndex(index)
        QApplication.processEvents()
        form = workspace.form()
        save = form.findChild(QWidget, "saveButton")
        assert save is not None and _fully_shown(window, save), index
        scroll = form.findChild(QScrollArea)
        assert scroll is not None and scroll.widget() is not None
        # The fields scroll up and down, never sideways: nothing is cut at the right.
        needed = scroll.widget().minimumSizeHint().width()
        assert needed <= scroll.viewport().width(), (index, needed, scroll.viewport().width())


@pytest.mark.parametrize("screen", SMALL_SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_timeline_can_still_export_its_view(window: MainWindow, screen: QSize) -> None:
    _show_at(window, screen)
    workspace = window.workspace
    assert workspace is not None
    workspace.setCurrentIndex(TIMELINE)
    QApplication.processEvents()
    timeline = workspace.timeline
    toolbar = timeline.findChild(QToolBar)
    assert toolbar is not None
    button = toolbar.widgetForAction(timeline.actionExport)
    if button is not None and button.isVisible():
        assert _fully_shown(window, button)
    else:  # in the toolbar's overflow menu, behind its » button
        more = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        assert more is not None and _fully_shown(window, more)
    assert _fully_shown(window, timeline.view)


@pytest.mark.parametrize("screen", SMALL_SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_filter_bar_wraps_instead_of_widening_the_window(window: MainWindow,
                                                             screen: QSize) -> None:
    _show_at(window, screen)
    workspace = window.workspace
    assert workspace is not None
    bar = workspace.filter_bar
    for field in (bar.search_box, bar.since_edit, bar.until_edit, bar.country_combo,
                  bar.event_type_combo, bar.status_combo, bar.tag_combo, bar.clear_button):
        assert _fully_shown(window, field), field.objectName()


@pytest.mark.parametrize("screen", SMALL_SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_timeline_legend_wraps_instead_of_losing_entries(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                             screen: QSize) -> None:
    _show_at(window, screen)
    workspace = window.workspace
    assert workspace is not None
    workspace.setCurrentIndex(TIMELINE)
    view = workspace.timeline.view
    qtbot.waitUntil(lambda: view.shown_counts().startswith("On the timeline"), timeout=3000)
    view.viewport().repaint()
    image = view.viewport().grab().toImage()
    # The legend's last entry is the quote's mark, a teal diamond: it is painted
    # at the bottom, in the legend, however narrow the view.
    quote = QColor(QUOTE_COLOUR)
    bottom = range(image.height() - 80, image.height())
    assert any(image.pixelColor(x, y) == quote
               for y in bottom for x in range(image.width())), "quote entry cut off"
