"""The export's optional ``actors`` and ``merged`` (docs/formats.md): what travels besides
the records.

``actors`` is the log's vocabulary where it differs from the one every log starts
with: each actor with aliases of its own, so that an alias made in one log ("RF")
finds the actor in the log the file is imported into.
The import adds what is missing and never changes what is here: a name or alias
that names another actor here is reported and left as it is.

``merged`` lists the incidents merged into an incident of the file (tombstones:
uid and the uid of the survivor). Importing the file into a log that holds the
merged-away incident as a live one merges it there too, into the survivor as the
file brings it (services/merge.py: audited, its sources, quotes and actors move);
when that cannot be done (no survivor here, the incident in the trash) it is
reported and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import orjson
from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from incidentlog.domain.errors import IncidentLogError
from incidentlog.services import Services
from incidentlog.store import actor_edits as vocab
from incidentlog.store import merge as store_merge
from incidentlog.store.schema import actor_alias_table, actor_table, incident_table

__all__ = ["actors_json", "import_actors", "merge_tombstones", "tombstones_json"]

#: ``(action, kind, uid, label, changes)`` of an audit entry the import writes.
AuditFn = Callable[[str, str, str, str | None, Any], None]


def actors_json(connection: Connection) -> list[dict[str, Any]]:
    """The actors with aliases a new log does not give them (resources/actors.json), each
    with all its aliases, sorted by name (ignoring case). An actor without aliases travels
    with the incidents naming it; a log with the vocabulary it started with writes none,
    so its export is the same as before the format had ``actors``."""
    seed = _seed()
    aliases: dict[int, list[str]] = {}
    # Read unsorted and sorted here: an export never asks the database to sort.
    for actor_id, alias in connection.execute(
            select(actor_alias_table.c.actor_id, actor_alias_table.c.alias)):
        aliases.setdefault(actor_id, []).append(alias)
    entries = []
    for actor_id, name in connection.execute(select(actor_table.c.id, actor_table.c.name)):
        own = sorted(aliases.get(actor_id, ()), key=lambda text: (text.casefold(), text))
        if own and frozenset(own) != seed.get(name):
            entries.append({"name": name, "aliases": own})
    return sorted(entries, key=lambda entry: (entry["name"].casefold(), entry["name"]))


@lru_cache(maxsize=1)
def _seed() -> dict[str, frozenset[str]]:
    data = resources.files("incidentlog.resources").joinpath("actors.json").read_bytes()
    return {str(entry["name"]): frozenset(entry.get("aliases") or ())
            for entry in orjson.loads(data)}


def tombstones_json(connection: Connection, where: Sequence[ColumnElement[bool]]
                    ) -> list[dict[str, str]]:
    """The incidents merged into one the export holds (``where``: the export's filter),
    each with the live incident it is now (a chain of merges followed), sorted by uid."""
    t = incident_table
    # A tombstone is in the trash: its partial index finds them without reading the log.
    merged = sorted(connection.execute(select(t.c.uid).where(
        t.c.deleted_at.is_not(None), t.c.merged_into.is_not(None))).scalars())
    if not merged:
        return []
    survivors = store_merge.survivors(connection, merged)
    wanted = sorted(set(survivors.values()))
    exported: set[str] = set()
    for start in range(0, len(wanted), 500):
        exported.update(connection.execute(select(t.c.uid).where(
            t.c.uid.in_(wanted[start:start + 500]), *where)).scalars())
    return [{"uid": uid, "merged_into": survivors[uid]} for uid in merged
            if survivors.get(uid) in exported]


def import_actors(connection: Connection, entries: Sequence[Mapping[str, Any]],
                  audit: AuditFn, warnings: list[str]) -> int:
    """Add the file's actors and aliases this log lacks; returns how many names were added.
    A name or alias that names another actor here is reported in ``warnings``."""
    added = 0
    for entry in entries:
        name = " ".join(str(entry["name"]).split()) or str(entry["name"])
        found = vocab.name_owner(connection, name)
        if found is None:
            actor_id = vocab.insert_actor(connection, name)
            found = (actor_id, name)
            audit("import", "actor", f"actor-{actor_id}", name, {"name": [None, name]})
            added += 1
        elif found[1].casefold() != name.casefold():
            warnings.append(f"actor {name}: an alias of {found[1]} here; its aliases in the "
                            "file are added to it")
        for alias in entry.get("aliases") or ():
            owner = vocab.name_owner(connection, alias)
            if owner is None:
                vocab.put_alias(connection, found[0], alias)
                audit("import", "actor", f"actor-{found[0]}", found[1], {"alias": [None, alias]})
                added += 1
            elif owner[0] != found[0]:
                warnings.append(f"actor {found[1]}: the alias {alias} names {owner[1]} here; "
                                "left as it is")
    return added


def merge_tombstones(services: Services, entries: Sequence[Mapping[str, str]], *,
                     dry_run: bool) -> list[str]:
    """Merge each incident the file says was merged, when it is live here and its survivor
    is here; one sentence per incident concerned (merged, or why not)."""
    told: list[str] = []
    with services.database.read() as connection:
        uids = [entry["uid"] for entry in entries]
        rows = _rows(connection, uids + [entry["merged_into"] for entry in entries])
        already = store_merge.survivors(connection, uids)
        survivors = store_merge.survivors(connection, [e["merged_into"] for e in entries])
    for entry in entries:
        uid = entry["uid"]
        row = rows.get(uid)
        if row is None or uid in already:
            continue  # not here, or merged here already: its uid resolves
        label = row["ref"] or uid
        into = survivors.get(entry["merged_into"], entry["merged_into"])
        survivor = rows.get(into) or _rows_one(services, into)
        if row["deleted_at"] is not None:
            told.append(f"{label}: merged in the file, in the trash here: left as it is")
        elif dry_run and survivor is None:  # the file brings it: rolled back in a dry run
            told.append(f"{label}: would be merged into {into}, as in the file")
        elif survivor is None or survivor["deleted_at"] is not None:
            told.append(f"{label}: merged in the file into {entry['merged_into']}, which is "
                        "not here: left as it is")
        elif dry_run:
            told.append(f"{label}: would be merged into {survivor['ref']}, as in the file")
        else:
            try:
                services.merge.merge(into, uid)
            except IncidentLogError as exc:
                told.append(f"{label}: merged in the file, not here: {exc}")
                continue
            told.append(f"{label}: merged into {survivor['ref']}, as in the file")
    return told


def _rows(connection: Connection, uids: Sequence[str]) -> dict[str, Any]:
    t = incident_table
    found: dict[str, Any] = {}
    wanted = sorted(set(uids))
    for start in range(0, len(wanted), 500):
        for row in connection.execute(select(t.c.uid, t.c.ref, t.c.deleted_at).where(
                t.c.uid.in_(wanted[start:start + 500]))):
            found[row.uid] = row._mapping
    return found


def _rows_one(services: Services, uid: str) -> Any:
    with services.database.read() as connection:
        return _rows(connection, [uid]).get(uid)
