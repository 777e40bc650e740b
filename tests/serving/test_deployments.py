"""Deployments: a server started with a deployment name is recorded in the store while it
serves (its run, tags and traffic), follows the alias it serves, and reads as stopped once
it stops or its process dies."""

from __future__ import annotations

import os
import signal
import socket
import time

import httpx
import pytest

import labtrack as lt
from labtrack import production as d
from labtrack.errors import InvalidParameter, InvalidState, NotFound
from labtrack.production.follow import registry_tag
from labtrack.production.predictions import read_feedback, read_predictions
from labtrack.production.record import is_labtrack_serve, stop_local

from ..waiting import wait_until
from .test_cli import start_cli, wait_for_line


@pytest.fixture
def fast_intervals(monkeypatch):
    monkeypatch.setenv("LABTRACK_DEPLOYMENT_INTERVAL", "0.2")
    monkeypatch.setenv("LABTRACK_DEPLOYMENT_ALIAS_INTERVAL", "0.1")


@pytest.fixture
def champion(iris, iris_classifier):
    """Model "iris" version 1, aliased champion."""
    X, _ = iris
    info = lt.log_model(iris_classifier, "model", input_example=X[:3], registered_model_name="iris")
    lt.end_run()
    lt.Client().set_registered_model_alias("iris", "champion", info.registered_model_version)
    return info


def invoke(server, rows, **headers):
    return httpx.post(
        f"{server.url}/invocations",
        json={"dataframe_records": rows.to_dict(orient="records")},
        headers=headers,
        timeout=30,
    )


def test_a_deployment_is_recorded_with_every_field_and_its_traffic(fast_intervals, champion, iris):
    X, _ = iris
    client = lt.Client()
    before = int(time.time() * 1000)
    with lt.serve(
        "models:/iris@champion", port=0, background=True, deployment="iris-prod"
    ) as server:
        found = d.get_deployment(client, "iris-prod")
        assert found == d.Deployment(
            name="iris-prod",
            status="RUNNING",
            model_uri="models:/iris@champion",
            model_name="iris",
            model_version="1",
            url=server.url,
            host=socket.gethostname(),
            pid=os.getpid(),
            start_time=found.start_time,
            last_seen=found.last_seen,
            requests=0,
            run_id=server.deployment.run_id,
            local=True,
        )
        assert before <= found.start_time <= found.last_seen
        run = client.get_run(found.run_id)
        assert client.get_experiment(run.info.experiment_id).name == d.EXPERIMENT == "Deployments"
        assert run.info.run_name == "iris-prod"
        assert run.data.tags[d.PREDICTIONS_TAG] == "off"
        assert run.data.tags[d.SAMPLE_RATE_TAG] == "1"

        for _ in range(3):
            assert invoke(server, X[:2]).status_code == 200
        bad = httpx.post(f"{server.url}/invocations", json={"rows": []}, timeout=30)
        assert bad.status_code == 400
        wait_until(
            lambda: d.get_deployment(client, "iris-prod").requests == 4,
            what="the four requests counted in the deployment's traffic metrics",
        )
        assert d.get_deployment(client, "iris-prod").last_seen > found.last_seen

    def total(key):
        return sum(m.value for m in client.get_metric_history(found.run_id, key))

    assert total(d.REQUESTS) == 4
    assert total(d.ERRORS) == 1
    p50 = client.get_metric_history(found.run_id, d.LATENCY_P50)
    p99 = client.get_metric_history(found.run_id, d.LATENCY_P99)
    assert p50 and p99 and all(0 < m.value < 30_000 for m in p50 + p99)
    assert {m.value for m in client.get_metric_history(found.run_id, d.MODEL_VERSION)} == {1.0}
    # Stopped cleanly: the run is FINISHED, the deployment STOPPED.
    assert client.get_run(found.run_id).info.status == "FINISHED"
    stopped = d.get_deployment(client, "iris-prod")
    assert (stopped.status, stopped.requests) == ("STOPPED", 4)
    frame = lt.deployments()
    assert list(frame.columns) == list(d.Deployment.__dataclass_fields__)
    assert frame.loc[0, ["name", "status", "model_version"]].tolist() == [
        "iris-prod",
        "STOPPED",
        "1",
    ]


