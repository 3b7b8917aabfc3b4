"""The command line as a user meets it: the wrong file, a typo, ``--help``, a folder.

What a new user runs into first: importing the CSV export instead of the JSON
one, a misspelt option, an option whose help says nothing, ``--out`` naming a
folder, and where the folders of an export come from.
"""

from __future__ import annotations

import argparse
import gzip
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from incidentlog import cli

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("export", "--db", path, ...)`` → (exit status, stdout, stderr)."""

    def _run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


@pytest.fixture
def log(run: Run, tmp_path: Path) -> Path:
    path = tmp_path / "log.sqlite3"
    assert run("demo", "--db", path)[0] == 0
    return path


def one_line_error(err: str) -> None:
    assert err.startswith("incidentlog: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


# --- import: a file that is not a JSON export ----------------------------------------------


def test_import_of_the_csv_export_says_what_import_reads(
    run: Run, log: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "csv"
    assert run("export", "--db", log, "--format", "csv", "--out", folder)[0] == 0
    before = log.read_bytes()
    code, out, err = run("import", folder / "incidents.csv", "--db", log)
    assert (code, out) == (1, "")
    one_line_error(err)
    assert "import reads a JSON export of incidentlog" in err
    assert f"{folder / 'incidents.csv'} looks like a CSV file" in err
    assert "line 1" not in err and "column" not in err  # no JSON parse error
    assert "Nothing was imported" in err
    assert log.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"uid;title;country\r\n1;x;IQ\r\n", "a CSV file"),
        (b"\xef\xbb\xbfuid,reference,title\r\n", "a CSV file"),
        (b"title\tcountry\nx\tIQ\n", "a CSV file"),
        (b"", "an empty file"),
        (b"  \n\n", "an empty file"),
        (b"SQLite format 3\x00" + bytes(100), "an SQLite database"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"PK\x03\x04" + bytes(30), "a ZIP archive"),
        (gzip.compress(b'{"format": "incidentlog"}'), "a gzip-compressed file"),
        (b"<!DOCTYPE html><html><body>post</body></html>", "a web page"),
        (b"<?xml version='1.0'?><incidents/>", "an XML document"),
        (b"\x00\x01\x02binary", "a binary file"),
        (b"Militants attacked al-Assad Airbase.\n", "text that is not JSON"),
        (b"Militants attacked, then fled.\n", "text that is not JSON"),
        (b'<blockquote class="twitter-tweet"><p>17 missiles</p>', "a web page (HTML)"),
    ],
)
def test_import_of_other_files_says_what_they_look_like(
    run: Run, tmp_path: Path, content: bytes, looks_like: str
) -> None:
    wrong = tmp_path / "wrong.file"
    wrong.write_bytes(content)
    db = tmp_path / "log.sqlite3"
    code, _, err = run("import", wrong, "--db", db)
    assert code == 1
    one_line_error(err)
    assert "import reads a JSON export of incidentlog" in err
    assert f"looks like {looks_like}" in err, err
    assert not db.exists()  # refused before the database is created


@pytest.mark.parametrize(
    "content", [b'{"format": "incidentlog"', b'\xef\xbb\xbf\n  {"a": 1}', b"[1, 2]", b"null", b"-1"]
)
def test_what_looks_like_json_is_left_to_the_json_reader(tmp_path: Path, content: bytes) -> None:
    from incidentlog.cli.sniff import what_it_looks_like

    file = tmp_path / "x.json"
    file.write_bytes(content)
    assert what_it_looks_like(file) is None


def test_the_sniff_reads_only_the_start_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentlog.cli.sniff import SNIFF_BYTES, what_it_looks_like

    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b,c\r\n" * (10 * SNIFF_BYTES))
    reads: list[int] = []
    real_open = Path.open

    def spy_open(self: Path, *args: object, **kwargs: object) -> object:
        handle = real_open(self, *args, **kwargs)  # type: ignore[call-overload]
        real_read = handle.read

        def read(size: int = -1) -> bytes:
            reads.append(size)
            return real_read(size)  # type: ignore[no-any-return]

        handle.read = read
        return handle

    monkeypatch.setattr(Path, "open", spy_open)
    assert (what_it_looks_like(big) or "").startswith("a CSV file")
    assert reads and all(0 <= size <= SNIFF_BYTES for size in reads)


# --- a misspelt option ---------------------------------------------------------------------


def _misspelt(option: str) -> str:
    """``--format`` → ``--fromat``: the first two different letters after the first swapped."""
    letters = list(option)
    i = next(i for i in range(3, len(letters) - 1) if letters[i] != letters[i + 1])
    letters[i], letters[i + 1] = letters[i + 1], letters[i]
    return "".join(letters)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and len(option) > 4 and option not in ("--help", "--version")
    ]


def test_the_misspelt_format_option_gets_a_suggestion(run: Run, log: Path, tmp_path: Path) -> None:
    code, out, err = run("export", "--db", log, "--fromat", "json", "--out", tmp_path / "x.json")
    assert (code, out) == (2, "")
    one_line_error(err)
    assert "unknown option --fromat; did you mean --format?" in err
    assert "required" not in err
    assert not (tmp_path / "x.json").exists()
    # Without a typo, argparse's own errors are unchanged.
    code, _, err = run("export", "--db", log)
    assert code == 2
    assert "the following arguments are required: --format, --out" in err
    code, _, err = run("import", "--dry-run")
    assert code == 2
    assert "the following arguments are required: FILE" in err


@pytest.mark.parametrize(
    "command", sorted(_subcommands(cli.build_parser())), ids=lambda name: name
)
def test_every_misspelt_option_of_every_command_gets_a_suggestion(
    run: Run, command: str, tmp_path: Path
) -> None:
    parser = _subcommands(cli.build_parser())[command]
    options = _long_options(parser) or ["--help"]
    for option in options:
        typo = _misspelt(option)
        for given in (typo, f"{typo}=x"):
            code, _, err = run(command, given)
            assert code == 2, (command, given)
            one_line_error(err)
            assert f"unknown option {typo}; did you mean {option}?" in err, (command, given, err)
            assert f"'incidentlog {command} --help'" in err


def test_a_misspelt_global_option_gets_a_suggestion(run: Run) -> None:
    code, _, err = run("--raed-only", "check")
    assert code == 2
    one_line_error(err)
    assert "unknown option --raed-only; did you mean --read-only?" in err


def test_an_option_of_the_whole_command_line_given_after_the_command(
    run: Run, log: Path
) -> None:
    code, _, err = run("check", "--db", log, "--read-only")
    assert code == 2
    one_line_error(err)
    assert "--read-only goes before the command: 'incidentlog --read-only check …'" in err
    code, _, err = run("export", "--raed-only")
    assert code == 2
    assert "unknown option --raed-only; did you mean --read-only (before the command)?" in err


def test_an_unknown_option_with_nothing_close(run: Run, log: Path) -> None:
    code, _, err = run("check", "--db", log, "--colour")
    assert code == 2
    one_line_error(err)
    assert "unknown option --colour" in err and "did you mean" not in err


# --- help ----------------------------------------------------------------------------------


def _all_actions(
    parser: argparse.ArgumentParser, name: str = "incidentlog"
) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        yield name, action
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield name, choice
            for command, sub in action.choices.items():
                yield from _all_actions(sub, f"{name} {command}")


def test_every_option_and_argument_has_a_help_text() -> None:
    missing = [
        f"{where}: {'/'.join(action.option_strings) or action.metavar or action.dest}"
        for where, action in _all_actions(cli.build_parser())
        if not (action.help or "").strip() or action.help == argparse.SUPPRESS
    ]
    assert missing == []


def test_the_format_option_says_what_it_chooses(run: Run) -> None:
    code, out, _ = run("export", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "--format {json,csv,acled} json: one file to send or import back" in text


# --- export --out: a folder, and folders that do not exist yet ------------------------------


def test_export_json_to_a_folder_says_to_name_a_file(run: Run, log: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    code, out, err = run("export", "--db", log, "--format", "json", "--out", folder)
    assert (code, out) == (2, "")
    one_line_error(err)
    assert "Is a directory" not in err and "Errno" not in err
    assert f"--out {folder} is a folder; a JSON export is one file" in err
    assert f"--out {folder / 'incidents.json'}" in err
    assert "--format csv" in err
    assert list(folder.iterdir()) == []


def test_export_creates_missing_folders_owner_only(run: Run, log: Path, tmp_path: Path) -> None:
    # One rule for both formats: the user named the path, so its folders are made.
    for export_format in ("json", "csv"):
        top = tmp_path / f"new-{export_format}"
        parent = top / "deeper"
        target = parent / ("all.json" if export_format == "json" else "csv")
        code, out, err = run("export", "--db", log, "--format", export_format, "--out", target)
        assert (code, err) == (0, ""), export_format
        assert out.startswith("Exported ")
        for folder in (top, parent):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        files = [target] if export_format == "json" else list(target.iterdir())
        assert len(files) in (1, 3)
        assert all(stat.S_IMODE(file.stat().st_mode) == 0o600 for file in files)


@pytest.mark.skipif(os.name != "posix", reason="folder permissions")
def test_export_leaves_existing_folders_as_they_are(run: Run, log: Path, tmp_path: Path) -> None:
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    code, _, _ = run(
        "export", "--db", log, "--format", "json", "--out", existing / "new" / "all.json"
    )
    assert code == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o755
    assert stat.S_IMODE((existing / "new").stat().st_mode) == 0o700
