"""Whether two incidents may be the same one: a score and the reasons a person reads.

Pure: no database. ``store/duplicates.py`` fetches the incidents near in time,
``services/duplicates.py`` scores them here. Three things count
(docs/user-guide.md, "Duplicates and merging"):

- time: the two intervals the precisions imply ("20 Jan 2024" is a whole day)
  overlap, or lie a few hours or days apart;
- place: kilometres apart when both have coordinates, else the same place
  name, else the same country;
- text: how alike titles and summaries are (``rapidfuzz``), and the rank the
  store's full-text index gives the candidate for the typed words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from incidentlog.domain.records import Incident

#: How far apart two intervals may lie and still be looked at.
SLACK = timedelta(days=2)

#: Below this score a candidate is not shown (the CLI's ``--min-score`` default).
DEFAULT_MIN_SCORE = 0.55

#: Kilometres under which two places count as the same site, and beyond which as unrelated.
NEAR_KM = 5.0
FAR_KM = 150.0

#: The start of a summary compared: the lead says what happened; the rest costs time.
SUMMARY_CHARS = 400

_WEIGHTS = {"time": 0.35, "place": 0.25, "text": 0.40}
#: Within the text: titles, summaries (when both have one), the full-text rank.
_TITLE, _SUMMARY, _RANK = 0.6, 0.25, 0.15
_DAY = timedelta(days=1)


_RAPIDFUZZ: tuple[Any, Any, Any] | None = None


def rapidfuzz() -> tuple[Any, Any, Any]:
    """``(fuzz, process, utils)``, imported on first use: start-up stays lean."""
    global _RAPIDFUZZ
    if _RAPIDFUZZ is None:
        from rapidfuzz import fuzz, process, utils

        _RAPIDFUZZ = (fuzz, process, utils)
    return _RAPIDFUZZ


@dataclass(frozen=True, slots=True)
class Probe:
    """What is compared of an incident: typed in the form, imported, or stored."""

    start: datetime
    end: datetime
    title: str = ""
    summary: str = ""
    place: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    uid: str | None = None
    #: The title and the compared start of the summary already normalized (``fold``), when
    #: one probe is compared with many: rapidfuzz need not normalize them each time.
    folded: tuple[str, str] | None = None

    @classmethod
    def of(cls, incident: Incident) -> Probe | None:
        """The probe for ``incident``; None without a time (nothing to be near to)."""
        if incident.occurred is None:
            return None
        start, end = incident.occurred.interval()
        return cls(start, end, incident.title or "", incident.summary or "", incident.place,
                   incident.country, incident.latitude, incident.longitude, incident.meta.uid)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored incident that may be the same as the probe."""

    uid: str
    ref: str
    title: str
    score: float  # 0..1
    reasons: tuple[str, ...]
    occurred_at: str = ""
    place: str | None = None
    country: str | None = None

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def overlap_closeness(longest: timedelta) -> tuple[float, str]:
    """The closeness of two overlapping intervals, the longer ``longest``: the coarser
    either's precision, the less an overlap says (never more for a longer one)."""
    if longest <= timedelta(hours=1):
        return 1.0, "same hour"
    if longest <= _DAY + timedelta(hours=1):  # a day is 23-25 h across DST
        return 1.0, "same day"
    if longest <= timedelta(days=8):
        return 0.75, "same week"
    if longest <= timedelta(days=32):
        return 0.55, "same month"
    return 0.35, "same year"


#: The most time closeness two intervals lying apart can give (``time_closeness``).
APART_MOST = 0.9


def fold(probe: Probe) -> Probe:
    """``probe`` with its ``folded`` texts (the same scores, less work per comparison)."""
    _, _, utils = rapidfuzz()
    return replace(probe, folded=(utils.default_process(probe.title),
                                  utils.default_process(probe.summary[:SUMMARY_CHARS])))


def time_closeness(a: Probe, b: Probe) -> tuple[float, str] | None:
    """0..1 and a reason; None when the intervals lie more than ``SLACK`` apart."""
    gap = max(a.start, b.start) - min(a.end, b.end)
    if gap <= timedelta(0):
        return overlap_closeness(max(a.end - a.start, b.end - b.start))
    if gap > SLACK:
        return None
    closeness = APART_MOST * (1 - gap / SLACK)
    if gap < timedelta(hours=1):
        minutes = max(1, round(gap / timedelta(minutes=1)))
        return closeness, f"{minutes} minute{'s' if minutes != 1 else ''} apart"
    if gap < _DAY:
        hours = max(1, round(gap / timedelta(hours=1)))
        return closeness, f"{hours} hour{'s' if hours != 1 else ''} apart"
    days = round(gap / _DAY)
    return closeness, f"{days} day{'s' if days != 1 else ''} apart"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def place_closeness(a: Probe, b: Probe) -> tuple[float, str | None]:
    """0..1 and a reason (None when nothing is known either way)."""
    if None not in (a.latitude, a.longitude, b.latitude, b.longitude):
        km = distance_km(a.latitude, a.longitude, b.latitude, b.longitude)  # type: ignore[arg-type]
        if km <= NEAR_KM:
            return 1.0, "same site" if km < 0.5 else f"{km:.0f} km apart"
        if km < FAR_KM:
            return 1 - (km - NEAR_KM) / (FAR_KM - NEAR_KM), f"{km:.0f} km apart"
        return 0.0, None
    fuzz, _, utils = rapidfuzz()
    if a.place and b.place and fuzz.ratio(a.place, b.place, processor=utils.default_process) >= 90:
        return 1.0, "same place"
    if a.country and b.country:
        return (0.5, "same country") if a.country == b.country else (0.0, None)
    return 0.3, None  # one side does not say where: neither for nor against


