"""JSON export and import: the format, the round trip, merging, and refusals that write nothing."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from sqlalchemy import event, func, select

from incidentlog.domain.enums import SourceKind, TimePrecision
from incidentlog.domain.errors import Cancelled, ExchangeError, StorageError
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Count, Incident, Period, Quote, Source, clean_text
from incidentlog.domain.when import Moment
from incidentlog.exchange import (
    ImportReport,
    export_json,
    export_schema,
    import_json,
    validate_document,
)
from incidentlog.exchange.json import merge
from incidentlog.services import Changes, Services
from incidentlog.store.audit import history, verify_chain
from incidentlog.store.database import Database, open_database
from incidentlog.store.lineage import fingerprint
from incidentlog.store.schema import audit_table, incident_table, quote_table, source_table

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL
#: Its tests check that a refused import leaves the file byte for byte as it was.
FILE_ONLY_FIXTURES = ("guarded",)

SCHEMA_VALIDATOR = Draft202012Validator(export_schema())


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def make_services(db_targets: Callable[[str], str]) -> Iterator[Callable[[str], Services]]:
    opened: list[Database] = []

    def make(name: str = "x") -> Services:
        database = open_database(db_targets(name))
        opened.append(database)
        return Services(database, actor="tester")

    yield make
    for database in opened:
        database.close()


@pytest.fixture
def services(make_services: Callable[[str], Services]) -> Services:
    return make_services("x")


def moment(*args: int, precision: TimePrecision = TimePrecision.DAY, tz: str = "UTC") -> Moment:
    return Moment.from_local(datetime(*args), precision, tz)  # type: ignore[arg-type]


def fill(services: Services) -> dict[str, str]:
    """A small log: two incidents in Iraq, one in Syria, sources and quotes. Returns uids."""
    centcom = services.sources.create(
        Source(
            kind=SourceKind.SOCIAL_POST,
            title="CENTCOM post",
            url="https://x.com/CENTCOM/status/1748862279476703473",
            handle="@CENTCOM",
            published=moment(2024, 1, 20),
        )
    ).record
    reuters = services.sources.create(
        Source(title="Reuters report", url="https://www.reuters.com/world/a?utm_source=x")
    ).record
    lonely = services.sources.create(Source(title="Uncited background piece")).record
    assad = services.incidents.create(
        Incident(
            title="Attack on al-Assad Airbase",
            occurred=Moment.from_local(
                datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE, "Asia/Baghdad", True
            ),
            country="IQ",
            admin1="Al Anbar",
            latitude=33.8,
            longitude=42.44,
            launched=10,
            intercepted=8,
            tags=("interception", "us forces"),
        )
    ).record
    august = services.incidents.create(
        Incident(
            title="Attack injures five",
            occurred=moment(2024, 8, 5, tz="Asia/Baghdad"),
            country="IQ",
            injured=Count.at_least(5),
        )
    ).record
    syria = services.incidents.create(
        Incident(title="Failed rocket strike", occurred=moment(2024, 2, 1), country="SY")
    ).record
    services.incidents.link_source(assad.uid or "", centcom.uid or "", "time and weapons")
    services.incidents.link_source(august.uid or "", reuters.uid or "", None)
    quote = services.quotes.create(
        Quote(
            text="Multiple ballistic missiles and rockets were launched",
            speaker="CENTCOM",
            incident_uid=assad.uid,
            source_uid=centcom.uid,
        )
    ).record
    general = services.quotes.create(
        Quote(text="We will respond", speaker="Joe Biden", source_uid=reuters.uid)
    ).record
    return {
        "centcom": centcom.uid or "",
        "reuters": reuters.uid or "",
        "lonely": lonely.uid or "",
        "assad": assad.uid or "",
        "august": august.uid or "",
        "syria": syria.uid or "",
        "quote": quote.uid or "",
        "general": general.uid or "",
    }


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(path.read_bytes())
    return document


def without_exported_at(path: Path) -> bytes:
    lines = path.read_bytes().split(b"\n")
    assert lines[3].startswith(b'  "exported_at": ')
    return b"\n".join(lines[:3] + lines[4:])


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(services: Services, table: Any) -> int:
    with services.database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


# --- export -----------------------------------------------------------------------------------


def test_export_is_valid_against_the_published_schema(services: Services, tmp_path: Path) -> None:
    fill(services)
    report = export_json(services, tmp_path / "out.json")
    document = load(tmp_path / "out.json")
    assert list(SCHEMA_VALIDATOR.iter_errors(document)) == []
    assert (report.incidents, report.sources, report.quotes) == (3, 3, 2)
    assert document["format"] == "incidentlog" and document["version"] == 1
    validate_document(tmp_path / "out.json")


def test_every_record_carries_every_key_in_a_fixed_order(
    services: Services, tmp_path: Path
) -> None:
    fill(services)
    export_json(services, tmp_path / "out.json")
    document = load(tmp_path / "out.json")
    definitions = export_schema()["$defs"]
    for section, kind in (("incidents", "incident"), ("sources", "source"), ("quotes", "quote")):
        expected = list(definitions[kind]["properties"])
        for record in document[section]:
            assert list(record) == expected


def test_export_order_and_values(services: Services, tmp_path: Path) -> None:
    uids = fill(services)
    export_json(services, tmp_path / "out.json")
    document = load(tmp_path / "out.json")
    assert [i["uid"] for i in document["incidents"]] == [
        uids["assad"],
        uids["syria"],
        uids["august"],
    ]
    assad = document["incidents"][0]
    assert assad["occurred_at"] == "2024-01-20T15:30:00Z"
    assert assad["time_precision"] == "minute"
    assert assad["tz"] == "Asia/Baghdad"
    assert assad["approximate"] is True
    assert assad["killed"] == {"value": None, "qualifier": "unknown"}
    assert assad["tags"] == ["interception", "us forces"]
    assert assad["sources"] == [{"source": uids["centcom"], "note": "time and weapons"}]
    august = document["incidents"][2]
    assert august["injured"] == {"value": 5, "qualifier": "at_least"}
    quotes = {q["uid"]: q for q in document["quotes"]}
    assert quotes[uids["quote"]]["incident"] == uids["assad"]
    assert quotes[uids["general"]]["incident"] is None
    assert document["exported_at"].endswith("Z")


def test_round_trip_is_byte_identical_but_for_exported_at(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    first = make_services("first")
    fill(first)
    export_json(first, tmp_path / "one.json")
    second = make_services("second")
    report = import_json(second, tmp_path / "one.json")
    assert (report.incidents.added, report.sources.added, report.quotes.added) == (3, 3, 2)
    export_json(second, tmp_path / "two.json")
    assert without_exported_at(tmp_path / "one.json") == without_exported_at(tmp_path / "two.json")


def test_filter_scoped_export_holds_the_matches_their_quotes_and_sources(
    services: Services, tmp_path: Path
) -> None:
    uids = fill(services)
    report = export_json(services, tmp_path / "iq.json", IncidentFilter(countries=("IQ",)))
    document = load(tmp_path / "iq.json")
    assert {i["uid"] for i in document["incidents"]} == {uids["assad"], uids["august"]}
    assert {q["uid"] for q in document["quotes"]} == {uids["quote"]}
    # cited by a match (reuters) or carrying a quote of a match (centcom); not the uncited one
    assert {s["uid"] for s in document["sources"]} == {uids["centcom"], uids["reuters"]}
    assert (report.incidents, report.sources, report.quotes) == (2, 2, 1)
    assert list(SCHEMA_VALIDATOR.iter_errors(document)) == []
    validate_document(tmp_path / "iq.json")  # self-contained

    export_json(services, tmp_path / "sy.json", IncidentFilter(countries=("SY",)))
    document = load(tmp_path / "sy.json")
    assert [i["uid"] for i in document["incidents"]] == [uids["syria"]]
    assert document["sources"] == document["quotes"] == []


def test_an_empty_filter_exports_everything(services: Services, tmp_path: Path) -> None:
    fill(services)
    report = export_json(services, tmp_path / "all.json", IncidentFilter())
    assert (report.incidents, report.sources, report.quotes) == (3, 3, 2)


def test_the_trash_is_not_exported_and_nothing_refers_to_it(
    services: Services, tmp_path: Path
) -> None:
    uids = fill(services)
    services.sources.delete(uids["centcom"])
    services.incidents.delete(uids["assad"])
    export_json(services, tmp_path / "out.json")
    document = load(tmp_path / "out.json")
    assert uids["assad"] not in {i["uid"] for i in document["incidents"]}
    assert uids["centcom"] not in {s["uid"] for s in document["sources"]}
    quote = next(q for q in document["quotes"] if q["uid"] == uids["quote"])
    assert quote["incident"] is None and quote["source"] is None
    validate_document(tmp_path / "out.json")


def test_export_of_an_empty_log(services: Services, tmp_path: Path) -> None:
    report = export_json(services, tmp_path / "empty.json")
    document = load(tmp_path / "empty.json")
    assert document["incidents"] == document["sources"] == document["quotes"] == []
    assert report.incidents == 0
    validate_document(tmp_path / "empty.json")


def test_export_reports_progress_up_to_the_total(services: Services, tmp_path: Path) -> None:
    fill(services)
    seen: list[tuple[int, int]] = []
    export_json(services, tmp_path / "out.json", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (8, 8)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_cancelled_export_leaves_no_file_and_keeps_an_existing_one(
    services: Services, tmp_path: Path
) -> None:
    fill(services)
    out = tmp_path / "out.json"
    with pytest.raises(Cancelled):
        export_json(services, out, cancel=lambda: True)
    assert list(tmp_path.glob("*.json*")) == []
    out.write_text("previous export")
    with pytest.raises(Cancelled):
        export_json(services, out, cancel=lambda: True)
    assert out.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.file_only  # reads the file itself (its bytes, its query plan)
def test_export_streams_in_index_order_without_sorting_the_log(
    services: Services, tmp_path: Path
) -> None:
    """Memory stays flat: SQLite walks an index in export order, it never sorts the table."""
    fill(services)
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "ORDER BY" in statement:
            statements.append((statement, parameters))

    engine = services.database.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        export_json(services, tmp_path / "out.json")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    streamed = [s for s in statements if "incident_tag" not in s[0] and "GROUP" not in s[0]]
    assert len(streamed) >= 5  # incidents; sources and quotes, undated and dated
    with services.database.read() as connection:
        for statement, parameters in streamed:
            if "FROM incident_source" in statement:
                continue
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            details = [row[3] for row in plan]
            assert not any("TEMP B-TREE" in d for d in details), (statement, details)


def test_export_to_a_missing_folder_is_an_exchange_error(
    services: Services, tmp_path: Path
) -> None:
    with pytest.raises(ExchangeError, match="folder does not exist"):
        export_json(services, tmp_path / "nowhere" / "out.json")


# --- import: merging --------------------------------------------------------------------------


@pytest.fixture
def exported(services: Services, tmp_path: Path) -> tuple[dict[str, str], Path]:
    uids = fill(services)
    path = tmp_path / "exported.json"
    export_json(services, path)
    return uids, path


def test_importing_an_export_again_changes_nothing(
    services: Services, exported: tuple[dict[str, str], Path]
) -> None:
    _, path = exported
    audit_before = count(services, audit_table)
    report = import_json(services, path)
    assert (report.incidents.unchanged, report.sources.unchanged, report.quotes.unchanged) == (
        3,
        3,
        2,
    )
    assert report.incidents.added == report.incidents.updated == 0
    assert report.conflicts == [] and report.renumbered == []
    assert not report.changed
    assert count(services, audit_table) == audit_before


def test_a_record_derived_from_ours_in_the_file_updates_ours(
    services: Services, exported: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    uids, path = exported
    document = load(path)
    incident = next(i for i in document["incidents"] if i["uid"] == uids["assad"])
    incident.update(
        title="Attack on al-Assad Airbase (revised)",
        ancestors=[fingerprint(services.incidents.get(uids["assad"]))],
        updated_by="colleague",
        version=2,
        tags=["revised"],
    )
    incident["sources"][0]["note"] = "revised note"
    report = import_json(services, write(tmp_path / "newer.json", document))
    assert report.incidents.updated == 1 and report.incidents.unchanged == 2
    stored = services.incidents.get(uids["assad"])
    assert stored.title == "Attack on al-Assad Airbase (revised)"
    assert stored.tags == ("revised",)
    assert stored.meta.updated_by == "colleague"
    assert stored.meta.version == 2  # max(file's 2, ours 1 + 1)
    assert services.incidents.links(uids["assad"])[0].note == "revised note"
    assert history_actions(services, uids["assad"])[-1] == "import"


def history_actions(services: Services, uid: str) -> list[str]:
    with services.database.read() as connection:
        return [entry.action for entry in history(connection, uid)]


def test_our_newer_record_is_kept_and_reported_as_a_conflict(
    services: Services, exported: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    uids, path = exported
    document = load(path)
    incident = next(i for i in document["incidents"] if i["uid"] == uids["syria"])
    incident["title"] = "Their older edit"
    incident["updated_at"] = "2000-01-01T00:00:00Z"
    current = services.incidents.get(uids["syria"])
    services.incidents.update(replace(current, title="Our newer edit"))
    report = import_json(services, write(tmp_path / "older.json", document))
    assert report.incidents.skipped == 1
    assert len(report.conflicts) == 1
    assert "kept the one here" in report.conflicts[0]
    assert current.ref in report.conflicts[0]
    assert services.incidents.get(uids["syria"]).title == "Our newer edit"
    assert "Conflicts" in report.summary()


def test_a_record_in_our_trash_is_skipped_and_reported(
    services: Services, exported: tuple[dict[str, str], Path]
) -> None:
    uids, path = exported
    services.quotes.delete(uids["general"])
    report = import_json(services, path)
    assert report.quotes.skipped == 1
    assert "trash" in report.conflicts[0]
    assert services.quotes.get(uids["general"]).meta.deleted_at is not None


def test_a_source_with_a_known_url_is_merged_into_ours(services: Services, tmp_path: Path) -> None:
    ours = services.sources.create(
        Source(title="Our copy", url="https://www.reuters.com/world/a?utm_source=newsletter")
    ).record
    other = Services(open_database(tmp_path / "other.sqlite3"), actor="colleague")
    try:
        theirs = other.sources.create(
            Source(title="Their copy", url="http://reuters.com/world/a")
        ).record
        incident = other.incidents.create(
            Incident(title="Attack", occurred=moment(2024, 3, 1), country="IQ")
        ).record
        other.incidents.link_source(incident.uid or "", theirs.uid or "", "reports it")
        other.quotes.create(Quote(text="Words", speaker="Someone", source_uid=theirs.uid))
        export_json(other, tmp_path / "theirs.json")
    finally:
        other.database.close()
    report = import_json(services, tmp_path / "theirs.json")
    assert report.sources.merged == 1 and report.sources.added == 0
    assert report.incidents.added == 1 and report.quotes.added == 1
    assert count(services, source_table) == 1
    links = services.incidents.links(incident.uid or "")
    assert [(link.source_uid, link.note) for link in links] == [(ours.uid, "reports it")]
    quote = services.quote_query.list()[0]
    assert quote.source_uid == ours.uid
    assert "merged" in report.summary()


def test_a_taken_ref_gets_the_next_free_one(services: Services, tmp_path: Path) -> None:
    services.incidents.create(Incident(title="Ours", occurred=moment(2024, 1, 2), country="IQ"))
    other = Services(open_database(tmp_path / "other.sqlite3"), actor="colleague")
    try:
        theirs = other.incidents.create(
            Incident(title="Theirs", occurred=moment(2024, 1, 5), country="IQ")
        ).record
        second = other.incidents.create(
            Incident(title="Theirs too", occurred=moment(2024, 1, 6), country="IQ")
        ).record
        export_json(other, tmp_path / "theirs.json")
    finally:
        other.database.close()
    assert (theirs.ref, second.ref) == ("IQ-2024-0001", "IQ-2024-0002")
    report = import_json(services, tmp_path / "theirs.json")
    assert report.incidents.added == 2
    # their 0002 is free here and kept; their 0001 is ours, so it becomes the next free one
    assert services.incidents.get(second.uid or "").ref == "IQ-2024-0002"
    assert services.incidents.get(theirs.uid or "").ref == "IQ-2024-0003"
    assert len(report.renumbered) == 1
    assert "IQ-2024-0001 → IQ-2024-0003" in report.renumbered[0]


def test_a_missing_ref_is_given_one(services: Services, tmp_path: Path) -> None:
    document = minimal_document()
    document["incidents"][0]["ref"] = None
    report = import_json(services, write(tmp_path / "noref.json", document))
    assert services.incident_query.page()[0].ref == "IQ-2024-0001"
    assert "had no ref" in report.renumbered[0]


def test_import_keeps_identity_and_bookkeeping(services: Services, tmp_path: Path) -> None:
    document = minimal_document()
    record = document["incidents"][0]
    record.update(version=7, created_by="alice", created_at="2023-05-01T10:00:00Z")
    import_json(services, write(tmp_path / "doc.json", document))
    stored = services.incidents.get(record["uid"])
    assert stored.meta.version == 7
    assert stored.meta.created_by == "alice"
    assert stored.meta.created_at == "2023-05-01T10:00:00Z"
    assert stored.meta.updated_at == record["updated_at"]


def test_a_minimal_hand_written_document_imports(services: Services, tmp_path: Path) -> None:
    document = {
        "format": "incidentlog",
        "version": 1,
        "exported_at": "2024-08-12T08:00:00Z",
        "incidents": [
            {
                "uid": str(uuid.uuid4()),
                "title": "Rocket attack",
                "occurred_at": "2024-01-20T15:30:00Z",
                "time_precision": "day",
                "tz": "Asia/Baghdad",
            }
        ],
        "sources": [],
        "quotes": [],
    }
    report = import_json(services, write(tmp_path / "min.json", document))
    assert report.incidents.added == 1
    stored = services.incident_query.page()[0]
    assert stored.meta.created_by == "tester"
    assert stored.meta.version == 1
    assert stored.occurred is not None
    assert stored.occurred.utc_text == "2024-01-19T21:00:00Z"  # the day, in Baghdad


def test_import_writes_a_chained_audit_entry_per_record(
    services: Services, make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    source = make_services("source")
    uids = fill(source)
    export_json(source, tmp_path / "out.json")
    import_json(services, tmp_path / "out.json")
    assert history_actions(services, uids["assad"]) == ["import"]
    assert history_actions(services, uids["centcom"]) == ["import"]
    assert count(services, audit_table) == 8
    with services.database.read() as connection:
        assert verify_chain(connection) == []
        entry = history(connection, uids["assad"])[0]
    assert entry.actor == "tester"
    assert entry.changes["title"] == [None, "Attack on al-Assad Airbase"]
    assert entry.changes["sources"] == [None, [uids["centcom"]]]


@pytest.mark.file_only  # reads the file itself (its bytes, its query plan)
def test_dry_run_reports_and_writes_nothing(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    source = make_services("source")
    fill(source)
    export_json(source, tmp_path / "out.json")
    target = make_services("target")
    notified: list[Changes] = []
    target.notifier.subscribe(notified.append)
    path = target.database.path
    assert path is not None
    target.database.close()
    before = sha256(path)
    target = make_services("target")
    target.notifier.subscribe(notified.append)
    report = import_json(target, tmp_path / "out.json", dry_run=True)
    assert report.dry_run
    assert (report.incidents.added, report.sources.added, report.quotes.added) == (3, 3, 2)
    assert "Dry run" in report.summary()
    assert count(target, incident_table) == 0
    assert count(target, audit_table) == 0
    assert notified == []
    target.database.close()
    assert sha256(path) == before


def test_a_real_import_notifies_the_views(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    source = make_services("source")
    fill(source)
    export_json(source, tmp_path / "out.json")
    target = make_services("target")
    notified: list[Changes] = []
    target.notifier.subscribe(notified.append)
    import_json(target, tmp_path / "out.json")
    assert len(notified) == 1 and notified[0].rows_changed


def test_import_progress_ends_at_the_total(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    source = make_services("source")
    fill(source)
    export_json(source, tmp_path / "out.json")
    seen: list[tuple[int, int]] = []
    import_json(
        make_services("target"), tmp_path / "out.json", progress=lambda d, t: seen.append((d, t))
    )
    assert seen and seen[-1][0] == seen[-1][1] > 0
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_byte_order_mark_is_accepted(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(minimal_document()))
    assert import_json(services, path).incidents.added == 1


def test_the_summary_reads_well() -> None:
    report = ImportReport(renumbered=[f"r{i}" for i in range(25)])
    text = report.summary()
    assert "Import finished." in text
    assert "… and 5 more" in text


# --- import: refusals leave the database byte-identical ----------------------------------------


def minimal_document(**incident: Any) -> dict[str, Any]:
    source_uid = "0b7e2b53-9a0e-4c4e-8f7e-2a4c4a9a1c01"
    record = {
        "uid": "5d0c4f6e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        "version": 1,
        "created_at": "2024-08-12T08:00:00Z",
        "created_by": "demo",
        "updated_at": "2024-08-12T08:00:00Z",
        "updated_by": "demo",
        "ref": "IQ-2024-0001",
        "title": "Attack on al-Assad Airbase",
        "occurred_at": "2024-01-20T15:30:00Z",
        "time_precision": "minute",
        "tz": "Asia/Baghdad",
        "approximate": True,
        "country": "IQ",
        "sources": [{"source": source_uid, "note": None}],
    }
    record.update(incident)
    return {
        "format": "incidentlog",
        "version": 1,
        "exported_at": "2024-08-12T08:00:00Z",
        "incidents": [record],
        "sources": [
            {
                "uid": source_uid,
                "kind": "social_post",
                "title": "CENTCOM post",
                "url": "https://x.com/CENTCOM/status/1",
            }
        ],
        "quotes": [],
    }


@pytest.fixture
def guarded(
    make_services: Callable[[str], Services], tmp_path: Path
) -> Iterator[Callable[[Path], ExchangeError]]:
    """Import a file into a database that holds data; check the refusal changed no byte."""
    seed = make_services("guarded")
    fill(seed)
    path = seed.database.path
    assert path is not None
    seed.database.close()
    before = sha256(path)

    def attempt(document_path: Path) -> ExchangeError:
        services = Services(open_database(path), actor="tester")
        try:
            with pytest.raises(ExchangeError) as caught:
                import_json(services, document_path)
        finally:
            services.database.close()
        return caught.value

    yield attempt
    assert sha256(path) == before


def test_malformed_json_is_refused_with_its_line_and_column(
    guarded: Callable[[Path], ExchangeError], tmp_path: Path
) -> None:
    text = orjson.dumps(minimal_document(), option=orjson.OPT_INDENT_2).decode()
    lines = text.split("\n")
    index = next(n for n, line in enumerate(lines) if '"title"' in line)
    lines[index] = lines[index].rstrip(",")  # a missing comma
    path = tmp_path / "broken.json"
    path.write_text("\n".join(lines))
    error = guarded(path)
    assert error.line == index + 2
    assert f"line {index + 2}" in str(error)
    assert "broken.json" in str(error)
    assert "not valid JSON" in str(error)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "line 1"),
        (b'{"format": "incidentlog", "version": 1,\n "incidents": [', "line 2"),
        (b'{"format": "incidentlog",\n "title": "\xff"}', "line 2"),
        (b"[1, 2, 3]", "not an incidentlog export"),
        (b'{"format": "spreadsheet"}', "not an incidentlog export"),
        (b'{"format": "incidentlog", "version": 2}', "version 2"),
        (b'{"format": "incidentlog", "version": 1, "incidents": {}}', "must be a list"),
    ],
)
def test_files_that_are_not_exports_are_refused(
    guarded: Callable[[Path], ExchangeError], tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert expected in str(guarded(path))


def test_a_schema_error_names_the_record_and_the_field(
    guarded: Callable[[Path], ExchangeError], tmp_path: Path
) -> None:
    document = minimal_document(attribution="rumoured")
    error = guarded(write(tmp_path / "schema.json", document))
    assert error.record == "incidents[0] (IQ-2024-0001)"
    assert error.field == "attribution"
    assert "rumoured" in str(error)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"killed": {"value": 1}}, "killed.qualifier"),
        ({"sources": [{"source": "not-a-uid"}]}, "sources[0].source"),
        ({"occurred_at": "2024-01-20 15:30"}, "occurred_at"),
    ],
)
def test_schema_errors_name_their_field(
    guarded: Callable[[Path], ExchangeError],
    tmp_path: Path,
    changes: dict[str, Any],
    field: str,
) -> None:
    error = guarded(write(tmp_path / "schema.json", minimal_document(**changes)))
    assert error.field == field
    assert error.record is not None and error.record.startswith("incidents[0]")


def test_a_missing_top_level_field_is_refused(
    guarded: Callable[[Path], ExchangeError], tmp_path: Path
) -> None:
    document = minimal_document()
    del document["quotes"]
    error = guarded(write(tmp_path / "short.json", document))
    assert error.field == "quotes"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"launched": 2, "intercepted": 5}, "intercepted", "more than the 2 launched"),
        ({"tz": "Mars/Olympus"}, "tz", "IANA"),
        ({"country": "XX"}, "country", "ISO 3166"),
        ({"occurred_at": "2024-02-30T15:30:00Z"}, "occurred_at", "not a real date"),
        ({"killed": {"value": 3, "qualifier": "unknown"}}, "killed", "marked unknown"),
        ({"title": "   "}, "title", "required"),
    ],
)
def test_a_domain_error_names_the_record_and_the_field(
    guarded: Callable[[Path], ExchangeError],
    tmp_path: Path,
    changes: dict[str, Any],
    field: str,
    words: str,
) -> None:
    error = guarded(write(tmp_path / "domain.json", minimal_document(**changes)))
    assert error.field == field
    assert error.record is not None and error.record.startswith("incidents[0]")
    assert words in str(error)


def test_an_error_late_in_the_file_still_writes_nothing(
    guarded: Callable[[Path], ExchangeError], tmp_path: Path
) -> None:
    document = minimal_document()
    document["quotes"] = [
        {"uid": str(uuid.uuid4()), "text": "fine", "speaker": "A"},
        {"uid": str(uuid.uuid4()), "text": "bad", "speaker": "B", "language": "English"},
    ]
    error = guarded(write(tmp_path / "late.json", document))
    assert error.record == "quotes[1] (B)"
    assert error.field == "language"


def test_a_dangling_uid_reference_is_refused(
    guarded: Callable[[Path], ExchangeError], tmp_path: Path
) -> None:
    document = minimal_document()
    missing = str(uuid.uuid4())
    document["quotes"] = [
        {"uid": str(uuid.uuid4()), "text": "Words", "speaker": "A", "incident": missing}
    ]
    error = guarded(write(tmp_path / "dangling.json", document))
    assert error.record == "quotes[0] (A)"
    assert error.field == "incident"
    assert missing in str(error)


def test_a_duplicate_uid_is_refused(
    guarded: Callable[[Path], ExchangeError], tmp_path: Path
) -> None:
    document = minimal_document()
    document["incidents"].append(dict(document["incidents"][0], ref="IQ-2024-0009"))
    error = guarded(write(tmp_path / "twice.json", document))
    assert error.record == "incidents[1] (IQ-2024-0009)"
    assert error.field == "uid"


def test_a_reference_to_a_record_in_the_database_is_accepted(
    services: Services, tmp_path: Path
) -> None:
    uids = fill(services)
    document = minimal_document()
    document["quotes"] = [
        {"uid": str(uuid.uuid4()), "text": "Words", "speaker": "A", "incident": uids["syria"]}
    ]
    report = import_json(services, write(tmp_path / "ref.json", document))
    assert report.quotes.added == 1
    with pytest.raises(ExchangeError, match="not in the file"):
        validate_document(tmp_path / "ref.json")  # on its own, the file is incomplete


def test_a_missing_file_is_an_exchange_error(services: Services, tmp_path: Path) -> None:
    with pytest.raises(ExchangeError, match="cannot be read"):
        import_json(services, tmp_path / "absent.json")


@pytest.mark.file_only  # reads the file itself (its bytes, its query plan)
def test_a_read_only_database_refuses_the_import(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    path = write(tmp_path / "doc.json", minimal_document())
    services = make_services("ro")
    assert services.database.path is not None
    services.database.close()
    read_only = Services(open_database(services.database.path, read_only=True), actor="tester")
    try:
        with pytest.raises(ExchangeError, match="read-only"):
            import_json(read_only, path)
    finally:
        read_only.database.close()


@pytest.mark.file_only  # reads the file itself (its bytes, its query plan)
def test_a_cancelled_import_writes_nothing(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    source = make_services("source")
    fill(source)
    export_json(source, tmp_path / "out.json")
    target = make_services("target")
    path = target.database.path
    assert path is not None
    target.database.close()
    before = sha256(path)
    asked = 0

    def count_asks() -> bool:
        nonlocal asked
        asked += 1
        return False

    probe = make_services("probe")
    import_json(probe, tmp_path / "out.json", dry_run=True, cancel=count_asks)
    assert asked >= 4  # asked during validation and during writing
    for stop_at in range(asked):
        target = Services(open_database(path), actor="tester")
        answers = iter([False] * stop_at + [True] * 1000)
        try:
            with pytest.raises(Cancelled):
                import_json(target, tmp_path / "out.json", cancel=lambda a=answers: next(a))
            assert count(target, incident_table) == count(target, quote_table) == 0
        finally:
            target.database.close()
        assert sha256(path) == before


@pytest.mark.file_only  # reads the file itself (its bytes, its query plan)
def test_a_failure_while_writing_rolls_everything_back(
    make_services: Callable[[str], Services], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails half-way through the write pass: nothing is kept."""
    source = make_services("source")
    fill(source)
    export_json(source, tmp_path / "out.json")
    document = load(tmp_path / "out.json")
    document["incidents"][-1]["ref"] = None  # needs a ref, given after the others are in
    write(tmp_path / "out.json", document)
    target = make_services("target")
    path = target.database.path
    assert path is not None
    target.database.close()
    before = sha256(path)

    def disk_full(*_: object) -> str:
        raise StorageError("The disk holding the database is full.")

    monkeypatch.setattr(merge.store_records, "next_ref", disk_full)
    target = Services(open_database(path), actor="tester")
    try:
        with pytest.raises(ExchangeError, match=r"disk .* is full\. Nothing was imported"):
            import_json(target, tmp_path / "out.json")
        assert count(target, source_table) == count(target, incident_table) == 0
    finally:
        target.database.close()
    assert sha256(path) == before


