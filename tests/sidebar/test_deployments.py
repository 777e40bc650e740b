"""The Deployments panel's routes: the deployments with their health, version and traffic,
and stopping one that ``labtrack serve`` runs on this machine (refused for any other)."""

from __future__ import annotations

import json
import os
import signal

import httpx
import pytest
from tornado.httpclient import HTTPClientError

import labtrack as lt
from labtrack import production as d

from ..serving.test_deployments import serve_cli


@pytest.fixture
def champion(iris, iris_classifier, tracking_uri):
    X, _ = iris
    info = lt.log_model(iris_classifier, "model", input_example=X[:3], registered_model_name="iris")
    lt.end_run()
    lt.Client().set_registered_model_alias("iris", "champion", info.registered_model_version)
    return info


async def refused(jp_fetch, name: str) -> tuple[int, str]:
    """The status and message of a stop the route refuses."""
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("labtrack", "api", "deployments", name, "stop", method="POST", body="{}")
    return error.value.code, json.loads(error.value.response.body)["message"]


async def test_deployments_are_listed_with_their_health_version_and_traffic(
    store, api, jp_fetch, champion, iris
):
    X, _ = iris
    assert await api("deployments") == {"deployments": []}
    with lt.serve("models:/iris@champion", port=0, background=True, deployment="prod") as server:
        httpx.post(
            f"{server.url}/invocations",
            json={"dataframe_records": X[:2].to_dict(orient="records")},
            timeout=30,
        )
        server.deployment.log_interval()  # the interval's traffic now, not in 10 s
        (listed,) = (await api("deployments"))["deployments"]
        assert listed == d.get_deployment(lt.Client(), "prod").to_dict()
        assert (listed["status"], listed["model_version"], listed["requests"]) == (
            "RUNNING",
            "1",
            1,
        )
        assert (listed["url"], listed["local"], listed["pid"]) == (server.url, True, os.getpid())
        # Served by this process (as a notebook kernel serves): the sidebar does not stop it.
        code, message = await refused(jp_fetch, "prod")
        assert code == 409 and "not `labtrack serve`" in message
        assert d.get_deployment(lt.Client(), "prod").status == "RUNNING"
    (stopped,) = (await api("deployments"))["deployments"]
    assert stopped["status"] == "STOPPED"
    code, message = await refused(jp_fetch, "prod")
    assert code == 409 and "is not running" in message
    code, message = await refused(jp_fetch, "nobody")
    assert code == 404
    code, message = await refused(jp_fetch, "bad name")
    assert code == 400 and "deployment name" in message


async def test_a_deployment_of_another_machine_is_not_stopped(store, jp_fetch):
    client = store["client"]
    experiment_id = client.create_experiment(d.EXPERIMENT)
    tags = {d.TAG: "far", d.HOST_TAG: "elsewhere.example", d.PID_TAG: str(os.getpid())}
    client.create_run(experiment_id, run_name="far", tags=tags)
    code, message = await refused(jp_fetch, "far")
    assert code == 409 and "runs on elsewhere.example, not on this machine" in message


async def test_a_local_labtrack_serve_is_stopped(store, api, champion, tmp_path, tracking_uri):
    process = serve_cli(tmp_path, tracking_uri, "cli")
    try:
        reply = await api("deployments", "cli", "stop", method="POST")
        assert reply["deployment"]["status"] == "STOPPED"
        assert reply["deployment"]["pid"] == process.pid
        process.wait(30)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
    run = lt.Client().get_run(reply["deployment"]["run_id"])
    assert run.info.status == "FINISHED"  # it ended its run itself: a clean stop
