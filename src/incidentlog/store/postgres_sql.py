"""The SQL that only PostgreSQL has: the full-text expression, triggers, identity, roles.

The first migration runs ``schema_statements`` on a server (its SQLite branch makes
the FTS5 table and SQLite triggers instead). What is written here is part of the
schema of every server log: a change to it needs a new migration, not an edit.

- Full-text search: ``incident_document(ref, title, …)`` is the ``tsvector`` of an
  incident's text with the ``simple`` configuration (no stemming, no stop words:
  English and Arabic words in one log are indexed alike), accents folded by
  ``unaccent`` where the server has it and punctuation read as spaces, as FTS5's
  ``unicode61 remove_diacritics 2`` tokenizer does. Since migration 0012 it is
  stored in the column ``search_document`` (its actors' names too,
  store/actor_text.py) and a GIN index on that column answers ``@@``, prefixes
  included (docs/team.md).
- ``audit_log`` refuses UPDATE, DELETE and TRUNCATE (a trigger, as on SQLite).
- ``incidentlog_changed`` NOTIFYs channel ``incidentlog`` after each statement that
  changes a record table, naming the table, the operation and the uids changed
  (``*`` when more than ``NOTIFY_UIDS``), so that another connection can LISTEN
  and refresh what it shows.
- ``incident_back_to_draft`` lets only a lead (or a superuser) take an incident
  that another login verified back to review or draft (re-open, or undo of the
  verification): the review of a colleague is not undone by an officer,
  whatever the application does. Disputing it stays open to all who edit.
- ``blob`` and ``blob_chunk`` keep the evidence bytes (docs/evidence.md): a blob row
  seals its chunks, which from then on can be neither added to, changed nor removed;
  a blob row is never changed, and removed (by a lead's purge) only once no attachment
  names it.
- ``incidentlog_identity`` holds the application id ("ILOG", as SQLite's
  ``PRAGMA application_id``): a database without it is another application's.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from incidentlog.store.file_format import APPLICATION_ID

FTS_COLUMNS = ("ref", "title", "summary", "place", "admin1", "perpetrator", "target",
               "weapons", "event_type")
#: The expression the first schema's GIN index was built on (0001). Since 0012 the document
#: is stored (``SEARCH_COLUMN``, over ``store.actor_text.FTS_COLUMNS``) and indexed there.
DOCUMENT = f"incident_document({', '.join(f'incident.{c}' for c in FTS_COLUMNS)})"
IDENTITY_TABLE = "incidentlog_identity"
NOTIFY_CHANNEL = "incidentlog"
NOTIFY_UIDS = 50
#: The tables whose changes are announced on ``NOTIFY_CHANNEL``.
NOTIFIED_TABLES = ("incident", "source", "quote", "period", "saved_view")


def _word_functions(schema: str, unaccent_schema: str | None) -> list[str]:
    folded = (f'"{unaccent_schema}".unaccent(\'"{unaccent_schema}".unaccent\'::regdictionary, $1)'
              if unaccent_schema else "$1")
    return [
        # Accents folded (the query's words go through this too).
        f"""CREATE FUNCTION incidentlog_fold(text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT {folded} $$""",
        # Folded, and punctuation read as space ("al-Assad", "example.com": two words each).
        f"""CREATE FUNCTION incidentlog_words(text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT regexp_replace("{schema}".incidentlog_fold($1), '[[:punct:]]+', ' ', 'g')
            $$""",
    ]


def _unaccent_schema(connection: Connection) -> str | None:
    """Where ``unaccent`` is (created here when the server has it), or None."""
    available = connection.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'").first()
    if available is None:
        return None
    connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    row = connection.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
    ).first()
    return None if row is None else str(row[0]).strip('"')


def schema_statements(connection: Connection) -> list[str]:
    """What the first migration runs on PostgreSQL after creating the tables."""
    schema = str(connection.exec_driver_sql("SELECT current_schema()").scalar_one())
    statements = [
        *_word_functions(schema, _unaccent_schema(connection)),
        document_function(schema, FTS_COLUMNS),
        f"CREATE INDEX ix_incident_fts ON incident USING gin ({DOCUMENT.replace('incident.', '')})",
        """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$""",
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
        """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
        f"""CREATE FUNCTION incidentlog_changed() RETURNS trigger LANGUAGE plpgsql
            AS $$
            DECLARE
                uids text;
                n integer;
            BEGIN
                SELECT count(*), string_agg(uid, ',')
                  INTO n, uids FROM (SELECT uid FROM changed LIMIT {NOTIFY_UIDS + 1}) AS few;
                IF n > 0 THEN
                    PERFORM pg_notify('{NOTIFY_CHANNEL}', TG_TABLE_NAME || ' ' || lower(TG_OP)
                        || ' ' || CASE WHEN n > {NOTIFY_UIDS} THEN '*' ELSE uids END);
                END IF;
                RETURN NULL;
            END $$""",
        f"""CREATE FUNCTION incident_back_to_draft() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN
                IF OLD.status = 'verified' AND NEW.status IN ('in_review', 'draft')
                   AND OLD.updated_by IS DISTINCT FROM current_user
                   AND NOT pg_has_role(current_user, '{LEAD}', 'MEMBER')
                   AND NOT EXISTS (SELECT 1 FROM pg_roles
                                   WHERE rolname = current_user AND rolsuper) THEN
                    RAISE EXCEPTION 'permission denied: only a lead may take an incident '
                        'another user verified back to review or draft'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$""",
        """CREATE TRIGGER incident_verified_back_to_draft BEFORE UPDATE OF status ON incident
            FOR EACH ROW EXECUTE FUNCTION incident_back_to_draft()""",
        f"CREATE TABLE {IDENTITY_TABLE} (application_id integer NOT NULL)",
        f"INSERT INTO {IDENTITY_TABLE} (application_id) VALUES ({APPLICATION_ID})",
    ]
    for table in ("incident", "source", "quote"):  # the others come with their migrations
        statements.extend(notify_statements(table))
    statements.extend(nulls_first_statements(("ix_incident_place", "place"),
                                             ("ix_incident_perpetrator", "perpetrator")))
    return statements


def document_function(schema: str, columns: tuple[str, ...], cost: int | None = None) -> str:
    """``incident_document(…)``: the ``tsvector`` of the texts ``columns`` name."""
    parameters = ", ".join(f"{column} text" for column in columns)
    arguments = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"""CREATE FUNCTION incident_document({parameters}) RETURNS tsvector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE{f' COST {cost}' if cost else ''}
            AS $$ SELECT to_tsvector('pg_catalog.simple'::regconfig,
                "{schema}".incidentlog_words(concat_ws(' ', {arguments}))) $$"""


#: The stored document (migration 0012): what the search reads and its GIN index holds.
SEARCH_COLUMN = "search_document"
#: 0.28 ms a row on the benchmark's server: ~100,000 times an operator (cpu_operator_cost),
#: so that a plan that would compute it again, rather than read the stored column, is
#: priced as the dear thing it is.
DOCUMENT_COST = 100_000


def search_column_statements(schema: str, columns: tuple[str, ...]) -> list[str]:
    """The index over ``incident_document(columns)`` replaced by a stored column of it and
    a GIN index on that column (migration 0012): no plan computes the document again,
    neither to check a lossy bitmap's rows nor to filter rows walked in another index's
    order (docs/performance.md, "Team server")."""
    old = ", ".join("text" for _ in FTS_COLUMNS)
    return [
        "DROP INDEX IF EXISTS ix_incident_fts",
        f"DROP FUNCTION IF EXISTS incident_document({old})",
        document_function(schema, columns, DOCUMENT_COST),
        f"""ALTER TABLE incident ADD COLUMN {SEARCH_COLUMN} tsvector
            GENERATED ALWAYS AS (incident_document({', '.join(columns)})) STORED""",
        f"CREATE INDEX ix_incident_fts ON incident USING gin ({SEARCH_COLUMN})",
    ]


def search_column_drop_statements(schema: str, columns: tuple[str, ...]) -> list[str]:
    """Back to the expression index of the first schema (0012's downgrade)."""
    return [
        "DROP INDEX IF EXISTS ix_incident_fts",
        f"ALTER TABLE incident DROP COLUMN IF EXISTS {SEARCH_COLUMN}",
        f"DROP FUNCTION IF EXISTS incident_document({', '.join('text' for _ in columns)})",
        document_function(schema, FTS_COLUMNS),
        f"CREATE INDEX ix_incident_fts ON incident USING gin ({DOCUMENT.replace('incident.', '')})",
    ]


def nulls_first_statements(*indexes: tuple[str, str]) -> list[str]:
    """The sort indexes ``(column, id)`` of nullable columns again, NULLS FIRST: the
    table's order (empty values first ascending, as on SQLite) then walks them."""
    statements: list[str] = []
    for name, column in indexes:
        statements += [f"DROP INDEX {name}",
                       f"CREATE INDEX {name} ON incident ({column} NULLS FIRST, id) "
                       "WHERE deleted_at IS NULL"]
    return statements


def notify_statements(table: str) -> list[str]:
    """The triggers that announce the changes of ``table`` on ``NOTIFY_CHANNEL``."""
    return [f"""CREATE TRIGGER {table}_changed_{operation.lower()} AFTER {operation}
                ON {table} REFERENCING {transition} TABLE AS changed
                FOR EACH STATEMENT EXECUTE FUNCTION incidentlog_changed()"""
            for operation, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"),
                                          ("DELETE", "OLD"))]


