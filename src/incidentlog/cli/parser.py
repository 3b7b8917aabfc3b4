"""The command line's parser: every command, option and argument type, and its one-line errors."""

from __future__ import annotations

import argparse
import contextlib
import copy
import difflib
import re
import sys
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from incidentlog import __version__
from incidentlog.cli.usage import PROG
from incidentlog.domain.actors import ActorRole
from incidentlog.domain.countries import find_country
from incidentlog.domain.enums import Status
from incidentlog.domain.when import parse_local
from incidentlog.paths import DATA_DIR_VARIABLE, default_database_path

#: The export formats for people (``exchange.briefing``): each one file.
BRIEFING_FORMATS = ("timelinejs", "ics", "html", "pdf")

#: Automatic backups made before an import that are kept (the oldest are removed),
#: unless ``--keep`` says otherwise.
PRE_IMPORT_BACKUPS = 10

#: An unknown option (``--fromat``, ``--fromat=json``, ``-x``); not a negative number.
_OPTION = re.compile(r"--?[^\W\d]")

#: True while a command line is parsed the first time, only to find unknown options.
_FINDING_UNKNOWN: ContextVar[bool] = ContextVar("finding_unknown", default=False)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr, like every other error,
    and a misspelt option is named as such, with the closest option.

    The stock parser prints the whole usage block first; in a script's log one
    line that names the problem and where to look is easier to act on.
    """

    #: A command's parser: the options of the whole command line, which go before it.
    options_before_command: tuple[str, ...] = ()
    #: The whole command line's parser: its commands (``init``, ``export``, …).
    commands: argparse._SubParsersAction[argparse.ArgumentParser] | None = None

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: {message} (see '{self.prog} --help')\n")

    def parse_known_args(  # type: ignore[override]  # (typeshed: overloads per namespace type)
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse twice: first only to refuse an unknown option, then as argparse does.

        Stock argparse checks the required options before it mentions unknown
        ones, so ``export --fromat json`` said only "--format is required". The
        first pass requires nothing; each parser (the subcommand's too) refuses
        the unknown options of its own part of the command line.
        """
        tokens = list(sys.argv[1:] if args is None else args)
        if _FINDING_UNKNOWN.get():
            return self._refuse_unknown_options(tokens, namespace)
        finding = _FINDING_UNKNOWN.set(True)
        try:
            self._refuse_unknown_options(tokens, copy.copy(namespace))
        finally:
            _FINDING_UNKNOWN.reset(finding)
        return super().parse_known_args(tokens, namespace)

    def _refuse_unknown_options(
        self, tokens: list[str], namespace: argparse.Namespace | None
    ) -> tuple[argparse.Namespace, list[str]]:
        with self._nothing_required():
            parsed, extras = super().parse_known_args(tokens, namespace)
        unknown = next((token for token in extras if _OPTION.match(token)), None)
        if unknown is not None:
            self.error(self._unknown_option(unknown.partition("=")[0]))
        return parsed, extras

    @contextlib.contextmanager
    def _nothing_required(self) -> Iterator[None]:
        self._relaxed = [action for action in self._actions if action.required]
        for action in self._relaxed:
            action.required = False
        try:
            yield
        finally:
            for action in self._relaxed:
                action.required = True
            self._relaxed = []

    def format_help(self) -> str:
        """The help, with the required options shown as required (``--help`` is
        answered during the first pass, while nothing is)."""
        relaxed = getattr(self, "_relaxed", [])
        for action in relaxed:
            action.required = True
        try:
            return super().format_help()
        finally:
            for action in relaxed:
                action.required = False

    def _unknown_option(self, name: str) -> str:
        if name in self.options_before_command:
            return f"{name} goes before the command: '{PROG} {name} {self._command()} …'"
        known = [option for action in self._actions for option in action.option_strings]
        closest = difflib.get_close_matches(name, [*known, *self.options_before_command], n=1)
        if not closest:
            return f"unknown option {name}"
        where = " (before the command)" if closest[0] in self.options_before_command else ""
        return f"unknown option {name}; did you mean {closest[0]}{where}?"

    def _command(self) -> str:
        return self.prog.rpartition(" ")[2]


