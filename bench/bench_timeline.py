"""Benchmark of the timeline view on a large log (the timeline targets of docs/performance.md).

    python -m bench.bench_timeline [--db /tmp/bench/log-1m.sqlite3] [--runs 5]

Builds the real ``TimelineView`` offscreen at 1400×600 on a *copy* of the log
(the original is never opened), with the real thread pool, and prints the
median and the spread (min–max) over ``--runs`` runs, after one warm-up run
that is not counted (it fills the OS cache), of:

* **first paint, zoomed out**: from constructing the view to the first frame
  that shows the whole log (counts per week, by where intervals start),
  painted into a ``QImage``; then, apart, until the quote track is drawn too
  (asked for after the incidents), and until week/month/year intervals are
  spread (the slow read, asked for last; it never blocks the window);
* **paint zoomed out**: painting that frame again (what a repaint costs);
* **zoomed in to one week**: asking for the week and laying it out, and
  painting it (the target is on the paint);
* **after a filter change** (country = IQ) from the zoomed-out view: from
  ``set_filter`` to the new frame painted.

Targets (docs/performance.md, 1,000,000 incidents): zoomed out ≤ 300 ms, one week ≤ 50 ms,
after a filter change ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Figure, log_target

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEFAULT_DB = Path("/tmp/bench/log-1m.sqlite3")
WIDTH, HEIGHT = 1400, 600
TARGETS_MS = {
    "first paint, zoomed out": 300.0,
    "paint zoomed out (repaint)": 300.0,
    "one week: paint": 50.0,
    "after filter change (country = IQ)": 300.0,
}


@dataclass
class Figures:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.samples.setdefault(name, []).append(seconds * 1000)


def _wait(app: object, done: Callable[[], bool], timeout: float = 600.0,
          what: str = "") -> None:
    deadline = time.perf_counter() + timeout
    while not done():
        app.processEvents()  # type: ignore[attr-defined]
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the timeline did not answer in time: {what}")
        time.sleep(0.0005)
    if os.environ.get("BENCH_VERBOSE"):
        print(f"  {time.strftime('%H:%M:%S')} {what} done", file=sys.stderr)


def run_once(app: object, database: object, figures: Figures | None, *,
             lanes: str | None = None) -> dict[str, float]:
    """One full run on an open database; adds to ``figures`` unless it is the warm-up."""
    from PySide6.QtGui import QUndoStack

    from incidentlog.domain.query import IncidentFilter
    from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
    from incidentlog.gui.settings import Settings, open_settings
    from incidentlog.gui.timeline import TimelineView
    from incidentlog.gui.workers import TaskRunner
    from incidentlog.services import Services

    scratch = Path(tempfile.mkdtemp(prefix="bench-timeline-"))
    services = Services(database, actor="bench")  # type: ignore[arg-type]
    settings = open_settings(scratch / "settings.ini")
    settings.setValue("timeline/lanes", lanes or "")
    context = AppContext(services, SelectionState(), ChangeBus(services), QUndoStack(),
                         Settings(settings), TaskRunner())
    found: dict[str, float] = {}

    def note(name: str, seconds: float) -> None:
        found[name] = seconds * 1000
        if figures is not None:
            figures.add(name, seconds)

    def frame(view: TimelineView) -> float:
        began = time.perf_counter()
        view.render_image()
        return time.perf_counter() - began

    def settled(view: TimelineView) -> bool:
        return (view.mode is not None and not view.is_busy()
                and not view.fetcher.timer.isActive())

    began = time.perf_counter()
    view = TimelineView(context)
    view.resize(WIDTH, HEIGHT)
    view.show()
    _wait(app, lambda: view.mode is not None, what="first answer")
    frame(view)
    note("first paint, zoomed out", time.perf_counter() - began)
    _wait(app, lambda: settled(view), what="quote track")
    note("quote track drawn too", time.perf_counter() - began)
    _wait(app, lambda: view.fetcher.long_groups is not None, what="long intervals")
    _wait(app, lambda: settled(view), what="spread")
    note("spread of long intervals ready", time.perf_counter() - began)
    # The median of three repaints: a typical repaint, not the luckiest.
    note("paint zoomed out (repaint)", statistics.median(frame(view) for _ in range(3)))

    # One week in the middle of the log.
    start, end = view.visible_window()
    middle = start + (end - start) / 2
    week_start = datetime(middle.year, middle.month, middle.day, tzinfo=UTC)
    began = time.perf_counter()
    view.set_visible_window(week_start, week_start + timedelta(days=7))
    _wait(app, lambda: settled(view) and view.mode == "items",
          what=f"a week from {week_start:%Y-%m-%d}")
    note("one week: fetch and lay out", time.perf_counter() - began)
    note("one week: paint", frame(view))  # the first frame of the week: what one sees
    found["items in the week"] = len(view.shown_items())
    found["quotes in the week"] = len(view.shown_quotes())

    # Back to everything, then a filter.
    view.fit_all()
    # Density on a large log; a small one (the test suite's) shows its items.
    _wait(app, lambda: settled(view) and view.visible_window() != (week_start,
          week_start + timedelta(days=7)), what="fit all")
    began = time.perf_counter()
    context.state.set_filter(IncidentFilter(countries=("IQ",)))
    _wait(app, lambda: settled(view) and view.layout_data is not None
          and view.layout_data.data is not None
          and view.layout_data.data.request.flt.countries == ("IQ",), what="filter")
    frame(view)
    note("after filter change (country = IQ)", time.perf_counter() - began)
    context.runner.wait()
    view.close()
    view.deleteLater()
    app.processEvents()  # type: ignore[attr-defined]
    context.bus.detach()
    shutil.rmtree(scratch, ignore_errors=True)
    return found


def report(figures: Figures, incidents: int, runs: int, lanes: str | None) -> str:
    lines = [f"timeline on {incidents:,} incidents, {WIDTH}×{HEIGHT}, {runs} runs"
             f" (+1 warm-up), lanes: {lanes or 'none'}",
             f"{'measure':<38} {'median':>9} {'spread (min–max)':>20} {'target':>8}  ok"]
    for name, values in figures.samples.items():
        median = statistics.median(values)
        spread = f"{min(values):.0f}–{max(values):.0f} ms"
        target = TARGETS_MS.get(name)
        verdict = "" if target is None else ("yes" if median <= target else "NO")
        target_text = f"{target:.0f} ms" if target is not None else ""
        lines.append(f"{name:<38} {median:>6.1f} ms {spread:>20} {target_text:>8}  {verdict}")
    return "\n".join(lines)


def _collect(db: Path | str, runs: int, *, copy: bool,
             lanes: str | None) -> tuple[Figures, int, dict[str, float]]:
    from PySide6.QtWidgets import QApplication

    from incidentlog.store.database import open_database

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="bench-timeline-db-") as folder:
        os.environ["INCIDENTLOG_DATA_DIR"] = str(Path(folder) / "data")
        path = db
        if copy:
            assert isinstance(db, Path)
            path = Path(folder) / db.name
            shutil.copyfile(db, path)
        database = open_database(path, read_only=True)
        try:
            with database.read() as connection:
                incidents = connection.exec_driver_sql(
                    "SELECT count(*) FROM incident WHERE deleted_at IS NULL").scalar_one()
            run_once(app, database, None, lanes=lanes)  # warm-up: not counted
            figures = Figures()
            extra: dict[str, float] = {}
            for _ in range(runs):
                extra = run_once(app, database, figures, lanes=lanes)
        finally:
            database.close()
    return figures, int(incidents), extra


def run(db: Path | str, runs: int = 5, *, copy: bool = True, lanes: str | None = None) -> str:
    """Run the benchmark on ``db`` (copied first unless ``copy`` is False) and report."""
    figures, incidents, extra = _collect(db, runs, copy=copy, lanes=lanes)
    text = report(figures, incidents, runs, lanes)
    text += (f"\n(the week shown held {extra.get('items in the week', 0):,.0f} incidents and "
             f"{extra.get('quotes in the week', 0):,.0f} quotes)")
    return text


def measure(db: Path | str, repeat: int) -> list[Figure]:
    """The figures for the suite (``python -m bench``): each run in a fresh process (as the
    window's first use of the timeline is), the log opened read-only, not copied."""
    figures = Figures()
    for _ in range(repeat):
        completed = subprocess.run(
            [sys.executable, "-m", "bench.bench_timeline", "--db", str(db), "--one-run"],
            capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"bench_timeline failed:\n{completed.stderr[-2000:]}")
        for name, value in json.loads(completed.stdout.strip().splitlines()[-1]).items():
            if name in TIMED:
                figures.add(name, value / 1000)
    return [Figure("timeline", name, "ms", samples, limit=TARGETS_MS.get(name))
            for name, samples in figures.samples.items()]


#: The figures that are times (``run_once`` also counts what the week showed).
TIMED = ("first paint, zoomed out", "quote track drawn too", "spread of long intervals ready",
         "paint zoomed out (repaint)", "one week: fetch and lay out", "one week: paint",
         "after filter change (country = IQ)")


def _one_run(db: Path | str) -> dict[str, float]:
    """One run, no warm-up, in this (fresh) process: what ``measure`` spawns."""
    from PySide6.QtWidgets import QApplication

    from incidentlog.store.database import open_database

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="bench-timeline-data-") as folder:
        os.environ["INCIDENTLOG_DATA_DIR"] = folder
        database = open_database(db, read_only=True)
        try:
            return run_once(app, database, None)
        finally:
            database.close()


