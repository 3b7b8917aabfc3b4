"""The columns of the incident, source and quote tables, defined once.

The GUI table and the CSV export both read these, so that what a reviewer
sees on screen and what a colleague opens in a spreadsheet have the same
columns, in the same order, with the same words: labels rather than stored
codes ("in review", not ``in_review``), counts as "at least 5" or "unknown"
(unknown is not zero), and moments in the local time the report used
("20 Jan 2024 ~18:30 Baghdad").

Plain Python: no Qt, no SQL. ``sort`` names the column the store sorts by
(``INCIDENT_SORT_COLUMNS`` for incidents; ``store.queries.SOURCE_SORT_COLUMNS``
and ``QUOTE_SORT_COLUMNS`` for sources and quotes), or is None when the table
cannot sort by that column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from incidentlog.domain.actors import actors_text
from incidentlog.domain.enums import CONFIDENCE_MEANING
from incidentlog.domain.records import Incident, Quote, Source
from incidentlog.domain.when import Moment

__all__ = [
    "INCIDENT_COLUMNS",
    "QUOTE_COLUMNS",
    "SOURCE_COLUMNS",
    "Column",
    "column_by_key",
    "confidence_text",
    "moment_text",
    "number_text",
]

T = TypeVar("T")

#: Between the items of a many-valued cell (tags, cited sources). A semicolon,
#: not a comma, because tags and titles often contain commas.
LIST_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class Column(Generic[T]):
    """One column: its stable key, its header, how a record reads in it, how it sorts.

    ``numeric`` marks cells that hold a number we formatted ourselves (counts of
    munitions, coordinates): a view right-aligns them, and the CSV export
    leaves them as numbers instead of neutralizing a leading minus sign.
    """

    key: str
    header: str
    text: Callable[[T], str]
    sort: str | None = None
    numeric: bool = False


def _plain(value: str | None) -> str:
    return value or ""


def number_text(value: int | float | None) -> str:
    """An optional number as a spreadsheet reads it: ``-33.1``, ``12``, or empty.

    ``repr`` of a float is the shortest text that reads back as the same
    number, so a coordinate survives a CSV round trip exactly.
    """
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def moment_text(moment: Moment | None) -> str:
    """What a person reads for a moment, in its local time zone; empty when unknown."""
    return moment.display() if moment is not None else ""


def confidence_text(confidence: int | None) -> str:
    """``2 – probably true``: the grade with its meaning on the Admiralty scale."""
    if confidence is None:
        return ""
    meaning = CONFIDENCE_MEANING.get(confidence)
    return f"{confidence} – {meaning}" if meaning else str(confidence)


def _incident_columns() -> tuple[Column[Incident], ...]:
    c = Column
    return (
        c("ref", "Ref", lambda i: _plain(i.ref), "ref"),
        c("occurred", "Occurred", lambda i: moment_text(i.occurred), "occurred_at"),
        c("title", "Title", lambda i: _plain(i.title), "title"),
        c("place", "Place", lambda i: _plain(i.place), "place"),
        c("admin1", "Province", lambda i: _plain(i.admin1), "admin1"),
        c("country", "Country", lambda i: _plain(i.country), "country"),
        c("event_type", "Event type", lambda i: _plain(i.event_type), "event_type"),
        c("weapons", "Weapons", lambda i: _plain(i.weapons), None),
        c("launched", "Launched", lambda i: number_text(i.launched), "launched", numeric=True),
        c(
            "intercepted",
            "Intercepted",
            lambda i: number_text(i.intercepted),
            "intercepted",
            numeric=True,
        ),
        c("perpetrator", "Perpetrator", lambda i: _plain(i.perpetrator), "perpetrator"),
        c("attribution", "Attribution", lambda i: i.attribution.label, "attribution"),
        c("actors", "Actors", lambda i: actors_text(i.actors), None),
        c("target", "Target", lambda i: _plain(i.target), "target"),
        c("killed", "Killed", lambda i: i.killed.display(), "killed"),
        c("injured", "Injured", lambda i: i.injured.display(), "injured"),
        c("status", "Status", lambda i: i.status.label, "status"),
        c("confidence", "Confidence", lambda i: confidence_text(i.confidence), "confidence"),
        c("tags", "Tags", lambda i: LIST_SEPARATOR.join(i.tags), None),
        c("summary", "Summary", lambda i: _plain(i.summary), None),
        c("latitude", "Latitude", lambda i: number_text(i.latitude), None, numeric=True),
        c("longitude", "Longitude", lambda i: number_text(i.longitude), None, numeric=True),
        c(
            "geo_precision",
            "Location precision",
            lambda i: i.geo_precision.label if i.geo_precision else "",
            None,
        ),
    )


def _source_columns() -> tuple[Column[Source], ...]:
    c = Column
    return (
        c("kind", "Kind", lambda s: s.kind.label, "kind"),
        c("title", "Title", lambda s: _plain(s.title), "title"),
        c("outlet", "Outlet", lambda s: _plain(s.outlet), "outlet"),
        c("author", "Author", lambda s: _plain(s.author), None),
        c("handle", "Handle", lambda s: _plain(s.handle), "handle"),
        c("published", "Published", lambda s: moment_text(s.published), "published_at"),
        c("url", "URL", lambda s: _plain(s.url), "url"),
        c(
            "reliability",
            "Reliability",
            lambda s: s.reliability.label if s.reliability else "",
            "reliability",
        ),
        c("language", "Language", lambda s: _plain(s.language), None),
        c("excerpt", "Excerpt", lambda s: _plain(s.excerpt), None),
        c("archive_url", "Archive URL", lambda s: _plain(s.archive_url), None),
        c("accessed_at", "Accessed (UTC)", lambda s: _plain(s.accessed_at), None),
        c("sha256", "SHA-256 of the copy", lambda s: _plain(s.sha256), None),
        c("notes", "Notes", lambda s: _plain(s.notes), None),
    )


def _quote_columns() -> tuple[Column[Quote], ...]:
    c = Column
    return (
        c("speaker", "Speaker", lambda q: _plain(q.speaker), "speaker"),
        c("speaker_role", "Role", lambda q: _plain(q.speaker_role), "speaker_role"),
        c("speaker_org", "Organisation", lambda q: _plain(q.speaker_org), "speaker_org"),
        c("text", "Quote", lambda q: _plain(q.text), "text"),
        c("said", "Said", lambda q: moment_text(q.said), "said_at"),
        c("language", "Language", lambda q: _plain(q.language), None),
        c("context", "Context", lambda q: _plain(q.context), None),
    )


#: What the incident table shows and incidents.csv holds, in reading order.
INCIDENT_COLUMNS: tuple[Column[Incident], ...] = _incident_columns()
#: What the sources table shows and sources.csv holds.
SOURCE_COLUMNS: tuple[Column[Source], ...] = _source_columns()
#: What the quotes table shows and quotes.csv holds.
QUOTE_COLUMNS: tuple[Column[Quote], ...] = _quote_columns()


def column_by_key(columns: tuple[Column[T], ...], key: str) -> Column[T]:
    """The column called ``key``; ``KeyError`` naming the known keys otherwise."""
    for column in columns:
        if column.key == key:
            return column
    raise KeyError(f"no column {key!r}; known: {', '.join(c.key for c in columns)}")
