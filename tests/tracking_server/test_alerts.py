"""Alerts through ``labtrack server``: the HTTP store's ``alerts`` part over the server's
``labtrack/alerts/*`` routes, and who may add and read them (writers of the run's experiment
add; a reader sees the alerts of the experiments they may read, and no others)."""

from __future__ import annotations

import math

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound
from labtrack.store.rest.http import AccessDenied
from labtrack.store.rest.store import RestStore

from ..waiting import wait_until
from .test_auth_server import basic, world  # noqa: F401  (the fixture)


@pytest.fixture
def over_http(shared_server, monkeypatch):
    lt.set_tracking_uri(shared_server.url)
    yield shared_server
    lt.Client().writer.alert_conditions.clear()


def test_alerts_go_through_the_server_and_come_back(over_http):
    lt.set_experiment("alerts over http")
    with lt.start_run() as run:
        first = lt.alert("checkpoint saved", "epoch 3", level="INFO")
        lt.alert_when("val_loss", above=2.0)
        for step, value in enumerate([1.0, math.inf, 3.0]):
            lt.log_metric("val_loss", value, step=step)
    client = lt.Client()
    assert isinstance(client.store, RestStore)
    wait_until(lambda: len(client.search_alerts(run_ids=[run.info.run_id])) == 2, what="2 alerts")
    stored, fired = client.search_alerts(run_ids=[run.info.run_id])
    assert stored == first
    assert (stored.experiment_id, stored.title, stored.text) == (
        run.info.experiment_id,
        "checkpoint saved",
        "epoch 3",
    )
    # +inf crosses JSON as its name and comes back a float.
    assert (fired.metric_key, fired.metric_value, fired.step, fired.level) == (
        "val_loss",
        math.inf,
        1,
        "WARN",
    )
    assert [a.id for a in client.search_alerts(after_id=first.id, run_ids=[run.info.run_id])] == [
        fired.id
    ]
    assert client.store.alerts.last_alert_id() >= fired.id
    assert client.search_alerts(run_ids=[]) == []


def test_the_server_refuses_a_bad_alert_with_a_clear_error(over_http):
    client = lt.Client()
    run_id = client.create_run(client.create_experiment("bad alerts")).info.run_id
    with pytest.raises(NotFound):
        client.store.alerts.add_alert("f" * 32, "t", "", "INFO")
    with pytest.raises(InvalidParameter, match="level must be one of"):
        client.store.alerts.add_alert(run_id, "t", "", "LOUD")
    with pytest.raises(InvalidParameter, match="title must be a non-empty string"):
        client.store.alerts.add_alert(run_id, " ", "", "INFO")
    response = over_http.api("POST", "labtrack/alerts/create", json={"run_id": run_id})
    assert response.status_code == 400 and "title" in response.json()["message"]


def test_writers_add_alerts_and_readers_read_only_what_they_may(world):  # noqa: F811
    world.users.store.grant_experiment("editor", world.experiment_id, "EDIT")
    world.users.store.grant_experiment("ada", world.experiment_id, "READ")
    body = {"run_id": world.run_id, "title": "from the editor", "level": "WARN"}
    added = world.call("POST", "labtrack/alerts/create", basic("editor"), **body)["alert"]
    assert added["experiment_id"] == world.experiment_id
    refused = world.request("POST", world.url("labtrack/alerts/create"), basic("ada"), body)
    assert refused.status_code == 403, refused.text
    # A run in an experiment only the admin may read: its alert is hidden from the others.
    admin = basic("admin")
    hidden = world.call("POST", "experiments/create", admin, name="private")["experiment_id"]
    run = world.call("POST", "runs/create", admin, experiment_id=hidden)["run"]["info"]["run_id"]
    world.call("POST", "labtrack/alerts/create", admin, run_id=run, title="private")
    titles = {
        who: [
            a["title"] for a in world.call("POST", "labtrack/alerts/search", basic(who))["alerts"]
        ]
        for who in ("admin", "ada", "nobody")
    }
    assert titles == {
        "admin": ["from the editor", "private"],
        "ada": ["from the editor"],
        "nobody": [],
    }
    last = world.call("GET", "labtrack/alerts/last-id", basic("ada"))["last_id"]
    assert last > added["id"]
    anonymous = world.request("POST", world.url("labtrack/alerts/search"), None, {})
    assert anonymous.status_code == 401


def test_the_http_store_signs_in_to_add_alerts(world, monkeypatch):  # noqa: F811
    world.users.store.grant_experiment("ada", world.experiment_id, "READ")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ada")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "a good long password")
    client = lt.Client(world.server.url)
    with pytest.raises(AccessDenied):
        client.alert(world.run_id, "a reader may not")
    assert client.search_alerts() == []


def test_mlflow_server_keeps_no_alerts_and_says_so(mlflow_python, tmp_path):
    from ..rest_store.conftest import mlflow_server

    running = mlflow_server(mlflow_python, tmp_path).start()
    try:
        client = lt.Client(running.url)
        run_id = client.create_run(client.create_experiment("no alerts")).info.run_id
        with pytest.raises(InvalidParameter, match="keeps no alerts"):
            client.alert(run_id, "t")
        assert client.search_alerts() == [] and client.last_alert_id() == 0
        # An export to it copies the runs and leaves their alerts behind.
        src = f"sqlite:///{tmp_path / 'src.db'}"
        source = lt.Client(src)
        source_run = source.create_run(source.create_experiment("vision")).info.run_id
        source.alert(source_run, "stays behind")
        source.set_terminated(source_run)
        from labtrack.transfer.mlflow import export_mlflow

        assert export_mlflow(src, running.url).runs_copied == 1
    finally:
        running.stop()


def test_a_reader_reads_past_a_full_page_of_alerts_they_may_not_read(world, monkeypatch):  # noqa: F811
    """The server drops unreadable alerts from a page after taking it: a page of nothing but
    other teams' alerts comes back empty, and the HTTP store reads on from where it ended
    (a cursor such as the sidebar's would otherwise stay put forever)."""
    world.users.store.grant_experiment("ada", world.experiment_id, "READ")
    admin = basic("admin")
    hidden = world.call("POST", "experiments/create", admin, name="other team")["experiment_id"]
    run = world.call("POST", "runs/create", admin, experiment_id=hidden)["run"]["info"]["run_id"]
    for i in range(5):
        world.call("POST", "labtrack/alerts/create", admin, run_id=run, title=f"theirs {i}")
    world.call("POST", "labtrack/alerts/create", admin, run_id=world.run_id, title="ours")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ada")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "a good long password")
    client = lt.Client(world.server.url)
    assert [a.title for a in client.search_alerts(max_results=2)] == ["ours"]
