"""Saved views: a named filter + sort + columns stored in the log, audited, read forgivingly."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incidentlog.domain.enums import Status
from incidentlog.domain.errors import ConflictError, ValidationError
from incidentlog.domain.query import IncidentFilter, Sort
from incidentlog.domain.records import Incident
from incidentlog.domain.saved_views import (
    SavedView,
    filter_from_json,
    filter_to_json,
    sort_from_json,
)
from incidentlog.domain.when import parse_local
from incidentlog.services import Changes, Services
from incidentlog.store.database import head_revision, open_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

FULL_FILTER = IncidentFilter(
    text="al-Assad rocket",
    since=datetime(2024, 1, 1, tzinfo=UTC),
    until=datetime(2024, 2, 1, 12, 30, tzinfo=UTC),
    countries=("IQ", "SY"),
    event_types=("rocket attack",),
    statuses=(Status.VERIFIED, Status.IN_REVIEW),
    tags=("us forces",),
    perpetrators=("Islamic Resistance in Iraq",),
    uids=("a", "b"),
    deleted=True,
)
IRAQ = SavedView("Iraq, verified", IncidentFilter(countries=("IQ",), statuses=(Status.VERIFIED,)),
                 Sort("updated_at", descending=True), ("ref", "occurred", "title", "status"))


def test_every_filter_field_goes_to_json_and_back() -> None:
    document = filter_to_json(FULL_FILTER)
    assert document["since"] == "2024-01-01T00:00:00Z"
    assert document["statuses"] == ["verified", "in_review"]
    assert filter_from_json(document) == (FULL_FILTER, [])
    assert filter_to_json(IncidentFilter()) == {}
    assert filter_from_json({}) == (IncidentFilter(), [])


def test_unreadable_content_is_reported_and_skipped_never_raised() -> None:
    flt, problems = filter_from_json({
        "countries": ["IQ"], "mood": "grim", "statuses": ["verified", "pending"],
        "since": "last Tuesday", "tags": "us forces", "deleted": "yes", "text": 7})
    assert flt == IncidentFilter(countries=("IQ",), statuses=(Status.VERIFIED,))
    assert len(problems) == 6
    assert "the filter field 'mood' is unknown and was skipped" in problems
    assert "the status 'pending' is unknown and was skipped" in problems
    assert filter_from_json([1, 2])[0] == IncidentFilter()
    sort, problems = sort_from_json({"column": "colour", "descending": "no"})
    assert sort == Sort() and len(problems) == 2


def test_create_list_rename_update_delete_restore_audited(services: Services) -> None:
    seen: list[Changes] = []
    services.notifier.subscribe(seen.append)
    view = services.saved_views.create(IRAQ).record
    assert view.meta.uid and view.meta.version == 1 and view.problems == ()
    assert (view.filter, view.sort, view.columns) == (IRAQ.filter, IRAQ.sort, IRAQ.columns)
    assert seen[-1] == Changes(views=frozenset({view.meta.uid}), rows_changed=True)
    services.saved_views.create(SavedView("all of Syria", IncidentFilter(countries=("SY",))))
    assert [v.name for v in services.saved_views.list()] == ["all of Syria", "Iraq, verified"]
    renamed = services.saved_views.rename(view.meta.uid, "Iraq ✓", view.meta.version).record
    with pytest.raises(ConflictError):
        services.saved_views.rename(view.meta.uid, "Stale", view.meta.version)
    updated = services.saved_views.update(
        replace(renamed, sort=Sort("title"), columns=("ref", "title"))).record
    assert (updated.name, updated.sort, updated.columns) == ("Iraq ✓", Sort("title"),
                                                             ("ref", "title"))
    services.saved_views.delete(view.meta.uid)
    assert [v.name for v in services.saved_views.list()] == ["all of Syria"]
    assert [i.record.name for i in services.saved_views.trash().items] == ["Iraq ✓"]
    services.saved_views.restore(view.meta.uid)
    history = services.incident_query.history(view.meta.uid)
    assert [e.action for e in history] == ["create", "update", "update", "delete", "restore"]
    assert history[0].kind == "saved_view"
    # The documents as stored (canonical JSON): what incidentlog check replays.
    assert history[0].changes["filter_json"] == [
        None, '{"countries":["IQ"],"statuses":["verified"]}']
    assert history[2].changes == {
        "sort_json": ['{"column":"updated_at","descending":true}',
                      '{"column":"title","descending":false}'],
        "columns_json": ['["ref","occurred","title","status"]', '["ref","title"]']}


def test_a_view_is_checked_when_saved(services: Services) -> None:
    services.saved_views.create(IRAQ)
    with pytest.raises(ValidationError) as refused:
        services.saved_views.create(SavedView("  ", sort=Sort("colour"),
                                              columns=("ref", "mood")))
    assert set(refused.value.fields) == {"name", "sort", "columns"}
    with pytest.raises(ValidationError, match="already exists"):
        services.saved_views.create(replace(IRAQ, name="IRAQ, VERIFIED"))


@pytest.mark.file_only  # edits the SQLite file around incidentlog
def test_a_stored_view_with_content_this_version_cannot_read_still_loads(
    db_path: Path, services: Services
) -> None:
    uid = services.saved_views.create(IRAQ).record.meta.uid
    services.database.close()
    with sqlite3.connect(db_path) as raw:  # as a newer version, or another tool, wrote it
        raw.execute("UPDATE saved_view SET filter_json = ?, sort_json = ?, columns_json = ?",
                    ('{"countries": ["IQ"], "radius_km": 50}', "{not json",
                     '["ref", "threat_level"]'))
    with open_database(db_path) as db:
        [view] = Services(db).saved_views.list()
        assert view.meta.uid == uid
        assert (view.filter, view.sort, view.columns) == (
            IncidentFilter(countries=("IQ",)), Sort(), ("ref",))
        assert view.problems == (
            "the stored sort order is not JSON and was skipped",
            "the filter field 'radius_km' is unknown and was skipped",
            "the column 'threat_level' is unknown and was skipped",
        )


def test_a_log_of_the_previous_format_is_migrated_and_gains_saved_views(
    db_path: Path, tmp_path: Path
) -> None:
    """0003 → head: the incidents stay, there are no saved views, and one can be made."""
    from alembic import command

    from incidentlog.store.database import _alembic_config, _make_engine
    with open_database(db_path) as db:
        uid = Services(db).incidents.create(Incident(
            title="Rocket attack on al-Assad", occurred=parse_local("2024-01-20", "Asia/Baghdad"),
            country="IQ")).record.meta.uid or ""
    engine, _ = _make_engine(db_path, read_only=False)
    with engine.execution_options(write=True).connect() as connection, connection.begin():
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    engine.dispose()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master")}
        assert "saved_view" not in tables
    with open_database(db_path, backup_dir=tmp_path / "bk") as db:
        services = Services(db)
        with db.read() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar() == head_revision()  # 0004 and every later one
        assert services.incidents.get(uid).country == "IQ"
        assert services.saved_views.list() == []
        services.saved_views.create(IRAQ)
        assert [v.name for v in services.saved_views.list()] == ["Iraq, verified"]


@pytest.mark.file_only  # edits the SQLite file around incidentlog
def test_check_finds_a_view_changed_around_incidentlog(db_path: Path, services: Services) -> None:
    from incidentlog.store.check import check_database

    uid = services.saved_views.create(IRAQ).record.meta.uid
    services.saved_views.update(replace(services.saved_views.get(uid or ""), sort=Sort("title")))
    assert check_database(services.database) == []
    services.database.close()
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE saved_view SET columns_json = '[\"ref\"]'")
    with open_database(db_path) as db:
        [problem] = check_database(db)
    assert f"saved_view uid {uid}: columns_json: is '[\"ref\"]'" in problem
