"""Writing the JSON document: one read transaction, one record at a time, atomically.

Every record carries every key (null when absent) in a fixed order, and records come
in a fixed order (see ``exchange.scope``), so that two exports of the same data are
the same bytes but for ``exported_at``. Rows stream out of the database and each
batch is written with one orjson call, so memory stays flat as the log grows; the
file appears only when complete (``exchange.files``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.saved_views import SavedView, filter_to_json, sort_to_json
from incidentlog.exchange.files import output_file
from incidentlog.exchange.harm import json_counts
from incidentlog.exchange.json import review_records
from incidentlog.exchange.json.schema import FORMAT, VERSION, now_text
from incidentlog.exchange.json.vocabulary import actors_json, tombstones_json
from incidentlog.exchange.reports import Cancel, ExportReport, Progress, Ticker
from incidentlog.exchange.scope import IncidentBatch, Scope
from incidentlog.services import Services
from incidentlog.store import lineage
from incidentlog.store import records as store_records
from incidentlog.store.schema import period_table, saved_view_table

__all__ = ["export_json", "period_json", "saved_view_json"]


def export_json(
    services: Services,
    out: Path,
    flt: IncidentFilter | None = None,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ExportReport:
    """Write the log (or what ``flt`` selects) to ``out`` as one JSON document.

    The file appears only when complete; on cancel (``Cancelled``) or error
    (``ExchangeError`` naming the file) no file is left behind and an existing
    ``out`` is untouched.
    """
    out = Path(out)
    database = services.database
    scope = Scope(flt, database.backend)
    ticker = Ticker(progress, cancel)
    ticker.check()
    with database.read() as connection, output_file(out) as handle:
        counts = scope.counts(connection)
        periods = _live_periods(connection)
        views = _live_views(connection)
        ticker.total = counts.total + len(periods) + len(views)
        ticker.report()
        written = _write_document(handle, connection, scope, (periods, views), ticker)
        ticker.check()
    ticker.done = ticker.total
    ticker.report()
    return ExportReport(out, written["incidents"], written["sources"], written["quotes"])


def _live_periods(connection: Connection) -> list[RowMapping]:
    # A log holds a handful of periods: sorted here (by start, then uid), not by SQLite.
    return sorted(
        (
            row._mapping
            for row in connection.execute(
                select(period_table).where(period_table.c.deleted_at.is_(None))
            )
        ),
        key=lambda row: (row["starts_at"], row["uid"]),
    )


def _live_views(connection: Connection) -> list[SavedView]:
    # As the domain reads them: a part this version cannot read is left out, so that the
    # file is valid; sorted by name, then uid.
    v = saved_view_table
    rows = connection.execute(select(v).where(v.c.deleted_at.is_(None)))
    views = [store_records.saved_view_from_row(row._mapping) for row in rows]
    return sorted(views, key=lambda view: (view.name or "", view.meta.uid or ""))


def _write_document(
    handle: IO[bytes],
    connection: Connection,
    scope: Scope,
    context: tuple[list[RowMapping], list[SavedView]],
    ticker: Ticker,
) -> dict[str, int]:
    """Write the whole document; return how many records each section holds.

    ``context``: the live periods and saved views, exported whatever the filter.
    """
    periods, views = context
    head = {"format": FORMAT, "version": VERSION, "exported_at": now_text()}
    handle.write(orjson.dumps(head, option=orjson.OPT_INDENT_2)[:-2])  # drop "\n}"
    # Comments and verdicts go with the incidents and sources written: the uids written
    # are kept only when the log has any, so that an export without them stays lean.
    exported: dict[str, set[str]] | None = (
        {"incidents": set(), "sources": set()} if review_records.any_review(connection) else None
    )

    def lineage_of(records: list[dict[str, Any]], section: str = "") -> list[dict[str, Any]]:
        if exported is not None and section in exported:
            exported[section].update(record["uid"] for record in records)
        return _with_lineage(connection, records)

    written = {
        "incidents": _write_section(
            handle,
            "incidents",
            (
                lineage_of(_incident_records(batch), "incidents")
                for batch in scope.incidents(connection)
            ),
            ticker,
        ),
        "sources": _write_section(
            handle,
            "sources",
            (
                lineage_of(_source_records(batch.rows), "sources")
                for batch in scope.sources(connection)
            ),
            ticker,
        ),
        "quotes": _write_section(
            handle,
            "quotes",
            (lineage_of(_quote_records(rows)) for rows in scope.quotes(connection)),
            ticker,
        ),
        # Every live period whatever the filter: a period is context, not a selected record.
        "periods": _write_section(
            handle, "periods", iter([lineage_of([period_json(row) for row in periods])]), ticker
        ),
        "saved_views": _write_section(
            handle, "saved_views", iter([lineage_of([saved_view_json(view) for view in views])]),
            ticker,
        ),
    }
    if exported is not None:
        comments, verdicts = review_records.exported(
            connection, exported["incidents"], exported["sources"]
        )
        written["comments"] = _write_section(handle, "comments", iter([comments]), ticker)
        written["verdicts"] = _write_section(handle, "verdicts", iter([verdicts]), ticker)
    _write_vocabulary(handle, connection, scope)
    handle.write(b"\n}\n")
    return written

def _write_vocabulary(handle: IO[bytes], connection: Connection, scope: Scope) -> None:
    """The optional ``actors`` (the vocabulary beyond what a new log has) and ``merged``
    (the tombstones of the incidents written), when there are any: a log without them
    writes the same file as before (exchange/json/vocabulary.py)."""
    extras = {"actors": actors_json(connection),
              "merged": tombstones_json(connection, scope.incident_where())}
    for name, value in extras.items():
        if not value:
            continue
        # b'{\n  "name": [...]\n}': the lines between the braces, indented as the document's.
        handle.write(b",\n" + orjson.dumps({name: value}, option=orjson.OPT_INDENT_2)[2:-2])


def _with_lineage(connection: Connection, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each record with the fingerprints of its earlier versions (``store.lineage``), the
    history an import decides by; null for a record never edited since it came here."""
    known = lineage.ancestors_of(connection, [record["uid"] for record in records])
    for record in records:
        record["ancestors"] = known.get(record["uid"])
    return records


