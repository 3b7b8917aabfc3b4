"""Help ▸ User guide (docs/user-guide.md shown in the application) and Help ▸ About."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import incidentlog
from incidentlog.gui import plain_text

__all__ = ["show_about", "show_user_guide", "user_guide_path"]


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def user_guide_path() -> Path | None:
    """docs/user-guide.md of a source checkout (or next to an installed package)."""
    package = Path(incidentlog.__file__).resolve().parent
    for base in (package.parent.parent, package.parent, package):
        candidate = base / "docs" / "user-guide.md"
        if candidate.is_file():
            return candidate
    return None


def show_user_guide(parent: QWidget) -> QDialog | None:
    """The user guide in a window of its own; where to find it when it is not installed."""
    path = user_guide_path()
    if path is None:
        plain_text.information(parent, _tr("User guide"), _tr(
            "The user guide is docs/user-guide.md in incidentlog's source distribution."))
        return None
    dialog = QDialog(parent)
    dialog.setObjectName("userGuide")
    dialog.setWindowTitle(_tr("incidentlog user guide"))
    dialog.setAccessibleName(_tr("User guide"))
    browser = QTextBrowser(dialog)
    browser.setOpenExternalLinks(True)
    browser.setMarkdown(path.read_text(encoding="utf-8"))
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    dialog.resize(820, 700)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def show_about(parent: QWidget, location: str) -> None:
    """The version of incidentlog and of Qt for Python, and where the open log is (escaped:
    the box is rich text, a path is not)."""
    from PySide6 import __version__ as pyside_version

    QMessageBox.about(parent, _tr("About incidentlog"), _tr(
        "<h3>incidentlog {0}</h3>"
        "<p>Log security incidents reported in open sources: incidents, quotes and "
        "sources, offline, fast, safe.</p>"
        "<p>Database: {1}<br>Qt for Python {2}</p>").format(
            incidentlog.__version__, html.escape(location), pyside_version))
