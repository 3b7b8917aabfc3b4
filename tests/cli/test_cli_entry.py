"""The desktop's start skips the commands' parser; what it skips must not change any answer."""

from __future__ import annotations

import pytest

from incidentlog.cli import build_parser, entry


@pytest.mark.parametrize("ours", [
    [], ["--db", "log.sqlite3"], ["--db=log.sqlite3"], ["--read-only"],
    ["--db", "log.sqlite3", "--read-only"], ["--read-only", "--db", "postgresql://u@h/db"],
    ["--db", "init"],  # a command's name as the log's: still the window
])
def test_the_window_s_own_options_are_started_without_the_parser(ours: list[str]) -> None:
    assert entry._desktop_options_only(ours)
    assert build_parser().parse_args(ours).command is None  # what the parser would decide


@pytest.mark.parametrize("ours", [
    ["init"], ["--db", "log.sqlite3", "check"], ["--help"], ["--version"], ["--db"],
    ["--db", ""], ["--db="], ["--db", " "], ["--db", "--read-only"], ["export.json"],
    ["--read-only", "--bogus"], ["--import-file", "x.json"],
])
def test_anything_else_goes_through_the_parser(ours: list[str]) -> None:
    assert not entry._desktop_options_only(ours)


def test_an_empty_database_path_is_still_the_parser_s_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert entry.main(["--db", " "]) == 2
    assert "a path cannot be empty" in capsys.readouterr().err
