"""``synchronous=`` as in MLflow. Params and tags are written before the call returns whatever
it says; metric points are buffered by default (None), persisted before the call returns with
True, and with False the call hands back a ``RunOperations`` whose ``wait()`` persists them."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.entities import Metric
from labtrack.errors import InvalidParameter
from labtrack.tracking.operations import RunOperations

# (call, what MLflow returns when it waits) for each call that takes synchronous=.
FLUENT_CALLS = {
    "log_param": (lambda s: lt.log_param("lr", 0.1, synchronous=s), 0.1),
    "log_params": (lambda s: lt.log_params({"lr": 0.1}, synchronous=s), None),
    "set_tag": (lambda s: lt.set_tag("stage", "dev", synchronous=s), None),
    "set_tags": (lambda s: lt.set_tags({"stage": "dev"}, synchronous=s), None),
}
METRIC_CALLS = {
    "log_metric": lambda s: lt.log_metric("loss", 0.5, step=1, synchronous=s),
    "log_metrics": lambda s: lt.log_metrics({"loss": 0.5}, step=1, synchronous=s),
}
# The client's metric calls, into the given run.
CLIENT_METRIC_CALLS = {
    "log_metric": lambda client, run_id, s: client.log_metric(
        run_id, "loss", 0.5, step=1, synchronous=s
    ),
    "log_batch": lambda client, run_id, s: client.log_batch(
        run_id, metrics=[Metric("loss", 0.5, 1_700_000_000_000, 1)], synchronous=s
    ),
}


def _written(run_id: str) -> tuple[str | None, str | None]:
    """The param or the tag the calls above write, as the store holds them."""
    data = lt.Client().get_run(run_id).data
    return data.params.get("lr"), data.tags.get("stage")


WRITTEN = {("0.1", None), (None, "dev")}  # the param or the tag, never neither


@pytest.mark.parametrize("name", FLUENT_CALLS)
@pytest.mark.parametrize("synchronous", [None, True])
def test_a_waiting_call_returns_what_mlflow_returns_with_the_value_written(
    tracking_uri, name, synchronous
):
    call, expected = FLUENT_CALLS[name]
    with lt.start_run() as run:
        assert call(synchronous) == expected
        assert _written(run.info.run_id) in WRITTEN


@pytest.mark.parametrize("name", FLUENT_CALLS)
def test_synchronous_false_returns_run_operations_already_done(tracking_uri, name):
    call, _ = FLUENT_CALLS[name]
    with lt.start_run() as run:
        operations = call(False)
        # Written before the call returned, not when wait() is called.
        assert _written(run.info.run_id) in WRITTEN
        assert operations.wait() is None


def test_the_client_calls_honour_synchronous_like_mlflow(client):
    run_id = client.create_run("0").info.run_id
    assert client.log_param(run_id, "lr", 0.1) == 0.1
    assert client.log_param(run_id, "lr", 0.1, synchronous=True) == 0.1
    assert client.log_param(run_id, "batch", 32, synchronous=False).wait() is None
    assert client.set_tag(run_id, "stage", "dev", synchronous=True) is None
    assert client.set_tag(run_id, "owner", "ana", synchronous=False).wait() is None
    data = client.get_run(run_id).data
    assert data.params == {"lr": "0.1", "batch": "32"}
    assert data.tags["stage"] == "dev" and data.tags["owner"] == "ana"


@pytest.mark.parametrize("bad", ["false", 0, 1, [True]])
def test_a_synchronous_that_is_not_a_bool_is_refused_before_anything_happens(tracking_uri, bad):
    calls = {name: call for name, (call, _) in FLUENT_CALLS.items()} | METRIC_CALLS
    for name, call in calls.items():
        with pytest.raises(InvalidParameter, match="synchronous"):
            call(bad)
        assert lt.active_run() is None, f"{name} started a run before refusing synchronous={bad!r}"
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameter, match="synchronous"):
        client.log_param(run_id, "lr", 0.1, synchronous=bad)
    with pytest.raises(InvalidParameter, match="synchronous"):
        client.set_tag(run_id, "stage", "dev", synchronous=bad)
    data = client.get_run(run_id).data
    assert data.params == {} and "stage" not in data.tags


@pytest.fixture
def held_back(tracking_uri, monkeypatch):
    """A store whose background writer waits an hour between flushes: only the caller's
    flush (or a wait()) persists a point. Yields a count of the points in the store, read
    over a connection of its own (labtrack's reads flush first)."""
    from labtrack.store.sql import connection

    monkeypatch.setenv("LABTRACK_FLUSH_INTERVAL", "3600")  # read when the writer is made
    engine = connection.create_engine(tracking_uri)

    def stored_points() -> int:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM metrics").scalar_one()

    yield stored_points
    engine.dispose()


@pytest.mark.parametrize("name", METRIC_CALLS)
def test_metric_points_are_buffered_by_default(held_back, name):
    with lt.start_run():
        assert METRIC_CALLS[name](None) is None
        assert held_back() == 0  # the fast path: the call did not wait for the store
    assert held_back() == 1  # end_run persisted it


@pytest.mark.parametrize("name", METRIC_CALLS)
def test_synchronous_true_persists_metric_points_before_returning(held_back, name):
    with lt.start_run():
        assert METRIC_CALLS[name](True) is None
        assert held_back() == 1


@pytest.mark.parametrize("name", METRIC_CALLS)
def test_synchronous_false_returns_run_operations_whose_wait_persists_the_points(held_back, name):
    with lt.start_run():
        operations = METRIC_CALLS[name](False)
        assert isinstance(operations, RunOperations)
        assert held_back() == 0  # buffered: the call returned at once
        assert operations.wait() is None
        assert held_back() == 1
        operations.wait()  # again: nothing more to do
        assert held_back() == 1


@pytest.mark.parametrize("name", CLIENT_METRIC_CALLS)
@pytest.mark.parametrize("bad", ["false", 0, 1, [True]])
def test_the_client_metric_calls_refuse_a_synchronous_that_is_not_a_bool(held_back, name, bad):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameter, match="synchronous"):
        CLIENT_METRIC_CALLS[name](client, run_id, bad)
    client.flush()
    assert held_back() == 0  # refused before the point was buffered


@pytest.mark.parametrize("name", CLIENT_METRIC_CALLS)
def test_the_client_metric_calls_honour_synchronous_like_mlflow(held_back, name):
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    call = CLIENT_METRIC_CALLS[name]
    assert call(client, run_id, None) is None
    assert held_back() == 0  # buffered
    assert call(client, run_id, True) is None
    assert held_back() == 2  # persisted with the one before it
    operations = call(client, run_id, False)
    assert isinstance(operations, RunOperations)
    assert held_back() == 2  # buffered: the call returned at once
    assert operations.wait() is None
    assert held_back() == 3
