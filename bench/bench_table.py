"""The incident table on a large log: start-up, first screen, scroll, sort, search, memory, save.

    python -m bench.bench_table --db LOG.sqlite3 [--repeat 3]

Every run is a fresh process (caches and memory start cold for the process;
the OS file cache stays warm), showing the real main window offscreen on LOG
opened read-only:

- **start-up**: from spawning the real ``incidentlog --db LOG --read-only``
  (this venv's console script) to its window painted (the window first,
  saying which log it opens), against a bare PySide6 process that shows an
  empty ``QMainWindow`` (the reference, timed the same way in the same run);
  and, reported apart, to the log's first rows painted and to the table's
  own rows painted. incidentlog prints those moments itself from inside the
  paints (``INCIDENTLOG_START_MARKS=1``, gui/start_marks.py). The program
  packaging/build.sh builds is timed to its first rows in the same run too
  with ``python -m bench --packaged dist/incidentlog/incidentlog``;
- **first screen after the window exists**: in a process that has imported
  the application, from ``show()`` of the built window to the first screen of
  rows painted (opening the database and building the widgets come before;
  they are reported apart);
- **scroll** to the last row and paint it;
- **sort** by date, title, country; **search** a rare and a common word;
  **filter** by country and a date range: until the new first screen is
  painted *with the count of matches known* (the target), and, apart, until
  every id is loaded (the scroll bar's full length; in the background);
- **memory**: peak RSS of the process minus that of an empty window;
- **save**: one edited incident saved from the form (title changed, Save),
  on a writable copy of the log, once the daily backup of the copy is done.

"rare word": "Lemonnier", in 6.7 % of the generated incidents (the
generator's vocabulary has no rarer whole word); "common word": "attack",
in 85 %.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import PACKAGED_VARIABLE, Figure, log_target, markdown_table, peak_rss_mib
from incidentlog.store.server_address import is_server

DEFAULT_DB = Path("/var/tmp/ilog/log-1m.sqlite3")
RARE_WORD, COMMON_WORD = "Lemonnier", "attack"
SAVES = 7
#: How long a start may take before the bench gives up on it.
START_LIMIT_S = 120.0

#: name → (unit, upper limit); the order of the table.
FIGURES: dict[str, tuple[str, float | None]] = {
    "start-up: process start to painted window": ("ms", None),
    "start-up: bare PySide6 window process": ("ms", None),
    "start-up ratio to the bare window": ("×", 3.5),
    "start-up: process start to the first rows painted": ("ms", None),
    "start-up: first rows ratio to the bare window": ("×", 2.5),
    "start-up: process start to the table's own rows painted": ("ms", None),
    "packaged build: process start to the first rows painted": ("ms", None),
    "packaged build: first rows ratio to the bare window": ("×", 2.5),
    "window built (database opened, widgets made)": ("ms", None),
    "first screen after the window exists": ("ms", 150),
    "all ids loaded after the window exists": ("ms", None),
    "scroll to the last row": ("ms", 100),
    "sort by date (descending)": ("ms", 300),
    "sort by title": ("ms", 300),
    "sort by country": ("ms", 300),
    "sort by title: all ids": ("ms", None),
    "sort by country: all ids": ("ms", None),
    "search a rare word: count + first screen": ("ms", 100),
    "search a rare word: all ids": ("ms", None),
    "search a common word: count + first screen": ("ms", 300),
    "search a common word: all ids": ("ms", None),
    "filter country + date range: count + first screen": ("ms", 150),
    "filter country + date range: all ids": ("ms", None),
    "memory above an empty window": ("MiB", 150),
    "save one edited incident": ("ms", 50),
}


def _wait(app: Any, condition: Any, limit: float = 600.0) -> None:
    deadline = time.perf_counter() + limit
    while not condition():
        app.processEvents()
        if time.perf_counter() > deadline:
            raise TimeoutError("the table did not finish loading")
        time.sleep(0.0005)


def _application() -> tuple[Any, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["INCIDENTLOG_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-table-")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["bench"])
    settings = QSettings(str(Path(os.environ["INCIDENTLOG_DATA_DIR"]) / "s.ini"),
                         QSettings.Format.IniFormat)
    return app, settings


def _table_run(db: Path | str) -> dict[str, float]:
    """One run of the table figures, in this process (ms and MiB)."""
    app, settings = _application()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMainWindow

    empty = QMainWindow()
    empty.resize(1400, 860)
    empty.show()
    app.processEvents()
    empty.grab()
    empty_mib = peak_rss_mib()
    empty.close()

    from PySide6.QtCore import QEvent, QObject

    from incidentlog.app import build_main_window
    from incidentlog.domain.query import IncidentFilter
    from incidentlog.domain.when import parse_local

    class PaintWatcher(QObject):
        """Times the paint events of the table's viewport: a screen is "painted"
        when the event loop has painted it, as it would on a display (no grab).

        The filter paints the viewport itself (what the scroll area's own filter
        would do next) to know when the paint *ends*; ``ready`` is asked when a
        paint begins, and the end of the first paint for which it holds is kept.
        """

        ready: Any = None
        painted_at: float | None = None

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() != QEvent.Type.Paint or watched is not table.viewport():
                return False
            wanted = self.painted_at is None and self.ready is not None and self.ready()
            table.viewportEvent(event)
            if wanted:
                self.painted_at = time.perf_counter()
            return True

    out: dict[str, float] = {}
    started = time.perf_counter()
    window = build_main_window(["--db", str(db), "--read-only"], settings=settings)
    window.resize(1400, 860)
    out["window built (database opened, widgets made)"] = (time.perf_counter() - started) * 1e3
    table = window.workspace.incident_table
    model = table.incident_model
    counted: list[int] = []
    model.countsChanged.connect(lambda shown, _total: counted.append(shown))

    watcher = PaintWatcher()
    table.viewport().installEventFilter(watcher)

    def painted_after(begin: float, ready: Any) -> float:
        """Milliseconds from ``begin`` to the end of the first paint that shows ``ready()``."""
        watcher.ready, watcher.painted_at = ready, None
        if ready():  # already true (a scroll): the next paint shows it
            table.viewport().update()
        _wait(app, lambda: watcher.painted_at is not None)
        assert watcher.painted_at is not None
        return (watcher.painted_at - begin) * 1e3

    shown = time.perf_counter()
    window.show()
    # The "paint the first screen": rows on screen. On a large log their
    # count follows with the full id list (counting every row costs more than
    # the page).
    out["first screen after the window exists"] = painted_after(
        shown, lambda: model.rowCount() > 0)
    _wait(app, lambda: not model.loading)
    out["all ids loaded after the window exists"] = (time.perf_counter() - shown) * 1e3

    def timed(label: str, action: Any, all_ids: str | None = None) -> None:
        counted.clear()
        begin = time.perf_counter()
        action()
        # The new first screen with its count: the model announced the count of
        # the new sort or filter (the first page's, or the full list's).
        out[label] = painted_after(begin, lambda: bool(counted))
        _wait(app, lambda: not model.loading)
        if all_ids:
            out[all_ids] = (time.perf_counter() - begin) * 1e3

    begin = time.perf_counter()
    table.scrollToBottom()
    out["scroll to the last row"] = painted_after(begin, lambda: True)
    table.scrollToTop()
    keys = [column.key for column in model.columns]
    ascending, descending = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
    timed("sort by title", lambda: model.sort(keys.index("title"), ascending),
          "sort by title: all ids")
    timed("sort by country", lambda: model.sort(keys.index("country"), ascending),
          "sort by country: all ids")
    timed("sort by date (descending)", lambda: model.sort(keys.index("occurred"), descending))
    state = window.context.state
    timed("search a rare word: count + first screen",
          lambda: state.set_filter(IncidentFilter(text=RARE_WORD)),
          "search a rare word: all ids")
    out["rare word rows"] = model.rowCount()
    timed("search a common word: count + first screen",
          lambda: state.set_filter(IncidentFilter(text=COMMON_WORD)),
          "search a common word: all ids")
    out["common word rows"] = model.rowCount()
    since, until = parse_local("2022-01", "UTC").utc, parse_local("2022-07", "UTC").utc
    timed("filter country + date range: count + first screen",
          lambda: state.set_filter(IncidentFilter(countries=("IQ",), since=since, until=until)),
          "filter country + date range: all ids")
    out["memory above an empty window"] = peak_rss_mib() - empty_mib
    out["rows"] = model.total
    window.close()
    return out


def _save_run(copy: Path | str) -> list[float]:
    """Save an edited incident from the form ``SAVES`` times on a writable copy (ms each)."""
    app, settings = _application()
    from incidentlog.app import build_main_window

    window = build_main_window(["--db", str(copy)], settings=settings)
    window.resize(1400, 860)
    window.show()
    model = window.workspace.incident_table.incident_model
    _wait(app, lambda: not model.loading and model.rowCount() > 0)
    runner = window.context.runner
    _wait(app, lambda: not runner.busy)  # the daily backup of the copy
    form = window.workspace.incident_form
    samples = []
    for number in range(SAVES):
        window.context.state.set_current_incident(model.uid_at(number * 10))
        app.processEvents()
        form.title.setText(f"{form.title.text()} (edited {number})")
        begin = time.perf_counter()
        if not form.save():
            raise RuntimeError("the form did not save")
        app.processEvents()
        samples.append((time.perf_counter() - begin) * 1e3)
    window.close()
    return samples


BARE_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(["bare"])
window = QMainWindow()
window.resize(1400, 860)

class FirstPaint(QObject):
    painted = False

    def eventFilter(self, _watched, event):
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False

# The same probe as incidentlog's side: the first paint the event loop makes, no grab().
first = FirstPaint()
window.installEventFilter(first)
window.show()
while not first.painted:
    app.processEvents()
print("painted", flush=True)
"""


