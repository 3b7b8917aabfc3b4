"""TimelineJS export: the incidents as a TimelineJS (version 3) JSON document.

The format (docs/formats.md) is TimelineJS's own: ``{"title": slide, "events":
[slide, ...]}``, a slide holding ``start_date`` (and ``end_date``), ``text``
(``headline`` and ``text``), ``media``, ``group``, ``display_date`` and
``unique_id``. A date object holds only the parts the incident's precision
knows: a month-precise incident has ``year`` and ``month``, never a made-up day.
The parts are the local wall time of the incident's own time zone (TimelineJS
has no zones); ``display_date`` says the zone, and "~" for an approximate time.

TimelineJS shows ``headline``, ``text``, ``caption`` and ``credit`` as HTML, so
every text from the log is escaped here and line breaks become ``<br>``; the media
is the first source (the earliest published) with a web address.
"""

from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from incidentlog.domain.actors import actors_shown
from incidentlog.domain.countries import country_name
from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.harm import injured_text, killed_text
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident, Source
from incidentlog.domain.when import Moment
from incidentlog.exchange.briefing.gather import Briefing, Entry, gather
from incidentlog.exchange.briefing.report import BriefingReport
from incidentlog.exchange.briefing.summary import describe_filter, period_text
from incidentlog.exchange.files import output_file
from incidentlog.exchange.reports import Cancel, Progress
from incidentlog.services import Services

__all__ = ["date_object", "export_timelinejs", "timeline_document", "web_address"]

_PARTS: dict[TimePrecision, tuple[str, ...]] = {
    TimePrecision.YEAR: ("year",),
    TimePrecision.MONTH: ("year", "month"),
    TimePrecision.WEEK: ("year", "month", "day"),
    TimePrecision.DAY: ("year", "month", "day"),
    TimePrecision.HOUR: ("year", "month", "day", "hour"),
    TimePrecision.MINUTE: ("year", "month", "day", "hour", "minute"),
}


def date_object(moment: Moment) -> dict[str, int]:
    """A TimelineJS date object with the parts ``moment``'s precision knows (local time)."""
    local = moment.local()
    return {part: getattr(local, part) for part in _PARTS[moment.precision]}


def _week_end(moment: Moment) -> dict[str, int]:
    """The Sunday of a week-precise moment: TimelineJS has no weeks, so a week is a span."""
    sunday = moment.local() + timedelta(days=6)
    return {"year": sunday.year, "month": sunday.month, "day": sunday.day}


def web_address(url: str | None) -> str | None:
    """``url`` if it is an http(s) address (never ``javascript:`` or a file), else None."""
    if not url:
        return None
    scheme, colon, _rest = url.partition(":")
    return url if colon and scheme.lower() in ("http", "https") else None


def _html(text: str | None) -> str:
    """Plain text as the HTML TimelineJS expects: escaped, line breaks kept."""
    return html.escape(text or "", quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def _facts(incident: Incident) -> str:
    where = ", ".join(
        part
        for part in (
            incident.place,
            incident.admin1,
            country_name(incident.country) if incident.country else None,
        )
        if part
    )
    facts = [
        ("Where", where),
        ("Type", incident.event_type),
        ("Perpetrator", incident.perpetrator),
        ("Actors", actors_shown(incident.actors, incident.perpetrator, incident.attribution)),
        ("Killed", killed_text(incident) if incident.killed.known else None),
        ("Injured", injured_text(incident) if incident.injured.known else None),
        ("Status", incident.status.label),
    ]
    return "<br>".join(f"<b>{name}:</b> {_html(value)}" for name, value in facts if value)


def _media(source: Source) -> dict[str, str] | None:
    url = web_address(source.url)
    if url is None:
        return None
    credit = source.outlet or source.handle or source.author or ""
    if source.reliability is not None:
        credit = f"{credit} (reliability {source.reliability.value})".strip()
    media = {"url": url, "link": url, "caption": _html(source.title), "credit": _html(credit)}
    return {key: value for key, value in media.items() if value}


def _slide(entry: Entry) -> dict[str, Any] | None:
    incident = entry.incident
    moment = incident.occurred
    if moment is None:
        return None
    headline = incident.title or "untitled incident"
    if incident.ref:
        headline = f"{incident.ref}: {headline}"
    body = _facts(incident)
    if incident.summary:
        body += f"<p>{_html(incident.summary)}</p>"
    if entry.related:
        words = "; ".join(f"{r.wording} {r.other_ref}" for r in entry.related)
        body += f"<p><b>Related:</b> {_html(words)}</p>"
    slide: dict[str, Any] = {
        "start_date": date_object(moment),
        "text": {"headline": _html(headline), "text": body},
        "display_date": _html(moment.display()),
        "unique_id": f"incident-{incident.uid}",
    }
    if moment.precision is TimePrecision.WEEK:
        slide["end_date"] = _week_end(moment)
    if incident.event_type:
        slide["group"] = _html(incident.event_type)
    media = next(
        (m for m in (_media(source) for source in entry.sources) if m is not None), None
    )
    if media is not None:
        slide["media"] = media
    return slide


def timeline_document(briefing: Briefing, title: str = "Incidents") -> dict[str, Any]:
    """The TimelineJS document of ``briefing`` (incidents without a date left out)."""
    events = [slide for slide in map(_slide, briefing.entries) if slide is not None]
    period = period_text(entry.incident.occurred for entry in briefing.entries)
    lines = [period, *describe_filter(briefing.flt)] if period else describe_filter(briefing.flt)
    return {
        "title": {"text": {"headline": _html(title), "text": "<br>".join(map(_html, lines))}},
        "events": events,
        "scale": "human",
    }


def export_timelinejs(
    services: Services,
    out: Path,
    flt: IncidentFilter | None = None,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> BriefingReport:
    """Write the incidents ``flt`` selects to ``out`` as TimelineJS JSON (atomically)."""
    out = Path(out)
    briefing = gather(services, flt, progress=progress, cancel=cancel)
    document = timeline_document(briefing)
    data = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    with output_file(out) as handle:
        handle.write(data)
    written = len(document["events"])
    return BriefingReport(
        out, written, 0, 0, format_name="TimelineJS", undated=len(briefing.entries) - written
    )