def _write_section(
    handle: IO[bytes], name: str, batches: Iterator[list[dict[str, Any]]], ticker: Ticker
) -> int:
    """Write ``,\\n  "name": [ ... ]``, each record indented under the list.

    One ``orjson.dumps`` per batch of records, not per record: orjson indents a list
    of records one level shallower than the document holds them, so every line of
    the batch gets two more spaces (JSON strings hold no raw line breaks, so this
    touches only the layout) and the list's own brackets are dropped. The bytes are
    those of one dump per record.
    """
    handle.write(b',\n  "' + name.encode() + b'": [')
    count = 0
    for records in batches:
        if not records:
            continue
        text = orjson.dumps(records, option=orjson.OPT_INDENT_2)
        # b'[\n  {...},\n  {...}\n]' → b'\n    {...},\n    {...}'
        if count:
            handle.write(b",")
        handle.write(text[1:-2].replace(b"\n", b"\n  "))
        count += len(records)
        ticker.step(len(records))
    handle.write(b"\n  ]" if count else b"]")
    return count



def _meta_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "uid": row["uid"],
        "version": row["version"],
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "updated_at": row["updated_at"],
        "updated_by": row["updated_by"],
        "ancestors": None,  # filled per batch (_with_lineage)
    }


# The records below are built from the tuples of ``exchange.scope`` (``*_FIELDS``
# order) with one dict display each: every key, in the schema's order.


