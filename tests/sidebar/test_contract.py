"""The server <-> sidebar contract: the JSON the routes send has exactly the shape of
``js/labextension/fixtures/api.json``, the data the front end's unit tests run on. Change one
side and this fails until the other follows (regenerate with LABTRACK_WRITE_FIXTURES=1, then
rerun `npm test`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[2] / "js" / "labextension" / "fixtures" / "api.json"


def _shape(value):
    """Types, recursively: what the front end depends on (the values may differ)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        shapes = {json.dumps(_shape(item), sort_keys=True) for item in value if item is not None}
        return ["list", sorted(shapes)[:1]]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def _loose(shape):
    """Map keys (metric, param, tag and alias names) are data, not contract."""
    if isinstance(shape, dict):
        return {
            key: _loose(item)
            for key, item in shape.items()
            if key not in {"metrics", "params", "tags", "aliases"}
        }
    if isinstance(shape, list):
        return [_loose(item) for item in shape]
    return shape


async def test_the_routes_send_the_shapes_the_front_end_reads(store, api):
    run_id = store["run_ids"][0]
    await api("models", "iris-svm", "aliases", "champion", method="PUT", body={"version": "2"})
    await api(
        "models",
        "iris-svm",
        "versions",
        "2",
        "stage",
        method="POST",
        body={"stage": "Production", "comment": "beats v1"},
    )
    replies = {
        "experiments": await api("experiments"),
        "runs": await api("experiments", store["experiment_id"], "runs"),
        "run": await api("runs", run_id),
        "artifacts": await api("runs", run_id, "artifacts", params={"path": "notes"}),
        "models": await api("models"),
        "model": await api("models", "iris-svm"),
        "version": await api("models", "iris-svm", "versions", "2"),
        "history": await api("models", "iris-svm", "history"),
        "stamp": await api("stamp"),
    }
    if os.environ.get("LABTRACK_WRITE_FIXTURES"):
        FIXTURE.write_text(json.dumps(replies, indent=1, sort_keys=True) + "\n")
    expected = json.loads(FIXTURE.read_text())
    assert _loose(_shape(replies)) == _loose(_shape(expected))
