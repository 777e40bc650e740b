"""The HTTP store's transport: credentials, errors naming the server, a server that is away."""

from __future__ import annotations

import time

import pytest

import labtrack as lt
from labtrack.store.rest.http import AccessDenied, ServerAway, display_uri
from labtrack.store.rest.store import RestStore
from labtrack.store.spool import spool_path
from labtrack.tracking.writer import MetricWriter

from ..ports import free_port


def test_display_uri_never_shows_credentials():
    uri = "https://alice:s3cret@tracking.example:8443/base/?token=abc"
    assert display_uri(uri) == "https://tracking.example:8443/base"
    store = RestStore(uri)
    assert "s3cret" not in store.http.base_url
    assert store.http.credentials() == ({}, ("alice", "s3cret"))
    writer = MetricWriter(store)
    assert "s3cret" not in writer.store_display and "s3cret" not in str(writer.spool.path)
    assert spool_path(uri) == spool_path(
        "https://alice:other@tracking.example:8443/base/?token=abc"
    )


def test_credentials_are_read_from_the_environment_at_each_request(monkeypatch):
    store = RestStore("http://127.0.0.1:5000")
    assert store.http.credentials() == ({}, None)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw")
    assert store.http.credentials() == ({}, ("bob", "pw"))
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "mlflow-token")
    assert store.http.credentials() == ({"Authorization": "Bearer mlflow-token"}, None)
    monkeypatch.setenv("LABTRACK_TRACKING_TOKEN", "tok")  # labtrack's own comes first
    assert store.http.credentials() == ({"Authorization": "Bearer tok"}, None)


def test_a_server_that_does_not_answer_is_away_quickly():
    store = RestStore(f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(ServerAway, match="cannot be reached") as raised:
        store.experiments.get_experiment("0")
    assert isinstance(raised.value, ConnectionError)  # what the writer spools on
    assert time.monotonic() - started < 10


def test_missing_or_refused_credentials_name_the_server(auth_server, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    with pytest.raises(AccessDenied, match="no credentials were sent") as raised:
        RestStore(auth_server.url).experiments.get_experiment("0")
    assert auth_server.url in str(raised.value)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong")
    with pytest.raises(AccessDenied, match="refused"):
        RestStore(auth_server.url).experiments.get_experiment("0")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", auth_server.password)
    assert RestStore(auth_server.url).experiments.get_experiment("0").name == "Default"


def test_the_fluent_api_signs_in_with_a_token_and_is_refused_without_rights(
    auth_server, monkeypatch
):
    monkeypatch.setenv("LABTRACK_TRACKING_TOKEN", auth_server.users.new_token("admin"))
    lt.set_tracking_uri(auth_server.url)
    with lt.start_run() as run:
        lt.log_param("a", 1)
        lt.log_metric("m", 0.5)
    got = lt.get_run(run.info.run_id)
    assert got.data.params == {"a": "1"} and got.data.metrics == {"m": 0.5}
    assert got.info.user_id == "admin"  # the server's signed-in user, not this process's login

    monkeypatch.delenv("LABTRACK_TRACKING_TOKEN")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "reader")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", auth_server.password)
    assert lt.get_run(run.info.run_id).data.params == {"a": "1"}
    with pytest.raises(AccessDenied, match="do not allow"):
        lt.start_run()
