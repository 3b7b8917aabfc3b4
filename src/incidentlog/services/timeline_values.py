"""The plain values the timeline draws, and how the store's rows become them.

Frozen values with times as POSIX seconds (UTC): cheap to build, safe to hand
across threads, and what a painter needs (x = (t − t0) / seconds per pixel).
``services/timeline.py`` reads them; see docs/timeline.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from incidentlog.domain.actors import ACTOR_LANES
from incidentlog.domain.enums import CountQualifier, TimePrecision
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Count
from incidentlog.domain.when import Moment

#: Items drawn one by one at most; above, the window is drawn as density.
ITEM_LIMIT = 5_000


def epoch(instant: datetime) -> float:
    return instant.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One incident as the timeline draws it and its tooltip describes it."""

    id: int
    uid: str
    ref: str
    title: str
    start: float
    end: float
    precision: str
    tz: str
    approximate: bool
    place: str | None = None
    country: str | None = None
    event_type: str | None = None
    perpetrator: str | None = None
    status: str = "draft"
    killed: Count = field(default_factory=Count)
    injured: Count = field(default_factory=Count)
    injured_seriously: Count = field(default_factory=Count)
    #: The named actors as (role, name), read only for lanes by actor.
    actors: tuple[tuple[str, str], ...] = ()

    @property
    def moment(self) -> Moment:
        return Moment(from_epoch(self.start), TimePrecision(self.precision), self.tz or "UTC",
                      self.approximate)

    def lane_values(self, column: str | None) -> tuple[str | None, ...]:
        """The lanes this incident is drawn in: one, or by actor one per named actor
        (in the lane's role; None when it has none there)."""
        if column not in ACTOR_LANES:
            return (self.value(column),)
        role = ACTOR_LANES[column]
        names = tuple(dict.fromkeys(name for held, name in self.actors
                                    if role is None or held == role))
        return names or (None,)

    @property
    def is_point(self) -> bool:
        """Minute and hour precision are drawn as a point, longer ones as a bar."""
        return self.precision in ("minute", "hour")

    def value(self, column: str | None) -> str | None:
        return getattr(self, column) if column else None


@dataclass(frozen=True, slots=True)
class TimelineQuote:
    uid: str
    start: float
    end: float
    precision: str
    tz: str
    speaker: str
    speaker_role: str | None
    text: str
    incident_uid: str | None

    @property
    def moment(self) -> Moment:
        return Moment(from_epoch(self.start), TimePrecision(self.precision), self.tz or "UTC")


@dataclass(frozen=True, slots=True)
class LongGroup:
    """Incidents sharing one long interval (and one value of the grouping column)."""

    start: float
    end: float
    precision: str
    value: str | None
    count: int


@dataclass(frozen=True, slots=True)
class Density:
    """Counts per bin [edges[i], edges[i+1]) for each value of ``column``."""

    edges: tuple[float, ...]
    counts: dict[str | None, tuple[float, ...]]
    column: str | None = None
    spread: bool = False  # long intervals moved over the bins they cover

    @property
    def bins(self) -> int:
        return len(self.edges) - 1

    def totals(self) -> list[float]:
        totals = [0.0] * self.bins
        for series in self.counts.values():
            for number, value in enumerate(series):
                totals[number] += value
        return totals


@dataclass(frozen=True, slots=True)
class WindowRequest:
    """What the view asks for: a padded window, how to bin it, how to group it."""

    flt: IncidentFilter
    start: datetime
    end: datetime
    edges: tuple[datetime, ...]  # density bins if the window is too dense
    column: str | None = None  # density per value of this column (lanes or colours)
    values: tuple[str | None, ...] = ()
    limit: int = ITEM_LIMIT
    quotes: bool = True  # the quote track too
    generation: int = 0  # the view's request counter: an older answer is dropped
    visible: tuple[datetime, datetime] | None = None  # the part on screen, inside the window
    incidents: bool = True  # False: the quote track only (asked for after the incidents)


@dataclass(frozen=True, slots=True)
class WindowData:
    request: WindowRequest
    items: tuple[TimelineItem, ...] | None = None  # None: density instead
    long_bands: tuple[LongGroup, ...] = ()  # items mode: long incidents not drawn one by one
    density: Density | None = None
    quotes: tuple[TimelineQuote, ...] | None = None  # None: quote_density instead
    quote_density: tuple[float, ...] | None = None  # None with quotes None: not available
    truncated: bool = False  # more items than the limit (a filter on the trash, a text)
    seconds: float = 0.0  # time spent in the database
    start: datetime | None = None  # what the answer covers (None: the request's window)
    end: datetime | None = None
    #: Items read before ``long_intervals`` answered, without the month- and year-long
    #: incidents (too many to read one by one): ask again once it has.
    long_pending: bool = False
    quotes_pending: bool = False  # the quote track is still being read

    @property
    def covers(self) -> tuple[datetime, datetime]:
        return (self.start or self.request.start, self.end or self.request.end)

    @property
    def mode(self) -> str:
        return "items" if self.items is not None else "density"


@dataclass(frozen=True, slots=True)
class Overview:
    """What the view needs once per filter: where the log is, and the lane values."""

    first: datetime | None
    last_end: datetime | None
    values: dict[str, tuple[str | None, ...]]  # column → values, sorted, None last

    @property
    def empty(self) -> bool:
        return self.first is None


# --- rows → values -------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _count(value: int | None, qualifier: str | None, low: int | None = None,
           high: int | None = None) -> Count:
    try:
        return Count(value, CountQualifier(qualifier or "unknown"), low, high)
    except ValueError:
        return Count()


@lru_cache(maxsize=16_384)
def _day_seconds(day: str) -> int:
    return (date.fromisoformat(day).toordinal() - _EPOCH_ORDINAL) * 86_400


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def stored_epoch(value: str) -> float:
    """``2024-01-20T15:30:00Z`` → POSIX seconds; 10× faster than ``strptime``, which
    mattered: converting 5,000 items took longer than reading them."""
    return float(_day_seconds(value[:10]) + int(value[11:13]) * 3600 + int(value[14:16]) * 60
                 + int(value[17:19]))


def item_of_row(row: Sequence[Any]) -> TimelineItem:
    # Positional: ITEM_COLUMNS order.
    (id_, uid, ref, title, occurred_at, occurred_end, precision, tz, approximate, place,
     country, event_type, perpetrator, status, killed, killed_q, injured, injured_q,
     killed_low, killed_high, injured_low, injured_high, seriously, seriously_q) = row
    return TimelineItem(id_, uid, ref, title, stored_epoch(occurred_at),
                        stored_epoch(occurred_end), precision, tz or "UTC", bool(approximate),
                        place, country, event_type, perpetrator, status,
                        _count(killed, killed_q, killed_low, killed_high),
                        _count(injured, injured_q, injured_low, injured_high),
                        _count(seriously, seriously_q))


_FIXED_LENGTH = {"minute": 60.0, "hour": 3600.0}


def quote_of_row(row: Sequence[Any]) -> TimelineQuote:
    uid, said_at, precision, tz, speaker, role, text, incident_uid = row
    precision = precision or "minute"
    tz = tz or "UTC"
    start = stored_epoch(said_at)
    if precision in _FIXED_LENGTH:
        end = start + _FIXED_LENGTH[precision]
    else:  # a day, week or month in its own time zone (DST, month lengths)
        begin, finish = Moment(from_epoch(start), TimePrecision(precision), tz).interval()
        start, end = begin.timestamp(), finish.timestamp()
    return TimelineQuote(uid, start, end, precision, tz, speaker or "", role, text or "",
                         incident_uid)
