"""Related incidents: typed, directed links between two incidents (docs/architecture.md).

A link reads from the incident that states it: "A is a retaliation for B". The other
end reads it with the inverse wording ("B is answered by A"), so that both forms show
the same link and nobody has to enter it twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from incidentlog.domain.enums import _Labelled


class LinkKind(_Labelled):
    RETALIATION_FOR = "retaliation_for"
    PART_OF = "part_of"
    FOLLOW_UP_OF = "follow_up_of"
    SAME_AS = "same_as"

    @property
    def label(self) -> str:
        return _WORDS[self][0]

    @property
    def inverse_label(self) -> str:
        """How the target of the link reads it."""
        return _WORDS[self][1]

    def wording(self, outgoing: bool) -> str:
        return self.label if outgoing else self.inverse_label


_WORDS: dict[LinkKind, tuple[str, str]] = {
    LinkKind.RETALIATION_FOR: ("retaliation for", "answered by"),
    LinkKind.PART_OF: ("part of", "includes"),
    LinkKind.FOLLOW_UP_OF: ("follow-up of", "followed up by"),
    LinkKind.SAME_AS: ("same as", "same as"),
}

#: The longest note a link keeps (a sentence or two: why the two belong together).
NOTE_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class IncidentLink:
    """``from_uid`` is ``kind`` ``to_uid`` ("retaliation for"), with an optional note."""

    from_uid: str
    to_uid: str
    kind: LinkKind
    note: str | None = None
    created_at: str | None = None
    created_by: str | None = None

    @property
    def key(self) -> tuple[str, str, LinkKind]:
        return (self.from_uid, self.to_uid, self.kind)


@dataclass(frozen=True, slots=True)
class RelatedIncident:
    """One link as seen from one of its two incidents: the other end, and the words."""

    link: IncidentLink
    outgoing: bool  # True when the incident looked at states the link
    other_uid: str
    other_ref: str
    other_title: str

    @property
    def wording(self) -> str:
        return self.link.kind.wording(self.outgoing)

    def describe(self) -> str:
        """``retaliation for IQ-2024-0001 — Drone attack on Tower 22``."""
        return f"{self.wording} {self.other_ref} — {self.other_title}"


def link_problem(link: IncidentLink) -> str | None:
    """Why a link cannot be stored; None when it can."""
    if link.from_uid == link.to_uid:
        return "an incident cannot be linked to itself"
    if link.note is not None and len(link.note) > NOTE_LIMIT:
        return f"the note is longer than {NOTE_LIMIT} characters"
    return None
