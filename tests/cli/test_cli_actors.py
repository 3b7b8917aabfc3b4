"""``incidentlog actors``: the vocabulary listed and edited from the command line."""

from __future__ import annotations

import pytest

from incidentlog import cli
from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_alias_rename_and_merge(db_target: str, capsys: pytest.CaptureFixture[str]) -> None:
    with open_database(db_target) as database:
        services = Services(database, actor="desk")
        uid = services.incidents.create(Incident(
            title="Drone at Erbil", occurred=parse_local("2024-01-20", "Asia/Baghdad"),
            country="IQ", actors=(IncidentActor(ActorRole.CLAIMANT, "Front A"),
                                  IncidentActor(ActorRole.CLAIMANT, "Front B")))).record.meta.uid
    db = ("--db", db_target)
    code, out, _ = run(capsys, "actors", "list", *db)
    assert code == 0
    assert "      1  Front A\n" in out
    assert "      0  Islamic Resistance in Iraq  (also: IRI; " in out
    assert run(capsys, "actors", "alias", "Front A", "FA", "The A", *db)[:2] == (
        0, "Front A: FA; The A added as aliases.\n")
    code, _, err = run(capsys, "actors", "alias", "Front B", "fa", *db)
    assert code != 0 and "'fa' already names Front A" in err
    assert run(capsys, "actors", "unalias", "The A", *db)[1] == "The A no longer names Front A.\n"
    assert run(capsys, "actors", "rename", "front a", "Front Alpha", *db)[1] == (
        "Front A is now Front Alpha (1 incident changed).\n")
    code, _, err = run(capsys, "--read-only", "actors", "merge", "Front B", "Front Alpha", *db)
    assert code != 0 and "read-only" in err
    assert run(capsys, "actors", "merge", "Front B", "Front Alpha", *db)[1] == (
        "Front B merged into Front Alpha (1 incident changed).\n")
    assert "      1  Front Alpha  (also: FA; Front B)\n" in run(capsys, "actors", "list", *db)[1]
    with open_database(db_target) as database:
        services = Services(database)
        assert [a.actor for a in services.incidents.get(uid or "").actors] == ["Front Alpha"]
        assert check_database(database) == []
