"""Export (CSV, JSON) and import of a whole log, each against its reference in the same run.

    python -m bench.bench_exchange --db LOG.sqlite3 [--repeat 3]

Each repeat, in a private folder under /var/tmp (removed afterwards; LOG is
only ever opened read-only):

- **export CSV**: ``export_csv`` of the whole log (incidents.csv, sources.csv,
  quotes.csv), in a child process; its time and the child's peak memory.
  Reference: the ``sqlite3`` tool with ``-csv`` writing the same rows to a
  file: the three SELECTs the exporter runs (same rows, same order, so the
  same index walks and partial sorts), each with what the export joins in per
  row — an incident's tags and the titles of the sources it cites, the refs of
  the incidents citing a source, a quote's incident and source — as
  correlated ``group_concat`` subqueries. What the reference does not do is
  ours to pay: labels, local times, formula neutralization, quoting, fsync.
  The ratio is ours ÷ the reference's, per run.
- **export JSON**: ``export_json`` of the whole log, the same way; reference:
  ``sqlite3 -json`` over the same SELECTs, tags and citations joined in with
  ``json_group_array``.
- **import**: ``import_json`` of that JSON export into a new, empty database
  (validation of the whole file, then the merge in one transaction, with
  audit entries and the full-text index kept by its triggers), in a child
  process: records (incidents + sources + quotes + periods) per second and
  the child's peak memory. Reference: a raw ``executemany`` loop (sqlite3
  module, batches of 500, one transaction, the application's pragmas) that
  inserts the rows the import writes — the same incidents, sources, quotes,
  citations and tags, read from LOG — into a new database of the same schema
  (its indexes and full-text triggers included); only the inserts and the
  commit are timed. Both rates count the same records, so the ratio is the
  reference's time ÷ the import's; the raw rate over all rows it inserted
  (citations and tags too) is given in its note.

Times are wall-clock of the work itself, measured inside each child: not the
interpreter's start, nor opening the database (for the exports: its checks of the
file; for the import: creating the new database). The sqlite3 tool's time is its
whole process. Peak memory is the child's ``ru_maxrss``. Nothing here
fails on time: the targets (docs/performance.md) are reported as met or not.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Figure, markdown_table

GROUP = "exchange"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = Path("/var/tmp/ilog/log-1m.sqlite3")

# The export's three SELECTs (exchange.scope, whole log) with the per-row extras joined in.
_CSV_SQL = """
SELECT i.*,
  (SELECT group_concat(t.tag, '; ') FROM incident_tag t WHERE t.incident_id = i.id),
  (SELECT group_concat(coalesce(s.title, s.url, s.uid), '; ')
     FROM incident_source l JOIN source s ON s.id = l.source_id
    WHERE l.incident_id = i.id AND s.deleted_at IS NULL)
FROM incident i WHERE likely(i.deleted_at IS NULL) ORDER BY i.occurred_at, i.ref, i.uid;
SELECT s.*, (SELECT group_concat(i.ref, '; ')
     FROM incident_source l JOIN incident i ON i.id = l.incident_id
    WHERE l.source_id = s.id AND i.deleted_at IS NULL)
FROM source s WHERE likely(s.deleted_at IS NULL) AND likely(s.published_at IS NULL)
ORDER BY s.uid;
SELECT s.*, (SELECT group_concat(i.ref, '; ')
     FROM incident_source l JOIN incident i ON i.id = l.incident_id
    WHERE l.source_id = s.id AND i.deleted_at IS NULL)
FROM source s WHERE likely(s.deleted_at IS NULL) AND s.published_at IS NOT NULL
ORDER BY s.published_at, s.uid;
SELECT q.*, i.uid, i.ref, s.uid, s.title, s.url
FROM quote q LEFT JOIN incident i ON i.id = q.incident_id AND i.deleted_at IS NULL
  LEFT JOIN source s ON s.id = q.source_id AND s.deleted_at IS NULL
WHERE likely(q.deleted_at IS NULL) AND likely(q.said_at IS NULL) ORDER BY q.uid;
SELECT q.*, i.uid, i.ref, s.uid, s.title, s.url
FROM quote q LEFT JOIN incident i ON i.id = q.incident_id AND i.deleted_at IS NULL
  LEFT JOIN source s ON s.id = q.source_id AND s.deleted_at IS NULL
WHERE likely(q.deleted_at IS NULL) AND q.said_at IS NOT NULL ORDER BY q.said_at, q.uid;
"""
_JSON_SQL = """
SELECT i.*,
  (SELECT json_group_array(t.tag) FROM incident_tag t WHERE t.incident_id = i.id) AS tags,
  (SELECT json_group_array(json_object('source', s.uid, 'note', l.note))
     FROM incident_source l JOIN source s ON s.id = l.source_id
    WHERE l.incident_id = i.id AND s.deleted_at IS NULL) AS sources
