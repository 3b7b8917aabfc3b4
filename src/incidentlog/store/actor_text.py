"""``incident.actor_text``: the names and aliases of an incident's actors, for the search.

The full-text search reads an incident's own columns (FTS5's external content on
SQLite, the stored ``search_document`` on PostgreSQL); an incident's actors live in
other tables. ``actor_text`` brings them into the incident row: every name and
alias of every actor of the incident, and of whoever attributes it, once each, in
byte order, separated by spaces (NULL when it has none). So "Pentagon" (who
attributes) and "IRI" (an alias of the claimant) find the al-Assad incident.

The database keeps it, by triggers (migration 0012): whatever writes an incident's
actors, renames an actor, or adds, changes or removes an alias (a save, an import,
a merge, the vocabulary's own editing, a ``copy``, the ``sqlite3`` shell), the
incidents concerned get their text again in the same statement. One mechanism, in
SQL, that no writer in Python can forget. It is derived, like the FTS index: not a
field of the record, never audited, replayed or fingerprinted (store/replay.py,
store/lineage.py), never exported.

On SQLite the triggers are per row (SQLite has no other kind); on PostgreSQL per
statement, over the transition tables, so that an import's batch updates each
incident once.
"""

from __future__ import annotations

#: The column, and the FTS columns with it (the order is the FTS5 table's).
COLUMN = "actor_text"
FTS_COLUMNS = ("ref", "title", "summary", "place", "admin1", "perpetrator", "target",
               "weapons", "event_type", COLUMN)


def _words(incident: str) -> str:
    """The names and aliases of the actors of the incident whose id is ``incident``
    (an SQL expression), one a row, in a column ``word``."""
    return f"""SELECT a.name AS word FROM incident_actor ia
                JOIN actor a ON a.id = ia.actor_id OR a.id = ia.attributed_by_id
                WHERE ia.incident_id = {incident}
               UNION
               SELECT al.alias FROM incident_actor ia
                JOIN actor_alias al ON al.actor_id = ia.actor_id
                                    OR al.actor_id = ia.attributed_by_id
                WHERE ia.incident_id = {incident}"""


def sqlite_text(incident: str) -> str:
    """The actor text of ``incident`` as a SQLite expression (byte order: BINARY)."""
    return f"(SELECT group_concat(word, ' ') FROM ({_words(incident)} ORDER BY 1))"


def postgres_text(incident: str) -> str:
    """The same on PostgreSQL: "C" order is SQLite's byte order, so a log copied from a
    file keeps the same text, and a copy's triggers find nothing to change."""
    return (f"(SELECT string_agg(word, ' ' ORDER BY word COLLATE \"C\") "
            f"FROM ({_words(incident)}) AS words)")


def _incidents_of_actors(actor_ids: str) -> str:
    return (f"SELECT incident_id FROM incident_actor WHERE actor_id IN ({actor_ids}) "
            f"OR attributed_by_id IN ({actor_ids})")


def _sqlite_refresh(ids: str, *, guarded: bool = True) -> str:
    # Where the text is already right the row is left alone, and its FTS entry with it (a
    # copy from a server brings the text with the incident, before its actors).
    fresh = sqlite_text("incident.id")
    guard = f" AND {COLUMN} IS NOT {fresh}" if guarded else ""
    return f"UPDATE incident SET {COLUMN} = {fresh} WHERE id IN ({ids}){guard};"


#: (trigger name, what fires it, the incidents whose text it refreshes).
_SQLITE_TRIGGERS = (
    ("actor_text_link_insert", "AFTER INSERT ON incident_actor", "new.incident_id"),
    ("actor_text_link_delete", "AFTER DELETE ON incident_actor", "old.incident_id"),
    ("actor_text_link_update", "AFTER UPDATE ON incident_actor",
     "old.incident_id, new.incident_id"),
    ("actor_text_actor_rename", "AFTER UPDATE OF name ON actor",
     _incidents_of_actors("old.id, new.id")),
    ("actor_text_alias_insert", "AFTER INSERT ON actor_alias",
     _incidents_of_actors("new.actor_id")),
    ("actor_text_alias_delete", "AFTER DELETE ON actor_alias",
     _incidents_of_actors("old.actor_id")),
    ("actor_text_alias_update", "AFTER UPDATE ON actor_alias",
     _incidents_of_actors("old.actor_id, new.actor_id")),
)


