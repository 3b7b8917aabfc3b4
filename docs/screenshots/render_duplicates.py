"""The duplicate panel of the incident form and the merge dialog (docs/user-guide.md).

Called by render.py on its window (the demo data set): an incident typed again
shows "Possibly the same as …"; the merge dialog then compares it with the
stored one. Nothing is merged: the dialog is cancelled and the typed incident
is left unsaved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TYPED = "Rockets and drones hit Ain al-Asad airbase"


def duplicate_shots(app: Any, window: Any, out: Path, suffix: str, settle: Any,
                    composite: Any, centre: Any) -> list[Path]:
    from incidentlog.domain.records import RecordMeta
    from incidentlog.gui.merge_dialog import MergeDialog

    workspace, context = window.workspace, window.context
    workspace.setCurrentIndex(0)
    form = workspace.incident_form
    form.new_incident()
    form.occurred.edit.setText("2024-01-20 18:40")
    form.tz.set_zone("Asia/Baghdad")
    form.country.setEditText("IQ")
    form.place.setText("Ain al-Asad")
    form.title.setText(TYPED)
    form.summary.setPlainText("Several rockets and drones struck the airbase in the evening; "
                              "the base's air defences intercepted most of them.")
    panel = form.duplicates
    panel.probe(form._collect()[0])
    panel._look()  # the window's runner answers at once (ImmediateRunner)
    settle(app)
    written = []
    path = out / f"duplicate-panel{suffix}.png"
    window.grab().save(str(path))
    written.append(path)
    if panel.candidates:
        stored = context.services.incidents.get(panel.candidates[0].uid)
        typed = form._collect()[0]
        typed = type(typed)(**{**{f: getattr(typed, f) for f in typed.__dataclass_fields__},
                               "meta": RecordMeta(), "ref": "(new)"})
        dialog = MergeDialog(stored, typed, window)
        geometry = window.frameGeometry()
        dialog.resize(min(900, geometry.width() - 40), min(620, geometry.height() - 40))
        dialog.choose_other("injured") if "injured" in dialog._groups else None
        dialog.show()
        centre(window, dialog)
        settle(app)
        written.append(composite(window, [dialog], out / f"merge-dialog{suffix}.png"))
        dialog.reject()
    form.revert()
    settle(app)
    return written
