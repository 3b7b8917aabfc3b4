"""Review: comments, verdicts with reasons and grades, the two-person rule, the queue."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from incidentlog.domain.enums import Reliability, Status
from incidentlog.domain.errors import ReviewModeError, ValidationError
from incidentlog.domain.records import Incident, Source
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.audit import verify_chain
from incidentlog.store.database import Database, open_database
from incidentlog.store.replay import replay_problems


def incident(title: str, day: str = "2024-01-20") -> Incident:
    return Incident(title=title, occurred=parse_local(day, "Asia/Baghdad"), country="IQ")


def in_review(services: Services, title: str, day: str = "2024-01-20") -> str:
    uid = services.incidents.create(incident(title, day)).record.uid or ""
    services.incidents.set_status(uid, Status.IN_REVIEW)
    return uid


def test_a_verdict_moves_the_status_with_its_reason_and_grades(services: Services) -> None:
    uid = in_review(services, "Rocket attack on al-Assad")
    outcome = services.review.verify(
        uid, "two sources agree", reliability=Reliability.B, confidence=2
    )
    verdict = outcome.record
    assert (verdict.status, verdict.status_from) == (Status.VERIFIED, Status.IN_REVIEW)
    assert (verdict.reason, verdict.reliability, verdict.confidence) == (
        "two sources agree", Reliability.B, 2)
    assert verdict.reviewer == "tester" and verdict.facts
    stored = services.incidents.get(uid)
    assert (stored.status, stored.confidence) == (Status.VERIFIED, 2)
    last = services.incident_query.history(uid)[-1]
    assert last.action == "status"
    assert last.changes["status"] == ["in_review", "verified"]
    assert last.changes["reason"] == [None, "two sources agree"]
    assert last.changes["reliability"] == [None, "B"]
    assert services.review.verdicts(uid) == [verdict]
    assert "two sources agree" in verdict.sentence() and "B2" in verdict.sentence()
    with services.database.read() as connection:
        assert verify_chain(connection) == []
        assert list(replay_problems(connection)) == []


def test_a_dispute_needs_a_reason_and_the_workflow_is_kept(services: Services) -> None:
    uid = in_review(services, "Drone strike near Tower 22")
    with pytest.raises(ValidationError, match="say why"):
        services.review.dispute(uid, "  ")
    assert services.incidents.get(uid).status is Status.IN_REVIEW
    services.review.dispute(uid, "the date is a day off in the second source")
    assert services.incidents.get(uid).status is Status.DISPUTED
    draft = services.incidents.create(incident("Not yet submitted")).record.uid or ""
    with pytest.raises(ValidationError, match="cannot go from draft to verified"):
        services.review.verify(draft, "looks right")
    services.review.reopen(uid, "re-check the date")
    assert services.incidents.get(uid).status is Status.DRAFT
    assert [v.status for v in services.review.verdicts(uid)] == [Status.DISPUTED, Status.DRAFT]


def test_comments_replies_and_resolving(services: Services) -> None:
    uid = in_review(services, "Rocket attack on al-Assad")
    source = services.sources.create(Source(title="CENTCOM post")).record.uid or ""
    first = services.review.comment("Is the date local?", incident_uid=uid, about="occurred")
    reply = services.review.reply(first.record.uid or "", "Yes, Baghdad time")
    on_source = services.review.comment("Archived copy missing", source_uid=source)
    assert first.changes.incidents == frozenset({uid})
    assert reply.record.reply_to == first.record.uid
    assert reply.record.about == "occurred" and reply.record.incident_uid == uid
    resolved = services.review.resolve(first.record.uid or "")
    assert resolved.record.resolved and resolved.record.meta.version == 2
    texts = [c.text for c in services.review.comments(incident_uid=uid)]
    assert texts == ["Is the date local?", "Yes, Baghdad time"]
    assert services.review.comments(source_uid=source) == [on_source.record]
    with pytest.raises(ValidationError, match="write what the comment says"):
        services.review.comment("   ", incident_uid=uid)
    actions = [e.action for e in services.incident_query.history(first.record.uid or "")]
    assert actions == ["create", "update"]


def test_the_two_person_rule_refuses_the_authors_own_verification(
    database: Database,
) -> None:
    author = Services(database, actor="ana")
    other = Services(database, actor="ben")
    uid = in_review(author, "Rocket attack on al-Assad")
    author.review.verify(uid, "fine")  # the rule is off: allowed
    author.incidents.set_status(uid, Status.IN_REVIEW)
    author.review.set_two_person_rule(True)
    assert other.review.two_person_rule
    with pytest.raises(ValidationError, match="two-person rule"):
        author.review.verify(uid, "I checked it myself")
    assert author.review.verify_problem(uid) is not None
    # ben edits the facts: now neither ana (creator) nor ben (last editor) may verify.
    current = other.incidents.get(uid)
    other.incidents.update(replace(current, title="Rocket attack on al-Assad Airbase"))
    with pytest.raises(ValidationError, match="ben created or last edited"):
        other.review.verify(uid, "mine now")
    third = Services(database, actor="cleo")
    assert third.review.verify(uid, "checked").record.reviewer == "cleo"
    assert author.review.dispute(uid, "a dispute is allowed to anyone").record
    setting = author.incident_query.history("two_person_rule")
    assert [(e.actor, e.changes) for e in setting] == [("ana", {"value": ["off", "on"]})]


def test_the_queue_lists_what_waits_oldest_first(services: Services) -> None:
    older = in_review(services, "First", "2024-01-18")
    newer = in_review(services, "Second", "2024-01-20")
    services.incidents.create(incident("A draft"))
    source = services.sources.create(
        Source(title="Archived", archive_url="https://archive.ph/abc")).record.uid or ""
    services.incidents.link_source(newer, source)
    services.review.comment("check", incident_uid=newer)
    queue = services.review.queue()
    assert [item.uid for item in queue] == [older, newer]
    assert (queue[1].sources, queue[1].preserved, queue[1].open_comments) == (1, 1, 1)
    assert queue[0].entered_by == "tester"
    assert services.review.waiting_count() == 2


def test_review_mode_keeps_the_facts_and_lets_reviews_in(db_path: Path) -> None:
    with open_database(db_path) as database:
        uid = in_review(Services(database, actor="desk"), "Rocket attack")
    with open_database(db_path) as database:
        database.review_only = True
        reviewer = Services(database, actor="rita")
        with pytest.raises(ReviewModeError, match="review mode"):
            reviewer.incidents.update(replace(reviewer.incidents.get(uid), title="Changed"))
        reviewer.review.comment("Which rocket type?", incident_uid=uid)
        reviewer.review.verify(uid, "matches the video")
        assert reviewer.incidents.get(uid).status is Status.VERIFIED
