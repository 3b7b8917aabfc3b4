"""The closed vocabularies of the domain (docs/architecture.md).

Each enum's value is what is stored in the database and written to exports;
``label`` is what a person reads (table cells, CSV, form choices).
"""

from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> _Labelled:
        """Accept the stored value or the label, case-insensitively."""
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        for member in cls:
            if member.value == key:
                return member
        raise ValueError(f"{text!r} is not one of: {', '.join(m.label for m in cls)}")


class TimePrecision(_Labelled):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class GeoPrecision(_Labelled):
    SITE = "site"
    NEAR = "near"
    REGION = "region"
    COUNTRY = "country"


class Attribution(_Labelled):
    CLAIMED = "claimed"
    ATTRIBUTED = "attributed"
    SUSPECTED = "suspected"
    UNKNOWN = "unknown"


class Status(_Labelled):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    VERIFIED = "verified"
    DISPUTED = "disputed"
    ARCHIVED = "archived"


#: Which status may follow which (docs/architecture.md: draft → in review → verified, or
#: disputed; archived). Going back to draft re-opens a record for editing.
STATUS_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.IN_REVIEW, Status.ARCHIVED}),
    Status.IN_REVIEW: frozenset({Status.VERIFIED, Status.DISPUTED, Status.DRAFT, Status.ARCHIVED}),
    Status.VERIFIED: frozenset({Status.DISPUTED, Status.IN_REVIEW, Status.ARCHIVED}),
    Status.DISPUTED: frozenset({Status.VERIFIED, Status.IN_REVIEW, Status.DRAFT, Status.ARCHIVED}),
    Status.ARCHIVED: frozenset({Status.DRAFT}),
}


class CountQualifier(_Labelled):
    EXACT = "exact"
    AT_LEAST = "at_least"
    ABOUT = "about"
    UNKNOWN = "unknown"


class SourceKind(_Labelled):
    ARTICLE = "article"
    SOCIAL_POST = "social_post"
    VIDEO = "video"
    PRESS_RELEASE = "press_release"
    OFFICIAL_STATEMENT = "official_statement"
    REPORT = "report"
    OTHER = "other"


class Reliability(_Labelled):
    """Source reliability on the Admiralty scale."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"

    @property
    def label(self) -> str:
        return f"{self.value} – {RELIABILITY_MEANING[self.value]}"

    @classmethod
    def parse(cls, text: str) -> Reliability:
        key = text.strip()[:1].upper()
        for member in cls:
            if member.value == key:
                return member
        raise ValueError(f"{text!r} is not a reliability grade A–F")


RELIABILITY_MEANING = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}

#: Information credibility on the Admiralty / NATO scale (the incident's confidence).
CONFIDENCE_MEANING = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


class RecordKind(_Labelled):
    INCIDENT = "incident"
    SOURCE = "source"
    QUOTE = "quote"
    PERIOD = "period"
    SAVED_VIEW = "saved_view"
    COMMENT = "comment"
    VERDICT = "verdict"


#: The kinds of record the Trash lists, restores and purges.
TRASH_KINDS = (RecordKind.INCIDENT, RecordKind.SOURCE, RecordKind.QUOTE, RecordKind.SAVED_VIEW)


class AuditAction(_Labelled):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    PURGE = "purge"
    IMPORT = "import"
    MERGE = "merge"
    STATUS = "status"
    LINK = "link"
    UNLINK = "unlink"
    RELATE = "relate"  # a link to a related incident (services/links.py)
    UNRELATE = "unrelate"
