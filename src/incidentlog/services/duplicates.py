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
from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from typing import Any

from incidentlog.domain.duplicates import (
    DEFAULT_MIN_SCORE,
    SLACK,
    Candidate,
    Probe,
    best_titles,
    score,
)
from incidentlog.domain.records import Incident
from incidentlog.domain.when import from_utc_text
from incidentlog.services.duplicate_pairs import Pair, PairSweep, lift
from incidentlog.store import duplicates as near
from incidentlog.store.database import Database

#: Candidates scored in full (summary, full-text rank) after the cut by title.
SHORTLIST = 40

#: Added incidents an import looks up (a lookup takes tens of milliseconds on a large log).
REPORT_MOST = 200
REPORT_SECONDS = 5.0

_ZERO = timedelta(0)
_WEEK = timedelta(days=8)
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


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

    def pairs(self, *, min_score: float = DEFAULT_MIN_SCORE, full_text: bool = True,
              progress: Callable[[int, int], None] | None = None,
              ) -> Generator[Pair, None, None]:
        """Every pair of live incidents that the lookup of either would show at
        ``min_score`` or more (services/duplicate_pairs.py), streamed in time order a batch
        at a time; ``full_text=False`` leaves out the rank (fewer pairs near the line)."""
        sweep = PairSweep(min_score)
        with self._db.read() as connection:

            def rank(probe: Any, others: list[Any]) -> dict[int, float]:
                return self._db.backend.text_rank(connection, _words(probe.probe),
                                                  [other.row_id for other in others])

            total = near.live_count(connection)
            done = 0
            for batch in near.sweep(connection):
                for row in batch:
                    for first, second, scored in sweep.feed(row, _probe_of_row(row)):
                        yield _pair(first, second, scored)
                if full_text:
                    for first, second, scored in lift(sweep.borderline, min_score, rank):
                        yield _pair(first, second, scored)
                sweep.borderline.clear()
                sweep.drop_ended(from_utc_text(batch[-1]["occurred_at"]).timestamp()
                                 - SLACK.total_seconds())
                done += len(batch)
                if progress is not None:
                    progress(done, total)


def _pair(first: Any, second: Any, scored: tuple[float, tuple[str, ...]]) -> Pair:
    return Pair(first.uid, first.ref, second.uid, second.ref, scored[0], scored[1])


def _candidate(row: dict[str, Any], total: float, reasons: tuple[str, ...]) -> Candidate:
    return Candidate(row["uid"], row["ref"], row["title"] or "", total, reasons,
                     row["occurred_at"], row["place"], row["country"])
