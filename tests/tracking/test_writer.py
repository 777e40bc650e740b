"""The background writer: batches, flushes on demand, and never loses a point on failure."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import LabtrackError


def test_points_are_buffered_then_persisted_by_flush(tracking_uri):
    client = lt.Client()
    run = client.create_run("0")
    client.writer.interval = 3600  # only an explicit flush may persist
    for step in range(100):
        client.log_metric(run.info.run_id, "x", float(step), step=step)
    assert client.writer.pending >= 1
    client.flush()
    assert client.writer.pending == 0
    assert len(client.store.get_metric_history(run.info.run_id, "x")) == 100


def test_reads_flush_first(tracking_uri):
    with lt.start_run() as run:
        lt.log_metric("x", 1.0)
        assert lt.get_run(run.info.run_id).data.metrics == {"x": 1.0}


def test_a_failing_store_keeps_the_points_and_reports_at_flush(tracking_uri, monkeypatch):
    client = lt.Client()
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "x", 1.0, step=0)
    client.flush()
    real_insert = client.store.insert_metrics

    def broken(rows):
        raise OSError("disk full")

    monkeypatch.setattr(client.store, "insert_metrics", broken)
    for step in range(1, 6):
        client.log_metric(run.info.run_id, "x", float(step), step=step)
    with pytest.raises(LabtrackError, match="disk full.*kept in memory"):
        client.flush()
    assert client.writer.pending == 5
    monkeypatch.setattr(client.store, "insert_metrics", real_insert)
    client.flush()
    assert [m.step for m in client.get_metric_history(run.info.run_id, "x")] == [0, 1, 2, 3, 4, 5]


def test_logging_to_an_unknown_run_fails_at_the_call_site(tracking_uri):
    from labtrack.errors import NotFound

    with pytest.raises(NotFound):
        lt.Client().log_metric("f" * 32, "x", 1.0)
