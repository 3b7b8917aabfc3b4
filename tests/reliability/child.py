"""Child processes for the reliability tests: real processes, killed or racing for real.

Usage: ``python -m tests.reliability.child ACTION DB [ARGS…]``; each committed
record's uid is printed on its own line, flushed, only after its commit
returned, so that the parent knows exactly what was promised to the user.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from incidentlog.domain.errors import ConflictError
from incidentlog.domain.records import Count, Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.database import open_database


def incident(number: int, actor: str) -> Incident:
    return Incident(
        title=f"{actor} incident {number}",
        occurred=parse_local("2024-01-20 18:30", "Asia/Baghdad"),
        summary="Multiple ballistic missiles and rockets were launched " * 5,
        country="IQ",
        injured=Count.at_least(number % 7),
        tags=("crash-test",),
    )


def save_forever(db: str, actor: str, limit: int) -> None:
    with open_database(db) as database:
        services = Services(database, actor=actor)
        print("ready", flush=True)
        for number in range(limit):
            stored = services.incidents.create(incident(number, actor)).record
            print(stored.meta.uid, flush=True)


def edit_after_signal(db: str, uid: str) -> None:
    """Read an incident, wait for the parent's go, then save an edit of the stale copy."""
    with open_database(db) as database:
        services = Services(database, actor="first")
        stale = services.incidents.get(uid)
        print("loaded", flush=True)
        sys.stdin.readline()
        try:
            services.incidents.update(replace(stale, title="first process's title"))
        except ConflictError as exc:
            print(f"conflict by {exc.changed_by}", flush=True)
        else:
            print("saved", flush=True)


def edit_now(db: str, uid: str) -> None:
    with open_database(db) as database:
        services = Services(database, actor="second")
        current = services.incidents.get(uid)
        services.incidents.update(replace(current, title="second process's title"))
        print("saved", flush=True)


if __name__ == "__main__":
    action, db_path, *rest = sys.argv[1:]
    if action == "save":
        save_forever(db_path, rest[0], int(rest[1]))
    elif action == "edit-after-signal":
        edit_after_signal(db_path, rest[0])
    elif action == "edit-now":
        edit_now(db_path, rest[0])
    else:
        raise SystemExit(f"unknown action {action}")
