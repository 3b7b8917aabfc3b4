"""A large table through the CSV import: memory stays flat (docs/performance.md).

    python -m bench.bench_tables [--mb 1024] [--checked-mb 64] [--import-mb 20] [--folder DIR]

Writes a CSV file of ``--mb`` MiB (desk-sheet rows: a date, a title, a place, a
country, counts, a URL, a summary) and streams every row of it (``open_table``);
then reads a ``--checked-mb`` file through the mapping, each row checked as the
import's first pass does (``tabular.rows.RowReader``: the schema and domain rules,
the costly part); each time it prints the rows per second and the process's peak
memory (``ru_maxrss``) before and after: the peak must not grow with the file.
Then imports a ``--import-mb`` MiB file into a new database (the whole import: rows
checked, the JSON document spooled, ``import_json``). Nothing here fails on time;
the figures are printed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from incidentlog.exchange.tabular import ColumnMapping, guess_mapping, import_table
from incidentlog.exchange.tabular.reading import open_table
from incidentlog.exchange.tabular.rows import RowReader

HEADER = "date,title,place,country,killed,injured,source url,summary\r\n"


def write_table(path: Path, megabytes: int) -> int:
    """A CSV file of about ``megabytes`` MiB; its number of rows."""
    target = megabytes * 1024 * 1024
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        written = len(HEADER)
        block: list[str] = []
        while written < target:
            day = 1 + rows % 28
            line = (f"2024-01-{day:02d},Rocket attack number {rows} on the base,Erbil,IQ,"
                    f"{rows % 7},at least {rows % 5},https://example.org/report/{rows},"
                    "\"Several rockets were fired, witnesses said; one fell near the gate.\"\r\n")
            block.append(line)
            written += len(line.encode())
            rows += 1
            if len(block) == 10_000:
                handle.write("".join(block))
                block.clear()
        handle.write("".join(block))
    return rows


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_all(path: Path, mapping: ColumnMapping | None) -> tuple[int, int, float]:
    """Every row read (and checked, given a mapping); (rows, rows with problems, seconds)."""
    start = time.perf_counter()
    rows = bad = 0
    with open_table(path) as table:
        reader = RowReader(mapping, table.header) if mapping is not None else None
        for line, cells in table.rows:
            rows += 1
            if reader is not None:
                bad += bool(reader.read(line, cells).problems)
    return rows, bad, time.perf_counter() - start


def measure(folder: Path, name: str, megabytes: int, mapping: ColumnMapping | None) -> None:
    before = peak_mib()
    path = folder / f"{name}.csv"
    written = write_table(path, megabytes)
    size = path.stat().st_size / 2**20
    rows, bad, seconds = read_all(path, mapping)
    assert rows == written and bad == 0, (rows, written, bad)
    what = "read and checked" if mapping is not None else "streamed"
    print(f"{what} {rows:,} rows ({size:,.0f} MiB) in {seconds:,.1f} s: "
          f"{rows / seconds:,.0f} rows/s, {size / seconds:,.1f} MiB/s; "
          f"peak memory {before:,.0f} MiB before, {peak_mib():,.0f} MiB after", flush=True)
    path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--checked-mb", type=int, default=64)
    parser.add_argument("--import-mb", type=int, default=20)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.folder, prefix="bench-tables-") as scratch:
        folder = Path(scratch)
        small = folder / "small.csv"
        write_table(small, 1)
        with open_table(small) as table:
            mapping = guess_mapping(table.header, [cells for _, cells in table.rows][:50])
        measure(folder, "warm-up", 1, mapping)
        measure(folder, "large", args.mb, None)
        measure(folder, "checked", args.checked_mb, mapping)
        _import(folder, mapping, args.import_mb)
    return 0


def _import(folder: Path, mapping: ColumnMapping, megabytes: int) -> None:
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    table = folder / "import.csv"
    rows = write_table(table, megabytes)
    with open_database(folder / "log.sqlite3") as database:
        start = time.perf_counter()
        report = import_table(Services(database, actor="bench"), table, mapping)
        seconds = time.perf_counter() - start
    assert report.incidents.added == rows
    print(f"imported {rows:,} rows ({megabytes} MiB) into a new log in {seconds:,.1f} s: "
          f"{rows / seconds:,.0f} rows/s; peak memory {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
