"""Logged models and datasets through ``labtrack server``: the real MLflow 3 logs a model,
its metrics and its datasets with its own API and reads them back (``search_logged_models``,
``run.inputs``); labtrack reads the same store directly and over HTTP, and logs its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import labtrack as lt

from ..mlflow_env import mlflow_python  # noqa: F401  (the session fixture)
from ..tracking_server.conftest import run_mlflow, start_server, stop_server

pytestmark = pytest.mark.slow  # MLflow imports slowly; a model round trip takes seconds


@pytest.fixture
def server(tmp_path):
    running = start_server(tmp_path)
    yield running
    stop_server(running)


SCENARIO = """
import json
import mlflow
import pandas as pd
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
out = {}
mlflow.set_experiment("logged-models")
train = mlflow.data.from_pandas(pd.DataFrame(X[:100]), name="iris-train")
evaluation = mlflow.data.from_pandas(pd.DataFrame(X[100:]), name="iris-eval")
with mlflow.start_run() as run:
    mlflow.log_input(train, context="training")
    model = LogisticRegression(max_iter=500).fit(X, y)
    info = mlflow.sklearn.log_model(model, name="clf", params={"C": "1.0"})
    mlflow.log_metric("acc", 0.93, step=1, model_id=info.model_id, dataset=evaluation)
    other = mlflow.sklearn.log_model(model, name="other")
    mlflow.log_metric("acc", 0.2, model_id=other.model_id)
