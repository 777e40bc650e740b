"""MLflow 3's logged models on ``labtrack server``: the record's life cycle over HTTP, and
where a logged model's files go."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from labtrack.tracking_server.app import build_app

from .conftest import new_run


def test_a_logged_model_lives_in_its_runs_artifacts(shared_server):
    run = new_run(shared_server)
    run_id, experiment_id = run["info"]["run_id"], run["info"]["experiment_id"]
    created = shared_server.api(
        "POST",
        "logged-models",
        json={
            "experiment_id": experiment_id,
            "name": "model",
            "source_run_id": run_id,
            "tags": [{"key": "flavor", "value": "sklearn"}],
            "params": [{"key": "C", "value": "1"}],
        },
    ).json()["model"]
    info = created["info"]
    model_id = info["model_id"]
    assert info["status"] == "LOGGED_MODEL_PENDING" and info["source_run_id"] == run_id
    assert info["artifact_uri"] == f"{run['info']['artifact_uri']}/model"  # runs:/<id>/model
    assert created["data"] == {"params": [{"key": "C", "value": "1"}]}

    def get() -> dict:
        response = shared_server.api("GET", f"logged-models/{model_id}")
        assert response.status_code == 200, response.text
        return response.json()["model"]["info"]

    tags = {"tags": [{"key": "stage", "value": "dev"}]}
    assert shared_server.api("PATCH", f"logged-models/{model_id}/tags", json=tags).is_success
    assert shared_server.api("DELETE", f"logged-models/{model_id}/tags/flavor").is_success
    assert get()["tags"] == [{"key": "stage", "value": "dev"}]
    missing_tag = shared_server.api("DELETE", f"logged-models/{model_id}/tags/flavor")
    assert missing_tag.status_code == 404

    ready = {"model_id": model_id, "status": "LOGGED_MODEL_READY"}
    assert shared_server.api("PATCH", f"logged-models/{model_id}", json=ready).is_success
    assert get()["status"] == "LOGGED_MODEL_READY"

    def search(filter_string: str) -> list[str]:
        body = {"experiment_ids": [experiment_id], "filter": filter_string}
        models = shared_server.api("POST", "logged-models/search", json=body).json()
        return [m["info"]["model_id"] for m in models.get("models", [])]

    assert search("name = 'model'") == [model_id]
    assert search(f"name = 'model' AND source_run_id = '{run_id}'") == [model_id]
    assert search("name = 'other'") == []
    refused = shared_server.api(
        "POST", "logged-models/search", json={"experiment_ids": ["0"], "filter": "start_time > 1"}
    )
    assert refused.status_code == 400

    assert shared_server.api("DELETE", f"logged-models/{model_id}").is_success
    assert shared_server.api("GET", f"logged-models/{model_id}").status_code == 404
    assert search("name = 'model'") == []


def test_a_logged_model_name_cannot_leave_thenew_run(shared_server):
    run = new_run(shared_server)
    response = shared_server.api(
        "POST",
        "logged-models",
        json={
            "experiment_id": run["info"]["experiment_id"],
            "name": "../../elsewhere",
            "source_run_id": run["info"]["run_id"],
        },
    )
    assert response.status_code == 400


def test_a_logged_models_experiment_is_known_for_permission_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("LABTRACK_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    app = build_app(f"sqlite:///{tmp_path / 'store.db'}", str(tmp_path / "artifacts"))
    with TestClient(app) as http:
        created = http.post(
            "/api/2.0/mlflow/logged-models", json={"experiment_id": "0", "name": "m"}
        ).json()["model"]["info"]
    service = app.state.service
    assert created["artifact_uri"] == f"mlflow-artifacts:/0/models/{created['model_id']}/artifacts"
    assert service.logged_model_experiment(created["model_id"]) == "0"
    assert service.logged_model_experiment("m-" + "0" * 32) is None
    assert service.logged_model_experiment("../../etc/passwd") is None


@pytest.mark.parametrize("status", ["LOGGED_MODEL_READY", 2, "2"])
def test_finalize_takes_the_status_by_name_or_number(shared_server, status):
    run = new_run(shared_server)
    model_id = shared_server.api(
        "POST", "logged-models", json={"experiment_id": run["info"]["experiment_id"]}
    ).json()["model"]["info"]["model_id"]
    done = shared_server.api("PATCH", f"logged-models/{model_id}", json={"status": status})
    assert done.json()["model"]["info"]["status"] == "LOGGED_MODEL_READY"
