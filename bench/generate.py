"""Generate a realistic incident log of any size, straight into a new database.

Incidents have titles and summaries of 200–400 characters mixing English and
Arabic words, places, countries, event types, every time precision and
several time zones; about two sources and one quote per incident, a share of
the sources cited by several incidents. Rows go in through bulk inserts (the
FTS triggers and indexes of the real schema do their work), so a million
incidents take minutes, not hours.

    python -m bench.generate --db /tmp/log-1m.sqlite3 --incidents 1000000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.when import Moment, to_utc_text
from incidentlog.store.database import open_database
from incidentlog.store.schema import (
    incident_source_table,
    incident_table,
    incident_tag_table,
    quote_table,
    source_table,
)

PLACES = [
    ("al-Assad Airbase", "Al Anbar", "IQ", 33.785, 42.441, "Asia/Baghdad"),
    ("Erbil Air Base", "Erbil", "IQ", 36.237, 43.963, "Asia/Baghdad"),
    ("Baghdad Diplomatic Support Center", "Baghdad", "IQ", 33.262, 44.234, "Asia/Baghdad"),
    ("Harir Air Base", "Erbil", "IQ", 36.536, 44.350, "Asia/Baghdad"),
    ("Ain al-Asad", "Al Anbar", "IQ", 33.800, 42.440, "Asia/Baghdad"),
    ("al-Tanf garrison", "Homs", "SY", 33.494, 38.618, "Asia/Damascus"),
    ("Mission Support Site Euphrates", "Deir ez-Zor", "SY", 35.000, 40.400, "Asia/Damascus"),
    ("Conoco gas field", "Deir ez-Zor", "SY", 35.330, 40.290, "Asia/Damascus"),
    ("Rumalyn Landing Zone", "Al-Hasakah", "SY", 36.900, 41.900, "Asia/Damascus"),
    ("Tower 22", "Mafraq", "JO", 33.320, 38.690, "Asia/Amman"),
    ("Camp Lemonnier", "Djibouti", "DJ", 11.547, 43.159, "Africa/Djibouti"),
    ("Red Sea shipping lane", None, "YE", 14.000, 42.000, "Asia/Aden"),
    ("Nevatim Airbase", "Southern District", "IL", 31.208, 35.012, "Asia/Jerusalem"),
    ("Isfahan", "Isfahan", "IR", 32.650, 51.670, "Asia/Tehran"),
    ("Kuwait Camp Arifjan", "Al Ahmadi", "KW", 28.880, 48.160, "Asia/Kuwait"),
]
EVENT_TYPES = [
    "rocket attack",
    "drone attack",
    "ballistic missile attack",
    "indirect fire",
    "IED",
    "retaliatory strike",
    "air strike",
    "mortar attack",
]
PERPETRATORS = [
    "Iranian-backed militants",
    "Islamic Resistance in Iraq",
    "Kata'ib Hezbollah",
    "Harakat al-Nujaba",
    "U.S. forces",
    None,
]
WEAPONS = [
    "rockets",
    "one-way attack drones",
    "ballistic missiles",
    "mortars",
    "107mm rockets",
    None,
]
ENGLISH = [
    "attack",
    "base",
    "militants",
    "rockets",
    "drones",
    "missiles",
    "launched",
    "intercepted",
    "forces",
    "coalition",
    "personnel",
    "injured",
    "officials",
    "reported",
    "statement",
    "retaliation",
    "strike",
    "airbase",
    "camp",
    "convoy",
    "escalation",
    "regional",
    "tensions",
    "damage",
    "casualties",
    "defense",
    "ballistic",
    "fired",
    "province",
    "early",
    "morning",
    "evening",
    "sirens",
    "response",
    "claimed",
    "responsibility",
]
ARABIC = [
    "هجوم",
    "قاعدة",
    "صواريخ",
    "طائرات",
    "مسيرة",
    "القوات",
    "الأمريكية",
    "المقاومة",
    "الإسلامية",
    "العراق",
    "سوريا",
    "استهداف",
    "إصابات",
    "بيان",
    "مصادر",
    "أمنية",
    "محافظة",
    "الأنبار",
    "أربيل",
    "دير",
    "الزور",
    "قصف",
]
OUTLETS = [
    ("Reuters", "reuters.com/world/middle-east"),
    ("AP", "apnews.com/article"),
    ("Al Jazeera", "aljazeera.com/news"),
    ("CENTCOM", "centcom.mil/MEDIA/STATEMENTS"),
    ("Iran International", "iranintl.com/en"),
    ("BBC", "bbc.com/news/world"),
    ("X", "x.com/CENTCOM/status"),
    ("YouTube", "youtube.com/watch"),
]
SPEAKERS = [
    ("Joe Biden", "President of the United States", "The White House"),
    ("Lloyd Austin", "Secretary of Defense", "U.S. Department of Defense"),
    ("Ayman Safadi", "Foreign Minister of Jordan", "Government of Jordan"),
    ("Ebrahim Raisi", "President of Iran", "Government of Iran"),
    ("CENTCOM spokesperson", "spokesperson", "U.S. Central Command"),
    ("Pentagon press secretary", "press secretary", "U.S. Department of Defense"),
]
PRECISIONS = (
    [TimePrecision.MINUTE] * 5
    + [TimePrecision.HOUR] * 2
    + [TimePrecision.DAY] * 6
    + [TimePrecision.WEEK, TimePrecision.MONTH, TimePrecision.YEAR]
)
START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 1, 1, tzinfo=UTC) - START).total_seconds())
STAMP = "2026-01-01T00:00:00Z"
META = {
    "version": 1,
    "created_at": STAMP,
    "created_by": "generator",
    "updated_at": STAMP,
    "updated_by": "generator",
    "deleted_at": None,
}


#: Words drawn with a quarter of Arabic, as in a regional log.
WORDS = ENGLISH * 3 + ARABIC * (len(ENGLISH) // len(ARABIC))


def _text(rng: random.Random, low: int, high: int) -> str:
    target = rng.randint(low, high)
    text = " ".join(rng.choices(WORDS, k=target // 6 + 2))
    while len(text) < target:
        text += " " + " ".join(rng.choices(WORDS, k=4))
    return text[:target].rstrip()


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _incident(rng: random.Random, number: int) -> dict[str, Any]:
    place, admin1, country, lat, lon, tz = rng.choice(PLACES)
    precision = rng.choice(PRECISIONS)
    instant = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
    wall = Moment(instant, tz=tz).local().replace(tzinfo=None)
    moment = Moment.from_local(wall, precision, tz, rng.random() < 0.3)
    start, end = moment.interval()
    launched = rng.choice([None, None, rng.randint(1, 20)])
    intercepted = None if launched is None or rng.random() < 0.5 else rng.randint(0, launched)
    injured = rng.choice([None, None, rng.randint(0, 12)])
    event_type = rng.choice(EVENT_TYPES)
    located = rng.random() < 0.7
    killed = rng.choice([None, None, None, 0, rng.randint(1, 5)])
    return {
        "uid": _uid(rng),
        "ref": f"{country}-{moment.local().year}-{number:07d}",
        "title": f"{event_type.capitalize()} on {place}: " + _text(rng, 40, 90),
        "summary": _text(rng, 200, 400),
        "occurred_at": to_utc_text(start),
        "occurred_end": to_utc_text(end),
        "time_precision": precision.value,
        "tz": tz,
        "approximate": moment.approximate,
        "place": place,
        "admin1": admin1,
        "country": country,
        "latitude": round(lat + rng.uniform(-0.05, 0.05), 4) if located else None,
        "longitude": round(lon + rng.uniform(-0.05, 0.05), 4) if located else None,
        "geo_precision": rng.choice(["site", "near", "region"]),
        "event_type": event_type,
        "weapons": rng.choice(WEAPONS),
        "launched": launched,
        "intercepted": intercepted,
        "perpetrator": rng.choice(PERPETRATORS),
        "attribution": rng.choice(["claimed", "attributed", "suspected", "unknown"]),
        "target": "U.S. and coalition forces" if rng.random() < 0.8 else None,
        "killed": killed,
        "killed_qualifier": "unknown" if killed is None else "exact",
        "injured": injured,
        "injured_qualifier": "unknown"
        if injured is None
        else rng.choice(["exact", "at_least", "about"]),
        "status": rng.choice(["draft", "in_review", "verified", "verified", "disputed"]),
        "confidence": rng.choice([None, 1, 2, 2, 3, 3, 4, 5, 6]),
        **META,
    }


def _source(rng: random.Random, number: int) -> dict[str, Any]:
    outlet, base = rng.choice(OUTLETS)
    url = f"https://{base}/{number:09d}-{rng.getrandbits(32):08x}"
    kind = {"X": "social_post", "YouTube": "video", "CENTCOM": "press_release"}.get(
        outlet, "article"
    )
    published = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
    return {
        "uid": _uid(rng),
        "kind": kind,
        "title": _text(rng, 30, 110),
        "url": url,
        "url_normalized": url,  # already in normalized form (https, no www., no query)
        "outlet": outlet,
        "author": None,
        "handle": "@CENTCOM" if outlet == "X" else None,
        "published_at": to_utc_text(published.replace(hour=0, minute=0, second=0)),
        "published_precision": "day",
        "published_tz": "UTC",
        "accessed_at": STAMP,
        "archive_url": None,
        "excerpt": _text(rng, 80, 200) if kind == "social_post" else None,
        "language": rng.choice(["en", "en", "ar"]),
        "reliability": rng.choice("ABCDF"),
        "sha256": None,
        "notes": None,
        **META,
    }


def generate(
    db_path: Path, incidents: int, seed: int = 7, batch: int = 10_000, report: bool = True
) -> None:
    """Fill a new database at ``db_path`` with ``incidents`` generated incidents."""
    if db_path.exists():
        raise SystemExit(f"{db_path} exists; the generator only fills a new database")
    rng = random.Random(seed)
    started = time.perf_counter()
    with open_database(db_path) as database, database.write() as connection:
        connection.exec_driver_sql("PRAGMA cache_size = -262144")
        # Secondary indexes and the FTS triggers are set aside during the load and
        # rebuilt at the end: building an index by sorting once is many times
        # faster than updating it row by row with random UUIDs.
        deferred = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
            "((type = 'index' AND name LIKE 'ix_%') OR (type = 'trigger' AND name LIKE "
            "'incident_fts_%'))"
        ).fetchall()
        for kind, name, _sql in deferred:
            connection.exec_driver_sql(f"DROP {kind.upper()} {name}")
        next_source = 1
        for first in range(1, incidents + 1, batch):
            count = min(batch, incidents - first + 1)
            rows = [_incident(rng, first + i) for i in range(count)]
            connection.execute(insert(incident_table), rows)
            # ids are assigned in order inside this single transaction
            last_id = connection.exec_driver_sql("SELECT max(id) FROM incident").scalar_one()
            ids = range(last_id - count + 1, last_id + 1)
            sources = [_source(rng, next_source + i) for i in range(int(count * 1.6))]
            connection.execute(insert(source_table), sources)
            last_source = connection.exec_driver_sql("SELECT max(id) FROM source").scalar_one()
            source_ids = list(range(last_source - len(sources) + 1, last_source + 1))
            next_source += len(sources)
            links: set[tuple[int, int]] = set()
            for incident_id in ids:
                for _ in range(rng.choice([1, 2, 2, 3])):
                    # a share of sources is cited by several incidents
                    links.add((incident_id, rng.choice(source_ids)))
            connection.execute(
                insert(incident_source_table),
                [{"incident_id": i, "source_id": s, "note": None} for i, s in links],
            )
            connection.execute(
                insert(incident_tag_table),
                [
                    {"incident_id": i, "tag": tag}
                    for i in ids
                    for tag in rng.sample(
                        ["escalation", "us forces", "coalition", "retaliation", "injuries"],
                        rng.randint(0, 2),
                    )
                ],
            )
            speaker_rows = []
            for incident_id in ids:
                if rng.random() < 0.95:
                    speaker, role, org = rng.choice(SPEAKERS)
                    said = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
                    speaker_rows.append(
                        {
                            "uid": _uid(rng),
                            "text": _text(rng, 60, 220),
                            "speaker": speaker,
                            "speaker_role": role,
                            "speaker_org": org,
                            "said_at": to_utc_text(said.replace(second=0)),
                            "said_precision": "minute",
                            "said_tz": "UTC",
                            "language": "en",
                            "context": None,
                            "incident_id": incident_id,
                            "source_id": rng.choice(source_ids),
                            **META,
                        }
                    )
            connection.execute(insert(quote_table), speaker_rows)
            if report:
                done = first + count - 1
                rate = done / (time.perf_counter() - started)
                print(f"\r{done:,} incidents ({rate:,.0f}/s)", end="", file=sys.stderr)
        if report:
            print("\nbuilding indexes and the full-text index…", file=sys.stderr)
        for _kind, _name, sql in deferred:
            connection.exec_driver_sql(sql)
        connection.exec_driver_sql("INSERT INTO incident_fts(incident_fts) VALUES ('rebuild')")
    if report:
        print(f"\ndone in {time.perf_counter() - started:.1f} s: {db_path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="new database file to fill")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    generate(args.db, args.incidents, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
