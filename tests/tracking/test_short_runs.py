"""A short run in two write transactions: its start, then its params, tags, points and end.

The params and tags of the run ``lt.start_run`` made in this process wait in memory with its
points; these tests pin what that must not weaken: errors at the call site, a started run
that other processes see at once, params that reach the store on their own within the flush
interval, and a param another process logged first, which is reported rather than lost.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

import labtrack as lt
from labtrack.errors import InvalidParameter, InvalidState
from labtrack.store.sql import schema
from labtrack.tracking.fluent import wait_for_source_capture
from labtrack.tracking.state import client as current_client


@pytest.fixture
def store(tracking_uri, monkeypatch):
    """The test's store as another process sees it: an engine of its own."""
    lt.set_tracking_uri(tracking_uri)
    engine = sa.create_engine(tracking_uri)
    yield engine
    engine.dispose()


def _transactions(count_writes, park_writer) -> list[str]:
    """The write transactions this process begins on the test's store from now on (the
    writer threads of earlier tests' stores still send their heartbeats: not counted)."""
    wait_for_source_capture()  # earlier runs' git state is written by a thread of its own
    park_writer(current_client().writer)  # its last tick writes what was pending: not counted
    return count_writes(current_client().store.engine)


def _wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def _params(engine, run_id: str) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT params.key, params.value FROM params JOIN runs ON runs.id = params.run_id "
                "WHERE runs.run_uuid = :run"
            ),
            {"run": run_id},
        ).all()
    return dict(rows)


def _status(engine, run_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT status FROM runs WHERE run_uuid = :run"), {"run": run_id}
        ).scalar()


def test_a_short_run_costs_two_write_transactions(store, monkeypatch, count_writes, park_writer):
    with lt.start_run():  # the first run of a store creates its experiment and metric keys
        lt.log_metric("loss", 1.0, step=0)
    # Inside a git repository (this one) the run's git state is recorded when `git status`
    # answers, by a write of its own if the run ended meanwhile: not what is counted here.
    monkeypatch.setattr("labtrack.tracking.context.in_git_repository", lambda folder: False)
    begun = _transactions(count_writes, park_writer)
    with lt.start_run() as run:
        lt.log_params({f"p{i}": i for i in range(10)})
        lt.set_tags({f"t{i}": str(i) for i in range(5)})
        lt.log_param("extra", "x")
        lt.set_tag("stage", "dev")
        for step in range(100):
            lt.log_metric("loss", 1.0 / (step + 1), step=step)
    assert len(begun) == 2
    assert _params(store, run.info.run_id) == {**{f"p{i}": str(i) for i in range(10)}, "extra": "x"}
    data = lt.get_run(run.info.run_id).data
    assert data.tags["t4"] == "4" and data.tags["stage"] == "dev"
    assert data.metrics == {"loss": 0.01}
    assert lt.get_run(run.info.run_id).info.status == "FINISHED"


def test_the_same_tags_on_ended_runs_take_one_transaction(
    store, remove_run, count_writes, park_writer
):
    """How a git call's state reaches the runs that ended while git ran; a run gone from
    the store meanwhile is left out."""
    run_ids = []
    for _ in range(4):
        with lt.start_run() as run:
            pass
        run_ids.append(run.info.run_id)
    *kept, removed = run_ids
    pk = remove_run(removed)  # by another process (its key is cached here)
    begun = _transactions(count_writes, park_writer)
    current_client().set_tags_of_runs([*run_ids, "0" * 32], {"labtrack.git.dirty": "false"})
    assert len(begun) == 1
    for run_id in kept:
        assert lt.get_run(run_id).data.tags["labtrack.git.dirty"] == "false"
    with store.connect() as conn:  # no tag was written for the removed run
        tagged = sa.select(sa.func.count()).where(schema.tags.c.run_id == pk)
        assert conn.execute(tagged).scalar() == 0


