"""The timeline view as a picture: a PNG of its pixels or an SVG drawing (for a report)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QPoint, QRect, QRectF, QSize
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
    """The current view as a PNG of the view's size."""
    # QImageWriter: what QImage.save does, with a format its type hints accept.
    return QImageWriter(str(path), QByteArray(b"PNG")).write(render_image(view))


def export_svg(view: QGraphicsView, path: str | Path, window: tuple[datetime, datetime]) -> bool:
    """The current view as an SVG drawing (vector: for a report) of ``window``."""
    from PySide6.QtSvg import QSvgGenerator

    size = view.size()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
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
    return _svg_size_in_pixels(Path(path), size)


def _svg_size_in_pixels(path: Path, size: QSize) -> bool:
    """Give the drawing its size in pixels, as on screen.

    ``QSvgGenerator`` writes millimetres computed from a resolution; a report
    tool then scales the drawing by its own idea of a millimetre. Pixels with
    the same view box keep it the size it was on screen.
    """
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    head, separator, rest = text.partition("<svg")
    if not separator:
        return False
    tag, end, tail = rest.partition(">")
    tag = re.sub(r'\swidth="[^"]*"', f' width="{size.width()}px"', tag, count=1)
    tag = re.sub(r'\sheight="[^"]*"', f' height="{size.height()}px"', tag, count=1)
    path.write_text(head + separator + tag + end + tail, encoding="utf-8")
    return True


def _tr(text: str) -> str:
    return QCoreApplication.translate("TimelineView", text)


__all__ = ["export_png", "export_svg", "render_image"]
