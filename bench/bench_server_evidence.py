"""Evidence on a server log: attaching a large file into PostgreSQL, against ``cp`` and
against the file log's attach, and reading it back (a working copy).

Run on its own (it writes gigabytes)::

    python -m bench.bench_server_evidence --size-mib 1024 --repeat 3

Each run, back to back on the same disk: ``cp`` of the file (+ ``sync``), the attach to
a log file (store beside it, fsynced), the attach to a server log (1 MiB rows,
committed), a working copy from the server, and the peak memory the server attach
adds to this process. The server is a throwaway one (bench/server_log.py) with its
durability on (``fsync``, ``synchronous_commit``, ``full_page_writes``: the tests'
server runs without them), its data folder on the same disk as the files.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_evidence import CHUNK, _random_file
from bench.common import Figure, markdown_table

#: A desk's server: durable, as in production (docs/team.md).
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
           "shared_buffers": "256MB", "max_wal_size": "4GB"}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _services(target: str) -> tuple[Any, str]:
    from incidentlog.domain.records import Source
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    services = Services(open_database(target), actor="bench")
    uid = services.sources.create(Source(title="bench", url="https://example.org/b")).record
    assert uid.meta.uid is not None
    return services, uid.meta.uid


def measure(folder: Path, server_url: str, size_mib: int, repeat: int) -> list[Figure]:
    from incidentlog.domain.evidence import OwnerKind

    server, server_uid = _services(server_url)
    local, local_uid = _services(str(folder / "bench.sqlite3"))
    name = f"{size_mib} MiB"
    vs_cp = Figure("server evidence", f"attach {name} to a server ÷ cp", "×")
    vs_file = Figure("server evidence", f"attach {name} to a server ÷ to a log file", "×")
    speed = Figure("server evidence", f"attach {name} to a server", "MiB/s")
    file_speed = Figure("server evidence", f"attach {name} to a log file", "MiB/s")
    back = Figure("server evidence", f"working copy of {name} from a server ÷ cp", "×")
    memory = Figure("server evidence", f"attach {name} to a server: memory above idle", "MiB",
                    limit=50)
    for run in range(repeat):
        original = folder / f"video-{run}.bin"
        _random_file(original, size_mib * CHUNK)
        os.sync()
        before = _peak_rss_mib()
        started = time.perf_counter()
        kept = server.evidence.attach_file(original, OwnerKind.SOURCE, server_uid)
        server_s = time.perf_counter() - started
        memory.add(max(0.0, _peak_rss_mib() - before))
        copy = folder / f"copy-{run}.bin"
        started = time.perf_counter()
        subprocess.run(["cp", str(original), str(copy)], check=True)
        os.sync()  # cp does not fsync; both attaches do (the server at its commit)
        cp_s = time.perf_counter() - started
        started = time.perf_counter()
        local.evidence.attach_file(original, OwnerKind.SOURCE, local_uid)
        file_s = time.perf_counter() - started
        work = folder / f"work-{run}"
        started = time.perf_counter()
        server.evidence.working_copy(kept, work)
        back_s = time.perf_counter() - started
        vs_cp.add(server_s / cp_s)
        vs_file.add(server_s / file_s)
        speed.add(size_mib / server_s)
        file_speed.add(size_mib / file_s)
        back.add(back_s / cp_s)
        for leftover in (original, copy):
            leftover.unlink()
        shutil.rmtree(work, ignore_errors=True)
        # The next run stores new bytes (random), so nothing is found stored already.
    server.database.close()
    local.database.close()
    return [vs_cp, vs_file, speed, file_speed, back, memory]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to write the files (default: a temporary folder)")
    args = parser.parse_args(argv)
    if shutil.which("cp") is None:
        print("needs cp (coreutils)", file=sys.stderr)
        return 2
    from bench.server_log import ROOT

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.pg import running_server

    load = os.getloadavg()
    with (running_server(DURABLE) as pg,
          tempfile.TemporaryDirectory(dir=args.folder, prefix="bench-server-evidence-") as name):
        log = pg.log_database()
        figures = measure(Path(name), pg.tester_url(log), args.size_mib, args.repeat)
        pg.drop_database(log)
    print(markdown_table(figures))
    print(f"\nload average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
