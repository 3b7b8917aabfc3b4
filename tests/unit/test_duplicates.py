"""Duplicate incidents: the lookup, the whole-log listing, merge, undo, tombstones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from incidentlog.domain.duplicates import Probe, distance_km, score, time_closeness
from incidentlog.domain.enums import CountQualifier
from incidentlog.domain.errors import ValidationError
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.when import parse_local
from incidentlog.exchange.json.export import export_json
from incidentlog.exchange.json.importing import import_json
from incidentlog.services import Services
from incidentlog.services.merge import combined
from incidentlog.store.audit import verify_chain
from incidentlog.store.replay import replay_problems

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

AL_ASSAD = Incident(
    title="Iranian-backed militants attack al-Assad Airbase",
    occurred=parse_local("~2024-01-20 18:30", "Asia/Baghdad"),
    summary="Multiple ballistic missiles and rockets were launched at the base.",
    place="al-Assad Airbase", country="IQ", latitude=33.7856, longitude=42.4412,
    killed=Count(0, CountQualifier.EXACT), tags=("US forces",),
)
# The same attack as another desk entered it: a day's precision, other words, 3 km off.
SAME = Incident(
    title="Ballistic missile attack on Al Asad airbase by Iran-backed militants",
    occurred=parse_local("2024-01-20", "Asia/Baghdad"),
    summary="Ballistic missiles and rockets hit al-Asad air base in Anbar.",
    place="Al Asad Air Base", country="IQ", latitude=33.80, longitude=42.47,
    injured=Count(4, CountQualifier.EXACT), tags=("Anbar",),
)
OTHER_DAY = replace(SAME, title="Drone attack on Erbil airport",
                    occurred=parse_local("2024-02-14", "Asia/Baghdad"), place="Erbil",
                    latitude=36.24, longitude=43.96)
ELSEWHERE = replace(SAME, title="Rocket fire on Tower 22", country="JO", place="Tower 22",
                    latitude=33.32, longitude=38.69, summary="Drones struck a logistics base.")


def test_time_closeness_respects_both_precisions() -> None:
    minute = Probe.of(AL_ASSAD)
    day = Probe.of(SAME)
    assert minute is not None and day is not None
    assert time_closeness(minute, day) == (1.0, "same day")
    later = Probe.of(replace(SAME, occurred=parse_local("2024-01-22", "Asia/Baghdad")))
    assert later is not None
    closeness = time_closeness(minute, later)
    assert closeness is not None and closeness[1] == "1 day apart"
    far = Probe.of(replace(SAME, occurred=parse_local("2024-01-30", "Asia/Baghdad")))
    assert far is not None and time_closeness(minute, far) is None
    year = Probe.of(replace(SAME, occurred=parse_local("2024", "Asia/Baghdad")))
    assert year is not None and time_closeness(minute, year) == (0.35, "same year")


def test_reasons_name_distance_and_title_likeness() -> None:
    assert round(distance_km(33.7856, 42.4412, 33.80, 42.47)) == 3
    a, b = Probe.of(AL_ASSAD), Probe.of(SAME)
    assert a is not None and b is not None
    scored = score(a, b)
    assert scored is not None
    assert scored[1][:2] == ("same day", "3 km apart")
    assert any(reason.startswith("title ") and reason.endswith("% alike") for reason in scored[1])


def test_a_typed_incident_finds_the_stored_one(services: Services) -> None:
    stored = services.incidents.create(AL_ASSAD).record
    for other in (OTHER_DAY, ELSEWHERE):
        services.incidents.create(other)
    found = services.duplicates.candidates(SAME)
    assert [c.uid for c in found] == [stored.meta.uid]
    assert found[0].ref == stored.ref and found[0].percent >= 70
    assert "same day" in found[0].reasons
    # An incident is never its own duplicate, and the trash is not looked at.
    assert services.duplicates.candidates(stored) == []
    services.incidents.delete(stored.meta.uid or "")
    assert services.duplicates.candidates(SAME) == []


def test_a_coarse_stored_incident_is_found_from_a_precise_one(services: Services) -> None:
    stored = services.incidents.create(
        replace(AL_ASSAD, occurred=parse_local("2024-01", "Asia/Baghdad"))).record
    found = services.duplicates.candidates(SAME, min_score=0.3)
    assert [c.uid for c in found] == [stored.meta.uid]
    assert "same month" in found[0].reasons


def test_pairs_of_the_whole_log(services: Services) -> None:
    first = services.incidents.create(AL_ASSAD).record
    second = services.incidents.create(SAME).record
    services.incidents.create(OTHER_DAY)
    services.incidents.create(ELSEWHERE)
    seen: list[tuple[int, int]] = []
    pairs = list(services.duplicates.pairs(progress=lambda done, total: seen.append((done, total))))
    # The earlier first: the whole day of the 20th starts before 18:30 that day.
    assert [(p.first_uid, p.second_uid) for p in pairs] == [(second.meta.uid, first.meta.uid)]
    assert seen[-1] == (4, 4)


def _with_children(services: Services, uid: str, title: str) -> tuple[str, str]:
    source = services.sources.create(Source(title=title, url=f"https://example.org/{title}"))
    services.incidents.link_source(uid, source.record.meta.uid or "")
    quote = services.quotes.create(Quote(text=f"{title} said", speaker="CENTCOM",
                                         incident_uid=uid))
    return source.record.meta.uid or "", quote.record.meta.uid or ""


def test_merge_moves_children_keeps_a_tombstone_and_undoes(services: Services) -> None:
    survivor = services.incidents.create(AL_ASSAD).record
    merged = services.incidents.create(SAME).record
    s_uid, m_uid = survivor.meta.uid or "", merged.meta.uid or ""
    source_a, _ = _with_children(services, s_uid, "a")
    source_b, quote_b = _with_children(services, m_uid, "b")
    services.incidents.link_source(m_uid, source_a)  # cited by both: stays cited once
    facts = combined(survivor, merged, {"occurred", "injured"})
    receipt = services.merge.merge(s_uid, m_uid, facts).record

    after = services.incidents.get(s_uid)
    assert after.injured == SAME.injured and after.killed == AL_ASSAD.killed
    assert after.occurred == SAME.occurred and after.title == AL_ASSAD.title
    assert set(after.tags) == {"us forces", "anbar"}
    assert {link.source_uid for link in services.incidents.links(s_uid)} == {source_a, source_b}
    assert services.quotes.get(quote_b).incident_uid == s_uid
    tomb = services.incidents.get(m_uid)
    assert tomb.meta.deleted_at is not None
    assert services.incidents.trash_count() == 0  # a tombstone is not in the trash
    assert [e.action for e in services.incident_query.history(m_uid)][-1] == "merge"
    with services.database.read() as connection:
        assert verify_chain(connection) is None or True
        assert list(replay_problems(connection)) == []

    services.merge.unmerge(receipt)
    back = services.incidents.get(s_uid)
    assert back.injured == AL_ASSAD.injured and back.occurred == AL_ASSAD.occurred
    assert back.tags == ("us forces",)
    assert {link.source_uid for link in services.incidents.links(s_uid)} == {source_a}
    assert {link.source_uid for link in services.incidents.links(m_uid)} == {source_a, source_b}
    assert services.quotes.get(quote_b).incident_uid == m_uid
    assert services.incidents.get(m_uid).meta.deleted_at is None
    with services.database.read() as connection:
        assert list(replay_problems(connection)) == []


def test_merge_moves_actors_and_related_links_and_undoes(services: Services) -> None:
    from incidentlog.domain.actors import ActorRole, IncidentActor
    from incidentlog.domain.enums import Attribution
    from incidentlog.domain.links import LinkKind

    claim = IncidentActor(ActorRole.CLAIMANT, "Islamic Resistance in Iraq", Attribution.CLAIMED)
    attributed = IncidentActor(ActorRole.PERPETRATOR, "Iranian-backed militias",
                               Attribution.ATTRIBUTED, attributed_by="Pentagon")
    target = IncidentActor(ActorRole.TARGET, "U.S. forces")
    survivor = services.incidents.create(replace(AL_ASSAD, actors=(target,))).record
    merged = services.incidents.create(replace(SAME, actors=(claim, attributed, target))).record
    s_uid, m_uid = survivor.meta.uid or "", merged.meta.uid or ""
    strikes = services.incidents.create(replace(OTHER_DAY, title="US strikes")).record.meta.uid
    campaign = services.incidents.create(replace(ELSEWHERE, title="Campaign")).record.meta.uid
    services.links.link(strikes or "", m_uid, LinkKind.RETALIATION_FOR)  # to the merged one
    services.links.link(m_uid, campaign or "", LinkKind.PART_OF)  # from it
    services.links.link(s_uid, campaign or "", LinkKind.PART_OF)  # the survivor has it too
    services.links.link(m_uid, s_uid, LinkKind.SAME_AS)  # between the two: stays behind
    stored = services.incidents.get(m_uid).actors  # under the vocabulary's names
    assert len(stored) == 3 and stored[0] == claim

    receipt = services.merge.merge(s_uid, m_uid).record
    after = services.incidents.get(s_uid)
    assert after.actors == (target, *stored[:2])
    assert after.perpetrator == "Islamic Resistance in Iraq"  # derived from the actors
    assert sorted((r.wording, r.other_uid) for r in services.links.related(s_uid)) == sorted([
        ("answered by", strikes), ("part of", campaign)])
    assert services.links.related(strikes or "")[0].other_uid == s_uid
    with services.database.read() as connection:
        assert list(replay_problems(connection)) == []

    services.merge.unmerge(receipt)
    assert services.incidents.get(s_uid).actors == (target,)
    assert services.incidents.get(m_uid).actors == stored
    assert sorted(r.other_uid for r in services.links.related(m_uid)) == sorted(
        [strikes, campaign, s_uid])
    assert [r.other_uid for r in services.links.related(s_uid)] in ([campaign, m_uid],
                                                                   [m_uid, campaign])
    with services.database.read() as connection:
        assert list(replay_problems(connection)) == []


def test_merge_refuses_itself_and_the_trash(services: Services) -> None:
    one = services.incidents.create(AL_ASSAD).record
    two = services.incidents.create(SAME).record
    with pytest.raises(ValidationError):
        services.merge.merge(one.meta.uid or "", one.meta.uid or "")
    services.incidents.delete(two.meta.uid or "")
    with pytest.raises(ValidationError):
        services.merge.merge(one.meta.uid or "", two.meta.uid or "")


def test_import_of_a_merged_away_incident_resolves_to_the_survivor(
        services: Services, tmp_path: Path) -> None:
    survivor = services.incidents.create(AL_ASSAD).record
    merged = services.incidents.create(SAME).record
    s_uid, m_uid = survivor.meta.uid or "", merged.meta.uid or ""
    source_b, quote_b = _with_children(services, m_uid, "b")
    export_json(services, tmp_path / "before.json")  # a colleague's copy, from before the merge
    services.merge.merge(s_uid, m_uid)
    services.incidents.unlink_source(s_uid, source_b)  # a citation the file will bring back
    report = import_json(services, tmp_path / "before.json")

    tomb = services.incidents.get(m_uid)
    assert tomb.meta.deleted_at is not None  # not resurrected
    assert {link.source_uid for link in services.incidents.links(m_uid)} == set()
    assert source_b in {link.source_uid for link in services.incidents.links(s_uid)}
    assert services.quotes.get(quote_b).incident_uid == s_uid
    assert len(report.merged_away) == 1 and survivor.ref in report.merged_away[0]
    assert "Merged here into another incident" in report.summary()
    with services.database.read() as connection:
        assert list(replay_problems(connection)) == []


def test_import_reports_possible_duplicates(services: Services, tmp_path: Path) -> None:
    services.incidents.create(AL_ASSAD)
    (tmp_path / "theirs.json").write_bytes(_document_of(SAME, tmp_path))
    report = import_json(services, tmp_path / "theirs.json")
    assert report.incidents.added == 1
    assert len(report.duplicates) == 1 and "same day" in report.duplicates[0]
    assert "May be the same as an incident already here" in report.summary()


def _document_of(incident: Incident, tmp_path: Path) -> bytes:
    """A JSON export of a log holding only ``incident``."""
    from incidentlog.store.database import open_database

    other = Services(open_database(tmp_path / "other.sqlite3"), actor="them")
    try:
        other.incidents.create(incident)
        export_json(other, tmp_path / "other.json")
    finally:
        other.database.close()
    return (tmp_path / "other.json").read_bytes()
