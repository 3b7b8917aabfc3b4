"""The table and timeline suite on a server log beside a SQLite file, in one run.

    python -m bench --db postgresql://user@host:port/db --sqlite LOG.sqlite3 [--repeat 3]
    python -m bench --db LOG.sqlite3 --pg-throwaway [--repeat 3]

Each benchmark runs on the file, then on the server log, one after the other
(a noisy machine slows both alike), and the figures are printed side by side
with the ratio. A server figure meets its target when it is within
``WITHIN_SQLITE`` times the same figure on SQLite *and* within the absolute
target of the SQLite table (first screen ≤ 150 ms, searches ≤ 100/300 ms,
save ≤ 50 ms, …). Then, on a scratch copy of the server log, a second
connection saves while the window is open on it: the time until the open
table shows the change (bench/bench_team.py), target ≤ 1 s.

``--pg-throwaway`` starts a server as the tests do (tests/pg.py), loads the
file into it (bench/pg_load.py) and stops it at the end: one command on a
machine with Debian's ``postgresql`` package and nothing set up.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from bench.common import Figure, _number, markdown_table, spread

#: The benchmarks that run on both engines.
BOTH = ("table", "timeline")
#: A server figure holds when it is at most this many times the file's.
WITHIN_SQLITE = 2.0


def server_met(sqlite: Figure, server: Figure) -> bool | None:
    """Within 2× the file's figure and within the file's absolute target (if it has one)."""
    if not sqlite.samples or not server.samples or sqlite.unit not in ("ms", "MiB"):
        return None
    if server.median > sqlite.median * WITHIN_SQLITE:
        return False
    return True if sqlite.limit is None else server.median <= sqlite.limit


def side_by_side(sqlite: list[Figure], server: list[Figure]) -> str:
    """The figures of the same names on both engines in one Markdown table."""
    by_name = {(figure.group, figure.name): figure for figure in server}
    lines = [
        "| group | what | SQLite | PostgreSQL | spread (PostgreSQL) | PostgreSQL ÷ SQLite "
        "| target | met |",
        "|---|---|---:|---:|---:|---:|---|:---:|",
    ]
    for figure in sqlite:
        other = by_name.get((figure.group, figure.name))
        if other is None:
            continue
        ratio = f"{other.median / figure.median:.2f}×" if figure.median else ""
        limit = f"≤ {WITHIN_SQLITE:g}× SQLite" if figure.unit in ("ms", "MiB") else ""
        if figure.target and limit:
            limit = f"{figure.target} and {limit}"
        met = {True: "yes", False: "**no**", None: ""}[server_met(figure, other)]
        lines.append(
            f"| {figure.group} | {figure.name} | {_number(figure.median)} {figure.unit} "
            f"| {_number(other.median)} {other.unit} | {spread(other)} | {ratio} | {limit} "
            f"| {met} |")
    return "\n".join(lines)


def measure(url: str, file: Path, wanted: list[str],
            repeat: int) -> tuple[list[Figure], list[Figure], list[Figure]]:
    """(file figures, server figures, second-user figures)."""
    on_file: list[Figure] = []
    on_server: list[Figure] = []
    for name in wanted:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"running {name} on {file.name} …", file=sys.stderr)
        on_file.extend(module.measure(file, repeat))
        print(f"running {name} on the server …", file=sys.stderr)
        on_server.extend(module.measure(url, repeat))
    print("a second user's changes …", file=sys.stderr)
    team = _second_user(url, repeat)
    return on_file, on_server, team


def _second_user(url: str, repeat: int) -> list[Figure]:
    import subprocess

    completed = subprocess.run(
        [sys.executable, "-m", "bench.bench_team", "--log", url, "--repeat",
         str(max(5, repeat * 3)), "--json"], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"bench_team failed:\n{completed.stderr[-2000:]}")
    import json

    found = json.loads(completed.stdout.strip().splitlines()[-1])
    from bench.bench_team import APPEARS_MS

    return [Figure("team", name, "ms", samples, limit=APPEARS_MS)
            for name, samples in found.items()]


def report(url: str, file: Path, wanted: list[str], repeat: int, *, machine: str,
           loaded: str = "") -> str:
    """The Markdown report of both engines."""
    from bench.__main__ import describe
    from bench.server_log import describe as describe_server

    started = time.perf_counter()
    on_file, on_server, team = measure(url, file, wanted, repeat)
    table = side_by_side(on_file, on_server)
    pairs = [(f, s) for f in on_file for s in on_server
             if (f.group, f.name) == (s.group, s.name)]
    verdicts = [server_met(f, s) for f, s in pairs] + [t.met for t in team]
    missed = [s.name for (f, s), ok in zip(pairs, verdicts, strict=False) if ok is False]
    missed += [t.name for t in team if t.met is False]
    return "\n".join([
        f"SQLite: {describe(file)}",
        f"Server: {describe_server(url)}" + (f"; {loaded}" if loaded else ""),
        f"Machine: {machine}",
        f"Runs: {repeat} per figure and engine (median); whole suite "
        f"{time.perf_counter() - started:,.0f} s",
        "",
        table,
        "",
        "A second user's change in the first user's open table (a scratch copy of the "
        "server log):",
        "",
        markdown_table(team),
        "",
        f"Server targets met: {sum(v is True for v in verdicts)} of "
        f"{sum(v is not None for v in verdicts)}"
        + (f"; not met: {', '.join(missed)}" if missed else ""),
    ])


def throwaway_report(file: Path, wanted: list[str], repeat: int, *,
                     machine: str) -> str:
    """``report`` on a throwaway server holding a copy of ``file``."""
    from bench.pg_load import load
    from bench.server_log import throwaway_server

    with throwaway_server() as server:
        name = server.empty_database()
        url = server.url(name)
        print(f"loading {file} into a throwaway server …", file=sys.stderr)
        began = time.perf_counter()
        load(file, url)
        loaded = f"loaded into a throwaway server in {time.perf_counter() - began:,.0f} s"
        return report(url, file, wanted, repeat, machine=machine, loaded=loaded)
