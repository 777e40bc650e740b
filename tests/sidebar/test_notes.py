"""PUT runs/<id>/note: the sidebar edits a run's note (MLflow's mlflow.note.content) in the
store the kernels write; what is stored is what every front end renders."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

NOTE = "mlflow.note.content"


async def test_setting_a_note_stores_it_and_replies_with_the_run(store, api):
    run_id = store["run_ids"][0]
    reply = await api("runs", run_id, "note", method="PUT", body={"note": "# Best\n*so far*"})
    assert reply["run_id"] == run_id and reply["tags"][NOTE] == "# Best\n*so far*"
    assert store["client"].get_run(run_id).data.tags[NOTE] == "# Best\n*so far*"
    assert (await api("runs", run_id))["tags"][NOTE] == "# Best\n*so far*"
    reply = await api("runs", run_id, "note", method="PUT", body={"note": ""})  # cleared
    assert store["client"].get_run(run_id).data.tags[NOTE] == ""


async def test_markup_is_stored_as_text(store, api):
    """Sanitizing is the renderer's job (js/shared/markdown.ts): the store keeps what was typed."""
    run_id = store["run_ids"][1]
    hostile = "<script>alert(1)</script>[x](javascript:alert(1))"
    await api("runs", run_id, "note", method="PUT", body={"note": hostile})
    assert store["client"].get_run(run_id).data.tags[NOTE] == hostile


@pytest.mark.parametrize("body", ["{}", json.dumps({"note": 3}), json.dumps({"note": None}), "[]"])
async def test_a_request_without_a_note_is_a_400(store, jp_fetch, body):
    run_id = store["run_ids"][0]
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("labtrack", "api", "runs", run_id, "note", method="PUT", body=body)
    assert error.value.code == 400
    assert NOTE not in store["client"].get_run(run_id).data.tags


async def test_an_unknown_run_is_a_404(store, jp_fetch):
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch(
            "labtrack", "api", "runs", "0" * 32, "note", method="PUT", body='{"note": "x"}'
        )
    assert error.value.code == 404
