"""Duplicate suggestions: the lookup the incident form runs while typing, on a big log.

    python -m bench.bench_duplicates --db LOG.sqlite3 [--repeat 3]

Read-only (the log measured is never modified; it must be at migration 0010 or
later: ``incidentlog init --db`` upgrades a copy). Incidents are drawn at
random (seeded); for each, two lookups are timed:

- typed: the incident as someone would type it again (no uid, the title's words
  shuffled and one dropped), as the form asks while typing;
- per incident: the stored incident itself (its own row excluded), as the
  import report asks for each added incident.

Printed: the median and the slowest of ``20 × repeat`` lookups of each kind.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from pathlib import Path

from bench.common import Figure, markdown_table

LOOKUPS_PER_REPEAT = 20
LIMIT_MS = 200


def _retyped(incident: object, rng: random.Random) -> object:
    from incidentlog.domain.records import Incident, RecordMeta

    assert isinstance(incident, Incident)
    words = (incident.title or "").split()
    rng.shuffle(words)
    title = " ".join(words[:-1] if len(words) > 3 else words)
    return replace(incident, title=title, ref=None, meta=RecordMeta())


def measure(db: Path, repeat: int = 3) -> list[Figure]:
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    names = {"typed": "duplicate lookup while typing", "stored": "duplicate lookup per incident"}
    medians = {k: Figure("duplicates", f"{v}, median", "ms", limit=LIMIT_MS)
               for k, v in names.items()}
    slowest = {k: Figure("duplicates", f"{v}, slowest", "ms") for k, v in names.items()}
    found = Figure("duplicates", "candidates shown a lookup, median", "")
    rng = random.Random(19)
    with open_database(db, read_only=True) as database:
        services = Services(database, actor="bench")
        samples: dict[str, list[float]] = {"typed": [], "stored": []}
        with database.read() as connection:
            from sqlalchemy import func, select

            from incidentlog.store.schema import incident_table
            largest = int(connection.execute(select(func.max(incident_table.c.id))).scalar() or 0)
        for _ in range(LOOKUPS_PER_REPEAT * repeat):
            with database.read() as connection:
                from incidentlog.store.records import load_incidents

                picked = load_incidents(connection, [rng.randint(1, largest)])
            if not picked:
                continue
            stored = next(iter(picked.values()))
            for kind, probe in (("typed", _retyped(stored, rng)), ("stored", stored)):
                started = time.perf_counter()
                candidates = services.duplicates.candidates(probe)  # type: ignore[arg-type]
                samples[kind].append((time.perf_counter() - started) * 1000)
                if kind == "typed":
                    found.add(len(candidates))
        for kind, values in samples.items():
            for value in values:
                medians[kind].add(value)
            slowest[kind].add(max(values, default=float("nan")))
    return [medians["typed"], slowest["typed"], medians["stored"], slowest["stored"], found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(markdown_table(measure(args.db, args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
