"""Which stored incidents may be the same as a given one; every such pair of a log.

The lookup (``candidates``) reads the incidents near in time through indexes
(store/duplicates.py), cuts them down by title likeness in one C++ call, then
scores the best with time, place, summary and the full-text rank
(domain/duplicates.py). The whole-log listing (``pairs``) sweeps the log in
time order instead, comparing each incident with those still near in time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incidentlog.domain.duplicates import (
    DEFAULT_MIN_SCORE,
    SLACK,
    Candidate,
    Probe,
    best_titles,
    rapidfuzz,
    score,
    score_bound,
)
from incidentlog.domain.records import Incident
from incidentlog.domain.when import from_utc_text
from incidentlog.store import duplicates as near
from incidentlog.store.database import Database

#: Candidates scored in full (summary, full-text rank) after the cut by title.
SHORTLIST = 40

#: The whole-log listing pairs only incidents whose titles are this alike (0-100, token
#: set): a log of a million holds many incidents of one place and day (docs/cli.md).
PAIR_TITLES = 60

#: Added incidents an import looks up (a lookup takes tens of milliseconds on a large log).
REPORT_MOST = 200
REPORT_SECONDS = 5.0

_ZERO = timedelta(0)
_WEEK = timedelta(days=8)
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two stored incidents that may be one; ``first`` is the earlier."""

    first_uid: str
    first_ref: str
    second_uid: str
    second_ref: str
    score: float
    reasons: tuple[str, ...]


def _probe_of_row(row: dict[str, Any]) -> Probe:
    return Probe(from_utc_text(row["occurred_at"]), from_utc_text(row["occurred_end"]),
                 row["title"] or "", row.get("summary") or "", row["place"], row["country"],
                 row["latitude"], row["longitude"], row["uid"])


def _shortlist(probe: Probe, rows: list[tuple[Any, ...]]) -> list[int]:
    """The ``SHORTLIST`` ids most likely the same by time, country and title: from
    ``(id, occurred_at, occurred_end, country, title)``, the index's own columns."""
    if not rows:
        return []
    titles = best_titles(probe.title, [row[4] or "" for row in rows], len(rows))
    likeness = dict(titles)
    ranked: list[tuple[float, int]] = []
    parse = datetime.fromisoformat  # C, and it reads the "Z" of the stored text (3.11)
    span = probe.end - probe.start
    for index, (row_id, start, end, country, _title) in enumerate(rows):
        # time_closeness, inlined: a few thousand rows a lookup (docs/performance.md).
        begins, ends = parse(start), parse(end)
        gap = max(probe.start, begins) - min(probe.end, ends)
        if gap > SLACK:
            continue
        longest = max(span, ends - begins)
        near = 1.0 - max(gap, _ZERO) / SLACK if longest <= _WEEK else 0.5
        same_country = 0.5 if probe.country and probe.country == country else 0.0
        ranked.append((0.35 * near + 0.25 * same_country + 0.4 * likeness.get(index, 0.0),
                       row_id))
    ranked.sort(reverse=True)
    return [row_id for _, row_id in ranked[:SHORTLIST]]


def _words(probe: Probe) -> list[str]:
    return list(dict.fromkeys(w.casefold() for w in _WORD.findall(probe.title)))[:16]