# --- argument types ------------------------------------------------------------
# Each turns the text of one option into a value, or raises ArgumentTypeError
# with a sentence argparse shows as "argument --since: <sentence>".


def _since(text: str) -> datetime:
    """``--since 2024-01``: from the first instant of January 2024 (UTC)."""
    return _date_interval(text)[0]


def _until(text: str) -> datetime:
    """``--until 2024-01-20``: up to the end of that day, so the day itself is included."""
    return _date_interval(text)[1]


def _date_interval(text: str) -> tuple[datetime, datetime]:
    try:
        return parse_local(text, "UTC").interval()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _country(text: str) -> str:
    code = find_country(text)
    if code is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} names no single country; give an ISO code such as IQ or a name such as Iraq"
        )
    return code


def _status(text: str) -> Status:
    try:
        return Status(Status.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _actor_role(text: str) -> ActorRole:
    try:
        return ActorRole(ActorRole.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _keep(text: str) -> int:
    """``--keep 7``: how many backups of this kind to keep, at least 1."""
    try:
        count = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number; give how many backups to keep, such as 7"
        ) from None
    if count < 1:
        raise argparse.ArgumentTypeError(
            f"{count} backups cannot be kept: the backup just made is always kept, so "
            "give 1 or more"
        )
    return count


def _zone(text: str) -> str:
    from incidentlog.domain.when import is_zone

    if not is_zone(text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an IANA time zone such as Asia/Baghdad")
    return text.strip()


def _path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("a path cannot be empty")
    return Path(text).expanduser()


def _database(text: str) -> Path | str:
    """``--db``: a file, or a server's address ``postgresql://user@host:port/db`` kept as
    typed (a path would fold its ``//``)."""
    from incidentlog.store.server_address import is_server

    return text if is_server(text) else _path(text)


# --- the parser ----------------------------------------------------------------


def command_names() -> frozenset[str]:
    """The names of the commands (``init``, ``export``, …), as the parser knows them."""
    parser = build_parser()
    assert isinstance(parser, _Parser) and parser.commands is not None
    return frozenset(parser.commands.choices)


def _duplicates_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--min-score", type=float, default=0.7, metavar="0..1",
                     help="list pairs scoring at least this (default: 0.7)")
    sub.add_argument("--format", choices=("text", "csv"), default="text",
                     help="text for a person, csv for a spreadsheet (default: text)")
    sub.add_argument("--limit", type=int, default=None, metavar="N",
                     help="stop after N pairs")
    sub.add_argument("--full-text", action="store_true",
                     help="count the full-text rank as the form does where it decides a pair "
                          "(the same pairs as looking up every incident; slower on a large log)")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; ``--db`` is accepted before or after the command."""
    parser = _Parser(
        prog=PROG,
        description="Log security incidents reported in open sources. "
        "Without a command, the desktop application starts.",
        epilog=f"The default database is {default_database_path()} "
        f"(set {DATA_DIR_VARIABLE} to use another folder).",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--db", type=_database, metavar="PATH",
        help="the database file, or postgresql://user@host:port/db for a log on a server "
        "(default: see below)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="open the database read-only: nothing can be changed",
    )
    commands = parser.commands = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        parser_class=_Parser,
        help="one of the commands below ('incidentlog COMMAND --help' for its options)",
    )

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        assert isinstance(sub, _Parser)
        sub.options_before_command = ("--read-only",)
        # SUPPRESS: without the option here, keep the value given before the command.
        sub.add_argument(
            "--db", type=_database, metavar="PATH", default=argparse.SUPPRESS,
            help="the database file, or postgresql://user@host:port/db"
        )
        return sub

    command("init", "create a new, empty database (or check that an existing one opens)")
    command("demo", "load the demo data set (running it again changes nothing)")
    _import_options(command(
        "import", "merge a JSON export of incidentlog, or a table through a column mapping, "
        "into the database"
    ))
    _export_options(
        command("export", "write the incidents, their sources and quotes to JSON or CSV, "
                "or as a TimelineJS, iCalendar, HTML or PDF briefing")
    )
    _check_options(command(
        "check", "check the database: integrity, foreign keys, audit log, every record, "
        "every stored evidence file"))
    _attach_options(command("attach", "keep a file (screenshot, PDF, video…) with a source "
                            "or an incident, under its SHA-256"))
    _duplicates_options(command(
        "duplicates", "list the pairs of incidents that may be the same one, best first per "
        "incident"))
    _actors_options(command(
        "actors", "the actors' vocabulary: list with aliases and counts, add or remove an "
        "alias, rename an actor, merge one into another"))
    _review_options(
        command("review", "the review queue, verdicts with reasons, comments, review files")
    )
    _backup_options(command("backup", "write a verified copy of the database"))
    _restore_options(
        command(
            "restore", "put a backup in place of the database (the current file is set aside)"
        )
    )
    _grant_options(command("grant", "give a login of the server a role on a server log: "
                           "reader, officer or lead (docs/team.md)"))
    copy = commands.add_parser(  # no --db: it names both logs
        "copy", help="copy a whole log from a file to a server, or back (docs/team.md)",
        description="copy a whole log, record for record with its audit log, into a new "
        "empty log: a file to a PostgreSQL server (postgresql://…) or back; verified by "
        "counting every table and comparing the JSON exports of both")
    copy.add_argument("--from", dest="source", type=_database, required=True,
                      metavar="PATH", help="the log to copy: a file or postgresql://…")
    copy.add_argument("--to", dest="target", type=_database, required=True,
                      metavar="PATH", help="a new or empty log: a file or postgresql://…")
    commands.add_parser(  # no --db: it works in a folder of its own
        "self-test",
        help="check that this installation works",
        description="check that this installation works: create a database in a temporary "
        "folder, load the demo data, export JSON and CSV, check them, open the main window",
    )
    return parser


def _grant_options(grant: argparse.ArgumentParser) -> None:
    grant.add_argument("user", help="the server login (created by the administrator)")
    grant.add_argument("role", choices=("reader", "reviewer", "officer", "lead"),
                       help="reader: sees only; reviewer: also comments and gives verdicts; "
                       "officer: enters and edits; lead: also purges")


def _grade(text: str) -> str:
    grade = text.strip().upper()
    if grade not in ("A", "B", "C", "D", "E", "F"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a reliability grade A–F")
    return grade


def _credibility(text: str) -> int:
    if text.strip() not in ("1", "2", "3", "4", "5", "6"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a credibility grade 1–6")
    return int(text)


def _review_options(review: argparse.ArgumentParser) -> None:
    """``review list|verify|dispute|reopen|comment|send|receive|rule`` (docs/review.md)."""
    actions = review.add_subparsers(
        dest="review_action", metavar="ACTION", parser_class=_Parser, required=True,
        help="what to do ('incidentlog review ACTION --help' for its options)",
    )
    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        assert isinstance(sub, _Parser)
        sub.options_before_command = ("--read-only",)
        sub.add_argument(
            "--db", type=_database, metavar="PATH", default=argparse.SUPPRESS,
            help="the database file, or postgresql://user@host:port/db"
        )
        return sub

    action("list", "what waits for review, oldest first")
    for name, help_text, reason_help in (
        ("verify", "verify an incident", "why (optional)"),
        ("dispute", "dispute an incident", "why (required)"),
        ("reopen", "send an incident back to draft", "why (optional)"),
    ):
        verdict = action(name, help_text)
        verdict.add_argument("incident", metavar="INCIDENT", help="its ref or uid")
        verdict.add_argument("--reason", default=None, help=reason_help,
                             required=name == "dispute")
        if name != "reopen":
            verdict.add_argument("--reliability", type=_grade, metavar="A-F",
                                 help="Admiralty source reliability given with the verdict")
            verdict.add_argument("--credibility", type=_credibility, metavar="1-6",
                                 help="Admiralty information credibility (the incident's)")
    comment = action("comment", "comment on an incident (or reply)")
    comment.add_argument("incident", metavar="INCIDENT", help="its ref or uid")
    comment.add_argument("text", metavar="TEXT", help="what the comment says")
    comment.add_argument("--about", default=None, help="the field it is about, e.g. occurred")
    comment.add_argument("--reply-to", default=None, metavar="UID", help="the comment answered")
    send = action("send", "write your comments and verdicts to a review file")
    send.add_argument("--out", type=_path, required=True, metavar="PATH",
                      help="the file, or a folder to write reviews-NAME-TIME.json into")
    receive = action("receive", "import a reviewer's review file")
    receive.add_argument("file", type=_path, metavar="FILE", help="the review file")
    rule = action("rule", "switch the log's two-person rule on or off")
    rule.add_argument("state", choices=("on", "off"), help="on: authors cannot verify")


def _actors_options(actors: argparse.ArgumentParser) -> None:
    """``actors list|alias|unalias|rename|merge`` (cli/actors.py, docs/cli.md)."""
    actions = actors.add_subparsers(
        dest="actors_action", metavar="ACTION", parser_class=_Parser, required=True,
        help="what to do ('incidentlog actors ACTION --help' for its options)")

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        assert isinstance(sub, _Parser)
        sub.options_before_command = ("--read-only",)
        sub.add_argument("--db", type=_database, metavar="PATH", default=argparse.SUPPRESS,
                         help="the database file, or postgresql://user@host:port/db")
        return sub

    action("list", "every actor, its aliases and how many incidents name it")
    alias = action("alias", "add aliases: other names that find the actor")
    alias.add_argument("actor", metavar="ACTOR", help="the actor's name")
    alias.add_argument("aliases", metavar="ALIAS", nargs="+", help="another name of it")
    unalias = action("unalias", "remove aliases")
    unalias.add_argument("aliases", metavar="ALIAS", nargs="+", help="an alias to remove")
    rename = action("rename", "rename an actor, in every incident that names it")
    rename.add_argument("actor", metavar="ACTOR", help="the actor's name")
    rename.add_argument("name", metavar="NEW_NAME", help="its new name")
    merge = action("merge", "merge an actor into another: its incidents and aliases move")
    merge.add_argument("actor", metavar="ACTOR", help="the actor merged away")
    merge.add_argument("into", metavar="INTO", help="the actor that stays")


def _import_options(importer: argparse.ArgumentParser) -> None:
    importer.add_argument(
        "file", type=_path, metavar="FILE",
        help="the JSON export or evidence package (ZIP) to import, or with --mapping a CSV, "
        ".xlsx or .ods table",
    )
    table = importer.add_argument_group("tables (CSV, .xlsx, .ods)")
    table.add_argument(
        "--mapping", metavar="MAPPING",
        help="how the table's columns become incidents: 'incidentlog' (incidentlog's own "
        "incidents.csv), 'acled' (an ACLED export) or a mapping file (JSON)",
    )
    table.add_argument(
        "--write-mapping", type=_path, metavar="OUT.json",
        help="write the mapping guessed from the table's header and first rows (to edit "
        "and give to --mapping) and import nothing",
    )
    table.add_argument(
        "--tz", type=_zone, metavar="ZONE",
        help="the IANA time zone of the table's dates, e.g. Asia/Baghdad (instead of the "
        "mapping's)",
    )
    table.add_argument(
        "--date-format", metavar="FORMAT",
        help="how the dates are written, e.g. %%d/%%m/%%Y (default: the mapping's, "
        "usually 'auto')",
    )
    importer.add_argument(
        "--dry-run", action="store_true", help="report what would happen; write nothing"
    )
    importer.add_argument(
        "--keep",
        type=_keep,
        default=PRE_IMPORT_BACKUPS,
        metavar="N",
        help="keep the newest N backups made before an import (and before an upgrade); "
        f"older ones are removed (default: {PRE_IMPORT_BACKUPS})",
    )


def _export_options(exporter: argparse.ArgumentParser) -> None:
    exporter.add_argument(
        "--format",
        required=True,
        choices=("json", "csv", "acled", "package", *BRIEFING_FORMATS),
        help="json: one file to send or import back (incidentlog import); "
        "csv: three files (incidents, sources, quotes) for a spreadsheet; "
        "acled: one CSV file of the incidents in ACLED's column layout; "
        "package: one ZIP with the JSON, every attached file and a SHA-256 manifest; "
        "timelinejs: a TimelineJS document to publish; ics: an iCalendar file; "
        "html, pdf: a briefing report (docs/formats.md)",
    )
    exporter.add_argument(
        "--out",
        required=True,
        type=_path,
        metavar="PATH",
        help="the JSON file ('-' for standard output, or a named pipe), "
        "or for CSV the folder that receives the three files",
    )
    exporter.add_argument(
        "--template",
        type=_path,
        metavar="FILE",
        help="html and pdf: a Jinja2 template of your own instead of the built-in one",
    )
    exporter.add_argument(
        "--title", metavar="TEXT", help="html and pdf: the report's title (default: Incident "
        "briefing)"
    )
    exporter.add_argument("--search", metavar="TEXT", help="words that must appear (full text)")
    exporter.add_argument(
        "--since", type=_since, metavar="DATE", help="from the start of DATE (UTC)"
    )
    exporter.add_argument(
        "--until", type=_until, metavar="DATE", help="up to the end of DATE (UTC), inclusive"
    )
    exporter.add_argument(
        "--country",
        type=_country,
        action="append",
        metavar="CC",
        help="country code or name; repeat for several",
    )
    exporter.add_argument(
        "--status",
        type=_status,
        action="append",
        metavar="S",
        help="draft, in review, verified, disputed or archived; repeat for several",
    )
    exporter.add_argument(
        "--type",
        dest="event_type",
        action="append",
        metavar="T",
        help="event type, e.g. 'rocket attack'; repeat for several",
    )
    exporter.add_argument(
        "--actor", action="append", metavar="NAME",
        help="an actor's name or alias, in any role (or --actor-role); repeat for several",
    )
    exporter.add_argument(
        "--actor-role", type=_actor_role, metavar="ROLE",
        help="perpetrator, claimant, target, victim, attributed by or intervening",
    )


def _check_options(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--record-custody",
        action="store_true",
        help="add a 'verify' entry to the custody trail of every evidence file that matches "
        "its hash (writes to the audit log)",
    )


def _attach_options(attach: argparse.ArgumentParser) -> None:
    attach.add_argument("file", type=_path, metavar="FILE", help="the file to keep")
    # Not required=True: the parser's first pass names a misspelt option before it says
    # that one is missing, and it relaxes options, not groups (cmd_attach asks for one).
    owner = attach.add_mutually_exclusive_group()
    owner.add_argument("--source", metavar="UID|URL",
                       help="the source: its uid (or its first 8+ characters) or its URL")
    owner.add_argument("--incident", metavar="REF|UID", help="the incident: its ref or uid")


def _backup_options(backup: argparse.ArgumentParser) -> None:
    backup.add_argument(
        "--out",
        type=_path,
        metavar="PATH",
        help="the copy to write, or a folder to put it in "
        "(default: a dated file in the database's backups folder)",
    )
    backup.add_argument(
        "--keep",
        type=_keep,
        metavar="N",
        help="then keep only the newest N backups made by this command in that folder "
        "(default: keep them all)",
    )


def _restore_options(restore: argparse.ArgumentParser) -> None:
    restore.add_argument("backup", type=_path, metavar="BACKUP", help="the backup to restore")
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore even a backup whose audit log does not verify (it is refused otherwise)",
    )
