"""The desk benchmark drives the real window from the keyboard and stores the report right.

The figures are key counts, not times: the same keys on any machine.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.bench_desk import check, measure

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")


def test_the_keyboard_path_stores_the_al_assad_report(qapp: Any) -> None:
    figures, wrong, typist = measure()
    assert wrong == []
    assert typist.clicks == 0
    by_name = {figure.name: figure.median for figure in figures}
    assert by_name["key presses in all (post pasted)"] == typist.total
    assert typist.other_keys <= 40 and typist.total <= 200, typist.log


def test_check_names_each_field_stored_wrong() -> None:
    assert check({"incidents": []}) == ["incidents: stored 0, wanted 1"]
    wrong = check({"incidents": [{"title": "Wrong title"}], "sources": [], "quotes": []})
    assert any(sentence.startswith("title: stored 'Wrong title'") for sentence in wrong)
    assert any(sentence.startswith("quotes: stored 0") for sentence in wrong)
