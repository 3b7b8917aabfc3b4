"""Opening a database: create, reopen, migrate, refuse — and never touch a refused file."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from incidentlog.domain.errors import ReadOnlyError, StorageError
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.backup import backup_database, list_backups, verify_backup
from incidentlog.store.database import head_revision, open_database
from incidentlog.store.file_format import APPLICATION_ID
from incidentlog.store.schema import Base


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_incident(services: Services, title: str = "Rocket attack on al-Assad") -> str:
    incident = Incident(title=title, occurred=parse_local("2024-01-20", "Asia/Baghdad"),
                        country="IQ", summary="rockets launched at the base")
    uid = services.incidents.create(incident).record.meta.uid
    assert uid is not None
    return uid


def test_a_new_path_is_created_at_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.sqlite3"
    with open_database(path) as db, db.read() as connection:
        assert connection.exec_driver_sql("PRAGMA application_id").scalar() == APPLICATION_ID
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert version == head_revision()
        kinds = connection.exec_driver_sql("SELECT DISTINCT kind FROM vocabulary").scalars().all()
        assert {"event_type", "weapon", "perpetrator", "tag"} <= set(kinds)
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))
                  ) == ["new.sqlite3"]


def test_the_migrations_create_exactly_the_mapped_schema(database) -> None:  # type: ignore[no-untyped-def]
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    # The FTS5 shadow tables are SQL-only and expected; nothing else may differ.
    unexpected = [d for d in differences
                  if not (d[0] == "remove_table" and d[1].name.startswith("incident_fts"))]
    assert unexpected == []


def test_reopen_keeps_the_data(db_path: Path) -> None:
    with open_database(db_path) as db:
        uid = add_incident(Services(db, "a"))
    with open_database(db_path) as db:
        assert Services(db, "b").incidents.get(uid).title == "Rocket attack on al-Assad"


def test_an_empty_file_becomes_a_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    with open_database(path) as db:
        assert Services(db).incident_query.count() == 0


def refused_unchanged(path: Path, match: str, *, read_only: bool = False) -> None:
    before = sha256(path)
    with pytest.raises(StorageError, match=match):
        open_database(path, read_only=read_only)
    assert sha256(path) == before
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


def test_a_text_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("These are my notes, not a database.\n" * 10)
    refused_unchanged(path, "not an SQLite file")


def test_another_applications_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    connection.execute("INSERT INTO moz_places (url) VALUES ('https://example.org')")
    connection.commit()
    connection.close()
    refused_unchanged(path, "another application")


def test_a_newer_schema_is_refused_untouched(db_path: Path) -> None:
    with open_database(db_path):
        pass
    connection = sqlite3.connect(db_path)
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    refused_unchanged(db_path, "newer version of incidentlog")
    refused_unchanged(db_path, "newer version of incidentlog", read_only=True)


def test_a_damaged_file_is_refused_untouched(db_path: Path) -> None:
    with open_database(db_path) as db:
        services = Services(db)
        for number in range(200):
            add_incident(services, f"Incident number {number} " + "x" * 200)
        with db.read() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db_path.read_bytes())
    page = 4096
    data[page * 3 + 100 : page * 3 + 400] = b"\xde\xad\xbe\xef" * 75  # garbage inside a page
    db_path.write_bytes(bytes(data))
    refused_unchanged(db_path, "damaged")


def test_a_truncated_file_is_refused_untouched(db_path: Path) -> None:
    with open_database(db_path) as db:
        services = Services(db)
        for number in range(100):
            add_incident(services, f"Incident {number} " + "y" * 300)
        with db.read() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    refused_unchanged(db_path, "damaged|malformed|not a database")


def test_an_older_schema_is_backed_up_then_migrated(db_path: Path, tmp_path: Path) -> None:
    with open_database(db_path):
        pass
    # Take the file back to before the first migration: ours, but no schema yet.
    from alembic import command

    from incidentlog.store.database import _alembic_config, _make_engine

    engine, _ = _make_engine(db_path, read_only=False)
    with engine.execution_options(write=True).connect() as connection, connection.begin():
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    engine.dispose()
    backups = tmp_path / "backups"
    with open_database(db_path, backup_dir=backups) as db:
        assert Services(db).incident_query.count() == 0
        with db.read() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar() == head_revision()
    made = list_backups(db_path, backups)
    assert [info.reason for info in made] == ["pre-migration"]
    verify_backup(made[0].path)


def test_an_older_schema_is_not_migrated_read_only(db_path: Path) -> None:
    with open_database(db_path):
        pass
    connection = sqlite3.connect(db_path)
    connection.execute("DELETE FROM alembic_version")
    connection.commit()
    connection.close()
    refused_unchanged(db_path, "older incidentlog", read_only=True)


def test_read_only_refuses_every_write_and_leaves_the_file(db_path: Path) -> None:
    with open_database(db_path) as db:
        uid = add_incident(Services(db))
        with db.read() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before = sha256(db_path)
    with open_database(db_path, read_only=True) as db:
        services = Services(db)
        assert db.read_only and services.read_only
        assert services.incidents.get(uid).country == "IQ"
        with pytest.raises(ReadOnlyError):
            add_incident(services)
        with pytest.raises(ReadOnlyError):
            services.incidents.delete(uid)
        # Even SQL that slips past the services is refused by SQLite itself.
        with pytest.raises(ReadOnlyError), db.read() as connection:
            connection.exec_driver_sql("DELETE FROM incident")
    assert sha256(db_path) == before


def test_read_only_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no database"):
        open_database(tmp_path / "missing.sqlite3", read_only=True)
    assert not (tmp_path / "missing.sqlite3").exists()


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="folder"):
        open_database(tmp_path)


def test_backup_is_verified_and_rotated(db_path: Path, tmp_path: Path) -> None:
    with open_database(db_path) as db:
        add_incident(Services(db))
    folder = tmp_path / "rotating"
    made = [backup_database(db_path, backup_dir=folder, reason="auto", keep=2) for _ in range(3)]
    remaining = list_backups(db_path, folder)
    assert [info.path for info in remaining] == [made[2], made[1]]
    with open_database(made[2], read_only=True) as copy:
        assert Services(copy).incident_query.count() == 1


def test_backup_never_overwrites_its_source(db_path: Path) -> None:
    with open_database(db_path):
        pass
    with pytest.raises(StorageError, match="cannot overwrite"):
        backup_database(db_path, out=db_path)


def test_the_daily_backup_is_made_only_when_due(db_path: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from incidentlog.store.backup import backup_if_due

    with open_database(db_path):
        pass
    folder = tmp_path / "daily"
    first = backup_if_due(db_path, backup_dir=folder)
    assert first is not None and first.exists()
    assert backup_if_due(db_path, backup_dir=folder) is None
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    assert backup_if_due(db_path, backup_dir=folder, now=later) is not None
    assert len(list_backups(db_path, folder)) == 2


def test_a_damaged_file_can_be_replaced_by_its_newest_good_backup(db_path: Path,
                                                                  tmp_path: Path) -> None:
    from incidentlog.store.backup import backup_counts
    from incidentlog.store.restore import newest_good_backup, restore_backup

    folder = tmp_path / "bk"
    with open_database(db_path) as db:
        add_incident(Services(db))
    good = backup_database(db_path, backup_dir=folder, reason="daily")
    bad = backup_database(db_path, backup_dir=folder, reason="daily")
    bad.write_bytes(b"garbage" * 100)  # the newest backup is itself damaged
    db_path.write_bytes(db_path.read_bytes()[:5000])  # and so is the database
    with pytest.raises(StorageError):
        open_database(db_path)
    offer = newest_good_backup(db_path, folder)
    assert offer is not None and offer.path == good
    assert backup_counts(good)["incident"] == 1
    aside = restore_backup(good, db_path)
    assert aside is not None and aside.exists() and aside.stat().st_size == 5000
    with open_database(db_path) as db:
        assert Services(db).incident_query.count() == 1


def test_a_database_of_the_first_schema_is_backed_up_and_migrated_with_its_data(
    db_path: Path, tmp_path: Path
) -> None:
    """0001 (no periods) → head: the data stays, a verified backup of the old file exists."""
    from alembic import command

    from incidentlog.store.database import _alembic_config, _make_engine

    with open_database(db_path) as db:
        uid = add_incident(Services(db))
    engine, _ = _make_engine(db_path, read_only=False)
    with engine.execution_options(write=True).connect() as connection, connection.begin():
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    engine.dispose()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    backups = tmp_path / "bk"
    with open_database(db_path, backup_dir=backups) as db:
        services = Services(db)
        assert services.incidents.get(uid).country == "IQ"
        assert services.periods.list() == []
    [made] = list_backups(db_path, backups)
    with sqlite3.connect(made.path) as old:
        assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert old.execute("SELECT count(*) FROM incident").fetchone() == (1,)


def test_stale_partial_backups_are_cleaned_up_recent_ones_kept(db_path: Path,
                                                               tmp_path: Path) -> None:
    import os
    import time

    with open_database(db_path):
        pass
    folder = tmp_path / "bk"
    folder.mkdir()
    stale = folder / ".log-old.sqlite3.partial"
    recent = folder / ".log-now.sqlite3.partial"
    for leftover in (stale, recent):
        leftover.write_bytes(b"half a backup")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    backup_database(db_path, backup_dir=folder)
    assert not stale.exists() and recent.exists()


def test_the_revisions_read_from_file_names_are_alembics() -> None:
    """Start-up reads the revisions from the file names, without importing Alembic."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from incidentlog.store.database import MIGRATIONS, head_revision, known_revisions

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert known_revisions() == {rev.revision for rev in script.walk_revisions()}
    assert head_revision() == script.get_current_head()
