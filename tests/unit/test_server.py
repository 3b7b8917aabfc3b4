"""What only a log on a PostgreSQL server has: identity checks, roles, the audit trigger
and login, two users at once, change notices, the command line on a server.

Against the real test server (tests/pg.py), with real login roles.
"""

from __future__ import annotations

import contextlib
import select
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from incidentlog import cli
from incidentlog.domain.enums import Status
from incidentlog.domain.errors import ConflictError, ReadOnlyError, StorageError
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.audit import verify_chain
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database
from tests.pg import PgServer

AL_ASSAD = Incident(
    title="Iranian-backed militants attack al-Assad Airbase",
    occurred=parse_local("~2024-01-20 18:30", "Asia/Baghdad"),
    place="al-Assad Airbase",
    country="IQ",
    event_type="ballistic missile attack",
    perpetrator="Iranian-backed militants",
    tags=("US forces",),
)


@pytest.fixture
def log(pg_server: PgServer) -> Iterator[str]:
    """A new log's database name (made by the administrator, who owns it)."""
    name = pg_server.log_database()
    yield name
    pg_server.drop_database(name)


@contextlib.contextmanager
def as_login(pg_server: PgServer, log: str, role: str | None, *,
             read_only: bool = False) -> Iterator[Services]:
    """The log opened by a new login given ``role`` (None: no role of the three)."""
    user = pg_server.login_role(role or "nobody")
    if role is not None:
        assert cli.main(["grant", user, role, "--db", pg_server.url(log)]) == 0
    database = open_database(pg_server.url(log, user), read_only=read_only)
    try:
        yield Services(database, actor="ignored on a server")
    finally:
        database.close()


