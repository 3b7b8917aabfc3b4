"""The tables, as SQLAlchemy Core ``Table`` objects.

Core, not ORM mapped classes: nothing in the application maps rows to
objects, and importing ``sqlalchemy.orm`` and building mappers cost a
noticeable share of start-up (docs/performance.md). ``tests/unit/test_startup_imports.py``
keeps ``sqlalchemy.orm`` out of this module's imports.

Datetimes are stored as fixed-width UTC text (``2024-01-20T15:30:00Z``): it
sorts and compares correctly, reads the same in the ``sqlite3`` shell, and is
copied into exports without a parse per row. Optional texts are NULL, never ''.

Columns are NOT NULL unless declared ``nullable=True``: every column is built
by ``_column``, which makes "required" the default, as the mapped classes did.

The migrations in ``store/migrations/versions`` create exactly this schema;
``tests/unit/test_store_open.py`` compares the two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base:
    """The former declarative base's one remaining use: ``Base.metadata``."""

    metadata = metadata


UTC_TEXT = String(20)
LIVE = text("deleted_at IS NULL")
TRASH = text("deleted_at IS NOT NULL")


def _column(name: str, *args: Any, nullable: bool = False, **kwargs: Any) -> Column[Any]:
    """A column, NOT NULL unless told otherwise."""
    return Column(name, *args, nullable=nullable, **kwargs)


def _live_index(name: str, *columns: str, with_id: bool = False) -> Index:
    """An index over live rows only: the trash never slows down the log.

    ``with_id``: on PostgreSQL the index also carries the row id (``INCLUDE``), so that a
    filter's id list is read from the index alone, as SQLite's indexes always carry the
    rowid (migration 0015, docs/performance.md)."""
    if with_id:
        return Index(name, *columns, sqlite_where=LIVE, postgresql_where=LIVE,
                     postgresql_include=["id"])
    return Index(name, *columns, sqlite_where=LIVE, postgresql_where=LIVE)


def _record_head() -> list[Column[Any]]:
    """The first columns every record kind carries (docs/architecture.md)."""
    return [
        _column("id", Integer, primary_key=True),
        _column("uid", String(36), unique=True),
        _column("version", Integer, default=1),
    ]


def _record_tail() -> list[Column[Any]]:
    """The last columns every record kind carries (docs/architecture.md)."""
    return [
        _column("created_at", UTC_TEXT),
        _column("created_by", String(200)),
        _column("updated_at", UTC_TEXT),
        _column("updated_by", String(200)),
        _column("deleted_at", UTC_TEXT, nullable=True),
    ]


#: The parts a killed or injured total may be split into (domain ``HarmSplit``).
HARM_PARTS = ("civilians", "military", "unknown")


def _harm_columns() -> list[Column[Any]]:
    columns: list[Column[Any]] = []
    for total in ("killed", "injured"):
        columns += [_column(f"{total}_low", Integer, nullable=True),
                    _column(f"{total}_high", Integer, nullable=True)]
        for part in (*HARM_PARTS, *(("seriously",) if total == "injured" else ())):
            columns += [_column(f"{total}_{part}", Integer, nullable=True),
                        _column(f"{total}_{part}_qualifier", String(10), nullable=True)]
    return columns


#: Their names in table order: what exports read after an incident's other fields.
HARM_COLUMNS = tuple(column.name for column in _harm_columns())


