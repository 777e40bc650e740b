"""The route that edits a run's note: MLflow's run description, the tag
``mlflow.note.content`` (Markdown, rendered sanitized by the front ends)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from labtrack.sidebar import payloads
from labtrack.sidebar.base import StoreHandler

NOTE_TAG = "mlflow.note.content"  # MLflow's: its UI shows the same text as the description


class NoteHandler(StoreHandler):
    """``PUT runs/<run_id>/note`` with ``{"note": "..."}`` sets the run's note ("" clears it)
    and replies with the run's details as they now are (as ``GET runs/<run_id>``)."""

    @web.authenticated
    @authorized
    async def put(self, run_id: str):
        note = self.json_body().get("note")
        if not isinstance(note, str):
            raise web.HTTPError(400, "'note' is required (str; \"\" clears the note)")

        def write(client):
            client.set_tag(run_id, NOTE_TAG, note)
            return client.get_run(run_id), client.list_artifacts(run_id)

        found, artifacts = await self.call(write)
        self.reply(payloads.run_detail(found, artifacts))