def _incident_records(batch: IncidentBatch) -> list[dict[str, Any]]:
    """The batch's incidents as the format writes them."""
    tags_of, links_of, related_of = batch.tags, batch.links, batch.related
    records = []
    for (
        row_id, uid, version, created_at, created_by, updated_at, updated_by,
        ref, title, summary, occurred_at, time_precision, tz, approximate,
        place, admin1, country, latitude, longitude, geo_precision, event_type, weapons,
        launched, intercepted, perpetrator, attribution, target,
        killed, killed_qualifier, injured, injured_qualifier, status, confidence, *harm,
    ) in batch.rows:  # fmt: skip
        links = links_of.get(row_id)
        killed_json, injured_json = json_counts(
            killed, killed_qualifier, injured, injured_qualifier, harm)
        records.append(
            {
                "uid": uid,
                "version": version,
                "created_at": created_at,
                "created_by": created_by,
                "updated_at": updated_at,
                "updated_by": updated_by,
                "ancestors": None,
                "ref": ref,
                "title": title,
                "summary": summary,
                "occurred_at": occurred_at,
                "time_precision": time_precision,
                "tz": tz,
                "approximate": bool(approximate),
                "place": place,
                "admin1": admin1,
                "country": country,
                "latitude": latitude,
                "longitude": longitude,
                "geo_precision": geo_precision,
                "event_type": event_type,
                "weapons": weapons,
                "launched": launched,
                "intercepted": intercepted,
                "perpetrator": perpetrator,
                "attribution": attribution,
                "target": target,
                "killed": killed_json,
                "injured": injured_json,
                "status": status,
                "confidence": confidence,
                "tags": tags_of.get(row_id, []),
                "sources": [{"source": link[0], "note": link[1]} for link in links]
                if links
                else [],
                "actors": [actor.to_json() for actor in batch.actors.get(row_id, ())],
                "links": [{"kind": r.link.kind.value, "incident": r.other_uid, "note": r.link.note}
                          for r in related_of.get(row_id, ()) if r.outgoing],
            }
        )
    return records


def _source_records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "uid": uid,
            "version": version,
            "created_at": created_at,
            "created_by": created_by,
            "updated_at": updated_at,
            "updated_by": updated_by,
            "ancestors": None,
            "kind": kind,
            "title": title,
            "url": url,
            "url_normalized": url_normalized,
            "outlet": outlet,
            "author": author,
            "handle": handle,
            "published_at": published_at,
            "published_precision": published_precision,
            "published_tz": published_tz,
            "accessed_at": accessed_at,
            "archive_url": archive_url,
            "excerpt": excerpt,
            "language": language,
            "reliability": reliability,
            "sha256": sha256,
            "notes": notes,
        }
        for (
            _, uid, version, created_at, created_by, updated_at, updated_by,
            kind, title, url, url_normalized, outlet, author, handle,
            published_at, published_precision, published_tz, accessed_at, archive_url,
            excerpt, language, reliability, sha256, notes,
        ) in rows
    ]


def _quote_records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "uid": uid,
            "version": version,
            "created_at": created_at,
            "created_by": created_by,
            "updated_at": updated_at,
            "updated_by": updated_by,
            "ancestors": None,
            "text": text,
            "speaker": speaker,
            "speaker_role": speaker_role,
            "speaker_org": speaker_org,
            "said_at": said_at,
            "said_precision": said_precision,
            "said_tz": said_tz,
            "language": language,
            "context": context,
            "incident": incident_uid,
            "source": source_uid,
        }
        for (
            _, uid, version, created_at, created_by, updated_at, updated_by,
            text, speaker, speaker_role, speaker_org, said_at, said_precision, said_tz,
            language, context, incident_uid, _incident_ref, source_uid, _title, _url,
        ) in rows
    ]


def period_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A period as stored: its start and end are the starts of their moments' intervals."""
    return _meta_json(row) | {
        "name": row["name"],
        "start_at": row["starts_at"],
        "start_precision": row["start_precision"],
        "end_at": row["ends_at"],
        "end_precision": row["end_precision"],
        "tz": row["tz"],
        "color": row["color"],
        "notes": row["notes"],
    }



def saved_view_json(view: SavedView) -> dict[str, Any]:
    meta = view.meta
    return {
        "uid": meta.uid,
        "version": meta.version,
        "created_at": meta.created_at,
        "created_by": meta.created_by,
        "updated_at": meta.updated_at,
        "updated_by": meta.updated_by,
        "name": view.name,
        "filter": filter_to_json(view.filter),
        "sort": sort_to_json(view.sort),
        "columns": list(view.columns),
        "ancestors": None,  # filled by the export (_with_lineage)
    }
