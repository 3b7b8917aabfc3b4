"""Use cases: one transaction each, audited, conflict-checked, returning what changed."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from incidentlog.domain.enums import Status
from incidentlog.domain.errors import ConflictError, NotFoundError, StorageError, ValidationError
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.when import parse_local
from incidentlog.services import Changes, Services
from incidentlog.store.audit import verify_chain

pytestmark = pytest.mark.both_engines

AL_ASSAD = Incident(
    title="Iranian-backed militants attack al-Assad Airbase",
    occurred=parse_local("~2024-01-20 18:30", "Asia/Baghdad"),
    summary="Multiple ballistic missiles and rockets were launched by Iranian-backed militants.",
    place="al-Assad Airbase",
    admin1="Al Anbar",
    country="IQ",
    event_type="ballistic missile attack",
    perpetrator="Iranian-backed militants",
    tags=("US forces",),
)
CENTCOM_POST = Source(title="CENTCOM on al-Assad",
                      url="https://twitter.com/CENTCOM/status/1748846497406726425")


def actions(services: Services, uid: str) -> list[str]:
    return [entry.action for entry in services.incident_query.history(uid)]


def test_create_assigns_identity_ref_and_audits(services: Services) -> None:
    seen: list[Changes] = []
    services.notifier.subscribe(seen.append)
    outcome = services.incidents.create(AL_ASSAD)
    stored = outcome.record
    assert stored.ref == "IQ-2024-0001"
    assert stored.meta.version == 1 and stored.meta.created_by == "tester"
    assert outcome.changes == Changes(incidents=frozenset({stored.meta.uid}), rows_changed=True)
    assert seen == [outcome.changes]
    entry = services.incident_query.history(stored.meta.uid)[0]
    assert entry.action == "create" and entry.actor == "tester"
    assert entry.changes["title"] == [None, AL_ASSAD.title]
    assert entry.changes["occurred_at"] == [None, "2024-01-20T15:30:00Z"]
    second = services.incidents.create(replace(AL_ASSAD, title="Another")).record
    assert second.ref == "IQ-2024-0002"


def test_invalid_input_changes_nothing(services: Services) -> None:
    with pytest.raises(ValidationError) as caught:
        services.incidents.create(replace(AL_ASSAD, launched=2, intercepted=5))
    assert "intercepted" in caught.value.fields
    assert services.incident_query.count() == 0


def test_update_audits_only_changed_fields(services: Services) -> None:
    stored = services.incidents.create(AL_ASSAD).record
    edited = services.incidents.update(replace(stored, injured=Count.at_least(5))).record
    assert edited.meta.version == 2
    entry = services.incident_query.history(stored.meta.uid)[-1]
    assert entry.action == "update"
    assert entry.changes == {"injured": [None, 5], "injured_qualifier": ["unknown", "at_least"]}
    unchanged = services.incidents.update(edited)
    assert unchanged.changes.empty and unchanged.record.meta.version == 2


@pytest.mark.file_only  # on a server the actor is the login: tests/unit/test_server.py
def test_a_stale_version_is_a_conflict_that_names_who(services: Services,
                                                      database) -> None:  # type: ignore[no-untyped-def]
    stored = services.incidents.create(AL_ASSAD).record
    other = Services(database, actor="bob")
    other.incidents.update(replace(stored, title="Bob's title"))
    with pytest.raises(ConflictError) as caught:
        services.incidents.update(replace(stored, title="Mine"))
    assert caught.value.changed_by == "bob"
    assert "IQ-2024-0001" in str(caught.value) and "bob" in str(caught.value)
    assert services.incidents.get(stored.meta.uid).title == "Bob's title"
    forced = services.incidents.update(replace(stored, title="Mine"), force=True).record
    assert forced.title == "Mine" and forced.meta.version == 3


def test_soft_delete_restore_and_purge(services: Services) -> None:
    uid = services.incidents.create(AL_ASSAD).record.meta.uid
    with pytest.raises(ValidationError, match="trash first"):
        services.incidents.purge(uid)
    services.incidents.delete(uid)
    assert services.incident_query.count() == 0
    assert services.incidents.get(uid).meta.deleted_at is not None
    services.incidents.restore(uid)
    assert services.incident_query.count() == 1
    services.incidents.delete(uid)
    services.incidents.purge(uid)
    with pytest.raises(NotFoundError):
        services.incidents.get(uid)
    assert actions(services, uid) == ["create", "delete", "restore", "delete", "purge"]


def test_empty_trash_purges_only_the_trash(services: Services) -> None:
    keep = services.incidents.create(AL_ASSAD).record.meta.uid
    doomed = services.incidents.create(replace(AL_ASSAD, title="Duplicate entry")).record
    services.incidents.delete(doomed.meta.uid)
    assert services.incidents.empty_trash().record == 1
    assert services.incidents.find(doomed.meta.uid) is None
    assert services.incidents.find(keep) is not None


def test_status_workflow_and_audit(services: Services) -> None:
    stored = services.incidents.create(AL_ASSAD).record
    uid = stored.meta.uid
    with pytest.raises(ValidationError, match="cannot go from draft to verified"):
        services.incidents.set_status(uid, Status.VERIFIED)
    services.incidents.set_status(uid, Status.IN_REVIEW)
    services.incidents.set_status(uid, Status.DISPUTED)
    services.incidents.set_status(uid, Status.VERIFIED)
    assert services.incidents.get(uid).status is Status.VERIFIED
    entries = services.incident_query.history(uid)
    assert [e.changes["status"] for e in entries if e.action == "status"] == [
        ["draft", "in_review"], ["in_review", "disputed"], ["disputed", "verified"]]
    with pytest.raises(ConflictError):
        services.incidents.set_status(uid, Status.ARCHIVED, expected_version=stored.meta.version)


def test_a_known_url_returns_the_existing_source(services: Services) -> None:
    first = services.sources.create(CENTCOM_POST)
    again = services.sources.create(Source(
        title="same post", url="https://x.com/centcom/status/1748846497406726425?s=20"))
    assert again.reused and again.record.meta.uid == first.record.meta.uid
    assert again.changes.empty
    distinct = services.sources.create(Source(
        title="a different copy", url="https://x.com/centcom/status/1748846497406726425"),
        distinct=True)
    assert not distinct.reused and distinct.record.meta.uid != first.record.meta.uid
    assert len(services.sources.duplicates_of("https://mobile.twitter.com/CENTCOM/status/"
                                              "1748846497406726425")) == 2


def test_link_unlink_with_notes_and_audit(services: Services) -> None:
    incident = services.incidents.create(AL_ASSAD).record
    source = services.sources.create(CENTCOM_POST).record
    uid, source_uid = incident.meta.uid, source.meta.uid
    services.incidents.link_source(uid, source_uid, "time and place of the attack")
    services.incidents.link_source(uid, source_uid, "time, place, weapons")
    [link] = services.incidents.links(uid)
    assert link.note == "time, place, weapons"
    assert services.sources.citing(source_uid) == [(uid, incident.ref, incident.title)]
    services.incidents.unlink_source(uid, source_uid)
    assert services.incidents.links(uid) == []
    assert actions(services, uid) == ["create", "link", "link", "unlink"]
    with pytest.raises(NotFoundError):
        services.incidents.link_source(uid, "00000000-0000-4000-8000-000000000000")


def test_quotes_resolve_their_incident_and_source(services: Services) -> None:
    incident = services.incidents.create(AL_ASSAD).record
    source = services.sources.create(CENTCOM_POST).record
    quote = services.quotes.create(Quote(
        text="Multiple ballistic missiles and rockets were launched",
        speaker="U.S. Central Command", speaker_org="CENTCOM",
        said=parse_local("2024-01-20", "UTC"),
        incident_uid=incident.meta.uid, source_uid=source.meta.uid)).record
    assert quote.incident_uid == incident.meta.uid and quote.source_uid == source.meta.uid
    with pytest.raises(ValidationError, match="no incident"):
        services.quotes.create(Quote(text="x", speaker="y",
                                     incident_uid="00000000-0000-4000-8000-000000000000"))
    edited = services.quotes.update(replace(quote, speaker_role="combatant command")).record
    entry = list(services.incident_query.history(quote.meta.uid))[-1]
    assert entry.kind == "quote" and entry.changes == {"speaker_role": [None, "combatant command"]}
    services.quotes.delete(edited.meta.uid, edited.meta.version)
    assert services.quote_query.list() == []


def test_source_update_and_conflict(services: Services) -> None:
    source = services.sources.create(CENTCOM_POST).record
    services.sources.update(replace(source, outlet="CENTCOM"))
    with pytest.raises(ConflictError, match="source"):
        services.sources.update(replace(source, outlet="U.S. Central Command"))


@pytest.mark.file_only  # drops SQLite's trigger; on a server: tests/unit/test_server.py
def test_the_audit_log_is_append_only_and_chained(services: Services, db_path: Path) -> None:
    uid = services.incidents.create(AL_ASSAD).record.meta.uid
    services.incidents.set_status(uid, Status.IN_REVIEW)
    with services.database.read() as connection:
        assert verify_chain(connection) == []
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), services.database.write() as conn:
            conn.exec_driver_sql(statement)
    # Around the triggers (another program dropping them), the chain still tells.
    raw = sqlite3.connect(db_path)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
    raw.commit()
    raw.close()
    with services.database.read() as connection:
        problems = verify_chain(connection)
    assert problems == ["audit log entry 1: its content was altered"]


def test_the_database_enforces_its_own_checks(services: Services) -> None:
    services.incidents.create(AL_ASSAD)
    with pytest.raises(StorageError, match="CHECK constraint"), services.database.write() as conn:
        conn.exec_driver_sql("UPDATE incident SET launched = 1, intercepted = 5")
    with pytest.raises(StorageError, match="FOREIGN KEY"), services.database.write() as conn:
        conn.exec_driver_sql("INSERT INTO incident_source (incident_id, source_id) VALUES (1, 99)")


def test_vocabularies_grow_with_use(services: Services) -> None:
    assert "camel attack" not in services.vocabulary.vocabulary("event_type")
    outcome = services.incidents.create(replace(
        AL_ASSAD, event_type="camel attack", weapons="rockets, slingshots", tags=("odd",)))
    assert outcome.changes.vocabulary
    assert "camel attack" in services.vocabulary.vocabulary("event_type")
    assert {"rockets", "slingshots"} <= set(services.vocabulary.vocabulary("weapon"))
    assert "odd" in services.vocabulary.vocabulary("tag")
    again = services.incidents.create(replace(AL_ASSAD, event_type="camel attack"))
    assert not again.changes.vocabulary


def test_cited_reads_the_citations_with_their_sources_in_one_go(services: Services) -> None:
    incident = services.incidents.create(Incident(
        title="Rocket attack on al-Assad", occurred=parse_local("2024-01-20", "Asia/Baghdad"))
    ).record
    uid = incident.meta.uid or ""
    ap = services.sources.create(Source(title="AP: failed rocket strike", outlet="AP")).record
    post = services.sources.create(Source(title="CENTCOM post", outlet="CENTCOM")).record
    services.incidents.link_source(uid, ap.meta.uid or "", "the time")
    services.incidents.link_source(uid, post.meta.uid or "")
    services.sources.delete(post.meta.uid or "")  # trashed sources are still cited
    cited = services.incidents.cited(uid)
    assert [(link.source_uid, link.note, source.title) for link, source in cited] == sorted(
        [(ap.meta.uid, "the time", "AP: failed rocket strike"),
         (post.meta.uid, None, "CENTCOM post")])
    assert next(s for _, s in cited if s.title == "CENTCOM post").meta.deleted_at is not None
    with pytest.raises(NotFoundError):
        services.incidents.cited("00000000-0000-4000-8000-000000000000")
