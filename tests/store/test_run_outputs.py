"""A run's outputs (MLflow 3's ``run.outputs.model_outputs``): the models it logged, read from
the logged models' ``source_run_id`` and ``step`` by ``get_run`` and ``search_runs`` alike, and
``log_outputs`` linking a model made outside the run."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.entities import LoggedModelOutput
from labtrack.errors import InvalidParameter, InvalidState, NotFound

from ..mlflow_env import mlflow_python  # noqa: F401  (the session fixture)
from ..tracking_server.conftest import run_mlflow, start_server, stop_server
from .test_run_inputs_in_search import _Statements


def _outputs(run) -> list[tuple[str, int]]:
    return [(m.model_id, m.step) for m in run.outputs.model_outputs]


def test_a_run_lists_the_models_it_logged(tracking_uri):
    client = lt.Client()
    experiment_id = client.create_experiment("outputs")
    run_id = client.create_run(experiment_id).info.run_id
    idle = client.create_run(experiment_id).info.run_id
    first = client.create_logged_model(experiment_id, "a", source_run_id=run_id, step=3)
    second = client.create_logged_model(experiment_id, "b", source_run_id=run_id)
    expected = [(first.model_id, 3), (second.model_id, 0)]  # MLflow's step defaults to 0
    run = client.get_run(run_id)
    assert _outputs(run) == expected
    assert run.to_dictionary()["outputs"] == {
        "model_outputs": [{"model_id": i, "step": s} for i, s in expected]
    }
    found = {r.info.run_id: r for r in client.search_runs([experiment_id])}
    assert _outputs(found[run_id]) == expected
    assert _outputs(found[idle]) == [] and "outputs" not in found[idle].to_dictionary()
    client.delete_logged_model(first.model_id)  # MLflow keeps a deleted model among outputs
    assert _outputs(client.get_run(run_id)) == expected


def test_log_outputs_links_a_model_logged_outside_the_run(tracking_uri):
    client = lt.Client()
    experiment_id = client.create_experiment("outputs")
    run_id = client.create_run(experiment_id).info.run_id
    other = client.create_run(experiment_id).info.run_id
    external = client.create_logged_model(experiment_id, "external")
    own = client.create_logged_model(experiment_id, "own", source_run_id=run_id, step=1)
    client.log_outputs(run_id, [LoggedModelOutput(external.model_id, 5)])
    client.log_outputs(run_id, [LoggedModelOutput(own.model_id, 1)])  # already its output
    assert _outputs(client.get_run(run_id)) == [(external.model_id, 5), (own.model_id, 1)]
    assert client.get_logged_model(external.model_id).source_run_id == run_id
    with pytest.raises(InvalidState, match="logged by run"):
        client.log_outputs(other, [LoggedModelOutput(own.model_id, 0)])
    with pytest.raises(InvalidState, match="step 1"):
        client.log_outputs(run_id, [LoggedModelOutput(own.model_id, 2)])
    with pytest.raises(NotFound):
        client.log_outputs(run_id, [LoggedModelOutput("m-" + "0" * 32, 0)])
    with pytest.raises(NotFound):
        client.log_outputs("0" * 32, [LoggedModelOutput(external.model_id, 5)])
    with pytest.raises(InvalidParameter, match="LoggedModelOutput"):
        client.log_outputs(run_id, [external.model_id])
    assert _outputs(client.get_run(other)) == []


def test_a_search_reads_outputs_once_for_all_its_runs(tracking_uri):
    client = lt.Client()
    experiment_id = client.create_experiment("outputs")
    runs = [client.create_run(experiment_id).info.run_id for _ in range(20)]
    for run_id in runs[:3]:
        client.create_logged_model(experiment_id, source_run_id=run_id, step=2)
    statements = _Statements(client.store.engine)
    try:
        found = client.search_runs([experiment_id], max_results=1000)
    finally:
        statements.close()
    assert sum(bool(run.outputs.model_outputs) for run in found) == 3
    assert statements.reading("logged_models") == 1


MLFLOW_OUTPUTS = """
import json
import mlflow
from mlflow.entities import LoggedModelOutput

mlflow.set_experiment("outputs")
with mlflow.start_run() as run:
    own = mlflow.initialize_logged_model(name="own")
    mlflow.log_outputs([LoggedModelOutput(own.model_id, 4)])
external = mlflow.create_external_model(name="external")
mlflow.MlflowClient().log_outputs(run.info.run_id, [LoggedModelOutput(external.model_id, 2)])
with mlflow.start_run():
    pass
found = mlflow.search_runs(experiment_names=["outputs"], output_format="list")
got = mlflow.get_run(run.info.run_id)
print(json.dumps({
    "ids": {"own": own.model_id, "external": external.model_id},
    "get_run": [[m.model_id, m.step] for m in got.outputs.model_outputs],
    "search": [[[m.model_id, m.step] for m in r.outputs.model_outputs] for r in found],
}))
"""


@pytest.mark.slow  # MLflow imports slowly
def test_mlflow_reads_run_outputs_from_labtrack_server(tmp_path, mlflow_python):  # noqa: F811
    server = start_server(tmp_path)
    try:
        out = run_mlflow(mlflow_python, server, MLFLOW_OUTPUTS, tmp_path / "mlflow-cwd")
    finally:
        stop_server(server)
    own, external = out["ids"]["own"], out["ids"]["external"]
    assert out["get_run"] == [[own, 4], [external, 2]]
    assert out["search"] == [[], [[own, 4], [external, 2]]]  # newest run first


def test_fluent_log_outputs_links_models_to_the_active_run(tracking_uri):
    lt.set_experiment("outputs")
    external = lt.create_external_model(name="external")
    lt.clear_active_model()
    with lt.start_run() as run:
        lt.log_outputs([LoggedModelOutput(external.model_id, 6)])
    assert _outputs(lt.get_run(run.info.run_id)) == [(external.model_id, 6)]