def tables(pg_server: PgServer, name: str) -> list[str]:
    engine = create_engine(make_url(pg_server.url(name)).set(drivername="postgresql+psycopg"),
                           poolclass=NullPool)
    with engine.connect() as connection:
        found = sorted(connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    engine.dispose()
    return found


# --- identity ---------------------------------------------------------------------------


def test_another_applications_database_is_refused_and_left_unchanged(
        pg_server: PgServer) -> None:
    name = pg_server.empty_database()
    pg_server.execute("CREATE TABLE customers (id integer)", name)
    with pytest.raises(StorageError, match="another application"):
        open_database(pg_server.url(name))
    assert tables(pg_server, name) == ["customers"]


def test_a_log_of_a_newer_incidentlog_is_refused_and_left_unchanged(
        pg_server: PgServer, log: str) -> None:
    pg_server.execute("UPDATE alembic_version SET version_num = '9999'", log)
    before = tables(pg_server, log)
    with pytest.raises(StorageError, match="newer version of incidentlog"):
        open_database(pg_server.url(log))
    assert tables(pg_server, log) == before


def test_init_makes_the_schema_in_an_empty_database_through_the_migrations(
        pg_server: PgServer, capsys: pytest.CaptureFixture[str]) -> None:
    name = pg_server.empty_database()
    assert cli.main(["init", "--db", pg_server.url(name)]) == 0
    assert "Created a new log" in capsys.readouterr().out
    assert {"incident", "audit_log", "alembic_version", "incidentlog_identity"} <= set(
        tables(pg_server, name))
    assert cli.main(["init", "--db", pg_server.url(name)]) == 0
    assert "already exists and is ready" in capsys.readouterr().out


# --- roles ------------------------------------------------------------------------------


def test_a_readers_connection_is_read_only_by_itself_and_in_the_database(
        pg_server: PgServer, log: str) -> None:
    with as_login(pg_server, log, "lead") as lead:
        uid = lead.incidents.create(AL_ASSAD).record.meta.uid or ""
    with as_login(pg_server, log, "reader") as reader:
        assert reader.database.read_only
        assert reader.incidents.get(uid).title == AL_ASSAD.title
        with pytest.raises(ReadOnlyError):
            reader.incidents.create(AL_ASSAD)
        # Around the store's own check, the server refuses the reader's writes itself.
        reader.database.read_only = False
        with pytest.raises(ReadOnlyError), reader.database.write() as connection:
            connection.execute(text("UPDATE incident SET title = 'x'"))
        raw = psycopg.connect(make_url(reader.database.engine.url).set(
            drivername="postgresql").render_as_string(hide_password=False))
        with raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE incident SET title = 'x'")


def test_a_login_without_a_role_cannot_read_the_log(pg_server: PgServer, log: str) -> None:
    with pytest.raises(StorageError, match="permission denied"), \
            as_login(pg_server, log, None) as stranger:
        stranger.incidents.get("any")


def test_an_officer_edits_and_trashes_but_only_a_lead_purges(
        pg_server: PgServer, log: str) -> None:
    with as_login(pg_server, log, "officer") as officer:
        assert not officer.database.read_only
        record = officer.incidents.create(AL_ASSAD).record
        uid = record.meta.uid or ""
        officer.incidents.update(replace(record, place="Ain al-Asad"))
        officer.incidents.delete(uid)
        with pytest.raises(StorageError, match="your role may not do this"):
            officer.incidents.purge(uid)
        with pytest.raises(StorageError, match="your role may not do this"):
            officer.incidents.empty_trash()
        assert officer.incidents.trash_count() == 1
    with as_login(pg_server, log, "lead") as lead:
        lead.incidents.empty_trash()
        assert lead.incidents.trash_count() == 0
        assert lead.incidents.find(uid) is None


def test_grant_gives_one_role_of_the_three(pg_server: PgServer, log: str) -> None:
    with as_login(pg_server, log, "lead") as lead:
        user = lead.database.login or ""
    assert cli.main(["grant", user, "reader", "--db", pg_server.url(log)]) == 0
    with open_database(pg_server.url(log, user)) as database:
        assert database.read_only  # the lead's role went with the new one


# --- the audit log ----------------------------------------------------------------------


def test_the_audit_log_records_the_login_and_refuses_update_and_delete(
        pg_server: PgServer, log: str) -> None:
    with as_login(pg_server, log, "officer") as officer:
        uid = officer.incidents.create(AL_ASSAD).record.meta.uid or ""
        login = officer.database.login
        [entry] = officer.incident_query.history(uid)
        assert entry.actor == login and officer.incidents.get(uid).meta.created_by == login
    # Even the owner, who may do anything else, cannot change or remove an entry.
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):
        with pytest.raises(Exception, match="append-only"):
            pg_server.execute(statement, log)
    with as_login(pg_server, log, "lead") as lead:
        for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
            with pytest.raises(StorageError, match="permission denied"), \
                    lead.database.write() as connection:
                connection.execute(text(statement))
        with lead.database.read() as connection:
            assert verify_chain(connection) == []
        assert check_database(lead.database) == []


def test_check_finds_a_chain_edited_around_the_trigger(pg_server: PgServer, log: str) -> None:
    with as_login(pg_server, log, "officer") as officer:
        officer.incidents.create(AL_ASSAD)
    pg_server.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update", log)
    pg_server.execute("UPDATE audit_log SET actor = 'mallory'", log)
    with open_database(pg_server.url(log), read_only=True) as database:
        assert "audit log entry 1: its content was altered" in check_database(database)


# --- two users at once ------------------------------------------------------------------


def test_two_users_saving_the_same_incident_the_second_is_told_who_changed_it(
        pg_server: PgServer, log: str) -> None:
    with as_login(pg_server, log, "officer") as first, \
            as_login(pg_server, log, "officer") as second:
        record = first.incidents.create(AL_ASSAD).record
        seen = second.incidents.get(record.meta.uid or "")
        first.incidents.update(replace(record, place="Ain al-Asad"))
        with pytest.raises(ConflictError) as caught:
            second.incidents.update(replace(seen, place="Anbar"))
        assert caught.value.changed_by == first.database.login
        assert second.incidents.get(record.meta.uid or "").place == "Ain al-Asad"


