"""MLflow stores written by the real MLflow package (``tests/mlflow_env.py``), and what MLflow's
own client reads from a store, for the import and export tests."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from ..mlflow_env import ensure_mlflow_python, mlflow_python  # noqa: F401  (a fixture)

SCRIPT_TIMEOUT_SECONDS = 300


def pytest_collection_finish(session) -> None:
    """Build the MLflow environment before any test runs, when a selected test needs it."""
    if session.config.option.collectonly:
        return
    if any("mlflow_python" in getattr(item, "fixturenames", ()) for item in session.items):
        ensure_mlflow_python()


# Logs with MLflow into the store named by argv[1]: two experiments, runs with params, tags,
# histories (a repeated step, NaN), nested artifacts, a deleted run, and a registered model
# (an sklearn model logged by MLflow 3 as a logged model, with params, a tag, a type and a
# point linked to it on a dataset the run used) with an alias, a stage and tags, and a logged
# model without a run, with a file of its own.
WRITE = """
import sys, json, os, tempfile
import numpy as np, mlflow
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression

mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("imported")
mlflow.set_experiment_tag("team", "vision")
with mlflow.start_run(run_name="first") as first:
    mlflow.log_params({"lr": 0.1, "layers": 3})
    mlflow.set_tag("note", "hello")
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=1000 + step)
    mlflow.log_metric("loss", 0.5, step=2, timestamp=2000)
    mlflow.log_metric("nested/metric", 2.5, step=0, timestamp=3000)
    mlflow.log_text("hello", "notes/hello.txt")
    mlflow.log_dict({"a": 1}, "config.json")
    model = LinearRegression().fit(np.array([[0.0], [1.0]]), np.array([0.0, 1.0]))
    train = mlflow.data.from_numpy(np.array([[0.0], [1.0]]), name="train")
    mlflow.log_input(train, context="training")
    logged = mlflow.sklearn.log_model(
        model, name="model", registered_model_name="reg", params={"alpha": "1"},
        model_type="regressor",
    )
    mlflow.log_metric("rmse", 0.25, step=0, timestamp=5000, model_id=logged.model_id,
                      dataset=train)
    mlflow.set_logged_model_tags(logged.model_id, {"stage": "candidate"})
with mlflow.start_run(run_name="second") as second:
    mlflow.log_metric("acc", float("nan"), step=0, timestamp=4000)
    mlflow.log_metric("acc", 0.9, step=1, timestamp=4001)
loose = mlflow.initialize_logged_model(name="loose", model_type="agent", params={"p": "1"})
weights = tempfile.mkdtemp()
with open(os.path.join(weights, "weights.txt"), "w") as out:
    out.write("w")
MlflowClient().log_model_artifacts(loose.model_id, weights)
mlflow.finalize_logged_model(loose.model_id, "READY")
mlflow.set_experiment("other")
with mlflow.start_run(run_name="gone") as gone:
    mlflow.log_param("x", "1")
client = MlflowClient()
client.delete_run(gone.info.run_id)
client.set_registered_model_alias("reg", "champion", "1")
client.set_registered_model_tag("reg", "owner", "ada")
client.set_model_version_tag("reg", "1", "validated", "yes")
client.transition_model_version_stage("reg", "1", "Staging")
print(json.dumps([first.info.run_id, second.info.run_id, gone.info.run_id]))
"""

# Prints, as JSON, what MLflow's client reads from the store named by argv[1].
READ = """
import sys, json, math, os
import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()

def walk(list_files, path=None):
    files = []
    for item in list_files(path):
        files += walk(list_files, item.path) if item.is_dir else [item.path]
    return files

experiments, logged_models = {}, {}
for e in client.search_experiments():
    for lm in client.search_logged_models([e.experiment_id]):
        # Over REST MLflow answers "" for no source run, and None for no metrics.
        logged_models[lm.model_id] = [
            lm.name, str(lm.status),
            lm.model_type, lm.source_run_id or None, lm.creation_timestamp, lm.params or {}, lm.tags or {},
            sorted([m.key, m.step, m.timestamp, m.value, m.run_id, m.dataset_name,
                    m.dataset_digest] for m in lm.metrics or ()),
        ]
    runs = {}
    for run in client.search_runs([e.experiment_id], run_view_type=ViewType.ALL):
        rid = run.info.run_id
        artifacts = walk(lambda p: client.list_artifacts(rid, p))
        try:
            logged = client.search_logged_models([e.experiment_id])
        except Exception:
            logged = []
        for lm in logged:
            if lm.source_run_id == rid:
                root = mlflow.artifacts.download_artifacts(artifact_uri=lm.artifact_location)
                for folder, _, names in os.walk(root):
                    for name in names:
                        rel = os.path.relpath(os.path.join(folder, name), root)
                        artifacts.append(lm.name + "/" + rel.replace(os.sep, "/"))
        runs[rid] = {
            "info": [run.info.run_name, run.info.status, run.info.start_time, run.info.end_time,
                     run.info.lifecycle_stage],
            "params": run.data.params,
            "tags": {k: v for k, v in run.data.tags.items() if not k.startswith("labtrack.copy.")},
            "metrics": {
                key: sorted([m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value]
                            for m in client.get_metric_history(rid, key))
                for key in run.data.metrics
            },
            "artifacts": sorted(artifacts),
            "inputs": sorted([i.dataset.name, i.dataset.digest, i.dataset.source_type,
                              {t.key: t.value for t in i.tags}]
                             for i in run.inputs.dataset_inputs),
        }
    experiments[e.name] = {
        "tags": {k: v for k, v in e.tags.items() if not k.startswith("mlflow.")},
        "runs": runs,
    }
models = {}
for m in client.search_registered_models():
    versions = client.search_model_versions(f"name = '{m.name}'")
    models[m.name] = {
        "tags": m.tags,
        "aliases": {a: int(v) for a, v in m.aliases.items()},
        "versions": sorted([int(v.version), v.run_id, v.current_stage, v.tags] for v in versions),
    }
print(json.dumps({"experiments": experiments, "models": models, "logged_models": logged_models}))
"""


def run_mlflow_script(python: str, script: str, uri: str, cwd: Path) -> object:
    """Run ``script`` with MLflow's interpreter on the store ``uri``; its last line, as JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABTRACK_", "MLFLOW_"))}
    env["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 refuses file stores unless told
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [python, "-c", textwrap.dedent(script), uri],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, f"MLflow script failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def mlflow_stores(mlflow_python, tmp_path_factory):  # noqa: F811 (the fixture above)
    """An MLflow file store and an MLflow SQLite database, each written by MLflow, and what
    MLflow reads from each: {"file" | "sqlite": (uri, run ids, what MLflow reads)}."""
    folder = tmp_path_factory.mktemp("mlflow-stores")
    stores = {}
    for kind, uri in (
        ("file", (folder / "mlruns").as_uri()),
        ("sqlite", f"sqlite:///{folder / 'mlflow.db'}"),
    ):
        ids = run_mlflow_script(mlflow_python, WRITE, uri, folder / kind)
        stores[kind] = (uri, ids, run_mlflow_script(mlflow_python, READ, uri, folder / kind))
    return stores


@pytest.fixture
def server(tmp_path):
    """A ``labtrack server`` of its own for one test (``tests/tracking_server``'s)."""
    from ..tracking_server.conftest import start_server, stop_server

    running = start_server(tmp_path)
    yield running
    stop_server(running)
