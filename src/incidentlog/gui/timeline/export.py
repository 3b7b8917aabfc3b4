"""The timeline view as a picture: a PNG of its pixels or an SVG drawing (for a report)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QIODevice,
    QPoint,
    QRect,
    QRectF,
    QSize,
)
from PySide6.QtGui import QImage, QImageWriter, QPainter, QPalette
from PySide6.QtWidgets import QGraphicsView


def render_image(view: QGraphicsView, size: QSize | None = None) -> QImage:
    """The view as it is on screen (no scroll bar), as an image of ``size`` (the view's)."""
    size = size or view.size()
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(view.palette().color(QPalette.ColorRole.Base))
    painter = QPainter(image)
    try:
        source = view.viewport().rect()
        view.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    return image


def export_png(view: QGraphicsView, path: str | Path) -> bool:
    """The current view as a PNG of the view's size.

    Written as every export is (``atomic_file``): whole or not at all, owner-only,
    never through a link or over a device (``ExchangeError``).
    """
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # QImageWriter: what QImage.save does, with a format its type hints accept.
    if not QImageWriter(buffer, QByteArray(b"PNG")).write(render_image(view)):
        return False
    _write_export(Path(path), bytes(buffer.data().data()))
    return True


def export_svg(view: QGraphicsView, path: str | Path, window: tuple[datetime, datetime]) -> bool:
    """The current view as an SVG drawing (vector: for a report) of ``window``."""
    from PySide6.QtSvg import QSvgGenerator

    size = view.size()
    generator = QSvgGenerator()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setViewBox(QRect(QPoint(0, 0), size))
    generator.setResolution(96)
    generator.setTitle(_tr("incidentlog timeline"))
    start, end = window
    generator.setDescription(_tr("Incidents from %1 to %2").replace(
        "%1", f"{start:%Y-%m-%d %H:%M}").replace("%2", f"{end:%Y-%m-%d %H:%M} UTC"))
    painter = QPainter()
    if not painter.begin(generator):
        return False
    try:
        painter.fillRect(QRectF(0, 0, size.width(), size.height()),
                         view.palette().color(QPalette.ColorRole.Base))
        source = view.viewport().rect()
        view.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    text = _svg_in_pixels(bytes(buffer.data().data()).decode("utf-8"), size)
    if text is None:
        return False
    _write_export(Path(path), text.encode("utf-8"))
    return True


def _svg_in_pixels(text: str, size: QSize) -> str | None:
    """The drawing with its size in pixels, as on screen; None if it is no SVG.

    ``QSvgGenerator`` writes millimetres computed from a resolution; a report
    tool then scales the drawing by its own idea of a millimetre. Pixels with
    the same view box keep it the size it was on screen.
    """
    head, separator, rest = text.partition("<svg")
    if not separator:
        return None
    tag, end, tail = rest.partition(">")
    tag = re.sub(r'\swidth="[^"]*"', f' width="{size.width()}px"', tag, count=1)
    tag = re.sub(r'\sheight="[^"]*"', f' height="{size.height()}px"', tag, count=1)
    return head + separator + tag + end + tail


def _write_export(path: Path, data: bytes) -> None:
    from incidentlog.exchange.files import atomic_file

    with atomic_file(path) as handle:
        handle.write(data)


def _tr(text: str) -> str:
    return QCoreApplication.translate("TimelineView", text)


__all__ = ["export_png", "export_svg", "render_image"]
