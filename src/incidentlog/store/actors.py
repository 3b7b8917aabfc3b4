"""The actors' vocabulary and an incident's actors in the tables (domain/actors.py).

An actor is one row of ``actor``; ``actor_alias`` holds its other names. A name is
found ignoring case, by the actor's name or any alias ("iri" finds "Islamic
Resistance in Iraq"); a name not known yet becomes a new actor (the vocabulary
grows with use). What is stored and audited is always the vocabulary's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import orjson
from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.enums import Attribution
from incidentlog.store.schema import actor_alias_table, actor_table, incident_actor_table

__all__ = [
    "ActorNames",
    "actor_vocabulary",
    "actors_by_incident",
    "actors_in_use",
    "add_alias",
    "incidents_with_actor",
    "name_of_alias",
    "replace_actors",
    "seed_actors",
    "write_actors",
]


@dataclass
class ActorNames:
    """The vocabulary as read once for a transaction: folded name or alias → (id, name).

    ``resolve`` gives the stored name of what was typed and adds unknown names."""

    connection: Connection
    _by_key: dict[str, tuple[int, str]] = field(default_factory=dict)
    _loaded: bool = False
    #: Whether ``resolve`` added an actor (the vocabulary grew: completers read it again).
    added: bool = False

    def _load(self) -> None:
        if self._loaded:
            return
        for actor_id, name in self.connection.execute(select(actor_table.c.id, actor_table.c.name)):
            self._by_key.setdefault(name.casefold(), (actor_id, name))
        aliases = select(actor_alias_table.c.alias, actor_table.c.id, actor_table.c.name).join(
            actor_table, actor_table.c.id == actor_alias_table.c.actor_id)
        for alias, actor_id, name in self.connection.execute(aliases):
            self._by_key.setdefault(alias.casefold(), (actor_id, name))
        self._loaded = True

    def find(self, typed: str | None) -> tuple[int, str] | None:
        """The id and name of the actor ``typed`` names, None if unknown or None."""
        if typed is None:
            return None
        self._load()
        return self._by_key.get(typed.casefold())

    def resolve(self, typed: str | None) -> tuple[int, str] | None:
        """Like ``find``, a new actor for a name not known yet."""
        if typed is None:
            return None
        found = self.find(typed)
        if found is None:
            inserted = self.connection.execute(
                insert(actor_table).values(name=typed)).inserted_primary_key
            assert inserted is not None
            found = (inserted[0], typed)
            self._by_key[typed.casefold()] = found
            self.added = True
        return found

    def canonical(self, actors: Iterable[IncidentActor]) -> tuple[IncidentActor, ...]:
        """The actors under the vocabulary's names (an alias typed becomes the name);
        names not known yet are kept as typed (``replace_actors`` adds them)."""
        result = []
        for actor in actors:
            name, by = self.find(actor.actor), self.find(actor.attributed_by)
            result.append(replace(actor, actor=name[1] if name else actor.actor,
                                  attributed_by=by[1] if by else actor.attributed_by))
        return tuple(result)


def replace_actors(connection: Connection, incident_id: int, actors: Sequence[IncidentActor],
                   names: ActorNames | None = None) -> None:
    """An incident's actors, replaced in the order given (as its tags are on a save)."""
    write_actors(connection, [], [(incident_id, tuple(actors))], names)


def write_actors(
    connection: Connection,
    new: Sequence[tuple[int, tuple[IncidentActor, ...]]],
    replaced: Sequence[tuple[int, tuple[IncidentActor, ...]]],
    names: ActorNames | None = None,
) -> None:
    """The actors of new incidents, and of incidents whose actors are ``replaced``, by
    row id: one DELETE and one ``executemany`` for a whole batch of an import."""
    names = names or ActorNames(connection)
    if replaced:
        connection.execute(delete(incident_actor_table).where(
            incident_actor_table.c.incident_id.in_([incident_id for incident_id, _ in replaced])))
    rows = []
    for incident_id, actors in (*new, *replaced):
        for position, actor in enumerate(actors):
            named, by = names.resolve(actor.actor), names.resolve(actor.attributed_by)
            rows.append({
                "incident_id": incident_id, "position": position, "role": actor.role.value,
                "actor_id": named[0] if named else None,
                "attribution": actor.attribution.value,
                "attributed_by_id": by[0] if by else None, "source_uid": actor.source_uid,
            })
    if rows:
        connection.execute(insert(incident_actor_table), rows)


