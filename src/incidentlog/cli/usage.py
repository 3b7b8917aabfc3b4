"""What every command line outcome names: the program and a usage error.

Apart from the parser so that the desktop's start, which needs no parser, can still
report a usage error in the same words (cli/entry.py)."""

from __future__ import annotations

PROG = "incidentlog"


class UsageError(Exception):
    """The command line asks for something impossible; reported like argparse's errors."""
