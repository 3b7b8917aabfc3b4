"""The three record kinds as plain values (docs/architecture.md).

Services take and return these; the store maps them to rows; exports and the
GUI read them. They are frozen so that they can cross threads safely: edit a
copy with ``dataclasses.replace``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from incidentlog.domain.actors import IncidentActor
from incidentlog.domain.enums import (
    Attribution,
    CountQualifier,
    GeoPrecision,
    Reliability,
    SourceKind,
    Status,
)
from incidentlog.domain.when import Moment


@dataclass(frozen=True, slots=True)
class Count:
    """A casualty or munition count with its qualifier. Unknown is not zero."""

    value: int | None = None
    qualifier: CountQualifier = CountQualifier.UNKNOWN

    @classmethod
    def exact(cls, value: int) -> Count:
        return cls(value, CountQualifier.EXACT)

    @classmethod
    def at_least(cls, value: int) -> Count:
        return cls(value, CountQualifier.AT_LEAST)

    @classmethod
    def about(cls, value: int) -> Count:
        return cls(value, CountQualifier.ABOUT)

    @property
    def known(self) -> bool:
        return self.qualifier is not CountQualifier.UNKNOWN and self.value is not None

    def display(self) -> str:
        if not self.known:
            return "unknown"
        match self.qualifier:
            case CountQualifier.AT_LEAST:
                return f"at least {self.value}"
            case CountQualifier.ABOUT:
                return f"about {self.value}"
        return str(self.value)

    @classmethod
    def parse(cls, text: str | None) -> Count:
        """``unknown``/empty, ``5``, ``at least 5``/``5+``/``>=5``, ``about 5``/``~5``."""
        raw = (text or "").strip().lower()
        if raw in ("", "unknown", "?", "n/a"):
            return cls()
        patterns = (
            (r"(?:at least|>=|≥)\s*(\d+)|(\d+)\s*\+", CountQualifier.AT_LEAST),
            (r"(?:about|approximately|approx\.?|around|~|ca\.?)\s*(\d+)", CountQualifier.ABOUT),
            (r"(\d+)", CountQualifier.EXACT),
        )
        for pattern, qualifier in patterns:
            match = re.fullmatch(pattern, raw)
            if match:
                number = next(group for group in match.groups() if group is not None)
                return cls(int(number), qualifier)
        raise ValueError(
            f"{text!r} is not a count; write a number, 'at least 5', 'about 5' or 'unknown'"
        )


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """Identity and bookkeeping that the store sets; never typed by a user."""

    id: int | None = None
    uid: str | None = None
    version: int = 0
    created_at: str | None = None
    created_by: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    deleted_at: str | None = None


@dataclass(frozen=True, slots=True)
class SourceLink:
    """An incident cites a source; ``note`` says what that source supports."""

    source_uid: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    title: str | None = None
    occurred: Moment | None = None
    summary: str | None = None
    ref: str | None = None
    place: str | None = None
    admin1: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: GeoPrecision | None = None
    event_type: str | None = None
    weapons: str | None = None
    launched: int | None = None
    intercepted: int | None = None
    perpetrator: str | None = None
    attribution: Attribution = Attribution.UNKNOWN
    target: str | None = None
    killed: Count = field(default_factory=Count)
    injured: Count = field(default_factory=Count)
    status: Status = Status.DRAFT
    confidence: int | None = None
    tags: tuple[str, ...] = ()
    meta: RecordMeta = field(default_factory=RecordMeta)
    #: Who took part and how (domain/actors.py); ``perpetrator`` and ``attribution`` are
    #: derived from them when the incident is cleaned.
    actors: tuple[IncidentActor, ...] = ()

    @property
    def uid(self) -> str | None:
        return self.meta.uid

    @property
    def label(self) -> str:
        return self.ref or (self.title or "untitled incident")


@dataclass(frozen=True, slots=True)
class Source:
    kind: SourceKind = SourceKind.ARTICLE
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    author: str | None = None
    handle: str | None = None
    published: Moment | None = None
    accessed_at: str | None = None
    archive_url: str | None = None
    excerpt: str | None = None
    language: str | None = None
    reliability: Reliability | None = None
    sha256: str | None = None
    notes: str | None = None
    meta: RecordMeta = field(default_factory=RecordMeta)

    @property
    def uid(self) -> str | None:
        return self.meta.uid

    @property
    def label(self) -> str:
        return self.title or self.url or self.handle or self.outlet or "untitled source"


@dataclass(frozen=True, slots=True)
class Quote:
    text: str | None = None
    speaker: str | None = None
    speaker_role: str | None = None
    speaker_org: str | None = None
    said: Moment | None = None
    language: str | None = None
    context: str | None = None
    incident_uid: str | None = None
    source_uid: str | None = None
    meta: RecordMeta = field(default_factory=RecordMeta)

    @property
    def uid(self) -> str | None:
        return self.meta.uid

    @property
    def label(self) -> str:
        text = self.text or ""
        short = text if len(text) <= 40 else text[:39] + "…"
        return f"{self.speaker or 'unknown speaker'}: “{short}”"


@dataclass(frozen=True, slots=True)
class Period:
    """A named span of time shown as a shaded band on the timeline.

    E.g. "campaign of 17 Oct 2023 – 4 Feb 2024": from the start of ``start``'s
    interval to the end of ``end``'s, so two day-precision moments include both days.
    """

    name: str | None = None
    start: Moment | None = None
    end: Moment | None = None
    color: str | None = None  # "#RRGGBB"
    notes: str | None = None
    meta: RecordMeta = field(default_factory=RecordMeta)

    @property
    def uid(self) -> str | None:
        return self.meta.uid

    @property
    def label(self) -> str:
        return self.name or "unnamed period"


#: NUL and the other C0 control characters but tab, line feed and carriage return: no
#: report means them, some tools cut a string at a NUL, and a CSV reader may refuse it.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None) -> str | None:
    """Control characters removed, surrounding white space stripped; empty becomes None
    (absent, not ''). Every way in (forms, JSON, CSV) stores text through this."""
    if value is None:
        return None
    stripped = _CONTROL_CHARACTERS.sub("", value).strip()
    return stripped or None
