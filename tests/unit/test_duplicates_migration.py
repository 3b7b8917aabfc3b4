"""Migration 0010 on a log of the previous format (0007) with data in it, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, make_url

from incidentlog.domain.query import IncidentFilter
from incidentlog.services import Services
from incidentlog.store.database import Database, _alembic_config, open_database
from tests.unit.test_duplicates import AL_ASSAD, SAME

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL


def _owner_target(db_target: str, request: pytest.FixtureRequest) -> str:
    """The log as its owner sees it: a server's schema changes only the owner may make."""
    if "://" not in db_target:
        return db_target
    server = request.getfixturevalue("pg_server")
    return str(server.url(make_url(db_target).database))


def _downgrade_to_0007(target: str) -> None:
    from alembic import command

    database = open_database(target)
    try:
        with database.engine.execution_options(write=True).connect() as connection, \
                connection.begin():
            config = _alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
            columns = {c["name"] for c in inspect(connection).get_columns("incident")}
            assert "merged_into" not in columns
    finally:
        database.close()


def test_0010_upgrades_a_0007_log_with_its_data(
        services: Services, database: Database, db_target: str,
        request: pytest.FixtureRequest) -> None:
    survivor = services.incidents.create(AL_ASSAD).record
    other = services.incidents.create(SAME).record
    database.close()
    owner = _owner_target(db_target, request)
    _downgrade_to_0007(owner)
    open_database(owner).close()  # the upgrade a person gets: opening (or incidentlog init)
    database = open_database(db_target)
    request.addfinalizer(database.close)

    columns = {c["name"] for c in inspect(database.engine).get_columns("incident")}
    assert "merged_into" in columns
    indexes = {i["name"] for i in inspect(database.engine).get_indexes("incident")}
    assert "ix_incident_precision" in indexes
    fresh = Services(database, actor="tester")
    assert fresh.incidents.get(survivor.meta.uid or "").title == AL_ASSAD.title
    # The full-text index survived the migration: word search and the lookup use it.
    assert fresh.incident_query.count(IncidentFilter(text="al-Assad Airbase")) == 1
    found = fresh.duplicates.candidates(SAME)  # typed again: both stored ones are alike
    assert survivor.meta.uid in {c.uid for c in found}
    fresh.merge.merge(survivor.meta.uid or "", other.meta.uid or "")
    assert fresh.incidents.get(other.meta.uid or "").meta.deleted_at is not None
