"""A run's outputs over HTTP: labtrack's client reads ``run.outputs.model_outputs`` from
``labtrack server`` and ``mlflow server`` alike, and ``log_outputs`` records them there."""

from __future__ import annotations

import labtrack as lt
from labtrack.entities import LoggedModelOutput


def _outputs(run) -> set[tuple[str, int]]:
    return {(m.model_id, m.step) for m in run.outputs.model_outputs}


def test_run_outputs_over_http(server):
    client = lt.Client()
    experiment_id = client.create_experiment("http-outputs")
    run_id = client.create_run(experiment_id).info.run_id
    idle = client.create_run(experiment_id).info.run_id
    own = client.create_logged_model(experiment_id, "own", source_run_id=run_id, step=3)
    external = client.create_logged_model(experiment_id, "external")
    client.log_outputs(run_id, [LoggedModelOutput(external.model_id, 7)])
    expected = {(own.model_id, 3), (external.model_id, 7)}
    assert _outputs(client.get_run(run_id)) == expected
    found = {r.info.run_id: r for r in client.search_runs([experiment_id])}
    assert _outputs(found[run_id]) == expected
    assert _outputs(found[idle]) == set()