incident_table = Table(
    "incident",
    metadata,
    *_record_head(),
    _column("ref", String(40), unique=True),
    _column("title", Text),
    _column("summary", Text, nullable=True),
    _column("occurred_at", UTC_TEXT),
    # End of the interval the precision implies; kept so a date filter is one
    # indexed range test instead of calendar arithmetic per row.
    _column("occurred_end", UTC_TEXT),
    _column("time_precision", String(10)),
    _column("tz", String(64)),
    _column("approximate", Boolean, default=False),
    _column("place", Text, nullable=True),
    _column("admin1", Text, nullable=True),
    _column("country", String(2), nullable=True),
    _column("latitude", Float, nullable=True),
    _column("longitude", Float, nullable=True),
    _column("geo_precision", String(10), nullable=True),
    _column("event_type", Text, nullable=True),
    _column("weapons", Text, nullable=True),
    _column("launched", Integer, nullable=True),
    _column("intercepted", Integer, nullable=True),
    _column("perpetrator", Text, nullable=True),
    _column("attribution", String(12)),
    _column("target", Text, nullable=True),
    _column("killed", Integer, nullable=True),
    _column("killed_qualifier", String(10)),
    _column("injured", Integer, nullable=True),
    _column("injured_qualifier", String(10)),
    # Harm in detail (0009): killed/injured above stay the best totals the table sorts
    # on; these add their range and the parts the source splits them into (each part
    # one number with its qualifier, NULL when not reported). Columns, not a child
    # table: the audit log, replay and fingerprints read an incident's row
    # (docs/harm.md).
    *_harm_columns(),
    _column("status", String(12)),
    _column("confidence", Integer, nullable=True),
    *_record_tail(),
    # The uid of the incident this one was merged into (migration 0010): a tombstone,
    # kept in the trash so that the uid still resolves (services/merge.py).
    _column("merged_into", String(36), nullable=True),
    # The names and aliases of its actors, for the full-text search (migration 0012): kept
    # by triggers, derived, never audited (store/actor_text.py).
    _column("actor_text", Text, nullable=True),
    CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
    CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
    CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates"),
    CheckConstraint("launched IS NULL OR launched >= 0", name="launched"),
    CheckConstraint(
        "intercepted IS NULL OR (intercepted >= 0 AND "
        "(launched IS NULL OR intercepted <= launched))",
        name="intercepted",
    ),
    CheckConstraint("killed IS NULL OR killed >= 0", name="killed"),
    CheckConstraint("injured IS NULL OR injured >= 0", name="injured"),
    CheckConstraint("confidence IS NULL OR confidence BETWEEN 1 AND 6", name="confidence"),
    CheckConstraint("occurred_end > occurred_at", name="interval"),
    # One index per column the table sorts or filters on, over live rows
    # only, ending in id so that keyset paging and ties stay in the index.
    _live_index("ix_incident_occurred", "occurred_at", "id"),
    _live_index("ix_incident_title", "title", "id"),
    # A column and a date range: the range scan answers from the index alone,
    # occurred_end included (0003), without reading a row per candidate.
    _live_index("ix_incident_country", "country", "occurred_at", "occurred_end", with_id=True),
    _live_index("ix_incident_country_id", "country", "id"),  # the country sort (0003)
    _live_index("ix_incident_event_type", "event_type", "occurred_at", "occurred_end",
                with_id=True),
    _live_index("ix_incident_status", "status", "occurred_at", "occurred_end", with_id=True),
    _live_index("ix_incident_perpetrator", "perpetrator", "id"),
    _live_index("ix_incident_place", "place", "id"),
    _live_index("ix_incident_updated", "updated_at", "id"),
    # Per precision, the incidents nearest in time, read from the index alone (deleted_at
    # included, or SQLite reads each row to test it): the duplicate lookup (0010).
    _live_index("ix_incident_precision", "time_precision", "occurred_at", "id", "occurred_end",
                "country", "title", "deleted_at"),
    # The trash only: a full index on deleted_at would tempt SQLite to answer
    # "deleted_at IS NULL" with it and then sort every live row.
    Index("ix_incident_trash", "deleted_at", sqlite_where=TRASH, postgresql_where=TRASH),
)

incident_tag_table = Table(
    "incident_tag",
    metadata,
    _column("incident_id", Integer, ForeignKey("incident.id", ondelete="CASCADE"),
            primary_key=True),
    _column("tag", String(100), primary_key=True),
    Index("ix_incident_tag_tag", "tag", "incident_id"),
)

# The actors' vocabulary (migration 0008, domain/actors.py): one row per actor, and the
# other names it is known by. Names are matched ignoring case (store/actors.py).
actor_table = Table(
    "actor",
    metadata,
    _column("id", Integer, primary_key=True),
    _column("name", Text, unique=True),
)

actor_alias_table = Table(
    "actor_alias",
    metadata,
    _column("alias", Text, primary_key=True),
    _column("actor_id", Integer, ForeignKey("actor.id", ondelete="CASCADE")),
    Index("ix_actor_alias_actor", "actor_id"),
)

# An incident's actors in the order entered (migration 0008); replaced on every save,
# like its tags. ``source_uid`` is a uid, not a row id: an import may bring the
# incident before the source it cites.
incident_actor_table = Table(
    "incident_actor",
    metadata,
    _column("incident_id", Integer, ForeignKey("incident.id", ondelete="CASCADE"),
            primary_key=True),
    _column("position", Integer, primary_key=True),
    _column("role", String(16)),
    _column("actor_id", Integer, ForeignKey("actor.id"), nullable=True),
    _column("attribution", String(12)),
    _column("attributed_by_id", Integer, ForeignKey("actor.id"), nullable=True),
    _column("source_uid", String(36), nullable=True),
    Index("ix_incident_actor_actor", "actor_id", "incident_id"),
    Index("ix_incident_actor_attributed_by", "attributed_by_id"),
    # Timeline lanes by actor (migration 0014): an incident's actors, and one role's actors,
    # from the index alone.
    Index("ix_incident_actor_lane", "incident_id", "role", "actor_id"),
    Index("ix_incident_actor_role", "role", "actor_id", "incident_id"),
)

