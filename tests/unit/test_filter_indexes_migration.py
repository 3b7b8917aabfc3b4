"""Migration 0015 on a log of the previous format with data in it, on both engines: a
server's filter indexes carry the row id; a file is left as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from incidentlog.domain.query import IncidentFilter
from incidentlog.services import Services
from incidentlog.store.audit import verify_chain
from incidentlog.store.database import Database, _alembic_config, open_database
from tests.unit.test_duplicates import AL_ASSAD
from tests.unit.test_duplicates_migration import _owner_target

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

INDEXES = ("ix_incident_country", "ix_incident_event_type", "ix_incident_status")


def _definitions(connection: Connection) -> dict[str, str]:
    """Each index's definition as the engine states it."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'incident'"))
    else:
        rows = connection.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'incident'"))
    return {name: definition for name, definition in rows if name in INDEXES}


def _downgrade(target: str, revision: str) -> dict[str, str]:
    """Down to ``revision``; the index definitions then."""
    from alembic import command

    database = open_database(target)
    try:
        with database.engine.execution_options(write=True).connect() as connection, \
                connection.begin():
            config = _alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
            return _definitions(connection)
    finally:
        database.close()


def test_0015_upgrades_a_log_of_the_previous_format_with_its_data(
        services: Services, database: Database, db_target: str, db_engine: str,
        request: pytest.FixtureRequest) -> None:
    incident = services.incidents.create(AL_ASSAD).record
    with database.read() as connection:
        fresh_definitions = _definitions(connection)
    database.close()
    owner = _owner_target(db_target, request)
    before = _downgrade(owner, "-1")
    open_database(owner).close()  # the upgrade a person gets: opening (or incidentlog init)
    database = open_database(db_target)
    request.addfinalizer(database.close)

    with database.read() as connection:
        after = _definitions(connection)
    assert after == fresh_definitions  # as a log made at this format
    assert set(after) == set(INDEXES)
    if db_engine == "postgresql":
        assert all("INCLUDE (id)" in after[name] for name in INDEXES)
        assert not any("INCLUDE" in before[name] for name in INDEXES)
    else:
        assert after == before  # nothing changes in a file
    upgraded = Services(database, actor="tester")
    country = IncidentFilter(countries=(AL_ASSAD.country or "",))
    assert upgraded.incident_query.ids(country).tolist() == [incident.meta.id]
    with database.read() as connection:
        assert verify_chain(connection) == []