class DuplicateService:
    def __init__(self, database: Database) -> None:
        self._db = database

    def candidates(self, incident: Incident, *, limit: int = 8,
                   min_score: float = DEFAULT_MIN_SCORE) -> list[Candidate]:
        """Stored live incidents that may be ``incident`` (itself excluded), best first."""
        probe = Probe.of(incident)
        if probe is None or not (probe.title.strip() or probe.summary.strip()):
            return []
        window = near.Window(probe.start - SLACK, probe.end + SLACK, probe.country)
        with self._db.read() as connection:
            shortlist = _shortlist(probe, near.near_in_time(connection, window))
            rows = near.rows_of(connection, shortlist)
            rows = {i: r for i, r in rows.items() if r["uid"] != probe.uid}
            ranks = self._db.backend.text_rank(connection, _words(probe), list(rows))
        found: list[Candidate] = []
        for row in rows.values():
            scored = score(probe, _probe_of_row(row), ranks.get(row["id"], 0.0))
            if scored is not None and scored[0] >= min_score:
                found.append(_candidate(row, *scored))
        found.sort(key=lambda c: (-c.score, c.ref))
        return found[:limit]

    def report_for(self, uids: list[str], *, most: int = REPORT_MOST,
                   budget: float = REPORT_SECONDS) -> list[str]:
        """One line per incident of ``uids`` that may duplicate another: the first ``most``,
        for at most ``budget`` seconds (an import of thousands must not wait for this)."""
        from incidentlog.store.records import load_incidents_by_uid

        with self._db.read() as connection:
            incidents = load_incidents_by_uid(connection, uids[:most])
        lines: list[str] = []
        deadline = time.monotonic() + budget
        looked = 0
        for uid in uids[:most]:
            if time.monotonic() > deadline:
                break
            looked += 1
            incident = incidents.get(uid)
            found = self.candidates(incident, limit=3) if incident is not None else []
            if incident is not None and found:
                alike = "; ".join(f"{c.ref} ({c.percent} %: {', '.join(c.reasons)})"
                                  for c in found)
                lines.append(f"{incident.label} ({incident.title}) may be {alike}")
        if looked < len(uids):
            lines.append(f"only the first {looked:,} of {len(uids):,} added incidents were "
                         "looked at; `incidentlog duplicates` lists the whole log")
        return lines

    def pairs(self, *, min_score: float = DEFAULT_MIN_SCORE,
              progress: Callable[[int, int], None] | None = None) -> Iterator[Pair]:
        """Every pair of live incidents scoring at least ``min_score``, streamed in time order.

        The sweep keeps the incidents whose interval (plus the slack) has not ended
        yet, in blocks: those dated to the minute, hour, day or week by country;
        those dated only by month or year by country and place (their time counts
        for little, so only the same place can lift a pair above the usual scores;
        docs/cli.md). Each new incident is compared with its blocks by title in one
        C++ call, and the alike ones are scored in full. The full-text rank is left
        out: it would be one query a pair.
        """
        with self._db.read() as connection:
            total = near.live_count(connection)
            blocks: dict[tuple[str, ...], list[tuple[Probe, dict[str, Any]]]] = {}
            done = 0
            for batch in near.sweep(connection):
                for row in batch:
                    probe = _probe_of_row(row)
                    keys = _blocks_of(row)
                    for key in keys:
                        yield from _compare(probe, row, blocks, key, min_score)
                    blocks.setdefault(keys[0] if row["time_precision"] in _FINE
                                      else keys[1], []).append((probe, row))
                done += len(batch)
                if progress is not None:
                    progress(done, total)

#: Precisions whose incidents are compared across a whole country; coarser ones by place.
_FINE = frozenset({"minute", "hour", "day", "week"})


def _blocks_of(row: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The country block and the (country, place) block of a row."""
    country = row["country"] or ""
    return ("country", country), ("place", country, (row["place"] or "").casefold())


def _compare(probe: Probe, row: dict[str, Any],
             blocks: dict[tuple[str, ...], list[tuple[Probe, dict[str, Any]]]],
             key: tuple[str, ...], min_score: float) -> Iterator[Pair]:
    fuzz, process, utils = rapidfuzz()
    still = [(p, r) for p, r in blocks.get(key, ()) if p.end + SLACK > probe.start]
    blocks[key] = still
    if not still:
        return
    for _, alike, index in process.extract(
            probe.title, [p.title for p, _ in still], scorer=fuzz.token_set_ratio,
            processor=utils.default_process, score_cutoff=PAIR_TITLES, limit=None):
        other, other_row = still[index]
        if score_bound(other, probe, alike / 100) < min_score:
            continue
        scored = score(other, probe)
        if scored is not None and scored[0] >= min_score:
            yield Pair(other_row["uid"], other_row["ref"], row["uid"], row["ref"],
                       scored[0], scored[1])


def _candidate(row: dict[str, Any], total: float, reasons: tuple[str, ...]) -> Candidate:
    return Candidate(row["uid"], row["ref"], row["title"] or "", total, reasons,
                     row["occurred_at"], row["place"], row["country"])
