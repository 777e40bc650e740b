"""A model version's ``model_id`` (MLflow 3's ``ModelVersion.model_id``): the logged model it
registers, written by ``register_model`` and ``create_model_version`` and read back, on the
SQL store directly and through ``labtrack server``; and by the real MLflow against the server.
"""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound

from ..mlflow_env import mlflow_python  # noqa: F401  (the session fixture)
from ..tracking_server.conftest import run_mlflow, start_server, stop_server

UNKNOWN_MODEL = "m-" + "0" * 32


@pytest.fixture(params=["sql", "server"])
def store(request, tracking_uri, tmp_path):
    """The tracking URI labtrack's client uses: the SQL store, or a ``labtrack server``."""
    if request.param == "sql":
        yield tracking_uri
        return
    server = start_server(tmp_path)
    lt.set_tracking_uri(server.url)
    yield server.url
    stop_server(server)


@pytest.fixture
def logged(store):
    """A run with a logged model named 'model' (and files at the run's 'model' path)."""
    client = lt.Client()
    experiment_id = lt.set_experiment("versions-of-logged-models").experiment_id
    run = client.create_run(experiment_id)
    model = client.create_logged_model(experiment_id, name="model", source_run_id=run.info.run_id)
    client.finalize_logged_model(model.model_id, "READY")
    return run.info.run_id, model.model_id


def test_registering_a_logged_model_records_its_id_and_run(logged):
    run_id, model_id = logged
    version = lt.register_model(f"models:/{model_id}", "clf")
    assert (version.model_id, version.run_id) == (model_id, run_id)
    client = lt.Client()
    again = client.get_model_version("clf", version.version)
    assert (again.model_id, again.run_id) == (model_id, run_id)
    assert dict(again)["model_id"] == model_id
    found = client.search_model_versions(f"run_id = '{run_id}'")
    assert [v.model_id for v in found] == [model_id]
    assert client.get_registered_model("clf").latest_versions[0].model_id == model_id


def test_a_runs_uri_of_a_logged_model_records_its_id(logged):
    run_id, model_id = logged
    version = lt.register_model(f"runs:/{run_id}/model", "clf")
    assert (version.model_id, version.run_id) == (model_id, run_id)
    # a path of the run that is no logged model of it: a version without one
    other = lt.register_model(f"runs:/{run_id}/model/sub", "clf")
    assert other.model_id is None and other.run_id == run_id


def test_create_model_version_takes_a_model_id_and_finds_its_run(logged):
    run_id, model_id = logged
    client = lt.Client()
    client.create_registered_model("clf")
    version = client.create_model_version("clf", f"runs:/{run_id}/model", model_id=model_id)
    assert (version.model_id, version.run_id) == (model_id, run_id)
    plain = client.create_model_version("clf", f"runs:/{run_id}/model", run_id=run_id)
    assert plain.model_id is None


def test_an_unknown_or_malformed_model_id_is_refused(logged):
    client = lt.Client()
    client.create_registered_model("clf")
    with pytest.raises(NotFound, match=UNKNOWN_MODEL):
        lt.register_model(f"models:/{UNKNOWN_MODEL}", "clf")
    with pytest.raises(NotFound, match=UNKNOWN_MODEL):
        client.create_model_version("clf", "s3://bucket/model", model_id=UNKNOWN_MODEL)
    with pytest.raises(InvalidParameter, match="m-<32 hex"):
        client.create_model_version("clf", "s3://bucket/model", model_id="model-1")
    assert client.search_model_versions("name = 'clf'") == []


def test_log_model_with_registered_model_name_records_the_model_id(tracking_uri):
    from sklearn.linear_model import LogisticRegression

    with lt.start_run():
        info = lt.sklearn.log_model(
            LogisticRegression().fit([[0.0], [1.0]], [0, 1]),
            name="clf",
            registered_model_name="iris",
        )
    version = lt.Client().get_model_version("iris", info.registered_model_version)
    assert (version.model_id, version.run_id) == (info.model_id, info.run_id)


# MLflow 3.17's ModelVersion.from_proto drops the message's model_id (its own server does not
# store one), so its client's entity reads None; the script reads the field from the message
# the server sends, parsed as MLflow's own GetModelVersion response.
MLFLOW_REGISTERS = """
import json
import mlflow
from mlflow import MlflowClient
from mlflow.protos.model_registry_pb2 import GetModelVersion
from mlflow.utils.proto_json_utils import parse_dict
import requests
from sklearn.linear_model import LogisticRegression

with mlflow.start_run() as run:
    info = mlflow.sklearn.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="clf")
version = mlflow.register_model(info.model_uri, "from-mlflow")
read = MlflowClient().get_model_version("from-mlflow", version.version)
response = requests.get(
    mlflow.get_tracking_uri() + "/api/2.0/mlflow/model-versions/get",
    params={"name": "from-mlflow", "version": version.version},
    timeout=30,
)
message = GetModelVersion.Response()
parse_dict(response.json(), message)
print(json.dumps({
    "model_id": info.model_id,
    "run_id": run.info.run_id,
    "read_run_id": read.run_id,
    "message": [message.model_version.model_id, message.model_version.run_id],
}))
"""


@pytest.mark.slow  # MLflow imports slowly
def test_mlflow_registers_a_logged_model_and_reads_its_id(mlflow_python, tmp_path):  # noqa: F811
    server = start_server(tmp_path)
    try:
        out = run_mlflow(mlflow_python, server, MLFLOW_REGISTERS, tmp_path / "mlflow-cwd")
        expected = [out["model_id"], out["run_id"]]
        assert out["read_run_id"] == out["run_id"]
        assert out["message"] == expected
        version = lt.Client(server.store_uri).get_model_version("from-mlflow", 1)
        assert [version.model_id, version.run_id] == expected
    finally:
        stop_server(server)