def test_a_changed_param_raises_at_the_call_site_before_anything_is_written(
    store, count_writes, park_writer
):
    with lt.start_run() as run:
        begun = _transactions(count_writes, park_writer)
        lt.log_params({"lr": 0.1, "epochs": 3})
        with pytest.raises(InvalidState, match="'lr'.*already logged as '0.1'"):
            lt.log_params({"batch": 32, "lr": 0.2})  # all or nothing, as one transaction was
        with pytest.raises(InvalidState, match="'lr'"):
            lt.log_param("lr", 0.3)
        with pytest.raises(InvalidParameter):
            lt.log_params({"bad key!": 1})
        lt.log_param("lr", 0.1)  # the same value again is fine
        assert begun == []  # all of it was checked in memory
    assert _params(store, run.info.run_id) == {"lr": "0.1", "epochs": "3"}


def test_other_processes_see_the_run_at_once_and_its_params_within_the_interval(store):
    run = lt.start_run()
    try:
        assert _status(store, run.info.run_id) == "RUNNING"  # no flush: the start is its own
        lt.log_params({"lr": 0.1})
        # The writer's next tick writes them, with no flush or read in this process.
        assert _wait_for(lambda: _params(store, run.info.run_id)) == {"lr": "0.1"}
    finally:
        lt.end_run()
    assert _status(store, run.info.run_id) == "FINISHED"


def test_a_param_another_process_logged_first_is_reported_and_the_rest_written(store):
    run = lt.start_run()
    try:
        with store.begin() as conn:  # another process logs lr first, with another value
            conn.execute(
                sa.text(
                    "INSERT INTO params (run_id, key, value) "
                    "SELECT id, 'lr', '0.5' FROM runs WHERE run_uuid = :run"
                ),
                {"run": run.info.run_id},
            )
        lt.log_params({"lr": 0.1, "epochs": 3})  # not known here: queued
        lt.log_metric("loss", 0.5, step=1)
        with pytest.raises(InvalidState, match="'lr'.*already logged as '0.5'"):
            lt.flush()
        lt.flush()  # reported once
    finally:
        lt.end_run()
    assert _params(store, run.info.run_id) == {"lr": "0.5", "epochs": "3"}
    assert lt.get_run(run.info.run_id).data.metrics == {"loss": 0.5}


def test_tags_queued_then_deleted_or_renamed_over_keep_their_order(store):
    with lt.start_run() as run:
        lt.set_tag("scratch", "1")
        lt.delete_tag("scratch")  # the queued tag is written first, then deleted
        lt.set_tag("mlflow.runName", "first")
        lt.Client().update_run(run.info.run_id, name="second")
    got = lt.get_run(run.info.run_id)
    assert "scratch" not in got.data.tags
    assert got.info.run_name == "second" and got.data.tags["mlflow.runName"] == "second"


def test_a_run_of_the_client_api_writes_params_before_the_call_returns(store):
    client = lt.Client()
    run = client.create_run("0")
    client.log_param(run.info.run_id, "lr", 0.1)
    assert _params(store, run.info.run_id) == {"lr": "0.1"}  # no flush: written at once
    client.set_terminated(run.info.run_id)


@pytest.mark.parametrize(
    "call",
    [
        lambda: lt.log_param("lr", 0.1, synchronous=True),
        lambda: lt.log_params({"lr": 0.1}, synchronous=True),
        lambda: lt.set_tag("lr", "0.1", synchronous=True),
        lambda: lt.set_tags({"lr": "0.1"}, synchronous=True),
    ],
    ids=["log_param", "log_params", "set_tag", "set_tags"],
)
def test_synchronous_true_writes_before_returning(store, call, park_writer):
    with lt.start_run() as run:
        park_writer(current_client().writer)  # its thread would not write it soon
        call()
        with store.connect() as conn:
            written = conn.execute(
                sa.text(
                    "SELECT (SELECT value FROM params WHERE run_id = runs.id AND key = 'lr'), "
                    "(SELECT value FROM tags WHERE run_id = runs.id AND key = 'lr') "
                    "FROM runs WHERE run_uuid = :run"
                ),
                {"run": run.info.run_id},
            ).one()
        assert "0.1" in written
