"""Migration 0014 (the indexes of the lanes by actor) on a 0013 log with data, both engines."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import inspect

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.query import IncidentFilter
from incidentlog.services import Services
from incidentlog.services.timeline import TimelineQuery
from incidentlog.store.audit import verify_chain
from incidentlog.store.database import Database, _alembic_config, open_database
from tests.unit.test_duplicates import AL_ASSAD
from tests.unit.test_duplicates_migration import _owner_target

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

LANE_INDEXES = {"ix_incident_actor_lane", "ix_incident_actor_role"}


def _indexes(connection: object) -> set[str]:
    return {str(index["name"]) for index in inspect(connection).get_indexes("incident_actor")}


def _downgrade_to_0013(target: str) -> None:
    from alembic import command

    database = open_database(target)
    try:
        with database.engine.execution_options(write=True).connect() as connection, \
                connection.begin():
            config = _alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0013")
            assert not LANE_INDEXES & _indexes(connection)
    finally:
        database.close()


def test_0014_upgrades_a_0013_log_with_its_actors(
        services: Services, database: Database, db_target: str,
        request: pytest.FixtureRequest) -> None:
    assad = services.incidents.create(replace(AL_ASSAD, actors=(
        IncidentActor(ActorRole.CLAIMANT, "IRI"),
        IncidentActor(ActorRole.PERPETRATOR, "Iranian-backed militants")))).record
    database.close()
    owner = _owner_target(db_target, request)
    _downgrade_to_0013(owner)
    open_database(owner).close()  # the upgrade a person gets: opening (or incidentlog init)
    database = open_database(db_target)
    request.addfinalizer(database.close)

    with database.read() as connection:
        assert _indexes(connection) >= LANE_INDEXES
        assert verify_chain(connection) == []
    fresh = Services(database, actor="tester")
    assert fresh.incidents.get(assad.meta.uid or "").actors == assad.actors
    query = TimelineQuery(database)
    assert query.values(IncidentFilter(), "actors") == [
        "Iranian-backed militants", "Islamic Resistance in Iraq"]
    assert query.values(IncidentFilter(), "actors:claimant") == ["Islamic Resistance in Iraq"]
