"""lt.chart(group_by=...): one line per group, the mean over its runs with a min-max band."""

from __future__ import annotations

import numpy as np
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.widgets import _data


def floats(data: bytes) -> list[float]:
    return np.frombuffer(data, dtype="<f8").tolist()


@pytest.fixture
def grouped(tracking_uri):
    """Two adam runs, one sgd run, one run in no group; loss logged at steps 0..2."""
    lt.set_experiment("grouped")
    for name, group, losses in [
        ("a1", "adam", [1.0, 2.0, 3.0]),
        ("a2", "adam", [3.0, 4.0, 5.0]),
        ("s1", "sgd", [10.0, 9.0, 8.0]),
        ("n1", None, [7.0, 7.0, 7.0]),
    ]:
        with lt.start_run(run_name=name, group=group):
            lt.log_param("optimizer", group or "none")
            for step, loss in enumerate(losses):
                lt.log_metric("loss", loss, step=step)


def test_each_group_is_its_mean_with_a_min_max_band(grouped):
    chart = lt.chart("loss", experiment="grouped", group_by="tags.labtrack.group")
    try:
        assert chart.series == []
        by_group = {line["group"]: line for line in chart.groups}
        assert list(by_group) == ["adam", "sgd", "(none)"]  # by name, runs without last
        adam = by_group["adam"]
        assert (adam["metric"], adam["runs"], adam["points"]) == ("loss", 2, 3)
        assert floats(adam["x"]) == [0.0, 1.0, 2.0]
        assert floats(adam["mean"]) == [2.0, 3.0, 4.0]
        assert floats(adam["low"]) == [1.0, 2.0, 3.0]
        assert floats(adam["high"]) == [3.0, 4.0, 5.0]
        assert by_group["sgd"]["runs"] == 1 and floats(by_group["sgd"]["mean"]) == [10, 9, 8]
        header, rows, _ = chart.fallback_table()
        assert header == ["tags.labtrack.group", "metric", "runs", "last mean"]
        assert rows[0] == ["adam", "loss", 2, 4.0]
    finally:
        chart.close()


def test_any_search_runs_column_groups_and_switching_back_draws_runs(grouped):
    chart = lt.chart("loss", experiment="grouped", group_by="params.optimizer")
    try:
        assert [line["group"] for line in chart.groups] == ["adam", "none", "sgd"]
        chart.group_by = ""
        assert chart.groups == [] and len(chart.series) == 4
        chart.group_by = "params.optimizer"
        assert len(chart.groups) == 3 and chart.series == []
    finally:
        chart.close()


def test_a_group_of_runs_logging_new_points_is_redrawn(grouped):
    from labtrack.widgets import MetricChart
    from labtrack.widgets._source import RunSource

    source = RunSource("grouped")
    chart = MetricChart(source, ["loss"], group_by="tags.labtrack.group", poll=False)
    try:
        with lt.start_run(run_name="a3", group="adam"):
            lt.log_metric("loss", 5.0, step=0)
        chart.poll()
        adam = next(line for line in chart.groups if line["group"] == "adam")
        assert adam["runs"] == 3 and floats(adam["mean"])[0] == 3.0
        assert floats(adam["high"])[0] == 5.0
    finally:
        chart.close()


def test_bad_group_by_is_refused_at_the_call(grouped):
    with pytest.raises(InvalidParameter, match="group_by: no column 'params.nope'"):
        lt.chart("loss", experiment="grouped", group_by="params.nope")
    with pytest.raises(InvalidParameter, match="x_axis"):
        lt.chart("loss", experiment="grouped", group_by="params.optimizer", x_axis="wall")


def test_group_series_aligns_runs_on_steps_and_bins_many_steps():
    # Runs logging different steps: each x averages the runs that have a point there.
    line = _data.group_series(
        "g", "loss", [(np.array([0, 1, 2]), np.array([1.0, np.nan, 3.0])), ([1, 2], [5.0, 7.0])]
    )
    assert floats(line["x"]) == [0, 1, 2]
    assert floats(line["mean"]) == [1.0, 5.0, 5.0]
    assert floats(line["low"]) == [1.0, 5.0, 3.0] and floats(line["high"]) == [1.0, 5.0, 7.0]
    # 1,000 distinct steps into 10 bins: a run counts once per bin (its points averaged).
    steps = np.arange(1000)
    line = _data.group_series("g", "m", [(steps, np.ones(1000)), (steps, np.zeros(1000))], 10)
    assert line["points"] == 10
    assert floats(line["mean"]) == [0.5] * 10
    assert floats(line["low"]) == [0.0] * 10 and floats(line["high"]) == [1.0] * 10
    assert floats(line["x"])[0] == pytest.approx(49.95)
    empty = _data.group_series("g", "m", [])
    assert empty["points"] == 0 and empty["runs"] == 0


def test_polling_a_grouped_chart_rereads_only_the_runs_still_logging(grouped, monkeypatch):
    from labtrack.widgets import MetricChart
    from labtrack.widgets._source import RunSource

    source = RunSource("grouped")
    read = []
    real = source.client.get_metric_history_for_chart

    def counted(run_id, key, max_points):  # the real read, counted
        read.append(run_id)
        return real(run_id, key, max_points)

    monkeypatch.setattr(source.client, "get_metric_history_for_chart", counted)
    chart = MetricChart(source, ["loss"], group_by="tags.labtrack.group", poll=False)
    try:
        assert len(read) == 4
        read.clear()
        with lt.start_run(run_name="live", group="sgd") as live:
            lt.log_metric("loss", 4.0, step=0)
            chart.poll()
            assert read == [live.info.run_id]  # the four ended runs come from the cache
            sgd = next(line for line in chart.groups if line["group"] == "sgd")
            assert sgd["runs"] == 2 and floats(sgd["low"])[0] == 4.0
    finally:
        chart.close()
