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

from incidentlog.cli.usage import UsageError

__all__ = ["cmd_duplicates"]

#: Below this many incidents no progress is shown.
PROGRESS_FROM = 20_000


def cmd_duplicates(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.cli.commands import _existing_database_path
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    if not 0 <= args.min_score <= 1:
        raise UsageError("--min-score is a share between 0 and 1 (0.7 for 70 %)")
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit is a number of pairs, at least 1")
    path = _existing_database_path(args)
    started = time.monotonic()
    shown = [0.0]
    swept = [0, 0]

    def progress(done: int, total: int) -> None:
        swept[:] = [done, total]
        now = time.monotonic()
        if total >= PROGRESS_FROM and (now - shown[0] >= 2 or done == total):
            shown[0] = now
            print(f"\r{done:,} of {total:,} incidents, {now - started:.0f} s", end="",
                  file=sys.stderr, flush=True)

    count = 0
    try:
        with open_database(path, read_only=True) as database:
            services = Services(database)
            writer = csv.writer(out) if args.format == "csv" else None
            if writer is not None:
                writer.writerow(["score", "first_ref", "second_ref", "reasons", "first_uid",
                                 "second_uid"])
            pairs = services.duplicates.pairs(min_score=args.min_score,
                                              full_text=args.full_text, progress=progress)
            for pair in pairs:
                count += 1
                reasons = ", ".join(pair.reasons)
                if writer is not None:
                    writer.writerow([f"{pair.score:.2f}", pair.first_ref, pair.second_ref,
                                     reasons, pair.first_uid, pair.second_uid])
                else:
                    print(f"{round(pair.score * 100):3d} %  {pair.first_ref}  "
                          f"{pair.second_ref}  {reasons}", file=out)
                if count == args.limit:
                    pairs.close()
                    break
    except KeyboardInterrupt:
        out.flush()
        print(f"{'' if not shown[0] else chr(10)}Stopped: {count:,} possible duplicate "
              f"pair{'' if count == 1 else 's'} listed, {swept[0]:,} of {swept[1]:,} "
              f"incidents looked at ({time.monotonic() - started:.1f} s).", file=sys.stderr)
        return 130
    if shown[0]:
        print(file=sys.stderr)
    stopped = " (--limit reached)" if count == args.limit else ""
    print(f"{count:,} possible duplicate pair{'' if count == 1 else 's'}{stopped} "
          f"({time.monotonic() - started:.1f} s).", file=sys.stderr)
    return 0
