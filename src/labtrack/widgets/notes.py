"""Run notes: MLflow's run description, the tag ``mlflow.note.content`` (Markdown), read and
written from the widgets in the browser over the widget's own channel (custom messages).

The front end asks ``{"type": "get_note", "run_id"}`` and sends ``{"type": "set_note",
"run_id", "note"}``; the kernel answers both with ``{"type": "note", "run_id", "note"}`` as
stored, or ``{"type": "note_error", "run_id", "message"}``. Only the runs the widget shows
may be read or written: a message cannot reach any other run in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from labtrack.errors import InvalidParameter, LabtrackError

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient

NOTE_TAG = "mlflow.note.content"  # MLflow's: its UI shows the same text as the description


def note_of(run) -> str:
    """A run's note ("" when it has none)."""
    return run.data.tags.get(NOTE_TAG, "")


def set_note(client: TrackingClient, run_id: str, note: str) -> None:
    """Write ``note`` as the run's description (an empty one clears it to "")."""
    if not isinstance(note, str):
        raise InvalidParameter(f"a note is text, got {type(note).__name__}")
    client.set_tag(run_id, NOTE_TAG, note)


def accept_note_edits(
    widget,
    client: TrackingClient,
    runs: Callable[[], Iterable[str]],
    on_saved: Callable[[str, str], None] | None = None,
) -> None:
    """Answer the front end's note messages on ``widget`` for the runs ``runs()`` lists;
    ``on_saved(run_id, note)`` runs after a note is written (to refresh the widget's state)."""

    def reply(run_id: str, **content) -> None:
        widget.send({"run_id": run_id, **content})

    def handle(_widget, content, _buffers) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind not in ("get_note", "set_note"):
            return  # another feature's message
        run_id = content.get("run_id")
        if not isinstance(run_id, str) or run_id not in set(runs()):
            reply(str(run_id), type="note_error", message=f"run {run_id!r} is not shown here")
            return
        try:
            if kind == "set_note":
                set_note(client, run_id, content.get("note"))
            note = note_of(client.get_run(run_id))
        except LabtrackError as error:  # shown beside the editor; the kernel carries on
            reply(run_id, type="note_error", message=str(error))
            return
        if kind == "set_note" and on_saved is not None:
            on_saved(run_id, note)
        reply(run_id, type="note", note=note)

    widget.on_msg(handle)
