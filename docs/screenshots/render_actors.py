"""Edit ▸ Actors…: the actors' vocabulary dialog (docs/entering-incidents.md).

Called by render.py on its window (the demo data set): the dialog opened on the
Islamic Resistance in Iraq, as from the context menu of an actor's name. Nothing
is changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def actors_shots(app: Any, window: Any, out: Path, suffix: str, settle: Any,
                 composite: Any, centre: Any) -> list[Path]:
    from incidentlog.gui.workflows.actors import actors_flow

    dialog = actors_flow(window).show_actors("IRI")
    assert dialog is not None
    geometry = window.frameGeometry()
    dialog.resize(min(820, geometry.width() - 60), min(520, geometry.height() - 60))
    centre(window, dialog)
    settle(app)
    path = composite(window, [dialog], out / f"actors-dialog{suffix}.png")
    dialog.close()
    settle(app)
    return [path]
