"""Review files: the comments and verdicts a reviewer sends back from a copy (docs/review.md).

A reviewer who received a copy of the log opens it in review mode, comments and
gives verdicts, and sends a small JSON file of just those: File ▸ Send reviews…,
or ``incidentlog review send``. It is signed by nothing, but named after the
reviewer and hashed (SHA-256 over its canonical content), so that a file altered
or cut short on the way is refused as a whole.

The desk imports it into the original log in one transaction: comments land on
their incidents and sources, merged by uid; a verdict is applied as the
reviewer's (status, credibility, reason, audit entry naming the file) unless it
cannot be: its incident is not here, its facts changed since the copy was made
(``store.review.facts_print``), the workflow or the two-person rule refuses it.
Those are reported, never applied silently. Importing the same file twice
changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from incidentlog.domain.errors import ExchangeError, ValidationError
from incidentlog.domain.review import Comment, Verdict
from incidentlog.exchange.files import output_file
from incidentlog.exchange.json.review_records import (
    comment_from_json,
    comment_json,
    verdict_from_json,
    verdict_json,
)
from incidentlog.exchange.json.schema import now_text, schema_problem
from incidentlog.services import Changes, Services
from incidentlog.services.records import _stamp
from incidentlog.services.review import apply_verdict
from incidentlog.store import audit
from incidentlog.store import review as store
from incidentlog.store.records import load_incident, versioned_update
from incidentlog.store.schema import comment_table, verdict_table

__all__ = ["REVIEW_FORMAT", "ReviewImport", "import_reviews", "review_file_name", "send_reviews"]

REVIEW_FORMAT = "incidentlog-reviews"
REVIEW_VERSION = 1
#: A review file is small: a reviewer's remarks, not a log. Anything larger is refused.
MAX_REVIEW_FILE = 32 * 1024 * 1024


def review_file_name(reviewer: str, at: str | None = None) -> str:
    """``reviews-ana-20240120T1530.json``: named after the reviewer and the time."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", reviewer).strip(".-") or "reviewer"
    stamp = (at or now_text()).replace("-", "").replace(":", "")[:13]
    return f"reviews-{safe[:60]}-{stamp}.json"


def _digest(document: dict[str, Any]) -> str:
    content = {k: v for k, v in document.items() if k != "sha256"}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def send_reviews(services: Services, out: Path) -> tuple[Path, int, int]:
    """Write this person's comments and verdicts to ``out``; returns it and the counts."""
    reviewer = services.actor
    with services.database.read() as connection:
        comments = [comment_json(c) for c in store.comments_by(connection, reviewer)]
        verdicts = [verdict_json(v) for v in store.verdicts_by(connection, reviewer)]
    document: dict[str, Any] = {
        "format": REVIEW_FORMAT,
        "version": REVIEW_VERSION,
        "reviewer": reviewer,
        "exported_at": now_text(),
        "comments": comments,
        "verdicts": verdicts,
    }
    document["sha256"] = _digest(document)
    with output_file(Path(out)) as handle:
        handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return Path(out), len(comments), len(verdicts)


@dataclass
class ReviewImport:
    """What importing a review file did, and what it did not apply and why."""

    reviewer: str
    comments_added: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    verdicts_applied: int = 0
    verdicts_known: int = 0
    verdicts_refused: int = 0
    #: One sentence per comment or verdict not applied (stale, refused, not here).
    not_applied: list[str] = field(default_factory=list)
    #: The incidents whose verdict was not applied because their facts changed.
    stale: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Reviews of {self.reviewer}:",
            f"Comments: {self.comments_added} added, {self.comments_updated} updated, "
            f"{self.comments_unchanged} unchanged.",
            f"Verdicts: {self.verdicts_applied} applied, {self.verdicts_known} already here, "
            f"{self.verdicts_refused} not applied.",
        ]
        if self.not_applied:
            lines.append(f"Not applied: {len(self.not_applied)}")
            lines.extend(f"  - {sentence}" for sentence in self.not_applied)
        return "\n".join(lines)


def _read(path: Path) -> tuple[str, list[Comment], list[Verdict]]:
    """The file's reviewer, comments and verdicts, checked; ``ExchangeError`` otherwise."""
    where = str(path)
    try:
        if path.stat().st_size > MAX_REVIEW_FILE:
            raise ExchangeError("is too large to be a review file.", file=where)
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ExchangeError(f"cannot be read: {exc.strerror or exc}.", file=where) from exc
    except orjson.JSONDecodeError as exc:
        raise ExchangeError(f"is not JSON ({exc}).", file=where) from exc
    if not isinstance(document, dict) or document.get("format") != REVIEW_FORMAT:
        raise ExchangeError("is not an incidentlog review file.", file=where)
    if document.get("version") != REVIEW_VERSION:
        raise ExchangeError(
            f"is a review file of version {document.get('version')!r}; this incidentlog "
            f"reads version {REVIEW_VERSION}.", file=where,
        )
    if document.get("sha256") != _digest(document):
        raise ExchangeError(
            "was altered or cut short since it was sent (its SHA-256 does not match); "
            "nothing was imported. Ask the reviewer to send it again.", file=where,
        )
    reviewer = document.get("reviewer")
    if not isinstance(reviewer, str) or not reviewer:
        raise ExchangeError("names no reviewer.", file=where, field="reviewer")
    comments = [_record(where, "comments", i, r, comment_from_json)
                for i, r in enumerate(_list(document, "comments", where))]
    verdicts = [_record(where, "verdicts", i, r, verdict_from_json)
                for i, r in enumerate(_list(document, "verdicts", where))]
    return reviewer, comments, verdicts


