"""Dependencies point one way (DESIGN §3): only gui/ (and app.py) may import Qt."""

from __future__ import annotations

import ast
from pathlib import Path

import incidentlog

PACKAGE = Path(incidentlog.__file__).parent
QT_ALLOWED = {"gui", "app.py"}
LAYER_RULES = {
    # layer: packages it must not import
    "domain": ("incidentlog.store", "incidentlog.services", "incidentlog.exchange",
               "incidentlog.gui", "sqlalchemy", "alembic"),
    "store": ("incidentlog.services", "incidentlog.exchange", "incidentlog.gui"),
    "services": ("incidentlog.exchange", "incidentlog.gui"),
    "exchange": ("incidentlog.gui",),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_gui_imports_qt() -> None:
    offenders = []
    for path in _modules():
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in QT_ALLOWED:
            continue
        if any(name.split(".")[0] in ("PySide6", "shiboken6", "PyQt6", "PyQt5")
               for name in _imports(path)):
            offenders.append(str(relative))
    assert offenders == [], f"Qt imported outside gui/: {offenders}"


def test_layers_point_one_way() -> None:
    offenders = []
    for path in _modules():
        relative = path.relative_to(PACKAGE)
        forbidden = LAYER_RULES.get(relative.parts[0], ())
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                offenders.append(f"{relative} imports {name}")
    assert offenders == []


def test_the_check_itself_sees_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from PySide6.QtCore import QObject\nimport sqlalchemy\n")
    assert {"PySide6.QtCore", "sqlalchemy"} <= _imports(sample)
