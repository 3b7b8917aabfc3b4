"""Migration 0013 on a log of the previous format (0011) with data in it, on both engines."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import inspect

from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.records import Source
from incidentlog.services import Services
from incidentlog.store.audit import verify_chain
from incidentlog.store.database import Database, _alembic_config, open_database
from tests.unit.test_duplicates import AL_ASSAD
from tests.unit.test_duplicates_migration import _owner_target

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _downgrade_to_0011(target: str) -> None:
    from alembic import command

    database = open_database(target)
    try:
        with database.engine.execution_options(write=True).connect() as connection, \
                connection.begin():
            config = _alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
            assert not {"blob", "blob_chunk"} & set(inspect(connection).get_table_names())
    finally:
        database.close()


def test_0013_upgrades_a_0011_log_with_its_data(
        services: Services, database: Database, db_target: str, db_engine: str,
        request: pytest.FixtureRequest) -> None:
    incident = services.incidents.create(AL_ASSAD).record
    source = services.sources.create(Source(title="CENTCOM", url="https://example.org/a"))
    source_uid = source.record.meta.uid or ""
    if db_engine == "sqlite":  # a server of format 0011 could not keep files
        services.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source_uid)
    database.close()
    owner = _owner_target(db_target, request)
    _downgrade_to_0011(owner)
    open_database(owner).close()  # the upgrade a person gets: opening (or incidentlog init)
    database = open_database(db_target)
    request.addfinalizer(database.close)

    assert {"blob", "blob_chunk"} <= set(inspect(database.engine).get_table_names())
    fresh = Services(database, actor="tester")
    assert fresh.incidents.get(incident.meta.uid or "").title == AL_ASSAD.title
    if db_engine == "postgresql":
        fresh.evidence.attach_bytes(PDF, "r.pdf", OwnerKind.SOURCE, source_uid)
    kept = fresh.evidence.of(OwnerKind.SOURCE, source_uid)
    assert [a.sha256 for a in kept] == [hashlib.sha256(PDF).hexdigest()]
    with fresh.evidence.open(kept[0]) as reading:
        assert reading.read() == PDF
    assert fresh.evidence.check() == []
    with database.read() as connection:
        assert verify_chain(connection) == []
        stored = connection.exec_driver_sql("SELECT count(*) FROM blob").scalar_one()
    # A log file keeps its bytes beside it; a server's are in the new table.
    assert stored == (1 if db_engine == "postgresql" else 0)