def sqlite_fill() -> str:
    """Every incident's actor text (a migration; before the FTS index is rebuilt)."""
    return _sqlite_refresh("SELECT incident_id FROM incident_actor", guarded=False)


def sqlite_triggers() -> list[str]:
    return [f"CREATE TRIGGER {name} {event} BEGIN {_sqlite_refresh(ids)} END"
            for name, event, ids in _SQLITE_TRIGGERS]


def sqlite_drop_triggers() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name, _, _ in _SQLITE_TRIGGERS]


# --- PostgreSQL ---------------------------------------------------------------------------

#: The function that sets the text of the incidents of an id array, where it changed.
PG_REFRESH = "incident_actor_text_refresh"

#: Per table: which incidents a statement's transition tables (old_rows, new_rows) concern.
_PG_AFFECTED = {
    "incident_actor": {
        "INSERT": "SELECT incident_id FROM new_rows",
        "DELETE": "SELECT incident_id FROM old_rows",
        "UPDATE": "SELECT incident_id FROM old_rows UNION SELECT incident_id FROM new_rows",
    },
    "actor": {
        "UPDATE": _incidents_of_actors("SELECT id FROM new_rows"),
    },
    "actor_alias": {
        "INSERT": _incidents_of_actors("SELECT actor_id FROM new_rows"),
        "DELETE": _incidents_of_actors("SELECT actor_id FROM old_rows"),
        "UPDATE": _incidents_of_actors(
            "SELECT actor_id FROM old_rows UNION SELECT actor_id FROM new_rows"),
    },
}


def _pg_trigger_function(table: str) -> str:
    branches = " ".join(
        f"{'IF' if n == 0 else 'ELSIF'} TG_OP = '{operation}' THEN "
        f"PERFORM {PG_REFRESH}(ARRAY({query}));"
        for n, (operation, query) in enumerate(_PG_AFFECTED[table].items()))
    return f"""CREATE FUNCTION {table}_actor_text() RETURNS trigger LANGUAGE plpgsql
               AS $$ BEGIN {branches} END IF; RETURN NULL; END $$"""


def postgres_statements() -> list[str]:
    """The refresh function, the triggers that call it, and the fill of every incident."""
    statements = [
        # Where the text is already right the row is left alone: no new row version, no
        # search document computed again (a save replaces its actors with the same ones).
        f"""CREATE FUNCTION {PG_REFRESH}(ids integer[]) RETURNS void LANGUAGE sql
            AS $$ UPDATE incident SET {COLUMN} = fresh.text
                  FROM (SELECT wanted.id, {postgres_text('wanted.id')} AS text
                        FROM unnest(ids) AS wanted(id)) AS fresh
                  WHERE incident.id = fresh.id
                    AND incident.{COLUMN} IS DISTINCT FROM fresh.text $$""",
    ]
    for table, operations in _PG_AFFECTED.items():
        statements.append(_pg_trigger_function(table))
        for operation in operations:
            transition = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                          "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[operation]
            statements.append(
                f"""CREATE TRIGGER {table}_actor_text_{operation.lower()} AFTER {operation}
                    ON {table} REFERENCING {transition}
                    FOR EACH STATEMENT EXECUTE FUNCTION {table}_actor_text()""")
    statements.append(
        f"SELECT {PG_REFRESH}(ARRAY(SELECT DISTINCT incident_id FROM incident_actor))")
    return statements


def postgres_drop_statements() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {table}_actor_text_{operation.lower()} ON {table}"
                  for table, operations in _PG_AFFECTED.items() for operation in operations]
    statements += [f"DROP FUNCTION IF EXISTS {table}_actor_text()" for table in _PG_AFFECTED]
    statements.append(f"DROP FUNCTION IF EXISTS {PG_REFRESH}(integer[])")
    return statements
