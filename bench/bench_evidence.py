"""Evidence: attaching a large file against ``cp``, and the file check against ``sha256sum``.

Run on its own (it writes gigabytes; the suite's miniature run leaves it out)::

    python -m bench.bench_evidence --size-mib 1024 --files 10000 --total-mib 5120

- attach: one file of ``--size-mib`` attached to a source (streamed SHA-256, fsync,
  rename into the store beside the log) against ``cp`` of the same file to the same
  disk, alternately, in the same run; and the peak memory the attach adds.
- check: ``incidentlog check``'s re-hash of ``--files`` attachments totalling
  ``--total-mib`` against ``sha256sum`` over the same stored files.

Ratios are computed per run from the two sides measured back to back, so a noisy
machine slows both alike (docs/performance.md).
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

from bench.common import Figure, markdown_table

CHUNK = 1024 * 1024


def _random_file(path: Path, size: int) -> None:
    with path.open("wb") as writing:
        left = size
        while left:
            step = min(CHUNK, left)
            writing.write(os.urandom(step))
            left -= step


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _services(folder: Path) -> tuple[object, str]:
    from incidentlog.domain.records import Source
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    database = open_database(folder / "bench.sqlite3")
    services = Services(database, actor="bench")
    uid = services.sources.create(Source(title="bench", url="https://example.org/b")).record
    assert uid.meta.uid is not None
    return services, uid.meta.uid


def measure_attach(folder: Path, size_mib: int, repeat: int) -> list[Figure]:
    from incidentlog.domain.evidence import OwnerKind

    services, uid = _services(folder)
    ratio = Figure("evidence", f"attach {size_mib} MiB ÷ cp", "×", limit=1.5)
    speed = Figure("evidence", f"attach {size_mib} MiB", "MiB/s")
    memory = Figure("evidence", f"attach {size_mib} MiB: memory above idle", "MiB", limit=50)
    for run in range(repeat):
        original = folder / f"video-{run}.bin"
        _random_file(original, size_mib * CHUNK)
        os.sync()
        started = time.perf_counter()
        subprocess.run(["cp", str(original), str(folder / f"copy-{run}.bin")], check=True)
        os.sync()  # cp does not fsync; the attach does, so both are counted to the disk
        cp_s = time.perf_counter() - started
        before = _peak_rss_mib()
        started = time.perf_counter()
        services.evidence.attach_file(original, OwnerKind.SOURCE, uid)  # type: ignore[attr-defined]
        attach_s = time.perf_counter() - started
        memory.add(max(0.0, _peak_rss_mib() - before))
        ratio.add(attach_s / cp_s)
        speed.add(size_mib / attach_s)
        for leftover in (original, folder / f"copy-{run}.bin"):
            leftover.unlink()
    return [ratio, speed, memory]


def measure_check(folder: Path, files: int, total_mib: int, repeat: int) -> list[Figure]:
    from incidentlog.domain.evidence import OwnerKind
    from incidentlog.store.blobs import FolderBlobStore

    services, uid = _services(folder)
    each = max(1, total_mib * CHUNK // files)
    source = folder / "one.bin"
    for _ in range(files):
        _random_file(source, each)
        services.evidence.attach_file(source, OwnerKind.SOURCE, uid)  # type: ignore[attr-defined]
    source.unlink()
    store = FolderBlobStore.beside(folder / "bench.sqlite3")
    paths = [str(store.path(sha)) for sha in store.hashes()]
    ratio = Figure("evidence", f"check {files:,} files, {total_mib:,} MiB ÷ sha256sum", "×",
                   limit=1.5)
    for _ in range(repeat):
        started = time.perf_counter()
        problems = services.evidence.check()  # type: ignore[attr-defined]
        check_s = time.perf_counter() - started
        assert problems == [], problems
        started = time.perf_counter()
        for start in range(0, len(paths), 1000):  # (the command line has a length limit)
            subprocess.run(["sha256sum", *paths[start:start + 1000]], check=True,
                           stdout=subprocess.DEVNULL)
        ratio.add(check_s / (time.perf_counter() - started))
    return [ratio]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--total-mib", type=int, default=5120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to write (default: a temporary folder)")
    args = parser.parse_args(argv)
    if shutil.which("sha256sum") is None or shutil.which("cp") is None:
        print("needs cp and sha256sum (coreutils)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(dir=args.folder, prefix="bench-evidence-") as name:
        attach_folder, check_folder = Path(name) / "attach", Path(name) / "check"
        attach_folder.mkdir()
        check_folder.mkdir()
        figures = measure_attach(attach_folder, args.size_mib, args.repeat)
        figures += measure_check(check_folder, args.files, args.total_mib, args.repeat)
    print(markdown_table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
