"""Export ▸ Export as ▸ Evidence package… in the window: scope, progress, cancel, and a
package that ``sha256sum -c`` verifies."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QPushButton
from sample_data import DialogRecorder, build_window, make_database

from incidentlog.domain.errors import Cancelled
from incidentlog.domain.evidence import OwnerKind
from incidentlog.gui.exchange_dialogs import ExportDialog
from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.workers import ManualRunner, TaskRunner

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _window(qtbot, db_path: Path, runner: TaskRunner) -> tuple[MainWindow, str]:  # type: ignore[no-untyped-def]
    sample = make_database(db_path)
    assert sample is not None
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)], runner=runner)  # type: ignore[assignment]
    uid = sample.sources["centcom"]
    window.context.services.evidence.attach_bytes(PDF, "statement.pdf", OwnerKind.SOURCE, uid)
    return window, uid


def _open_dialog(qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                 out: Path) -> ExportDialog:
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *_a, **_k: (str(out), "")))
    menu = window.findChild(type(window.menuBar().actions()[0].menu()), "menuExportAs")
    assert window.actionExportPackage in menu.actions()
    window.actionExportPackage.trigger()
    dialog = window.findChild(ExportDialog)
    assert isinstance(dialog, ExportDialog)
    qtbot.addWidget(dialog)
    assert dialog.format == "package" and not dialog.template_edit.isVisibleTo(dialog)
    dialog.browse_button.click()
    return dialog


def test_the_evidence_package_is_written_from_the_menu_and_verifies(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        ) -> None:
    dialogs = DialogRecorder().install(monkeypatch)
    window, uid = _window(qtbot, db_path, TaskRunner())
    dialog = _open_dialog(qtbot, window, monkeypatch, tmp_path / "evidence")
    with qtbot.waitSignal(dialog.exportFinished, timeout=60_000) as finished:
        dialog.export_button.click()
    assert not isinstance(finished.args[0], BaseException), finished.args[0]
    package = tmp_path / "evidence.zip"  # the suffix is added
    sha = hashlib.sha256(PDF).hexdigest()
    with zipfile.ZipFile(package) as opened:
        assert f"files/sha256/{sha}" in opened.namelist()
        opened.extractall(tmp_path / "unpacked")
    if shutil.which("sha256sum"):
        checked = subprocess.run(["sha256sum", "-c", "MANIFEST-sha256.txt"],
                                 cwd=tmp_path / "unpacked", capture_output=True, text=True,
                                 check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"files/sha256/{sha}: OK" in checked.stdout
    summary = dialogs.of("information")[-1][2]
    assert "Wrote the evidence package" in summary and "1 files" in summary
    evidence = window.context.services.evidence
    attachment = evidence.of(OwnerKind.SOURCE, uid)[0]
    trail = evidence.custody(attachment.uid)
    assert [e.action for e in trail] == ["attach", "export"]
    assert trail[-1].changes["package"] == "evidence.zip"


def test_a_cancelled_evidence_package_leaves_no_file(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        ) -> None:
    DialogRecorder().install(monkeypatch)
    runner = ManualRunner()
    window, _uid = _window(qtbot, db_path, runner)
    dialog = _open_dialog(qtbot, window, monkeypatch, tmp_path / "evidence.zip")
    dialog.export_button.click()
    progress = dialog.findChild(QProgressDialog, "progressDialog")
    assert progress is not None
    cancel = progress.findChild(QPushButton)
    assert cancel is not None
    cancel.click()
    with qtbot.waitSignal(dialog.exportFinished) as finished:
        runner.run_pending()
    assert isinstance(finished.args[0], Cancelled)
    assert list(tmp_path.glob("evidence*")) == []
