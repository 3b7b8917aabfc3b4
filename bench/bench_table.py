"""How the incident table behaves on a large log: first screen, scroll, sort, search, memory.

    python -m bench.bench_table --db LOG.sqlite3 [--repeat 3]

Opens LOG read-only in the real main window (offscreen) and prints, as the
median and spread of ``--repeat`` runs (each in a fresh process, so caches and
memory start cold for the process — the OS file cache stays warm):

- window: building the main window on the log until the first table screen is
  painted (the provisional first page), and until all row ids are loaded;
- scroll to the last row and paint it;
- sort by date (descending), by title and by country: until the new first
  screen is painted (ids loaded in the background);
- search a rare and a common word: count and first screen sorted by date;
- filter by country and a date range;
- peak memory (max RSS) of the process, and what an empty window costs.

Targets are in issue 5; nothing here fails on time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_DB = Path("/var/tmp/ilog/log-1m.sqlite3")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(db: Path) -> dict[str, float]:
    """One run, in this process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["INCIDENTLOG_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-table-")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication(["bench"])
    empty = QMainWindow()
    empty.resize(1400, 860)
    empty.show()
    app.processEvents()
    empty.grab()
    figures: dict[str, float] = {"empty window MiB": _rss_mib()}

    from incidentlog.app import build_main_window
    from incidentlog.domain.query import IncidentFilter
    from incidentlog.domain.when import parse_local

    settings = QSettings(str(Path(os.environ["INCIDENTLOG_DATA_DIR"]) / "s.ini"),
                         QSettings.Format.IniFormat)

    def wait(condition: Any, limit: float = 120.0) -> None:
        deadline = time.perf_counter() + limit
        while not condition():
            app.processEvents()
            if time.perf_counter() > deadline:
                raise TimeoutError("the table did not finish loading")
            time.sleep(0.001)

    started = time.perf_counter()
    window = build_main_window(["--db", str(db), "--read-only"], settings=settings)
    window.resize(1400, 860)
    window.show()
    table = window.workspace.incident_table
    model = table.incident_model
    wait(lambda: model.rowCount() > 0)
    table.viewport().grab()
    figures["window + first screen s"] = time.perf_counter() - started
    wait(lambda: not model.loading)
    figures["all ids loaded s"] = time.perf_counter() - started
    figures["rows"] = model.rowCount()

    def timed(label: str, action: Any) -> None:
        begin = time.perf_counter()
        action()
        wait(lambda: not model.loading and model.rowCount() >= 0)
        table.viewport().grab()
        figures[label] = time.perf_counter() - begin

    timed("scroll to last row s", table.scrollToBottom)
    keys = [column.key for column in model.columns]
    timed("sort by date desc s",
          lambda: model.sort(keys.index("occurred"), _order(descending=True)))
    timed("sort by title s", lambda: model.sort(keys.index("title"), _order()))
    timed("sort by country s", lambda: model.sort(keys.index("country"), _order()))
    model.sort(keys.index("occurred"), _order())
    wait(lambda: not model.loading)
    state = window.context.state
    timed("search rare word s", lambda: state.set_filter(IncidentFilter(text="Lemonnier")))
    figures["rare word rows"] = model.rowCount()
    timed("search common word s", lambda: state.set_filter(IncidentFilter(text="attack")))
    figures["common word rows"] = model.rowCount()
    since, until = parse_local("2022-01", "UTC").utc, parse_local("2022-07", "UTC").utc
    timed("filter country + dates s", lambda: state.set_filter(
        IncidentFilter(countries=("IQ",), since=since, until=until)))
    figures["peak MiB"] = _rss_mib()
    figures["MiB above empty window"] = figures["peak MiB"] - figures["empty window MiB"]
    window.close()
    return figures


def _order(descending: bool = False) -> Any:
    from PySide6.QtCore import Qt

    return Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.db.exists():
        parser.error(f"{args.db} does not exist: make one with python -m bench.generate")
    if args.one:
        print(json.dumps(_measure(args.db)))
        return 0
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-m", "bench.bench_table", "--db", str(args.db),
                              "--one"], capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    print(f"incident table on {args.db} ({int(runs[0]['rows']):,} incidents), "
          f"{args.repeat} runs: median (min–max)")
    for key in runs[0]:
        values = [run[key] for run in runs]
        unit = "ms" if key.endswith(" s") else ""
        scale = 1000 if unit else 1
        label = key[:-2] if unit else key
        print(f"  {label:<28} {statistics.median(values) * scale:>10,.0f} {unit:<3}"
              f"({min(values) * scale:,.0f}–{max(values) * scale:,.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
