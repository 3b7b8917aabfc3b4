"""``incidentlog duplicates``: the pairs of incidents of a log that may be one (docs/cli.md).

Streams: a pair is printed as soon as the sweep finds it (services/duplicates.py);
progress goes to stderr on a large log, so that the pairs can be piped.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from typing import TextIO

__all__ = ["cmd_duplicates"]

#: Below this many incidents no progress is shown.
PROGRESS_FROM = 20_000


def cmd_duplicates(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.cli.commands import _existing_database_path
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    path = _existing_database_path(args)
    started = time.monotonic()
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if total >= PROGRESS_FROM and (now - shown[0] >= 2 or done == total):
            shown[0] = now
            print(f"\r{done:,} of {total:,} incidents, {now - started:.0f} s", end="",
                  file=sys.stderr, flush=True)

    with open_database(path, read_only=True) as database:
        services = Services(database)
        writer = csv.writer(out) if args.format == "csv" else None
        if writer is not None:
            writer.writerow(["score", "first_ref", "second_ref", "reasons", "first_uid",
                             "second_uid"])
        count = 0
        for pair in services.duplicates.pairs(min_score=args.min_score, progress=progress):
            count += 1
            reasons = ", ".join(pair.reasons)
            if writer is not None:
                writer.writerow([f"{pair.score:.2f}", pair.first_ref, pair.second_ref, reasons,
                                 pair.first_uid, pair.second_uid])
            else:
                print(f"{round(pair.score * 100):3d} %  {pair.first_ref}  {pair.second_ref}  "
                      f"{reasons}", file=out)
    if shown[0]:
        print(file=sys.stderr)
    print(f"{count:,} possible duplicate pair{'' if count == 1 else 's'} "
          f"({time.monotonic() - started:.1f} s).", file=sys.stderr)
    return 0
