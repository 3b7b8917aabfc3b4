"""Formats for people rather than programs: TimelineJS, iCalendar and the briefing report.

Each reads the filtered incidents once (``gather``), with their sources and quotes, and
writes one file that appears whole (``exchange.files``). The report's PDF and its
timeline picture need Qt, and are made in ``gui/`` from what is here (docs/formats.md).
"""

from __future__ import annotations

from incidentlog.exchange.briefing.gather import Briefing, Entry, gather
from incidentlog.exchange.briefing.html import (
    DEFAULT_TITLE,
    default_template,
    export_html,
    png_data_uri,
    render_report,
)
from incidentlog.exchange.briefing.ics import export_ics
from incidentlog.exchange.briefing.report import BriefingReport
from incidentlog.exchange.briefing.timelinejs import export_timelinejs

__all__ = [
    "DEFAULT_TITLE",
    "Briefing",
    "BriefingReport",
    "Entry",
    "default_template",
    "export_html",
    "export_ics",
    "export_timelinejs",
    "gather",
    "png_data_uri",
    "render_report",
]
