"""Start-up stays lean: the schema is plain SQLAlchemy Core (docs/performance.md).

Each check runs in a fresh interpreter, since this test process has long since
imported everything.
"""

from __future__ import annotations

import subprocess
import sys


def _imported_after(module: str, probe: str) -> bool:
    code = f"import sys, {module}; print({probe!r} in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120)
    return result.stdout.strip() == "True"


def test_the_schema_does_not_import_the_orm() -> None:
    assert not _imported_after("incidentlog.store.schema", "sqlalchemy.orm")


def test_the_check_itself_sees_an_import() -> None:
    assert _imported_after("incidentlog.store.schema", "sqlalchemy")