def test_the_newest_run_of_a_name_is_the_deployment(champion):
    client = lt.Client()
    with lt.serve("models:/iris/1", port=0, background=True, deployment="a") as first:
        pass
    with lt.serve("models:/iris/1", port=0, background=True, deployment="b"):
        with lt.serve("models:/iris@champion", port=0, background=True, deployment="a") as again:
            listed = {x.name: x for x in d.list_deployments(client)}
            assert set(listed) == {"a", "b"}
            assert listed["a"].run_id == again.deployment.run_id != first.deployment.run_id
            assert listed["a"].status == listed["b"].status == "RUNNING"
            assert [x.name for x in d.list_deployments(client)] == ["a", "b"]  # newest first
    with pytest.raises(NotFound, match="no deployment named 'c'"):
        d.get_deployment(client, "c")


def test_every_answer_carries_a_request_id(champion, iris):
    X, _ = iris
    with lt.serve(champion.model_uri, port=0, background=True) as server:
        generated = invoke(server, X[:1])
        assert len(generated.headers["X-Request-Id"]) == 32
        assert int(generated.headers["X-Request-Id"], 16) >= 0
        assert invoke(server, X[:1]).headers["X-Request-Id"] != generated.headers["X-Request-Id"]
        own = invoke(server, X[:1], **{"X-Request-Id": "order-42.a:b"})
        assert own.headers["X-Request-Id"] == "order-42.a:b"
        for unsafe in ("a b", "x" * 65, "../etc", "é"):
            replaced = httpx.post(
                f"{server.url}/invocations",
                json={"dataframe_records": X[:1].to_dict(orient="records")},
                headers={"X-Request-Id": unsafe.encode("utf-8")},
                timeout=30,
            )
            assert replaced.headers["X-Request-Id"] not in (unsafe, "")
            assert len(replaced.headers["X-Request-Id"]) == 32
        refused = httpx.post(
            f"{server.url}/invocations",
            content=b"{",
            headers={"content-type": "application/json"},
            timeout=30,
        )
        assert refused.status_code == 400 and len(refused.headers["X-Request-Id"]) == 32
        # Without a deployment there is nothing to store labels with.
        no_feedback = httpx.post(f"{server.url}/feedback", json={}, timeout=30)
        assert no_feedback.status_code == 404


def test_predictions_and_feedback_go_to_the_deployment_run(champion, iris, iris_classifier):
    X, _ = iris
    client = lt.Client()
    with lt.serve(
        "models:/iris@champion",
        port=0,
        background=True,
        deployment="logged",
        log_predictions=True,
    ) as server:
        ids = [invoke(server, X[i : i + 2]).headers["X-Request-Id"] for i in (0, 50, 100)]
        stored = httpx.post(
            f"{server.url}/feedback",
            json={
                "feedback": [{"request_id": ids[0], "label": 0}, {"request_id": ids[1], "label": 1}]
            },
            timeout=30,
        )
        assert stored.status_code == 200 and stored.json() == {"stored": 2}
        bad = httpx.post(f"{server.url}/feedback", json={"label": 1}, timeout=30)
        assert bad.status_code == 400 and "request_id" in bad.json()["message"]
        run_id = server.deployment.run_id
        assert client.get_run(run_id).data.tags[d.PREDICTIONS_TAG] == "on"
    logged = read_predictions(client, run_id)  # stop() wrote what the log held
    assert sorted(set(logged["request_id"])) == sorted(ids)
    assert (logged["latency_ms"] > 0).all()
    first = logged[logged["request_id"] == ids[1]]
    assert first["prediction"].tolist() == iris_classifier.predict(X[50:52]).tolist()
    assert first["input.sepal length (cm)"].tolist() == X["sepal length (cm)"][50:52].tolist()
    labels = read_feedback(client, run_id)
    assert dict(zip(labels["request_id"], labels["label"], strict=True)) == {ids[0]: 0, ids[1]: 1}


