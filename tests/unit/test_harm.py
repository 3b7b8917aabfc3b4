"""Harm in detail: ranges, the split, the seriously injured; stored, audited, migrated,
exchanged and summed honestly (docs/harm.md)."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import text

from incidentlog.domain.enums import CountQualifier, TimePrecision
from incidentlog.domain.errors import ValidationError
from incidentlog.domain.harm import harm_text, parse_injured
from incidentlog.domain.records import Count, HarmSplit, Incident
from incidentlog.domain.validation import incident_errors
from incidentlog.domain.when import Moment
from incidentlog.exchange import export_csv
from incidentlog.exchange.briefing.summary import Tally, total
from incidentlog.exchange.json import export_json, export_schema, import_json
from incidentlog.exchange.tabular.acled import export_acled
from incidentlog.exchange.tabular.builtin import builtin_mapping
from incidentlog.exchange.tabular.importing import import_table
from incidentlog.exchange.tabular.mapping import ColumnMapping
from incidentlog.services import Services
from incidentlog.store import lineage
from incidentlog.store.audit import history
from incidentlog.store.check import check_database
from incidentlog.store.database import Database, head_revision, open_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

AT = Moment.from_local(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE, "Asia/Baghdad")

#: The seed: "at least five injured, one seriously"; killed given as a range for the test.
SEED = Incident(
    title="Iranian-backed militants attack al-Assad Airbase",
    occurred=AT,
    country="IQ",
    killed=Count.between(3, 5, best=4),
    killed_split=HarmSplit(civilians=Count.exact(1), military=Count.at_least(2)),
    injured=Count.at_least(5),
    injured_seriously=Count.exact(1),
)


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


def harm(incident: Incident) -> tuple[Any, ...]:
    return (incident.killed, incident.killed_split, incident.injured, incident.injured_split,
            incident.injured_seriously)


# --- the domain ----------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "expected", "cell"), [
    ("3-5", Count(3, CountQualifier.AT_LEAST, None, 5), "3–5"),
    ("3–5", Count(3, CountQualifier.AT_LEAST, None, 5), "3–5"),
    ("between 3 and 5", Count(3, CountQualifier.AT_LEAST, None, 5), "3–5"),
    ("3–5 (best 4)", Count(4, CountQualifier.ABOUT, 3, 5), "3–5 (best 4)"),
    ("at least 5", Count(5, CountQualifier.AT_LEAST), "≥ 5"),
    ("about 4", Count(4, CountQualifier.ABOUT), "~4"),
    ("4", Count(4, CountQualifier.EXACT), "4"),
])
def test_counts_are_typed_as_reports_word_them(typed: str, expected: Count, cell: str) -> None:
    count = Count.parse(typed)
    assert count == expected
    assert count.short() == cell
    assert Count.parse(count.display()) == count  # what is shown reads back


def test_a_range_has_ends_and_at_least_has_no_high_end() -> None:
    assert (Count.parse("3–5 (best 4)").lower, Count.parse("3–5 (best 4)").upper) == (3, 5)
    assert (Count.at_least(5).lower, Count.at_least(5).upper) == (5, None)
    assert (Count.about(4).lower, Count.about(4).upper) == (4, 4)
    assert (Count().lower, Count().upper) == (None, None)


def test_the_seeds_injured_are_read_with_how_many_seriously() -> None:
    assert parse_injured("at least five injured, one seriously") == (
        Count.at_least(5), Count.exact(1))
    assert parse_injured("at least 5 (1 seriously)") == (Count.at_least(5), Count.exact(1))
    assert parse_injured("3-5") == (Count.parse("3-5"), Count())


def test_the_table_cell_and_the_text_say_the_parts() -> None:
    assert harm_text(SEED.injured, SEED.injured_split, SEED.injured_seriously,
                     short=True) == "≥ 5 (1 seriously)"
    assert harm_text(SEED.killed, SEED.killed_split) == (
        "3–5 (best 4) (1 civilians, at least 2 military)")


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"killed": Count(4, CountQualifier.ABOUT, 5, None)}, "killed", "low 5 is more than"),
    ({"killed": Count(4, CountQualifier.ABOUT, None, 3)}, "killed", "high 3 is less than"),
    ({"killed": Count(4, CountQualifier.EXACT, 3, 5)}, "killed", "exact number has no range"),
    ({"killed_split": HarmSplit(civilians=Count.exact(4), military=Count.exact(2))},
     "killed_civilians", "more than the killed total's high end of 5"),
    ({"injured": Count.exact(3), "injured_seriously": Count.exact(4)},
     "injured_seriously", "more than the injured total's high end of 3"),
    ({"killed_split": HarmSplit(military=Count.parse("1-2"))}, "killed_military",
     "ranges are kept for totals"),
    ({"injured": Count()}, "injured", "unknown but its parts say at least 1"),
])
def test_validation_names_the_field(changes: dict[str, Any], field: str, words: str) -> None:
    errors = incident_errors(replace(SEED, **changes))
    assert words in errors.get(field, ""), errors


def test_parts_of_an_open_total_may_add_up_to_anything() -> None:
    """At least 5 injured has no high end: parts of 7 contradict nothing."""
    assert incident_errors(replace(SEED, injured_split=HarmSplit(civilians=Count.exact(7)))) == {}


# --- sums ----------------------------------------------------------------------------------


def tally(*counts: Count) -> str:
    summed = Tally()
    for count in counts:
        summed.add(count)
    return summed.text()


def test_sums_add_low_and_high_ends_apart() -> None:
    assert tally(Count.parse("3-5"), Count.exact(2)) == "5–7"
    assert tally(Count.parse("3–5 (best 4)"), Count.exact(2)) == "5–7 (best 6)"
    assert tally(Count.exact(2), Count.exact(3)) == "5"
    assert tally(Count.about(2), Count.exact(3)) == "about 5"


def test_an_at_least_or_unknown_figure_makes_the_sum_at_least() -> None:
    assert tally(Count.parse("3-5"), Count.at_least(5)) == "at least 8"
    assert tally(Count.parse("3–5 (best 4)"), Count.at_least(5)) == "at least 8 (best 9)"
    assert tally(Count.parse("3-5"), Count()) == "at least 3 (unknown for 1 incident)"
    assert tally(Count.at_least(2), Count.about(3)) == "at least about 5"


def test_the_briefing_total_of_the_seed_and_a_range() -> None:
    other = replace(SEED, killed=Count.parse("1-2"), injured=Count.exact(2))
    group = total([SEED, other])
    assert group.killed.text() == "4–7 (best 5)"
    assert group.injured.text() == "at least 7"


# --- stored, audited, fingerprinted --------------------------------------------------------


def test_the_detail_is_stored_audited_and_checked(services: Services) -> None:
    stored = services.incidents.create(SEED).record
    uid = stored.meta.uid or ""
    assert harm(services.incidents.get(uid)) == harm(SEED)
    edited = replace(stored, killed_split=replace(SEED.killed_split, military=Count.exact(3)))
    services.incidents.update(edited)
    with services.database.read() as connection:
        entries = history(connection, uid)
    assert entries[-1].changes["killed_military"] == [2, 3]
    assert entries[-1].changes["killed_military_qualifier"] == ["at_least", "exact"]
    assert check_database(services.database) == []


def test_a_change_made_around_incidentlog_is_found(services: Services) -> None:
    uid = services.incidents.create(SEED).record.meta.uid
    with services.database.write() as connection:
        connection.execute(text("UPDATE incident SET injured_seriously = 4"))
    [problem] = check_database(services.database)
    assert f"(uid {uid}): injured_seriously:" in problem


def test_fingerprints_cover_the_detail_and_keep_older_ones() -> None:
    plain = replace(SEED, killed=Count.exact(4), killed_split=HarmSplit(),
                    injured_seriously=Count())
    assert lineage.fingerprint(SEED) != lineage.fingerprint(
        replace(SEED, injured_seriously=Count.exact(2)))
    assert lineage.fingerprint(SEED) != lineage.fingerprint(
        replace(SEED, killed=Count.between(3, 6, best=4)))
    # Without detail, what was hashed before the detail existed: an older lineage holds.
    from incidentlog.store import records as store_records

    values = store_records.incident_values(plain)
    before = {k: v for k, v in values.items() if k not in lineage.HARM_DETAIL}
    assert lineage.fingerprint(plain) == lineage.fingerprint_content(
        "incident", lineage.incident_content(before, plain.tags))


def test_a_bad_part_is_refused_by_the_service(services: Services) -> None:
    with pytest.raises(ValidationError) as raised:
        services.incidents.create(replace(SEED, injured_seriously=Count.exact(9),
                                          injured=Count.exact(6)))
    assert "injured_seriously" in raised.value.fields


# --- exchanged -----------------------------------------------------------------------------


def test_json_carries_the_detail_as_optional_properties_and_reads_it_back(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    first = make_services("first")
    uid = first.incidents.create(SEED).record.meta.uid or ""
    first.incidents.create(replace(SEED, title="Without detail", killed=Count(),
                                   killed_split=HarmSplit(), injured_seriously=Count()))
    export_json(first, tmp_path / "out.json")
    document = orjson.loads((tmp_path / "out.json").read_bytes())
    assert list(Draft202012Validator(export_schema()).iter_errors(document)) == []
    by_title = {record["title"]: record for record in document["incidents"]}
    assert by_title[SEED.title]["killed"] == {
        "value": 4, "qualifier": "about", "low": 3, "high": 5,
        "civilians": {"value": 1, "qualifier": "exact"},
        "military": {"value": 2, "qualifier": "at_least"},
    }
    assert by_title[SEED.title]["injured"] == {
        "value": 5, "qualifier": "at_least", "seriously": {"value": 1, "qualifier": "exact"}}
    # Nothing new where there is no detail: such a record reads as before.
    assert by_title["Without detail"]["killed"] == {"value": None, "qualifier": "unknown"}
    assert by_title["Without detail"]["injured"] == {"value": 5, "qualifier": "at_least"}
    second = make_services("second")
    assert import_json(second, tmp_path / "out.json").incidents.added == 2
    assert harm(second.incidents.get(uid)) == harm(SEED)
    assert import_json(second, tmp_path / "out.json").incidents.unchanged == 2
    assert check_database(second.database) == []


def test_csv_has_low_best_high_and_the_parts_and_reads_them_back(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    first = make_services("first")
    uid = first.incidents.create(SEED).record.meta.uid or ""
    export_csv(first, tmp_path / "csv")
    with (tmp_path / "csv" / "incidents.csv").open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["Killed"] == "3–5 (best 4)"
    assert (row["Killed: low"], row["Killed: best"], row["Killed: high"]) == ("3", "4", "5")
    assert (row["Injured: low"], row["Injured: best"], row["Injured: high"]) == ("5", "5", "")
    assert (row["Killed: civilians"], row["Killed: military"]) == ("1", "at least 2")
    assert row["Injured: seriously"] == "1"
    second = make_services("second")
    mapping = builtin_mapping("incidentlog")
    assert mapping is not None
    import_table(second, tmp_path / "csv" / "incidents.csv", mapping)
    assert harm(second.incidents.get(uid)) == harm(SEED)


def test_a_table_cell_with_the_seriously_injured_is_read(
    services: Services, tmp_path: Path
) -> None:
    table = tmp_path / "t.csv"
    table.write_text("date,title,country,injured\n"
                     "2024-01-20,al-Assad,IQ,\"at least five injured, one seriously\"\n",
                     encoding="utf-8")
    mapping = ColumnMapping(columns={"date": "occurred", "title": "title",
                                     "country": "country", "injured": "injured"})
    assert import_table(services, table, mapping).incidents.added == 1
    [incident] = services.incident_query.by_ids(services.incident_query.ids()).values()
    assert (incident.injured, incident.injured_seriously) == (Count.at_least(5), Count.exact(1))


def test_acled_fatalities_are_the_best_estimate(services: Services, tmp_path: Path) -> None:
    services.incidents.create(SEED)
    export_acled(services, tmp_path / "acled.csv")
    with (tmp_path / "acled.csv").open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["fatalities"] == "4"


# --- migrated ------------------------------------------------------------------------------


def _downgrade_to_0007(database: Database) -> None:
    from alembic import command

    from incidentlog.store.database import _alembic_config

    with database.engine.execution_options(write=True).connect() as connection, \
            connection.begin():
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")


@pytest.mark.file_only  # the pre-migration backup and the file's revision are SQLite's
def test_a_log_of_revision_0007_is_migrated_and_its_counts_become_best_totals(
    db_path: Path, tmp_path: Path
) -> None:
    database = open_database(db_path)
    services = Services(database, actor="tester")
    old = Incident(title="al-Assad", occurred=AT, country="IQ", killed=Count.exact(2),
                   injured=Count.at_least(5))
    uids = [services.incidents.create(old).record.meta.uid or "",
            services.incidents.create(replace(old, title="Erbil", killed=Count(),
                                              injured=Count.about(3))).record.meta.uid or ""]
    _downgrade_to_0007(database)
    database.close()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0007",)
        columns = {row[1] for row in raw.execute("PRAGMA table_info(incident)")}
        assert "killed_low" not in columns
    with open_database(db_path, backup_dir=tmp_path / "bk") as migrated:
        after = Services(migrated, actor="tester")
        with migrated.read() as connection:
            assert connection.exec_driver_sql(
                "SELECT version_num FROM alembic_version").scalar() == head_revision()
        first, second = (after.incidents.get(uid) for uid in uids)
        assert (first.killed, first.injured) == (Count.exact(2), Count.at_least(5))
        assert (second.killed, second.injured) == (Count(), Count.about(3))
        assert first.killed_split == HarmSplit() and first.injured_seriously == Count()
        assert check_database(migrated) == []
        after.incidents.update(replace(first, injured_seriously=Count.exact(1)))
        assert after.incidents.get(uids[0]).injured_seriously == Count.exact(1)
        assert check_database(migrated) == []


def test_the_migration_runs_on_both_engines(
    db_engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Down to 0007 and up again through the open (as the log's owner: a migration alters
    the tables), with a record kept whole."""
    server = None
    if db_engine == "sqlite":
        target = str(tmp_path / "m.sqlite3")
    else:
        server = request.getfixturevalue("pg_server")
        name = server.log_database()
        target = server.url(name)
    try:
        database = open_database(target)
        services = Services(database, actor="tester")
        uid = services.incidents.create(replace(
            SEED, killed=Count.exact(4), killed_split=HarmSplit(),
            injured_seriously=Count())).record.meta.uid or ""
        _downgrade_to_0007(database)
        database.close()
        with open_database(target, backup_dir=tmp_path / "bk") as reopened:
            again = Services(reopened, actor="tester")
            incident = again.incidents.get(uid)
            assert (incident.killed, incident.injured) == (Count.exact(4), Count.at_least(5))
            again.incidents.update(replace(incident, killed=Count.between(3, 5, best=4)))
            assert again.incidents.get(uid).killed == Count.between(3, 5, best=4)
            assert check_database(reopened) == []
    finally:
        if server is not None:
            server.drop_database(name)
