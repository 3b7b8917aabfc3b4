"""The evidence of a source on its form: files and captures, with hash, size and date.

Files come in by the panel's buttons (Attach…, Paste image, Capture page), by
drag and drop onto the whole form (``install_drop_target``) and File ▸
Attach…. Copying and capturing run on the context's runner, off the GUI
thread; a capture shows its progress and can be cancelled. Opening a file
opens a read-only working copy with the system's viewer: the stored file is
never handed to another program (docs/evidence.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QObject, QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDropEvent, QGuiApplication, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QListWidget,
    QListWidgetItem,
    QProgressDialog,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.evidence import Attachment, OwnerKind
from incidentlog.gui.context import AppContext
from incidentlog.gui.flow_layout import FlowLayout
from incidentlog.gui.plain_text import plain_label, tooltip_html
from incidentlog.gui.widgets.text import name_field
from incidentlog.gui.workers import Task
from incidentlog.services import Changes

#: Images larger than this get no thumbnail (it would be read whole to draw 48 pixels).
THUMBNAIL_LIMIT = 32 * 1024 * 1024
THUMBNAIL = QSize(48, 48)


def describe(attachment: Attachment) -> str:
    """One attachment as the list shows it (plain text)."""
    what = attachment.media_type
    if attachment.role == "capture":  # the WARC, or the screenshot or PDF drawn from it
        what = f"captured page ({attachment.details.get('kind') or 'web archive'})"
    # Three short lines rather than one long one: the form is narrow at 1024 px.
    # (the day only: the tooltip has the time)
    return (f"{attachment.name}\n{_size(attachment.size)} · {what}\n"
            f"{attachment.added_at[:10]} · sha256 {attachment.sha256[:16]}…")


def preserved_text(files: int, captures: int) -> str:
    """What an incident's Sources tab says of a source's evidence (the reviewer's question)."""
    if not files and not captures:
        return "⚠ no preserved copy"
    parts = [f"{files} file{'s' if files != 1 else ''}" if files else "",
             f"{captures} capture{'s' if captures != 1 else ''}" if captures else ""]
    return "✔ preserved: " + ", ".join(filter(None, parts))


def _size(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]  # (a float from here on)
    return ""


class EvidencePanel(QWidget):
    """The attachments of one source, and the ways to add to them."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evidencePanel")
        self._context = context
        self._services = context.services
        self._uid: str | None = None
        self._tasks: list[Task] = []
        #: What a capture may reach (``exchange.capture.CapturePolicy``); None: public
        #: addresses only, the default caps.
        self.capture_policy: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.files = QListWidget(self)
        self.files.setIconSize(THUMBNAIL)
        self.files.setMinimumHeight(190)  # three files with their three lines
        self.files.setWordWrap(True)
        self.files.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.files.itemActivated.connect(self._open_item)
        name_field(self.files, "attachments", self.tr("Evidence files"))
        layout.addWidget(self.files)
        self.status = plain_label("", self)
        self.status.setObjectName("evidenceStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = FlowLayout()  # the buttons wrap on a narrow form (1024×700, 150 %)
        self.attach_button = self._button("attachButton", self.tr("Attach…"), self.choose_files)
        self.paste_button = self._button("pasteImageButton", self.tr("Paste image"),
                                         self.paste_image)
        self.capture_button = self._button("captureButton", self.tr("Capture page"),
                                           self.capture)
        self.archive_button = self._button("archiveButton", self.tr("Ask the Internet Archive…"),
                                           self.ask_archive)
        self.archive_button.setToolTip(self.tr(
            "Ask the Internet Archive to save this page too (you are asked to confirm: the "
            "page's address is sent to a third party)"))
        #: Where Save Page Now is asked (``exchange.archive``); None: its default.
        self.archive_endpoint: str | None = None
        self.open_button = self._button("openCopyButton", self.tr("Open copy"),
                                        self._open_current)
        for button in (self.attach_button, self.paste_button, self.capture_button,
                       self.archive_button, self.open_button):
            row.addWidget(button)
        layout.addLayout(row)
        context.bus.changed.connect(self._on_changes)
        self.set_source(None)

    def _button(self, name: str, text: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    # --- what is shown ------------------------------------------------------------------

    def set_source(self, uid: str | None) -> None:
        self._uid = uid
        self.status.setText("")  # what was said of the previous source
        enabled = uid is not None and not self._context.read_only
        for button in (self.attach_button, self.paste_button, self.capture_button,
                       self.archive_button):
            button.setEnabled(enabled)
        self.refresh()
        if uid is None:
            self.status.setText(self.tr("Save the source first, then attach its evidence."))

    def attachments(self) -> list[Attachment]:
        return [self.files.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.files.count())
                if self.files.item(i).data(Qt.ItemDataRole.UserRole) is not None]

    def refresh(self) -> None:
        self.files.clear()
        found = self._services.evidence.of(OwnerKind.SOURCE, self._uid) if self._uid else []
        for attachment in found:
            item = QListWidgetItem(describe(attachment), self.files)
            item.setData(Qt.ItemDataRole.UserRole, attachment)
            item.setToolTip(tooltip_html(f"{attachment.name}\nsha256 {attachment.sha256}\n"
                                         f"added {attachment.added_at} by "
                                         f"{attachment.added_by}"))
            icon = self._thumbnail(attachment)
            item.setIcon(icon if icon is not None else self.style().standardIcon(
                QStyle.StandardPixmap.SP_FileIcon))
        if not found:
            placeholder = QListWidgetItem(self.tr("No preserved copy yet."), self.files)
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
        self.open_button.setEnabled(bool(found))

    def _thumbnail(self, attachment: Attachment) -> QIcon | None:
        if not attachment.is_image or attachment.size > THUMBNAIL_LIMIT:
            return None
        try:
            with self._services.evidence.open(attachment) as reading:
                image = QImage.fromData(QByteArray(reading.read()))
        except IncidentLogError:
            return None
        if image.isNull():
            return None
        return QIcon(QPixmap.fromImage(image.scaled(
            THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation)))

    def _on_changes(self, changes: Changes) -> None:
        if self._uid is not None and self._uid in changes.sources:
            self.refresh()

    # --- adding -------------------------------------------------------------------------

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, self.tr("Attach files to the source"))
        self.attach_paths([Path(name) for name in names])

    def attach_paths(self, paths: Sequence[Path]) -> Task | None:
        """Copy the files into the evidence store, off the GUI thread."""
        uid = self._uid
        if uid is None or not paths or self._context.read_only:
            return None
        evidence = self._services.evidence

        def work(_progress: Any, _cancelled: Any) -> list[Attachment]:
            return [evidence.attach_file(path, OwnerKind.SOURCE, uid) for path in paths]

        self.status.setText(self.tr("Copying {0} file(s) into the evidence store…").format(
            len(paths)))
        return self._start(work)

    def paste_image(self) -> None:
        image = QGuiApplication.clipboard().image()
        if self._uid is None or image.isNull():
            self.status.setText(self.tr("The clipboard holds no image."))
            return
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # (the stubs want bytes for the format; the binding refuses them at run time)
        image.save(buffer, "PNG")  # type: ignore[call-overload]
        buffer.close()
        name = f"pasted-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.png"
        try:
            self._services.evidence.attach_bytes(bytes(data.data()), name, OwnerKind.SOURCE,
                                                 self._uid)
        except IncidentLogError as exc:
            self.status.setText(exc.message)

    def capture(self) -> Task | None:
        """Fetch the source's page into a WARC, with a screenshot and a PDF of it (drawn
        in a process of their own: ``exchange/page_pictures.py``), with progress and
        cancel."""
        from incidentlog.exchange.capture import capture_source

        uid = self._uid
        if uid is None:
            return None
        services, policy = self._services, self.capture_policy
        dialog = QProgressDialog(self.tr("Capturing the page…"), self.tr("Cancel"), 0, 0, self)
        dialog.setObjectName("captureProgress")
        dialog.setMinimumDuration(300)

        def work(progress: Any, cancelled: Any) -> Any:
            return capture_source(services, uid, policy=policy, render=True,
                                  progress=lambda size: progress(size, 0), cancel=cancelled)

        task = self._start(work)
        dialog.canceled.connect(task.cancel)
        task.finished.connect(dialog.reset)
        return task

    def ask_archive(self) -> Task | None:
        """Save Page Now for this source, once the officer has agreed (each time: the
        page's address goes to a third party, which publishes its copy)."""
        from incidentlog.exchange.archive import archive_source, endpoint
        from incidentlog.gui import plain_text

        uid = self._uid
        if uid is None:
            return None
        where = self.archive_endpoint or endpoint()
        answer = plain_text.question(
            self, self.tr("Ask the Internet Archive"), self.tr(
                "Send this source's address to the Internet Archive ({0}), which will fetch "
                "the page, keep a copy and make it public?\n\nThe archive and whoever reads "
                "its list of saved pages learn that this page was of interest. The address "
                "of the copy goes into the source's Archive URL.").format(where))
        if answer != plain_text.StandardButton.Yes:
            return None
        services, archive = self._services, self.archive_endpoint

        def work(_progress: Any, _cancelled: Any) -> Any:
            return archive_source(services, uid, archive=archive)

        self.status.setText(self.tr("Asking the Internet Archive to save the page…"))
        task = self._start(work)
        task.succeeded.connect(lambda source: self.status.setText(
            self.tr("Saved by the archive: {0}").format(source.archive_url)))
        return task

    def _start(self, work: Any) -> Task:
        task = self._context.runner.start(work)
        self._tasks.append(task)
        task.failed.connect(self._failed)
        # The work's own words, if any, come after (their slots are connected later);
        # a refresh for another reason (a change elsewhere) leaves them on screen.
        task.succeeded.connect(lambda _result: self._finished_work())
        task.finished.connect(lambda: self._tasks.remove(task) if task in self._tasks else None)
        return task

    def _finished_work(self) -> None:
        self.refresh()
        self.status.setText("")

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, IncidentLogError):
            self.status.setText(error.message)
        else:
            self.status.setText(self.tr("The file could not be kept: {0}").format(error))

    # --- opening ------------------------------------------------------------------------

    def _open_current(self) -> None:
        row = max(self.files.currentRow(), 0)
        if row < self.files.count():
            self._open_item(self.files.item(row))

    def _open_item(self, item: QListWidgetItem) -> None:
        attachment = item.data(Qt.ItemDataRole.UserRole)
        if attachment is None:
            return
        try:
            copy = self._services.evidence.working_copy(attachment)
        except IncidentLogError as exc:
            self.status.setText(exc.message)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(copy)))


class _DropTarget(QObject):
    """Files dropped anywhere on a form go to its evidence panel."""

    def __init__(self, panel: EvidencePanel, parent: QObject) -> None:
        super().__init__(parent)
        self._panel = panel

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            drop = event
            assert isinstance(drop, QDropEvent)
            if _local_files(drop) and self._panel.attach_button.isEnabled():
                drop.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            drop = event
            assert isinstance(drop, QDropEvent)
            paths = _local_files(drop)
            if paths and self._panel.attach_button.isEnabled():
                drop.acceptProposedAction()
                self._panel.attach_paths(paths)
                return True
        return False


def _local_files(event: QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def install_drop_target(form: QWidget, panel: EvidencePanel) -> None:
    """Let files be dropped on the whole ``form`` (its scroll area included)."""
    target = _DropTarget(panel, form)
    for widget in (form, *form.findChildren(QWidget)):
        widget.setAcceptDrops(True)
        widget.installEventFilter(target)