def test_a_promotion_is_served_without_a_restart_and_is_in_the_registry_history(
    fast_intervals, champion, iris
):
    from sklearn.dummy import DummyClassifier

    X, y = iris
    client = lt.Client()
    with lt.serve(
        "models:/iris@champion", port=0, background=True, deployment="iris-prod"
    ) as server:
        assert httpx.get(f"{server.url}/version").json()["model_version"] == "1"
        constant = DummyClassifier(strategy="constant", constant=2).fit(X, y)
        info = lt.log_model(constant, "model", input_example=X[:3], registered_model_name="iris")
        lt.end_run()
        client.set_registered_model_alias("iris", "champion", info.registered_model_version)
        wait_until(
            lambda: httpx.get(f"{server.url}/version").json()["model_version"] == "2",
            what="the server serving version 2 after the alias moved",
        )
        assert invoke(server, X[:3]).json() == {"predictions": [2, 2, 2]}
        deployment = d.get_deployment(client, "iris-prod")
        assert deployment.model_version == "2"
        assert deployment.status == "RUNNING"  # the same run: no restart
        assert deployment.run_id == server.deployment.run_id
        versions = client.get_metric_history(deployment.run_id, d.MODEL_VERSION)
        assert {m.value for m in versions} == {1.0, 2.0}
    history = client.get_registry_history("iris")
    took_up = [
        (e.from_value, e.to_value)
        for e in history
        if e.action == "set_model_tag" and e.key == registry_tag("iris-prod")
    ]
    assert took_up == [("1", "2"), (None, "1")]  # newest first


def test_a_promotion_whose_record_failed_is_recorded_at_the_next_check(
    fast_intervals, champion, iris
):
    """The store refuses the first record of the new version (as when it is away): the new
    model is served at once, and the version is recorded at a later check, not never."""
    from sklearn.dummy import DummyClassifier

    X, y = iris
    client = lt.Client()
    with lt.serve(
        "models:/iris@champion", port=0, background=True, deployment="iris-prod"
    ) as server:
        store, set_tag, failures = server.deployment.client, server.deployment.client.set_tag, []

        def fails_once(run_id, key, value, *args, **kwargs):
            if key == d.MODEL_VERSION_TAG and not failures:
                failures.append(value)
                raise ConnectionError("the store is away")
            return set_tag(run_id, key, value, *args, **kwargs)

        store.set_tag = fails_once
        constant = DummyClassifier(strategy="constant", constant=2).fit(X, y)
        info = lt.log_model(constant, "model", input_example=X[:3], registered_model_name="iris")
        lt.end_run()
        client.set_registered_model_alias("iris", "champion", info.registered_model_version)
        wait_until(
            lambda: d.get_deployment(client, "iris-prod").model_version == "2",
            what="version 2 recorded after the first record failed",
        )
        assert failures == ["2"]
        assert invoke(server, X[:3]).json() == {"predictions": [2, 2, 2]}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"deployment": "has space"}, "deployment name"),
        ({"deployment": "-dash-first"}, "deployment name"),
        ({"deployment": "x" * 101}, "deployment name"),
        ({"deployment": 7}, "deployment name"),
        ({"log_predictions": True}, "needs a deployment"),
        ({"deployment": "ok", "sample_rate": 0}, "sample_rate"),
        ({"deployment": "ok", "sample_rate": 1.5}, "sample_rate"),
    ],
)
def test_bad_deployment_options_fail_before_anything_is_served(kwargs, message):
    with pytest.raises(InvalidParameter, match=message):
        lt.serve("models:/does-not-matter/1", port=0, background=True, **kwargs)
    assert lt.get_experiment_by_name(d.EXPERIMENT) is None


def test_a_bad_interval_is_refused_and_no_deployment_is_left_running(champion, monkeypatch):
    monkeypatch.setenv("LABTRACK_DEPLOYMENT_INTERVAL", "soon")
    with pytest.raises(InvalidParameter, match="LABTRACK_DEPLOYMENT_INTERVAL"):
        lt.serve(champion.model_uri, port=0, background=True, deployment="x")
    assert d.list_deployments(lt.Client()) == []