def _spawn_until_painted(command: list[str], lines: tuple[str, ...] = ("painted",)
                         ) -> list[float]:
    """Milliseconds from spawning ``command`` to each of its ``lines`` (in the order of
    ``lines``, whatever order they come in: two paints can land in one turn of the loop).

    incidentlog prints them itself with ``INCIDENTLOG_START_MARKS=1``
    (gui/start_marks.py), from inside the paints, as the bare window below does."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "INCIDENTLOG_START_MARKS": "1",
           "INCIDENTLOG_DATA_DIR": tempfile.mkdtemp(prefix="bench-start-")}
    times: dict[str, float] = {}
    begin = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as child:
        # A program that prints no marks (a packaged build older than gui/start_marks.py)
        # would otherwise be waited for forever.
        limit = threading.Timer(START_LIMIT_S, child.kill)
        limit.start()
        try:
            assert child.stdout is not None
            for line in child.stdout:
                word = line.strip()
                if word in lines and word not in times:
                    times[word] = (time.perf_counter() - begin) * 1e3
                    if len(times) == len(lines):
                        child.kill()
                        return [times[name] for name in lines]
        finally:
            limit.cancel()
            child.kill()
    raise RuntimeError(f"{command[0]} printed {sorted(times)} of {lines} within "
                       f"{START_LIMIT_S:.0f} s (a packaged build older than the source? "
                       "bash packaging/build.sh)")


def compile_bytecode() -> None:
    """Compile incidentlog's modules, as installing the package does.

    An editable install (``pip install -e``) writes its bytecode on the first
    start; where ``PYTHONDONTWRITEBYTECODE`` is set (this machine) it never
    does, and every start would compile ~100 modules (~0.3 s).
    """
    import compileall

    import incidentlog

    compileall.compile_dir(Path(incidentlog.__file__).parent, quiet=1)


def _commands(db: Path) -> tuple[list[str], list[str] | None]:
    """``incidentlog --db LOG --read-only`` as installed from the source (this venv's
    console script), and as the packaged build given to ``python -m bench --packaged``
    (None without)."""
    arguments = ["--db", str(db), "--read-only"]  # read-only: no daily backup of the log
    script = Path(sys.executable).with_name("incidentlog")
    installed = ([str(script)] if script.exists()
                 else [sys.executable, "-m", "incidentlog"]) + arguments
    packaged = os.environ.get(PACKAGED_VARIABLE)
    return installed, ([packaged, *arguments] if packaged else None)


def _child(args: list[str]) -> Any:
    completed = subprocess.run([sys.executable, "-m", "bench.bench_table", *args],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"bench_table {args} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(db: Path | str, repeat: int) -> list[Figure]:
    """The table figures on a log file, or on a server log (``postgresql://…``): there the
    start-up figures are left out (the first rows before the data layer are a file's,
    gui/first_rows.py) and the save is timed on a scratch copy of the database."""
    server = is_server(db)
    figures = {name: Figure("table", name, unit, limit=limit)
               for name, (unit, limit) in FIGURES.items()
               if not (server and name.startswith(("start-up", "packaged build")))}
    compile_bytecode()
    packaged = None if server else _commands(Path(db))[1]
    if packaged is None:
        figures = {name: figure for name, figure in figures.items()
                   if not name.startswith("packaged build")}
    for _ in range(repeat):
        if not server:
            _startup_figures(Path(db), figures)
        for name, value in _child(["--db", str(db), "--one"]).items():
            if name in figures:
                figures[name].add(value)
    if server:
        from bench.server_log import scratch_copy

        with scratch_copy(str(db)) as copy:
            samples = _child(["--db", copy, "--save"])
    else:
        samples = _save_on_copy(Path(db))
    for sample in samples:
        figures["save one edited incident"].add(sample)
    return list(figures.values())


def _startup_figures(db: Path, figures: dict[str, Figure]) -> None:
    installed, packaged = _commands(db)
    ours, rows, workspace = _spawn_until_painted(installed, ("painted", "rows", "workspace"))
    [bare] = _spawn_until_painted([sys.executable, "-c", BARE_WINDOW])
    if packaged is not None:
        [built] = _spawn_until_painted(packaged, ("rows",))
        figures["packaged build: process start to the first rows painted"].add(built)
        figures["packaged build: first rows ratio to the bare window"].add(built / bare)
    figures["start-up: process start to painted window"].add(ours)
    figures["start-up: bare PySide6 window process"].add(bare)
    figures["start-up ratio to the bare window"].add(ours / bare)
    figures["start-up: process start to the first rows painted"].add(rows)
    figures["start-up: first rows ratio to the bare window"].add(rows / bare)
    figures["start-up: process start to the table's own rows painted"].add(workspace)


def _save_on_copy(db: Path) -> list[float]:
    scratch = Path(tempfile.mkdtemp(prefix="bench-save-", dir=db.parent))
    try:
        copy = scratch / db.name
        shutil.copyfile(db, copy)
        return list(_child(["--db", str(copy), "--save"]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=log_target, default=DEFAULT_DB,
                        help="a log file, or a server log (postgresql://…)")
    parser.add_argument("--repeat", type=int, default=3)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    mode.add_argument("--save", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not is_server(args.db) and not Path(args.db).exists():
        parser.error(f"{args.db} does not exist: make one with python -m bench.generate")
    if args.one:
        print(json.dumps(_table_run(args.db)))
    elif args.save:
        print(json.dumps(_save_run(args.db)))
    else:
        print(markdown_table(measure(args.db, args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
