"""Who took part in an incident, in which role, and who says so (docs/architecture.md, "Actors").

An incident has any number of actors. Each names an actor of the log's growing
vocabulary (``actor`` table, with aliases: "IRI" finds "Islamic Resistance in
Iraq"), a role, how that role is known (claimed, attributed, suspected), and for
an attribution who attributes it and with which source.

The incident's ``perpetrator`` and ``attribution`` columns are kept, derived from
the actors (``derived_perpetrator``): the table sorts and the timeline groups on
an indexed column, and readers of older files and tools still find them. A record
that has a perpetrator but no actors (a file or a form of the former layout) gets
the actors that say the same (``legacy_actors``), so that both ways in agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from incidentlog.domain.enums import Attribution, _Labelled


class ActorRole(_Labelled):
    PERPETRATOR = "perpetrator"
    CLAIMANT = "claimant"
    TARGET = "target"
    VICTIM = "victim"
    ATTRIBUTED_BY = "attributed_by"
    INTERVENING = "intervening"


#: Timeline lanes by actor: the lane "column" and the role it keeps (None: any role). An
#: incident is in the lane of each of its actors (store/timeline_actors.py reads them).
ACTOR_LANES: dict[str, str | None] = {
    "actors": None,
    **{f"actors:{role.value}": role.value for role in ActorRole},
}

#: The roles that say who did it: the first of these is the incident's perpetrator.
RESPONSIBLE_ROLES = (ActorRole.PERPETRATOR, ActorRole.CLAIMANT)

#: Shown for an actor whose name the sources do not give ("an unknown group claimed it").
UNNAMED = "unnamed"

#: The longest actor name or alias stored.
MAX_ACTOR_NAME = 500  # as long as the former perpetrator column allowed


@dataclass(frozen=True, slots=True)
class IncidentActor:
    """One actor of an incident. ``actor`` is the vocabulary's name (None: unnamed);
    ``attribution`` how the role is known; ``attributed_by`` who says so (an actor
    name) and ``source_uid`` the source that reports it."""

    role: ActorRole = ActorRole.PERPETRATOR
    actor: str | None = None
    attribution: Attribution = Attribution.UNKNOWN
    attributed_by: str | None = None
    source_uid: str | None = None

    def display(self) -> str:
        """``claimant: Islamic Resistance in Iraq``; ``perpetrator: X (attributed by Y)``."""
        text = f"{self.role.label}: {self.actor or UNNAMED}"
        details = []
        if self.attribution is not Attribution.UNKNOWN and self.role is not ActorRole.CLAIMANT:
            details.append(self.attribution.label)
        if self.attributed_by:
            details.append(f"by {self.attributed_by}")
        return f"{text} ({' '.join(details)})" if details else text

    def to_json(self) -> dict[str, Any]:
        """The export's and the audit log's form: empty properties left out."""
        document: dict[str, Any] = {"role": self.role.value, "actor": self.actor}
        if self.attribution is not Attribution.UNKNOWN:
            document["attribution"] = self.attribution.value
        if self.attributed_by:
            document["attributed_by"] = self.attributed_by
        if self.source_uid:
            document["source"] = self.source_uid
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> IncidentActor:
        """The inverse of ``to_json``; raises ``ValueError`` for an unknown role."""
        return cls(
            role=ActorRole.parse(str(document.get("role") or "")),  # type: ignore[arg-type]
            actor=document.get("actor"),
            attribution=Attribution.parse(str(document.get("attribution") or "unknown")),  # type: ignore[arg-type]
            attributed_by=document.get("attributed_by"),
            source_uid=document.get("source"),
        )


def legacy_actors(perpetrator: str | None, attribution: Attribution) -> tuple[IncidentActor, ...]:
    """The actors that say what the former ``perpetrator``/``attribution`` pair said.

    A claim makes the actor a claimant; attributed, suspected or unknown a perpetrator
    known that way (who attributed it was never recorded). Nothing is lost: an
    attribution without a name becomes an unnamed actor.
    """
    if perpetrator is None and attribution is Attribution.UNKNOWN:
        return ()
    role = ActorRole.CLAIMANT if attribution is Attribution.CLAIMED else ActorRole.PERPETRATOR
    return (IncidentActor(role, perpetrator, attribution),)


def derived_perpetrator(actors: Iterable[IncidentActor]) -> tuple[str | None, Attribution]:
    """The ``perpetrator`` and ``attribution`` columns: the first perpetrator or claimant."""
    for actor in actors:
        if actor.role in RESPONSIBLE_ROLES:
            if actor.role is ActorRole.CLAIMANT:
                return actor.actor, Attribution.CLAIMED
            return actor.actor, actor.attribution
    return None, Attribution.UNKNOWN


def actors_beyond_legacy(
    actors: Sequence[IncidentActor], perpetrator: str | None, attribution: Attribution | str
) -> list[dict[str, Any]]:
    """The actors as the audit log and the fingerprint hold them: empty when they say no
    more than the ``perpetrator``/``attribution`` columns already do. So a record migrated
    from the former layout, or entered through it, keeps its fingerprint and its history."""
    if tuple(actors) == legacy_actors(perpetrator, Attribution(attribution)):
        return []
    return [actor.to_json() for actor in actors]


def actors_change(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """An audit entry's ``actors`` change (``actors_beyond_legacy`` each), or nothing."""
    return {} if old == new else {"actors": [old or None, new]}


def clean_actors(actors: Iterable[IncidentActor]) -> tuple[IncidentActor, ...]:
    """Names trimmed (empty: None), a claimant's role known as claimed, repeats dropped.
    (``validation.clean_incident`` cleans the texts as every text is, before.)"""
    seen: list[IncidentActor] = []
    for actor in actors:
        name = _clean_name(actor.actor)
        by = _clean_name(actor.attributed_by)
        source = _clean_name(actor.source_uid)
        attribution = Attribution.CLAIMED if actor.role is ActorRole.CLAIMANT else actor.attribution
        cleaned = replace(actor, actor=name, attributed_by=by, source_uid=source,
                          attribution=attribution)
        if cleaned not in seen:
            seen.append(cleaned)
    return tuple(seen)


def _clean_name(name: str | None) -> str | None:
    """Trimmed, empty is None; inner spaces kept, as the former perpetrator column kept them
    (a migrated name reads back exactly)."""
    return name.strip() or None if name else None


def actor_errors(actors: Sequence[IncidentActor]) -> str | None:
    """The first problem of cleaned actors, as a message for the form's Actors section."""
    for number, actor in enumerate(actors, start=1):
        for text in (actor.actor, actor.attributed_by):
            if text is not None and len(text) > MAX_ACTOR_NAME:
                return f"actor {number}: a name is longer than {MAX_ACTOR_NAME} characters"
        if actor.source_uid is not None and len(actor.source_uid) > 36:
            return f"actor {number}: the source is not a source's uid"
    return None


def actors_shown(
    actors: Sequence[IncidentActor], perpetrator: str | None, attribution: Attribution
) -> str | None:
    """The actors for a report, or None when the perpetrator line says all they say."""
    return actors_text(actors) if actors_beyond_legacy(actors, perpetrator, attribution) else None


def actors_text(actors: Iterable[IncidentActor]) -> str:
    """One line for a cell, a report or a CSV column: ``claimant: X; perpetrator: Y (…)``."""
    return "; ".join(actor.display() for actor in actors)
