"""The whole-log listing of possible duplicates gives the pairs the per-incident lookup gives."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from itertools import combinations

import pytest

from incidentlog.domain.duplicates import SLACK, Probe, score
from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.records import Incident
from incidentlog.domain.when import Moment
from incidentlog.services import Services
from incidentlog.services import duplicates as lookup

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

#: (place, country, latitude, longitude): two sites 3 km apart, one across a border
#: 40 km away, one far off, and places known by name or country only.
PLACES = [
    ("al-Assad Airbase", "IQ", 33.7856, 42.4412),
    ("Ain al-Asad", "IQ", 33.80, 42.47),
    ("Al Qaim crossing", "IQ", 34.38, 41.02),
    ("Abu Kamal", "SY", 34.45, 40.92),
    ("Erbil Air Base", "IQ", 36.24, 43.96),
    ("Tower 22", "JO", None, None),
    ("Tower  22", None, None, None),
    ("al-Tanf garrison", "SY", None, None),
    (None, "IQ", None, None),
]
WORDS = ("rocket", "drone", "attack", "on", "base", "militia", "claims", "strike", "convoy",
         "ballistic", "missile", "launched", "intercepted", "airfield", "wounded", "soldiers")
PRECISIONS = [TimePrecision.MINUTE] * 4 + [TimePrecision.HOUR] * 2 + [TimePrecision.DAY] * 4 + [
    TimePrecision.WEEK, TimePrecision.MONTH, TimePrecision.YEAR]


def _log(rng: random.Random, count: int) -> list[Incident]:
    """Incidents crowded into ten days of a few places, titles and summaries of a few
    shared words: many pairs near every line the scoring draws."""
    made = []
    for _ in range(count):
        place, country, lat, lon = rng.choice(PLACES)
        precision = rng.choice(PRECISIONS)
        wall = datetime(2024, 1, 27) + timedelta(minutes=rng.randrange(10 * 24 * 60))
        words = rng.sample(WORDS, rng.randint(2, 6))
        made.append(Incident(
            title=f"{' '.join(words).capitalize()} near {place or country}",
            occurred=Moment.from_local(wall, precision, "Asia/Baghdad", rng.random() < 0.2),
            summary=" ".join(rng.sample(WORDS, 8)) if rng.random() < 0.7 else None,
            place=place, country=country, latitude=lat, longitude=lon,
        ))
    return made


def _looked_up(services: Services, incidents: list[Incident],
               min_score: float) -> set[frozenset[str]]:
    """The old way: every incident looked up on its own, nothing cut."""
    found: set[frozenset[str]] = set()
    for incident in incidents:
        for candidate in services.duplicates.candidates(incident, limit=10**6,
                                                        min_score=min_score):
            found.add(frozenset((incident.meta.uid, candidate.uid)))
    return found


@pytest.mark.parametrize("min_score", [0.55, 0.7])
def test_the_sweep_gives_the_pairs_of_every_lookup(
        services: Services, monkeypatch: pytest.MonkeyPatch, min_score: float) -> None:
    monkeypatch.setattr(lookup, "SHORTLIST", 10**6)  # the lookup's only cut on a small log
    incidents = [services.incidents.create(i).record for i in _log(random.Random(19), 70)]
    swept = [frozenset((p.first_uid, p.second_uid))
             for p in services.duplicates.pairs(min_score=min_score)]
    assert len(swept) == len(set(swept))
    expected = _looked_up(services, incidents, min_score)
    assert len(expected) >= 40  # the log holds pairs on both sides of every line
    assert set(swept) == expected


def _looks(a: Incident, b: Incident) -> bool:
    """Whether ``a``'s lookup considers ``b`` at all (store/duplicates.py): not more than
    the slack apart, and one dated by month or year only in ``a``'s country (or none)."""
    pa, pb = Probe.of(a), Probe.of(b)
    assert pa is not None and pb is not None and b.occurred is not None
    coarse = b.occurred.precision in (TimePrecision.MONTH, TimePrecision.YEAR)
    return (max(pa.start, pb.start) - min(pa.end, pb.end) < SLACK
            and not (coarse and a.country and b.country not in (None, a.country)))


def test_without_the_full_text_every_pair_scoring_enough(services: Services) -> None:
    incidents = [services.incidents.create(i).record for i in _log(random.Random(21), 70)]
    expected = {}
    for a, b in combinations(incidents, 2):
        pa, pb = Probe.of(a), Probe.of(b)
        assert pa is not None and pb is not None
        scored = score(pa, pb)
        if scored is not None and scored[0] >= 0.6 and (_looks(a, b) or _looks(b, a)):
            expected[frozenset((a.meta.uid, b.meta.uid))] = round(scored[0], 9)
    pairs = list(services.duplicates.pairs(min_score=0.6, full_text=False))
    assert {frozenset((p.first_uid, p.second_uid)): round(p.score, 9)
            for p in pairs} == expected
    assert len(expected) >= 40
    # The earlier of the two comes first.
    starts = {i.meta.uid: Probe.of(i).start for i in incidents}  # type: ignore[union-attr]
    assert all(starts[p.first_uid] <= starts[p.second_uid] for p in pairs)
