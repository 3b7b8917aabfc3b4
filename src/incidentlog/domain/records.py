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

#: "3-5", "3–5", "3 to 5", "between 3 and 5"; an optional "(best 4)" after it.
_RANGE = re.compile(
    r"(?:between\s+)?(\d+)\s*(?:-|–|—|to|and)\s*(\d+)(?:\s*\(?\s*best\s*:?\s*(\d+)\s*\)?)?"
)


@dataclass(frozen=True, slots=True)
class Count:
    """A casualty count with its qualifier and, where the source gives one, a range.

    ``value`` is the best estimate (the number the table sorts on and exports as the
    total). ``low``/``high`` bound it where a source gives a range: "3–5" is at least 3,
    at most 5 (``AT_LEAST`` 3 with ``high`` 5); "3–5 (best 4)" is about 4 within 3 and 5
    (``ABOUT`` 4, ``low`` 3, ``high`` 5). Unknown is not zero (docs/harm.md).
    """

    value: int | None = None
    qualifier: CountQualifier = CountQualifier.UNKNOWN
    low: int | None = None
    high: int | None = None

    @classmethod
    def exact(cls, value: int) -> Count:
        return cls(value, CountQualifier.EXACT)

    @classmethod
    def at_least(cls, value: int) -> Count:
        return cls(value, CountQualifier.AT_LEAST)

    @classmethod
    def about(cls, value: int) -> Count:
        return cls(value, CountQualifier.ABOUT)

    @classmethod
    def between(cls, low: int, high: int, best: int | None = None) -> Count:
        """A range; with a best estimate inside it, that estimate is "about" it."""
        if best is None:
            return cls(low, CountQualifier.AT_LEAST, None, high)
        return cls(best, CountQualifier.ABOUT, low, high)

    @property
    def known(self) -> bool:
        return self.qualifier is not CountQualifier.UNKNOWN and self.value is not None

    @property
    def lower(self) -> int | None:
        """The least the count can be: the range's low end, else the number; None if unknown."""
        if not self.known:
            return None
        return self.low if self.low is not None else self.value

    @property
    def upper(self) -> int | None:
        """The most it can be: the range's high end, the number (exact, about), or None
        (unbounded: "at least", unknown)."""
        if not self.known:
            return None
        if self.high is not None:
            return self.high
        return None if self.qualifier is CountQualifier.AT_LEAST else self.value

    @property
    def ranged(self) -> bool:
        return self.known and (self.low is not None or self.high is not None)

    def normalized(self) -> Count:
        """The same count spelled one way: an end equal to what the qualifier already
        says is dropped ("at least 3" with low 3; "exact 4" within 4 and 4)."""
        low, high = self.low, self.high
        if self.qualifier is CountQualifier.AT_LEAST and low == self.value:
            low = None
        if self.qualifier is CountQualifier.EXACT:
            low = None if low == self.value else low
            high = None if high == self.value else high
        return self if (low, high) == (self.low, self.high) else Count(
            self.value, self.qualifier, low, high)

    def display(self) -> str:
        if not self.known:
            return "unknown"
        if self.ranged:
            return self.short()
        match self.qualifier:
            case CountQualifier.AT_LEAST:
                return f"at least {self.value}"
            case CountQualifier.ABOUT:
                return f"about {self.value}"
        return str(self.value)

    def short(self) -> str:
        """For a table cell: "4", "≥ 5", "~4", "3–5", "3–5 (best 4)", "≥ 3 (best 4)"."""
        if not self.known:
            return "unknown"
        if self.ranged:
            low, high = self.lower, self.high
            span = f"{low}–{high}" if high is not None else f"≥ {low}"
            if self.qualifier is CountQualifier.AT_LEAST:
                return span
            return f"{span} (best {self.value})"
        match self.qualifier:
            case CountQualifier.AT_LEAST:
                return f"≥ {self.value}"
            case CountQualifier.ABOUT:
                return f"~{self.value}"
        return str(self.value)

    @classmethod
    def parse(cls, text: str | None) -> Count:
        """``unknown``/empty, ``5``, ``at least 5``/``5+``/``>=5``, ``about 5``/``~5``,
        ``3-5``/``3–5``/``between 3 and 5``, ``3–5 (best 4)``."""
        raw = (text or "").strip().lower()
        if raw in ("", "unknown", "?", "n/a"):
            return cls()
        ranged = _RANGE.fullmatch(raw)
        if ranged:
            low, high, best = ranged.groups()
            return cls.between(int(low), int(high), int(best) if best else None)
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
            f"{text!r} is not a count; write a number, 'at least 5', 'about 5', '3-5', "
            "'3-5 (best 4)' or 'unknown'"
        )


@dataclass(frozen=True, slots=True)
class HarmSplit:
    """Killed or injured split as the source splits them; a part not reported is unknown."""

    civilians: Count = field(default_factory=Count)
    military: Count = field(default_factory=Count)
    unknown: Count = field(default_factory=Count)

    PARTS = ("civilians", "military", "unknown")

    def parts(self) -> tuple[tuple[str, Count], ...]:
        return tuple((name, getattr(self, name)) for name in self.PARTS)

    @property
    def reported(self) -> bool:
        return any(count.known for _name, count in self.parts())


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
    killed_split: HarmSplit = field(default_factory=HarmSplit)
    injured_split: HarmSplit = field(default_factory=HarmSplit)
    #: "at least five injured, one seriously": a part of ``injured``, when reported.
    injured_seriously: Count = field(default_factory=Count)
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
