"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24

The tables of store/schema.py as they were at 0.1, plus what only SQL can say:
the FTS5 index over the incidents' text kept in step by triggers, and
triggers that make the audit log append-only. On PostgreSQL the full-text index
is a GIN index over an expression (store/postgres_sql.py), and the same triggers
are PL/pgSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_uid", ["uid", "id"], unique=False)

    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.String(length=20), nullable=False),
        sa.Column("occurred_end", sa.String(length=20), nullable=False),
        sa.Column("time_precision", sa.String(length=10), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("admin1", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("geo_precision", sa.String(length=10), nullable=True),
        sa.Column("event_type", sa.Text(), nullable=True),
        sa.Column("weapons", sa.Text(), nullable=True),
        sa.Column("launched", sa.Integer(), nullable=True),
        sa.Column("intercepted", sa.Integer(), nullable=True),
        sa.Column("perpetrator", sa.Text(), nullable=True),
        sa.Column("attribution", sa.String(length=12), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("killed", sa.Integer(), nullable=True),
        sa.Column("killed_qualifier", sa.String(length=10), nullable=False),
        sa.Column("injured", sa.Integer(), nullable=True),
        sa.Column("injured_qualifier", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)", name=op.f("ck_incident_coordinates")
        ),
        sa.CheckConstraint(
            "confidence IS NULL OR confidence BETWEEN 1 AND 6", name=op.f("ck_incident_confidence")
        ),
        sa.CheckConstraint("injured IS NULL OR injured >= 0", name=op.f("ck_incident_injured")),
        sa.CheckConstraint(
            "intercepted IS NULL OR (intercepted >= 0 AND (launched IS NULL OR intercepted <= launched))",
            name=op.f("ck_incident_intercepted"),
        ),
        sa.CheckConstraint("killed IS NULL OR killed >= 0", name=op.f("ck_incident_killed")),
        sa.CheckConstraint(
            "latitude IS NULL OR latitude BETWEEN -90 AND 90", name=op.f("ck_incident_latitude")
        ),
        sa.CheckConstraint("launched IS NULL OR launched >= 0", name=op.f("ck_incident_launched")),
        sa.CheckConstraint(
            "longitude IS NULL OR longitude BETWEEN -180 AND 180",
            name=op.f("ck_incident_longitude"),
        ),
        sa.CheckConstraint("occurred_end > occurred_at", name=op.f("ck_incident_interval")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("ref", name=op.f("uq_incident_ref")),
        sa.UniqueConstraint("uid", name=op.f("uq_incident_uid")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_country",
            ["country", "occurred_at"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_incident_trash",
            ["deleted_at"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NOT NULL"),
            postgresql_where=sa.text("deleted_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_incident_event_type",
            ["event_type", "occurred_at"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_incident_occurred",
            ["occurred_at", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_incident_perpetrator",
            ["perpetrator", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_incident_place",
            ["place", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_incident_status",
            ["status", "occurred_at"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_incident_title",
            ["title", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_incident_updated",
            ["updated_at", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("url_normalized", sa.Text(), nullable=True),
        sa.Column("outlet", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("handle", sa.Text(), nullable=True),
        sa.Column("published_at", sa.String(length=20), nullable=True),
        sa.Column("published_precision", sa.String(length=10), nullable=True),
        sa.Column("published_tz", sa.String(length=64), nullable=True),
        sa.Column("accessed_at", sa.String(length=20), nullable=True),
        sa.Column("archive_url", sa.Text(), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("reliability", sa.String(length=1), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("uid", name=op.f("uq_source_uid")),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.create_index(
            "ix_source_outlet",
            ["outlet", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_source_published",
            ["published_at", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_source_title",
            ["title", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index("ix_source_url_normalized", ["url_normalized"], unique=False)

    op.create_table(
        "vocabulary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vocabulary")),
    )
    with op.batch_alter_table("vocabulary", schema=None) as batch_op:
        batch_op.create_index("uq_vocabulary_kind_value", ["kind", "value"], unique=True)

    op.create_table(
        "incident_source",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_source_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_incident_source_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "source_id", name=op.f("pk_incident_source")),
    )
    with op.batch_alter_table("incident_source", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_source_source", ["source_id", "incident_id"], unique=False
        )

    op.create_table(
        "incident_tag",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_tag_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "tag", name=op.f("pk_incident_tag")),
    )
    with op.batch_alter_table("incident_tag", schema=None) as batch_op:
        batch_op.create_index("ix_incident_tag_tag", ["tag", "incident_id"], unique=False)

    op.create_table(
        "quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("speaker", sa.Text(), nullable=False),
        sa.Column("speaker_role", sa.Text(), nullable=True),
        sa.Column("speaker_org", sa.Text(), nullable=True),
        sa.Column("said_at", sa.String(length=20), nullable=True),
        sa.Column("said_precision", sa.String(length=10), nullable=True),
        sa.Column("said_tz", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_quote_incident_id_incident"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_quote_source_id_source"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
        sa.UniqueConstraint("uid", name=op.f("uq_quote_uid")),
    )
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.create_index("ix_quote_incident", ["incident_id"], unique=False)
        batch_op.create_index(
            "ix_quote_said",
            ["said_at", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index("ix_quote_source", ["source_id"], unique=False)
        batch_op.create_index(
            "ix_quote_speaker",
            ["speaker", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)
    elif op.get_bind().dialect.name == "postgresql":
        from incidentlog.store.postgres_sql import schema_statements

        for statement in schema_statements(op.get_bind()):
            op.execute(statement)


FTS_COLUMNS = "ref, title, summary, place, admin1, perpetrator, target, weapons, event_type"
_NEW = ", ".join(f"new.{c.strip()}" for c in FTS_COLUMNS.split(","))
_OLD = ", ".join(f"old.{c.strip()}" for c in FTS_COLUMNS.split(","))
SQLITE_UPGRADE = (
    f"""CREATE VIRTUAL TABLE incident_fts USING fts5({FTS_COLUMNS},
        content='incident', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER incident_fts_insert AFTER INSERT ON incident BEGIN
        INSERT INTO incident_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {_NEW}); END""",
    f"""CREATE TRIGGER incident_fts_delete AFTER DELETE ON incident BEGIN
        INSERT INTO incident_fts(incident_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, {_OLD}); END""",
    f"""CREATE TRIGGER incident_fts_update AFTER UPDATE OF {FTS_COLUMNS} ON incident BEGIN
        INSERT INTO incident_fts(incident_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, {_OLD});
        INSERT INTO incident_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {_NEW}); END""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS incident_fts_update",
    "DROP TRIGGER IF EXISTS incident_fts_delete",
    "DROP TRIGGER IF EXISTS incident_fts_insert",
    "DROP TABLE IF EXISTS incident_fts",
)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
    elif op.get_bind().dialect.name == "postgresql":
        from incidentlog.store.postgres_sql import DROP_STATEMENTS

        for statement in DROP_STATEMENTS:
            op.execute(statement)
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_quote_speaker",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index("ix_quote_source")
        batch_op.drop_index(
            "ix_quote_said",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index("ix_quote_incident")

    op.drop_table("quote")
    with op.batch_alter_table("incident_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_tag_tag")

    op.drop_table("incident_tag")
    with op.batch_alter_table("incident_source", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_source_source")

    op.drop_table("incident_source")
    with op.batch_alter_table("vocabulary", schema=None) as batch_op:
        batch_op.drop_index("uq_vocabulary_kind_value")

    op.drop_table("vocabulary")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index("ix_source_url_normalized")
        batch_op.drop_index(
            "ix_source_title",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_source_published",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_source_outlet",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.drop_table("source")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_incident_updated",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_incident_title",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_incident_status",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_incident_place",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_incident_perpetrator",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_incident_occurred",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_incident_event_type",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index("ix_incident_trash")
        batch_op.drop_index(
            "ix_incident_country",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.drop_table("incident")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_uid")

    op.drop_table("audit_log")
