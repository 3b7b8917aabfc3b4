"""Entry script of the packaged program: the same command line as the ``incidentlog`` script.

PyInstaller needs a script file rather than a console-script entry point.
With no command it starts the desktop application; ``--version``,
``self-test`` and every other command work as they do when installed with pip.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from incidentlog.cli import main

if __name__ == "__main__":
    # A windowed build (Windows' incidentlogw.exe, a macOS .app started from Finder) may
    # have no standard streams: Python then sets them to None, and the first message
    # written to one (argparse's, a warning) would raise. Send them nowhere instead.
    # The files stay open for the life of the process.
    if sys.stdout is None:
        sys.stdout = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115
    sys.exit(main())