def _list(document: dict[str, Any], name: str, where: str) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list):
        raise ExchangeError("is not a list.", file=where, field=name)
    return value


def _record(where: str, section: str, index: int, record: Any, convert: Any) -> Any:
    label = f"{section}[{index}]"
    problem = schema_problem(section[:-1], record)
    if problem is not None:
        raise ExchangeError(problem[1], file=where, record=label, field=problem[0])
    try:
        return convert(record)
    except (ValidationError, ValueError, KeyError, TypeError) as exc:
        raise ExchangeError(str(exc), file=where, record=label) from None


def import_reviews(services: Services, path: Path) -> ReviewImport:
    """Bring a reviewer's comments and verdicts into this log (one transaction)."""
    path = Path(path)
    reviewer, comments, verdicts = _read(path)
    report = ReviewImport(reviewer)
    via = f"review file {path.name} of {reviewer}, imported by {services.actor}"
    touched: set[str] = set()
    with services.database.write() as connection:
        for comment in comments:
            _merge_comment(connection, services.actor, comment, report, touched)
        for verdict in verdicts:
            _apply(connection, services, verdict, (via, report, touched))
    if touched:
        services.notifier.notify(Changes(incidents=frozenset(touched)))
    return report


def _merge_comment(
    connection: Connection, actor: str, comment: Comment, report: ReviewImport, touched: set[str]
) -> None:
    uid = comment.meta.uid or ""
    here = store.get_comment(connection, uid)
    at = _stamp()
    if here is not None:
        if comment.resolved and not here.resolved:
            versioned_update(connection, comment_table, uid, None,
                             {"resolved": True, "updated_at": at, "updated_by": actor})
            audit.append(connection, at=at, actor=actor, action="import", kind="comment",
                         uid=uid, label=here.label, changes={"resolved": [False, True]})
            report.comments_updated += 1
        else:
            report.comments_unchanged += 1
        return
    values = store.comment_values(connection, comment)
    if values["incident_id"] is None and values["source_id"] is None:
        report.not_applied.append(
            f"comment of {comment.author} “{comment.label}”: its "
            f"{'incident' if comment.incident_uid else 'source'} is not in this log"
        )
        return
    meta = {
        "uid": uid, "version": comment.meta.version or 1,
        "created_at": comment.meta.created_at or at, "created_by": comment.meta.created_by,
        "updated_at": comment.meta.updated_at or at,
        "updated_by": comment.meta.updated_by or comment.meta.created_by,
        "deleted_at": None,
    }
    connection.execute(insert(comment_table).values(**values, **meta))
    created = {k: [None, v] for k, v in store.comment_audit(comment).items()
               if v not in (None, False)}
    audit.append(connection, at=at, actor=actor, action="import", kind="comment", uid=uid,
                 label=comment.label, changes=created)
    report.comments_added += 1
    if comment.incident_uid:
        touched.add(comment.incident_uid)


def _apply(
    connection: Connection,
    services: Services,
    verdict: Verdict,
    context: tuple[str, ReviewImport, set[str]],
) -> None:
    via, report, touched = context
    reviewer = verdict.reviewer
    if store.uids_present(connection, verdict_table, [verdict.meta.uid or ""]):
        report.verdicts_known += 1
        return
    current = load_incident(connection, verdict.incident_uid)
    what = f"verdict of {reviewer} ({verdict.status.label})"
    if current is None or current.meta.deleted_at is not None:
        _refuse(report, f"{what} on {verdict.incident_uid}: the incident is not in this log "
                "(or is in the trash)")
        return
    if store.facts_print(connection, verdict.incident_uid) != verdict.facts:
        _refuse(report, f"{what} on {current.label}: its facts changed here since the copy "
                "was made; not applied — ask for a review of the current version")
        report.stale.append(current.label)
        return
    problem = services.review.refusal(connection, current, verdict.status, reviewer)
    if problem is not None:
        _refuse(report, f"{what} on {current.label}: {problem}")
        return
    apply_verdict(connection, services.incidents, current, verdict,
                  (reviewer, _stamp(), None, via))
    report.verdicts_applied += 1
    touched.add(verdict.incident_uid)



def _refuse(report: ReviewImport, sentence: str) -> None:
    report.not_applied.append(sentence)
    report.verdicts_refused += 1