out["run_id"] = run.info.run_id
out["model_id"] = info.model_id
out["model_uri"] = info.model_uri
out["eval_digest"] = evaluation.digest
found = mlflow.search_logged_models(
    filter_string="metrics.acc > 0.5 AND params.C = '1.0'", output_format="list"
)
out["found"] = [m.model_id for m in found]
out["status"] = str(found[0].status)
out["metrics"] = [[m.key, m.value, m.dataset_name, m.dataset_digest] for m in found[0].metrics]
out["frame_names"] = sorted(mlflow.search_logged_models()["name"])
out["inputs"] = [
    [i.dataset.name, {t.key: t.value for t in i.tags}]
    for i in MlflowClient().get_run(run.info.run_id).inputs.dataset_inputs
]
out["history"] = [m.value for m in MlflowClient().get_metric_history(run.info.run_id, "acc")]
out["predictions"] = mlflow.pyfunc.load_model(info.model_uri).predict(X[:5]).tolist()
out["expected"] = model.predict(X[:5]).tolist()
print(json.dumps(out))
"""


def test_mlflow_3_logs_models_and_datasets_that_both_read_back(server, mlflow_python, tmp_path):  # noqa: F811
    out = run_mlflow(mlflow_python, server, SCENARIO, tmp_path / "mlflow-cwd")
    model_id = out["model_id"]
    # MLflow's own reads, over HTTP
    assert out["model_uri"] == f"models:/{model_id}"
    assert out["found"] == [model_id] and out["status"] == "READY"
    assert ["acc", 0.93, "iris-eval", out["eval_digest"]] in out["metrics"]
    assert out["frame_names"] == ["clf", "other"]
    # a metric's dataset becomes an input of the run too, as MLflow logs it
    assert out["inputs"] == [["iris-train", {"mlflow.data.context": "training"}], ["iris-eval", {}]]
    assert sorted(out["history"]) == [0.2, 0.93]  # each point once in the run's history
    assert out["predictions"] == out["expected"]

    # labtrack, reading the same store directly
    client = lt.Client(server.store_uri)
    model = client.get_logged_model(model_id)
    assert (model.name, model.params, model.source_run_id) == ("clf", {"C": "1.0"}, out["run_id"])
    run = client.get_run(out["run_id"])
    assert [i.dataset.name for i in run.inputs.dataset_inputs] == ["iris-train", "iris-eval"]
    experiment_id = run.info.experiment_id
    found = client.search_logged_models([experiment_id], "metrics.acc < 0.5")
    assert [m.name for m in found] == ["other"]

    # labtrack over HTTP finds MLflow's model's files by its id (loading a model MLflow
    # pickled its own way is the flavors' business)
    from labtrack.models.model_uri import resolve

    lt.set_tracking_uri(server.url)
    assert (resolve(f"models:/{model_id}").folder / "MLmodel").is_file()


def test_labtrack_logs_models_and_datasets_over_http(server, tmp_path):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    lt.set_tracking_uri(server.url)
    lt.set_experiment("over-http")
    dataset = lt.data.from_numpy(X, targets=y, name="iris")
    with lt.start_run() as run:
        lt.log_input(dataset, context="eval")
        info = lt.log_model(
            LogisticRegression(max_iter=500).fit(X, y), name="clf", params={"C": 1}, tags={"t": "x"}
        )
        lt.log_metric("acc", 0.9, step=2, model_id=info.model_id, dataset=dataset)
        lt.log_metrics({"f1": 0.8}, model_id=info.model_id)
    model = lt.get_logged_model(info.model_id)
    assert (model.status, model.params, model.tags) == ("READY", {"C": "1"}, {"t": "x"})
    assert {(m.key, m.dataset_name) for m in model.metrics} == {("acc", "iris"), ("f1", None)}
    assert [m.value for m in lt.Client().get_metric_history(run.info.run_id, "acc")] == [0.9]
    found = lt.search_logged_models(
        filter_string="metrics.acc >= 0.9 AND tags.t = 'x'", output_format="list"
    )
    assert [m.model_id for m in found] == [info.model_id]
    inputs = lt.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest) for i in inputs] == [("iris", dataset.digest)]
    np.testing.assert_array_equal(
        lt.load_model(info.model_uri).predict(X[:3]),
        lt.load_model(f"runs:/{run.info.run_id}/clf").predict(X[:3]),
    )
    assert isinstance(lt.search_logged_models(), pd.DataFrame)


def test_models_an_older_server_kept_as_files_move_into_the_store(tmp_path, monkeypatch):
    import json
    import secrets

    from starlette.testclient import TestClient

    from labtrack.tracking_server.app import build_app

    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv("LABTRACK_ARTIFACTS_URI", str(artifacts))  # build_app sets it too
    store_uri = f"sqlite:///{tmp_path / 'store.db'}"
    run = lt.Client(store_uri).create_run("0")
    kept, deleted = (f"m-{secrets.token_hex(16)}" for _ in range(2))
    records = artifacts / "logged-models"
    records.mkdir(parents=True)
    for model_id, extra in ((kept, {}), (deleted, {"deleted": True})):
        record = {
            "experiment_id": "0",
            "name": "model",
            "model_type": None,
            "source_run_id": run.info.run_id,
            "tags": {"flavor": "sklearn"},
            "params": {"C": "1"},
            "model_id": model_id,
            "artifact_location": f"{run.info.artifact_uri}/model",
            "creation_timestamp_ms": 1,
            "last_updated_timestamp_ms": 1,
            "status": "LOGGED_MODEL_READY",
            **extra,
        }
        (records / f"{model_id}.json").write_text(json.dumps(record))
    (records / "notes.txt").write_text("not a record")

    for _ in range(2):  # a second start imports nothing twice
        app = build_app(store_uri, str(artifacts))
        with TestClient(app) as http:
            got = http.get(f"/api/2.0/mlflow/logged-models/{kept}")
            assert got.status_code == 200, got.text
            info = got.json()["model"]["info"]
            assert (info["name"], info["status"]) == ("model", "LOGGED_MODEL_READY")
            assert info["source_run_id"] == run.info.run_id
            assert http.get(f"/api/2.0/mlflow/logged-models/{deleted}").status_code == 404
        app.state.service.client.close()
    model = lt.Client(store_uri).get_logged_model(kept)
    assert (model.params, model.tags) == ({"C": "1"}, {"flavor": "sklearn"})
    assert model.artifact_location == f"{run.info.artifact_uri}/model"
    found = lt.Client(store_uri).search_logged_models(["0"])
    assert [m.model_id for m in found] == [kept]
