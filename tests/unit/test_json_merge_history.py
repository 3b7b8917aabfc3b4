"""Importing decides by history, not by clocks (docs/formats.md, "Import and merge").

Two desks exchange files: "here" and "there" are two databases; each test passes a
record between them through real exports and imports and edits it through the services,
as the desks would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from incidentlog.domain.enums import SourceKind, TimePrecision
from incidentlog.domain.records import Incident, Period, Quote, Source
from incidentlog.domain.when import Moment
from incidentlog.exchange import export_json, import_json
from incidentlog.services import Services
from incidentlog.store.database import Database, open_database


@pytest.fixture
def desks(tmp_path: Path) -> Iterator[Callable[[str], Services]]:
    opened: list[Database] = []

    def make(name: str) -> Services:
        database = open_database(tmp_path / f"{name}.sqlite3")
        opened.append(database)
        return Services(database, actor=name)

    yield make
    for database in opened:
        database.close()


def new_incident(services: Services, title: str = "Drone strike near Erbil") -> Incident:
    source = services.sources.create(
        Source(kind=SourceKind.ARTICLE, title="Wire story", url="https://example.org/a")
    ).record
    occurred = Moment.from_local(datetime(2024, 1, 20, 15, 30), TimePrecision.MINUTE, "UTC")
    incident = Incident(title=title, occurred=occurred, country="IQ", event_type="drone strike")
    created = services.incidents.create(incident).record
    services.incidents.link_source(created.meta.uid or "", source.meta.uid or "")
    return services.incidents.get(created.meta.uid or "")


def retitle(services: Services, uid: str, title: str) -> Incident:
    return services.incidents.update(replace(services.incidents.get(uid), title=title)).record


def hand_over(source: Services, target: Services, path: Path, clock: str | None = None) -> Any:
    """Export from ``source``, import into ``target``; ``clock``: every ``updated_at`` in
    the file says this (the exporting machine's clock was wrong)."""
    export_json(source, path)
    if clock is not None:
        document = orjson.loads(path.read_bytes())
        for section in ("incidents", "sources", "quotes", "periods"):
            for record in document.get(section, []):
                record["updated_at"] = clock
        path.write_bytes(orjson.dumps(document))
    return import_json(target, path)


#: A clock far behind: by the stamps, every record of such a file is older than ours.
BEHIND = "2000-01-01T00:00:00Z"


def test_a_file_derived_from_ours_after_several_edits_updates_ours(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    here, there = desks("here"), desks("there")
    uid = new_incident(here).meta.uid or ""
    hand_over(here, there, tmp_path / "one.json")
    retitle(there, uid, "Drone strike near Erbil airport")
    retitle(there, uid, "Drone strike at Erbil airport")
    report = hand_over(there, here, tmp_path / "two.json", clock=BEHIND)
    assert (report.incidents.updated, report.conflicts) == (1, [])
    assert here.incidents.get(uid).title == "Drone strike at Erbil airport"
    assert (here.incidents.get(uid).meta.updated_at or "") > BEHIND  # never backwards
    # and back: their file is now older than nothing here, ours equals theirs
    report = hand_over(here, there, tmp_path / "three.json")
    assert (report.incidents.updated, report.incidents.unchanged, report.conflicts) == (0, 1, [])


def test_a_file_changed_since_a_common_version_is_a_conflict_whatever_its_clock(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    here, there = desks("here"), desks("there")
    uid = new_incident(here).meta.uid or ""
    hand_over(here, there, tmp_path / "one.json")
    retitle(here, uid, "Ours: strike near Erbil")
    # theirs is edited later, twice: a higher version and a later stamp than ours
    retitle(there, uid, "Theirs: strike near Erbil")
    retitle(there, uid, "Theirs: strike at Erbil")
    path = tmp_path / "two.json"
    export_json(there, path)
    document = orjson.loads(path.read_bytes())
    document["incidents"][0]["updated_at"] = "2999-01-01T00:00:00Z"
    path.write_bytes(orjson.dumps(document))
    report = import_json(here, path)
    assert (report.incidents.updated, report.incidents.skipped) == (0, 1)
    assert here.incidents.get(uid).title == "Ours: strike near Erbil"
    (conflict,) = report.conflicts
    # both versions, who and when
    assert "Here: version 2" in conflict and "by here" in conflict
    assert "File: version 3" in conflict and "by there" in conflict
    assert uid in conflict and "kept the one here" in conflict
    assert "Conflicts (kept as they are here): 1" in report.summary()


def test_a_clock_ahead_does_not_win_later_imports_over_a_local_edit(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    here, there = desks("here"), desks("there")
    uid = new_incident(here).meta.uid or ""
    hand_over(here, there, tmp_path / "one.json")
    retitle(there, uid, "Their edit")
    path = tmp_path / "fast.json"
    export_json(there, path)
    document = orjson.loads(path.read_bytes())
    document["incidents"][0]["updated_at"] = "2999-01-01T00:00:00Z"  # their clock is ahead
    path.write_bytes(orjson.dumps(document))

    first = import_json(here, path)
    assert first.incidents.updated == 1  # derived from ours: taken
    (warning,) = first.warnings
    assert uid in warning and "2999-01-01T00:00:00Z" in warning and "future" in warning
    assert "Warnings: 1" in first.summary()
    taken = here.incidents.get(uid)
    assert taken.title == "Their edit" and (taken.meta.updated_at or "") < "2999"

    local = retitle(here, uid, "Our later edit")
    assert (local.meta.updated_at or "") >= (taken.meta.updated_at or "")  # never backwards
    again = import_json(here, path)  # the same file, re-imported
    assert (again.incidents.updated, again.incidents.skipped, again.conflicts) == (0, 0, [])
    assert again.older == 1 and "Older in the file than here" in again.summary()
    assert here.incidents.get(uid).title == "Our later edit"


def test_an_older_file_changes_nothing_and_is_no_conflict(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    here = desks("here")
    uid = new_incident(here).meta.uid or ""
    old = tmp_path / "old.json"
    export_json(here, old)
    retitle(here, uid, "Edited since the export")
    report = import_json(here, old)
    assert (report.incidents.updated, report.incidents.skipped, report.conflicts) == (0, 0, [])
    assert report.older == 1 and not report.changed
    assert here.incidents.get(uid).title == "Edited since the export"


def test_a_file_without_lineage_cannot_overwrite_a_differing_record(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    """Files from before the lineage (no "ancestors"): still importable, but a record
    that differs from ours is a conflict, however new its stamps."""
    here = desks("here")
    ours = new_incident(here)
    uid = ours.meta.uid or ""
    path = tmp_path / "old-format.json"
    export_json(here, path)
    document = orjson.loads(path.read_bytes())
    for section in ("incidents", "sources", "quotes", "periods"):
        for record in document.get(section, []):
            record.pop("ancestors", None)
    # as recent as ours, and a higher version: by the clock and the counter, "newer"
    document["incidents"][0].update(title="Theirs", version=9, updated_at=ours.meta.updated_at)
    path.write_bytes(orjson.dumps(document))
    report = import_json(here, path)
    assert report.incidents.skipped == 1 and "does not say which version" in report.conflicts[0]
    assert here.incidents.get(uid).title == "Drone strike near Erbil"


def test_a_record_new_here_keeps_its_lineage_through_the_round_trip(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    here, there = desks("here"), desks("there")
    uid = new_incident(here).meta.uid or ""
    retitle(here, uid, "Second version")
    export_json(here, tmp_path / "a.json")
    (record,) = orjson.loads((tmp_path / "a.json").read_bytes())["incidents"]
    assert len(record["ancestors"]) == 1
    import_json(there, tmp_path / "a.json")
    export_json(there, tmp_path / "b.json")
    (again,) = orjson.loads((tmp_path / "b.json").read_bytes())["incidents"]
    assert again["ancestors"] == record["ancestors"]


def test_trashing_and_restoring_is_not_a_new_version_of_the_content(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    here, there = desks("here"), desks("there")
    uid = new_incident(here).meta.uid or ""
    hand_over(here, there, tmp_path / "one.json")
    there.incidents.delete(uid)
    there.incidents.restore(uid)
    retitle(there, uid, "Their edit")
    report = hand_over(there, here, tmp_path / "two.json", clock=BEHIND)
    assert report.incidents.updated == 1 and report.conflicts == []


def test_two_sources_with_one_address_in_a_file_are_merged_into_the_first(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    there, here = desks("there"), desks("here")
    incident = new_incident(there)
    uid = incident.meta.uid or ""
    (first,) = there.incidents.links(uid)
    second = there.sources.create(
        Source(kind=SourceKind.ARTICLE, title="Same story, other copy",
               url="https://EXAMPLE.org/a?utm_source=feed"),
        distinct=True,
    ).record
    second_uid = second.meta.uid or ""
    there.incidents.link_source(uid, second_uid, "the copy")
    quote = there.quotes.create(
        Quote(text="We saw it.", speaker="A witness", incident_uid=uid, source_uid=second_uid)
    ).record
    path = tmp_path / "two-copies.json"
    report = hand_over(there, here, path)
    assert (report.sources.added, report.sources.merged) == (1, 1)
    # the first of the two in the file is kept
    kept, dropped = [s["uid"] for s in orjson.loads(path.read_bytes())["sources"]]
    assert {kept, dropped} == {first.source_uid, second_uid}
    (note,) = report.merged
    assert dropped in note and kept in note
    assert "Sources merged" in report.summary()
    assert [link.source_uid for link in here.incidents.links(uid)] == [kept]
    assert here.quotes.get(quote.meta.uid or "").source_uid == kept
    assert here.sources.find(dropped) is None


def test_edits_of_every_kind_made_elsewhere_come_back_as_updates(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    """The fingerprint of a version is the same in both logs for every kind (a quote's
    references by uid, an incident's tags, a period's moments), so an edit made in the
    other log is recognised as derived from ours."""
    here, there = desks("here"), desks("there")
    incident = new_incident(here)
    uid = incident.meta.uid or ""
    here.incidents.update(replace(incident, tags=("drone", "airport")))
    (link,) = here.incidents.links(uid)
    quote = here.quotes.create(
        Quote(text="We saw it.", speaker="A witness", incident_uid=uid, source_uid=link.source_uid)
    ).record
    day = Moment.from_local(datetime(2024, 1, 1), TimePrecision.DAY, "Asia/Baghdad")
    period = here.periods.create(Period(name="Winter", start=day, end=day)).record
    hand_over(here, there, tmp_path / "one.json")

    source = there.sources.get(link.source_uid)
    there.sources.update(replace(source, title="Wire story (corrected)"))
    there.quotes.update(replace(there.quotes.get(quote.meta.uid or ""), speaker="Two witnesses"))
    there.periods.update(replace(there.periods.get(period.meta.uid or ""), name="Winter 2024"))
    there.incidents.update(replace(there.incidents.get(uid), tags=("drone",)))
    report = hand_over(there, here, tmp_path / "two.json", clock=BEHIND)
    assert report.conflicts == []
    assert [kind.updated for kind in (report.incidents, report.sources, report.quotes,
                                      report.periods)] == [1, 1, 1, 1]
    assert here.incidents.get(uid).tags == ("drone",)
    assert here.quotes.get(quote.meta.uid or "").speaker == "Two witnesses"


def test_an_incident_renumbered_on_import_still_takes_later_edits(
    desks: Callable[[str], Services], tmp_path: Path
) -> None:
    """Its ref here differs from the file's (taken here by another incident): the ref is a
    label of each log, not part of the version, so the next edit made there is no conflict."""
    here, there = desks("here"), desks("there")
    new_incident(here, "Ours, first of the year")
    theirs = new_incident(there, "Theirs, first of the year")
    uid = theirs.meta.uid or ""
    first = hand_over(there, here, tmp_path / "one.json")
    assert first.renumbered and here.incidents.get(uid).ref != theirs.ref
    retitle(there, uid, "Theirs, corrected")
    report = hand_over(there, here, tmp_path / "two.json", clock=BEHIND)
    assert (report.incidents.updated, report.conflicts) == (1, [])
    assert here.incidents.get(uid).title == "Theirs, corrected"
