"""iCalendar export (RFC 5545, through the ``icalendar`` library): one event per incident.

How a moment becomes an event (docs/formats.md):

- minute precision: ``DTSTART;TZID=<the incident's zone>`` at that minute, no end
  (an instant); hour precision: the same, ending an hour later;
- day precision: an all-day event (``VALUE=DATE``) on that local day;
- week, month and year precision: an all-day event spanning the whole week, month
  or year the date stands for (``DTEND`` is exclusive, as RFC 5545 says), so that a
  calendar never shows a made-up day;
- approximate moments say "~" in the description and ``X-INCIDENTLOG-APPROXIMATE``;
  every event names its precision in ``X-INCIDENTLOG-PRECISION``.

The zones used are written as ``VTIMEZONE`` components. ``UID`` is the incident's uid
(``<uid>@incidentlog``), so a calendar that imports a later export updates the events
instead of doubling them; ``DTSTAMP`` and ``LAST-MODIFIED`` are the incident's last
change and ``SEQUENCE`` its version, so the same log gives the same file. Incidents
without a date have no place in a calendar and are left out (the report says how many).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from icalendar import Calendar, Event

from incidentlog import __version__
from incidentlog.domain.actors import actors_shown
from incidentlog.domain.countries import country_name
from incidentlog.domain.enums import Status, TimePrecision
from incidentlog.domain.harm import injured_text, killed_text
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.when import Moment, from_utc_text
from incidentlog.exchange.briefing.gather import Briefing, Entry, gather
from incidentlog.exchange.briefing.report import BriefingReport
from incidentlog.exchange.briefing.timelinejs import web_address
from incidentlog.exchange.files import output_file
from incidentlog.exchange.reports import Cancel, Progress
from incidentlog.services import Services

__all__ = ["UID_DOMAIN", "calendar_of", "event_uid", "export_ics"]

#: The right-hand side of every event's UID.
UID_DOMAIN = "incidentlog"
_ALL_DAY = frozenset({TimePrecision.DAY, TimePrecision.WEEK, TimePrecision.MONTH,
                      TimePrecision.YEAR})


def event_uid(incident_uid: str) -> str:
    return f"{incident_uid}@{UID_DOMAIN}"


def _set_times(event: Event, moment: Moment) -> None:
    start, end = moment.interval()
    if moment.precision in _ALL_DAY:
        event.add("dtstart", _local_date(start, moment.tz))
        event.add("dtend", _local_date(end, moment.tz))
        return
    event.add("dtstart", moment.local())
    if moment.precision is TimePrecision.HOUR:
        event.add("dtend", Moment(end, moment.precision, moment.tz).local())


def _local_date(instant: datetime, tz: str) -> date:
    return Moment(instant, TimePrecision.DAY, tz).local().date()


def _stamp(text: str | None) -> datetime:
    return from_utc_text(text) if text else datetime(1970, 1, 1, tzinfo=UTC)


def _description(entry: Entry) -> str:
    incident = entry.incident
    lines = []
    if incident.occurred is not None:
        lines.append(f"When: {incident.occurred.display()} ({incident.occurred.precision.label}"
                     " precision)")
    for name, value in (
        ("Type", incident.event_type),
        ("Perpetrator", incident.perpetrator),
        ("Actors", actors_shown(incident.actors, incident.perpetrator, incident.attribution)),
        ("Target", incident.target),
        ("Killed", killed_text(incident)),
        ("Injured", injured_text(incident)),
        ("Status", incident.status.label),
    ):
        if value:
            lines.append(f"{name}: {value}")
    if incident.summary:
        lines += ["", incident.summary]
    if entry.sources:
        lines += ["", "Sources:"]
        for source in entry.sources:
            grade = f" [{source.reliability.value}]" if source.reliability else ""
            address = f" {source.url}" if source.url else ""
            lines.append(f"- {source.label}{grade}{address}")
    return "\n".join(lines)


def _event(entry: Entry) -> Event | None:
    incident = entry.incident
    moment = incident.occurred
    if moment is None or incident.uid is None:
        return None
    event = Event()
    event.add("uid", event_uid(incident.uid))
    event.add("dtstamp", _stamp(incident.meta.updated_at or incident.meta.created_at))
    if incident.meta.created_at:
        event.add("created", _stamp(incident.meta.created_at))
    if incident.meta.updated_at:
        event.add("last-modified", _stamp(incident.meta.updated_at))
    event.add("sequence", max(incident.meta.version - 1, 0))
    title = incident.title or "untitled incident"
    event.add("summary", f"{incident.ref}: {title}" if incident.ref else title)
    _set_times(event, moment)
    event.add("description", _description(entry))
    where = [incident.place, incident.admin1,
             country_name(incident.country) if incident.country else None]
    if any(where):
        event.add("location", ", ".join(part for part in where if part))
    if incident.latitude is not None and incident.longitude is not None:
        event.add("geo", (incident.latitude, incident.longitude))
    categories = [c for c in (incident.event_type, *incident.tags) if c]
    if categories:
        event.add("categories", categories)
    event.add("status", "CONFIRMED" if incident.status is Status.VERIFIED else "TENTATIVE")
    url = next((web_address(s.url) for s in entry.sources if web_address(s.url)), None)
    if url is not None:
        event.add("url", url)
    event.add("x-incidentlog-precision", moment.precision.value)
    if moment.approximate:
        event.add("x-incidentlog-approximate", "TRUE")
    return event


def calendar_of(briefing: Briefing, name: str = "Incidents") -> tuple[Calendar, int]:
    """The calendar of ``briefing`` and how many incidents it holds."""
    calendar = Calendar()
    calendar.add("prodid", f"-//incidentlog//incidentlog {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    written = 0
    dates = [date(1970, 1, 1), date(2038, 1, 1)]  # the library's own range, widened
    for entry in briefing.entries:
        event = _event(entry)
        if event is not None:
            calendar.add_component(event)
            written += 1
            occurred = entry.incident.occurred
            assert occurred is not None  # _event makes none without
            dates.append(occurred.utc.date())
    # Zone rules from before the first incident to a year after the last one.
    calendar.add_missing_timezones(min(dates) - timedelta(days=2),
                                   max(dates) + timedelta(days=366))
    return calendar, written


def export_ics(
    services: Services,
    out: Path,
    flt: IncidentFilter | None = None,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> BriefingReport:
    """Write the incidents ``flt`` selects to ``out`` as an iCalendar file (atomically)."""
    out = Path(out)
    briefing = gather(services, flt, progress=progress, cancel=cancel)
    calendar, written = calendar_of(briefing)
    data = calendar.to_ical()
    with output_file(out) as handle:
        handle.write(data)
    return BriefingReport(
        out, written, 0, 0, format_name="iCalendar", undated=len(briefing.entries) - written
    )
