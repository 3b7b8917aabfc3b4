"""A large SQLite log on a PostgreSQL server, quickly: what the server benchmarks measure.

    python -m bench.pg_load --from LOG.sqlite3 --to postgresql://admin@host:port/db

``incidentlog copy`` is the way a desk moves its log (docs/team.md): record for
record through SQLAlchemy, then verified by counting and by comparing two JSON
exports; on 1,000,000 incidents that is far too slow to repeat for a benchmark.
This loader makes the log the same way (``open_database`` runs the real
migrations, roles and triggers on the empty database), then fills each table
with ``COPY`` from the file's rows as they are, the table's secondary indexes
dropped before and built again after (a 1M-row GIN index is built far faster
than it is filled), with the triggers off for the load (the login must be a
superuser: ``session_replication_role``), then moves the id sequences on and
runs ``ANALYZE``. It checks the row count of every table on both sides.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from incidentlog.store.database import open_database
from incidentlog.store.schema import metadata

#: Rows read from the file per fetch.
CHUNK = 20_000


def _tables() -> list[str]:
    return [t.name for t in metadata.sorted_tables if t.name != "alembic_version"]


def load(source: Path, url: str, *, report: bool = True) -> dict[str, int]:
    """Fill the empty database at ``url`` (made a log here) with the log file ``source``;
    the rows copied per table."""
    open_database(url).close()  # the schema, roles and triggers, as ``init`` makes them
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    copied: dict[str, int] = {}
    started = time.perf_counter()
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reading, \
            engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for table in _tables():
                copied[table] = _load_table(reading, cursor, table)
                if report:
                    print(f"  {table}: {copied[table]:,} rows "
                          f"({time.perf_counter() - started:,.0f} s)", file=sys.stderr)
            for table in _tables():
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, 'id') WHERE EXISTS (SELECT 1 FROM "
                    "information_schema.columns WHERE table_name = %s AND column_name = 'id')",
                    (table, table))
                sequence = cursor.fetchone()
                if sequence and sequence[0]:
                    cursor.execute(f"SELECT setval(%s, coalesce((SELECT max(id) FROM {table}), "
                                   "0) + 1, false)", (sequence[0],))
            cursor.execute("SET session_replication_role = DEFAULT")
        raw.commit()
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        raw.autocommit = False
        problems = _compare_counts(reading, raw)
    engine.dispose()
    if problems:
        raise RuntimeError("the load did not verify: " + "; ".join(problems))
    return copied


def _load_table(reading: sqlite3.Connection, cursor: object, table: str) -> int:
    columns = [row[1] for row in reading.execute(f"PRAGMA table_info({table})")]
    cursor.execute(f"DELETE FROM {table}")  # type: ignore[attr-defined]
    # The secondary indexes (not those behind a constraint), kept to be built again.
    cursor.execute(  # type: ignore[attr-defined]
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
        "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname)", (table,))
    indexes = cursor.fetchall()  # type: ignore[attr-defined]
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')  # type: ignore[attr-defined]
    quoted = ", ".join(f'"{column}"' for column in columns)
    rows = reading.execute(f"SELECT {quoted} FROM {table} ORDER BY rowid")
    count = 0
    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        while batch := rows.fetchmany(CHUNK):
            for row in batch:
                copy.write_row(row)
            count += len(batch)
    for _name, definition in indexes:
        cursor.execute(definition)  # type: ignore[attr-defined]
    return count


def _compare_counts(reading: sqlite3.Connection, raw: object) -> list[str]:
    problems = []
    with raw.cursor() as cursor:  # type: ignore[attr-defined]
        for table in _tables():
            wanted = reading.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM {table}")
            found = cursor.fetchone()[0]
            if wanted != found:
                problems.append(f"{table}: {wanted:,} rows in the file, {found:,} on the server")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--to", required=True, help="an empty database, as a superuser")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = load(args.source, args.to)
    print(f"loaded {rows.get('incident', 0):,} incidents in "
          f"{time.perf_counter() - started:,.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