def render_screenshots(out: Path, ten_thousand: Path | None = None) -> list[Path]:
    """``timeline-demo.png`` (the demo data, lanes by country, a period, the al-Assad
    attack selected) and ``timeline-10k.png`` (a generated log of 10,000 incidents,
    lanes by country), 1400×600, offscreen, into ``out``."""
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QApplication

    from incidentlog.domain.query import IncidentFilter
    from incidentlog.domain.records import Period
    from incidentlog.domain.when import parse_local
    from incidentlog.exchange import import_json
    from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
    from incidentlog.gui.settings import Settings, open_settings
    from incidentlog.gui.timeline import TimelineWidget
    from incidentlog.gui.workers import TaskRunner
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    app = QApplication.instance() or QApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="timeline-shots-") as folder:
        scratch = Path(folder)
        os.environ["INCIDENTLOG_DATA_DIR"] = str(scratch / "data")
        demo_db = scratch / "demo.sqlite3"
        with open_database(demo_db) as database:
            services = Services(database, actor="demo")
            import_json(services, Path(__file__).resolve().parents[1] / "resources" / "demo"
                        / "demo.json")
            services.periods.create(Period(
                name="Campaign against US bases, 17 Oct 2023 – 4 Feb 2024",
                start=parse_local("2023-10-17", "Asia/Baghdad"),
                end=parse_local("2024-02-04", "Asia/Baghdad"), color="#d62728"))
        copy = scratch / "log-10k.sqlite3"
        if ten_thousand is None:
            from bench.generate import generate

            generate(copy, 10_000, report=False)
        else:  # a copy, opened as a user would (writable: the toolbar as it is)
            shutil.copyfile(ten_thousand, copy)
        for name, path, lanes in (("timeline-demo.png", demo_db, "country"),
                                  ("timeline-10k.png", copy, "country")):
            with open_database(path) as database:
                services = Services(database, actor="shots")
                settings = open_settings(scratch / f"{name}.ini")
                settings.setValue("timeline/lanes", lanes)
                context = AppContext(services, SelectionState(), ChangeBus(services),
                                     QUndoStack(), Settings(settings), TaskRunner())
                widget = TimelineWidget(context)
                widget.resize(WIDTH, HEIGHT)
                widget.show()
                view = widget.view

                def settled(view: object = view) -> bool:
                    return (view.mode is not None and not view.is_busy()  # type: ignore[attr-defined]
                            and not view.fetcher.timer.isActive()  # type: ignore[attr-defined]
                            and view.fetcher.long_groups is not None)  # type: ignore[attr-defined]

                _wait(app, settled, what=name)
                if name == "timeline-demo.png":
                    found = services.incident_query.page(IncidentFilter(text="Assad"), limit=1)
                    if found:
                        context.state.set_current_incident(found[0].uid)
                    _wait(app, settled, what=name)
                for _ in range(5):
                    app.processEvents()  # type: ignore[attr-defined]
                target = out / name
                widget.grab().save(str(target))
                written.append(target)
                context.runner.wait()
                widget.close()
                context.bus.detach()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=log_target, default=DEFAULT_DB,
                        help="the log (copied first), or a server log (postgresql://…)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lanes", choices=["country", "event_type", "perpetrator", "place"],
                        default=None, help="lanes to show (default: none)")
    parser.add_argument("--no-copy", action="store_true",
                        help="open the log itself, read-only, instead of a copy")
    parser.add_argument("--screenshots", type=Path, metavar="FOLDER",
                        help="render docs/screenshots/timeline-*.png into FOLDER instead "
                             "(--db then names the 10,000-incident log; default: generate one)")
    parser.add_argument("--one-run", action="store_true",
                        help="one run in this process, the log read-only, figures as JSON "
                             "(what the suite spawns for each run)")
    args = parser.parse_args(argv)
    if args.one_run:
        print(json.dumps(_one_run(args.db)))
        return 0
    if args.screenshots is not None:
        ten = args.db if args.db != DEFAULT_DB else None
        for path in render_screenshots(args.screenshots, ten):
            print(path)
        return 0
    if isinstance(args.db, str):  # a server log: opened read-only, never copied
        print(run(args.db, args.runs, copy=False, lanes=args.lanes))
        return 0
    if not args.db.is_file():
        parser.error(f"{args.db} does not exist: python -m bench.generate --db {args.db} "
                     "--incidents 1000000")
    print(run(args.db, args.runs, copy=not args.no_copy, lanes=args.lanes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