source_table = Table(
    "source",
    metadata,
    *_record_head(),
    _column("kind", String(20)),
    _column("title", Text, nullable=True),
    _column("url", Text, nullable=True),
    _column("url_normalized", Text, nullable=True),
    _column("outlet", Text, nullable=True),
    _column("author", Text, nullable=True),
    _column("handle", Text, nullable=True),
    _column("published_at", UTC_TEXT, nullable=True),
    _column("published_precision", String(10), nullable=True),
    _column("published_tz", String(64), nullable=True),
    _column("accessed_at", UTC_TEXT, nullable=True),
    _column("archive_url", Text, nullable=True),
    _column("excerpt", Text, nullable=True),
    _column("language", String(20), nullable=True),
    _column("reliability", String(1), nullable=True),
    _column("sha256", String(64), nullable=True),
    _column("notes", Text, nullable=True),
    *_record_tail(),
    # Not unique: the officer may say "not a duplicate" (docs/architecture.md).
    Index("ix_source_url_normalized", "url_normalized"),
    _live_index("ix_source_published", "published_at", "id"),
    _live_index("ix_source_outlet", "outlet", "id"),
    _live_index("ix_source_title", "title", "id"),
)

incident_source_table = Table(
    "incident_source",
    metadata,
    _column("incident_id", Integer, ForeignKey("incident.id", ondelete="CASCADE"),
            primary_key=True),
    _column("source_id", Integer, ForeignKey("source.id", ondelete="CASCADE"),
            primary_key=True),
    _column("note", Text, nullable=True),
    Index("ix_incident_source_source", "source_id", "incident_id"),
)

quote_table = Table(
    "quote",
    metadata,
    *_record_head(),
    _column("text", Text),
    _column("speaker", Text),
    _column("speaker_role", Text, nullable=True),
    _column("speaker_org", Text, nullable=True),
    _column("said_at", UTC_TEXT, nullable=True),
    _column("said_precision", String(10), nullable=True),
    _column("said_tz", String(64), nullable=True),
    _column("language", String(20), nullable=True),
    _column("context", Text, nullable=True),
    _column("incident_id", Integer, ForeignKey("incident.id", ondelete="SET NULL"),
            nullable=True),
    _column("source_id", Integer, ForeignKey("source.id", ondelete="SET NULL"), nullable=True),
    *_record_tail(),
    Index("ix_quote_incident", "incident_id"),
    Index("ix_quote_source", "source_id"),
    _live_index("ix_quote_said", "said_at", "id"),
    _live_index("ix_quote_speaker", "speaker", "id"),
)

# A named span shown as a band on the timeline (added by migration 0002).
period_table = Table(
    "period",
    metadata,
    *_record_head(),
    _column("name", Text),
    _column("starts_at", UTC_TEXT),
    _column("start_precision", String(10)),
    _column("ends_at", UTC_TEXT),
    _column("end_precision", String(10)),
    _column("tz", String(64)),
    _column("color", String(7), nullable=True),
    _column("notes", Text, nullable=True),
    *_record_tail(),
    _live_index("ix_period_starts", "starts_at", "id"),
)

# A named filter + sort + visible columns of the incident table (added by
# migration 0004); the three are JSON documents (docs/formats.md).
saved_view_table = Table(
    "saved_view",
    metadata,
    *_record_head(),
    _column("name", Text),
    _column("filter_json", Text),
    _column("sort_json", Text),
    _column("columns_json", Text),
    *_record_tail(),
    _live_index("ix_saved_view_name", "name", "id"),
)

# A remark on an incident or a source, a reply to one, resolved or not (migration
# 0006, docs/review.md). Its author and time are created_by and created_at.
comment_table = Table(
    "comment",
    metadata,
    *_record_head(),
    _column("incident_id", Integer, ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=True),
    _column("source_id", Integer, ForeignKey("source.id", ondelete="CASCADE"), nullable=True),
    _column("about", String(40), nullable=True),  # the field it is about, if one
    _column("text", Text),
    _column("reply_to", String(36), nullable=True),  # uid of the comment it answers
    _column("resolved", Boolean, default=False),
    *_record_tail(),
    CheckConstraint("(incident_id IS NULL) <> (source_id IS NULL)", name="subject"),
    Index("ix_comment_incident", "incident_id", "id"),
    Index("ix_comment_source", "source_id", "id"),
)

# A reviewer's verdict on an incident (migration 0006): the status it moved to, why,
# the Admiralty grades given with it, and the fingerprint of the incident's facts it
# judged (a verdict sent back from a copy is not applied to facts changed since).
verdict_table = Table(
    "verdict",
    metadata,
    *_record_head(),
    _column("incident_id", Integer, ForeignKey("incident.id", ondelete="CASCADE")),
    _column("status_from", String(12)),
    _column("status", String(12)),
    _column("reason", Text, nullable=True),
    _column("reliability", String(1), nullable=True),
    _column("confidence", Integer, nullable=True),
    _column("facts", String(32)),
    *_record_tail(),
    CheckConstraint("confidence IS NULL OR confidence BETWEEN 1 AND 6", name="confidence"),
    Index("ix_verdict_incident", "incident_id", "id"),
)