# --- property: any log round-trips ------------------------------------------------------------

TEXTS = st.one_of(
    st.sampled_from(
        [
            "هجوم صاروخي على قاعدة عين الأسد",
            "حمله پهپادی",
            "火箭袭击",
            "Ракетный удар",
            "🚀 attack 💥",
            "Ataque con cohetes — “quoted”",
            "line one\nline two",
            '=HYPERLINK("http://x")',
            "-5 injured",
            "tab\tinside",
        ]
    ),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40),
).filter(lambda text: clean_text(text) is not None)  # what survives cleaning
OPTIONAL_TEXTS = st.none() | TEXTS
ZONES = st.sampled_from(
    ["UTC", "Asia/Baghdad", "Asia/Tehran", "America/Havana", "Europe/London", "Asia/Kolkata"]
)
INSTANTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
PRECISIONS = st.sampled_from([p.value for p in TimePrecision])
COUNTS = st.one_of(
    st.just({"value": None, "qualifier": "unknown"}),
    st.builds(
        lambda v, q: {"value": v, "qualifier": q},
        st.integers(0, 10_000),
        st.sampled_from(["exact", "at_least", "about"]),
    ),
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    n_sources = draw(st.integers(0, 4))
    n_incidents = draw(st.integers(0, 4))
    n_quotes = draw(st.integers(0, 4))
    uids = draw(
        st.lists(
            st.uuids(version=4).map(str),
            min_size=n_sources + n_incidents + n_quotes,
            max_size=n_sources + n_incidents + n_quotes,
            unique=True,
        )
    )
    source_uids, incident_uids = uids[:n_sources], uids[n_sources : n_sources + n_incidents]
    quote_uids = uids[n_sources + n_incidents :]
    refs = draw(
        st.lists(
            st.from_regex(r"[A-Z]{2}-20[0-9]{2}-[0-9]{4}", fullmatch=True),
            min_size=n_incidents,
            max_size=n_incidents,
            unique=True,
        )
    )
    sources = []
    for number, uid in enumerate(source_uids):
        published = draw(st.none() | INSTANTS)
        sources.append(
            {
                "uid": uid,
                "kind": draw(st.sampled_from([k.value for k in SourceKind])),
                "title": draw(OPTIONAL_TEXTS) or f"source {number}",
                "url": draw(st.none() | st.just(f"https://example.org/مقال/{number}?utm_source=x")),
                "outlet": draw(OPTIONAL_TEXTS),
                "handle": draw(st.none() | st.just("@CENTCOM")),
                "published_at": published,
                "published_precision": draw(PRECISIONS) if published else None,
                "published_tz": draw(ZONES) if published else None,
                "excerpt": draw(OPTIONAL_TEXTS),
                "language": draw(st.sampled_from([None, "en", "ar", "fa"])),
                "reliability": draw(st.sampled_from([None, "A", "C", "F"])),
                "notes": draw(OPTIONAL_TEXTS),
            }
        )
    incidents = []
    for uid, ref in zip(incident_uids, refs, strict=True):
        launched = draw(st.none() | st.integers(0, 50))
        coordinates = draw(
            st.none()
            | st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False))
        )
        cited = draw(st.lists(st.sampled_from(source_uids), unique=True)) if source_uids else []
        incidents.append(
            {
                "uid": uid,
                "ref": draw(st.none() | st.just(ref)),
                "title": draw(TEXTS),
                "summary": draw(OPTIONAL_TEXTS),
                "occurred_at": draw(INSTANTS),
                "time_precision": draw(PRECISIONS),
                "tz": draw(ZONES),
                "approximate": draw(st.booleans()),
                "place": draw(OPTIONAL_TEXTS),
                "country": draw(st.sampled_from([None, "IQ", "SY", "JO", "IR"])),
                "latitude": coordinates[0] if coordinates else None,
                "longitude": coordinates[1] if coordinates else None,
                "geo_precision": draw(st.sampled_from([None, "site", "near", "region"])),
                "event_type": draw(OPTIONAL_TEXTS),
                "launched": launched,
                "intercepted": (
                    draw(st.none() | st.integers(0, launched)) if launched is not None else None
                ),
                "perpetrator": draw(OPTIONAL_TEXTS),
                "attribution": draw(st.sampled_from(["claimed", "attributed", "unknown"])),
                "killed": draw(COUNTS),
                "injured": draw(COUNTS),
                "status": draw(st.sampled_from(["draft", "verified", "disputed"])),
                "confidence": draw(st.none() | st.integers(1, 6)),
                "tags": draw(st.lists(TEXTS.map(lambda t: t[:100]), max_size=3, unique=True)),
                "sources": [{"source": s, "note": draw(OPTIONAL_TEXTS)} for s in cited],
            }
        )
    quotes = []
    for uid in quote_uids:
        said = draw(st.none() | INSTANTS)
        quotes.append(
            {
                "uid": uid,
                "text": draw(TEXTS),
                "speaker": draw(TEXTS),
                "speaker_role": draw(OPTIONAL_TEXTS),
                "said_at": said,
                "said_precision": draw(PRECISIONS) if said else None,
                "said_tz": draw(ZONES) if said else None,
                "context": draw(OPTIONAL_TEXTS),
                "incident": draw(st.none() | st.sampled_from(incident_uids))
                if incident_uids
                else None,
                "source": draw(st.none() | st.sampled_from(source_uids)) if source_uids else None,
            }
        )
    return {
        "format": "incidentlog",
        "version": 1,
        "exported_at": "2024-08-12T08:00:00Z",
        "incidents": incidents,
        "sources": sources,
        "quotes": quotes,
    }


