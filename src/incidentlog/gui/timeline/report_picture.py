"""The timeline of a briefing as a picture: the timeline view drawn offscreen.

A report shows the incidents it holds, whatever the window shows at the time: a
``TimelineView`` of its own is made for the report's filter, on a context of its
own (its queries run on the calling thread, its settings in a file of its own, so
the user's timeline options are neither used nor changed), fitted to every
incident, drawn with ``export.render_image`` and thrown away.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QEventLoop,
    QIODevice,
    QSettings,
    QSize,
    Qt,
    QThread,
)
from PySide6.QtGui import QImageWriter, QUndoStack
from PySide6.QtWidgets import QApplication

from incidentlog.domain.query import IncidentFilter
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.settings import Settings
from incidentlog.gui.timeline.export import render_image
from incidentlog.gui.timeline.view import TimelineView
from incidentlog.gui.workers import ImmediateRunner
from incidentlog.services import Services

__all__ = ["PICTURE_SIZE", "offscreen_application", "timeline_picture"]

#: The picture's size in pixels: a page's width at about 150 dpi.
PICTURE_SIZE = QSize(1200, 460)
#: Rounds of the event loop to wait for the view to read and lay out its answer. Each
#: read runs at once (``ImmediateRunner``); the rounds wait for the view's fetch timer.
_ROUNDS = 400


#: The command line's application (``offscreen_application``), alive until the process ends.
_APPLICATION: list[QApplication] = []


def offscreen_application() -> None:
    """A ``QApplication`` on Qt's offscreen platform, unless one runs already: the command
    line draws the report's picture and PDF without a display (over SSH, in cron)."""
    if QCoreApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        _APPLICATION.append(QApplication(["incidentlog"]))


def _settle(view: TimelineView) -> None:
    for _ in range(_ROUNDS):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if view.mode is not None and not view.is_busy() and not view.fetcher.timer.isActive():
            return
        QThread.msleep(5)


def timeline_picture(services: Services, flt: IncidentFilter | None,
                     size: QSize = PICTURE_SIZE) -> bytes:
    """A PNG of the timeline of the incidents ``flt`` selects (all of them when None).

    Needs a ``QApplication`` (widgets); on the GUI thread.
    """
    if not isinstance(QCoreApplication.instance(), QApplication):
        raise RuntimeError("the timeline picture is drawn by widgets: make a QApplication first")
    with tempfile.TemporaryDirectory(prefix="incidentlog-report-") as folder:
        qsettings = QSettings(str(Path(folder) / "timeline.ini"), QSettings.Format.IniFormat)
        context = AppContext(services, SelectionState(), ChangeBus(services), QUndoStack(),
                             Settings(qsettings), ImmediateRunner())
        context.state.set_filter(flt if flt is not None else IncidentFilter())
        view = TimelineView(context)
        try:
            view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
            view.resize(size)
            view.show()
            _settle(view)
            view.fit_all()
            _settle(view)
            image = render_image(view, size)
        finally:
            view.cancel_work()
            view.hide()
            view.deleteLater()
            context.bus.detach()
            del qsettings
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    QImageWriter(buffer, QByteArray(b"PNG")).write(image)
    return bytes(buffer.data().data())