def test_a_save_notifies_a_connection_listening_for_changes(
        pg_server: PgServer, log: str) -> None:
    listener = psycopg.connect(pg_server.url(log), autocommit=True)
    try:
        listener.execute("LISTEN incidentlog")
        with as_login(pg_server, log, "officer") as officer:
            uid = officer.incidents.create(AL_ASSAD).record.meta.uid
        ready, _, _ = select.select([listener.fileno()], [], [], 10)
        assert ready, "no notice within 10 s"
        notices = [n.payload for n in listener.notifies(timeout=1, stop_after=2)]
    finally:
        listener.close()
    assert f"incident insert {uid}" in notices


# --- the command line -------------------------------------------------------------------


def test_the_command_line_on_a_server_log(pg_server: PgServer, log: str,
                                          tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.url(log)
    assert cli.main(["demo", "--db", url]) == 0
    assert "5 new incidents" in capsys.readouterr().out
    assert cli.main(["check", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == "ok"
    out = tmp_path / "export.json"
    assert cli.main(["export", "--db", url, "--format", "json", "--out", str(out)]) == 0
    file_log = tmp_path / "copy.sqlite3"
    assert cli.main(["import", str(out), "--db", str(file_log)]) == 0
    with open_database(file_log) as database:
        assert Services(database).incident_query.count() == 5


def test_a_server_that_cannot_be_reached_is_a_sentence() -> None:
    with pytest.raises(StorageError, match="cannot be reached"):
        open_database("postgresql://nobody@127.0.0.1:1/none")



# --- search and check -------------------------------------------------------------------


def test_search_folds_accents_and_reads_punctuation_as_space(
        pg_server: PgServer, log: str) -> None:
    from incidentlog.domain.query import IncidentFilter

    with as_login(pg_server, log, "officer") as officer:
        hama = officer.incidents.create(replace(AL_ASSAD, title="Shelling near Ḥamā",
                                                place="see example.org/report")).record
        arabic = officer.incidents.create(replace(AL_ASSAD, title="قصف قاعدة عين الأسد")).record

        def found(words: str) -> set[str]:
            ids = officer.incident_query.ids(IncidentFilter(text=words))
            return {i.meta.uid or "" for i in officer.incident_query.by_ids(ids).values()}

        assert found("hama") == found("Ḥamā") == found("shelling ham") == {hama.meta.uid}
        assert found("example") == {hama.meta.uid}  # "example.org" is two words, as in a file
        assert found("الأس") == found("عين الأسد") == {arabic.meta.uid}
        assert found("hama الأسد") == set()


def test_a_connection_never_compiles_queries_and_keeps_a_common_words_bitmap_exact(
        pg_server: PgServer, log: str) -> None:
    """The settings behind the search figures of docs/performance.md: JIT compiling costs a
    count more than it saves, and a lossy bitmap recomputes every row's document."""
    with open_database(pg_server.url(log)) as database, database.read() as connection:
        assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
        assert connection.exec_driver_sql("SHOW work_mem").scalar() == "64MB"


def test_check_reads_the_indexes_with_amcheck_where_installed(
        pg_server: PgServer, log: str) -> None:
    pg_server.execute("CREATE EXTENSION IF NOT EXISTS amcheck", log)
    with as_login(pg_server, log, "lead") as lead:
        lead.incidents.create(AL_ASSAD)
        with lead.database.read() as connection:
            assert lead.database.backend.check(connection, read_only=True) == []
        # amcheck did run: a broken index would be named (its checks need the rights too).
        pg_server.execute(f"GRANT EXECUTE ON FUNCTION bt_index_check(regclass) TO "
                          f"{lead.database.login}", log)
        assert check_database(lead.database) == []


@pytest.mark.parametrize("column", ["place", "country", "perpetrator", "title", "occurred_at",
                                    "updated_at"])
@pytest.mark.parametrize("descending", [False, True])
def test_every_indexed_sort_walks_its_index_in_the_tables_order(
        pg_server: PgServer, log: str, column: str, descending: bool) -> None:
    from sqlalchemy import select

    from incidentlog.domain.query import Sort
    from incidentlog.store.queries import _sort_columns
    from incidentlog.store.schema import incident_table

    query = (select(incident_table.c.id).where(incident_table.c.deleted_at.is_(None))
             .order_by(*_sort_columns(Sort(column, descending))).limit(100))
    with open_database(pg_server.url(log)) as database, database.read() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        sql = str(query.compile(dialect=connection.dialect,
                                compile_kwargs={"literal_binds": True}))
        plan = " ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
    assert "Index Only Scan" in plan and "Sort" not in plan.replace("Sort Key", ""), plan


# --- copy between a file and a server ---------------------------------------------------


def test_copy_a_file_to_a_server_and_back_keeps_every_record_and_the_audit_log(
        pg_server: PgServer, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "desk.sqlite3"
    assert cli.main(["demo", "--db", str(first)]) == 0
    with open_database(first) as database:
        services = Services(database, actor="amira")
        record = services.incidents.create(AL_ASSAD).record
        services.incidents.update(replace(record, place="Ain al-Asad"))
        services.incidents.delete(record.meta.uid or "")
    server = pg_server.url(pg_server.empty_database())
    back = tmp_path / "back.sqlite3"
    capsys.readouterr()
    assert cli.main(["init", "--db", server]) == 0
    assert cli.main(["copy", "--from", str(first), "--to", server]) == 0
    assert cli.main(["copy", "--from", server, "--to", str(back)]) == 0
    assert capsys.readouterr().out.count("verified") == 2
    histories = []
    for target in (str(first), server, str(back)):
        with open_database(target) as database:
            services = Services(database)
            assert check_database(database) == []
            histories.append([(e.action, e.actor, e.changes) for e in
                              services.incident_query.history(record.meta.uid or "")])
            assert services.incidents.trash_count() == 1
            # Ids go on after the copied ones: a new record saves.
            services.incidents.create(replace(AL_ASSAD, title="after the copy"))
    assert histories[0] == histories[1] == histories[2]
    assert [action for action, _, _ in histories[0]] == ["create", "update", "delete"]
    assert {actor for _, actor, _ in histories[0]} == {"amira"}


def test_copy_goes_only_into_an_empty_log(pg_server: PgServer, log: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["demo", "--db", pg_server.url(log)]) == 0
    source = tmp_path / "x.sqlite3"
    assert cli.main(["demo", "--db", str(source)]) == 0
    assert cli.main(["copy", "--from", str(source), "--to", pg_server.url(log)]) == 1
    with open_database(pg_server.url(log)) as database:
        assert Services(database).incident_query.count() == 5


def test_backup_of_a_server_log_is_a_verified_log_file(
        pg_server: PgServer, log: str, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["demo", "--db", pg_server.url(log)]) == 0
    capsys.readouterr()
    assert cli.main(["backup", "--db", pg_server.url(log), "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.strip()
    assert written.startswith(str(tmp_path / log)) and written.endswith(".sqlite3")
    assert oct(Path(written).stat().st_mode & 0o777) == "0o600"
    with open_database(written, read_only=True) as database:
        assert check_database(database) == []
        assert Services(database).incident_query.count() == 5
    assert cli.main(["backup", "--db", pg_server.url(log), "--out", written]) == 1
    assert "exists" in capsys.readouterr().err


def test_a_connection_dropped_during_a_save_leaves_nothing_half_written(
        pg_server: PgServer, log: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from incidentlog.store import audit

    with as_login(pg_server, log, "officer") as officer:
        append = audit.append

        def cut_then_append(connection, **entry):  # type: ignore[no-untyped-def]
            # The incident row is written; the server ends this session before the audit entry.
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            pg_server.execute(f"SELECT pg_terminate_backend({pid})")
            append(connection, **entry)

        monkeypatch.setattr(audit, "append", cut_then_append)
        with pytest.raises(StorageError, match=r"connection .* was lost; the change was not made"):
            officer.incidents.create(AL_ASSAD)
        monkeypatch.setattr(audit, "append", append)
        assert officer.incident_query.count() == 0  # a new connection, nothing kept
        with officer.database.read() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM audit_log").scalar() == 0
        officer.incidents.create(AL_ASSAD)  # and the log goes on
        assert officer.incident_query.count() == 1


def test_only_a_lead_takes_an_incident_another_user_verified_back(
        pg_server: PgServer, log: str) -> None:
    with as_login(pg_server, log, "officer") as verifier:
        uid = verifier.incidents.create(AL_ASSAD).record.meta.uid or ""
        verifier.incidents.set_status(uid, Status.IN_REVIEW)
        verifier.incidents.set_status(uid, Status.VERIFIED)
    with as_login(pg_server, log, "officer") as colleague:
        for back in (Status.IN_REVIEW, Status.DRAFT):  # re-open, or undo the verification
            with pytest.raises(StorageError, match="only a lead may take an incident"):
                colleague.incidents.set_status(uid, back, check_transition=False)
        assert colleague.incidents.get(uid).status is Status.VERIFIED
        colleague.incidents.set_status(uid, Status.DISPUTED)  # a verdict of its own: allowed
        colleague.incidents.set_status(uid, Status.VERIFIED)
        colleague.incidents.set_status(uid, Status.IN_REVIEW)  # its own verification
    with as_login(pg_server, log, "officer") as verifier_again:
        verifier_again.incidents.set_status(uid, Status.VERIFIED)
    with as_login(pg_server, log, "lead") as lead:
        lead.incidents.set_status(uid, Status.DRAFT, check_transition=False)
        assert lead.incidents.get(uid).status is Status.DRAFT


def test_a_lead_restores_a_log_file_into_an_empty_server_log(
        pg_server: PgServer, log: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "desk.sqlite3"
    assert cli.main(["demo", "--db", str(first)]) == 0
    user = pg_server.login_role("lead")
    assert cli.main(["grant", user, "lead", "--db", pg_server.url(log)]) == 0
    assert cli.main(["copy", "--from", str(first), "--to", pg_server.url(log, user)]) == 0
    with open_database(pg_server.url(log, user)) as database:
        services = Services(database)
        assert check_database(database) == []
        services.incidents.create(replace(AL_ASSAD, title="after the restore"))


def test_a_reviewer_comments_and_judges_but_cannot_touch_the_facts(
        pg_server: PgServer, log: str) -> None:
    from incidentlog.domain.errors import ReviewModeError

    with as_login(pg_server, log, "officer") as officer:
        uid = officer.incidents.create(AL_ASSAD).record.meta.uid or ""
        officer.incidents.set_status(uid, Status.IN_REVIEW)
    with as_login(pg_server, log, "reviewer") as reviewer:
        database = reviewer.database
        assert database.review_only and not database.read_only  # by itself, from the role
        reviewer.review.comment("Is 18:30 local time or UTC?", incident_uid=uid,
                                about="occurred")
        reviewer.review.verify(uid, "CENTCOM's post and the AP page agree", confidence=2)
        assert reviewer.incidents.get(uid).status is Status.VERIFIED
        incident = reviewer.incidents.get(uid)
        with pytest.raises(ReviewModeError):
            reviewer.incidents.update(replace(incident, place="Ain al-Asad"))
        database.review_only = False  # past the application: the server refuses it too
        with pytest.raises(StorageError, match="your role may not do this"):
            reviewer.incidents.update(replace(incident, place="Ain al-Asad"))
        assert reviewer.incidents.get(uid).place == "al-Assad Airbase"


def test_only_a_lead_switches_the_two_person_rule_on_a_server(
        pg_server: PgServer, log: str) -> None:
    with as_login(pg_server, log, "officer") as officer:
        with pytest.raises(StorageError, match="your role may not do this"):
            officer.review.set_two_person_rule(True)
        assert not officer.review.two_person_rule
    with as_login(pg_server, log, "lead") as lead:
        lead.review.set_two_person_rule(True)
        assert lead.review.two_person_rule
