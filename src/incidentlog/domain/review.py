"""Review records: comments and verdicts (docs/review.md).

A *comment* is a remark on an incident or a source, optionally about one of its
fields, optionally a reply to another comment; it can be marked resolved. A
*verdict* is a reviewer's decision on an incident: the status it moves to
(verified, disputed, or back to draft), why, and the Admiralty grades given in
the same step. Both are records with uids, so that they travel in exports and in
the small review files a reviewer sends back, and merge by uid.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from incidentlog.domain.enums import Reliability, Status
from incidentlog.domain.errors import ValidationError
from incidentlog.domain.records import RecordMeta, clean_text

#: The statuses a verdict may give: the review decisions of the workflow.
VERDICT_STATUSES = (Status.VERIFIED, Status.DISPUTED, Status.DRAFT)
MAX_COMMENT = 10_000
MAX_REASON = 2_000
MAX_ABOUT = 40
#: The name of the two-person rule among the log's settings.
TWO_PERSON_RULE = "two_person_rule"


@dataclass(frozen=True, slots=True)
class Comment:
    """A remark on an incident (``incident_uid``) or a source (``source_uid``)."""

    text: str | None = None
    incident_uid: str | None = None
    source_uid: str | None = None
    about: str | None = None
    reply_to: str | None = None
    resolved: bool = False
    meta: RecordMeta = field(default_factory=RecordMeta)

    @property
    def uid(self) -> str | None:
        return self.meta.uid

    @property
    def author(self) -> str:
        return self.meta.created_by or ""

    @property
    def label(self) -> str:
        text = self.text or ""
        short = text if len(text) <= 40 else text[:39] + "…"
        return f"{self.author or 'someone'}: {short}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A reviewer's decision on an incident, kept in its history."""

    incident_uid: str
    status: Status
    reason: str | None = None
    reliability: Reliability | None = None
    confidence: int | None = None
    status_from: Status | None = None
    #: The fingerprint of the incident's facts judged (``store.review.facts_print``).
    facts: str | None = None
    meta: RecordMeta = field(default_factory=RecordMeta)

    @property
    def uid(self) -> str | None:
        return self.meta.uid

    @property
    def reviewer(self) -> str:
        return self.meta.created_by or ""

    @property
    def label(self) -> str:
        return f"{self.status.label} by {self.reviewer or 'someone'}"

    def sentence(self) -> str:
        """``verified by ana: two sources agree (B2)``: one line for a tooltip or history."""
        grades = f"{self.reliability.value if self.reliability else ''}" + (
            str(self.confidence) if self.confidence else ""
        )
        text = self.label
        if self.reason:
            text += f": {self.reason}"
        return f"{text} ({grades})" if grades else text


def checked_comment(comment: Comment) -> Comment:
    """The comment as stored (trimmed), or ``ValidationError`` with every problem."""
    cleaned = replace(
        comment, text=clean_text(comment.text), about=clean_text(comment.about)
    )
    errors: dict[str, str] = {}
    if not cleaned.text:
        errors["text"] = "write what the comment says"
    elif len(cleaned.text) > MAX_COMMENT:
        errors["text"] = f"is longer than {MAX_COMMENT} characters"
    if cleaned.about and len(cleaned.about) > MAX_ABOUT:
        errors["about"] = f"is longer than {MAX_ABOUT} characters; name one field"
    if (cleaned.incident_uid is None) == (cleaned.source_uid is None):
        errors["subject"] = "a comment is on one incident or on one source"
    if errors:
        raise ValidationError(errors, record="comment")
    return cleaned


def checked_verdict(verdict: Verdict) -> Verdict:
    """The verdict as stored, or ``ValidationError``: a dispute needs a reason."""
    cleaned = replace(verdict, reason=clean_text(verdict.reason))
    errors: dict[str, str] = {}
    if cleaned.status not in VERDICT_STATUSES:
        allowed = ", ".join(s.label for s in VERDICT_STATUSES)
        errors["status"] = f"a verdict is one of: {allowed}"
    if cleaned.status is Status.DISPUTED and not cleaned.reason:
        errors["reason"] = "say why the incident is disputed"
    if cleaned.reason and len(cleaned.reason) > MAX_REASON:
        errors["reason"] = f"is longer than {MAX_REASON} characters"
    if cleaned.confidence is not None and not 1 <= cleaned.confidence <= 6:
        errors["confidence"] = "credibility is a grade from 1 to 6"
    if errors:
        raise ValidationError(errors, record=f"verdict on incident {verdict.incident_uid}")
    return cleaned
