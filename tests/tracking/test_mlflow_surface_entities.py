"""labtrack's entities turn into dicts as MLflow's do: ``dict(run.info)``, ``dict(run.data)``,
``dict(experiment)``, ``dict(model_version)``, ``run.to_dictionary()``; the names are checked
against the real MLflow's entity properties."""

from __future__ import annotations

import json
import subprocess

import pytest

import labtrack as lt
from labtrack.entities import Experiment, Metric, Param, RunInfo

from ..mlflow_env import mlflow_python  # noqa: F401  (session fixture)

# What each MLflow entity's dict() holds, printed by the real MLflow.
PROPERTIES_SCRIPT = """
import json
from mlflow.entities import Experiment, Metric, Param, RunData, RunInfo
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
print(json.dumps({c.__name__: c._properties() for c in
    (Experiment, Metric, Param, RunData, RunInfo, ModelVersion, RegisteredModel)}))
"""

# Properties of MLflow's entities that labtrack does not have (tracing, workspaces, Databricks
# deployment jobs, logged-model links): left out of the comparison, by name.
NOT_IN_LABTRACK = {
    "Experiment": {"effective_trace_archival_retention", "trace_location", "workspace"},
    "Metric": {"dataset_digest", "dataset_name", "model_id", "run_id"},
    "ModelVersion": {"deployment_job_state", "metrics", "params", "workspace"},
    "RegisteredModel": {"deployment_job_id", "deployment_job_state", "workspace"},
}


@pytest.fixture(scope="module")
def mlflow_properties(mlflow_python):  # noqa: F811
    out = subprocess.run(
        [mlflow_python, "-c", PROPERTIES_SCRIPT], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def logged_run(client):
    experiment = lt.set_experiment("entities")
    client.set_experiment_tag(experiment.experiment_id, "team", "vision")
    with lt.start_run(run_name="dicts") as run:
        lt.log_param("C", 1.0)
        lt.log_metric("acc", 0.5)
        lt.set_tag("t", "x")
    return client.get_run(run.info.run_id)


def test_run_info_and_data_are_dicts_with_mlflows_names(logged_run, mlflow_properties):
    info = dict(logged_run.info)
    assert list(info) == mlflow_properties["RunInfo"]
    assert info["run_name"] == "dicts" and info["run_id"] == logged_run.info.run_id
    assert info["status"] == "FINISHED"
    data = dict(logged_run.data)
    assert list(data) == mlflow_properties["RunData"] == ["metrics", "params", "tags"]
    assert data["metrics"] == {"acc": 0.5} and data["params"] == {"C": "1.0"}
    assert data["tags"]["t"] == "x"


def test_run_to_dictionary_is_mlflows_shape(logged_run):
    as_dict = logged_run.to_dictionary()
    assert set(as_dict) == {"info", "data"}  # no datasets used: no "inputs", as in MLflow
    assert as_dict["info"] == dict(logged_run.info)
    assert as_dict["data"]["params"] == {"C": "1.0"}
    json.dumps(as_dict)  # plain values only


@pytest.mark.parametrize("name", ["Experiment", "ModelVersion", "RegisteredModel", "Metric"])
def test_other_entities_have_mlflows_properties(name, client, logged_run, mlflow_properties):
    experiment = client.get_experiment_by_name("entities")
    client.create_registered_model("m")
    version = client.create_model_version("m", "runs:/x/model", run_id=logged_run.info.run_id)
    entity = {
        "Experiment": experiment,
        "ModelVersion": version,
        "RegisteredModel": client.get_registered_model("m"),
        "Metric": client.get_metric_history(logged_run.info.run_id, "acc")[0],
    }[name]
    expected = [p for p in mlflow_properties[name] if p not in NOT_IN_LABTRACK.get(name, ())]
    assert list(dict(entity)) == expected


def test_dict_values_are_the_entitys_and_round_trip():
    experiment = Experiment("3", "e", "/a", "active", {"k": "v"}, 1, 2)
    assert dict(experiment)["tags"] == {"k": "v"}
    assert Experiment.from_dictionary({**dict(experiment), "workspace": "ignored"}) == experiment
    assert dict(Param("a", "1")) == {"key": "a", "value": "1"}
    assert Metric("m", 0.5, 10, 2).to_dictionary() == {
        "key": "m",
        "step": 2,
        "timestamp": 10,
        "value": 0.5,
    }
    info = RunInfo("r", "0", "n", "RUNNING", 1, None, "active", "/x")
    assert info.run_name == "n" and dict(info)["end_time"] is None
