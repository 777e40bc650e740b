"""The background writer: batches, flushes on demand, and never loses a point on failure."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, LabtrackError

from ..waiting import wait_until


def test_points_are_buffered_then_persisted_by_flush(tracking_uri, park_writer):
    client = lt.Client()
    run = client.create_run("0")
    park_writer(client.writer)  # only an explicit flush may persist
    for step in range(100):
        client.log_metric(run.info.run_id, "x", float(step), step=step)
    assert client.writer.pending >= 1
    client.flush()
    assert client.writer.pending == 0
    assert len(client.store.metrics.get_metric_history(run.info.run_id, "x")) == 100


def test_reads_flush_first(tracking_uri):
    with lt.start_run() as run:
        lt.log_metric("x", 1.0)
        assert lt.get_run(run.info.run_id).data.metrics == {"x": 1.0}


def test_a_failing_store_keeps_the_points_and_reports_at_flush(tracking_uri, monkeypatch):
    client = lt.Client()
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "x", 1.0, step=0)
    client.flush()
    real_insert = client.store.metrics.insert_metrics

    def broken(rows, also=None, batch_id=None):
        raise OSError("disk full")

    monkeypatch.setattr(client.store.metrics, "insert_metrics", broken)
    for step in range(1, 6):
        client.log_metric(run.info.run_id, "x", float(step), step=step)
    with pytest.raises(LabtrackError, match="disk full.*kept in memory"):
        client.flush()
    assert client.writer.pending == 5
    monkeypatch.setattr(client.store.metrics, "insert_metrics", real_insert)
    client.flush()
    assert [m.step for m in client.get_metric_history(run.info.run_id, "x")] == [0, 1, 2, 3, 4, 5]


def test_logging_to_an_unknown_run_fails_at_the_call_site(tracking_uri):
    from labtrack.errors import NotFound

    with pytest.raises(NotFound):
        lt.Client().log_metric("f" * 32, "x", 1.0)


def test_a_backlog_past_the_cap_is_persisted_by_the_logging_call(tracking_uri, park_writer):
    """Memory stays bounded when a loop outpaces the writer thread."""
    client = lt.Client()
    run = client.create_run("0")
    park_writer(client.writer)  # the thread never flushes on its own here
    # ... nor is it woken early: a buffer past max_rows wakes it, and under load its batch
    # could leave fewer than 49 points pending and the 50th short of the cap.
    client.writer.max_rows = client.writer.max_pending = 50
    for step in range(49):
        client.log_metric(run.info.run_id, "x", float(step), step=step)
    assert client.writer.pending == 49
    client.log_metric(run.info.run_id, "x", 49.0, step=49)  # the 50th point crosses the cap
    assert client.writer.pending == 0
    assert len(client.store.metrics.get_metric_history(run.info.run_id, "x")) == 50


def test_a_large_batch_with_nan_and_inf_round_trips(tracking_uri):
    """Batches go to SQLite as multi-row statements of bounded size: cross a chunk boundary."""
    client = lt.Client()
    run = client.create_run("0")
    values = [float(i) for i in range(2500)]
    values[999], values[1000], values[2499] = float("nan"), float("inf"), float("-inf")
    for step, value in enumerate(values):
        client.log_metric(run.info.run_id, "x", value, step=step)
    history = client.get_metric_history(run.info.run_id, "x")
    assert [m.step for m in history] == list(range(2500))
    got = [m.value for m in history]
    assert got[999] != got[999] and got[1000] == float("inf") and got[2499] == float("-inf")
    assert got[:999] == values[:999] and got[1001:2499] == values[1001:2499]
    assert client.get_run(run.info.run_id).data.metrics["x"] == float("-inf")


def test_ctrl_c_while_a_flush_takes_the_buffer_loses_no_point(tracking_uri):
    """Taking a large buffer takes a while; an interrupt landing then must find the points
    either still buffered or in the batch that is put back."""
    import signal
    import threading

    from labtrack.tracking.writer import MetricWriter

    client = lt.Client()
    run = client.create_run("0")
    pk = client.store.runs.run_pk(run.info.run_id)
    writer = MetricWriter(client.store)
    writer._thread = threading.current_thread()  # no thread of its own: the test flushes
    count = 500_000
    writer._buffer.extend((pk, "m", float(i), i, i) for i in range(count))

    def interrupt(*_):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.005)  # lands while the flush takes the buffer
    try:
        writer.flush()
    except KeyboardInterrupt:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    writer.flush()
    steps = client.store.metrics.metric_history_arrays(run.info.run_id, "m")[0]
    assert len(steps) == count


def test_a_bad_point_is_refused_before_its_run_is_looked_up(tracking_uri):
    """Validation comes first, as in MLflow: a bad key names the key, even for a run id the
    store does not know."""
    client = lt.Client()
    with pytest.raises(InvalidParameter) as error:
        client.log_metric("0" * 32, "bad//key", 1.0)
    assert "bad//key" in str(error.value)


def test_a_forgotten_stores_writer_ends_its_thread_and_starts_again_when_used(tracking_uri):
    from labtrack.store import forget_stores

    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "x", 0.0, step=0)
    client.set_terminated(run_id)  # no running run is left to heartbeat
    thread = client.writer._thread
    assert thread is not None and thread.is_alive()
    forget_stores()  # as when a process switches stores: nothing reaches this writer now
    # An idle writer of a forgotten store would otherwise wake ten times a second for good:
    # a test process once held 400 of them, which took 40% of a core between them.
    wait_until(lambda: not thread.is_alive(), what="the forgotten store's writer to end")
    assert client.store.metrics.get_metric_history(run_id, "x")[0].value == 0.0
    # The client still holds the writer: what it logs is written without a flush().
    client.log_metric(run_id, "x", 1.0, step=1)
    wait_until(
        lambda: len(client.store.metrics.get_metric_history(run_id, "x")) == 2,
        what="the point logged after the store was forgotten to be written",
    )


def _heartbeat_time(client, run_id: str) -> int:
    """The run's heartbeat as the store has it (ms; 0 if none)."""
    import sqlalchemy as sa

    from labtrack.store.sql import schema

    runs = schema.runs
    with client.store.engine.connect() as conn:
        query = sa.select(runs.c.heartbeat_time).where(runs.c.run_uuid == run_id)
        return conn.execute(query).scalar_one() or 0


def test_a_forgotten_stores_writer_goes_on_heartbeating_a_running_run(tracking_uri):
    from labtrack.store import forget_stores

    client = lt.Client()
    run_id = client.create_run("0").info.run_id  # running, so heartbeated by this process
    client.writer.heartbeat_interval = 0.05

    def heartbeat() -> int:
        return _heartbeat_time(client, run_id)

    wait_until(lambda: heartbeat() > 0, what="a first heartbeat")
    forget_stores()
    at_forget = heartbeat()
    wait_until(lambda: heartbeat() > at_forget, what="a heartbeat after the store was forgotten")
    assert client.writer._thread.is_alive()


def test_a_run_that_logs_nothing_is_heartbeated(tracking_uri, monkeypatch):
    # A process on another host reads a run as dead once its heartbeat is older than
    # LABTRACK_HEARTBEAT_TIMEOUT: a long fit that logs only at its end must not look dead.
    monkeypatch.setenv("LABTRACK_HEARTBEAT_INTERVAL", "0.05")
    client = lt.Client()
    run_id = client.create_run("0").info.run_id

    def heartbeat() -> int:
        return _heartbeat_time(client, run_id)

    at_start = heartbeat()
    wait_until(lambda: heartbeat() > at_start, what="a heartbeat of a run that logged nothing")
