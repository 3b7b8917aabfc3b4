"""Every pair of a log's live incidents that may be one: a blocked sweep (docs/cli.md).

The pairs are those the lookup of services/duplicates.py would give if it were
run for every incident without its cut-offs (shortlist, limit): a pair is
listed when either incident, looked up, would show the other at ``min_score``
or more, scored by the same ``score`` (domain/duplicates.py). What makes it
fast is skipping what cannot score enough, never guessing:

- The log is swept once in time order; an incident is compared only with
  those started before it whose interval (plus the slack) has not ended:
  beyond that ``time_closeness`` gives nothing.
- Those are kept in blocks of one precision and one "where" (country, place,
  1° cell of the coordinates), in the order of their ends. For a block, the
  most its time and place can give is known without looking at a pair, hence
  the least title likeness a pair of it still needs (``title_needed``): a
  block that would need more than 100 % is skipped; the others are cut by
  title in one C++ call, titles normalized once. Only the pairs left are
  scored in full.
- The full-text rank, one query a word, is asked (when asked for) only for
  the pairs it can lift to ``min_score``: a probe's words against all its such
  partners of a batch at once.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incidentlog.domain.duplicates import (
    APART_MOST,
    FAR_KM,
    NEAR_KM,
    SLACK,
    Probe,
    distance_km,
    fold,
    overlap_closeness,
    place_closeness,
    rank_gain,
    rapidfuzz,
    score,
    summary_needed,
    text_most_without_summaries,
    text_needed,
    title_needed,
)
from incidentlog.store.duplicates import BY_COUNTRY

#: Where an incident is, as far as its place closeness to another goes:
#: (country, place, 1° cell of its coordinates or None).
_Where = tuple[str | None, str | None, tuple[int, int] | None]
_Scored = tuple[float, tuple[str, ...]]
_SLACK_S = SLACK.total_seconds()
_EPOCH = datetime(2000, 1, 1)
_COARSE = frozenset(precision.value for precision in BY_COUNTRY)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two stored incidents that may be one; ``first`` is the earlier."""

    first_uid: str
    first_ref: str
    second_uid: str
    second_ref: str
    score: float
    reasons: tuple[str, ...]


@dataclass(slots=True)
class Member:
    """An incident of the sweep."""

    probe: Probe
    row_id: int
    uid: str
    ref: str
    words: bool  # has a title or summary: its own lookup would look (services/duplicates.py)
    country: str | None
    coarse: bool  # dated to the month or year: a lookup from another country skips it

    def looks_at(self, other: Member) -> bool:
        """Whether this incident's own lookup would consider ``other`` (store/duplicates.py:
        one dated only by month or year is looked for in the probe's country, or none)."""
        return self.words and not (other.coarse and self.country and other.country is not None
                                   and other.country != self.country)


@dataclass(slots=True)
class _Block:
    """Incidents of one precision and one ``_Where``, in the order of their ends."""

    where: _Where
    shortest: float  # seconds: no member's interval is shorter
    closeness: float  # the most two overlapping intervals give, one of them a member's
    ends: list[float] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # normalized once (utils.default_process)
    members: list[Member] = field(default_factory=list)

    def add(self, end: float, title: str, member: Member) -> None:
        index = bisect.bisect_right(self.ends, end)
        self.ends.insert(index, end)
        self.titles.insert(index, title)
        self.members.insert(index, member)

    def drop_ended(self, by: float) -> None:
        index = bisect.bisect_right(self.ends, by)
        if index:
            del self.ends[:index], self.titles[:index], self.members[:index]


def _closeness(seconds: float) -> float:
    return overlap_closeness(timedelta(seconds=seconds))[0]


def _where(row: dict[str, Any]) -> _Where:
    lat, lon = row["latitude"], row["longitude"]
    cell = (math.floor(lat), math.floor(lon)) if lat is not None and lon is not None else None
    return row["country"], row["place"], cell


