"""Comments and verdicts as JSON records, both ways (docs/formats.md, docs/review.md).

Shared by the export's ``comments`` and ``verdicts`` sections and by the small
review files a reviewer sends back (``exchange/review_file.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import Reliability, Status
from incidentlog.domain.records import RecordMeta
from incidentlog.domain.review import Comment, Verdict, checked_comment, checked_verdict
from incidentlog.exchange.json.records import _meta
from incidentlog.store import review as store
from incidentlog.store.schema import comment_table, verdict_table

__all__ = [
    "any_review",
    "comment_from_json",
    "comment_json",
    "converted_review",
    "exported",
    "verdict_from_json",
    "verdict_json",
]


def _meta_json(meta: RecordMeta) -> dict[str, Any]:
    return {
        "uid": meta.uid,
        "version": meta.version,
        "created_at": meta.created_at,
        "created_by": meta.created_by,
        "updated_at": meta.updated_at,
        "updated_by": meta.updated_by,
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return _meta_json(comment.meta) | {
        "incident": comment.incident_uid,
        "source": comment.source_uid,
        "about": comment.about,
        "text": comment.text,
        "reply_to": comment.reply_to,
        "resolved": comment.resolved,
    }


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    return _meta_json(verdict.meta) | {
        "incident": verdict.incident_uid,
        "status_from": verdict.status_from.value if verdict.status_from else None,
        "status": verdict.status.value,
        "reason": verdict.reason,
        "reliability": verdict.reliability.value if verdict.reliability else None,
        "confidence": verdict.confidence,
        "facts": verdict.facts,
    }


def comment_from_json(record: Mapping[str, Any]) -> Comment:
    """A comment of a file, checked as one being written (``checked_comment``)."""
    return checked_comment(
        Comment(
            record.get("text"),
            record.get("incident"),
            record.get("source"),
            record.get("about"),
            record.get("reply_to"),
            bool(record.get("resolved", False)),
            _meta(record),
        )
    )


def verdict_from_json(record: Mapping[str, Any]) -> Verdict:
    """A verdict of a file, checked as one being given (a dispute has a reason)."""
    reliability = record.get("reliability")
    return checked_verdict(
        Verdict(
            record["incident"],
            Status(record["status"]),
            record.get("reason"),
            Reliability(reliability) if reliability else None,
            record.get("confidence"),
            Status(record["status_from"]),
            record["facts"],
            _meta(record),
        )
    )


def _meta_tuple(meta: RecordMeta) -> tuple[Any, ...]:
    """As the spool keeps a record's meta (``json.rules.Meta``): no lineage, no fingerprint
    (a comment changes only by being resolved, a verdict never)."""
    return (meta.uid, meta.version, meta.created_at, meta.created_by, meta.updated_at,
            meta.updated_by, "", ())


def converted_review(
    section: str, record: Mapping[str, Any]
) -> tuple[list[tuple[str, str, str]], tuple[Any, ...]]:
    """``json.records.converted`` for the ``comments`` and ``verdicts`` sections."""
    if section == "comments":
        comment = comment_from_json(record)
        found = [
            (kind, kind, uid)
            for kind, uid in (("incident", comment.incident_uid), ("source", comment.source_uid))
            if uid
        ]
        values: dict[str, Any] = {
            "about": comment.about, "text": comment.text, "reply_to": comment.reply_to,
            "resolved": comment.resolved,
        }
        return found, (_meta_tuple(comment.meta), values, comment.incident_uid,
                       comment.source_uid, comment.label)
    verdict = verdict_from_json(record)
    judged: dict[str, Any] = {
        "status_from": verdict.status_from.value if verdict.status_from else None,
        "status": verdict.status.value,
        "reason": verdict.reason,
        "reliability": verdict.reliability.value if verdict.reliability else None,
        "confidence": verdict.confidence,
        "facts": verdict.facts,
    }
    return [("incident", "incident", verdict.incident_uid)], (
        _meta_tuple(verdict.meta), judged, verdict.incident_uid, verdict.label
    )


def any_review(connection: Connection) -> bool:
    """Whether the log holds a comment or a verdict (an export then writes them)."""
    return any(
        connection.execute(select(exists().select_from(table))).scalar()
        for table in (comment_table, verdict_table)
    )


def exported(
    connection: Connection, incidents: set[str], sources: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The live comments and the verdicts on the incidents and sources an export wrote."""
    comments = [
        comment_json(c) for c in store.all_comments(connection)
        if (c.incident_uid in incidents) or (c.source_uid in sources)
    ]
    verdicts = [
        verdict_json(v) for v in store.verdicts_by(connection) if v.incident_uid in incidents
    ]
    return comments, verdicts
