"""The tracking server goes away mid-logging: points are spooled on local disk, logging goes
on, and once the server is back everything is written, in order, none lost or doubled."""

from __future__ import annotations

import pytest

import labtrack as lt


def test_points_logged_while_the_server_is_down_are_replayed_when_it_is_back(server, park_writer):
    lt.set_experiment("http-spool")
    run = lt.start_run(run_name="through an outage")
    for step in range(1_000):
        lt.log_metric("x", float(step), step=step)
    client = lt.Client()
    client.flush()
    # The writer thread retries a store that is away on its own now and then: once the
    # server is back, that retry could replay (and warn) before the read below does.
    park_writer(client.writer)

    server.stop()
    with pytest.warns(UserWarning, match="cannot take writes"):
        for step in range(1_000, 3_000):
            lt.log_metric("x", float(step), step=step)
        lt.end_run()  # its end waits in the spool with the points before it
    assert client.writer.spool_pending and client.writer.pending == 0
    assert client.writer.spool.pending()

    server.start()  # the same store, on the same port
    with pytest.warns(UserWarning, match="answers again"):
        history = client.get_metric_history(run.info.run_id, "x")
    assert [point.step for point in history] == list(range(3_000))
    assert [point.value for point in history] == [float(step) for step in range(3_000)]
    assert client.get_run(run.info.run_id).info.status == "FINISHED"
    assert not client.writer.spool.pending()
