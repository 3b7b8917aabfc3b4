"""An import as a whole: pass 1 checks the file into a spool, pass 2 merges it.

``import_json`` runs pass 1 (``json.check``), then ``json.merge.Importer`` writes
what the spool holds in one transaction, merging with what is here; any error
rolls the transaction back, so the database is left exactly as it was, and a
dry run does everything and rolls back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from incidentlog.domain.errors import Cancelled, ExchangeError, IncidentLogError
from incidentlog.exchange.json.check import Spool, check_file
from incidentlog.exchange.json.merge import Importer
from incidentlog.exchange.json.vocabulary import merge_tombstones
from incidentlog.exchange.reports import Cancel, ImportReport, Progress, Ticker
from incidentlog.services import Changes, Services
from incidentlog.store import bulk

__all__ = ["import_json"]


class _DryRun(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside the write transaction to roll a dry run back."""

def import_json(
    services: Services,
    path: Path,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    before_commit: Callable[[], None] | None = None,
) -> ImportReport:
    """Merge a document into the database, in one transaction, or not at all.

    See ``Importer`` for the merge rules. ``dry_run`` does everything, rolls
    back, and returns the report of what would have been done. Raises
    ``ExchangeError`` (nothing written) or ``Cancelled`` (nothing written).

    ``before_commit`` (the pre-import backup) runs only when the import is about
    to change something: inside the write transaction, once the merge is done
    and before it is committed. Other connections still see the log as it was
    (WAL), and an error it raises rolls the import back.
    """
    path = Path(path)
    database = services.database
    if database.read_only and not dry_run:
        raise ExchangeError(
            "cannot be imported: the database is open read-only. Nothing was imported.",
            file=str(path),
        )
    ticker = Ticker(progress, cancel, every=64)
    importer = _merged(services, path, ticker, dry_run, before_commit)
    report = importer.report(dry_run)
    merged = importer.checked.extras.get("merged")
    if merged:  # after the import's transaction: each merge is one of its own, audited
        report = replace(report, tombstones=merge_tombstones(services, merged, dry_run=dry_run))
    if not dry_run and importer.added_incidents:
        report = replace(report, duplicates=services.duplicates.report_for(
            importer.added_incidents))
    if not dry_run and report.changed:
        services.notifier.notify(
            Changes(
                periods=frozenset(importer.period_uids),
                views=frozenset(importer.view_uids),
                rows_changed=True,
                vocabulary=report.actors_added > 0,
            )
        )
    ticker.done = ticker.total
    ticker.report()
    return report


def _merged(services: Services, path: Path, ticker: Ticker, dry_run: bool,
            before_commit: Callable[[], None] | None) -> Importer:
    """Pass 1 into a spool, then pass 2 in one write transaction; the importer that did
    it. Any failure leaves the database as it was (``ExchangeError``, ``Cancelled``)."""
    database = services.database
    spool: Spool | None = None
    try:
        ticker.check()
        size = path.stat().st_size if path.exists() else 0
        ticker.total = 2 * size
        if not database.read_only:
            spool = _new_spool(services, path)
        checked = check_file(path, database, ticker, spool)
        if database.read_only or spool is None:
            raise ExchangeError(
                "cannot be imported: the database is open read-only (the file itself is valid).",
                file=str(path),
            )
        importer = Importer(services, path, checked, ticker, spool)
        _write(services, importer, dry_run, before_commit)
    except (ExchangeError, Cancelled):
        raise
    except IncidentLogError as exc:  # storage: busy, disk full, refused by a constraint
        raise ExchangeError(f"{exc} Nothing was imported.", file=str(path)) from exc
    except OSError as exc:  # the spool: disk full
        raise ExchangeError(
            f"cannot be imported: {exc.strerror or exc}. Nothing was imported.", file=str(path)
        ) from exc
    finally:
        if spool is not None:
            spool.close()
    return importer

def _new_spool(services: Services, path: Path) -> Spool:
    database_path = services.database.path
    try:
        return Spool(database_path.parent if database_path else None)
    except OSError as exc:
        raise ExchangeError(
            f"cannot be imported: no room for temporary files ({exc.strerror or exc}). "
            "Nothing was imported.",
            file=str(path),
        ) from exc

def _write(services: Services, importer: Importer, dry_run: bool,
           before_commit: Callable[[], None] | None) -> None:
    """Pass 2 in one write transaction; a dry run rolls it back."""
    database = services.database
    sqlite = database.backend.name == "sqlite"
    try:
        with (
            # Holds the lock for as long as the merge takes: the window's saves wait for it
            # (docs/reliability.md) rather than time out as "busy".
            database.long_write() as connection,
            bulk.page_cache(connection, _IMPORT_CACHE_MIB) if sqlite else contextlib.nullcontext(),
        ):
            importer.run(connection)
            if dry_run:
                raise _DryRun
            if before_commit is not None and importer.report(dry_run).changed:
                before_commit()
    except _DryRun:
        pass

#: SQLite's page cache while an import writes (the usual one is 32 MiB): well inside
#: the import's memory budget of 500 MiB (docs/performance.md).
_IMPORT_CACHE_MIB = 160
