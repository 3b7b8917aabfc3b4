"""The tables, as SQLAlchemy 2.x mapped classes.

Datetimes are stored as fixed-width UTC text (``2024-01-20T15:30:00Z``): it
sorts and compares correctly, reads the same in the ``sqlite3`` shell, and is
copied into exports without a parse per row. Optional texts are NULL, never ''.

The migrations in ``store/migrations/versions`` create exactly this schema;
``tests/unit/test_store_open.py`` compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UTC_TEXT = String(20)
LIVE = text("deleted_at IS NULL")
TRASH = text("deleted_at IS NOT NULL")


def _live_index(name: str, *columns: str) -> Index:
    """An index over live rows only: the trash never slows down the log."""
    return Index(name, *columns, sqlite_where=LIVE, postgresql_where=LIVE)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _Record:
    """Columns every record kind carries (DESIGN §2)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-3)
    uid: Mapped[str] = mapped_column(String(36), unique=True, sort_order=-2)
    version: Mapped[int] = mapped_column(Integer, default=1, sort_order=-1)
    created_at: Mapped[str] = mapped_column(UTC_TEXT)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[str] = mapped_column(UTC_TEXT)
    updated_by: Mapped[str] = mapped_column(String(200))
    deleted_at: Mapped[str | None] = mapped_column(UTC_TEXT)


class IncidentRow(_Record, Base):
    __tablename__ = "incident"

    ref: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[str] = mapped_column(UTC_TEXT)
    # End of the interval the precision implies; kept so a date filter is one
    # indexed range test instead of calendar arithmetic per row.
    occurred_end: Mapped[str] = mapped_column(UTC_TEXT)
    time_precision: Mapped[str] = mapped_column(String(10))
    tz: Mapped[str] = mapped_column(String(64))
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    place: Mapped[str | None] = mapped_column(Text)
    admin1: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    geo_precision: Mapped[str | None] = mapped_column(String(10))
    event_type: Mapped[str | None] = mapped_column(Text)
    weapons: Mapped[str | None] = mapped_column(Text)
    launched: Mapped[int | None] = mapped_column(Integer)
    intercepted: Mapped[int | None] = mapped_column(Integer)
    perpetrator: Mapped[str | None] = mapped_column(Text)
    attribution: Mapped[str] = mapped_column(String(12))
    target: Mapped[str | None] = mapped_column(Text)
    killed: Mapped[int | None] = mapped_column(Integer)
    killed_qualifier: Mapped[str] = mapped_column(String(10))
    injured: Mapped[int | None] = mapped_column(Integer)
    injured_qualifier: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    confidence: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
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
        _live_index("ix_incident_country", "country", "occurred_at", "occurred_end"),
        _live_index("ix_incident_country_id", "country", "id"),  # the country sort (0003)
        _live_index("ix_incident_event_type", "event_type", "occurred_at", "occurred_end"),
        _live_index("ix_incident_status", "status", "occurred_at", "occurred_end"),
        _live_index("ix_incident_perpetrator", "perpetrator", "id"),
        _live_index("ix_incident_place", "place", "id"),
        _live_index("ix_incident_updated", "updated_at", "id"),
        # The trash only: a full index on deleted_at would tempt SQLite to answer
        # "deleted_at IS NULL" with it and then sort every live row.
        Index("ix_incident_trash", "deleted_at", sqlite_where=TRASH, postgresql_where=TRASH),
    )


class IncidentTagRow(Base):
    __tablename__ = "incident_tag"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)

    __table_args__ = (Index("ix_incident_tag_tag", "tag", "incident_id"),)


class SourceRow(_Record, Base):
    __tablename__ = "source"

    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    url_normalized: Mapped[str | None] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    handle: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[str | None] = mapped_column(UTC_TEXT)
    published_precision: Mapped[str | None] = mapped_column(String(10))
    published_tz: Mapped[str | None] = mapped_column(String(64))
    accessed_at: Mapped[str | None] = mapped_column(UTC_TEXT)
    archive_url: Mapped[str | None] = mapped_column(Text)
    excerpt: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    reliability: Mapped[str | None] = mapped_column(String(1))
    sha256: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # Not unique: the officer may say "not a duplicate" (DESIGN §2).
        Index("ix_source_url_normalized", "url_normalized"),
        _live_index("ix_source_published", "published_at", "id"),
        _live_index("ix_source_outlet", "outlet", "id"),
        _live_index("ix_source_title", "title", "id"),
    )


class IncidentSourceRow(Base):
    __tablename__ = "incident_source"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("source.id", ondelete="CASCADE"), primary_key=True
    )
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_incident_source_source", "source_id", "incident_id"),)


class QuoteRow(_Record, Base):
    __tablename__ = "quote"

    text: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str] = mapped_column(Text)
    speaker_role: Mapped[str | None] = mapped_column(Text)
    speaker_org: Mapped[str | None] = mapped_column(Text)
    said_at: Mapped[str | None] = mapped_column(UTC_TEXT)
    said_precision: Mapped[str | None] = mapped_column(String(10))
    said_tz: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(20))
    context: Mapped[str | None] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_quote_incident", "incident_id"),
        Index("ix_quote_source", "source_id"),
        _live_index("ix_quote_said", "said_at", "id"),
        _live_index("ix_quote_speaker", "speaker", "id"),
    )


class PeriodRow(_Record, Base):
    """A named span shown as a band on the timeline (added by migration 0002)."""

    __tablename__ = "period"

    name: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[str] = mapped_column(UTC_TEXT)
    start_precision: Mapped[str] = mapped_column(String(10))
    ends_at: Mapped[str] = mapped_column(UTC_TEXT)
    end_precision: Mapped[str] = mapped_column(String(10))
    tz: Mapped[str] = mapped_column(String(64))
    color: Mapped[str | None] = mapped_column(String(7))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (_live_index("ix_period_starts", "starts_at", "id"),)


class VocabularyRow(Base):
    """User-extensible word lists: event types, weapons, perpetrators, tags."""

    __tablename__ = "vocabulary"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("uq_vocabulary_kind_value", "kind", "value", unique=True),)


class AuditRow(Base):
    """Append-only: triggers refuse UPDATE and DELETE; each row hashes the previous."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(UTC_TEXT)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    uid: Mapped[str] = mapped_column(String(36))
    label: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str] = mapped_column(Text)  # JSON {field: [old, new]}
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_uid", "uid", "id"),)


incident_table = IncidentRow.__table__
incident_tag_table = IncidentTagRow.__table__
source_table = SourceRow.__table__
incident_source_table = IncidentSourceRow.__table__
quote_table = QuoteRow.__table__
vocabulary_table = VocabularyRow.__table__
period_table = PeriodRow.__table__
audit_table = AuditRow.__table__
