"""The demo data set: the seed article's facts, and only those, in the export format."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator

from incidentlog.domain.actors import ActorRole
from incidentlog.domain.enums import (
    Attribution,
    CountQualifier,
    GeoPrecision,
    Reliability,
    TimePrecision,
)
from incidentlog.domain.records import Count, Incident
from incidentlog.exchange import export_json, export_schema, import_json, validate_document
from incidentlog.services import Services
from incidentlog.store.database import open_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

DEMO = resources.files("incidentlog.resources").joinpath("demo", "demo.json")


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    path = tmp_path / "demo.json"
    path.write_bytes(DEMO.read_bytes())
    return path


@pytest.fixture
def services(db_targets: Callable[[str], str], demo_path: Path) -> Iterator[Services]:
    database = open_database(db_targets("x"))
    services = Services(database, actor="tester")
    report = import_json(services, demo_path)
    assert not report.conflicts and not report.renumbered
    yield services
    database.close()


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(DEMO.read_bytes())
    return loaded


def incident_titled(services: Services, words: str) -> Incident:
    (found,) = [i for i in services.incident_query.page(limit=50) if words in (i.title or "")]
    return found


def test_demo_is_valid_against_the_schema(demo_path: Path) -> None:
    assert list(Draft202012Validator(export_schema()).iter_errors(document())) == []
    validate_document(demo_path)


def test_demo_uses_fixed_uuid4_uids_refs_and_stamps() -> None:
    doc = document()
    records = doc["incidents"] + doc["sources"] + doc["quotes"]
    for record in records:
        assert uuid.UUID(record["uid"]).version == 4
        assert record["created_by"] == record["updated_by"] == "demo"
        assert record["created_at"] == record["updated_at"] == "2024-08-12T08:00:00Z"
        assert record["version"] == 1
    assert len({r["uid"] for r in records}) == len(records)
    assert sorted(i["ref"] for i in doc["incidents"]) == [
        "IQ-2024-0001",
        "IQ-2024-0002",
        "IQ-2024-0003",
        "IQ-2024-0004",
        "SY-2024-0001",
    ]


def test_demo_imports_whole(services: Services) -> None:
    assert services.incident_query.count() == 5
    assert len(services.source_query.list()) == 10
    assert len(services.quote_query.list()) == 6


def test_the_al_assad_attack(services: Services) -> None:
    incident = incident_titled(services, "al-Assad")
    assert incident.ref == "IQ-2024-0001"
    assert incident.occurred is not None
    assert incident.occurred.utc_text == "2024-01-20T15:30:00Z"  # 18:30 Baghdad
    assert incident.occurred.precision is TimePrecision.MINUTE
    assert incident.occurred.tz == "Asia/Baghdad"
    assert incident.occurred.approximate
    assert incident.occurred.display() == "20 Jan 2024 ~18:30 Baghdad"
    assert (incident.place, incident.admin1, incident.country) == (
        "al-Assad Airbase",
        "Al Anbar",
        "IQ",
    )
    assert incident.event_type == "ballistic missile attack"
    assert incident.weapons == "ballistic missiles and rockets"
    assert incident.perpetrator == "Iranian-backed militants"
    assert incident.attribution is Attribution.ATTRIBUTED
    # CENTCOM's post is who attributes it, and the source that says so
    attributed, target = incident.actors
    assert (attributed.role, attributed.actor, attributed.attributed_by) == (
        ActorRole.PERPETRATOR, "Iranian-backed militants", "U.S. Central Command")
    assert attributed.source_uid == "fb037c81-fe85-47ca-9fe1-a9ed8d6daed4"
    assert (target.role, target.actor) == (ActorRole.TARGET, "U.S. forces")
    # "multiple" launched, "most" intercepted, no casualty figures: unknown, not zero
    assert incident.launched is None and incident.intercepted is None
    assert incident.injured.qualifier is CountQualifier.UNKNOWN
    assert incident.killed.qualifier is CountQualifier.UNKNOWN


def test_the_us_strikes_are_linked_as_retaliation_for_the_al_assad_attack(
        services: Services) -> None:
    """The seed: "In response to these attacks, US forces have conducted retaliatory strikes"."""
    strikes = incident_titled(services, "US retaliatory strikes")
    assad = incident_titled(services, "al-Assad Airbase")
    [link] = services.links.related(strikes.uid or "")
    assert (link.wording, link.other_uid) == ("retaliation for", assad.uid)
    assert "In response to these attacks" in (link.link.note or "")
    [back] = services.links.related(assad.uid or "")
    assert (back.wording, back.other_uid) == ("answered by", strikes.uid)


def test_every_record_is_graded_and_every_site_is_placed(services: Services) -> None:
    """The demo shows what a graded log looks like: no empty grade, no site without a point."""
    for incident in services.incident_query.page(limit=50):
        assert incident.confidence is not None, incident.ref
        if incident.geo_precision in (GeoPrecision.SITE, GeoPrecision.NEAR):
            assert incident.latitude is not None and incident.longitude is not None, incident.ref
    for source in services.source_query.list():
        assert source.reliability is not None, source.title
    assad = incident_titled(services, "al-Assad")
    assert assad.geo_precision is GeoPrecision.SITE
    assert (assad.latitude, assad.longitude) == pytest.approx((33.7856, 42.4412), abs=0.01)
    (centcom,) = [s for s in services.source_query.list() if s.handle == "@CENTCOM"]
    assert centcom.reliability is Reliability.B  # an official statement on its own base


def test_the_attack_of_monday_5_august(services: Services) -> None:
    incident = incident_titled(services, "at least five")
    assert incident.occurred is not None
    assert incident.occurred.precision is TimePrecision.DAY
    assert incident.occurred.local().date() == date(2024, 8, 5)
    assert incident.occurred.local().strftime("%A") == "Monday"
    assert incident.country == "IQ"
    assert incident.injured.display() == "at least 5"
    assert incident.injured_seriously == Count.exact(1)  # "one ... was seriously injured"
    assert incident.killed.display() == "unknown"
    assert incident.perpetrator is None  # the post does not say who attacked
    assert incident.attribution is Attribution.UNKNOWN


def test_the_incidents_dated_only_by_the_seed_say_why(services: Services) -> None:
    syria = incident_titled(services, "Syria")
    assert syria.country == "SY" and syria.event_type == "rocket attack"
    strikes = incident_titled(services, "retaliatory")
    assert strikes.event_type == "retaliatory strike"
    drones = incident_titled(services, "Drone")
    assert drones.event_type == "drone attack"
    for incident in (syria, strikes, drones):
        assert incident.occurred is not None
        assert incident.occurred.precision is not TimePrecision.DAY
        assert incident.occurred.approximate
        assert "Date:" in (incident.summary or "")


def test_the_centcom_post_is_one_source(services: Services) -> None:
    sources = services.source_query.list()
    centcom = [s for s in sources if s.handle == "@CENTCOM"]
    assert len(centcom) == 1
    (post,) = centcom
    assert post.excerpt is not None and post.excerpt.startswith("At approximately 6:30 p.m.")
    assert post.published is not None
    assert post.published.precision is TimePrecision.DAY
    assert post.published.utc.date() == date(2024, 1, 20)
    assert services.sources.duplicates_of(post.url) == [post]
    citing = services.sources.citing(post.uid or "")
    assert [ref for _, ref, _ in citing] == ["IQ-2024-0001"]


def test_the_iran_international_post(services: Services) -> None:
    (post,) = [s for s in services.source_query.list() if s.handle == "@IranIntl_En"]
    assert post.url == "https://t.co/iyveXX1f9H"
    assert post.published is not None and post.published.utc.date() == date(2024, 8, 5)
    assert "At least five US personnel" in (post.excerpt or "")
    assert [ref for _, ref, _ in services.sources.citing(post.uid or "")] == ["IQ-2024-0002"]


def test_the_listed_articles_and_videos_are_sources(services: Services) -> None:
    titles = {s.title for s in services.source_query.list()}
    for title in (
        "US base attacked in Iraq hours after Iran vows revenge for Damascus attack",
        "The Latest | Failed rocket strike launched on US-led coalition forces base in Syria",
        "Iran-backed militants reportedly launch rocket attack against U.S. base in Iraq",
        "IRANIAN-BACKED MILITANTS LAUNCH MISSILES AT US MILITARY BASE IN IRAQ",
        "US SOLDIERS INJURED AS IRAN-BACKED MILITANTS LAUNCH MISSILE ATTACK ON IRAQ AIRBASE",
        "ON CAM: IRAN-BACKED MILITIA ATTACKS U.S. MILITARY BASES IN IRAQ WITH DRONES AMID "
        "ISRAEL-HAMAS WAR",
        "U.S. STRIKES IRANIAN-BACKED MILITIAS IN IRAQ",
    ):
        assert title in titles
    for incident in services.incident_query.page(limit=50):
        links = services.incidents.links(incident.uid or "")
        assert links, incident.ref
        assert all(link.note for link in links)


def test_the_quotes_speakers_and_roles(services: Services) -> None:
    quotes = services.quote_query.list()
    assert sorted((q.speaker, q.speaker_role, q.speaker_org) for q in quotes) == sorted(
        [
            ("US Central Command (CENTCOM)", None, "US Central Command (CENTCOM)"),
            ("The Pentagon", None, "US Department of Defense"),
            ("Joe Biden", "President of the United States", "United States"),
            ("Joe Biden", "President of the United States", "United States"),
            ("Ayman Safadi", "Foreign Minister of Jordan", "Jordan"),
            ("Ebrahim Raisi", "President of Iran", "Iran"),
        ]
    )
    assad = incident_titled(services, "al-Assad")
    tied = [q for q in quotes if q.incident_uid]
    assert [(q.speaker, q.incident_uid) for q in tied] == [
        ("US Central Command (CENTCOM)", assad.uid)
    ]
    raisi = next(q for q in quotes if q.speaker == "Ebrahim Raisi")
    assert (
        raisi.text == "The Islamic Republic will not leave the Zionist regime’s crimes unanswered."
    )
    assert all(q.source_uid for q in quotes)


def test_demo_round_trips_byte_for_byte_but_for_exported_at(
    services: Services, tmp_path: Path
) -> None:
    export_json(services, tmp_path / "again.json")
    original = DEMO.read_bytes().split(b"\n")
    again = (tmp_path / "again.json").read_bytes().split(b"\n")
    assert original[3].startswith(b'  "exported_at"')
    assert original[:3] + original[4:] == again[:3] + again[4:]


def test_importing_the_demo_twice_changes_nothing(services: Services, demo_path: Path) -> None:
    report = import_json(services, demo_path)
    assert not report.changed
    assert report.incidents.unchanged == 5
    assert report.sources.unchanged == 10
    assert report.quotes.unchanged == 6
