"""Run every benchmark on one log and print one table of figures (docs/performance.md).

    python -m bench --db LOG.sqlite3 [--repeat 3] [--only table,timeline,exchange]
    python -m bench --incidents 10000            # generates the log first
    python -m bench --db LOG --busy 2            # and again with 2 CPU-bound processes
    python -m bench --db postgresql://… --sqlite LOG   # a server log beside a file
    python -m bench --db LOG --pg-throwaway      # the same, LOG loaded into a throwaway server

Each figure is the median of ``--repeat`` runs with the spread (min–max);
each reference (``sqlite3`` for the exports, a raw ``executemany`` for the
import, a bare PySide6 window for start-up) is measured in the same run as
the figure it is compared with. The table is Markdown: docs/performance.md
holds the latest one at 1,000,000 incidents. Nothing here fails on time; a
target not met is marked **no**.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.common import PACKAGED_VARIABLE, Figure, log_target, markdown_table
from incidentlog.store.file_format import head_revision

BENCHMARKS = ("table", "timeline", "exchange", "editing", "duplicates")


def machine() -> str:
    """The machine and the versions the figures were measured with."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import PySide6
    import sqlalchemy

    load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()) \
        if hasattr(os, "getloadavg") else ""
    return (f"{cpu}, {os.cpu_count()} cores{memory}{load}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, PySide6 "
            f"{PySide6.__version__}, SQLAlchemy {sqlalchemy.__version__}, SQLite "
            f"{sqlite3.sqlite_version}")


def _revision(db: Path) -> str | None:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


def describe(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        counts = [connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("incident", "source", "quote")]
    size = db.stat().st_size / 1024 / 1024
    return (f"{db} ({size:,.0f} MiB): {counts[0]:,} incidents, {counts[1]:,} sources, "
            f"{counts[2]:,} quotes")


def _measure_all(wanted: list[str], db: Path, repeat: int) -> list[Figure]:
    figures: list[Figure] = []
    for name in wanted:
        print(f"running {name} …", file=sys.stderr)
        module = importlib.import_module(f"bench.bench_{name}")
        figures.extend(module.measure(db, repeat))
    return figures


def _side_by_side(quiet: list[Figure], loaded: list[Figure], processes: int) -> str:
    from bench.busy import side_by_side

    return side_by_side(quiet, loaded, processes)


def _both_engines(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """A server log beside a file (bench/engines.py): the table and timeline only."""
    from bench import engines

    only = ",".join(engines.BOTH) if args.only == ",".join(BENCHMARKS) else args.only
    wanted = [name.strip() for name in only.split(",") if name.strip()]
    if set(wanted) - set(engines.BOTH) or not wanted:
        parser.error(f"on a server log --only takes {', '.join(engines.BOTH)}")
    if args.busy or args.repeat < 1:
        parser.error("on a server log: --repeat 1 or more, and no --busy")
    file = args.sqlite if isinstance(args.db, str) else args.db
    if args.pg_throwaway and (isinstance(args.db, str) or args.sqlite is not None):
        parser.error("--pg-throwaway takes the log file as --db (and no --sqlite)")
    if file is None:
        parser.error("a server log is measured beside a log file: add --sqlite FILE")
    if not file.is_file():
        parser.error(f"{file} does not exist: make one with python -m bench.generate")
    if (revision := _revision(file)) != head_revision():
        parser.error(f"{file} is at schema revision {revision}, not {head_revision()}: "
                     f"upgrade it first with: incidentlog init --db {file}")
    if args.pg_throwaway:
        text = engines.throwaway_report(file, wanted, args.repeat, machine=machine())
    else:
        text = engines.report(args.db, file, wanted, args.repeat, machine=machine())
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--db", type=log_target, help="the log to measure (never modified): "
                        "a file, or a server log (postgresql://…, then with --sqlite)")
    source.add_argument("--incidents", type=int, default=10_000,
                        help="generate a log of this many incidents first (default 10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    parser.add_argument("--busy", type=int, nargs="?", const=os.cpu_count() or 2, default=0,
                        metavar="N", help="measure again beside N CPU-bound processes "
                        "(default N: as many as cores) and report both side by side")
    parser.add_argument("--packaged", type=Path, metavar="PROGRAM",
                        help="also time the start of this packaged build "
                        "(dist/incidentlog/incidentlog from packaging/build.sh)")
    parser.add_argument("--sqlite", type=Path, metavar="FILE",
                        help="with a server --db: the log file measured beside it")
    parser.add_argument("--pg-throwaway", action="store_true",
                        help="load --db FILE into a throwaway PostgreSQL server and measure "
                        "both side by side (docs/team.md)")
    args = parser.parse_args(argv)
    if args.packaged is not None:
        if not args.packaged.is_file():
            parser.error(f"{args.packaged} is not a program: build it with bash packaging/build.sh")
        os.environ[PACKAGED_VARIABLE] = str(args.packaged.resolve())
    if isinstance(args.db, str) or args.pg_throwaway:
        return _both_engines(parser, args)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.busy < 0:
        parser.error("--busy must be 0 or more")

    scratch: Path | None = None
    db = args.db
    if db is None:
        from bench.generate import generate

        scratch = Path(tempfile.mkdtemp(prefix="bench-log-"))
        db = scratch / f"log-{args.incidents}.sqlite3"
        print(f"generating {args.incidents:,} incidents into {db} …", file=sys.stderr)
        generate(db, args.incidents, report=False)
    elif not db.is_file():
        parser.error(f"{db} does not exist: make one with python -m bench.generate")
    elif (revision := _revision(db)) != head_revision():
        # The window would stop on its "older log" message (the log is opened read-only).
        parser.error(f"{db} is at schema revision {revision}, not {head_revision()}: upgrade "
                     f"it first with: incidentlog init --db {db}")

    started = time.perf_counter()
    loaded: list[Figure] = []
    try:
        figures = _measure_all(wanted, db, args.repeat)
        if args.busy:
            from bench.busy import busy

            load = f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"
            print(f"again beside {args.busy} busy processes (load now {load}) …",
                  file=sys.stderr)
            with busy(args.busy):
                loaded = _measure_all(wanted, db, args.repeat)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    missed = [figure for figure in figures if figure.met is False]
    report = "\n".join([
        f"Log: {describe(db) if scratch is None else f'{args.incidents:,} generated incidents'}",
        f"Machine: {machine()}",
        f"Runs: {args.repeat} per figure (median, spread min–max); whole suite "
        f"{time.perf_counter() - started:,.0f} s",
        "",
        markdown_table(figures),
        "",
        *([f"Quiet and busy ({args.busy} CPU-bound processes) in the same run:", "",
           _side_by_side(figures, loaded, args.busy), ""] if loaded else []),
        f"Targets met: {sum(f.met is True for f in figures)} of "
        f"{sum(f.met is not None for f in figures)}"
        + (f"; not met: {', '.join(f.name for f in missed)}" if missed else ""),
    ])
    print(report)
    if args.output is not None:
        args.output.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
