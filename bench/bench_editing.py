"""Bulk edit of 10,000 incidents: one change, one transaction, one audit entry each.

    python -m bench.bench_editing --db LOG.sqlite3 [--repeat 3]

Measured on a copy of the log (the log measured is never modified): the
first 10,000 incidents by date are selected as the table shows them, then
one change (a tag added, country, event type and confidence set) is applied
and reverted, as the window's command and its undo do; then a lighter change
(a tag and the confidence) that leaves the full-text index alone.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import Figure, markdown_table

SELECTED = 10_000
LIMITS = {
    "bulk edit of 10,000 incidents": ("ms", 5_000),
    "undo of that bulk edit": ("ms", 5_000),
    "bulk edit of 10,000 incidents, tag + confidence only": ("ms", 5_000),
}


def measure(db: Path, repeat: int = 3) -> list[Figure]:
    from incidentlog.services import Services
    from incidentlog.services.bulk_edit import BulkChange, Selected
    from incidentlog.store.database import open_database

    figures = {name: Figure("editing", name, unit, limit=limit)
               for name, (unit, limit) in LIMITS.items()}
    scratch = Path(tempfile.mkdtemp(prefix="bench-bulk-", dir=db.parent))
    try:
        copy = scratch / db.name
        shutil.copyfile(db, copy)
        with open_database(copy) as database:
            services = Services(database, actor="bench")
            for run in range(repeat):
                page = services.incident_query.page(limit=SELECTED)
                selection = [Selected(i.meta.uid or "", i.meta.version) for i in page]
                change = BulkChange(add_tags=(f"bench {run}",), country="SY",
                                    event_type="bench strike", confidence=3)
                started = time.perf_counter()
                applied = services.bulk_edit.apply(selection, change).record
                figures["bulk edit of 10,000 incidents"].add(
                    (time.perf_counter() - started) * 1000)
                if len(applied.edited) != len(selection):
                    raise RuntimeError(applied.summary())
                started = time.perf_counter()
                services.bulk_edit.revert(applied)
                figures["undo of that bulk edit"].add((time.perf_counter() - started) * 1000)
                # No column of the full-text index: its entries stay as they are.
                page = services.incident_query.page(limit=SELECTED)
                selection = [Selected(i.meta.uid or "", i.meta.version) for i in page]
                started = time.perf_counter()
                applied = services.bulk_edit.apply(
                    selection, BulkChange(add_tags=(f"light {run}",), confidence=run % 6 + 1)
                ).record
                figures["bulk edit of 10,000 incidents, tag + confidence only"].add(
                    (time.perf_counter() - started) * 1000)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return list(figures.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(markdown_table(measure(args.db, args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
