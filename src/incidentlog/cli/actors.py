"""``incidentlog actors ACTION``: the actors' vocabulary for scripts (docs/cli.md).

The same edits as Edit ▸ Actors… (services/actors.py): list the actors with their
aliases and how many incidents name each, add or remove an alias, rename an
actor, merge one into another. Each edit is audited like the window's.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from incidentlog.cli.helpers import _plural, _progress

__all__ = ["cmd_actors"]


def cmd_actors(args: argparse.Namespace, out: TextIO) -> int:
    from incidentlog.cli.commands import _existing_database_path
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    path = _existing_database_path(args)
    action: str = args.actors_action
    with open_database(path, read_only=args.read_only or action == "list") as database:
        actors = Services(database).actors
        if action == "list":
            for entry in actors.entries():
                aliases = f"  (also: {'; '.join(entry.aliases)})" if entry.aliases else ""
                attributes = (f"  [attributes {entry.attributions:,}]"
                              if entry.attributions else "")
                print(f"{entry.incidents:>7,}  {entry.name}{aliases}{attributes}", file=out)
        elif action == "alias":
            for alias in args.aliases:
                actors.add_alias(args.actor, alias)
            print(f"{args.actor}: {'; '.join(args.aliases)} added as "
                  f"{'an alias' if len(args.aliases) == 1 else 'aliases'}.", file=out)
        elif action == "unalias":
            for alias in args.aliases:
                named = actors.remove_alias(alias).record
                print(f"{alias} no longer names {named}.", file=out)
        elif action == "rename":
            with _progress("Renaming in every incident") as progress:
                outcome = actors.rename(args.actor, args.name, progress=progress)
            print(f"{outcome.record.old} is now {outcome.record.new} "
                  f"({_plural(len(outcome.changes.incidents), 'incident')} changed).", file=out)
        else:
            with _progress("Merging in every incident") as progress:
                merged = actors.merge(args.actor, args.into, progress=progress)
            print(f"{merged.record.merged} merged into {merged.record.survivor} "
                  f"({_plural(len(merged.changes.incidents), 'incident')} changed).", file=out)
    return 0