# Settings stored in the log itself, so that they travel with it (migration 0006):
# the two-person rule. Each change is audited (kind "setting", uid the name).
log_setting_table = Table(
    "log_setting",
    metadata,
    _column("name", String(36), primary_key=True),
    _column("value", Text),
    _column("updated_at", UTC_TEXT),
    _column("updated_by", String(200)),
)

# User-extensible word lists: event types, weapons, perpetrators, tags.
vocabulary_table = Table(
    "vocabulary",
    metadata,
    _column("id", Integer, primary_key=True),
    _column("kind", String(20)),
    _column("value", String(200)),
    Index("uq_vocabulary_kind_value", "kind", "value", unique=True),
)

# Append-only: triggers refuse UPDATE and DELETE; each row hashes the previous.
audit_table = Table(
    "audit_log",
    metadata,
    _column("id", Integer, primary_key=True),
    _column("at", UTC_TEXT),
    _column("actor", String(200)),
    _column("action", String(20)),
    _column("kind", String(20)),
    _column("uid", String(36)),
    _column("label", Text, nullable=True),
    _column("changes", Text),  # JSON {field: [old, new]}
    _column("prev_hash", String(64)),
    _column("hash", String(64)),
    Index("ix_audit_log_uid", "uid", "id"),
)

# The fingerprints of each record's earlier versions, newest first (store/lineage.py): what
# an import needs to tell "derived from ours" from "changed on both sides".
lineage_table = Table(
    "record_lineage",
    metadata,
    _column("uid", String(36), primary_key=True),
    _column("ancestors", Text),  # JSON list of fingerprints
)

# A file kept with a source or an incident (migration 0007, docs/evidence.md): the
# bytes are in the evidence store under their SHA-256, stored once however many
# rows name them. Purging the record removes its rows, never the bytes.
attachment_table = Table(
    "attachment",
    metadata,
    _column("id", Integer, primary_key=True),
    _column("uid", String(36), unique=True),
    _column("source_id", Integer, ForeignKey("source.id", ondelete="CASCADE"), nullable=True),
    _column("incident_id", Integer, ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=True),
    _column("sha256", String(64)),
    _column("size", BigInteger),
    _column("media_type", String(100)),
    _column("name", Text),
    _column("role", String(12)),  # "file" or "capture"
    _column("details", Text, nullable=True),  # JSON: a capture's URL, status, time
    _column("added_at", UTC_TEXT),
    _column("added_by", String(200)),
    CheckConstraint("(source_id IS NULL) <> (incident_id IS NULL)", name="one_owner"),
    CheckConstraint("size > 0", name="size"),
    Index("ix_attachment_source", "source_id"),
    Index("ix_attachment_incident", "incident_id"),
    Index("ix_attachment_sha256", "sha256"),
)

# A typed, directed link between two incidents (migration 0011, docs/architecture.md):
# from_id "is <kind>" to_id ("retaliation for"). Both ends in the trash hide it (queries
# join live incidents); purging either end removes it (the foreign keys cascade).
incident_link_table = Table(
    "incident_link",
    metadata,
    _column("id", Integer, primary_key=True),
    _column("from_id", Integer, ForeignKey("incident.id", ondelete="CASCADE")),
    _column("to_id", Integer, ForeignKey("incident.id", ondelete="CASCADE")),
    _column("kind", String(20)),
    _column("note", Text, nullable=True),
    _column("created_at", UTC_TEXT),
    _column("created_by", String(200)),
    CheckConstraint("from_id <> to_id", name="not_self"),
    Index("uq_incident_link_from_to_kind", "from_id", "to_id", "kind", unique=True),
    Index("ix_incident_link_to", "to_id", "from_id"),
)

# The evidence bytes of a server log (migration 0013, docs/evidence.md): a file log keeps
# them in a folder beside it and leaves these empty. ``blob`` is written last, once every
# chunk of the bytes is in: a blob row says its chunks are whole, and from then on the
# server refuses any change to them (store/postgres_sql.py).
blob_table = Table(
    "blob",
    metadata,
    _column("sha256", String(64), primary_key=True),
    _column("size", BigInteger),
    _column("media_type", String(100)),
    CheckConstraint("size > 0", name="size"),
)

blob_chunk_table = Table(
    "blob_chunk",
    metadata,
    _column("sha256", String(64), primary_key=True),
    _column("seq", Integer, primary_key=True),
    _column("data", LargeBinary),
)
