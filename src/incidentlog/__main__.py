"""``python -m incidentlog``: the same as the ``incidentlog`` command."""

from __future__ import annotations

from incidentlog.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