@pytest.fixture(scope="module")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a new, empty database: copied per example, as creating one each time
    (running the migrations) would be most of the test's time."""
    path = tmp_path_factory.mktemp("template") / "empty.sqlite3"
    open_database(path).close()
    return path.read_bytes()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(document=documents())
def test_any_log_round_trips(empty_database: bytes, document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        write(base / "given.json", document)
        (base / "first.sqlite3").write_bytes(empty_database)
        (base / "second.sqlite3").write_bytes(empty_database)
        first = Services(open_database(base / "first.sqlite3"), actor="tester")
        second = Services(open_database(base / "second.sqlite3"), actor="tester")
        try:
            report = import_json(first, base / "given.json")
            assert report.incidents.added == len(document["incidents"])
            assert report.sources.added == len(document["sources"])
            assert report.quotes.added == len(document["quotes"])
            export_json(first, base / "one.json")
            exported = load(base / "one.json")
            assert list(SCHEMA_VALIDATOR.iter_errors(exported)) == []
            titles = {i["uid"]: i["title"] for i in exported["incidents"]}
            for incident in document["incidents"]:
                assert titles[incident["uid"]] == clean_text(incident["title"])
            import_json(second, base / "one.json")
            export_json(second, base / "two.json")
            assert without_exported_at(base / "one.json") == without_exported_at(base / "two.json")
        finally:
            first.database.close()
            second.database.close()


# --- periods ------------------------------------------------------------------------------------


def add_periods(services: Services) -> tuple[Period, Period]:
    campaign = services.periods.create(
        Period(
            name="Campaign",
            start=moment(2023, 10, 17, tz="Asia/Baghdad"),
            end=moment(2024, 2, 4, tz="Asia/Baghdad"),
            color="#1f77b4",
            notes="attacks on US forces",
        )
    ).record
    ceasefire = services.periods.create(
        Period(
            name="Pause",
            start=moment(2024, 2, 1, precision=TimePrecision.MONTH),
            end=moment(2024, 3, 1, precision=TimePrecision.MONTH),
        )
    ).record
    return campaign, ceasefire


def test_periods_round_trip_with_their_uid_times_and_colour(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    first = make_services("first")
    fill(first)
    campaign, pause = add_periods(first)
    gone = first.periods.create(
        Period(name="Deleted", start=moment(2024, 1, 1), end=moment(2024, 1, 2))
    ).record
    first.periods.delete(gone.uid or "")
    only_syria = IncidentFilter(countries=("SY",))
    export_json(first, tmp_path / "one.json", only_syria)  # a filter does not drop periods
    document = load(tmp_path / "one.json")
    assert list(SCHEMA_VALIDATOR.iter_errors(document)) == []
    assert list(document)[-2:] == ["periods", "saved_views"]
    assert [p["uid"] for p in document["periods"]] == [campaign.uid, pause.uid]
    expected = list(export_schema()["$defs"]["period"]["properties"])
    assert all(list(record) == expected for record in document["periods"])
    exported = document["periods"][0]
    assert exported["start_at"] == "2023-10-16T21:00:00Z"  # midnight in Baghdad
    assert exported["end_at"] == "2024-02-03T21:00:00Z"
    assert (exported["start_precision"], exported["tz"], exported["color"]) == (
        "day",
        "Asia/Baghdad",
        "#1f77b4",
    )
    validate_document(tmp_path / "one.json")

    export_json(first, tmp_path / "all.json")
    second = make_services("second")
    notified: list[Changes] = []
    second.notifier.subscribe(notified.append)
    report = import_json(second, tmp_path / "all.json")
    assert report.periods.added == 2 and "Periods: 2 added" in report.summary()
    assert notified[-1].periods == {campaign.uid, pause.uid}
    stored = {p.uid: p for p in second.periods.list()}
    assert set(stored) == {campaign.uid, pause.uid}
    for original in (campaign, pause):
        again = stored[original.uid]
        assert (again.name, again.color, again.notes) == (
            original.name,
            original.color,
            original.notes,
        )
        for theirs, ours in ((original.start, again.start), (original.end, again.end)):
            assert theirs is not None and ours is not None
            assert (ours.interval(), ours.precision, ours.tz) == (
                theirs.interval(),
                theirs.precision,
                theirs.tz,
            )
    with second.database.read() as connection:
        kinds = connection.execute(
            select(audit_table.c.kind).where(audit_table.c.uid == campaign.uid)
        ).scalars()
        assert list(kinds) == ["period"]
        assert verify_chain(connection) == []
    export_json(second, tmp_path / "two.json")
    assert without_exported_at(tmp_path / "all.json") == without_exported_at(
        tmp_path / "two.json"
    )


def test_periods_merge_by_uid(services: Services, tmp_path: Path) -> None:
    campaign, _ = add_periods(services)
    export_json(services, tmp_path / "out.json")
    audit_before = count(services, audit_table)
    report = import_json(services, tmp_path / "out.json")
    assert report.periods.unchanged == 2 and not report.changed
    assert count(services, audit_table) == audit_before

    document = load(tmp_path / "out.json")
    record = document["periods"][0]
    record.update(name="Campaign (revised)", version=2, ancestors=[fingerprint(campaign)])
    report = import_json(services, write(tmp_path / "newer.json", document))
    assert (report.periods.updated, report.periods.unchanged) == (1, 1)
    assert services.periods.get(campaign.uid or "").name == "Campaign (revised)"
    assert history_actions(services, campaign.uid or "")[-1] == "import"

    record.update(name="Their older edit", updated_at="2000-01-01T00:00:00Z")
    report = import_json(services, write(tmp_path / "older.json", document))
    assert report.periods.skipped == 1 and "periods[0]" in report.conflicts[0]
    assert services.periods.get(campaign.uid or "").name == "Campaign (revised)"


def test_a_document_without_periods_still_imports(services: Services, tmp_path: Path) -> None:
    document = minimal_document()
    assert "periods" not in document
    report = import_json(services, write(tmp_path / "old.json", document))
    assert report.incidents.added == 1 and report.periods.total == 0
    assert "Periods" not in report.summary()
    assert services.periods.list() == []


def period_record(**changes: Any) -> dict[str, Any]:
    record = {
        "uid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "name": "Campaign",
        "start_at": "2024-01-01T00:00:00Z",
        "start_precision": "day",
        "end_at": "2024-02-01T00:00:00Z",
        "end_precision": "day",
        "tz": "UTC",
        "color": None,
        "notes": None,
    }
    record.update(changes)
    return record


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"end_at": "2023-12-01T00:00:00Z"}, "end_at", "before the start"),
        ({"color": "blue"}, "color", "blue"),
        ({"tz": "Mars/Olympus"}, "tz", "IANA"),
        ({"name": ""}, "name", ""),
    ],
)
def test_a_bad_period_is_refused_naming_it_and_the_field(
    guarded: Callable[[Path], ExchangeError],
    tmp_path: Path,
    changes: dict[str, Any],
    field: str,
    words: str,
) -> None:
    document = minimal_document()
    document["periods"] = [period_record(**changes)]
    error = guarded(write(tmp_path / "period.json", document))
    assert error.record is not None and error.record.startswith("periods[0]")
    assert error.field == field
    assert words in str(error)