def text_likeness(a: Probe, b: Probe, rank: float = 0.0) -> tuple[float, str | None]:
    """0..1 from the titles, the summaries and the full-text ``rank`` (0..1)."""
    fuzz, _, utils = rapidfuzz()
    if a.folded is not None and b.folded is not None:
        titles, summaries, processor = (a.folded[0], b.folded[0]), (a.folded[1], b.folded[1]), None
    else:
        titles = (a.title, b.title)
        summaries = (a.summary[:SUMMARY_CHARS], b.summary[:SUMMARY_CHARS])
        processor = utils.default_process
    title = fuzz.token_set_ratio(*titles, processor=processor) / 100
    parts = [(title, _TITLE)]
    if a.summary and b.summary:
        summary = fuzz.token_set_ratio(*summaries, processor=processor) / 100
        parts.append((summary, _SUMMARY))
    parts.append((rank, _RANK))
    weight = sum(w for _, w in parts)
    likeness = sum(v * w for v, w in parts) / weight
    return likeness, f"title {title * 100:.0f} % alike" if title >= 0.5 else None


def score(a: Probe, b: Probe, rank: float = 0.0) -> tuple[float, tuple[str, ...]] | None:
    """How likely ``a`` and ``b`` are one incident, and why; None when too far apart in time."""
    time = time_closeness(a, b)
    if time is None:
        return None
    place, place_reason = place_closeness(a, b)
    text, text_reason = text_likeness(a, b, rank)
    total = (_WEIGHTS["time"] * time[0] + _WEIGHTS["place"] * place
             + _WEIGHTS["text"] * text)
    reasons = tuple(r for r in (time[1], place_reason, text_reason) if r)
    return total, reasons


def score_bound(a: Probe, b: Probe, title: float) -> float:
    """The most ``score`` can give a pair whose titles are ``title`` (0..1) alike, without
    the summaries (the costly part) or the full-text rank; 0 when too far apart in time."""
    time = time_closeness(a, b)
    if time is None:
        return 0.0
    place, _ = place_closeness(a, b)
    return (_WEIGHTS["time"] * time[0] + _WEIGHTS["place"] * place
            + _WEIGHTS["text"] * _text_most(title))


def _text_most(title: float) -> float:
    # text_likeness is at most 0.6 title + 0.25 summary + 0.15 rank over weights <= 1
    # (without summaries (0.6 title + 0.15 rank) / 0.75, never more).
    return min(1.0, _TITLE * title + _SUMMARY + _RANK)


def text_needed(time: float, place: float, min_score: float) -> float:
    """The least text likeness with which a pair whose time and place closeness are at
    most ``time`` and ``place`` can still score ``min_score``."""
    return (min_score - _WEIGHTS["time"] * time - _WEIGHTS["place"] * place) / _WEIGHTS["text"]


def title_needed(text: float) -> float:
    """The least title likeness (0..1, token set) with which a pair can reach the text
    likeness ``text`` (``score_bound`` turned round): above 1 when none can."""
    return (text - _SUMMARY - _RANK) / _TITLE


def summary_needed(text: float, title: float) -> float:
    """The least summary likeness with which a pair of both summaries and titles
    ``title`` alike can reach the text likeness ``text`` (the rank at its most)."""
    return (text - _TITLE * title - _RANK) / _SUMMARY


def text_most_without_summaries(title: float) -> float:
    """The most text likeness a pair lacking a summary on one side reaches, titles
    ``title`` alike (the rank at its most)."""
    return (_TITLE * title + _RANK) / (_TITLE + _RANK)


def rank_gain(a: Probe, b: Probe) -> float:
    """What a full-text rank of 1 adds to ``score(a, b)`` over a rank of 0."""
    weight = _TITLE + (_SUMMARY if a.summary and b.summary else 0.0) + _RANK
    return _WEIGHTS["text"] * _RANK / weight


def best_titles(title: str, titles: Sequence[str], keep: int) -> list[tuple[int, float]]:
    """(index, 0..1) of the ``keep`` titles most like ``title`` (one call, in C++)."""
    fuzz, process, utils = rapidfuzz()

    found = process.extract(title, titles, scorer=fuzz.token_set_ratio,
                            processor=utils.default_process, limit=keep)
    return [(index, alike / 100) for _, alike, index in found]
