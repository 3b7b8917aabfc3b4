"""Review: comments, verdicts with reasons, the two-person rule, the queue (docs/review.md).

One transaction per use case, audited like every record. A verdict moves an
incident to verified, disputed or back to draft, with a reason (required for a
dispute) and optionally the Admiralty grades, in one step: the incident's
status (and credibility) change, a ``verdict`` row keeps the decision, and the
incident's audit entry carries the reason, so that its history says why.

These writes are the ones review mode allows (``Database.write(review=True)``);
the two-person rule is a setting of the log itself, audited when it changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import AuditAction, Reliability, Status
from incidentlog.domain.errors import ConflictError, NotFoundError, ValidationError
from incidentlog.domain.records import Incident
from incidentlog.domain.review import (
    TWO_PERSON_RULE,
    Comment,
    Verdict,
    checked_comment,
    checked_verdict,
)
from incidentlog.services.changes import ChangeNotifier, Changes, Outcome
from incidentlog.services.incidents import IncidentService, transition_problem
from incidentlog.services.records import _new_meta, _stamp
from incidentlog.store import audit, lineage
from incidentlog.store import review as store
from incidentlog.store.database import Database
from incidentlog.store.records import versioned_update
from incidentlog.store.schema import comment_table, verdict_table

__all__ = ["ReviewService", "two_person_problem"]


def two_person_problem(reviewer: str, writers: set[str]) -> str | None:
    """Why ``reviewer`` may not verify an incident whose facts ``writers`` wrote."""
    if reviewer not in writers:
        return None
    return (
        f"the two-person rule of this log: {reviewer} created or last edited its facts; "
        "another person must verify it"
    )


class ReviewService:
    """Comments, verdicts and the review settings of one log, for one person."""

    def __init__(
        self,
        database: Database,
        actor: str,
        notifier: ChangeNotifier,
        incidents: IncidentService,
    ) -> None:
        self._db = database
        self._actor = actor
        self._notifier = notifier
        self._incidents = incidents

    # --- settings ------------------------------------------------------------------------

    @property
    def two_person_rule(self) -> bool:
        with self._db.read() as connection:
            return store.get_setting(connection, TWO_PERSON_RULE) == "on"

    def set_two_person_rule(self, on: bool) -> Outcome[bool]:
        """Switch the rule on or off in the log itself; audited (kind "setting")."""
        at, value = _stamp(), "on" if on else "off"
        with self._db.write() as connection:
            old = store.get_setting(connection, TWO_PERSON_RULE) or "off"
            if old == value:
                return Outcome(on)
            store.put_setting(connection, TWO_PERSON_RULE, value, at, self._actor)
            audit.append(
                connection, at=at, actor=self._actor, action=AuditAction.UPDATE.value,
                kind="setting", uid=TWO_PERSON_RULE, label="two-person rule",
                changes={"value": [old, value]},
            )
        return Outcome(on)

    # --- comments ------------------------------------------------------------------------

    def comment(
        self,
        text: str,
        *,
        incident_uid: str | None = None,
        source_uid: str | None = None,
        about: str | None = None,
        reply_to: str | None = None,
    ) -> Outcome[Comment]:
        """A new comment on an incident or a source (or a reply: see ``reply``)."""
        comment = checked_comment(
            Comment(text, incident_uid, source_uid, about, reply_to)
        )
        at = _stamp()
        with self._db.write(review=True) as connection:
            values = store.comment_values(connection, comment)
            if comment.incident_uid and values["incident_id"] is None:
                raise NotFoundError("incident", comment.incident_uid)
            if comment.source_uid and values["source_id"] is None:
                raise NotFoundError("source", comment.source_uid)
            meta = _new_meta(self._actor, at)
            connection.execute(insert(comment_table).values(**values, **meta))
            created = {k: [None, v] for k, v in store.comment_audit(comment).items()
                       if v not in (None, False)}
            self._audit(connection, AuditAction.CREATE, "comment", meta["uid"],
                        comment.label, created, at)
            stored = self._comment(connection, meta["uid"])
        return self._done(stored, _subject_changes(stored))

    def reply(self, comment_uid: str, text: str) -> Outcome[Comment]:
        """A reply to a comment, on the same incident or source."""
        parent = self.get_comment(comment_uid)
        return self.comment(
            text, incident_uid=parent.incident_uid, source_uid=parent.source_uid,
            about=parent.about, reply_to=parent.meta.uid,
        )

    def resolve(
        self, comment_uid: str, resolved: bool = True, expected_version: int | None = None
    ) -> Outcome[Comment]:
        """Mark a comment resolved (or open again); version-checked when told the version."""
        at = _stamp()
        with self._db.write(review=True) as connection:
            current = self._comment(connection, comment_uid)
            if expected_version is not None and current.meta.version != expected_version:
                raise _conflict(current, expected_version)
            if current.resolved == resolved:
                return Outcome(current)
            versioned_update(
                connection, comment_table, comment_uid, expected_version,
                {"resolved": resolved, "updated_at": at, "updated_by": self._actor},
            )
            self._audit(connection, AuditAction.UPDATE, "comment", comment_uid, current.label,
                        {"resolved": [current.resolved, resolved]}, at)
            stored = self._comment(connection, comment_uid)
        return self._done(stored, _subject_changes(stored))

    def get_comment(self, uid: str) -> Comment:
        with self._db.read() as connection:
            return self._comment(connection, uid)

    def comments(
        self, *, incident_uid: str | None = None, source_uid: str | None = None
    ) -> list[Comment]:
        """The live comments on one incident or source, oldest first."""
        with self._db.read() as connection:
            return store.comments_on(
                connection, incident_uid=incident_uid, source_uid=source_uid
            )

    # --- verdicts ------------------------------------------------------------------------

    def verify(self, incident_uid: str, reason: str | None = None, **grades: Any
               ) -> Outcome[Verdict]:
        return self.decide(incident_uid, Status.VERIFIED, reason, **grades)

    def dispute(self, incident_uid: str, reason: str, **grades: Any) -> Outcome[Verdict]:
        return self.decide(incident_uid, Status.DISPUTED, reason, **grades)

    def reopen(self, incident_uid: str, reason: str | None = None) -> Outcome[Verdict]:
        return self.decide(incident_uid, Status.DRAFT, reason)

    def decide(
        self,
        incident_uid: str,
        status: Status,
        reason: str | None = None,
        *,
        reliability: Reliability | None = None,
        confidence: int | None = None,
        expected_version: int | None = None,
    ) -> Outcome[Verdict]:
        """Give a verdict: the incident moves to ``status`` with ``reason`` and grades.

        Refused (``ValidationError``) when the workflow has no such step, when a
        dispute has no reason, or when the two-person rule forbids this reviewer
        to verify. ``expected_version`` checks the incident was not changed since.
        """
        verdict = checked_verdict(
            Verdict(incident_uid, status, reason, reliability, confidence)
        )
        at = _stamp()
        with self._db.write(review=True) as connection:
            current = self._incidents._require(connection, incident_uid)
            self._incidents._check_version(current, expected_version)
            problem = self.refusal(connection, current, status, self._actor)
            if problem is not None:
                raise ValidationError({"status": problem}, record=f"incident {current.label}")
            stored = apply_verdict(
                connection, self._incidents, current, verdict,
                (self._actor, at, expected_version, None),
            )
        return self._done(stored, Changes(incidents=frozenset({incident_uid})))

    def refusal(
        self, connection: Connection, current: Incident, status: Status, reviewer: str
    ) -> str | None:
        """Why ``reviewer`` may not give ``current`` this status; None when they may."""
        problem = transition_problem(current, status)
        if problem is not None or status is not Status.VERIFIED:
            return problem
        if store.get_setting(connection, TWO_PERSON_RULE) != "on":
            return None
        return two_person_problem(reviewer, store.fact_writers(connection, current.uid or ""))

    def verify_problem(self, incident_uid: str) -> str | None:
        """Why this person may not verify the incident now (the window greys the key)."""
        with self._db.read() as connection:
            current = self._incidents._require(connection, incident_uid)
            return self.refusal(connection, current, Status.VERIFIED, self._actor)

    def verdicts(self, incident_uid: str) -> list[Verdict]:
        with self._db.read() as connection:
            return store.verdicts_of(connection, incident_uid)

    def latest_verdicts(self, incident_uids: list[str]) -> dict[str, Verdict]:
        with self._db.read() as connection:
            return store.latest_verdicts(connection, incident_uids)

    # --- the queue -----------------------------------------------------------------------

    def queue(self, limit: int | None = None) -> list[store.QueueItem]:
        """What waits for review, oldest first."""
        with self._db.read() as connection:
            return store.review_queue(connection, limit)

    def waiting_count(self) -> int:
        with self._db.read() as connection:
            return store.waiting_count(connection)

    # --- shared --------------------------------------------------------------------------

    def _comment(self, connection: Connection, uid: str) -> Comment:
        found = store.get_comment(connection, uid)
        if found is None:
            raise NotFoundError("comment", uid)
        return found

    def _audit(self, connection: Connection, action: AuditAction, kind: str, uid: str,
               label: str | None, changes: dict[str, Any], at: str) -> None:
        audit.append(connection, at=at, actor=self._actor, action=action.value, kind=kind,
                     uid=uid, label=label, changes=changes)

    def _done(self, record: Any, changes: Changes) -> Outcome[Any]:
        self._notifier.notify(changes)
        return Outcome(record, changes)


def apply_verdict(
    connection: Connection,
    incidents: IncidentService,
    current: Incident,
    verdict: Verdict,
    context: tuple[str, str, int | None, str | None],
) -> Verdict:
    """Write a checked verdict in the caller's transaction: the incident's status (and
    credibility), a verdict row, and both audit entries. ``context``: the reviewer, the
    time, the incident version expected, and how it arrived (a review file) or None.

    A verdict that keeps the uid it was given (a review file's) keeps it here too.
    """
    reviewer, at, expected, via = context
    uid = current.uid or ""
    facts = verdict.facts or store.facts_print(connection, uid)
    verdict = replace(verdict, status_from=current.status, facts=facts)
    values: dict[str, Any] = {"status": verdict.status.value}
    changed: dict[str, list[Any]] = {"status": [current.status.value, verdict.status.value]}
    if verdict.confidence is not None and verdict.confidence != current.confidence:
        values["confidence"] = verdict.confidence
        changed["confidence"] = [current.confidence, verdict.confidence]
    if current.status != verdict.status or "confidence" in values:
        lineage.remember(connection, current)
        if not versioned_update(connection, incidents.table, uid, expected,
                                {**values, "updated_at": at, "updated_by": reviewer}):
            incidents._check_version(incidents._require(connection, uid), expected)
    meta = _new_meta(reviewer, at, verdict.meta.uid)
    if verdict.meta.created_at:  # sent back from a copy: when the reviewer decided
        meta["created_at"] = meta["updated_at"] = verdict.meta.created_at
    connection.execute(
        insert(verdict_table).values(**store.verdict_values(verdict, current.meta.id or 0), **meta)
    )
    extra: dict[str, list[Any]] = {"verdict": [None, meta["uid"]]}
    if verdict.reason:
        extra["reason"] = [None, verdict.reason]
    if verdict.reliability:
        extra["reliability"] = [None, verdict.reliability.value]
    if via:
        extra["via"] = [None, via]
    audit.append(connection, at=at, actor=reviewer, action=AuditAction.STATUS.value,
                 kind="incident", uid=uid, label=current.ref, changes=changed | extra)
    stored = replace(verdict, meta=replace(verdict.meta, uid=meta["uid"]))
    recorded = {k: [None, v] for k, v in store.verdict_audit(stored).items() if v is not None}
    audit.append(connection, at=at, actor=reviewer, action=AuditAction.CREATE.value,
                 kind="verdict", uid=meta["uid"], label=f"{current.label}: {verdict.status.label}",
                 changes=recorded)
    found = store.verdicts_of(connection, uid)
    return next(v for v in reversed(found) if v.meta.uid == meta["uid"])


def _subject_changes(comment: Comment) -> Changes:
    if comment.incident_uid:
        return Changes(incidents=frozenset({comment.incident_uid}))
    return Changes(sources=frozenset({comment.source_uid or ""}))


def _conflict(current: Comment, expected: int) -> ConflictError:
    return ConflictError(
        "comment", current.meta.uid or "", current.label, expected, current.meta.version,
        current.meta.updated_by, current.meta.updated_at,
    )
