"""``incidentlog review``: the queue, verdicts with reasons, comments, review files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentlog import cli
from incidentlog.cli.review import _incident_uid
from incidentlog.domain.enums import Status
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.database import open_database

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.sqlite3"
    with open_database(path) as database:
        desk = Services(database, actor="desk")
        for day, title in (("2024-01-18", "Rocket attack"), ("2024-01-20", "Drone strike")):
            uid = desk.incidents.create(
                Incident(title=title, occurred=parse_local(day, "Asia/Baghdad"), country="IQ")
            ).record.uid or ""
            desk.incidents.set_status(uid, Status.IN_REVIEW)
    return path


def as_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, name)


def test_list_verify_dispute_comment(run: Run, log: Path, monkeypatch: pytest.MonkeyPatch
                                     ) -> None:
    as_user(monkeypatch, "rita")
    code, out, _ = run("review", "list", "--db", log)
    assert code == 0
    assert out.splitlines()[0].startswith("IQ-2024-0001\t2024-01-1")
    assert "entered by desk" in out and "2 incidents waiting for review." in out
    code, out, err = run("review", "dispute", "IQ-2024-0002", "--db", log)
    assert code == 2 and "--reason" in err
    code, out, _ = run("review", "verify", "IQ-2024-0001", "--reason", "matches the video",
                       "--reliability", "b", "--credibility", "2", "--db", log)
    assert code == 0 and out.strip() == "IQ-2024-0001: verified by rita: matches the video (B2)."
    assert run("review", "dispute", "IQ-2024-0002", "--reason", "wrong day", "--db", log)[0] == 0
    code, out, _ = run("review", "comment", "IQ-2024-0002", "Which day then?", "--about",
                       "occurred", "--db", log)
    assert code == 0 and out.startswith("Comment ")
    with open_database(log) as database:
        services = Services(database, actor="x")
        assert services.review.waiting_count() == 0
        first, second = (_incident_uid(services, ref) for ref in ("IQ-2024-0001", "IQ-2024-0002"))
        assert services.incidents.get(first).status is Status.VERIFIED
        assert services.incidents.get(second).status is Status.DISPUTED
        [verdict] = services.review.verdicts(second)
        assert (verdict.reviewer, verdict.reason) == ("rita", "wrong day")
        [comment] = services.review.comments(incident_uid=second)
        assert (comment.author, comment.about) == ("rita", "occurred")


def test_the_two_person_rule_from_the_command_line(
    run: Run, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, "desk")
    assert run("review", "rule", "on", "--db", log)[1].strip() == "Two-person rule: on."
    code, _, err = run("review", "verify", "IQ-2024-0001", "--db", log)
    assert code == 1 and "two-person rule" in err and "desk created or last edited" in err
    code, _, err = run("--read-only", "review", "rule", "off", "--db", log)
    assert code != 0


def test_send_and_receive(run: Run, log: Path, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(log, copy)
    as_user(monkeypatch, "rita")
    assert run("review", "verify", "IQ-2024-0001", "--reason", "ok", "--db", copy)[0] == 0
    folder = tmp_path / "outbox"
    folder.mkdir()
    code, out, _ = run("review", "send", "--out", folder, "--db", copy)
    assert code == 0 and "1 verdict of rita" in out
    [sent] = folder.iterdir()
    as_user(monkeypatch, "desk")
    code, out, _ = run("review", "receive", sent, "--db", log)
    assert code == 0 and "Verdicts: 1 applied" in out
    code, out, _ = run("review", "list", "--db", log)
    assert "1 incident waiting for review." in out
