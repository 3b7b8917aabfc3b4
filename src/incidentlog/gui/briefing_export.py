"""The export dialog's formats for people: TimelineJS, iCalendar, the briefing report, and
the evidence package (the incidents with their files, for a colleague: docs/evidence.md).

What each format is called, which file name it takes, and the work that writes it
(``exchange.briefing``; the PDF in ``briefing_pdf``). The report's timeline picture
is drawn here, on the GUI thread, before the work starts on the runner: a widget
cannot be made elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from incidentlog.domain.query import IncidentFilter
from incidentlog.gui.workers import Work
from incidentlog.services import Services

__all__ = ["BRIEFING_FORMATS", "REPORT_FORMATS", "BriefingFormat", "briefing_work"]


def _tr(text: str) -> str:
    return QCoreApplication.translate("ExportDialog", text)


@dataclass(frozen=True)
class BriefingFormat:
    key: str
    label: str
    suffix: str
    file_filter: str


#: In the order the dialog lists them, after CSV and JSON.
BRIEFING_FORMATS: tuple[BriefingFormat, ...] = (
    BriefingFormat("pdf", "PDF report — a briefing to print or send", ".pdf",
                   "PDF documents (*.pdf)"),
    BriefingFormat("html", "HTML report — the same briefing as one web page", ".html",
                   "Web pages (*.html *.htm)"),
    BriefingFormat("timelinejs", "TimelineJS — a timeline to publish", ".json",
                   "TimelineJS documents (*.json)"),
    BriefingFormat("ics", "iCalendar — the incidents as calendar events", ".ics",
                   "Calendars (*.ics)"),
    BriefingFormat("package", "Evidence package — the incidents with their files, hashed "
                   "(ZIP)", ".zip", "ZIP archives (*.zip)"),
)
#: The formats that take a template and a timeline picture.
REPORT_FORMATS = frozenset({"html", "pdf"})


def by_key(key: str) -> BriefingFormat | None:
    return next((f for f in BRIEFING_FORMATS if f.key == key), None)


def label(fmt: BriefingFormat) -> str:
    return _tr(fmt.label)


def briefing_work(fmt: str, services: Services, target: Path, flt: IncidentFilter | None,
                  template: Path | None, title: str | None = None) -> Work:
    """The work that writes ``target``; for a report, the picture is drawn now. ``title``:
    the report's (None: the default, ``exchange.briefing.DEFAULT_TITLE``)."""
    titled: dict[str, Any] = {"title": title} if title else {}
    picture: bytes | None = None
    if fmt in REPORT_FORMATS:
        from incidentlog.gui.timeline.report_picture import timeline_picture

        picture = timeline_picture(services, flt)

    def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> Any:
        from incidentlog.exchange import briefing

        if fmt == "package":
            from incidentlog.exchange.package import export_package

            return export_package(services, target, flt, progress=progress, cancel=cancelled)
        if fmt == "timelinejs":
            return briefing.export_timelinejs(services, target, flt, progress=progress,
                                              cancel=cancelled)
        if fmt == "ics":
            return briefing.export_ics(services, target, flt, progress=progress,
                                       cancel=cancelled)
        if fmt == "html":
            return briefing.export_html(services, target, flt, template=template,
                                        timeline_png=picture, **titled,
                                        progress=progress, cancel=cancelled)
        from incidentlog.gui.briefing_pdf import export_pdf

        return export_pdf(services, target, flt, template=template, timeline_png=picture,
                          progress=progress, cancel=cancelled, **titled)

    return work
