"""Comments and verdicts travel in the JSON export and merge by uid on import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from incidentlog.domain.enums import Reliability, Status
from incidentlog.domain.records import Incident, Source
from incidentlog.domain.when import parse_local
from incidentlog.exchange import export_json, import_json, validate_document
from incidentlog.services import Services
from incidentlog.store.check import check_database
from incidentlog.store.database import Database, open_database


@pytest.fixture
def make_services(tmp_path: Path) -> Iterator[Callable[[str], Services]]:
    opened: list[Database] = []

    def make(name: str) -> Services:
        opened.append(open_database(tmp_path / f"{name}.sqlite3"))
        return Services(opened[-1], actor="tester")

    yield make
    for database in opened:
        database.close()


def reviewed_log(services: Services) -> tuple[str, str]:
    uid = services.incidents.create(
        Incident(title="Rocket attack", occurred=parse_local("2024-01-20", "Asia/Baghdad"))
    ).record.uid or ""
    source = services.sources.create(Source(title="CENTCOM post")).record.uid or ""
    services.incidents.link_source(uid, source)
    services.incidents.set_status(uid, Status.IN_REVIEW)
    first = services.review.comment("Local time?", incident_uid=uid, about="occurred")
    services.review.reply(first.record.uid or "", "Yes")
    services.review.comment("Archive it", source_uid=source)
    services.review.dispute(uid, "the date differs", reliability=Reliability.C, confidence=4)
    return uid, source


def lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if b'"exported_at"' not in line]


def test_comments_and_verdicts_round_trip(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    first = make_services("first")
    uid, _source = reviewed_log(first)
    out = tmp_path / "out.json"
    export_json(first, out)
    document: dict[str, Any] = orjson.loads(out.read_bytes())
    assert len(document["comments"]) == 3 and len(document["verdicts"]) == 1
    assert document["verdicts"][0]["reason"] == "the date differs"
    validate_document(out)
    second = make_services("second")
    report = import_json(second, out)
    assert (report.comments.added, report.verdicts.added) == (3, 1)
    assert "Comments: 3 added" in report.summary()
    again = tmp_path / "again.json"
    export_json(second, again)
    assert lines(again) == lines(out)
    verdict = second.review.verdicts(uid)[0]
    assert (verdict.reviewer, verdict.status, verdict.reliability) == (
        "tester", Status.DISPUTED, Reliability.C)
    assert check_database(second.database) == []
    # Imported again: nothing new.
    report = import_json(second, out)
    assert (report.comments.unchanged, report.verdicts.unchanged) == (3, 1)
    assert not report.changed


def test_resolved_on_either_side_stays_resolved(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    first = make_services("first")
    uid, _ = reviewed_log(first)
    out = tmp_path / "out.json"
    export_json(first, out)
    second = make_services("second")
    import_json(second, out)
    question = second.review.comments(incident_uid=uid)[0]
    second.review.resolve(question.meta.uid or "")
    answered = tmp_path / "answered.json"
    export_json(second, answered)
    report = import_json(first, answered)
    assert report.comments.updated == 1
    assert first.review.comments(incident_uid=uid)[0].resolved
    first.review.resolve(question.meta.uid or "", False)
    assert import_json(first, out).comments.unchanged == 3  # open in the file: ours stays


def test_a_file_without_review_sections_still_imports(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    first = make_services("first")
    first.incidents.create(
        Incident(title="Quiet", occurred=parse_local("2024-01-20", "Asia/Baghdad"))
    )
    out = tmp_path / "out.json"
    export_json(first, out)
    document: dict[str, Any] = orjson.loads(out.read_bytes())
    assert "comments" not in document and "verdicts" not in document
    report = import_json(make_services("second"), out)
    assert report.incidents.added == 1 and report.comments.total == 0