def _cell_reach(cell: tuple[int, int]) -> tuple[float, float, float]:
    """(centre latitude, centre longitude, km from the centre to its farthest corner)."""
    lat, lon = cell[0] + 0.5, cell[1] + 0.5
    corners = [(min(90.0, cell[0] + dy), cell[1] + dx) for dy in (0, 1) for dx in (0, 1)]
    return lat, lon, max(distance_km(lat, lon, a, b) for a, b in corners)


def _place_most(a: _Where, b: _Where) -> float:
    """The most ``place_closeness`` gives any two incidents of ``a`` and ``b``."""
    if a[2] is not None and b[2] is not None:
        # The great-circle distance is a metric: no two points of the cells are closer
        # than the centres' distance less both reaches.
        (lat1, lon1, r1), (lat2, lon2, r2) = _cell_reach(a[2]), _cell_reach(b[2])
        km = max(0.0, distance_km(lat1, lon1, lat2, lon2) - r1 - r2)
        if km <= NEAR_KM:
            return 1.0
        return 1 - (km - NEAR_KM) / (FAR_KM - NEAR_KM) if km < FAR_KM else 0.0
    one = Probe(_EPOCH, _EPOCH, place=a[1], country=a[0])
    other = Probe(_EPOCH, _EPOCH, place=b[1], country=b[0])
    return place_closeness(one, other)[0]


class PairSweep:
    """One sweep of a log: ``feed`` each live incident in (start, id) order."""

    def __init__(self, min_score: float) -> None:
        self.min_score = min_score
        #: Pairs only the full-text rank can lift to ``min_score`` (see ``lift``).
        self.borderline: list[tuple[Member, Member]] = []
        self._blocks: dict[tuple[str, _Where], _Block] = {}
        self._place_most: dict[tuple[_Where, _Where], float] = {}
        #: Per kind of probe: the blocks worth looking at, with the text likeness each
        #: needs (members overlapping the probe, members ended before it).
        self._plans: dict[tuple[_Where, float], list[tuple[_Block, float, float]]] = {}
        fuzz, process, _ = rapidfuzz()
        self._scorer, self._extract = fuzz.token_set_ratio, process.extract

    def feed(self, row: dict[str, Any], probe: Probe) -> Iterator[tuple[Member, Member, _Scored]]:
        """The pairs of ``row`` with the incidents fed before it scoring ``min_score``."""
        probe = fold(probe)
        start, end = probe.start.timestamp(), probe.end.timestamp()
        member = Member(probe, row["id"], row["uid"], row["ref"],
                        bool(probe.title.strip() or probe.summary.strip()), row["country"],
                        row["time_precision"] in _COARSE)
        title = probe.folded[0] if probe.folded else ""
        where = _where(row)
        # Members ended by then are too far (the lookup's window is open; dropped per batch).
        earliest = start - _SLACK_S
        for block, overlapping, apart in self._plan(where, _closeness(end - start)):
            ends = block.ends
            if not ends or ends[-1] <= earliest:
                continue
            low, split = bisect.bisect_right(ends, earliest), bisect.bisect_left(ends, start)
            if split < len(ends) and title_needed(overlapping) <= 1.0:
                yield from self._compare(member, title, block, split, len(ends), overlapping)
            if low < split and title_needed(apart) <= 1.0:
                yield from self._compare(member, title, block, low, split, apart)
        self._add(row["time_precision"], where, end - start, end, title, member)

    def drop_ended(self, by: float) -> None:
        """Forget what ended by ``by`` (seconds), in blocks no probe looks at too."""
        for block in self._blocks.values():
            block.drop_ended(by)

    def _compare(self, member: Member, title: str, block: _Block, low: int, high: int,
                 text: float) -> Iterator[tuple[Member, Member, _Scored]]:
        """Score ``member`` with ``block``'s members ``low:high``, whose time and place
        closeness to it can give at most what leaves ``text`` needed of the text."""
        others = block.members[low:high]
        needed = title_needed(text)
        if needed > 0:
            hits = [(index, alike / 100) for _, alike, index in self._extract(
                title, block.titles[low:high], scorer=self._scorer, processor=None,
                score_cutoff=max(0.0, needed * 100 - 1e-6), limit=None)]
        else:
            hits = [(index, 1.0) for index in range(len(others))]
        folded = member.probe.folded
        summary = folded[1] if folded is not None and member.probe.summary else None
        for index, alike in hits:
            other = others[index]
            if not (member.looks_at(other) or other.looks_at(member)):
                continue
            # The summaries compared in C++ first, against the least they need: most pairs
            # of a crowded block fail here, before the full score in Python.
            theirs = other.probe.folded
            if summary is not None and other.probe.summary and theirs is not None:
                least = summary_needed(text, alike)
                if least > 0 and not self._scorer(summary, theirs[1], processor=None,
                                                  score_cutoff=least * 100 - 1e-6):
                    continue
            elif text_most_without_summaries(alike) < text:
                continue
            scored = score(other.probe, member.probe)
            if scored is None:
                continue
            if scored[0] >= self.min_score:
                yield other, member, scored
            elif scored[0] + rank_gain(other.probe, member.probe) >= self.min_score:
                self.borderline.append((other, member))

    def _plan(self, where: _Where, time_most: float) -> list[tuple[_Block, float, float]]:
        plan = self._plans.get((where, time_most))
        if plan is None:
            plan = self._plans[where, time_most] = []
            for block in self._blocks.values():
                self._plan_block(plan, where, time_most, block)
        return plan

    def _plan_block(self, plan: list[tuple[_Block, float, float]], where: _Where,
                    time_most: float, block: _Block) -> None:
        place = self._place_most.get((where, block.where))
        if place is None:
            place = self._place_most[where, block.where] = _place_most(where, block.where)
        texts = (text_needed(min(time_most, block.closeness), place, self.min_score),
                 text_needed(APART_MOST, place, self.min_score))
        if min(title_needed(text) for text in texts) <= 1.0:
            plan.append((block, *texts))

    def _add(self, precision: str, where: _Where, length: float, end: float, title: str,
             member: Member) -> None:
        block = self._blocks.get((precision, where))
        if block is None:
            block = self._blocks[precision, where] = _Block(where, length, _closeness(length))
            for (probe_where, time_most), plan in self._plans.items():
                self._plan_block(plan, probe_where, time_most, block)
        elif length < block.shortest:
            block.shortest = length
            if _closeness(length) != block.closeness:  # seldom: a short month, DST
                block.closeness = _closeness(length)
                self._plans.clear()
        block.add(end, title, member)


