"""MLflow's own client against ``labtrack server``: it logs runs, uploads artifacts, logs and
registers a model and loads it back by alias; then labtrack, reading the same store directly,
finds all of it."""

from __future__ import annotations

import pytest

import labtrack as lt

from .conftest import run_mlflow

pytestmark = pytest.mark.slow  # MLflow imports slowly; a model round trip takes tens of seconds

SCENARIO = """
import json, os
import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

client = MlflowClient()
out = {}
out["experiment_id"] = mlflow.create_experiment("mlflow-client", tags={"team": "vision"})
mlflow.set_experiment("mlflow-client")
X, y = load_iris(return_X_y=True)

with mlflow.start_run(run_name="first") as run:
    mlflow.log_params({"C": 1.0, "kernel": "rbf"})
    for step in range(20):
        mlflow.log_metric("loss", 1 / (step + 1), step=step)
    mlflow.log_metrics({f"m{i}": float(i) for i in range(1200)})  # two log-batch requests
    mlflow.set_tag("team", "vision")
    mlflow.set_tag("scratch", "x")
    client.delete_tag(run.info.run_id, "scratch")
    with open("notes.txt", "w") as f:
        f.write("hello labtrack")
    mlflow.log_artifact("notes.txt", artifact_path="docs")
    model = LogisticRegression(max_iter=500).fit(X, y)
    mlflow.sklearn.log_model(model, name="model")
first = run.info.run_id

with mlflow.start_run(run_name="second") as run:
    mlflow.log_param("C", 0.1)
    mlflow.log_metric("loss", 5.0)
second = run.info.run_id

with mlflow.start_run(run_name="third") as run:
    mlflow.log_param("C", 0.5)
third = run.info.run_id
client.delete_run(third)

out["runs"] = {"first": first, "second": second, "third": third}
out["artifact_uri"] = client.get_run(first).info.artifact_uri
out["small_loss"] = [
    r.info.run_name for r in client.search_runs([out["experiment_id"]], "metrics.loss < 1")
]
out["by_loss_desc"] = [
    r.info.run_name
    for r in client.search_runs(
        [out["experiment_id"]], "params.C != '0.5'", order_by=["metrics.loss DESC"]
    )
]
out["all_names"] = sorted(r.info.run_name for r in client.search_runs([out["experiment_id"]]))
out["history"] = [(m.step, m.value) for m in client.get_metric_history(first, "loss")]
out["metric_count"] = len(client.get_run(first).data.metrics)
out["docs"] = [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(first, "docs")]
local = mlflow.artifacts.download_artifacts(run_id=first, artifact_path="docs/notes.txt")
out["downloaded"] = open(local).read()

version = mlflow.register_model(f"runs:/{first}/model", "iris-clf")
client.set_registered_model_alias("iris-clf", "champion", version.version)
client.set_registered_model_tag("iris-clf", "task", "classification")
client.set_model_version_tag("iris-clf", version.version, "validated", "yes")
loaded = mlflow.pyfunc.load_model("models:/iris-clf@champion")
out["predictions"] = loaded.predict(X[:5]).tolist()
out["expected"] = model.predict(X[:5]).tolist()
staged = client.transition_model_version_stage("iris-clf", version.version, "Production")
out["stage"] = staged.current_stage
out["latest_production"] = [
    v.version for v in client.get_latest_versions("iris-clf", stages=["Production"])
]
out["version"] = version.version

extra = client.create_model_version("iris-clf", f"runs:/{second}/nothing", run_id=second)
client.delete_model_version("iris-clf", extra.version)
out["versions_left"] = sorted(
    v.version for v in client.search_model_versions("name = 'iris-clf'")
)

try:
    client.get_run("0" * 32)
except MlflowException as error:
    out["missing_run"] = error.error_code
try:
    client.get_registered_model("no-such-model")
except MlflowException as error:
    out["missing_model"] = error.error_code
try:
    mlflow.create_experiment("mlflow-client")
except MlflowException as error:
    out["duplicate_experiment"] = error.error_code
print(json.dumps(out))
"""