DROP_STATEMENTS = (
    *(f"DROP TRIGGER IF EXISTS {table}_changed_{operation} ON {table}"
      for table in NOTIFIED_TABLES for operation in ("insert", "update", "delete")),
    "DROP FUNCTION IF EXISTS incidentlog_changed()",
    "DROP TRIGGER IF EXISTS incident_verified_back_to_draft ON incident",
    "DROP FUNCTION IF EXISTS incident_back_to_draft()",
    f"DROP TABLE IF EXISTS {IDENTITY_TABLE}",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
    "DROP INDEX IF EXISTS ix_incident_fts",
    f"DROP FUNCTION IF EXISTS incident_document({', '.join('text' for _ in FTS_COLUMNS)})",
    "DROP FUNCTION IF EXISTS incidentlog_words(text)",
    "DROP FUNCTION IF EXISTS incidentlog_fold(text)",
)

def blob_statements(schema: str) -> list[str]:
    """What migration 0013 runs on a server after creating ``blob`` and ``blob_chunk``.

    Chunks are written under a provisional key while the bytes are hashed, then given
    their hash (an UPDATE of the key only: the bytes stay where TOAST put them) and
    sealed by the blob row, in the same transaction.
    """
    return [
        # Media is mostly compressed already: no attempt to compress it again.
        "ALTER TABLE blob_chunk ALTER COLUMN data SET STORAGE EXTERNAL",
        f"""CREATE FUNCTION blob_sealed() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    RAISE EXCEPTION 'stored evidence is never truncated';
                END IF;
                IF TG_TABLE_NAME = 'blob' THEN
                    IF TG_OP = 'UPDATE' THEN
                        RAISE EXCEPTION 'stored evidence is never rewritten';
                    END IF;
                    IF EXISTS (SELECT 1 FROM "{schema}".attachment
                               WHERE sha256 = OLD.sha256) THEN
                        RAISE EXCEPTION 'the evidence % is still attached to a record',
                            OLD.sha256;
                    END IF;
                    RETURN OLD;
                END IF;
                IF TG_OP <> 'INSERT' AND EXISTS (
                        SELECT 1 FROM "{schema}".blob WHERE sha256 = OLD.sha256) THEN
                    RAISE EXCEPTION 'stored evidence is never rewritten';
                END IF;
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                IF EXISTS (SELECT 1 FROM "{schema}".blob WHERE sha256 = NEW.sha256)
                   OR (TG_OP = 'UPDATE' AND NEW.seq <> OLD.seq) THEN
                    RAISE EXCEPTION 'stored evidence is never rewritten';
                END IF;
                RETURN NEW;
            END $$""",
        """CREATE FUNCTION blob_chunk_data_fixed() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION 'stored evidence is never rewritten'; END $$""",
        """CREATE TRIGGER blob_no_change BEFORE UPDATE OR DELETE ON blob
            FOR EACH ROW EXECUTE FUNCTION blob_sealed()""",
        """CREATE TRIGGER blob_no_truncate BEFORE TRUNCATE ON blob
            FOR EACH STATEMENT EXECUTE FUNCTION blob_sealed()""",
        """CREATE TRIGGER blob_chunk_sealed BEFORE INSERT OR UPDATE OR DELETE ON blob_chunk
            FOR EACH ROW EXECUTE FUNCTION blob_sealed()""",
        """CREATE TRIGGER blob_chunk_no_truncate BEFORE TRUNCATE ON blob_chunk
            FOR EACH STATEMENT EXECUTE FUNCTION blob_sealed()""",
        """CREATE TRIGGER blob_chunk_data BEFORE UPDATE OF data ON blob_chunk
            FOR EACH ROW EXECUTE FUNCTION blob_chunk_data_fixed()""",
    ]


