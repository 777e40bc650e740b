"""The background writer: batches, flushes on demand, and never loses a point on failure."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, LabtrackError


def test_points_are_buffered_then_persisted_by_flush(tracking_uri):
    client = lt.Client()
    run = client.create_run("0")
    client.writer.interval = 3600  # only an explicit flush may persist
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


def test_a_backlog_past_the_cap_is_persisted_by_the_logging_call(tracking_uri):
    """Memory stays bounded when a loop outpaces the writer thread."""
    client = lt.Client()
    run = client.create_run("0")
    client.flush()
    client.writer.interval = 3600  # the thread never flushes on its own here
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
