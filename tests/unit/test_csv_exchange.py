"""CSV export: safe to open in a spreadsheet, readable, and the same records as the JSON."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from incidentlog.domain.columns import INCIDENT_COLUMNS, QUOTE_COLUMNS, SOURCE_COLUMNS
from incidentlog.domain.enums import SourceKind, Status, TimePrecision
from incidentlog.domain.errors import Cancelled, ExchangeError
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.when import Moment
from incidentlog.exchange import CSV_FILES, export_csv, neutralize
from incidentlog.exchange.csv.columns import (
    incident_csv_columns,
    quote_csv_columns,
    source_csv_columns,
)
from incidentlog.services import Services
from incidentlog.store.database import open_database
from incidentlog.store.schema import incident_table

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL


@pytest.fixture
def services(db_targets: Callable[[str], str]) -> Iterator[Services]:
    database = open_database(db_targets("x"))
    yield Services(database, actor="tester")
    database.close()


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def assad(**changes: object) -> Incident:
    values: dict[str, object] = {
        "title": "Attack on al-Assad Airbase",
        "occurred": Moment.from_local(
            datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE, "Asia/Baghdad", approximate=True
        ),
        "country": "IQ",
        "admin1": "Al Anbar",
        "latitude": -33.1,
        "longitude": 42.44,
        "launched": 10,
        "intercepted": 8,
        "injured": Count.at_least(5),
        "status": Status.DRAFT,
        "tags": ("interception", "us forces"),
    }
    values.update(changes)
    return Incident(**values)  # type: ignore[arg-type]


@pytest.fixture
def filled(services: Services) -> dict[str, str]:
    incident = services.incidents.create(assad()).record
    other = services.incidents.create(
        Incident(
            title="Failed rocket strike",
            occurred=Moment.from_local(datetime(2024, 2, 1), TimePrecision.DAY, "Asia/Damascus"),
            country="SY",
        )
    ).record
    post = services.sources.create(
        Source(
            kind=SourceKind.SOCIAL_POST,
            title="CENTCOM post",
            url="https://x.com/CENTCOM/status/1",
            handle="@CENTCOM",
            published=Moment.from_local(datetime(2024, 1, 20), TimePrecision.DAY),
        )
    ).record
    untitled = services.sources.create(Source(url="https://t.co/iyveXX1f9H")).record
    services.incidents.link_source(incident.uid or "", post.uid or "", "time")
    services.incidents.link_source(incident.uid or "", untitled.uid or "", None)
    services.quotes.create(
        Quote(
            text="Multiple ballistic missiles and rockets were launched",
            speaker="CENTCOM",
            incident_uid=incident.uid,
            source_uid=post.uid,
        )
    )
    return {"assad": incident.uid or "", "syria": other.uid or "", "post": post.uid or ""}


def test_three_files_with_bom_crlf_and_the_table_headers(
    services: Services, filled: dict[str, str], tmp_path: Path
) -> None:
    report = export_csv(services, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(CSV_FILES)
    assert (report.incidents, report.sources, report.quotes) == (2, 2, 1)
    for name in CSV_FILES:
        raw = (tmp_path / "out" / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert raw.endswith(b"\r\n")
        assert b"\n" not in raw.replace(b"\r\n", b"")  # every line ends in CRLF
    headers = next(csv.reader((tmp_path / "out" / "incidents.csv").open(encoding="utf-8-sig")))
    assert headers == [column.header for column in incident_csv_columns()]
    table_headers = [column.header for column in INCIDENT_COLUMNS]
    assert [h for h in headers if h in table_headers] == table_headers  # the table's order
    assert headers[:5] == [
        "Ref",
        "Occurred",
        "Occurred (UTC)",
        "Occurred (local time)",
        "Occurred time zone",
    ]
    for columns, table in (
        (source_csv_columns(), SOURCE_COLUMNS),
        (quote_csv_columns(), QUOTE_COLUMNS),
    ):
        keys = [column.key for column in columns]
        assert [k for k in keys if k in {c.key for c in table}] == [c.key for c in table]
        assert {"uid", "created_at", "updated_at"} <= set(keys)


def test_values_are_human_readable(
    services: Services, filled: dict[str, str], tmp_path: Path
) -> None:
    export_csv(services, tmp_path / "out")
    incidents = read(tmp_path / "out" / "incidents.csv")
    row = next(r for r in incidents if r["UID"] == filled["assad"])
    assert row["Ref"] == "IQ-2024-0001"
    assert row["Occurred"] == "20 Jan 2024 ~18:30 Baghdad"
    assert row["Occurred (UTC)"] == "2024-01-20T15:30:00Z"
    assert row["Occurred (local time)"] == "2024-01-20T18:30+03:00"
    assert row["Occurred time zone"] == "Asia/Baghdad"
    assert row["Killed"] == "unknown"
    assert row["Injured"] == "at least 5"
    assert row["Status"] == "draft"
    assert row["Attribution"] == "unknown"
    assert row["Tags"] == "interception; us forces"
    assert row["Sources"] == "CENTCOM post; https://t.co/iyveXX1f9H"  # titles, else URLs, sorted
    assert row["Created by"] == "tester"
    assert row["Created (UTC)"].endswith("Z")
    # numbers we format ourselves stay numbers: no quote mark before the minus sign
    assert row["Latitude"] == "-33.1"
    assert row["Launched"] == "10"
    sources = read(tmp_path / "out" / "sources.csv")
    post = next(r for r in sources if r["UID"] == filled["post"])
    assert post["Kind"] == "social post"
    assert post["Published"] == "20 Jan 2024"
    assert post["Cited by"] == "IQ-2024-0001"
    assert post["Handle"] == "'@CENTCOM"  # begins with @: neutralized like any text cell
    (quote,) = read(tmp_path / "out" / "quotes.csv")
    assert quote["Incident"] == "IQ-2024-0001"
    assert quote["Incident UID"] == filled["assad"]
    assert quote["Source"] == "CENTCOM post"


@pytest.mark.file_only  # NUL is among the cells; PostgreSQL text cannot hold NUL
@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r", "\0"])
def test_formula_cells_are_neutralized(services: Services, tmp_path: Path, trigger: str) -> None:
    incident = services.incidents.create(assad()).record
    dangerous = f'{trigger}HYPERLINK("http://evil.example","click")'
    # Written under the services (which trim white space), as another tool might have.
    with services.database.write() as connection:
        connection.execute(
            update(incident_table)
            .where(incident_table.c.uid == incident.uid)
            .values(title=dangerous, summary=dangerous)
        )
    export_csv(services, tmp_path / "out")
    (row,) = read(tmp_path / "out" / "incidents.csv")
    assert row["Title"] == "'" + dangerous
    assert row["Summary"] == "'" + dangerous
    assert row["Latitude"] == "-33.1"  # a number, not text: left as it is


def test_neutralize() -> None:
    assert neutralize("=1+1") == "'=1+1"
    assert neutralize("-5 injured") == "'-5 injured"
    assert neutralize("safe = fine") == "safe = fine"
    assert neutralize("") == ""
    assert neutralize("'already quoted") == "'already quoted"


def test_commas_quotes_and_line_breaks_are_quoted_per_rfc_4180(
    services: Services, tmp_path: Path
) -> None:
    title = 'Rockets, drones and "missiles"'
    summary = "First line\nsecond line, with a comma\r\nthird"
    services.incidents.create(assad(title=title, summary=summary))
    export_csv(services, tmp_path / "out")
    raw = (tmp_path / "out" / "incidents.csv").read_bytes()
    assert b'"Rockets, drones and ""missiles"""' in raw
    (row,) = read(tmp_path / "out" / "incidents.csv")
    assert row["Title"] == title
    assert row["Summary"] == summary


