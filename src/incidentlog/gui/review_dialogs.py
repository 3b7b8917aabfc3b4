"""The verdict and comment dialogs and an incident's discussion panel (docs/review.md).

Everything a person typed is shown as plain text: labels by ``plain_label``,
the discussion in a tree whose items never interpret markup.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.enums import CONFIDENCE_MEANING, RELIABILITY_MEANING, Reliability, Status
from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.review import Comment, Verdict
from incidentlog.gui.errors import show_error
from incidentlog.gui.plain_text import plain_label
from incidentlog.services import Services

__all__ = ["CommentDialog", "DiscussionPanel", "VerdictDialog"]


class VerdictDialog(QDialog):
    """Verify, dispute or re-open one incident: a short reason and the grades, one step."""

    def __init__(self, status: Status, incident_label: str, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("verdictDialog")
        self.status = status
        titles = {Status.VERIFIED: self.tr("Verify {0}"), Status.DISPUTED: self.tr("Dispute {0}"),
                  Status.DRAFT: self.tr("Back to draft: {0}")}
        self.setWindowTitle(titles[status].format(incident_label))
        self.reason = QLineEdit(self)
        self.reason.setObjectName("reason")
        self.reason.setAccessibleName(self.tr("Reason"))
        self.reason.setMaxLength(2000)
        self.reason.setPlaceholderText(
            self.tr("Why it is disputed (required)") if status is Status.DISPUTED
            else self.tr("Why (optional)"))
        self.reliability = QComboBox(self)
        self.reliability.setObjectName("reliability")
        self.reliability.setAccessibleName(self.tr("Source reliability"))
        self.reliability.addItem(self.tr("not graded"), None)
        for grade in Reliability:
            self.reliability.addItem(f"{grade.value} – {RELIABILITY_MEANING[grade.value]}", grade)
        self.credibility = QComboBox(self)
        self.credibility.setObjectName("credibility")
        self.credibility.setAccessibleName(self.tr("Information credibility"))
        self.credibility.addItem(self.tr("not graded"), None)
        for number, meaning in CONFIDENCE_MEANING.items():
            self.credibility.addItem(f"{number} – {meaning}", number)
        form = QFormLayout()
        form.addRow(self.tr("&Reason:"), self.reason)
        if status is not Status.DRAFT:
            form.addRow(self.tr("Source re&liability:"), self.reliability)
            form.addRow(self.tr("Information &credibility:"), self.credibility)
        else:
            self.reliability.hide()
            self.credibility.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._update_ok)
        self._update_ok()

    def _update_ok(self) -> None:
        needed = self.status is Status.DISPUTED and not self.reason.text().strip()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not needed)
        ok.setToolTip(self.tr("Say why it is disputed") if needed else "")

    def grades(self) -> tuple[Reliability | None, int | None]:
        return self.reliability.currentData(), self.credibility.currentData()


class CommentDialog(QDialog):
    """A comment (or a reply): its text and, optionally, the field it is about."""

    def __init__(self, title: str, about: str | None = None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("commentDialog")
        self.setWindowTitle(title)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("commentText")
        self.text.setAccessibleName(self.tr("Comment"))
        self.text.setTabChangesFocus(True)
        self.about = QLineEdit(about or "", self)
        self.about.setObjectName("about")
        self.about.setAccessibleName(self.tr("About the field"))
        self.about.setMaxLength(40)
        self.about.setPlaceholderText(self.tr("e.g. the date, the casualties (optional)"))
        form = QFormLayout()
        form.addRow(self.tr("&Comment:"), self.text)
        form.addRow(self.tr("&About:"), self.about)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setToolTip(self.tr("Ctrl+Return"))
        self.text.installEventFilter(self)  # Ctrl+Return in the text: OK
        self.text.textChanged.connect(
            lambda: self.ok.setEnabled(bool(self.text.toPlainText().strip())))
        self.ok.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.text and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            if self.text.toPlainText().strip():
                self.accept()
            return True
        return super().eventFilter(watched, event)


def ask_verdict(parent: QWidget, services: Services, uid: str, status: Status
                ) -> Verdict | None:
    """Ask for the reason and grades, then give the verdict; None when cancelled or refused."""
    incident = services.incidents.get(uid)
    dialog = VerdictDialog(status, incident.label, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    reliability, credibility = dialog.grades()
    try:
        return services.review.decide(
            uid, status, dialog.reason.text(), reliability=reliability, confidence=credibility,
            expected_version=incident.meta.version,
        ).record
    except IncidentLogError as exc:
        show_error(parent, exc)
        return None


def ask_comment(parent: QWidget, services: Services, *, incident_uid: str | None = None,
                source_uid: str | None = None, reply_to: Comment | None = None
                ) -> Comment | None:
    """Ask for a comment (or a reply) and write it; None when cancelled or refused."""
    title = parent.tr("Reply") if reply_to is not None else parent.tr("Comment")
    dialog = CommentDialog(title, reply_to.about if reply_to else None, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    try:
        if reply_to is not None:
            return services.review.reply(reply_to.meta.uid or "",
                                         dialog.text.toPlainText()).record
        return services.review.comment(dialog.text.toPlainText(), incident_uid=incident_uid,
                                       source_uid=source_uid,
                                       about=dialog.about.text() or None).record
    except IncidentLogError as exc:
        show_error(parent, exc)
        return None


class DiscussionPanel(QWidget):
    """The comments on one incident or one source, replies under what they answer; reply
    and resolve. An incident's verdicts are listed above its comments."""

    changed = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("discussionPanel")
        self.services = services
        self.incident_uid: str | None = None
        self.source_uid: str | None = None
        self.heading = plain_label("", self)
        self.heading.setObjectName("discussionHeading")
        self.verdicts = plain_label("", self)
        self.verdicts.setObjectName("verdictHistory")
        self.verdicts.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("discussion")
        self.tree.setAccessibleName(self.tr("Discussion"))
        self.tree.setHeaderLabels([self.tr("Comment"), self.tr("By"), self.tr("State")])
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.comment_button = QPushButton(self.tr("&Comment…"), self)
        self.reply_button = QPushButton(self.tr("&Reply…"), self)
        self.resolve_button = QPushButton(self.tr("Re&solve"), self)
        for button, name in ((self.comment_button, "commentButton"),
                             (self.reply_button, "replyButton"),
                             (self.resolve_button, "resolveButton")):
            button.setObjectName(name)
        self.comment_button.clicked.connect(self.add_comment)
        self.reply_button.clicked.connect(self.reply)
        self.resolve_button.clicked.connect(self.toggle_resolved)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        buttons = QHBoxLayout()
        for button in (self.comment_button, self.reply_button, self.resolve_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.verdicts)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.writable = not services.read_only
        self.show_incident(None)

    def show_incident(self, uid: str | None) -> None:
        self.incident_uid, self.source_uid = uid, None
        self.tree.clear()
        self.verdicts.setVisible(True)
        if uid is None:
            self.heading.setText(self.tr("No incident chosen"))
            self.verdicts.clear()
            self._update_buttons()
            return
        incident = self.services.incidents.get(uid)
        self.heading.setText(f"{incident.label} — {incident.title or ''}")
        history = self.services.review.verdicts(uid)
        self.verdicts.setText("\n".join(
            f"{v.meta.created_at or ''}  {v.sentence()}" for v in history)
            or self.tr("No verdict yet."))
        self._fill(self.services.review.comments(incident_uid=uid))

    def show_source(self, uid: str) -> None:
        """The comments on a source (verdicts are given on incidents)."""
        self.incident_uid, self.source_uid = None, uid
        self.tree.clear()
        self.verdicts.clear()
        self.verdicts.setVisible(False)
        self.heading.setText(self.tr("Source: {0}").format(self.services.sources.get(uid).label))
        self._fill(self.services.review.comments(source_uid=uid))

    def _fill(self, comments: list[Comment]) -> None:
        items: dict[str, QTreeWidgetItem] = {}
        for comment in comments:
            state = self.tr("resolved") if comment.resolved else self.tr("open")
            when = (comment.meta.created_at or "").replace("T", " ").removesuffix("Z")[:16]
            text = comment.text or ""
            shown = f"[{comment.about}] {text}" if comment.about else text
            item = QTreeWidgetItem([shown, comment.author, state])
            item.setData(0, Qt.ItemDataRole.UserRole, comment)
            item.setToolTip(0, text)
            item.setToolTip(1, when)
            parent = items.get(comment.reply_to or "")
            if parent is not None:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            items[comment.meta.uid or ""] = item
        self.tree.expandAll()
        self._update_buttons()

    def current_comment(self) -> Comment | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        comment: Comment = item.data(0, Qt.ItemDataRole.UserRole)
        return comment

    def _update_buttons(self) -> None:
        chosen = self.current_comment() is not None
        self.comment_button.setEnabled(self.writable and (self.incident_uid or self.source_uid)
                                       is not None)
        self.reply_button.setEnabled(self.writable and chosen)
        self.resolve_button.setEnabled(self.writable and chosen)
        comment = self.current_comment()
        self.resolve_button.setText(self.tr("Re&open") if comment and comment.resolved
                                    else self.tr("Re&solve"))

    def add_comment(self) -> None:
        if (self.incident_uid or self.source_uid) and ask_comment(
                self, self.services, incident_uid=self.incident_uid, source_uid=self.source_uid):
            self._refresh()

    def reply(self) -> None:
        comment = self.current_comment()
        if comment is not None and ask_comment(self, self.services, reply_to=comment):
            self._refresh()

    def toggle_resolved(self) -> None:
        comment = self.current_comment()
        if comment is None:
            return
        try:
            self.services.review.resolve(comment.meta.uid or "", not comment.resolved,
                                         comment.meta.version)
        except IncidentLogError as exc:
            show_error(self, exc)
        self._refresh()

    def _refresh(self) -> None:
        if self.source_uid is not None:
            self.show_source(self.source_uid)
        else:
            self.show_incident(self.incident_uid)
        self.changed.emit()