def _actors_query() -> Select[Any]:
    link = incident_actor_table
    named, by = actor_table.alias("named"), actor_table.alias("by")
    return (
        select(link.c.incident_id, link.c.role, named.c.name, link.c.attribution, by.c.name,
               link.c.source_uid)
        .outerjoin(named, named.c.id == link.c.actor_id)
        .outerjoin(by, by.c.id == link.c.attributed_by_id)
        .order_by(link.c.incident_id, link.c.position)
    )


def actors_by_incident(
    connection: Connection, ids: Iterable[int]
) -> dict[int, tuple[IncidentActor, ...]]:
    """The actors of each incident of ``ids`` that has any, in the order entered."""
    wanted = list(ids)
    found: dict[int, list[IncidentActor]] = {}
    query = _actors_query()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = connection.execute(query.where(incident_actor_table.c.incident_id.in_(chunk)))
        for incident_id, role, name, attribution, by, source in rows:
            found.setdefault(incident_id, []).append(IncidentActor(
                ActorRole(role), name, Attribution(attribution), by, source))
    return {incident_id: tuple(actors) for incident_id, actors in found.items()}


def actor_vocabulary(connection: Connection) -> list[tuple[str, tuple[str, ...]]]:
    """Every actor's name and aliases, sorted the way a person scans a list."""
    aliases: dict[int, list[str]] = {}
    for actor_id, alias in connection.execute(
            select(actor_alias_table.c.actor_id, actor_alias_table.c.alias)
            .order_by(func.lower(actor_alias_table.c.alias))):
        aliases.setdefault(actor_id, []).append(alias)
    rows = connection.execute(
        select(actor_table.c.id, actor_table.c.name).order_by(func.lower(actor_table.c.name)))
    return [(name, tuple(aliases.get(actor_id, ()))) for actor_id, name in rows]


def add_alias(connection: Connection, name: str, alias: str) -> bool:
    """``alias`` becomes another name of the actor ``name`` (added if new); False when
    ``alias`` already names an actor (then nothing changes)."""
    names = ActorNames(connection)
    if names.find(alias) is not None:
        return False
    named = names.resolve(name)
    assert named is not None
    connection.execute(insert(actor_alias_table).values(alias=alias, actor_id=named[0]))
    return True


def incidents_with_actor(
    names: Sequence[str], role: ActorRole | None = None
) -> Select[tuple[int]]:
    """The ids of the incidents with one of the actors ``names`` (a name or an alias,
    ignoring case), in ``role`` if given: a sub-query for a filter."""
    folded = [name.casefold() for name in names]
    by_alias = select(actor_alias_table.c.actor_id).where(
        func.lower(actor_alias_table.c.alias).in_(folded))
    actor_ids = select(actor_table.c.id).where(
        or_(func.lower(actor_table.c.name).in_(folded), actor_table.c.id.in_(by_alias)))
    query = select(incident_actor_table.c.incident_id).where(
        incident_actor_table.c.actor_id.in_(actor_ids))
    if role is not None:
        query = query.where(incident_actor_table.c.role == role.value)
    return query


def actors_in_use(connection: Connection) -> list[str]:
    """The names of the actors of live incidents, in any role, sorted (a filter's choices)."""
    from incidentlog.store.schema import incident_table

    rows = connection.execute(
        select(actor_table.c.name).distinct()
        .join(incident_actor_table, incident_actor_table.c.actor_id == actor_table.c.id)
        .join(incident_table, incident_table.c.id == incident_actor_table.c.incident_id)
        .where(incident_table.c.deleted_at.is_(None)))
    return sorted((name for (name,) in rows), key=str.casefold)


def name_of_alias(connection: Connection, text: str) -> str | None:
    """The actor's name when ``text`` is one of its aliases (ignoring case), else None."""
    typed = " ".join(text.split())
    if not typed:
        return None
    found = ActorNames(connection).find(typed)
    return found[1] if found is not None and found[1].casefold() != typed.casefold() else None


def seed_actors(connection: Connection) -> None:
    """The actors a new log starts with, and their aliases (resources/actors.json)."""
    data = resources.files("incidentlog.resources").joinpath("actors.json").read_bytes()
    entries: list[Mapping[str, object]] = orjson.loads(data)
    for entry in entries:
        name = str(entry["name"])
        ActorNames(connection).resolve(name)
        for alias in entry.get("aliases") or ():  # type: ignore[attr-defined]
            add_alias(connection, name, str(alias))
