"""mypy is part of the suite, so a type error fails CI like a failing test.

What it checks and how strictly is configured in pyproject.toml ([tool.mypy]).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_is_clean() -> None:
    # The mypy of this interpreter, the pinned one: not whichever is first on PATH.
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed: pip install -e '.[test]'")
    # The files to check come from [tool.mypy]; no cache is written into the checkout.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
