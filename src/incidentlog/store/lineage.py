"""Each record's lineage: fingerprints of its earlier versions, so that an import can
decide by history rather than by clocks (docs/formats.md, "Import and merge").

A version is known by the fingerprint of its content (``fingerprint``): the same
fields hash alike in every database, whatever their version numbers and stamps say.
Every edit made here pushes the fingerprint of the version it replaces
(``remember``); an import that adds or updates a record takes the file's lineage
(``replace``); an export writes it (``ancestors_of``). The list is bounded
(``MAX_ANCESTORS``): a version older than that is no longer recognised, and an
import then reports a conflict rather than guess.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace as replaced
from typing import Any, cast

import orjson
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import actors_beyond_legacy
from incidentlog.domain.records import Incident, Period, Quote, Source
from incidentlog.domain.saved_views import SavedView
from incidentlog.store import bulk
from incidentlog.store import records as store_records
from incidentlog.store.schema import HARM_COLUMNS, lineage_table

__all__ = [
    "MAX_ANCESTORS",
    "ancestors_of",
    "fingerprint",
    "fingerprint_content",
    "forget",
    "incident_actors",
    "incident_content",
    "quote_content",
    "remember",
    "replace",
]

#: The harm-detail columns (0009), left out of a fingerprint while empty.
HARM_DETAIL = frozenset(HARM_COLUMNS)

#: Fingerprints kept per record: a long run of edits between two exchanges is rare.
MAX_ANCESTORS = 32


def _plain(value: Any) -> Any:
    """One spelling per value: SQLite's 1 and the file's true, 33.0 and 33, hash alike."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def fingerprint(record: Incident | Source | Quote | Period | SavedView) -> str:
    """The fingerprint of a record's content: its stored fields (what ``store.records``
    writes), tags for an incident, the uids a quote refers to; no stamps, no row ids."""
    if isinstance(record, Incident):
        content = incident_content(store_records.incident_values(record), record.tags,
                                   incident_actors(record))
    elif isinstance(record, Source):
        content = store_records.source_values(record)
    elif isinstance(record, Quote):
        bare = replaced(record, incident_uid=None, source_uid=None)
        content = quote_content(
            store_records.quote_values(cast(Connection, None), bare),
            record.incident_uid,
            record.source_uid,
        )
    elif isinstance(record, SavedView):
        return fingerprint_content("saved_view", store_records.saved_view_values(record))
    else:
        content = store_records.period_values(record)
    return fingerprint_content(type(record).__name__.lower(), content)


def incident_actors(incident: Incident) -> list[dict[str, Any]]:
    """An incident's actors as its fingerprint and audit entries hold them: only what its
    perpetrator and attribution do not already say (domain/actors.py)."""
    return actors_beyond_legacy(incident.actors, incident.perpetrator, incident.attribution)


def incident_content(
    values: Mapping[str, Any], tags: Iterable[str], actors: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """What an incident's fingerprint hashes: its stored values but its ref, its tags, and
    its actors when they say more than its perpetrator (``incident_actors``; so an incident
    of the former layout keeps the fingerprint it had).

    Not the ref: a ref is a label of one log (an import gives the next free one when
    the file's is taken there), so the same incident may carry two; with it, every
    later edit of a renumbered incident would be a conflict.

    Nor a harm-detail column that is empty (``store_records.harm_values``): an incident
    without ranges or parts hashes as it did before they existed (0009), so lineages
    written then, here and in files, still recognise it.
    """
    content = {name: value for name, value in values.items()
               if name != "ref" and not (value is None and name in HARM_DETAIL)}
    if actors:
        content["actors"] = orjson.dumps(list(actors), option=orjson.OPT_SORT_KEYS).decode()
    return content | {"tags": sorted(tags)}


def quote_content(
    values: Mapping[str, Any], incident_uid: str | None, source_uid: str | None
) -> dict[str, Any]:
    """What a quote's fingerprint hashes: its references by uid (row ids differ by log)."""
    content = {k: v for k, v in values.items() if k not in ("incident_id", "source_id")}
    return content | {"incident": incident_uid, "source": source_uid}


def fingerprint_content(kind: str, content: Mapping[str, Any]) -> str:
    """``fingerprint`` of content already reduced to stored values (``store.records``):
    what an import compares, read from the row here."""
    canonical = [kind, sorted((name, _plain(value)) for name, value in content.items())]
    return hashlib.sha256(orjson.dumps(canonical)).hexdigest()[:32]


def ancestors_of(connection: Connection, uids: Iterable[str]) -> dict[str, list[str]]:
    """The lineage of each of these records that has one, by uid."""
    found: dict[str, list[str]] = {}
    wanted = list(dict.fromkeys(uids))
    for start in range(0, len(wanted), bulk.BATCH):
        chunk = wanted[start : start + bulk.BATCH]
        for uid, text in connection.execute(
            select(lineage_table.c.uid, lineage_table.c.ancestors).where(
                lineage_table.c.uid.in_(chunk)
            )
        ):
            found[uid] = list(orjson.loads(text))
    return found


def forget(connection: Connection, uids: Iterable[str]) -> None:
    """Drop the lineage of these records (deleted for good: a record imported again with
    one of their uids starts afresh)."""
    wanted = list(uids)
    for start in range(0, len(wanted), bulk.BATCH):
        chunk = wanted[start : start + bulk.BATCH]
        connection.execute(delete(lineage_table).where(lineage_table.c.uid.in_(chunk)))


def replace(connection: Connection, lineages: Mapping[str, Iterable[str]]) -> None:
    """Set the lineage of these records (an import: the file's)."""
    forget(connection, lineages)
    rows = [
        (uid, orjson.dumps(list(ancestors)[:MAX_ANCESTORS]).decode())
        for uid, ancestors in lineages.items()
        if ancestors
    ]
    bulk.insert_rows(connection, lineage_table, ("uid", "ancestors"), rows)


def remember(
    connection: Connection, current: Incident | Source | Quote | Period | SavedView
) -> None:
    """Before an edit replaces ``current``: its fingerprint becomes the newest ancestor."""
    remember_all(connection, [current])


def remember_all(
    connection: Connection, records: Sequence[Incident | Source | Quote | Period | SavedView]
) -> None:
    """``remember`` for many records at once (an edit of a batch of them)."""
    known = ancestors_of(connection, [record.meta.uid or "" for record in records])
    lineages: dict[str, list[str]] = {}
    for record in records:
        uid = record.meta.uid or ""
        older = known.get(uid, [])
        previous = fingerprint(record)
        if older[:1] != [previous]:
            lineages[uid] = [previous, *older]
    if lineages:
        replace(connection, lineages)
