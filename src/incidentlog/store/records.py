"""Rows ↔ domain records, and the single-record reads and writes the services use.

Every function takes an open ``Connection`` inside the caller's transaction;
none commits. The bulk paths of export and import live in ``exchange/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from incidentlog.domain.enums import (
    Reliability,
    SourceKind,
)
from incidentlog.domain.records import (
    Incident,
    Period,
    Quote,
    Source,
    SourceLink,
)
from incidentlog.domain.saved_views import (
    SavedView,
    filter_to_json,
    sort_to_json,
    view_from_json,
)
from incidentlog.domain.urls import InvalidUrl, normalize_url
from incidentlog.domain.when import to_utc_text
from incidentlog.store.actors import actors_by_incident
from incidentlog.store.row_mapping import (
    incident_from_row,
    record_meta,
    stored_moment,
)
from incidentlog.store.schema import (
    incident_source_table,
    incident_table,
    incident_tag_table,
    period_table,
    quote_table,
    saved_view_table,
    source_table,
    vocabulary_table,
)

# --- incidents -------------------------------------------------------------


def incident_values(incident: Incident) -> dict[str, Any]:
    """The columns of an incident row, except identity and bookkeeping."""
    assert incident.occurred is not None, "validate before storing"
    start, end = incident.occurred.interval()
    return {
        "ref": incident.ref,
        "title": incident.title,
        "summary": incident.summary,
        "occurred_at": to_utc_text(start),
        "occurred_end": to_utc_text(end),
        "time_precision": incident.occurred.precision.value,
        "tz": incident.occurred.tz,
        "approximate": incident.occurred.approximate,
        "place": incident.place,
        "admin1": incident.admin1,
        "country": incident.country,
        "latitude": incident.latitude,
        "longitude": incident.longitude,
        "geo_precision": incident.geo_precision.value if incident.geo_precision else None,
        "event_type": incident.event_type,
        "weapons": incident.weapons,
        "launched": incident.launched,
        "intercepted": incident.intercepted,
        "perpetrator": incident.perpetrator,
        "attribution": incident.attribution.value,
        "target": incident.target,
        "killed": incident.killed.value if incident.killed.known else None,
        "killed_qualifier": incident.killed.qualifier.value,
        "injured": incident.injured.value if incident.injured.known else None,
        "injured_qualifier": incident.injured.qualifier.value,
        **harm_values(incident),
        "status": incident.status.value,
        "confidence": incident.confidence,
    }


def harm_values(incident: Incident) -> dict[str, Any]:
    """The harm-detail columns (store/schema.py ``_harm_columns``): ranges and parts."""
    values: dict[str, Any] = {}
    for total, count, split in (("killed", incident.killed, incident.killed_split),
                                ("injured", incident.injured, incident.injured_split)):
        values[f"{total}_low"] = count.low if count.known else None
        values[f"{total}_high"] = count.high if count.known else None
        parts = split.parts() + ((("seriously", incident.injured_seriously),)
                                 if total == "injured" else ())
        for part, part_count in parts:
            known = part_count.known
            values[f"{total}_{part}"] = part_count.value if known else None
            values[f"{total}_{part}_qualifier"] = part_count.qualifier.value if known else None
    return values


def tags_of(connection: Connection, incident_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(incident_ids)
    found: dict[int, list[str]] = {incident_id: [] for incident_id in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = connection.execute(
            select(incident_tag_table.c.incident_id, incident_tag_table.c.tag)
            .where(incident_tag_table.c.incident_id.in_(chunk))
            .order_by(incident_tag_table.c.incident_id, incident_tag_table.c.tag)
        )
        for incident_id, tag in rows:
            found[incident_id].append(tag)
    return found


def get_incident_row(connection: Connection, uid: str) -> RowMapping | None:
    row = connection.execute(select(incident_table).where(incident_table.c.uid == uid)).first()
    return row._mapping if row else None


def load_incident(connection: Connection, uid: str) -> Incident | None:
    row = get_incident_row(connection, uid)
    if row is None:
        return None
    actors = actors_by_incident(connection, [row["id"]]).get(row["id"], ())
    return incident_from_row(row, tags_of(connection, [row["id"]])[row["id"]], actors)


def load_incidents(connection: Connection, ids: Sequence[int]) -> dict[int, Incident]:
    """Incidents by row id (for a page of the table)."""
    found: dict[int, Incident] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = [
            r._mapping
            for r in connection.execute(
                select(incident_table).where(incident_table.c.id.in_(chunk))
            )
        ]
        tags = tags_of(connection, [row["id"] for row in rows])
        actors = actors_by_incident(connection, [row["id"] for row in rows])
        for row in rows:
            found[row["id"]] = incident_from_row(row, tags[row["id"]], actors.get(row["id"], ()))
    return found


def load_incidents_by_uid(connection: Connection, uids: Sequence[str]) -> dict[str, Incident]:
    """Incidents by uid, trashed ones included; a uid not stored is absent (a selection)."""
    found: dict[str, Incident] = {}
    for start in range(0, len(uids), 500):
        chunk = list(uids[start : start + 500])
        rows = [
            r._mapping
            for r in connection.execute(
                select(incident_table).where(incident_table.c.uid.in_(chunk))
            )
        ]
        tags = tags_of(connection, [row["id"] for row in rows])
        actors = actors_by_incident(connection, [row["id"] for row in rows])
        for row in rows:
            found[row["uid"]] = incident_from_row(row, tags[row["id"]], actors.get(row["id"], ()))
    return found


def replace_tags(connection: Connection, incident_id: int, tags: Sequence[str]) -> None:
    connection.execute(
        delete(incident_tag_table).where(incident_tag_table.c.incident_id == incident_id)
    )
    if tags:
        connection.execute(
            insert(incident_tag_table), [{"incident_id": incident_id, "tag": tag} for tag in tags]
        )


def next_ref(
    connection: Connection, country: str | None, year: int, after: str | None = None
) -> str:
    """The next free reference ``CC-YYYY-NNNN`` (``XX`` when the country is unknown).

    ``after``: the last ref this transaction gave for that country and year (an import
    numbering many incidents), so that the numbers need not be looked up again.
    """
    prefix = f"{country or 'XX'}-{year}-"
    if after is not None and after.startswith(prefix) and after[len(prefix):].isdigit():
        return _free_from(connection, prefix, int(after[len(prefix):]) + 1)
    # The longest, then the highest: past 9999 the numbers grow a digit (IQ-2024-10000), and
    # looking for the first free one from 9999 up would cost a query per ref already given.
    length = func.length(incident_table.c.ref)
    last = connection.execute(
        select(incident_table.c.ref)
        .where(incident_table.c.ref.like(f"{prefix}%"), length >= len(prefix) + 4)
        .order_by(length.desc(), incident_table.c.ref.desc())
        .limit(1)
    ).scalar_one_or_none()
    digits = last[len(prefix):] if last else ""
    if last and not digits.isdigit():  # a ref typed by hand (IQ-2024-0005b): the 4-digit ones
        last = connection.execute(
            select(func.max(incident_table.c.ref)).where(
                incident_table.c.ref.like(f"{prefix}%"), length == len(prefix) + 4
            )
        ).scalar_one_or_none()
        digits = last[len(prefix):] if last else ""
    return _free_from(connection, prefix, int(digits) + 1 if digits.isdigit() else 1)


def _free_from(connection: Connection, prefix: str, number: int) -> str:
    ref = f"{prefix}{number:04d}"
    while ref_exists(connection, ref):  # refs typed by hand
        number += 1
        ref = f"{prefix}{number:04d}"
    return ref


def ref_exists(connection: Connection, ref: str, except_uid: str | None = None) -> bool:
    condition = incident_table.c.ref == ref
    if except_uid:
        condition = and_(condition, incident_table.c.uid != except_uid)
    return connection.execute(select(incident_table.c.id).where(condition)).first() is not None


def links_of(connection: Connection, incident_id: int) -> list[SourceLink]:
    rows = connection.execute(
        select(source_table.c.uid, incident_source_table.c.note)
        .join(source_table, source_table.c.id == incident_source_table.c.source_id)
        .where(incident_source_table.c.incident_id == incident_id)
        .order_by(source_table.c.uid)
    )
    return [SourceLink(uid, note) for uid, note in rows]


# --- sources ---------------------------------------------------------------


def normalized_or_none(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return normalize_url(url)
    except InvalidUrl:
        return None


def source_values(source: Source) -> dict[str, Any]:
    published = source.published
    return {
        "kind": source.kind.value,
        "title": source.title,
        "url": source.url,
        "url_normalized": normalized_or_none(source.url),
        "outlet": source.outlet,
        "author": source.author,
        "handle": source.handle,
        "published_at": to_utc_text(published.interval()[0]) if published else None,
        "published_precision": published.precision.value if published else None,
        "published_tz": published.tz if published else None,
        "accessed_at": source.accessed_at,
        "archive_url": source.archive_url,
        "excerpt": source.excerpt,
        "language": source.language,
        "reliability": source.reliability.value if source.reliability else None,
        "sha256": source.sha256,
        "notes": source.notes,
    }


def source_from_row(row: RowMapping) -> Source:
    return Source(
        kind=SourceKind(row["kind"]),
        title=row["title"],
        url=row["url"],
        outlet=row["outlet"],
        author=row["author"],
        handle=row["handle"],
        published=stored_moment(row["published_at"], row["published_precision"],
                                row["published_tz"]),
        accessed_at=row["accessed_at"],
        archive_url=row["archive_url"],
        excerpt=row["excerpt"],
        language=row["language"],
        reliability=Reliability(row["reliability"]) if row["reliability"] else None,
        sha256=row["sha256"],
        notes=row["notes"],
        meta=record_meta(row),
    )


def get_source_row(connection: Connection, uid: str) -> RowMapping | None:
    row = connection.execute(select(source_table).where(source_table.c.uid == uid)).first()
    return row._mapping if row else None


def find_sources_by_url(connection: Connection, normalized: str) -> list[Source]:
    rows = connection.execute(
        select(source_table)
        .where(source_table.c.url_normalized == normalized, source_table.c.deleted_at.is_(None))
        .order_by(source_table.c.id)
    )
    return [source_from_row(row._mapping) for row in rows]


# --- quotes ----------------------------------------------------------------


def _id_of(connection: Connection, table: Any, uid: str | None) -> int | None:
    if uid is None:
        return None
    return connection.execute(select(table.c.id).where(table.c.uid == uid)).scalar_one_or_none()


def quote_values(connection: Connection, quote: Quote) -> dict[str, Any]:
    said = quote.said
    return {
        "text": quote.text,
        "speaker": quote.speaker,
        "speaker_role": quote.speaker_role,
        "speaker_org": quote.speaker_org,
        "said_at": to_utc_text(said.interval()[0]) if said else None,
        "said_precision": said.precision.value if said else None,
        "said_tz": said.tz if said else None,
        "language": quote.language,
        "context": quote.context,
        "incident_id": _id_of(connection, incident_table, quote.incident_uid),
        "source_id": _id_of(connection, source_table, quote.source_uid),
    }


QUOTE_SELECT = select(
    quote_table,
    incident_table.c.uid.label("incident_uid"),
    source_table.c.uid.label("source_uid"),
).select_from(
    quote_table.outerjoin(
        incident_table, incident_table.c.id == quote_table.c.incident_id
    ).outerjoin(source_table, source_table.c.id == quote_table.c.source_id)
)


def quote_from_row(row: RowMapping) -> Quote:
    return Quote(
        text=row["text"],
        speaker=row["speaker"],
        speaker_role=row["speaker_role"],
        speaker_org=row["speaker_org"],
        said=stored_moment(row["said_at"], row["said_precision"], row["said_tz"]),
        language=row["language"],
        context=row["context"],
        incident_uid=row["incident_uid"],
        source_uid=row["source_uid"],
        meta=record_meta(row),
    )


def get_quote_row(connection: Connection, uid: str) -> RowMapping | None:
    row = connection.execute(QUOTE_SELECT.where(quote_table.c.uid == uid)).first()
    return row._mapping if row else None


# --- shared ------------------------------------------------------------------


def versioned_update(
    connection: Connection,
    table: Any,
    uid: str,
    expected_version: int | None,
    values: Mapping[str, Any],
) -> bool:
    """UPDATE one row if its version is still ``expected_version`` (None: any)."""
    condition = table.c.uid == uid
    if expected_version is not None:
        condition = and_(condition, table.c.version == expected_version)
    result = connection.execute(
        update(table).where(condition).values(**values, version=table.c.version + 1)
    )
    return result.rowcount == 1


# --- periods -----------------------------------------------------------------


def period_values(period: Period) -> dict[str, Any]:
    assert period.start is not None and period.end is not None, "validate before storing"
    return {
        "name": period.name,
        "starts_at": to_utc_text(period.start.interval()[0]),
        "start_precision": period.start.precision.value,
        "ends_at": to_utc_text(period.end.interval()[0]),
        "end_precision": period.end.precision.value,
        "tz": period.start.tz,
        "color": period.color,
        "notes": period.notes,
    }


def period_from_row(row: RowMapping) -> Period:
    return Period(
        name=row["name"],
        start=stored_moment(row["starts_at"], row["start_precision"], row["tz"]),
        end=stored_moment(row["ends_at"], row["end_precision"], row["tz"]),
        color=row["color"],
        notes=row["notes"],
        meta=record_meta(row),
    )


def get_period_row(connection: Connection, uid: str) -> RowMapping | None:
    row = connection.execute(select(period_table).where(period_table.c.uid == uid)).first()
    return row._mapping if row else None


# --- saved views -------------------------------------------------------------


def _json_text(document: Any) -> str:
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode()


def saved_view_values(view: SavedView) -> dict[str, Any]:
    return {
        "name": view.name,
        "filter_json": _json_text(filter_to_json(view.filter)),
        "sort_json": _json_text(sort_to_json(view.sort)),
        "columns_json": _json_text(list(view.columns)),
    }


def _parsed(text: str, what: str, empty: Any, problems: list[str]) -> Any:
    """The JSON document ``text``; ``empty`` (no condition, the defaults) if it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        problems.append(f"the stored {what} is not JSON and was skipped")
        return empty


