"""What an export or an import did, in numbers a person can check, and the callbacks they take."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from incidentlog.domain.errors import Cancelled

__all__ = ["Cancel", "ExportReport", "ImportReport", "KindCounts", "Progress", "Ticker"]

#: ``(done, total)``; ``total`` is 0 when it is not known yet.
Progress = Callable[[int, int], None]
#: Asked now and then; returning True stops the work: nothing is written, ``Cancelled`` is raised.
Cancel = Callable[[], bool]

#: How many conflicts and renumberings ``ImportReport.summary`` lists before "and N more".
SUMMARY_LIST_LIMIT = 20


@dataclass(frozen=True)
class ExportReport:
    path: Path
    incidents: int
    sources: int
    quotes: int

    def summary(self) -> str:
        return (
            f"Exported {_plural(self.incidents, 'incident')}, {_plural(self.sources, 'source')} "
            f"and {_plural(self.quotes, 'quote')} to {self.path}."
        )


@dataclass(frozen=True)
class KindCounts:
    """What an import did with the records of one kind.

    ``merged``: a source whose URL is that of a source already here, so that
    one was used instead (sources only). ``skipped``: kept as it is here,
    because it was changed here more recently or is in the trash; each is
    named in ``ImportReport.conflicts``.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + self.merged + self.skipped

    def text(self) -> str:
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.merged:
            parts.append(f"{self.merged} merged with an existing source")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        return ", ".join(parts)


@dataclass(frozen=True)
class ImportReport:
    incidents: KindCounts = field(default_factory=KindCounts)
    sources: KindCounts = field(default_factory=KindCounts)
    quotes: KindCounts = field(default_factory=KindCounts)
    periods: KindCounts = field(default_factory=KindCounts)
    saved_views: KindCounts = field(default_factory=KindCounts)
    comments: KindCounts = field(default_factory=KindCounts)
    verdicts: KindCounts = field(default_factory=KindCounts)
    conflicts: list[str] = field(default_factory=list)
    renumbered: list[str] = field(default_factory=list)
    dry_run: bool = False
    links_added: int = 0
    #: Links to related incidents added (those of new incidents included).
    related_added: int = 0
    path: Path | None = None
    #: What the file says that is doubtful but was imported: clocks in the future,
    #: records of the file merged together.
    warnings: list[str] = field(default_factory=list)
    #: Records the file has in a version older than ours (counted as unchanged).
    older: int = 0
    #: Sources of the file merged into another source of the file (same address).
    merged: list[str] = field(default_factory=list)
    #: Incidents of the file merged into another here: their citations went to the survivor.
    merged_away: list[str] = field(default_factory=list)
    #: Incidents added that may be the same as one already here (services/duplicates.py).
    duplicates: list[str] = field(default_factory=list)
    #: Names and aliases of the file's actors' vocabulary added (exchange/json/vocabulary.py).
    actors_added: int = 0
    #: Incidents the file says were merged: merged here too, or why not.
    tombstones: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the import wrote (or, in a dry run, would write) anything."""
        kinds = (self.incidents, self.sources, self.quotes, self.periods, self.saved_views,
                 self.comments, self.verdicts)
        return (self.links_added > 0 or self.related_added > 0 or self.actors_added > 0
                or any(k.added or k.updated for k in kinds))

    def summary(self) -> str:
        """A few lines for a person: what was (or would be) done, and what needs a look."""
        head = "Dry run, nothing was written." if self.dry_run else "Import finished."
        if self.path is not None:
            head = f"{self.path.name}: {head}"
        lines = [
            head,
            f"Incidents: {self.incidents.text()}.",
            f"Sources: {self.sources.text()}.",
            f"Quotes: {self.quotes.text()}.",
        ]
        if self.periods.total:  # files from before periods were exported have none
            lines.append(f"Periods: {self.periods.text()}.")
        if self.saved_views.total:  # nor do files from before saved views
            lines.append(f"Saved views: {self.saved_views.text()}.")
        if self.comments.total:  # nor do files from before review
            lines.append(f"Comments: {self.comments.text()}.")
        if self.verdicts.total:
            lines.append(f"Verdicts: {self.verdicts.text()}.")
        if self.links_added:
            lines.append(f"Citations added to existing incidents: {self.links_added}.")
        if self.related_added:
            lines.append(f"Links between related incidents added: {self.related_added}.")
        if self.actors_added:
            lines.append(f"Actors' names and aliases added: {self.actors_added}.")
        if self.older:
            lines.append(
                f"Older in the file than here (left as they are): {_plural(self.older, 'record')}."
            )
        for title, items in (
            ("Conflicts (kept as they are here)", self.conflicts),
            ("Warnings", self.warnings),
            ("Sources merged (the same address twice in the file)", self.merged),
            ("Given a new ref (theirs was taken here)", self.renumbered),
            ("Merged here into another incident (that one was linked)", self.merged_away),
            ("Merged in the file into another incident", self.tombstones),
            ("May be the same as an incident already here (imported all the same)",
             self.duplicates),
        ):
            if not items:
                continue
            lines.append(f"{title}: {len(items)}")
            lines.extend(f"  - {item}" for item in items[:SUMMARY_LIST_LIMIT])
            if len(items) > SUMMARY_LIST_LIMIT:
                lines.append(f"  … and {len(items) - SUMMARY_LIST_LIMIT} more")
        return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class Ticker:
    """Calls the progress and cancel callbacks, never more often than is useful.

    ``step`` is called per record; it reports and asks to cancel every
    ``every`` records, so that a million-record export does not spend its
    time in a GUI callback.
    """

    def __init__(
        self,
        progress: Progress | None,
        cancel: Cancel | None,
        total: int = 0,
        every: int = 200,
    ) -> None:
        self._progress = progress
        self._cancel = cancel
        self.total = total
        self.done = 0
        self._every = max(1, every)
        self._next = self._every

    def check(self) -> None:
        """Raise ``Cancelled`` if the user asked to stop."""
        if self._cancel is not None and self._cancel():
            raise Cancelled()

    def report(self) -> None:
        if self._progress is not None:
            self._progress(self.done, self.total)

    def step(self, count: int = 1) -> None:
        self.done += count
        if self.done >= self._next:
            self._next = self.done + self._every
            self.check()
            self.report()

    def set(self, done: int) -> None:
        """Move to ``done`` (a position in bytes or records), reporting as ``step`` does."""
        self.step(done - self.done)
