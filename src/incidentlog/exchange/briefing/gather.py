"""The records a briefing holds, read once for the TimelineJS, iCalendar and report exports.

The same records as the JSON and CSV exports (``exchange.scope``): the incidents the
filter selects in export order, the live sources they cite and the live quotes of
those incidents. Unlike those exports, these formats are read by people (a
published timeline, a calendar, a briefing), so the whole selection is held in
memory as domain records: a few hundred incidents, typically, a few thousand at most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import RowMapping

from incidentlog.domain.links import RelatedIncident
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident, Quote, Source
from incidentlog.exchange.reports import Cancel, Progress, Ticker
from incidentlog.exchange.scope import QUOTE_FIELDS, SOURCE_FIELDS, Scope
from incidentlog.services import Services
from incidentlog.store.records import load_incidents, quote_from_row, source_from_row

__all__ = ["Briefing", "Entry", "gather"]


@dataclass(frozen=True, slots=True)
class Entry:
    """An incident with its cited sources (earliest published first, undated ones last: the
    first is the one that reported it first) and its quotes."""

    incident: Incident
    sources: tuple[Source, ...] = ()
    #: What each cited source supports (the citation's note), by source uid.
    notes: dict[str, str] = field(default_factory=dict)
    quotes: tuple[Quote, ...] = ()
    #: Its links to related incidents, both ways (those it states first).
    related: tuple[RelatedIncident, ...] = ()


@dataclass(frozen=True, slots=True)
class Briefing:
    """What a briefing export holds, and the filter that chose it (None: the whole log)."""

    entries: tuple[Entry, ...]
    flt: IncidentFilter | None
    #: Every source of the briefing (cited, or carrying one of its quotes), by uid.
    sources: dict[str, Source] = field(default_factory=dict)

    @property
    def quote_count(self) -> int:
        return sum(len(entry.quotes) for entry in self.entries)


def _row(fields: tuple[str, ...], values: Any) -> RowMapping:
    """A streamed tuple read by name, as the store's row mappers read a row."""
    row = dict(zip(fields, values, strict=True))
    row["deleted_at"] = None  # the streams hold live records only
    return cast(RowMapping, row)


def _published_key(source: Source) -> tuple[int, str, str]:
    stamp = source.published.utc_text if source.published is not None else ""
    return (0 if stamp else 1, stamp, source.uid or "")


def gather(
    services: Services,
    flt: IncidentFilter | None = None,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> Briefing:
    """Read what ``flt`` selects in one read transaction (``Cancelled`` on cancel)."""
    database = services.database
    scope = Scope(flt, database.backend)
    ticker = Ticker(progress, cancel)
    ticker.check()
    incidents: list[tuple[Incident, list[tuple[str, str | None]]]] = []
    related: dict[str, tuple[RelatedIncident, ...]] = {}
    sources: dict[str, Source] = {}
    quotes: dict[str, list[Quote]] = {}
    with database.read() as connection:
        ticker.total = scope.counts(connection).total
        ticker.report()
        for batch in scope.incidents(connection):
            # As records, by the store's own loader (one more query per batch): the
            # briefing needs every field, the streamed tuples serve the exports' writers.
            ids = [values[0] for values in batch.rows]
            loaded = load_incidents(connection, ids)
            for row_id in ids:
                links = [(link[0], link[1]) for link in batch.links.get(row_id, [])]
                incidents.append((loaded[row_id], links))
                related[loaded[row_id].uid or ""] = tuple(batch.related.get(row_id, ()))
                ticker.step()
        for source_batch in scope.sources(connection):
            for values in source_batch.rows:
                source = source_from_row(_row(SOURCE_FIELDS, values))
                sources[source.uid or ""] = source
                ticker.step()
        for rows in scope.quotes(connection):
            for values in rows:
                quote = quote_from_row(_row(QUOTE_FIELDS, values))
                if quote.incident_uid is not None:
                    quotes.setdefault(quote.incident_uid, []).append(quote)
                ticker.step()
    entries = []
    for incident, links in incidents:
        linked = sorted((sources[uid] for uid, _ in links if uid in sources), key=_published_key)
        notes = {uid: note for uid, note in links if note}
        said = tuple(quotes.get(incident.uid or "", ()))
        entries.append(Entry(incident, tuple(linked), notes, said,
                             related.get(incident.uid or "", ())))
    ticker.done = ticker.total
    ticker.report()
    return Briefing(tuple(entries), flt, sources)
