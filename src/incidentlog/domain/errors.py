"""Errors a user can act on. Each carries a sentence fit to show as it is.

Anything else that escapes a use case is a bug and is reported as one.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The most characters of a user's value an error message quotes: a 1 MB title or URL
#: must make a readable sentence, not a 1 MB one.
QUOTED_PREFIX = 60


def shortened(text: str, limit: int = QUOTED_PREFIX) -> str:
    """``text`` cut to ``limit`` characters, with "…" when something was cut."""
    return text if len(text) <= limit else text[:limit] + "…"


def quoted(value: object, limit: int = QUOTED_PREFIX) -> str:
    """A user's value as an error message quotes it: ``repr``, at most ``limit`` long."""
    return shortened(repr(value), limit)


class IncidentLogError(Exception):
    """Base of the errors whose message is meant for the user."""

    @property
    def message(self) -> str:
        return str(self)


class ValidationError(IncidentLogError):
    """One or more fields are wrong; ``fields`` maps each field to what is wrong with it."""

    def __init__(self, fields: Mapping[str, str], record: str | None = None) -> None:
        self.fields = dict(fields)
        self.record = shortened(record) if record else record
        where = f"{self.record}: " if self.record else ""
        detail = "; ".join(f"{name}: {text}" for name, text in self.fields.items())
        super().__init__(f"{where}{detail}")


class ConflictError(IncidentLogError):
    """The record changed since it was read (optimistic locking)."""

    def __init__(
        self,
        kind: str,
        uid: str,
        label: str,
        expected_version: int,
        current_version: int,
        changed_by: str | None,
        changed_at: str | None,
    ) -> None:
        self.kind = kind
        self.uid = uid
        self.label = label
        self.expected_version = expected_version
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = changed_by or "someone else"
        when = f" at {changed_at}" if changed_at else ""
        super().__init__(
            f"The {kind} {label} was changed by {who}{when} after you opened it "
            f"(version {current_version}, yours {expected_version}). "
            "Reload it to see their change, or save yours over it."
        )


class NotFoundError(IncidentLogError):
    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"There is no {kind} {key} (it may have been purged).")


class ReadOnlyError(IncidentLogError):
    def __init__(self, what: str = "This database") -> None:
        super().__init__(f"{what} is open read-only: nothing can be changed.")


class ReviewModeError(ReadOnlyError):
    """A change to the facts of a log opened in review mode (docs/review.md)."""

    def __init__(self, what: str = "This database") -> None:
        IncidentLogError.__init__(
            self,
            f"{what} is open in review mode: the facts cannot be changed; "
            "comments and verdicts can.",
        )


class StorageError(IncidentLogError):
    """The file cannot be used: locked, full, damaged, not ours, too new."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class ExchangeError(IncidentLogError):
    """An import or export file is wrong; the message names file, line or record, field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.record = record
        self.field = field
        where = [
            part
            for part in (
                file,
                f"line {line}" if line is not None else None,
                record,
                f"field {field}" if field else None,
            )
            if part
        ]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class Cancelled(IncidentLogError):  # noqa: N818 - it is an outcome, not a failure
    def __init__(self) -> None:
        super().__init__("Cancelled: nothing was written.")