def test_mlflow_client_logs_registers_and_labtrack_reads_it(server, mlflow_python, tmp_path):
    out = run_mlflow(mlflow_python, server, SCENARIO, tmp_path / "mlflow-cwd")
    first, second, third = (out["runs"][k] for k in ("first", "second", "third"))

    # What MLflow's client saw over HTTP.
    assert out["artifact_uri"].startswith("mlflow-artifacts:/")
    assert out["small_loss"] == ["first"]
    assert out["by_loss_desc"] == ["second", "first"]
    assert out["all_names"] == ["first", "second"]  # the deleted run is not listed
    assert out["history"] == [[step, 1 / (step + 1)] for step in range(20)]
    assert out["metric_count"] == 1201
    assert out["docs"] == [["docs/notes.txt", False, len("hello labtrack")]]
    assert out["downloaded"] == "hello labtrack"
    assert out["predictions"] == out["expected"]
    assert out["stage"] == "Production"
    assert out["latest_production"] == [out["version"]]
    assert out["versions_left"] == [out["version"]]
    assert out["missing_run"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["missing_model"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["duplicate_experiment"] == "RESOURCE_ALREADY_EXISTS"

    # labtrack, reading the same store directly, finds all of it.
    client = lt.Client(server.store_uri)
    run = client.get_run(first)
    assert run.info.run_name == "first" and run.info.status == "FINISHED"
    assert run.info.artifact_uri.startswith(str(server.destination))  # a real location
    assert run.data.params == {"C": "1.0", "kernel": "rbf"}
    assert run.data.tags["team"] == "vision" and "scratch" not in run.data.tags
    assert run.data.metrics["m1199"] == 1199.0
    assert [(m.step, m.value) for m in client.get_metric_history(first, "loss")] == [
        (step, 1 / (step + 1)) for step in range(20)
    ]
    assert client.get_run(third).info.lifecycle_stage == "deleted"
    assert client.get_run(second).data.metrics == {"loss": 5.0}
    assert client.get_experiment(out["experiment_id"]).tags == {"team": "vision"}

    docs = client.list_artifacts(first, "docs")
    assert [(f.path, f.file_size) for f in docs] == [("docs/notes.txt", 14)]
    assert "MLmodel" in {f.path.rsplit("/", 1)[-1] for f in client.list_artifacts(first, "model")}

    version = client.get_model_version_by_alias("iris-clf", "champion")
    assert version.version == int(out["version"])
    assert version.source == f"runs:/{first}/model"
    assert version.current_stage == "Production"
    assert version.tags == {"validated": "yes"}
    assert client.get_registered_model("iris-clf").tags == {"task": "classification"}


HOUSEKEEPING = """
import json
import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType

client = MlflowClient()
out = {}
eid = client.create_experiment("old-name")
client.rename_experiment(eid, "new-name")
client.set_experiment_tag(eid, "owner", "ada")
out["by_name"] = client.get_experiment_by_name("new-name").experiment_id
client.delete_experiment(eid)
out["deleted_only"] = [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
client.restore_experiment(eid)
out["active"] = sorted(e.name for e in client.search_experiments())
out["filtered"] = [e.name for e in client.search_experiments(filter_string="name LIKE 'new%'")]

run = client.create_run(eid, run_name="r")
client.update_run(run.info.run_id, name="renamed")
client.delete_run(run.info.run_id)
client.restore_run(run.info.run_id)
client.set_terminated(run.info.run_id, "KILLED")
got = client.get_run(run.info.run_id)
out["run"] = [got.info.run_name, got.info.status, got.info.lifecycle_stage]

client.create_registered_model("m1", tags={"a": "1"}, description="first")
version = client.create_model_version("m1", f"{got.info.artifact_uri}/model", run_id=run.info.run_id)
client.update_registered_model("m1", description="updated")
client.update_model_version("m1", version.version, description="v1")
client.set_registered_model_alias("m1", "prod", version.version)
client.delete_registered_model_alias("m1", "prod")
client.set_model_version_tag("m1", version.version, "k", "v")
client.delete_model_version_tag("m1", version.version, "k")
client.delete_registered_model_tag("m1", "a")
client.rename_registered_model("m1", "m2")
model = client.get_registered_model("m2")
mv = client.get_model_version("m2", version.version)
out["model"] = [model.name, model.description, dict(model.tags), dict(model.aliases)]
out["version"] = [mv.version, mv.description, dict(mv.tags), mv.source]
out["download_uri"] = client.get_model_version_download_uri("m2", version.version)
out["search"] = [m.name for m in client.search_registered_models(filter_string="name LIKE 'm%'")]
client.create_registered_model("m3")
first_page = client.search_registered_models(max_results=1)
out["paged"] = [len(first_page), bool(first_page.token)]
client.delete_registered_model("m3")
out["left"] = [m.name for m in client.search_registered_models()]
print(json.dumps(out))
"""


def test_mlflow_client_manages_experiments_runs_and_the_registry(
    shared_server, mlflow_python, tmp_path
):
    out = run_mlflow(mlflow_python, shared_server, HOUSEKEEPING, tmp_path / "mlflow-cwd")
    assert out["deleted_only"] == ["new-name"]
    assert "new-name" in out["active"] and out["filtered"] == ["new-name"]
    assert out["run"] == ["renamed", "KILLED", "active"]
    assert out["model"] == ["m2", "updated", {}, {}]
    version, description, tags, source = out["version"]
    assert (version, description, tags) == ("1", "v1", {})
    assert source.startswith("runs:/")  # a path in the run's artifacts is kept as runs:/
    assert out["download_uri"].startswith("mlflow-artifacts:/") and out["download_uri"].endswith(
        "/artifacts/model"
    )
    assert out["search"] == ["m2"] and out["paged"] == [1, True] and out["left"] == ["m2"]

    client = lt.Client(shared_server.store_uri)
    experiment = client.get_experiment(out["by_name"])
    assert experiment.name == "new-name" and experiment.tags == {"owner": "ada"}
    assert client.get_model_version("m2", 1).description == "v1"
    history = [e.action for e in client.get_registry_history("m2")]
    assert "rename_model" in history and "delete_alias" in history