FROM incident i WHERE likely(i.deleted_at IS NULL) ORDER BY i.occurred_at, i.ref, i.uid;
SELECT s.* FROM source s WHERE likely(s.deleted_at IS NULL) AND likely(s.published_at IS NULL)
ORDER BY s.uid;
SELECT s.* FROM source s WHERE likely(s.deleted_at IS NULL) AND s.published_at IS NOT NULL
ORDER BY s.published_at, s.uid;
SELECT q.*, i.uid AS incident, s.uid AS source
FROM quote q LEFT JOIN incident i ON i.id = q.incident_id AND i.deleted_at IS NULL
  LEFT JOIN source s ON s.id = q.source_id AND s.deleted_at IS NULL
WHERE likely(q.deleted_at IS NULL) AND likely(q.said_at IS NULL) ORDER BY q.uid;
SELECT q.*, i.uid AS incident, s.uid AS source
FROM quote q LEFT JOIN incident i ON i.id = q.incident_id AND i.deleted_at IS NULL
  LEFT JOIN source s ON s.id = q.source_id AND s.deleted_at IS NULL
WHERE likely(q.deleted_at IS NULL) AND q.said_at IS NOT NULL ORDER BY q.said_at, q.uid;
SELECT p.* FROM period p WHERE p.deleted_at IS NULL ORDER BY p.starts_at, p.uid;
"""
#: What the import writes besides the audit log, in the order it writes it.
_RAW_TABLES = ("source", "incident", "incident_tag", "incident_source", "quote", "period")
_RAW_BATCH = 500


# --- the children ------------------------------------------------------------------------


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_export(kind: str, db: Path, out: Path) -> dict[str, float]:
    from incidentlog.exchange import export_csv, export_json
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    # Opened before the clock starts: opening checks the file (a quick_check below
    # 64 MiB), which is not the export's work and which the sqlite3 tool does not do.
    with open_database(db, read_only=True) as database:
        export = export_csv if kind == "csv" else export_json
        started = time.perf_counter()
        report = export(Services(database, actor="bench"), out)
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mib": _peak_mib(),
        "records": report.incidents + report.sources + report.quotes,
    }


def _child_import(source: Path, db: Path) -> dict[str, float]:
    from incidentlog.exchange import import_json
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    with open_database(db) as database:  # created before the clock starts
        started = time.perf_counter()
        report = import_json(Services(database, actor="bench"), source)
        seconds = time.perf_counter() - started
    kinds = (report.incidents, report.sources, report.quotes, report.periods)
    return {
        "seconds": seconds,
        "peak_mib": _peak_mib(),
        "records": sum(kind.total for kind in kinds),
    }


def _child_raw(source: Path, db: Path) -> dict[str, float]:
    """executemany of the rows the import writes, into a new database of the same schema."""
    from incidentlog.store.database import open_database

    with open_database(db):  # the real schema: indexes, full-text triggers, audit triggers
        pass
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON",
                   "cache_size = -32768", "temp_store = MEMORY"):
        writer.execute(f"PRAGMA {pragma}")
    live = {"incident": "deleted_at IS NULL", "source": "deleted_at IS NULL",
            "quote": "deleted_at IS NULL", "period": "deleted_at IS NULL"}
    rows = records = 0
    seconds = 0.0
    started = time.perf_counter()
    writer.execute("BEGIN IMMEDIATE")
    seconds += time.perf_counter() - started
    for table in _RAW_TABLES:
        where = f" WHERE {live[table]}" if table in live else ""
        cursor = reader.execute(f"SELECT * FROM {table}{where}")
        marks = ", ".join("?" * len(cursor.description))
        insert = f"INSERT INTO {table} VALUES ({marks})"
        while batch := cursor.fetchmany(_RAW_BATCH):
            started = time.perf_counter()
            writer.executemany(insert, batch)
            seconds += time.perf_counter() - started
            rows += len(batch)
            if table in live:
                records += len(batch)
    started = time.perf_counter()
    writer.execute("COMMIT")
    seconds += time.perf_counter() - started
    writer.close()
    reader.close()
    return {"seconds": seconds, "peak_mib": _peak_mib(), "records": records, "rows": rows}


def _run_child(*arguments: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_exchange", "--child", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child {arguments[0]} failed:\n{result.stderr}")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def _run_sqlite3(mode: str, db: Path, sql: str, out: Path) -> float:
    """Seconds the sqlite3 tool takes to write the rows of ``sql`` to ``out``."""
    tool = shutil.which("sqlite3")
    if tool is None:
        raise RuntimeError("the sqlite3 command-line tool is not installed (apt install sqlite3)")
    with out.open("wb") as handle:
        started = time.perf_counter()
        subprocess.run(
            [tool, "-readonly", f"-{mode}", str(db)],
            input=sql.encode(),
            stdout=handle,
            check=True,
        )
        return time.perf_counter() - started


# --- the suite ---------------------------------------------------------------------------


def measure(db: Path, repeat: int) -> list[Figure]:
    """The figures of export and import of ``db`` (read-only), ``repeat`` runs each."""
    db = Path(db).resolve()

    def figure(name: str, unit: str, limit: float | None = None, comparison: str = "<=",
               note: str = "") -> Figure:
        return Figure(GROUP, name, unit, limit=limit, comparison=comparison,  # type: ignore[arg-type]
                      note=note)

    csv_ms = figure("export CSV, 3 files", "ms")
    csv_ref = figure("sqlite3 -csv, same rows", "ms")
    csv_ratio = figure("export CSV ÷ sqlite3 -csv", "×", 3.5)
    csv_mem = figure("export CSV peak memory", "MiB", 250)
    json_ms = figure("export JSON", "ms")
    json_ref = figure("sqlite3 -json, same rows", "ms")
    json_ratio = figure("export JSON ÷ sqlite3 -json", "×", 2)
    json_mem = figure("export JSON peak memory", "MiB", 250)
    import_rate = figure("import JSON into an empty database", "rows/s", note="records/s")
    raw_rate = figure("raw executemany, same rows", "rows/s", note="records/s")
    import_ratio = figure("import ÷ raw executemany", "%", 25, ">=")
    import_mem = figure("import peak memory", "MiB", 500)
    work = Path(tempfile.mkdtemp(prefix="bench-exchange-", dir="/var/tmp"))
    raw_rows: list[float] = []
    try:
        for run in range(repeat):
            folder = work / f"run{run}"
            folder.mkdir()
            ours = _run_child("csv", str(db), str(folder / "csv"))
            reference = _run_sqlite3("csv", db, _CSV_SQL, folder / "reference.csv")
            csv_ms.add(ours["seconds"] * 1000)
            csv_ref.add(reference * 1000)
            csv_ratio.add(ours["seconds"] / reference)
            csv_mem.add(ours["peak_mib"])
            shutil.rmtree(folder / "csv")
            (folder / "reference.csv").unlink()

            export = folder / "log.incidentlog.json"
            ours = _run_child("json", str(db), str(export))
            reference = _run_sqlite3("json", db, _JSON_SQL, folder / "reference.json")
            json_ms.add(ours["seconds"] * 1000)
            json_ref.add(reference * 1000)
            json_ratio.add(ours["seconds"] / reference)
            json_mem.add(ours["peak_mib"])
            (folder / "reference.json").unlink()

            imported = _run_child("import", str(export), str(folder / "imported.sqlite3"))
            _remove_database(folder / "imported.sqlite3")
            export.unlink()
            raw = _run_child("raw", str(db), str(folder / "raw.sqlite3"))
            _remove_database(folder / "raw.sqlite3")
            import_records_per_s = imported["records"] / imported["seconds"]
            raw_records_per_s = raw["records"] / raw["seconds"]
            import_rate.add(import_records_per_s)
            raw_rate.add(raw_records_per_s)
            raw_rows.append(raw["rows"] / raw["seconds"])
            import_ratio.add(100 * import_records_per_s / raw_records_per_s)
            import_mem.add(imported["peak_mib"])
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if raw_rows:
        raw_rate.note = (
            f"records/s; {sorted(raw_rows)[len(raw_rows) // 2]:,.0f} rows/s counting "
            "citations and tags"
        )
    return [
        csv_ms, csv_ref, csv_ratio, csv_mem,
        json_ms, json_ref, json_ratio, json_mem,
        import_rate, raw_rate, import_ratio, import_mem,
    ]  # fmt: skip


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("WHAT", "FROM", "TO"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        what, source, target = args.child[0], Path(args.child[1]), Path(args.child[2])
        figures: dict[str, Any]
        if what in ("csv", "json"):
            figures = _child_export(what, source, target)
        elif what == "import":
            figures = _child_import(source, target)
        else:
            figures = _child_raw(source, target)
        print(json.dumps(figures))
        return 0
    if not args.db.exists():
        parser.error(f"{args.db} does not exist: make one with python -m bench.generate")
    print(markdown_table(measure(args.db, args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
