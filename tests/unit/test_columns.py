"""The table columns, defined once for the GUI table and the CSV export."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from incidentlog.domain.columns import (
    INCIDENT_COLUMNS,
    QUOTE_COLUMNS,
    SOURCE_COLUMNS,
    Column,
    column_by_key,
    confidence_text,
    number_text,
)
from incidentlog.domain.enums import (
    Attribution,
    GeoPrecision,
    Reliability,
    SourceKind,
    Status,
    TimePrecision,
)
from incidentlog.domain.query import INCIDENT_SORT_COLUMNS
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.validation import clean_incident
from incidentlog.domain.when import Moment
from incidentlog.store.queries import QUOTE_SORT_COLUMNS, SOURCE_SORT_COLUMNS

AL_ASSAD = Incident(
    title="Attack on al-Assad Airbase",
    ref="IQ-2024-0001",
    occurred=Moment.from_local(
        datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE, "Asia/Baghdad", approximate=True
    ),
    place="al-Assad Airbase",
    admin1="Al Anbar",
    country="IQ",
    latitude=33.8,
    longitude=-42.44,
    geo_precision=GeoPrecision.SITE,
    event_type="ballistic missile attack",
    weapons="ballistic missiles and rockets",
    launched=None,
    intercepted=None,
    perpetrator="Iranian-backed militants",
    attribution=Attribution.ATTRIBUTED,
    target="al-Assad Airbase",
    injured=Count.at_least(5),
    status=Status.IN_REVIEW,
    confidence=2,
    tags=("interception", "us forces"),
    summary="Most of the missiles were intercepted.",
)


def _texts(columns: tuple[Column[object], ...], record: object) -> dict[str, str]:
    return {column.key: column.text(record) for column in columns}


@pytest.mark.parametrize("columns", [INCIDENT_COLUMNS, SOURCE_COLUMNS, QUOTE_COLUMNS])
def test_keys_and_headers_are_unique(columns: tuple[Column[object], ...]) -> None:
    keys = [column.key for column in columns]
    headers = [column.header for column in columns]
    assert len(set(keys)) == len(keys)
    assert len(set(headers)) == len(headers)
    assert all(header and header[0].isupper() for header in headers)


@pytest.mark.parametrize(
    ("columns", "sortable"),
    [
        (INCIDENT_COLUMNS, INCIDENT_SORT_COLUMNS),
        (SOURCE_COLUMNS, SOURCE_SORT_COLUMNS),
        (QUOTE_COLUMNS, QUOTE_SORT_COLUMNS),
    ],
)
def test_every_sort_name_is_one_the_store_can_sort_by(
    columns: tuple[Column[object], ...], sortable: tuple[str, ...]
) -> None:
    for column in columns:
        assert column.sort is None or column.sort in sortable, column.key


def test_incident_columns_read_in_the_expected_order() -> None:
    keys = [column.key for column in INCIDENT_COLUMNS]
    assert keys[:3] == ["ref", "occurred", "title"]
    expected_order = [
        "ref",
        "occurred",
        "title",
        "place",
        "admin1",
        "country",
        "event_type",
        "weapons",
        "launched",
        "intercepted",
        "perpetrator",
        "attribution",
        "target",
        "killed",
        "injured",
        "status",
        "confidence",
        "tags",
        "summary",
    ]
    assert [key for key in keys if key in expected_order] == expected_order


def test_an_incident_reads_as_a_person_would_write_it() -> None:
    texts = _texts(INCIDENT_COLUMNS, AL_ASSAD)
    assert texts["ref"] == "IQ-2024-0001"
    assert texts["occurred"] == "20 Jan 2024 ~18:30 Baghdad"
    assert texts["country"] == "IQ"
    assert texts["admin1"] == "Al Anbar"
    assert texts["killed"] == "unknown"  # unknown is not zero
    assert texts["injured"] == "at least 5"
    assert texts["status"] == "in review"  # the label, not the stored code
    assert texts["attribution"] == "attributed"
    assert texts["confidence"] == "2 – probably true"
    assert texts["tags"] == "interception; us forces"
    assert texts["actors"] == ""  # not cleaned: the store gives a record its actors
    cleaned = clean_incident(AL_ASSAD)
    assert _texts(INCIDENT_COLUMNS, cleaned)["actors"] == (
        "perpetrator: Iranian-backed militants (attributed)")
    assert texts["launched"] == ""  # not given is empty, never "None" or 0
    assert texts["latitude"] == "33.8"
    assert texts["longitude"] == "-42.44"
    assert texts["geo_precision"] == "site"


def test_an_empty_incident_has_no_none_in_any_cell() -> None:
    texts = _texts(INCIDENT_COLUMNS, Incident())
    assert all("None" not in text for text in texts.values())
    assert texts["killed"] == texts["injured"] == "unknown"
    assert texts["status"] == "draft"


def test_numeric_columns_are_the_numbers_we_format() -> None:
    numeric = {column.key for column in INCIDENT_COLUMNS if column.numeric}
    assert numeric == {"launched", "intercepted", "latitude", "longitude"}
    assert not any(column.numeric for column in SOURCE_COLUMNS + QUOTE_COLUMNS)
    assert number_text(None) == ""
    assert number_text(12) == "12"
    assert number_text(-33.1) == "-33.1"
    assert float(number_text(0.1 + 0.2)) == 0.1 + 0.2  # repr: exact round trip


def test_confidence_text() -> None:
    assert confidence_text(None) == ""
    assert confidence_text(1) == "1 – confirmed by other sources"
    assert confidence_text(6) == "6 – truth cannot be judged"


def test_source_and_quote_columns() -> None:
    source = Source(
        kind=SourceKind.SOCIAL_POST,
        title=None,
        url="https://t.co/iyveXX1f9H",
        handle="@IranIntl_En",
        published=Moment(datetime(2024, 8, 5, tzinfo=UTC), TimePrecision.DAY),
        reliability=Reliability.B,
    )
    texts = _texts(SOURCE_COLUMNS, source)
    assert texts["kind"] == "social post"
    assert texts["published"] == "5 Aug 2024"
    assert texts["reliability"] == "B – usually reliable"
    assert texts["title"] == ""
    quote = Quote(
        text="We also discussed the steps we are taking",
        speaker="Joe Biden",
        speaker_role="President of the United States",
    )
    texts = _texts(QUOTE_COLUMNS, quote)
    assert texts["speaker"] == "Joe Biden"
    assert texts["speaker_role"] == "President of the United States"
    assert texts["said"] == ""


def test_column_by_key() -> None:
    assert column_by_key(INCIDENT_COLUMNS, "injured").header == "Injured"
    with pytest.raises(KeyError, match="known"):
        column_by_key(INCIDENT_COLUMNS, "colour")


def test_columns_module_imports_neither_qt_nor_sql() -> None:
    code = (
        "import sys, incidentlog.domain.columns; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'sqlalchemy')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
