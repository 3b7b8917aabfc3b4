"""The briefing report as one self-contained HTML file, from a Jinja2 template.

The template (``resources/report/briefing.html``, or a desk's own copy given as
``template``) runs in Jinja2's immutable sandbox with autoescape on: every value
from the log is escaped, and a template received from elsewhere can read the
briefing but call nothing else. The file needs nothing from the network: styles
are inline, the timeline picture is a ``data:`` URI, and a Content-Security-Policy
forbids loading anything else. The same HTML, with the picture as a resource, is
what the PDF is printed from (``gui/briefing_pdf.py``).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from incidentlog import __version__
from incidentlog.domain.actors import actors_shown
from incidentlog.domain.countries import country_name
from incidentlog.domain.enums import CONFIDENCE_MEANING
from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.harm import injured_text, killed_text
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Quote
from incidentlog.domain.when import Moment
from incidentlog.exchange.briefing.gather import Briefing, Entry, gather
from incidentlog.exchange.briefing.report import BriefingReport
from incidentlog.exchange.briefing.summary import (
    country_label,
    describe_filter,
    event_type_label,
    group_by,
    period_text,
    status_label,
    text_direction,
    total,
)
from incidentlog.exchange.briefing.timelinejs import web_address
from incidentlog.exchange.files import output_file
from incidentlog.exchange.reports import Cancel, Progress
from incidentlog.services import Services

__all__ = ["DEFAULT_TITLE", "default_template", "export_html", "png_data_uri", "render_report"]

DEFAULT_TITLE = "Incident briefing"


def default_template() -> str:
    """The template incidentlog ships (a desk copies it to adapt it)."""
    return (
        resources.files("incidentlog.resources")
        .joinpath("report", "briefing.html")
        .read_text(encoding="utf-8")
    )


def _direction(text: object) -> str:
    """``rtl`` for text whose first strong letter is right-to-left, else ``auto``
    (a browser then decides; Qt's renderer takes it as left to right)."""
    return "rtl" if text_direction(str(text or "")) == "rtl" else "auto"


def _moment(moment: Moment | None) -> str:
    return moment.display() if moment is not None else ""


def _speaker(quote: Quote) -> str:
    who = quote.speaker or "unknown speaker"
    if quote.speaker_role:
        who += f", {quote.speaker_role}"
    if quote.speaker_org:
        who += f" ({quote.speaker_org})"
    return who


def _facts(entry: Entry) -> list[tuple[str, str]]:
    """The incident's facts that are known, as (name, text) rows."""
    i = entry.incident
    when = ""
    if i.occurred is not None:
        when = f"{i.occurred.display()} ({i.occurred.precision.label} precision)"
    where = ", ".join(p for p in (i.place, i.admin1, country_name(i.country) if i.country
                                  else None) if p)
    coordinates = (f"{i.latitude:.5f}, {i.longitude:.5f}"
                   if i.latitude is not None and i.longitude is not None else "")
    if coordinates and i.geo_precision is not None:
        coordinates += f" ({i.geo_precision.label})"
    perpetrator = i.perpetrator or ""
    if perpetrator and i.attribution.value != "unknown":
        perpetrator += f" ({i.attribution.label})"
    confidence = (f"{i.confidence} – {CONFIDENCE_MEANING.get(i.confidence, '')}"
                  if i.confidence is not None else "")
    rows = [
        ("When", when), ("Where", where), ("Coordinates", coordinates),
        ("Event type", i.event_type or ""), ("Weapons", i.weapons or ""),
        ("Launched", "" if i.launched is None else str(i.launched)),
        ("Intercepted", "" if i.intercepted is None else str(i.intercepted)),
        ("Perpetrator", perpetrator),
        ("Actors", actors_shown(i.actors, i.perpetrator, i.attribution) or ""),
        ("Target", i.target or ""),
        ("Killed", killed_text(i)), ("Injured", injured_text(i)),
        ("Status", i.status.label), ("Confidence", confidence),
        ("Tags", ", ".join(i.tags)),
    ]
    return [(name, value) for name, value in rows if value]


def _environment() -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(autoescape=True, trim_blocks=False)
    environment.filters.update(
        dir=_direction, moment=_moment, speaker=_speaker, facts=_facts,
        web=lambda url: web_address(url) is not None,
    )
    return environment


def render_report(
    briefing: Briefing,
    *,
    template: Path | None = None,
    timeline_src: str | None = None,
    timeline_size: tuple[int, int] | None = None,
    title: str = DEFAULT_TITLE,
) -> str:
    """The report's HTML. ``timeline_src``: the picture's address (a ``data:`` URI, or the
    name of a resource of the PDF's document); ``timeline_size`` the (width, height) to
    draw it at, in pixels (else the page's width)."""
    source = default_template() if template is None else _read_template(template)
    incidents = [entry.incident for entry in briefing.entries]
    values: dict[str, Any] = {
        "title": title,
        "version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "period": period_text(i.occurred for i in incidents),
        "filter_lines": describe_filter(briefing.flt),
        "counts": {"incidents": len(incidents), "sources": len(briefing.sources),
                   "quotes": briefing.quote_count},
        "total": total(incidents),
        "summary_tables": [
            ("Event type", group_by(incidents, event_type_label)),
            ("Country", group_by(incidents, country_label)),
            ("Status", group_by(incidents, status_label)),
        ],
        "timeline_src": timeline_src,
        "timeline_size": timeline_size,
        "entries": briefing.entries,
        "sources": briefing.sources,
    }
    try:
        return _environment().from_string(source).render(values)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)  # syntax errors know their line
        where = f"line {line}: " if line else ""
        raise ExchangeError(
            f"the report template cannot be used: {where}{exc.message or exc}",
            file=str(template) if template is not None else None,
        ) from exc


def _read_template(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExchangeError(f"the report template cannot be read: {exc}", file=str(path)) from exc


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def export_html(
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
    """Write the report of what ``flt`` selects to ``out`` as one HTML file (atomically).

    ``timeline_png``: the timeline picture (``gui/timeline/report_picture.py`` draws it;
    the headless layers cannot), embedded in the file.
    """
    out = Path(out)
    if template is not None:
        _read_template(template)  # a missing template fails before the log is read
    briefing = gather(services, flt, progress=progress, cancel=cancel)
    src = png_data_uri(timeline_png) if timeline_png else None
    text = render_report(briefing, template=template, timeline_src=src, title=title)
    with output_file(out) as handle:
        handle.write(text.encode("utf-8"))
    return BriefingReport(out, len(briefing.entries), len(briefing.sources),
                          briefing.quote_count, format_name="HTML report")
