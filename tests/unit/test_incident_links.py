"""Related incidents: typed, directed links, both ends, the trash, purge, audit and check."""

from __future__ import annotations

from dataclasses import replace

import pytest

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