BLOB_DROP_STATEMENTS = (
    "DROP TRIGGER IF EXISTS blob_chunk_data ON blob_chunk",
    "DROP TRIGGER IF EXISTS blob_chunk_no_truncate ON blob_chunk",
    "DROP TRIGGER IF EXISTS blob_chunk_sealed ON blob_chunk",
    "DROP TRIGGER IF EXISTS blob_no_truncate ON blob",
    "DROP TRIGGER IF EXISTS blob_no_change ON blob",
    "DROP FUNCTION IF EXISTS blob_chunk_data_fixed()",
    "DROP FUNCTION IF EXISTS blob_sealed()",
)

# --- roles --------------------------------------------------------------------------------

READER, OFFICER, LEAD = "incidentlog_reader", "incidentlog_officer", "incidentlog_lead"
#: Between reader and officer: comments and verdicts, not the facts (docs/review.md).
REVIEWER = "incidentlog_reviewer"
ROLES = {"reader": READER, "reviewer": REVIEWER, "officer": OFFICER, "lead": LEAD}
#: What a verdict writes of an incident: its status, its credibility, the stamp.
VERDICT_COLUMNS = ("status", "confidence", "version", "updated_at", "updated_by")
#: A reviewer's own records, and the lineage a verdict keeps of the incident it judges.
REVIEW_TABLES = ("comment", "verdict", "record_lineage")
#: Settings of the log itself (the two-person rule): changed by a lead only.
LEAD_TABLES = ("log_setting",)
#: The evidence bytes: an officer adds them (and names a chunk by its hash, as it is
#: sealed), a lead removes those no attachment names when purging; nobody changes them.
BLOB_TABLES = ("blob", "blob_chunk")
#: Tables an officer may DELETE rows of: links and tags are replaced on every save. Records
#: themselves go to the trash (an UPDATE); only a lead may purge them (DELETE).
OFFICER_DELETES = ("incident_tag", "incident_source", "incident_actor", "incident_link",
                   "record_lineage", "vocabulary")


