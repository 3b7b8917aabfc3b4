"""Related incidents: typed, directed links, both ends, the trash, purge, audit and check."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import inspect

from incidentlog.domain.errors import ValidationError
from incidentlog.domain.links import LinkKind
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.audit import verify_chain
from incidentlog.store.check import check_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

BASE = Incident(title="Drone attack on Tower 22", occurred=parse_local("2024-01-28", "Asia/Amman"),
                country="JO")


def two(services: Services) -> tuple[str, str]:
    attack = services.incidents.create(BASE).record.meta.uid or ""
    strikes = services.incidents.create(replace(
        BASE, title="US strikes in Iraq and Syria", country="IQ",
        occurred=parse_local("2024-02-02", "Asia/Baghdad"))).record.meta.uid or ""
    return attack, strikes


def test_a_link_reads_from_both_ends_with_the_inverse_wording(services: Services) -> None:
    attack, strikes = two(services)
    outcome = services.links.link(strikes, attack, LinkKind.RETALIATION_FOR, "  as stated  ")
    assert outcome.record.note == "as stated"
    assert outcome.changes.incidents == {attack, strikes}
    [seen_from_strikes] = services.links.related(strikes)
    assert seen_from_strikes.outgoing and seen_from_strikes.other_uid == attack
    assert seen_from_strikes.wording == "retaliation for"
    [seen_from_attack] = services.links.related(attack)
    assert not seen_from_attack.outgoing and seen_from_attack.other_uid == strikes
    assert seen_from_attack.wording == "answered by"
    assert seen_from_attack.describe().startswith("answered by ")
    assert services.links.among([attack, strikes])[0].kind is LinkKind.RETALIATION_FOR
    assert services.links.among([attack]) == []


def test_no_self_links_and_no_duplicates(services: Services) -> None:
    attack, strikes = two(services)
    with pytest.raises(ValidationError):
        services.links.link(attack, attack, LinkKind.SAME_AS)
    services.links.link(strikes, attack, LinkKind.RETALIATION_FOR)
    again = services.links.link(strikes, attack, LinkKind.RETALIATION_FOR)
    assert again.changes.empty
    services.links.link(strikes, attack, LinkKind.RETALIATION_FOR, "a note")  # the note changes
    services.links.link(strikes, attack, LinkKind.FOLLOW_UP_OF)  # another kind is another link
    assert [(r.link.kind, r.link.note) for r in services.links.related(strikes)] == [
        (LinkKind.RETALIATION_FOR, "a note"), (LinkKind.FOLLOW_UP_OF, None)]


def test_the_trash_hides_links_restore_brings_them_back_purge_removes_them(
        services: Services) -> None:
    attack, strikes = two(services)
    services.links.link(strikes, attack, LinkKind.RETALIATION_FOR)
    services.incidents.delete(attack)
    assert services.links.related(strikes) == []
    assert services.links.related(attack) == []
    with pytest.raises(ValidationError):  # nothing new links to an incident in the trash
        services.links.link(strikes, attack, LinkKind.PART_OF)
    services.incidents.restore(attack)
    assert [r.other_uid for r in services.links.related(strikes)] == [attack]
    services.incidents.delete(attack)
    services.incidents.purge(attack)
    assert services.links.related(strikes) == []
    services.incidents.delete(strikes)
    services.incidents.restore(strikes)
    assert services.links.related(strikes) == []
    assert check_database(services.database) == []


def test_links_are_audited_on_the_stating_incident_and_check_stays_green(
        services: Services) -> None:
    attack, strikes = two(services)
    services.links.link(strikes, attack, LinkKind.RETALIATION_FOR, "stated")
    services.links.link(strikes, attack, LinkKind.RETALIATION_FOR, "changed")
    removed = services.links.unlink(strikes, attack, LinkKind.RETALIATION_FOR).record
    assert removed is not None and removed.note == "changed"
    assert services.links.unlink(strikes, attack, LinkKind.RETALIATION_FOR).record is None
    from incidentlog.store import audit
    with services.database.read() as connection:
        entries = audit.history(connection, strikes)
        assert verify_chain(connection) == []
    assert [e.action for e in entries][-3:] == ["relate", "relate", "unrelate"]
    assert entries[-3].changes["related"] == [None, attack]
    assert entries[-1].changes["note"] == ["changed", None]
    assert check_database(services.database) == []


# --- the migration (0011) on a log of the previous format, on both engines -----------------


def _downgrade_to_0007(target: str) -> None:
    """Take a log back to revision 0007: the format before related incidents."""
    from alembic import command
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from incidentlog.store.database import _alembic_config, _make_engine

    if target.startswith("postgresql"):
        engine = create_engine(make_url(target).set(drivername="postgresql+psycopg"),
                               poolclass=NullPool)
    else:
        engine, _ = _make_engine(Path(target), read_only=False)
    with engine.execution_options(write=True).connect() as connection, connection.begin():
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        assert version.scalar() == "0007"
        assert "incident_link" not in inspect(connection).get_table_names()
    engine.dispose()


def test_a_log_of_revision_0007_with_data_is_migrated_and_links_work(
        db_target: str, request: pytest.FixtureRequest) -> None:
    from sqlalchemy.engine import make_url

    from incidentlog.store.database import head_revision, open_database

    with open_database(db_target) as database:
        services = Services(database, actor="tester")
        attack, strikes = two(services)
        services.incidents.update(replace(services.incidents.get(attack), summary="edited"))
    owner = db_target  # on a server, the migration runs as the log's owner (the admin)
    if db_target.startswith("postgresql"):
        owner = request.getfixturevalue("pg_server").url(make_url(db_target).database)
    _downgrade_to_0007(owner)
    with open_database(owner):  # migrated (a file: backed up first), grants given again
        pass
    with open_database(db_target) as database:
        services = Services(database, actor="tester")
        with database.read() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar() == head_revision()
        assert services.incidents.get(attack).summary == "edited"
        assert services.links.related(attack) == []
        services.links.link(strikes, attack, LinkKind.RETALIATION_FOR)
        assert [r.wording for r in services.links.related(attack)] == ["answered by"]
        assert check_database(database) == []


def test_an_officer_links_and_unlinks_on_a_server(pg_server) -> None:  # type: ignore[no-untyped-def]
    """The new table has its siblings' grants: an officer inserts and deletes links."""
    from incidentlog import cli
    from incidentlog.store.database import open_database

    name = pg_server.log_database()
    try:
        user = pg_server.login_role("officer")
        assert cli.main(["grant", user, "officer", "--db", pg_server.url(name)]) == 0
        with open_database(pg_server.url(name, user)) as database:
            officer = Services(database)
            attack, strikes = two(officer)
            officer.links.link(strikes, attack, LinkKind.PART_OF)
            assert officer.links.unlink(strikes, attack, LinkKind.PART_OF).record is not None
    finally:
        pg_server.drop_database(name)
