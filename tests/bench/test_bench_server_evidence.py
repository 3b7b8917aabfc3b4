"""The server evidence benchmark runs end to end on a small file against the tests'
server; nothing here depends on time."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.bench_server_evidence import measure
from incidentlog.services import Services
from incidentlog.store.database import open_database
from incidentlog.store.schema import blob_chunk_table
from tests.pg import PgServer

pytestmark = pytest.mark.slow


def test_measure_attaches_to_both_logs_and_gives_every_figure(
        pg_server: PgServer, tmp_path: Path) -> None:
    log = pg_server.log_database()
    try:
        figures = measure(tmp_path, pg_server.tester_url(log), 3, 1)
        assert [f.unit for f in figures] == ["×", "×", "MiB/s", "MiB/s", "×", "MiB"]
        assert all(len(f.samples) == 1 and f.samples[0] >= 0 for f in figures)
        with open_database(pg_server.tester_url(log)) as database:
            assert Services(database).evidence.check() == []
            with database.read() as connection:
                assert connection.execute(
                    select(func.count()).select_from(blob_chunk_table)).scalar_one() == 3
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "bench.sqlite3", "bench.sqlite3.evidence"]
    finally:
        pg_server.drop_database(log)
