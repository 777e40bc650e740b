"""lt.chart(): series per run and metric, downsampled, and live while runs log."""

from __future__ import annotations

import numpy as np
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter

from ..waiting import wait_until


def test_one_series_per_run_and_metric(sweep):
    chart = lt.chart(["loss", "acc"], runs=[sweep["a"], sweep["b"]], experiment="sweep")
    assert [(s["run_name"], s["metric"]) for s in chart.series] == [
        ("a", "loss"),
        ("a", "acc"),
        ("b", "loss"),
        ("b", "acc"),
    ]
    first = chart.series[0]
    x, y = np.frombuffer(first["x"], "<f8"), np.frombuffer(first["y"], "<f8")
    assert list(x) == list(range(20)) and y[0] == 1.0 and first["total_points"] == 20
    assert chart.live is False
    chart.close()


def test_default_is_the_latest_runs_that_log_the_metric(sweep):
    chart = lt.chart("loss", experiment="sweep")
    assert chart.selected == [] and chart.follow_latest
    assert [s["run_id"] for s in chart.series] == [sweep["d"], sweep["c"], sweep["b"], sweep["a"]]
    chart.close()


def test_x_axis_modes(sweep):
    chart = lt.chart("loss", runs=[sweep["a"]], experiment="sweep", x_axis="relative")
    x = np.frombuffer(chart.series[0]["x"], "<f8")
    assert x[0] >= 0 and (np.diff(x) >= 0).all()
    chart.x_axis = "wall"
    assert np.frombuffer(chart.series[0]["x"], "<f8")[0] > 1.6e12
    chart.close()


def test_a_million_points_are_downsampled_in_the_kernel(tracking_uri):
    client = lt.Client()
    run = client.create_run("0", run_name="long")
    rng = np.random.default_rng(1)
    values = rng.normal(size=1_000_000)
    values[500_000] = 99.0
    from labtrack.entities import Metric

    for start in range(0, 1_000_000, 100_000):
        client.log_batch(
            run.info.run_id,
            metrics=[
                Metric("loss", float(v), 0, start + i)
                for i, v in enumerate(values[start : start + 100_000])
            ],
        )
    chart = lt.chart("loss", runs=[run.info.run_id])
    line = chart.series[0]
    assert line["total_points"] == 1_000_000 and line["points"] <= 2000
    assert 99.0 in np.frombuffer(line["y"], "<f8")
    chart.close()


def test_updates_live_while_a_run_in_this_kernel_logs(tracking_uri):
    lt.set_experiment("live")
    run = lt.start_run(run_name="training")
    lt.log_metric("loss", 1.0, step=0)
    chart = lt.chart("loss")
    assert chart.live and chart.series[0]["total_points"] == 1
    for step in range(1, 50):
        lt.log_metric("loss", 1.0 / (step + 1), step=step)
    wait_until(
        lambda: chart.series and chart.series[0]["total_points"] == 50, what="the poller to redraw"
    )
    lt.end_run()
    wait_until(lambda: not chart.live, what="the chart to stop being live")
    assert [s["run_id"] for s in chart.series] == [run.info.run_id]
    chart.close()


def test_picks_up_runs_started_later(tracking_uri):
    lt.set_experiment("later")
    chart = lt.chart("loss")
    assert chart.series == [] and "No run logs 'loss' yet" in chart.empty_message
    with lt.start_run() as run:
        lt.log_metric("loss", 0.5)
    wait_until(
        lambda: [s["run_id"] for s in chart.series] == [run.info.run_id], 20, "the new run's series"
    )
    assert chart.empty_message == ""
    chart.close()


def test_selecting_runs_from_outside_stops_following_the_latest(sweep):
    chart = lt.chart("loss", experiment="sweep")
    chart.selected = [sweep["a"]]
    assert [s["run_name"] for s in chart.series] == ["a"] and chart.follow_latest is False
    chart.selected = []
    assert chart.follow_latest is True and len(chart.series) == 4
    chart.close()


def test_bad_arguments(sweep):
    with pytest.raises(InvalidParameter):
        lt.chart([], experiment="sweep")
    chart = lt.chart("loss", experiment="sweep")
    with pytest.raises(Exception, match="smoothing"):
        chart.smoothing = 1.5
    chart.close()
    assert not chart._poller.running or chart._poller._stop.is_set()


def test_fallback_summarises_the_curves(sweep):
    chart = lt.chart("loss", runs=[sweep["a"]], experiment="sweep")
    text = chart._repr_mimebundle_()[0]["text/plain"]
    assert "a" in text and "loss" in text and "20" in text
    chart.close()