def test_only_labtrack_serve_processes_can_be_stopped():
    assert is_labtrack_serve(["/venv/bin/labtrack", "serve", "models:/m/1"])
    assert is_labtrack_serve(["/usr/bin/python3", "-m", "labtrack.cli", "serve", "x"])
    assert is_labtrack_serve(["python", "-m", "labtrack", "serve", "x"])
    assert is_labtrack_serve(["labtrack", "--tracking-uri", "sqlite:///a.db", "serve", "x"])
    assert is_labtrack_serve(["labtrack", "--tracking-uri=sqlite:///a.db", "serve", "x"])
    assert not is_labtrack_serve(["labtrack", "--tracking-uri", "serve", "run", "serve"])
    assert not is_labtrack_serve(["python", "-m", "ipykernel_launcher", "-f", "k.json"])
    assert not is_labtrack_serve(["/venv/bin/labtrack", "server", "--port", "1"])
    assert not is_labtrack_serve(["python", "serve.py", "labtrack"])


def test_stopping_refuses_what_is_not_a_local_live_labtrack_serve(champion):
    client = lt.Client()
    with lt.serve(champion.model_uri, port=0, background=True, deployment="kernel"):
        with pytest.raises(InvalidState, match="not `labtrack serve`"):
            stop_local(client, "kernel")
        assert d.get_deployment(client, "kernel").status == "RUNNING"
    with pytest.raises(InvalidState, match="not running"):
        stop_local(client, "kernel")
    # A deployment another machine serves (as recorded there).
    experiment_id = client.get_experiment_by_name(d.EXPERIMENT).experiment_id
    run = client.create_run(
        experiment_id,
        run_name="remote",
        tags={d.TAG: "remote", d.HOST_TAG: "elsewhere.example", d.PID_TAG: "1"},
    )
    try:
        assert not d.get_deployment(client, "remote").local
        with pytest.raises(InvalidState, match="runs on elsewhere.example"):
            stop_local(client, "remote")
    finally:
        client.set_terminated(run.info.run_id)
    with pytest.raises(NotFound):
        stop_local(client, "nobody")


def serve_cli(tmp_path, tracking_uri, name):
    process, lines = start_cli(
        "--tracking-uri",
        tracking_uri,
        "serve",
        "models:/iris@champion",
        "--port",
        "0",
        "--deployment",
        name,
        tmp_path=tmp_path,
    )
    wait_for_line(lines, r"serving models:/iris@champion at (\S+)")
    return process


def test_a_killed_server_reads_as_stopped(tmp_path, tracking_uri, champion):
    process = serve_cli(tmp_path, tracking_uri, "doomed")
    client = lt.Client()
    try:
        running = d.get_deployment(client, "doomed")
        assert (running.status, running.pid, running.local) == ("RUNNING", process.pid, True)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        process.kill()
    wait_until(
        lambda: d.get_deployment(client, "doomed").status == "STOPPED",
        what="the killed server's deployment to read as stopped",
    )
    assert client.get_run(running.run_id).info.status == "KILLED"
    with pytest.raises(InvalidState, match="not running"):
        stop_local(client, "doomed")


def test_labtrack_deployments_lists_and_stops_a_local_server(
    tmp_path, tracking_uri, champion, capsys
):
    from labtrack.cli import main

    process = serve_cli(tmp_path, tracking_uri, "cli-prod")
    try:
        assert main(["--tracking-uri", tracking_uri, "deployments"]) == 0
        table = capsys.readouterr().out.splitlines()
        assert table[0].split()[:4] == ["name", "status", "model_uri", "model_version"]
        assert table[1].split()[:4] == ["cli-prod", "RUNNING", "models:/iris@champion", "1"]
        assert main(["--tracking-uri", tracking_uri, "deployments", "stop", "cli-prod"]) == 0
        assert "deployment cli-prod stopped (STOPPED)" in capsys.readouterr().out
        process.wait(30)  # it exited (its code is psutil's: it waited on the process first)
    finally:
        process.kill()
    run_id = d.get_deployment(lt.Client(), "cli-prod").run_id
    assert lt.Client().get_run(run_id).info.status == "FINISHED"  # it stopped cleanly
    assert main(["--tracking-uri", tracking_uri, "deployments", "stop", "cli-prod"]) == 2
    assert "is not running" in capsys.readouterr().err
