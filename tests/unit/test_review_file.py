"""Reviews travel back: a reviewer's copy in review mode → a review file → the desk's log."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from incidentlog.domain.enums import Status
from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.exchange.review_file import import_reviews, review_file_name, send_reviews
from incidentlog.services import Services
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database


def desk_log(path: Path) -> list[str]:
    with open_database(path) as database:
        desk = Services(database, actor="desk")
        uids = []
        for day, title in (("2024-01-18", "Rocket attack on al-Assad"),
                           ("2024-01-20", "Drone strike near Tower 22"),
                           ("2024-01-21", "Rockets at Erbil")):
            uid = desk.incidents.create(
                Incident(title=title, occurred=parse_local(day, "Asia/Baghdad"))
            ).record.uid or ""
            desk.incidents.set_status(uid, Status.IN_REVIEW)
            uids.append(uid)
        desk.review.set_two_person_rule(True)
    return uids


def review_copy(copy: Path, uids: list[str], out: Path) -> Path:
    with open_database(copy) as database:
        database.review_only = True
        rita = Services(database, actor="rita")
        rita.review.verify(uids[0], "two independent sources agree", confidence=2)
        rita.review.dispute(uids[1], "the video is from 2023")
        rita.review.comment("Which rocket type?", incident_uid=uids[2], about="weapons")
        path, comments, verdicts = send_reviews(rita, out / review_file_name("rita"))
    assert (comments, verdicts) == (1, 2)
    return path


def test_reviews_sent_from_a_copy_land_on_the_desks_incidents(tmp_path: Path) -> None:
    original = tmp_path / "desk.sqlite3"
    uids = desk_log(original)
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(original, copy)
    sent = review_copy(copy, uids, tmp_path)
    assert sent.name.startswith("reviews-rita-") and (sent.stat().st_mode & 0o077) == 0
    with open_database(original) as database:
        desk = Services(database, actor="desk")
        report = import_reviews(desk, sent)
        assert (report.comments_added, report.verdicts_applied, report.not_applied) == (1, 2, [])
        assert desk.incidents.get(uids[0]).status is Status.VERIFIED
        assert desk.incidents.get(uids[0]).confidence == 2
        assert desk.incidents.get(uids[1]).status is Status.DISPUTED
        assert desk.incidents.get(uids[2]).status is Status.IN_REVIEW
        [comment] = desk.review.comments(incident_uid=uids[2])
        assert (comment.author, comment.about) == ("rita", "weapons")
        entry = desk.incident_query.history(uids[1])[-1]
        assert entry.actor == "rita" and entry.changes["reason"] == [None, "the video is from 2023"]
        assert "imported by desk" in entry.changes["via"][1]
        assert [v.reviewer for v in desk.review.verdicts(uids[0])] == ["rita"]
        again = import_reviews(desk, sent)
        assert (again.comments_unchanged, again.verdicts_known, again.verdicts_applied) == (1, 2, 0)
        assert check_database(database) == []


def test_a_verdict_on_facts_changed_since_the_copy_is_reported_not_applied(
    tmp_path: Path,
) -> None:
    original = tmp_path / "desk.sqlite3"
    uids = desk_log(original)
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(original, copy)
    with open_database(original) as database:
        desk = Services(database, actor="desk")
        current = desk.incidents.get(uids[0])
        desk.incidents.update(replace(current, title="Rocket attack on al-Assad Airbase"))
    sent = review_copy(copy, uids, tmp_path)
    with open_database(original) as database:
        desk = Services(database, actor="desk")
        report = import_reviews(desk, sent)
        assert report.verdicts_applied == 1 and report.stale == [desk.incidents.get(uids[0]).label]
        assert "facts changed here since the copy" in report.summary()
        assert desk.incidents.get(uids[0]).status is Status.IN_REVIEW


def test_the_desk_refuses_an_authors_own_verdict_and_an_altered_file(tmp_path: Path) -> None:
    original = tmp_path / "desk.sqlite3"
    uids = desk_log(original)
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(original, copy)
    with open_database(copy) as database:
        Services(database, actor="desk").review.set_two_person_rule(False)  # only in the copy
        database.review_only = True
        author = Services(database, actor="desk")
        author.review.verify(uids[0], "my own incident, checked by me")
        sent, _, _ = send_reviews(author, tmp_path / "r.json")
    with open_database(original) as database:
        desk = Services(database, actor="desk")
        report = import_reviews(desk, sent)
        assert report.verdicts_applied == 0 and report.verdicts_refused == 1
        assert "two-person rule" in report.not_applied[0]
        assert desk.incidents.get(uids[0]).status is Status.IN_REVIEW
        document = orjson.loads(sent.read_bytes())
        document["verdicts"][0]["created_by"] = "someone else"
        forged = tmp_path / "forged.json"
        forged.write_bytes(orjson.dumps(document))
        with pytest.raises(ExchangeError, match="altered or cut short"):
            import_reviews(desk, forged)
        assert desk.incidents.get(uids[0]).status is Status.IN_REVIEW