# --- what an export loads ------------------------------------------------------------------------

_LOADS_JSONSCHEMA = """
import sys
from pathlib import Path

import orjson

from incidentlog.exchange import export_json, validate_document
from incidentlog.services import Services
from incidentlog.store.database import open_database

folder = Path(sys.argv[1])
database = open_database(folder / "x.sqlite3")
export_json(Services(database, actor="tester"), folder / "out.json")
database.close()
seen = ["jsonschema" in sys.modules]
validate_document(folder / "out.json")
seen.append("jsonschema" in sys.modules)
document = orjson.loads((folder / "out.json").read_bytes())
document["incidents"][0]["status"] = "bogus"
(folder / "bad.json").write_bytes(orjson.dumps(document))
try:
    validate_document(folder / "bad.json")
except Exception as exc:
    seen.append("status" in str(exc) and "jsonschema" in sys.modules)
print(seen)
"""


@pytest.mark.file_only  # reads the file itself (its bytes, its query plan)
def test_exporting_json_does_not_import_jsonschema(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    """jsonschema takes a good part of a second to import: only a record the schema refuses
    pays for it (to word the error), never an export nor the check of a valid file. In a
    fresh interpreter, since this process has long since imported it."""
    fill(make_services("x"))
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _LOADS_JSONSCHEMA, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    exported, validated, worded = orjson.loads(result.stdout.strip().lower())
    assert not exported, "exporting JSON imported jsonschema"
    assert not validated, "checking a valid file imported jsonschema"
    assert worded, "the error about a refused record is worded by jsonschema"