def lift(borderline: list[tuple[Member, Member]], min_score: float,
         rank: Callable[[Member, list[Member]], dict[int, float]],
         ) -> list[tuple[Member, Member, _Scored]]:
    """The borderline pairs the full-text rank lifts to ``min_score``, either way round:
    ``rank(probe, others)`` gives the others' ranks (by row id) for the probe's words,
    as the probe's own lookup asks, and the pair is scored as that lookup scores it."""
    lifted: list[tuple[Member, Member, _Scored]] = []
    left = borderline
    for way in (1, 0):
        by_probe: dict[int, tuple[Member, list[tuple[Member, Member]]]] = {}
        still: list[tuple[Member, Member]] = []
        for pair in left:
            probe = pair[way]
            if probe.looks_at(pair[1 - way]):
                by_probe.setdefault(probe.row_id, (probe, []))[1].append(pair)
            else:
                still.append(pair)
        for probe, pairs in by_probe.values():
            others = [pair[1 - way] for pair in pairs]
            ranks = rank(probe, others)
            for pair, other in zip(pairs, others, strict=True):
                scored = score(probe.probe, other.probe, ranks.get(other.row_id, 0.0))
                if scored is not None and scored[0] >= min_score:
                    lifted.append((pair[0], pair[1], scored))
                else:
                    still.append(pair)
        left = still
    return lifted
