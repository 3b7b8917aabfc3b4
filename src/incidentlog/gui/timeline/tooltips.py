"""What a hover over the timeline tells: an incident, a quote, a bin of counts, a band
of long incidents or a period.

Tooltips are Qt rich text: every value that comes from the log is escaped.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication

from incidentlog.domain.harm import harm_text
from incidentlog.domain.records import Period
from incidentlog.domain.when import zone
from incidentlog.gui.timeline.layout import Layout
from incidentlog.gui.timeline.paint_chrome import step_name
from incidentlog.gui.timeline.scale import describe_span
from incidentlog.gui.timeline.style import CAPTION, ROW, value_label
from incidentlog.services.timeline import TimelineItem, TimelineQuote


def incident_tooltip(item: TimelineItem) -> str:
    """Title, local time (``Moment.display``), place, casualties: what a hover tells."""
    moment = item.moment
    start, end = moment.interval()
    when = moment.display()
    if not item.is_point:
        when += f" ({_tr_timeline(item.precision)})"
    where = ", ".join(part for part in (item.place, value_label("country", item.country)
                                        if item.country else None) if part)
    lines = [f"<b>{html.escape(item.ref)}</b> {html.escape(item.title)}",
             html.escape(when)]
    if start.tzinfo is not None and moment.tz != "UTC":
        lines.append(f"<span style='color:#777'>{start:%Y-%m-%d %H:%M} UTC"
                     + (f" – {end:%Y-%m-%d %H:%M} UTC" if not item.is_point else "")
                     + "</span>")
    if where:
        lines.append(html.escape(where))
    kind = " · ".join(part for part in (item.event_type, value_label("status", item.status))
                      if part)
    if kind:
        lines.append(html.escape(kind))
    injured = harm_text(item.injured, seriously=item.injured_seriously)
    lines.append(html.escape(f"{_count_text(_tr_timeline('killed'), item.killed)} · "
                             f"{_tr_timeline('injured')}: {injured}"))
    return "<br>".join(lines)


def quote_tooltip(quote: TimelineQuote) -> str:
    who = quote.speaker + (f", {quote.speaker_role}" if quote.speaker_role else "")
    text = quote.text if len(quote.text) <= 280 else quote.text[:279] + "…"
    return (f"<b>{html.escape(who)}</b><br>{html.escape(quote.moment.display())}"
            f"<br><i>“{html.escape(text)}”</i>")


def density_tooltip(layout: Layout, t: float, y: float, tz: str) -> str | None:
    """The counts of the bin at instant ``t`` in the lane at scene ``y``."""
    density = layout.density
    assert density is not None
    edges = density.edges
    number = next((n for n in range(len(edges) - 1) if edges[n] <= t < edges[n + 1]), None)
    if number is None:
        return None
    lane = next((lane for lane in layout.lanes if lane.y <= y < lane.y + lane.height), None)
    if lane is None:
        return None
    first = datetime.fromtimestamp(edges[number], zone(tz))
    last = datetime.fromtimestamp(edges[number + 1], zone(tz)) - timedelta(seconds=1)
    when = (f"{first:%d %b %Y}" if first.date() == last.date()
            else f"{first:%d %b %Y} – {last:%d %b %Y}")
    rows = []
    if layout.lane_column:
        count = density.counts.get(lane.value, ())[number] if lane.value in \
            density.counts else 0.0
        rows.append(f"{html.escape(lane.title)}: {count:,.0f}")
    else:
        for value, series in density.counts.items():
            if series[number] >= 0.5:
                label = (value_label(density.column, value)
                         if density.column else _tr("incidents"))
                rows.append(f"{html.escape(label)}: {series[number]:,.0f}")
    total = sum(series[number] for series in density.counts.values())
    head = _tr("%1 incidents").replace("%1", f"{total:,.0f}")
    return f"<b>{when}</b> ({html.escape(tz)})<br>{head}<br>" + "<br>".join(rows)


def band_tooltip(layout: Layout, y: float) -> str | None:
    """The long incidents summarized in the band of the lane at scene ``y``."""
    for lane in layout.lanes:
        if not lane.band:
            continue
        top = lane.y + (CAPTION if layout.lane_column else 0.0)
        if top <= y < top + ROW:
            by_precision: dict[str, int] = {}
            for group in lane.band:
                by_precision[group.precision] = by_precision.get(group.precision, 0) + \
                    group.count
            names = {"month": _tr("dated to the month"), "year": _tr("dated to the year")}
            parts = [f"{count:,} {names.get(p, p)}"
                     for p, count in sorted(by_precision.items())]
            return (_tr("Too many long incidents to draw one by one here:") + "<br>"
                    + "<br>".join(parts) + "<br>"
                    + _tr("Zoom out to see them as counts, or filter."))
    return None


def period_tooltip(period: Period) -> str | None:
    if not (period.start and period.end):
        return None
    return (f"<b>{html.escape(period.label)}</b><br>"
            f"{period.start.display()} – {period.end.display()}"
            + (f"<br>{html.escape(period.notes)}" if period.notes else ""))


def describe(layout: Layout | None, seconds: float) -> str:
    """The view in a sentence, for a screen reader (its accessible description)."""
    span = describe_span(seconds)
    if layout is None:
        return _tr("Timeline, loading")
    if layout.density is not None:
        return _tr("Timeline of %1, too many incidents to draw one by one: "
                   "counts per period shown").replace("%1", span)
    return _tr("Timeline of %1 showing %2 incidents and %3 quotes").replace(
        "%1", span).replace("%2", str(len(layout.by_uid))).replace(
        "%3", str(len(layout.quotes)))


def shown_counts(layout: Layout | None) -> str:
    """What the timeline shows, for the status bar: "On the timeline: 5 incidents, 1 quote"."""
    if layout is None:
        return _tr("Loading…")
    if layout.density is not None:
        return _tr("Too many incidents to draw one by one: counts per %1").replace(
            "%1", step_name(layout.data))
    incidents, quotes = len(layout.by_uid), len(layout.quotes)  # by_uid: once per incident
    return _tr("On the timeline: %1, %2").replace(
        "%1", (_tr("1 incident") if incidents == 1 else _tr("%1 incidents")).replace(
            "%1", f"{incidents:,}")).replace(
        "%2", (_tr("1 quote") if quotes == 1 else _tr("%1 quotes")).replace(
            "%1", f"{quotes:,}"))


def _count_text(label: str, count: Any) -> str:
    return f"{label}: {count.display()}"


def _tr(text: str) -> str:
    return QCoreApplication.translate("TimelineView", text)


def _tr_timeline(text: str) -> str:
    return QCoreApplication.translate("Timeline", text)


__all__ = ["band_tooltip", "density_tooltip", "describe", "incident_tooltip", "period_tooltip",
           "quote_tooltip"]
