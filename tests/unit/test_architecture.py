"""Dependencies point one way (docs/architecture.md): only gui/ (and app.py) may import Qt.

Imports are read from the source (``ast``), every kind: ``import incidentlog.x``,
``from incidentlog import x``, relative (``from .. import gui``), inside functions
and under ``TYPE_CHECKING`` (a layer that names another's types depends on it).
A layer is checked with what it reaches through other modules of the package too,
so that ``store`` importing ``incidentlog.app`` (which imports ``gui`` and Qt) fails
like ``store`` importing ``gui`` would. docs/architecture.md says why this test and
not import-linter.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import incidentlog

PACKAGE = Path(incidentlog.__file__).parent
QT_ALLOWED = {"gui", "app.py"}
QT = ("PySide6", "shiboken6", "PyQt6", "PyQt5")
LAYER_RULES = {
    # layer: packages it must not import
    "domain": ("incidentlog.store", "incidentlog.services", "incidentlog.exchange",
               "incidentlog.gui", "sqlalchemy", "alembic"),
    "store": ("incidentlog.services", "incidentlog.exchange", "incidentlog.gui"),
    "services": ("incidentlog.exchange", "incidentlog.gui"),
    "exchange": ("incidentlog.gui",),
}
#: The layers below the user interfaces: neither they nor anything they import may reach
#: Qt. (cli/ and selftest.py may: they start the window on request.)
HEADLESS = ("domain", "store", "services", "exchange")


@dataclass
class Module:
    name: str  # dotted: incidentlog.store.records
    path: Path
    relative: Path  # to the package folder: store/records.py
    imports: set[str] = field(default_factory=set)  # absolute names, as resolved


def _package_of(module: str, path: Path) -> str:
    """The package a relative import in ``module`` starts from."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(path: Path, module: str | None = None) -> set[str]:
    """Every name ``path`` imports, absolute: relative imports resolved against ``module``
    (its dotted name), and ``from x import y`` counted as ``x`` and ``x.y`` (y may be a
    module: ``from incidentlog import gui``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            elif module is None:
                continue  # a relative import cannot be resolved without the module's name
            else:
                package = _package_of(module, path).split(".")
                base = ".".join([*package[: len(package) - node.level + 1],
                                 *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def _graph(package_dir: Path, package: str = "incidentlog") -> dict[str, Module]:
    """The package's modules by dotted name, with what each imports."""
    modules: dict[str, Module] = {}
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir)
        parts = [package, *relative.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        modules[name] = Module(name, path, relative, _imports(path, name))
    return modules


def _internal(name: str, modules: Mapping[str, Module]) -> list[str]:
    """The package's modules that importing ``name`` runs: it and its parent packages."""
    parts = name.split(".")
    return [m for m in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if m in modules]


def _reached(start: Module, modules: Mapping[str, Module]) -> dict[str, list[str]]:
    """Every name ``start`` imports directly or through the package's modules, each with the
    chain of modules that leads to it (``start`` first)."""
    chains: dict[str, list[str]] = {}
    queue = deque([(start, [start.name])])
    seen = {start.name}
    while queue:
        module, chain = queue.popleft()
        for name in sorted(module.imports):
            chains.setdefault(name, chain)
            for inner in _internal(name, modules):
                chains.setdefault(inner, chain)
                if inner not in seen:
                    seen.add(inner)
                    queue.append((modules[inner], [*chain, inner]))
    return chains


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _shortest(
    reached: Mapping[str, list[str]], wanted: Callable[[str], bool]
) -> tuple[str, list[str]] | None:
    """The wanted name reached by the shortest chain (one line per offence, not per name)."""
    found = sorted((len(chain), name) for name, chain in reached.items() if wanted(name))
    return (found[0][1], reached[found[0][1]]) if found else None


def _offence(module: Module, name: str, chain: list[str]) -> str:
    through = f" through {' → '.join(chain[1:])}" if len(chain) > 1 else ""
    return f"{module.relative} imports {name}{through}"


def _qt_offences(modules: Mapping[str, Module]) -> list[str]:
    """Qt imported outside gui/ and app.py, or reached from a headless layer at all."""
    offenders = []
    for module in modules.values():
        top = module.relative.parts[0]
        if top in QT_ALLOWED:
            continue
        if top in HEADLESS:
            reached = _reached(module, modules)
        else:
            reached = {name: [module.name] for name in module.imports}
        found = _shortest(reached, lambda name: name.split(".")[0] in QT)
        if found:
            offenders.append(_offence(module, *found))
    return offenders


def _layer_offences(modules: Mapping[str, Module]) -> list[str]:
    """A layer importing, directly or through any module of the package, one it must not."""
    offenders = []
    for module in modules.values():
        forbidden = LAYER_RULES.get(module.relative.parts[0], ())
        if not forbidden:
            continue
        reached = _reached(module, modules)
        for prefix in forbidden:
            found = _shortest(reached, lambda name, prefix=prefix: _matches(name, (prefix,)))
            if found:
                offenders.append(_offence(module, *found))
    return offenders


def test_only_gui_imports_qt() -> None:
    offenders = _qt_offences(_graph(PACKAGE))
    assert offenders == [], f"Qt imported outside gui/: {offenders}"


def test_layers_point_one_way() -> None:
    offenders = _layer_offences(_graph(PACKAGE))
    assert offenders == []


def test_the_check_itself_sees_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from PySide6.QtCore import QObject\nimport sqlalchemy\n")
    assert {"PySide6.QtCore", "sqlalchemy"} <= _imports(sample)


def _sample_package(root: Path, files: Mapping[str, str]) -> Path:
    """A package tree shaped like incidentlog's: every folder a package."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        for folder in path.relative_to(root).parents:
            (root / folder / "__init__.py").touch()
    return root


def test_the_check_sees_imports_through_the_package(tmp_path: Path) -> None:
    # Each store/ module reaches gui/ (and so Qt) by a route the first version of this test
    # missed: only absolute "import incidentlog.gui…" and "from incidentlog.gui… import" counted.
    package = _sample_package(tmp_path / "incidentlog", {
        "gui/window.py": "from PySide6.QtWidgets import QWidget\n",
        "gui/__init__.py": "from .window import QWidget\n",
        "app.py": "from PySide6.QtWidgets import QApplication\nimport incidentlog.gui.window\n",
        "cli.py": "def main() -> None:\n    from incidentlog.app import QApplication\n",
        "selftest.py": "from .gui import window\n",
        "services/use.py": "import incidentlog.store.plain\n",
        "store/plain.py": "import sqlite3\n",
        "store/via_app.py": "import incidentlog.app\n",
        "store/via_cli.py": "from incidentlog import cli\n",
        "store/via_selftest.py": "from incidentlog.selftest import window\n",
        "store/from_package.py": "from incidentlog import gui\n",
        "store/relative.py": "from .. import gui\n",
        "store/relative_module.py": "from ..gui.window import QWidget\n",
        "store/through_services.py": "from ..services import use\n",
    })
    modules = _graph(package)
    layers = _layer_offences(modules)
    for offender in ("via_app", "via_cli", "via_selftest", "from_package", "relative",
                     "relative_module"):
        assert any(line.startswith(f"store/{offender}.py imports incidentlog.gui")
                   for line in layers), (offender, layers)
    assert "store/via_app.py imports incidentlog.gui through incidentlog.app" in layers
    assert "store/relative.py imports incidentlog.gui" in layers
    assert any(line.startswith("store/through_services.py imports incidentlog.services")
               for line in layers)
    assert not any(line.startswith(("store/plain.py", "services/use.py")) for line in layers)

    qt = _qt_offences(modules)
    for offender in ("via_app", "via_cli", "via_selftest", "from_package", "relative",
                     "relative_module"):
        assert any(line.startswith(f"store/{offender}.py imports PySide6") for line in qt), (
            offender, qt)
    # cli.py and selftest.py may start the window; importing Qt themselves they may not.
    assert not any(line.startswith(("cli.py", "selftest.py", "app.py", "gui/")) for line in qt)
    (package / "cli.py").write_text("import PySide6.QtCore\n", encoding="utf-8")
    assert "cli.py imports PySide6.QtCore" in _qt_offences(_graph(package))
