"""Comments, verdicts and the log's settings in SQL (SQLAlchemy Core, any engine).

Row ↔ record mapping, the review queue, what an incident's facts are for a
verdict (``facts_print``) and who last wrote them (the two-person rule).
``services/review.py`` holds the use cases; docs/review.md the workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import AuditAction, Reliability, Status
from incidentlog.domain.records import RecordMeta
from incidentlog.domain.review import Comment, Verdict
from incidentlog.store import lineage
from incidentlog.store.records import incident_values, load_incident
from incidentlog.store.schema import (
    audit_table,
    comment_table,
    incident_source_table,
    incident_table,
    log_setting_table,
    source_table,
    verdict_table,
)

#: Audit actions that write an incident's facts (not its status, not a comment).
FACT_ACTIONS = (
    AuditAction.CREATE.value,
    AuditAction.UPDATE.value,
    AuditAction.IMPORT.value,
    AuditAction.MERGE.value,
    AuditAction.LINK.value,
    AuditAction.UNLINK.value,
)
#: What a verdict decides rather than judges: left out of the facts' fingerprint.
_NOT_FACTS = ("status", "confidence")


def _meta(row: Mapping[Any, Any]) -> RecordMeta:
    return RecordMeta(
        row["id"], row["uid"], row["version"], row["created_at"], row["created_by"],
        row["updated_at"], row["updated_by"], row["deleted_at"],
    )


# --- comments --------------------------------------------------------------------------


COMMENT_SELECT = (
    select(
        comment_table,
        incident_table.c.uid.label("incident_uid"),
        source_table.c.uid.label("source_uid"),
    )
    .outerjoin(incident_table, incident_table.c.id == comment_table.c.incident_id)
    .outerjoin(source_table, source_table.c.id == comment_table.c.source_id)
)


def comment_from_row(row: Mapping[Any, Any]) -> Comment:
    return Comment(
        row["text"], row["incident_uid"], row["source_uid"], row["about"], row["reply_to"],
        bool(row["resolved"]), _meta(row),
    )


def comment_values(connection: Connection, comment: Comment) -> dict[str, Any]:
    """The stored columns of a comment (its subject by row id), identity aside."""
    return {
        "incident_id": _row_id(connection, incident_table, comment.incident_uid),
        "source_id": _row_id(connection, source_table, comment.source_uid),
        "about": comment.about,
        "text": comment.text,
        "reply_to": comment.reply_to,
        "resolved": comment.resolved,
    }


def comment_audit(comment: Comment) -> dict[str, Any]:
    """What the audit log records of a comment: its subject by uid."""
    return {
        "incident": comment.incident_uid,
        "source": comment.source_uid,
        "about": comment.about,
        "text": comment.text,
        "reply_to": comment.reply_to,
        "resolved": comment.resolved,
    }


def _row_id(connection: Connection, table: Any, uid: str | None) -> int | None:
    if uid is None:
        return None
    found = connection.execute(select(table.c.id).where(table.c.uid == uid)).scalar()
    return int(found) if found is not None else None


def get_comment(connection: Connection, uid: str) -> Comment | None:
    row = connection.execute(COMMENT_SELECT.where(comment_table.c.uid == uid)).first()
    return comment_from_row(row._mapping) if row else None


def comments_on(
    connection: Connection, *, incident_uid: str | None = None, source_uid: str | None = None
) -> list[Comment]:
    """The live comments on one incident or source, oldest first."""
    query = COMMENT_SELECT.where(comment_table.c.deleted_at.is_(None))
    if incident_uid is not None:
        query = query.where(incident_table.c.uid == incident_uid)
    if source_uid is not None:
        query = query.where(source_table.c.uid == source_uid)
    rows = connection.execute(query.order_by(comment_table.c.created_at, comment_table.c.id))
    return [comment_from_row(row._mapping) for row in rows]


def comments_by(connection: Connection, author: str) -> list[Comment]:
    """Every live comment written by ``author``, oldest first (a review file)."""
    rows = connection.execute(
        COMMENT_SELECT.where(
            comment_table.c.deleted_at.is_(None), comment_table.c.created_by == author
        ).order_by(comment_table.c.created_at, comment_table.c.id)
    )
    return [comment_from_row(row._mapping) for row in rows]


def all_comments(connection: Connection) -> list[Comment]:
    rows = connection.execute(
        COMMENT_SELECT.where(comment_table.c.deleted_at.is_(None)).order_by(comment_table.c.id)
    )
    return [comment_from_row(row._mapping) for row in rows]


# --- verdicts --------------------------------------------------------------------------


VERDICT_SELECT = select(verdict_table, incident_table.c.uid.label("incident_uid")).join(
    incident_table, incident_table.c.id == verdict_table.c.incident_id
)


def verdict_from_row(row: Mapping[Any, Any]) -> Verdict:
    return Verdict(
        row["incident_uid"],
        Status(row["status"]),
        row["reason"],
        Reliability(row["reliability"]) if row["reliability"] else None,
        row["confidence"],
        Status(row["status_from"]),
        row["facts"],
        _meta(row),
    )


def verdict_values(verdict: Verdict, incident_id: int) -> dict[str, Any]:
    assert verdict.status_from is not None and verdict.facts is not None
    return {
        "incident_id": incident_id,
        "status_from": verdict.status_from.value,
        "status": verdict.status.value,
        "reason": verdict.reason,
        "reliability": verdict.reliability.value if verdict.reliability else None,
        "confidence": verdict.confidence,
        "facts": verdict.facts,
    }


def verdict_audit(verdict: Verdict) -> dict[str, Any]:
    """What the audit log records of a verdict: its incident by uid."""
    return {
        "incident": verdict.incident_uid,
        "status_from": verdict.status_from.value if verdict.status_from else None,
        "status": verdict.status.value,
        "reason": verdict.reason,
        "reliability": verdict.reliability.value if verdict.reliability else None,
        "confidence": verdict.confidence,
        "facts": verdict.facts,
    }


def verdicts_of(connection: Connection, incident_uid: str) -> list[Verdict]:
    """The verdicts on one incident, oldest first."""
    rows = connection.execute(
        VERDICT_SELECT.where(incident_table.c.uid == incident_uid).order_by(verdict_table.c.id)
    )
    return [verdict_from_row(row._mapping) for row in rows]


def verdicts_by(connection: Connection, reviewer: str | None = None) -> list[Verdict]:
    """Every verdict (of ``reviewer`` when given), oldest first."""
    query = VERDICT_SELECT.order_by(verdict_table.c.id)
    if reviewer is not None:
        query = query.where(verdict_table.c.created_by == reviewer)
    return [verdict_from_row(row._mapping) for row in connection.execute(query)]


def latest_verdicts(connection: Connection, incident_uids: Iterable[str]) -> dict[str, Verdict]:
    """The newest verdict of each of these incidents that has one (the table's tooltip)."""
    wanted = list(dict.fromkeys(incident_uids))
    if not wanted:
        return {}
    newest = (
        select(func.max(verdict_table.c.id))
        .join(incident_table, incident_table.c.id == verdict_table.c.incident_id)
        .where(incident_table.c.uid.in_(wanted))
        .group_by(verdict_table.c.incident_id)
    )
    rows = connection.execute(VERDICT_SELECT.where(verdict_table.c.id.in_(newest)))
    return {row.incident_uid: verdict_from_row(row._mapping) for row in rows}


def uids_present(connection: Connection, table: Any, uids: Iterable[str]) -> set[str]:
    wanted = list(dict.fromkeys(uids))
    if not wanted:
        return set()
    return set(connection.execute(select(table.c.uid).where(table.c.uid.in_(wanted))).scalars())


# --- facts and who wrote them ----------------------------------------------------------


def facts_print(connection: Connection, incident_uid: str) -> str:
    """The fingerprint of an incident's facts: its fields but status and credibility, its
    tags and the sources it cites. A verdict records it; a verdict sent back from a copy
    is applied only while the facts still have it."""
    incident = load_incident(connection, incident_uid)
    if incident is None:
        return ""
    values = {k: v for k, v in incident_values(incident).items() if k not in _NOT_FACTS}
    content = lineage.incident_content(values, incident.tags, lineage.incident_actors(incident))
    cited = connection.execute(
        select(source_table.c.uid)
        .join(incident_source_table, incident_source_table.c.source_id == source_table.c.id)
        .where(incident_source_table.c.incident_id == incident.meta.id)
        .order_by(source_table.c.uid)
    ).scalars()
    return lineage.fingerprint_content("facts", content | {"sources": list(cited)})


def fact_writers(connection: Connection, incident_uid: str) -> set[str]:
    """Who created the incident and who last wrote its facts (the two-person rule)."""
    created_by = connection.execute(
        select(incident_table.c.created_by).where(incident_table.c.uid == incident_uid)
    ).scalar()
    last = connection.execute(
        select(audit_table.c.actor)
        .where(audit_table.c.uid == incident_uid, audit_table.c.action.in_(FACT_ACTIONS))
        .order_by(audit_table.c.id.desc())
        .limit(1)
    ).scalar()
    return {name for name in (created_by, last) if name}


# --- the queue -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueItem:
    """An incident waiting for review, as the queue lists it."""

    uid: str
    ref: str
    title: str
    occurred_at: str
    entered_by: str
    entered_at: str
    version: int
    sources: int
    preserved: int  # cited sources with an archived copy or a file hash
    open_comments: int


def review_queue(connection: Connection, limit: int | None = None) -> list[QueueItem]:
    """Live incidents in review, oldest first, with who entered them and their counts."""
    i, link, s = incident_table, incident_source_table, source_table
    preserved = or_(s.c.archive_url.is_not(None), s.c.sha256.is_not(None))
    sources = (
        select(func.count()).select_from(link.join(s, s.c.id == link.c.source_id))
        .where(link.c.incident_id == i.c.id).scalar_subquery()
    )
    kept = (
        select(func.count()).select_from(link.join(s, s.c.id == link.c.source_id))
        .where(link.c.incident_id == i.c.id, preserved).scalar_subquery()
    )
    c = comment_table
    talk = (
        select(func.count()).where(
            c.c.incident_id == i.c.id, c.c.deleted_at.is_(None), c.c.resolved.is_(False)
        ).scalar_subquery()
    )
    query = (
        select(i.c.uid, i.c.ref, i.c.title, i.c.occurred_at, i.c.created_by, i.c.created_at,
               i.c.version, sources, kept, talk)
        .where(i.c.deleted_at.is_(None), i.c.status == Status.IN_REVIEW.value)
        .order_by(i.c.created_at, i.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [QueueItem(*tuple(row)) for row in connection.execute(query)]


def waiting_count(connection: Connection) -> int:
    """How many live incidents wait for review (the status bar)."""
    i = incident_table
    return int(
        connection.execute(
            select(func.count()).where(
                i.c.deleted_at.is_(None), i.c.status == Status.IN_REVIEW.value
            )
        ).scalar_one()
    )


# --- the log's settings ----------------------------------------------------------------


def get_setting(connection: Connection, name: str) -> str | None:
    return connection.execute(
        select(log_setting_table.c.value).where(log_setting_table.c.name == name)
    ).scalar()


def put_setting(connection: Connection, name: str, value: str, at: str, actor: str) -> None:
    values = {"value": value, "updated_at": at, "updated_by": actor}
    done = connection.execute(
        update(log_setting_table).where(log_setting_table.c.name == name).values(**values)
    )
    if done.rowcount == 0:
        connection.execute(insert(log_setting_table).values(name=name, **values))

