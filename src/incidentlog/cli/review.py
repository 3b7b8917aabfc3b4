"""``incidentlog review ACTION``: the review workflow for scripts (docs/review.md, docs/cli.md).

The same rules as the window: a dispute needs a reason, the workflow's steps,
the two-person rule. The reviewer is the person the audit log names: the login
name of the account that runs the command.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from incidentlog.cli.helpers import _plural, _require_writable
from incidentlog.domain.enums import Reliability, Status
from incidentlog.domain.errors import NotFoundError

if TYPE_CHECKING:  # imported when a command runs: ``--help`` stays quick
    from incidentlog.services import Services

__all__ = ["cmd_review", "review_writes"]

#: The actions that write (refused with ``--read-only``).
_WRITING = frozenset({"verify", "dispute", "reopen", "comment", "receive", "rule"})


def review_writes(args: argparse.Namespace) -> bool:
    return getattr(args, "review_action", None) in _WRITING


def _incident_uid(services: Services, key: str) -> str:
    """The uid of the incident a person named by its ref (or by its uid)."""
    from incidentlog.store import bulk

    with services.database.read() as connection:
        found = bulk.uids_by_ref(connection, [key.strip()])
    uid = found.get(key.strip())
    if uid is None and services.incidents.find(key.strip()) is not None:
        uid = key.strip()
    if uid is None:
        raise NotFoundError("incident", key)
    return uid


def cmd_review(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.cli.commands import _existing_database_path
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    path = _existing_database_path(args)
    action: str = args.review_action
    with open_database(path, read_only=args.read_only or not review_writes(args)) as database:
        services = Services(database)
        if action == "list":
            _list(services, out)
        elif action in ("verify", "dispute", "reopen"):
            _decide(services, args, out)
        elif action == "comment":
            uid = _incident_uid(services, args.incident)
            if args.reply_to:
                outcome = services.review.reply(args.reply_to, args.text)
            else:
                outcome = services.review.comment(args.text, incident_uid=uid, about=args.about)
            print(f"Comment {outcome.record.uid} added.", file=out)
        elif action == "send":
            _send(services, args.out, out)
        elif action == "receive":
            from incidentlog.exchange.review_file import import_reviews

            print(import_reviews(services, args.file).summary(), file=out)
        else:
            services.review.set_two_person_rule(args.state == "on")
            print(f"Two-person rule: {args.state}.", file=out)
    return 0


def _list(services: Services, out: TextIO) -> None:
    queue = services.review.queue()
    for item in queue:
        print(
            f"{item.ref}\t{item.occurred_at[:10]}\t{item.title}\tentered by {item.entered_by}"
            f"\t{_plural(item.sources, 'source')} ({item.preserved} preserved)"
            f"\t{_plural(item.open_comments, 'open comment')}",
            file=out,
        )
    print(f"{_plural(len(queue), 'incident')} waiting for review.", file=out)


def _decide(services: Services, args: argparse.Namespace, out: TextIO) -> None:
    uid = _incident_uid(services, args.incident)
    status = {"verify": Status.VERIFIED, "dispute": Status.DISPUTED, "reopen": Status.DRAFT}[
        args.review_action
    ]
    reliability = getattr(args, "reliability", None)
    verdict = services.review.decide(
        uid,
        status,
        args.reason,
        reliability=Reliability(reliability) if reliability else None,
        confidence=getattr(args, "credibility", None),
    ).record
    incident = services.incidents.get(uid)
    print(f"{incident.label}: {verdict.sentence()}.", file=out)


def _send(services: Services, target: Path, out: TextIO) -> None:
    from incidentlog.exchange.review_file import review_file_name, send_reviews

    target = target.absolute()
    if target.is_dir():
        target = target / review_file_name(services.actor)
    _require_writable(target)
    path, comments, verdicts = send_reviews(services, target)
    print(
        f"{path}: {_plural(comments, 'comment')} and {_plural(verdicts, 'verdict')} "
        f"of {services.actor}.",
        file=out,
    )
