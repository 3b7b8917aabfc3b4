"""The user-extensible vocabularies that completers and filters read (docs/architecture.md).

The ``vocabulary`` table ships with the defaults of ``resources/vocabularies.json``
(kinds ``event_type``, ``weapon``, ``perpetrator``, ``tag``) and grows as users
extend it. Reading it is all the forms need; editing it belongs elsewhere.
"""

from __future__ import annotations

from incidentlog.store.actors import actor_vocabulary, actors_in_use, name_of_alias
from incidentlog.store.database import Database
from incidentlog.store.records import vocabulary_values

#: The kinds the table holds.
VOCABULARY_KINDS = ("event_type", "weapon", "perpetrator", "tag")


class VocabularyQuery:
    """Read one vocabulary, sorted the way a person scans a list (case-insensitive)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def actors(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every actor's name and its aliases (store/actors.py), sorted by name."""
        with self._db.read() as connection:
            return actor_vocabulary(connection)

    def actors_in_use(self) -> list[str]:
        """The actors of live incidents (the filter's choices)."""
        with self._db.read() as connection:
            return actors_in_use(connection)

    def search_text(self, text: str | None) -> str | None:
        """What a search for ``text`` looks for: an actor's alias ("IRI") is searched as the
        actor's name (Islamic Resistance in Iraq), which the incidents hold."""
        if not text:
            return text
        with self._db.read() as connection:
            return name_of_alias(connection, text) or text

    def vocabulary(self, kind: str) -> list[str]:
        """The values of ``kind`` (e.g. ``event_type``); empty for an unknown kind."""
        with self._db.read() as connection:
            return vocabulary_values(connection, kind)