def saved_view_from_row(row: RowMapping) -> SavedView:
    """The view a row describes; what cannot be read is in its ``problems``, never raised."""
    problems: list[str] = []
    view = view_from_json(
        row["name"],
        _parsed(row["filter_json"], "filter", {}, problems),
        _parsed(row["sort_json"], "sort order", {}, problems),
        _parsed(row["columns_json"], "column list", [], problems),
        record_meta(row),
    )
    return replace(view, problems=tuple(problems) + view.problems) if problems else view


def live_view_names(connection: Connection, except_uid: str | None = None) -> list[str]:
    """The names of the live saved views, case-folded (names are unique ignoring case)."""
    v = saved_view_table
    query = select(v.c.name).where(v.c.deleted_at.is_(None))
    if except_uid is not None:
        query = query.where(v.c.uid != except_uid)
    return [name.casefold() for (name,) in connection.execute(query)]


def get_saved_view_row(connection: Connection, uid: str) -> RowMapping | None:
    row = connection.execute(
        select(saved_view_table).where(saved_view_table.c.uid == uid)
    ).first()
    return row._mapping if row else None


# --- vocabularies ------------------------------------------------------------

def extend_vocabulary(connection: Connection, entries: Iterable[tuple[str, str]]) -> bool:
    """Add the ``(kind, value)`` pairs not yet known; True when any was added.

    Vocabularies grow with use (docs/architecture.md): a new event type typed in a form is
    offered by the completers and filters from then on.
    """
    wanted = {(kind, value) for kind, value in entries if value}
    if not wanted:
        return False
    rows = connection.execute(
        select(vocabulary_table.c.kind, vocabulary_table.c.value).where(
            vocabulary_table.c.value.in_([value for _, value in wanted])
        )
    )
    known = {(kind, value) for kind, value in rows}
    missing = wanted - known
    if missing:
        connection.execute(
            insert(vocabulary_table), [{"kind": k, "value": v} for k, v in sorted(missing)]
        )
    return bool(missing)


