"""The trash of each record kind: page by page with who deleted what, restore and purge many."""

from __future__ import annotations

from dataclasses import replace

import pytest

from incidentlog.domain.enums import RecordKind
from incidentlog.domain.errors import NotFoundError, ReadOnlyError, ValidationError
from incidentlog.domain.records import Incident, Quote, Source
from incidentlog.domain.when import parse_local
from incidentlog.services import Changes, Services
from incidentlog.store.audit import verify_chain
from incidentlog.store.check import check_database
from incidentlog.store.database import Database, open_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

BASE = Incident(title="Rocket attack", occurred=parse_local("2024-01-20", "Asia/Baghdad"),
                country="IQ")


def incidents(services: Services, count: int) -> list[str]:
    return [services.incidents.create(replace(BASE, title=f"Attack {n}")).record.meta.uid or ""
            for n in range(count)]


@pytest.mark.file_only  # two actors on one connection: on a server the actor is the login
def test_the_trash_pages_newest_first_with_who_deleted_each(database: Database) -> None:
    alice, bob = Services(database, actor="alice"), Services(database, actor="bob")
    uids = incidents(alice, 7)
    for n, uid in enumerate(uids[:5]):
        (alice if n % 2 else bob).incidents.delete(uid)
    # Saved over by someone else afterwards: still deleted by bob.
    trashed = alice.incidents.get(uids[0])
    alice.incidents.update(replace(trashed, summary="seen in the trash"), force=True)
    assert alice.incidents.get(uids[0]).meta.updated_by == "alice"
    assert alice.incidents.trash_count() == 5
    first = alice.incidents.trash(limit=2)
    assert first.after is not None
    second = alice.incidents.trash(limit=2, after=first.after)
    third = alice.incidents.trash(limit=2, after=second.after)
    assert third.after is None
    seen = [item.record.meta.uid for page in (first, second, third) for item in page.items]
    assert sorted(seen) == sorted(uids[:5])  # every trashed one once, no live one
    keys = [(item.deleted_at, item.record.meta.id) for page in (first, second, third)
            for item in page.items]
    assert keys == sorted(keys, reverse=True)
    who = {item.record.meta.uid: item.deleted_by for page in (first, second, third)
           for item in page.items}
    assert who == {uid: ("alice" if n % 2 else "bob") for n, uid in enumerate(uids[:5])}
    assert all(item.deleted_at for item in first.items)


def test_sources_and_quotes_have_a_trash_too(services: Services) -> None:
    source = services.sources.create(Source(title="CENTCOM statement")).record
    quote = services.quotes.create(Quote(text="We will respond", speaker="Austin")).record
    services.sources.delete(source.meta.uid or "")
    services.quotes.delete(quote.meta.uid or "")
    # The trash view lists each kind through the service of that kind.
    [s] = services.of_kind(RecordKind.SOURCE).trash().items
    [q] = services.of_kind(RecordKind.QUOTE).trash().items
    assert (s.record.title, s.deleted_by) == ("CENTCOM statement", "tester")
    assert (q.record.text, q.deleted_by) == ("We will respond", "tester")


def test_restore_many_is_one_transaction_with_one_entry_each(services: Services) -> None:
    uids = incidents(services, 4)
    for uid in uids[:3]:
        services.incidents.delete(uid)
    seen: list[Changes] = []
    services.notifier.subscribe(seen.append)
    outcome = services.incidents.restore_many([uids[0], uids[1], uids[3]])  # uids[3] is live
    assert sorted(r.meta.uid for r in outcome.record) == sorted(uids[:2])
    assert all(r.meta.deleted_at is None for r in outcome.record)
    assert seen == [outcome.changes] and outcome.changes.incidents == frozenset(uids[:2])
    assert [e.action for e in services.incident_query.history(uids[0])][-1] == "restore"
    assert [e.action for e in services.incident_query.history(uids[3])] == ["create"]
    assert services.incidents.trash_count() == 1


def test_restore_many_of_a_purged_record_restores_nothing(services: Services) -> None:
    uids = incidents(services, 2)
    for uid in uids:
        services.incidents.delete(uid)
    services.incidents.purge(uids[1])
    with pytest.raises(NotFoundError):
        services.incidents.restore_many(uids)
    assert services.incidents.get(uids[0]).meta.deleted_at is not None


def test_purge_many_is_all_or_nothing_and_audited(services: Services) -> None:
    uids = incidents(services, 3)
    services.incidents.delete(uids[0])
    services.incidents.delete(uids[1])
    with pytest.raises(ValidationError, match="trash first"):
        services.incidents.purge_many(uids)  # uids[2] is live
    assert services.incidents.trash_count() == 2
    assert services.incidents.purge_many(uids[:2]).record == 2
    assert services.incidents.trash_count() == 0
    for uid in uids[:2]:
        assert services.incidents.find(uid) is None
        assert [e.action for e in services.incident_query.history(uid)][-1] == "purge"
    with services.database.read() as connection:
        assert verify_chain(connection) == []


def test_a_source_cited_by_a_live_incident_or_quote_is_not_purged(services: Services) -> None:
    source = services.sources.create(Source(title="CENTCOM statement")).record
    suid = source.meta.uid or ""
    [cited_by, other] = incidents(services, 2)
    services.incidents.link_source(cited_by, suid)
    quote = services.quotes.create(Quote(text="We will respond", speaker="Austin",
                                         source_uid=suid)).record
    services.sources.delete(suid)
    ref = services.incidents.get(cited_by).ref
    with pytest.raises(ValidationError) as refused:
        services.sources.purge(suid)
    assert f"is still cited by incident {ref} and 1 quote" in str(refused.value)
    assert services.sources.empty_trash().record == 0  # stays in the trash
    assert services.sources.get(suid).meta.deleted_at is not None
    # Once the users are in the trash themselves, the purge takes their citations along.
    services.incidents.delete(cited_by)
    services.quotes.delete(quote.meta.uid or "")
    services.sources.purge(suid)
    assert services.incidents.links(cited_by) == []
    assert services.quotes.get(quote.meta.uid or "").source_uid is None
    purge = [e for e in services.incident_query.history(suid) if e.action == "purge"]
    assert purge[0].changes == {"cited_by": [[cited_by], None],
                                "quotes": [[quote.meta.uid], None]}
    assert services.incidents.find(other) is not None
    assert check_database(services.database) == []


def test_the_trash_is_read_only_in_a_read_only_log(db_target, services: Services) -> None:  # type: ignore[no-untyped-def]
    [uid] = incidents(services, 1)
    services.incidents.delete(uid)
    services.database.close()
    with open_database(db_target, read_only=True) as db:
        reader = Services(db)
        assert [i.record.meta.uid for i in reader.incidents.trash().items] == [uid]
        with pytest.raises(ReadOnlyError):
            reader.incidents.restore_many([uid])
        with pytest.raises(ReadOnlyError):
            reader.incidents.purge_many([uid])
