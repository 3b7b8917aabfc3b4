"""Word searches answer the same rows whichever plan the cost model picks.

The plans (store/queries.py, ``TextPlan``) differ only in speed: looking each
match up and sorting, walking the sort column's index against a list of the
matches, or walking it and probing the full-text index row by row. Each is
forced here on a generated log, with trashed rows, and compared with the
plain plan SQLite picks by itself; the prefix of the last word is spelled out
as the index's terms only when that gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bench.generate import generate
from incidentlog.domain.query import IncidentFilter, Sort
from incidentlog.store import queries
from incidentlog.store.database import Database, open_database

WORDS = ["attack", "attac", "Lemonnier", "Erbil rocket", "قاعدة", "nosuchword", "a", "al"]
SORTS = [Sort("occurred_at", descending=True), Sort("title"), Sort("country"),
         Sort("killed", descending=True)]


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("plans") / "log.sqlite3"
    generate(path, incidents=1_500, seed=11, report=False)
    with open_database(path) as database:
        with database.write() as connection:  # some of the log in the trash
            connection.exec_driver_sql(
                "UPDATE incident SET deleted_at = '2026-01-01T00:00:00Z' WHERE id % 37 = 0")
        yield database


def reference(database: Database, flt: IncidentFilter, sort: Sort) -> list[int]:
    """The rows as SQLite's own plan for the prefix query gives them."""
    with database.read() as connection:
        query = queries.select(queries.incident_table.c.id).where(
            *queries.incident_conditions(flt, database.backend)
        ).order_by(*queries._sort_columns(sort))
        return [row[0] for row in connection.execute(query)]


def forced(database: Database, flt: IncidentFilter, sort: Sort, kind: str,
           monkeypatch: pytest.MonkeyPatch, limit: int | None) -> list[int]:
    original = queries.text_plan

    def plan(*args: object, **kwargs: object) -> queries.TextPlan | None:
        found = original(*args, **kwargs)  # type: ignore[arg-type]
        if found is None or kind == "own":
            return found
        index = queries.SORT_INDEXES.get(sort.column)
        if kind == "lookup" or index is None:
            return replace(found, probe=False, walk=None)
        return replace(found, probe=kind == "probe", walk=index)

    with monkeypatch.context() as patch:
        patch.setattr(queries, "text_plan", plan)
        with database.read() as connection:
            if limit is None:
                return [i for chunk in queries.incident_ids(connection, flt, sort,
                                                             database.backend) for i in chunk]
            return queries.incident_page(connection, flt, sort, database.backend, limit=limit)


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("sort", SORTS, ids=lambda s: f"{s.column}{'-' if s.descending else ''}")
def test_every_plan_gives_the_rows_of_sqlites_own(
        log: Database, word: str, sort: Sort, monkeypatch: pytest.MonkeyPatch) -> None:
    flt = IncidentFilter(text=word)
    expected = reference(log, flt, sort)
    for kind in ("own", "lookup", "list", "probe"):
        assert forced(log, flt, sort, kind, monkeypatch, None) == expected, kind
        assert forced(log, flt, sort, kind, monkeypatch, 50) == expected[:50], kind
    with log.read() as connection:
        assert queries.count_incidents(connection, flt, log.backend) == len(expected)
        assert queries.incident_page(connection, flt, sort, log.backend, limit=50,
                                     with_count=True) == (expected[:50], len(expected))


def test_the_count_leaves_out_the_trash_however_large(
        log: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    flt = IncidentFilter(text="attack")
    expected = len(reference(log, flt, Sort()))
    with log.read() as connection:
        assert queries.count_incidents(connection, flt, log.backend) == expected
        monkeypatch.setattr(queries, "MAX_TRASH_PROBES", 0)  # the join instead of probes
        assert queries.count_incidents(connection, flt, log.backend) == expected
        trashed = queries.count_incidents(connection, replace(flt, deleted=True), log.backend)
    assert 0 < trashed < expected


def test_the_cost_model_picks_by_how_many_rows_match(log: Database) -> None:
    with log.read() as connection:
        def plan(word: str, wanted: int | None) -> queries.TextPlan:
            found = queries.text_plan(connection, IncidentFilter(text=word),
                                      Sort("occurred_at", descending=True), log.backend, wanted)
            assert found is not None
            return found

        common = plan("attack", 200)
        assert common.matches and common.matches > 1_000
        assert common.walk == "ix_incident_occurred"  # a list at this size (see below)
        rare = plan("nosuchword", 200)
        assert rare.matches == 0 and rare.walk is None
        # Words and other conditions: SQLite's own plan, no count ahead.
        mixed = queries.text_plan(connection, IncidentFilter(text="attack", countries=("IQ",)),
                                  Sort(), log.backend, 200)
        assert mixed is not None and mixed.matches is None and mixed.walk is None


@pytest.mark.parametrize(("matches", "wanted", "plan"), [
    (847_063, 200, "probe"),  # "attack" in most rows: 12 ms against 400 ms for the list
    (66_764, 200, "list"),  # a word in one row in fifteen
    (1_000, 200, "lookup"),  # a rare word: look up the thousand and sort them
    (0, 200, "lookup"),
    (847_063, None, "list"),  # every id: never one probe per row
    (66_764, None, "lookup"),
])
def test_the_plans_for_a_million_incidents(matches: int, wanted: int | None, plan: str) -> None:
    assert queries.cheapest_plan(matches, 1_000_000, wanted) == plan


def test_the_last_prefix_is_spelled_out_as_the_terms_of_the_index(log: Database) -> None:
    backend = log.backend
    with log.read() as connection:
        spelled = backend.text_search(connection, "attac")
        assert spelled is not None and '"attack"' in spelled and "*" not in spelled
        assert backend.text_search(connection, "attack ") == '"attack"'  # a whole word
        assert backend.text_search(connection, "nosuchw") == '"nosuchw"*'  # no term: as typed
        assert backend.text_search(connection, "قاعد") == '"قاعد"*'  # only ASCII is folded
        many = backend.text_search(connection, "a")  # one letter: a whole word (fts_query)
        assert many == '"a"'
        two = backend.text_search(connection, "al")
        assert two in ('"al"', '"al"*') or (two or "").startswith('("al')


def test_a_database_without_the_vocabulary_keeps_prefix_queries(tmp_path: Path) -> None:
    # As a log from before migration 0003 opened read-only: no vocabulary table.
    with open_database(tmp_path / "new.sqlite3") as database, database.write() as connection:
        assert database.backend.text_search(connection, "attac") == '"attac"*'  # no such term
        connection.exec_driver_sql("DROP TABLE incident_fts_vocab")
        assert database.backend.text_search(connection, "attac") == '"attac"*'