def test_non_latin_text_survives(services: Services, tmp_path: Path) -> None:
    title = "هجوم صاروخي على قاعدة عين الأسد 🚀"
    services.incidents.create(assad(title=title))
    export_csv(services, tmp_path / "out")
    (row,) = read(tmp_path / "out" / "incidents.csv")
    assert row["Title"] == title


def test_filter_scoped_export(services: Services, filled: dict[str, str], tmp_path: Path) -> None:
    report = export_csv(services, tmp_path / "sy", IncidentFilter(countries=("SY",)))
    assert (report.incidents, report.sources, report.quotes) == (1, 0, 0)
    (row,) = read(tmp_path / "sy" / "incidents.csv")
    assert row["UID"] == filled["syria"]
    assert read(tmp_path / "sy" / "sources.csv") == []
    selection = IncidentFilter(uids=(filled["assad"],))
    report = export_csv(services, tmp_path / "sel", selection)
    assert (report.incidents, report.sources, report.quotes) == (1, 2, 1)


def test_cancelled_export_leaves_no_files_and_no_folder(
    services: Services, filled: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(Cancelled):
        export_csv(services, tmp_path / "new", cancel=lambda: True)
    assert not (tmp_path / "new").exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "incidents.csv").write_text("an earlier export")
    with pytest.raises(Cancelled):
        export_csv(services, existing, cancel=lambda: True)
    assert sorted(p.name for p in existing.iterdir()) == ["incidents.csv"]
    assert (existing / "incidents.csv").read_text() == "an earlier export"


def test_cancel_after_the_files_are_written_still_leaves_none(
    services: Services, filled: dict[str, str], tmp_path: Path
) -> None:
    """The last question comes when all three files are complete but not yet moved in."""
    asked: list[bool] = []

    def cancel() -> bool:
        asked.append(True)
        return len(asked) > 1

    with pytest.raises(Cancelled):
        export_csv(services, tmp_path / "out", cancel=cancel)
    assert len(asked) == 2
    assert not (tmp_path / "out").exists()


def test_a_file_in_place_of_the_folder_is_an_exchange_error(
    services: Services, tmp_path: Path
) -> None:
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(ExchangeError, match="not a folder"):
        export_csv(services, tmp_path / "out")
