"""Bulk edit of a selection of incidents: one transaction, one audit entry per record changed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from incidentlog.domain.enums import Status
from incidentlog.domain.errors import ReadOnlyError, ValidationError
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Changes, Services
from incidentlog.services.bulk_edit import BulkChange, Selected
from incidentlog.store.audit import verify_chain
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

BASE = Incident(title="Rocket attack", occurred=parse_local("2024-01-20", "Asia/Baghdad"),
                country="IQ", event_type="rocket attack", tags=("us forces",))


def make(services: Services, count: int, **fields: object) -> list[Incident]:
    return [services.incidents.create(replace(BASE, title=f"Attack {n}", **fields)).record
            for n in range(count)]


def selection(records: list[Incident]) -> list[Selected]:
    return [Selected(r.meta.uid or "", r.meta.version) for r in records]


def history(services: Services, record: Incident) -> list[tuple[str, dict[str, list[object]]]]:
    return [(e.action, e.changes) for e in services.incident_query.history(record.meta.uid or "")]


def test_one_change_to_a_selection_with_one_audit_entry_per_record_changed(
    db_target: str, services: Services
) -> None:
    records = make(services, 3)
    already = services.incidents.update(
        replace(records[2], country="SY", tags=("drone", "us forces"))).record
    records[2] = already
    seen: list[Changes] = []
    services.notifier.subscribe(seen.append)
    change = BulkChange(add_tags=(" Drone ",), remove_tags=("US forces",), country="sy",
                        event_type="loitering munition strike", confidence=2)
    result = services.bulk_edit.apply(selection(records), change).record
    assert len(result.edited) == 3 and result.conflicts == () and result.refused == ()
    for record in records:
        stored = services.incidents.get(record.meta.uid or "")
        assert (stored.country, stored.event_type, stored.confidence, stored.tags) == (
            "SY", "loitering munition strike", 2, ("drone",))
        assert stored.meta.version == record.meta.version + 1
        assert stored.meta.updated_by == "tester"
    assert history(services, records[0])[-1] == ("update", {
        "country": ["IQ", "SY"], "event_type": ["rocket attack", "loitering munition strike"],
        "confidence": [None, 2], "tags": [["us forces"], ["drone"]]})
    # Only what differed is in the entry of the record that was half there already.
    assert history(services, records[2])[-1] == ("update", {
        "event_type": ["rocket attack", "loitering munition strike"], "confidence": [None, 2],
        "tags": [["drone", "us forces"], ["drone"]]})
    assert [len(history(services, r)) for r in records] == [2, 2, 3]
    assert seen == [Changes(incidents=frozenset(r.meta.uid or "" for r in records),
                            vocabulary=True)]
    assert "loitering munition strike" in services.vocabulary.vocabulary("event_type")
    # The tags and the full-text index follow the rows.
    assert services.incident_query.count(IncidentFilter(tags=("us forces",))) == 0
    assert services.incident_query.count(IncidentFilter(text="loitering")) == 3
    with services.database.read() as connection:
        assert verify_chain(connection) == []
    assert check_database(services.database) == []  # the audit log replays to the rows
    services.database.close()
    with open_database(db_target) as reopened:  # committed to the file
        assert Services(reopened).incident_query.count(IncidentFilter(countries=("SY",))) == 3


def test_records_already_in_the_target_state_are_not_touched(services: Services) -> None:
    records = make(services, 2)
    done = services.incidents.update(replace(records[1], confidence=3)).record
    result = services.bulk_edit.apply(
        [Selected(records[0].meta.uid or "", 1), Selected(done.meta.uid or "", done.meta.version)],
        BulkChange(confidence=3, add_tags=("us forces",)),
    ).record
    assert [e.before.meta.uid for e in result.edited] == [records[0].meta.uid]
    assert result.unchanged == (done.meta.uid,)
    assert services.incidents.get(done.meta.uid or "").meta.version == done.meta.version
    assert len(history(services, done)) == 2  # create, the single edit: nothing of the bulk


@pytest.mark.file_only  # two actors on one connection: on a server the actor is the login
def test_a_record_changed_since_the_selection_is_reported_not_overwritten(
    database, services: Services  # type: ignore[no-untyped-def]
) -> None:
    records = make(services, 3)
    bob = Services(database, actor="bob")
    bob.incidents.update(replace(records[1], country="JO"))
    result = services.bulk_edit.apply(selection(records), BulkChange(country="SY")).record
    assert {e.before.meta.uid for e in result.edited} == {records[0].meta.uid,
                                                           records[2].meta.uid}
    [conflict] = result.conflicts
    assert (conflict.uid, conflict.changed_by, conflict.expected_version,
            conflict.current_version) == (records[1].meta.uid, "bob", 1, 2)
    assert services.incidents.get(records[1].meta.uid or "").country == "JO"
    assert [a for a, _ in history(services, records[1])] == ["create", "update"]
    assert "1 changed by bob since you selected it" in result.summary()


def test_status_goes_through_the_review_workflow(services: Services) -> None:
    draft, in_review = make(services, 2)
    in_review = services.incidents.set_status(in_review.meta.uid or "", Status.IN_REVIEW).record
    result = services.bulk_edit.apply(selection([draft, in_review]),
                                      BulkChange(status=Status.VERIFIED)).record
    assert [e.after.status for e in result.edited] == [Status.VERIFIED]
    [refusal] = result.refused
    assert refusal.uid == draft.meta.uid
    assert "cannot go from draft to verified" in refusal.message
    assert services.incidents.get(draft.meta.uid or "").status is Status.DRAFT
    # A status change alone is audited as a status change, like a single one.
    assert history(services, in_review)[-1] == ("status", {"status": ["in_review", "verified"]})


def test_trashed_and_purged_records_are_refused(services: Services) -> None:
    live, trashed, purged = make(services, 3)
    services.incidents.delete(trashed.meta.uid or "")
    services.incidents.delete(purged.meta.uid or "")
    services.incidents.purge(purged.meta.uid or "")
    result = services.bulk_edit.apply(
        [Selected(r.meta.uid or "", 1) for r in (live, trashed)]
        + [Selected(purged.meta.uid or "", 2)], BulkChange(confidence=1)).record
    assert len(result.edited) == 1
    assert [r.message for r in result.refused] == ["it is in the trash",
                                                   "it was deleted for good"]


def test_revert_is_undo_and_reverting_that_is_redo(services: Services) -> None:
    records = make(services, 2)
    records[1] = services.incidents.update(replace(records[1], country="JO",
                                                   tags=("iran", "us forces"))).record
    applied = services.bulk_edit.apply(
        selection(records), BulkChange(country="SY", remove_tags=("us forces",))).record
    undone = services.bulk_edit.revert(applied).record
    assert len(undone.edited) == 2
    for record in records:
        stored = services.incidents.get(record.meta.uid or "")
        assert (stored.country, stored.tags) == (record.country, record.tags)
    redone = services.bulk_edit.revert(undone).record
    assert [(e.after.country, e.after.tags) for e in redone.edited] == [
        ("SY", ()), ("SY", ("iran",))]
    assert [services.incidents.get(r.meta.uid or "").country for r in records] == ["SY", "SY"]
    assert [a for a, _ in history(services, records[0])] == ["create"] + ["update"] * 3
    assert check_database(services.database) == []


def test_undo_of_a_status_change_goes_back_where_the_workflow_has_no_step(
    services: Services,
) -> None:
    [record] = make(services, 1)
    in_review = services.incidents.set_status(record.meta.uid or "", Status.IN_REVIEW).record
    archived = services.bulk_edit.apply(selection([in_review]), BulkChange(status=Status.ARCHIVED))
    # The workflow goes from archived only to draft; undo goes back to in review all the same.
    undone = services.bulk_edit.revert(archived.record).record
    assert undone.refused == () and undone.edited[0].after.status is Status.IN_REVIEW
    assert services.incidents.get(record.meta.uid or "").status is Status.IN_REVIEW


@pytest.mark.file_only  # two actors on one connection: on a server the actor is the login
def test_undo_leaves_a_record_changed_again_since(database, services: Services) -> None:  # type: ignore[no-untyped-def]
    [record] = make(services, 1)
    applied = services.bulk_edit.apply(selection([record]), BulkChange(country="SY")).record
    Services(database, actor="bob").incidents.update(replace(applied.edited[0].after,
                                                             title="Bob's title"))
    undone = services.bulk_edit.revert(applied).record
    assert undone.edited == () and undone.conflicts[0].changed_by == "bob"
    assert services.incidents.get(record.meta.uid or "").country == "SY"


def test_an_invalid_change_is_refused_whole(services: Services) -> None:
    records = make(services, 2)
    with pytest.raises(ValidationError) as refused:
        services.bulk_edit.apply(selection(records), BulkChange(
            country="Iraq", confidence=9, add_tags=("x",), remove_tags=("X",)))
    assert set(refused.value.fields) == {"country", "confidence", "tags"}
    assert all(services.incidents.get(r.meta.uid or "").meta.version == 1 for r in records)


def test_a_read_only_log_refuses_a_bulk_edit(db_target: str, services: Services) -> None:
    records = make(services, 1)
    services.database.close()
    with open_database(db_target, read_only=True) as db, pytest.raises(ReadOnlyError):
        Services(db).bulk_edit.apply(selection(records), BulkChange(confidence=1))