def role_statements(tables: list[str], schema: str) -> list[str]:
    """Create the four roles if missing and grant them what each may do, on ``tables``.

    Each role holds the one before it: reader, reviewer, officer, lead. Idempotent: run
    at every ``init``/migration, so that a table a later migration adds is granted too.
    The audit log takes INSERT from reviewers up, never UPDATE or DELETE (the trigger
    refuses those even to the owner; only the owner can drop it).
    """
    statements = [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN;
            END IF; END $$"""
        for role in (READER, REVIEWER, OFFICER, LEAD)
    ]
    statements += [f"GRANT {READER} TO {REVIEWER}", f"GRANT {REVIEWER} TO {OFFICER}",
                   f"GRANT {OFFICER} TO {LEAD}"]
    statements.append(f"GRANT USAGE ON SCHEMA \"{schema}\" TO {READER}")
    special = ("audit_log", "alembic_version", IDENTITY_TABLE, *LEAD_TABLES, *BLOB_TABLES)
    records = [t for t in tables if t not in special]
    for table in tables:
        statements.append(f"GRANT SELECT ON {table} TO {READER}")
    for table in records:
        deletes = ", DELETE" if table in OFFICER_DELETES else ""
        statements.append(f"GRANT INSERT, UPDATE{deletes} ON {table} TO {OFFICER}")
        if not deletes:
            statements.append(f"GRANT DELETE ON {table} TO {LEAD}")
    for table in (t for t in REVIEW_TABLES if t in tables):
        deletes = ", DELETE" if table in OFFICER_DELETES else ""  # lineage is replaced
        statements.append(f"GRANT INSERT, UPDATE{deletes} ON {table} TO {REVIEWER}")
    if "incident" in tables:
        statements.append(f"GRANT UPDATE ({', '.join(VERDICT_COLUMNS)}) ON incident TO {REVIEWER}")
    for table in (t for t in LEAD_TABLES if t in tables):
        statements.append(f"GRANT INSERT, UPDATE ON {table} TO {LEAD}")
    for table in (t for t in BLOB_TABLES if t in tables):
        statements += [f"GRANT INSERT ON {table} TO {OFFICER}",
                       f"GRANT DELETE ON {table} TO {LEAD}"]
    if "blob_chunk" in tables:
        # The chunks take their hash as they are sealed; on ``blob`` the column grant is
        # what ``SELECT … FOR KEY SHARE`` asks (an attach holds the bytes it reuses against
        # a purge). The triggers refuse any change to sealed bytes whatever the grants.
        statements += [f"GRANT UPDATE (sha256) ON blob_chunk TO {OFFICER}",
                       f"GRANT UPDATE (sha256) ON blob TO {OFFICER}"]
    statements.append(f"GRANT INSERT ON audit_log TO {REVIEWER}")
    statements.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA \"{schema}\" TO {REVIEWER}")
    # A lead restores a log into the server (``copy``), which moves the id sequences on
    # past the copied ids.
    statements.append(f"GRANT UPDATE ON ALL SEQUENCES IN SCHEMA \"{schema}\" TO {LEAD}")
    return statements
