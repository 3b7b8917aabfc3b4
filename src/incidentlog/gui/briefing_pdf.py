"""The briefing report as a PDF, printed by Qt from the report's HTML (no browser needed).

``QTextDocument`` lays out the HTML of ``exchange.briefing`` (a subset of HTML 4 and
CSS 2: what the shipped template keeps to) and ``QPdfWriter`` paginates it on A4
with a page number in the footer. Blocks marked ``dir="rtl"`` are laid out right to
left; the document's default direction follows the title's first letters, so that
an Arabic briefing reads right to left throughout. The PDF is written to memory,
then to its file atomically, as every export.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
    QTextOption,
)

from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.query import IncidentFilter
from incidentlog.exchange.briefing import (
    DEFAULT_TITLE,
    BriefingReport,
    gather,
    render_report,
)
from incidentlog.exchange.briefing.summary import text_direction
from incidentlog.exchange.files import output_file
from incidentlog.exchange.reports import Cancel, Progress, Ticker
from incidentlog.services import Services

__all__ = ["export_pdf", "page_width", "pdf_bytes"]

#: Resolution of the PDF's layout (its text is vector, its picture 1200 pixels wide).
DPI = 150
#: The picture's name inside the document (the HTML file embeds it instead).
TIMELINE_RESOURCE = "incidentlog-timeline.png"


def _page_layout() -> QPageLayout:
    return QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                       QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)


def page_width() -> int:
    """The width of the printed area in the PDF's pixels (where the picture fits)."""
    return _page_layout().paintRectPixels(DPI).width()


def pdf_bytes(html: str, *, timeline_png: bytes | None = None, title: str = DEFAULT_TITLE,
              cancel: Cancel | None = None) -> bytes:
    """Print ``html`` to an A4 PDF, in memory."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator("incidentlog")
    writer.setResolution(DPI)
    writer.setPageLayout(_page_layout())
    page = writer.pageLayout().paintRectPixels(DPI)
    footer = 40
    document = QTextDocument()
    # Lay out at the writer's resolution, so that a 10-point font prints at 10 points.
    document.documentLayout().setPaintDevice(writer)
    document.setDocumentMargin(0)
    option = QTextOption(document.defaultTextOption())
    rtl = text_direction(title) == "rtl"
    option.setTextDirection(Qt.LayoutDirection.RightToLeft if rtl
                            else Qt.LayoutDirection.LeftToRight)
    document.setDefaultTextOption(option)
    if timeline_png:
        image = QImage.fromData(timeline_png)
        document.addResource(QTextDocument.ResourceType.ImageResource,
                             QUrl(TIMELINE_RESOURCE), image)
    font = document.defaultFont()
    font.setPointSizeF(10)
    document.setDefaultFont(font)
    document.setHtml(html)
    document.setPageSize(QSizeF(page.width(), page.height() - footer))
    _paint(document, writer, footer, cancel)
    buffer.close()
    return bytes(buffer.data().data())


def _paint(document: QTextDocument, writer: QPdfWriter, footer: int,
           cancel: Cancel | None) -> None:
    ticker = Ticker(None, cancel)
    painter = QPainter()
    if not painter.begin(writer):
        raise ExchangeError("the PDF could not be started (Qt's PDF writer refused).")
    try:
        size = document.pageSize()
        pages = document.pageCount()
        context = QAbstractTextDocumentLayout.PaintContext()
        for number in range(pages):
            ticker.check()
            if number:
                writer.newPage()
            painter.save()
            painter.translate(0, -number * size.height())
            context.clip = QRectF(0, number * size.height(), size.width(), size.height())
            painter.setClipRect(context.clip)
            document.documentLayout().draw(painter, context)
            painter.restore()
            painter.drawText(QRectF(0, size.height(), size.width(), footer),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                             f"{number + 1} / {pages}")
    finally:
        painter.end()


def export_pdf(
    services: Services,
    out: Path,
    flt: IncidentFilter | None = None,
    *,
    template: Path | None = None,
    timeline_png: bytes | None = None,
    title: str = DEFAULT_TITLE,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> BriefingReport:
    """Write the report of what ``flt`` selects to ``out`` as a PDF (atomically).

    Runs on any thread (``QTextDocument`` and ``QPdfWriter`` are not widgets); the
    timeline picture, which is, comes in made (``timeline.report_picture``).
    """
    out = Path(out)
    briefing = gather(services, flt, progress=progress, cancel=cancel)
    size = None
    if timeline_png:
        image = QImage.fromData(timeline_png)
        # Qt scales an image's given size by the device's resolution over 96 dpi.
        width = page_width() * 96 // DPI
        size = (width, round(image.height() * width / max(image.width(), 1)))
    html = render_report(briefing, template=template,
                         timeline_src=TIMELINE_RESOURCE if timeline_png else None,
                         timeline_size=size, title=title)
    data = pdf_bytes(html, timeline_png=timeline_png, title=title, cancel=cancel)
    with output_file(out) as handle:
        handle.write(data)
    return BriefingReport(out, len(briefing.entries), len(briefing.sources),
                          briefing.quote_count, format_name="PDF report")