def incident_vocabulary(incident: Incident) -> list[tuple[str, str]]:
    """The vocabulary entries an incident uses."""
    entries = [("event_type", incident.event_type)]
    entries += [("weapon", w.strip()) for w in (incident.weapons or "").split(",")]
    entries += [("tag", tag) for tag in incident.tags]
    return [(kind, value) for kind, value in entries if value]


def load_sources(connection: Connection, ids: Sequence[int]) -> dict[int, Source]:
    """Sources by row id (a page of the sources table)."""
    result = connection.execute(select(source_table).where(source_table.c.id.in_(ids)))
    return {row.id: source_from_row(row._mapping) for row in result}


def load_sources_by_uid(connection: Connection, uids: Sequence[str]) -> dict[str, Source]:
    """Sources by uid, trashed ones included; a uid not stored is absent."""
    found: dict[str, Source] = {}
    for start in range(0, len(uids), 500):
        chunk = list(uids[start : start + 500])
        for row in connection.execute(select(source_table).where(source_table.c.uid.in_(chunk))):
            source = source_from_row(row._mapping)
            found[source.meta.uid or ""] = source
    return found


def load_quotes(connection: Connection, ids: Sequence[int]) -> dict[int, Quote]:
    """Quotes by row id (a page of the quotes table)."""
    result = connection.execute(QUOTE_SELECT.where(quote_table.c.id.in_(ids)))
    return {row.id: quote_from_row(row._mapping) for row in result}


def vocabulary_values(connection: Connection, kind: str) -> list[str]:
    """One vocabulary, sorted the way a person scans a list (case-insensitive)."""
    v = vocabulary_table
    rows = connection.execute(
        select(v.c.value).where(v.c.kind == kind).order_by(func.lower(v.c.value))
    )
    return [row[0] for row in rows]
