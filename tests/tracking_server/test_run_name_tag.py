"""Through ``labtrack server``, setting the ``mlflow.runName`` tag renames the run, as MLflow's
server does."""

from __future__ import annotations

import labtrack as lt

from .conftest import new_run


def test_set_tag_run_name_over_rest_renames_the_run(shared_server):
    run_id = new_run(shared_server)["info"]["run_id"]
    body = {"run_id": run_id, "key": "mlflow.runName", "value": "renamed-over-rest"}
    assert shared_server.api("POST", "runs/set-tag", json=body).status_code == 200
    got = shared_server.api("GET", "runs/get", params={"run_id": run_id}).json()["run"]
    assert got["info"]["run_name"] == "renamed-over-rest"
    # And through labtrack's HTTP store, the client's own path to a server.
    client = lt.Client(shared_server.url)
    client.set_tag(run_id, "mlflow.runName", "renamed-by-client")
    run = lt.Client(shared_server.store_uri).get_run(run_id)
    assert run.info.run_name == "renamed-by-client"
    assert run.data.tags["mlflow.runName"] == "renamed-by-client"
