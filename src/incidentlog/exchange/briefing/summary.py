"""What a briefing says about its incidents as a whole: counts, casualty totals, the filter.

Casualties are summed honestly (docs/formats.md): the low ends and the high ends are
summed apart ("12–15"), beside the best estimates ("best 13"). One "at least" figure,
or one unknown, leaves no high end: the total is a lower bound ("at least 12"); one
"about" figure without a range makes it approximate ("about 12").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidentlog.domain.countries import country_name
from incidentlog.domain.enums import CountQualifier
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Count, Incident
from incidentlog.domain.when import Moment

__all__ = [
    "Group",
    "Tally",
    "country_label",
    "describe_filter",
    "event_type_label",
    "group_by",
    "period_text",
    "status_label",
    "text_direction",
    "total",
]


@dataclass(slots=True)
class Tally:
    """The sum of some counts, with what the sum may claim: the best estimates, the low
    ends and the high ends summed apart (``Count.lower``/``upper``)."""

    total: int = 0
    low: int = 0
    high: int = 0
    known: int = 0
    unknown: int = 0
    at_least: bool = False
    about: bool = False
    ranged: bool = False

    def add(self, count: Count) -> None:
        if not count.known:
            self.unknown += 1
            return
        self.known += 1
        self.total += count.value or 0
        self.low += count.lower or 0
        upper = count.upper
        self.high += upper or 0
        self.at_least |= upper is None
        self.about |= count.qualifier is CountQualifier.ABOUT and not count.ranged
        self.ranged |= count.ranged

    @property
    def bounded(self) -> bool:
        """Every figure is known and has a high end: the total has one too."""
        return self.known > 0 and not self.at_least and not self.unknown

    def text(self) -> str:
        """``12``, ``about 12``, ``12–15 (best 13)``, ``at least 12``, ``at least about
        12``, ``at least 12 (best 14)``; ``unknown`` when no figure is known. An unknown
        figure beside known ones is named after the total."""
        if not self.known:
            return "unknown" if self.unknown else "0"
        approximate = "about " if self.about else ""
        if not self.bounded:
            text = f"at least {approximate}{self.low:,}"
        elif self.low != self.high:
            text = f"{self.low:,}–{self.high:,}"
        else:
            text = f"{approximate}{self.total:,}"
        if self.total != self.low and (self.ranged or not self.bounded):
            text += f" (best {self.total:,})"
        if self.unknown:
            noun = "incident" if self.unknown == 1 else "incidents"
            text += f" (unknown for {self.unknown:,} {noun})"
        return text


@dataclass(slots=True)
class Group:
    """Incidents sharing one value (an event type, a country, a status)."""

    label: str
    incidents: int = 0
    killed: Tally = field(default_factory=Tally)
    injured: Tally = field(default_factory=Tally)
    #: The seriously injured of the incidents that report them (most do not).
    seriously: Tally = field(default_factory=Tally)

    def add(self, incident: Incident) -> None:
        self.incidents += 1
        self.killed.add(incident.killed)
        self.injured.add(incident.injured)
        if incident.injured_seriously.known:
            self.seriously.add(incident.injured_seriously)

    def injured_text(self) -> str:
        """The injured, and the seriously injured where reported: "at least 7 (1 seriously
        where reported)"."""
        text = self.injured.text()
        if self.seriously.known:
            text += f" ({self.seriously.text()} seriously where reported)"
        return text


def group_by(incidents: Iterable[Incident], key: Callable[[Incident], str]) -> list[Group]:
    """Groups by ``key`` (its label), the largest first, then by label."""
    groups: dict[str, Group] = {}
    for incident in incidents:
        label = key(incident)
        groups.setdefault(label, Group(label)).add(incident)
    return sorted(groups.values(), key=lambda g: (-g.incidents, g.label.casefold()))


def total(incidents: Iterable[Incident]) -> Group:
    group = Group("All incidents")
    for incident in incidents:
        group.add(incident)
    return group


def event_type_label(incident: Incident) -> str:
    return incident.event_type or "(no event type)"


def country_label(incident: Incident) -> str:
    return country_name(incident.country) if incident.country else "(no country)"


def status_label(incident: Incident) -> str:
    return incident.status.label


def period_text(moments: Iterable[Moment | None]) -> str:
    """From the earliest to the latest moment, as a person reads them; '' if none."""
    dated = sorted((m for m in moments if m is not None), key=lambda m: m.utc)
    if not dated:
        return ""
    first, last = dated[0].display(), dated[-1].display()
    return first if first == last else f"{first} – {last}"


def _day(instant: datetime) -> str:
    return f"{instant.day} {instant:%b %Y}"


def describe_filter(flt: IncidentFilter | None) -> list[str]:
    """The filter, one condition a line, as a person would say it."""
    if flt is None or (flt.is_empty and not flt.deleted):
        return ["The whole log"]
    lines: list[str] = []
    if flt.uids is not None:
        count = len(flt.uids)
        lines.append(f"A selection of {count:,} incident{'' if count == 1 else 's'}")
    if flt.text:
        lines.append(f"Words: {flt.text}")
    if flt.since is not None:
        lines.append(f"From {_day(flt.since)} (UTC)")
    if flt.until is not None:
        # [since, until): the last day included is the one before ``until``'s midnight.
        last = flt.until - timedelta(seconds=1)
        lines.append(f"Up to {_day(last)} (UTC), inclusive")
    for title, values in (
        ("Countries", [country_name(code) for code in flt.countries]),
        ("Event types", list(flt.event_types)),
        ("Statuses", [status.label for status in flt.statuses]),
        ("Tags", list(flt.tags)),
        ("Perpetrators", list(flt.perpetrators)),
    ):
        if values:
            lines.append(f"{title}: {', '.join(values)}")
    if flt.deleted:
        lines.append("Incidents in the trash")
    return lines


_RTL = frozenset({"R", "AL"})
_LTR = frozenset({"L"})


def text_direction(text: str | None) -> str:
    """``rtl`` when the first letter with a direction is right-to-left (Arabic, Hebrew),
    else ``ltr`` (the Unicode bidi algorithm's rule P2-P3 for a paragraph)."""
    for character in text or "":
        kind = unicodedata.bidirectional(character)
        if kind in _RTL:
            return "rtl"
        if kind in _LTR:
            return "ltr"
    return "ltr"
