"""A real jupyter_server with the extension loaded (pytest-jupyter's fixtures: ``jp_fetch``
sends token-authenticated requests), over a store holding a few runs and a model."""

from __future__ import annotations

import json

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (fixtures and the async test hooks)

import labtrack as lt


@pytest.fixture
def jp_server_config(tracking_uri):
    return {
        "ServerApp": {"jpserver_extensions": {"labtrack.sidebar": True}},
        "LabtrackServer": {"tracking_uri": tracking_uri},
    }


@pytest.fixture
def store(tracking_uri):
    """Experiment "svm" with two runs (one with artifacts), and model "iris-svm" with a
    version from each run."""
    client = lt.Client(tracking_uri)
    experiment_id = client.create_experiment("svm")
    run_ids = []
    for name, accuracy in [("C=1", 0.91), ("C=10", 0.95)]:
        run = client.create_run(experiment_id, run_name=name)
        client.log_param(run.info.run_id, "C", name[2:])
        client.log_metric(run.info.run_id, "accuracy", accuracy, synchronous=True)
        client.set_terminated(run.info.run_id)
        run_ids.append(run.info.run_id)
    client.log_text(run_ids[0], "hello", "notes/readme.txt")
    client.create_registered_model("iris-svm", description="an SVM on iris")
    for run_id in run_ids:
        client.create_model_version("iris-svm", f"runs:/{run_id}/model", run_id=run_id)
    return {"client": client, "experiment_id": experiment_id, "run_ids": run_ids}


@pytest.fixture
def api(jp_fetch):
    """``await api("models", "iris-svm")`` -> the decoded JSON reply (token-authenticated)."""

    async def call(*parts, method="GET", body=None, params=None):
        kwargs = {"method": method, "params": params}
        if body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PUT", "PATCH"):
            kwargs["body"] = "{}"
        response = await jp_fetch("labtrack", "api", *parts, **kwargs)
        return json.loads(response.body)

    return call
