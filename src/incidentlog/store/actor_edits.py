"""Editing the actors' vocabulary itself: its rows, their aliases, how many use each.

What the incidents that name an actor must then say (their actors, their derived
perpetrator, their audit entries) is the service's job (services/actors.py); this
module only reads and writes the ``actor`` and ``actor_alias`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from incidentlog.store.schema import (
    actor_alias_table,
    actor_table,
    incident_actor_table,
)

__all__ = [
    "ActorEntry",
    "actor_entries",
    "actor_row",
    "aliases_of",
    "delete_actor",
    "drop_alias",
    "incident_ids_naming",
    "insert_actor",
    "move_aliases",
    "name_owner",
    "put_alias",
    "set_actor_name",
]


@dataclass(frozen=True, slots=True)
class ActorEntry:
    """One actor as the vocabulary dialog lists it."""

    id: int
    name: str
    aliases: tuple[str, ...]
    #: Incidents naming it in a role (those in the trash included).
    incidents: int
    #: Roles of incidents it attributes ("attributed by" it).
    attributions: int = 0


def actor_entries(connection: Connection) -> list[ActorEntry]:
    """Every actor with its aliases and how many incidents name it.

    Counted on the indexes of ``incident_actor`` alone (a fifth of a second at a million
    incidents): telling live incidents from trashed ones would read every row of the log
    (seconds)."""
    aliases: dict[int, list[str]] = {}
    for actor_id, alias in connection.execute(
            select(actor_alias_table.c.actor_id, actor_alias_table.c.alias)
            .order_by(func.lower(actor_alias_table.c.alias))):
        aliases.setdefault(actor_id, []).append(alias)
    link = incident_actor_table
    named: dict[int, int] = {}
    for actor_id, count in connection.execute(
            select(link.c.actor_id, func.count(link.c.incident_id.distinct()))
            .where(link.c.actor_id.is_not(None)).group_by(link.c.actor_id)):
        named[actor_id] = count
    attributing: dict[int, int] = {}
    for actor_id, count in connection.execute(
            select(link.c.attributed_by_id, func.count())
            .where(link.c.attributed_by_id.is_not(None)).group_by(link.c.attributed_by_id)):
        attributing[actor_id] = count
    rows = connection.execute(
        select(actor_table.c.id, actor_table.c.name).order_by(func.lower(actor_table.c.name)))
    return [ActorEntry(actor_id, name, tuple(aliases.get(actor_id, ())),
                       int(named.get(actor_id, 0)), int(attributing.get(actor_id, 0)))
            for actor_id, name in rows]


def actor_row(connection: Connection, name: str) -> tuple[int, str] | None:
    """The id and stored name of the actor called ``name`` (ignoring case), aliases not
    considered: the dialog and the command line name the actor itself."""
    row = connection.execute(select(actor_table.c.id, actor_table.c.name).where(
        func.lower(actor_table.c.name) == name.casefold())).first()
    return (row[0], row[1]) if row is not None else None


def name_owner(connection: Connection, text: str) -> tuple[int, str] | None:
    """The actor that ``text`` already names, as its name or an alias (ignoring case)."""
    folded = text.casefold()
    by_alias = select(actor_alias_table.c.actor_id).where(
        func.lower(actor_alias_table.c.alias) == folded)
    row = connection.execute(select(actor_table.c.id, actor_table.c.name).where(
        or_(func.lower(actor_table.c.name) == folded, actor_table.c.id.in_(by_alias)))).first()
    return (row[0], row[1]) if row is not None else None


def aliases_of(connection: Connection, actor_id: int) -> tuple[str, ...]:
    return tuple(connection.execute(
        select(actor_alias_table.c.alias).where(actor_alias_table.c.actor_id == actor_id)
        .order_by(func.lower(actor_alias_table.c.alias))).scalars())


def incident_ids_naming(connection: Connection, actor_ids: Sequence[int]) -> list[int]:
    """The row ids of every incident (trashed and merged-away ones too) naming one of
    ``actor_ids`` as an actor or as who attributes a role."""
    link = incident_actor_table
    wanted = list(actor_ids)
    return sorted(set(connection.execute(select(link.c.incident_id).where(
        or_(link.c.actor_id.in_(wanted), link.c.attributed_by_id.in_(wanted)))).scalars()))


def insert_actor(connection: Connection, name: str) -> int:
    inserted = connection.execute(insert(actor_table).values(name=name)).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def set_actor_name(connection: Connection, actor_id: int, name: str) -> None:
    connection.execute(update(actor_table).where(actor_table.c.id == actor_id).values(name=name))


def put_alias(connection: Connection, actor_id: int, alias: str) -> None:
    connection.execute(insert(actor_alias_table).values(alias=alias, actor_id=actor_id))


def drop_alias(connection: Connection, alias: str) -> None:
    connection.execute(delete(actor_alias_table).where(
        func.lower(actor_alias_table.c.alias) == alias.casefold()))


def move_aliases(connection: Connection, from_id: int, to_id: int) -> None:
    connection.execute(update(actor_alias_table).where(actor_alias_table.c.actor_id == from_id)
                       .values(actor_id=to_id))


def delete_actor(connection: Connection, actor_id: int) -> None:
    """The actor's row (its aliases go with it); no incident may name it any more."""
    connection.execute(delete(actor_alias_table).where(actor_alias_table.c.actor_id == actor_id))
    connection.execute(delete(actor_table).where(actor_table.c.id == actor_id))
