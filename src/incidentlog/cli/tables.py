"""``import`` of a table: the column mapping named by ``--mapping``, or a guess written out."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from incidentlog.cli.usage import UsageError
from incidentlog.exchange.tabular import (
    BUILTIN_MAPPINGS,
    ColumnMapping,
    builtin_mapping,
    guess_mapping,
    load_mapping,
    save_mapping,
)
from incidentlog.exchange.tabular.reading import open_table

__all__ = ["table_mapping", "write_guessed_mapping"]

#: Rows the guess looks at.
GUESS_ROWS = 50


def table_mapping(args: argparse.Namespace) -> ColumnMapping | None:
    """The mapping ``--mapping`` names, with ``--tz`` and ``--date-format``; None for JSON."""
    if args.mapping is None:
        if args.tz is not None or args.date_format is not None:
            raise UsageError("--tz and --date-format apply to a table imported with --mapping")
        return None
    mapping = builtin_mapping(args.mapping)
    if mapping is None:
        path = Path(args.mapping).expanduser()
        if not path.is_file():
            raise UsageError(
                f"--mapping {args.mapping}: neither a built-in mapping "
                f"({', '.join(BUILTIN_MAPPINGS)}) nor a mapping file"
            )
        mapping = load_mapping(path)
    if args.tz is not None:
        mapping = replace(mapping, tz=args.tz)
    if args.date_format is not None:
        mapping = replace(mapping, date_format=args.date_format)
    return mapping


def write_guessed_mapping(file: Path, target: Path, out: TextIO) -> int:
    """Write the mapping guessed from ``file``'s header and first rows to ``target``."""
    with open_table(file) as table:
        sample = [cells for _, (_line, cells) in zip(range(GUESS_ROWS), table.rows,
                                                      strict=False)]
        mapping = guess_mapping(table.header, sample)
    save_mapping(mapping, target)
    unread = [name for name in table.header if name and name not in mapping.columns]
    print(f"Wrote the mapping guessed for {file.name} to {target}: "
          f"{len(mapping.columns)} columns read"
          + (f", not read: {', '.join(unread)}" if unread else "")
          + ". Check it, then: incidentlog import FILE --mapping " + str(target), file=out)
    return 0
