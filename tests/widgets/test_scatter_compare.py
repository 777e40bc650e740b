"""lt.scatter(), lt.compare() and lt.dashboard()."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter


def test_scatter_numeric_params_and_categorical_color(sweep):
    points = lt.scatter("params.lr", "metrics.acc", color="params.optimizer", experiment="sweep")
    assert points.x_kind == "number" and points.y_kind == "number"
    by_name = dict(zip(points.points["run_name"], points.points["x"], strict=False))
    assert by_name == {"a": 0.1, "b": 0.01, "c": 0.001, "d": 0.3}
    assert sorted(set(points.points["color"])) == ["adam", "sgd"]
    assert len(points.points["run_id"]) == len(points.points["y"]) == 4


def test_scatter_categorical_axis_and_unknown_column(sweep):
    points = lt.scatter("params.optimizer", "metrics.loss", experiment="sweep")
    assert points.x_kind == "category" and set(points.points["x"]) == {"adam", "sgd"}
    with pytest.raises(InvalidParameter, match="no column 'metrics.nope'"):
        lt.scatter("params.lr", "metrics.nope", experiment="sweep")


def test_scatter_skips_runs_missing_a_value(sweep):
    with lt.start_run(run_name="no-acc"):
        lt.log_param("lr", 0.5)
    points = lt.scatter("params.lr", "metrics.acc", experiment="sweep")
    assert "no-acc" not in points.points["run_name"]


def test_compare_marks_differences_and_best_values(sweep):
    view = lt.compare(sweep["a"], sweep["b"])
    assert [r["run_name"] for r in view.runs] == ["a", "b"]
    params = {p["key"]: p for p in view.params}
    assert params["lr"]["values"] == ["0.1", "0.01"] and params["lr"]["differs"] is True
    metrics = {m["key"]: m for m in view.metrics}
    assert metrics["loss"]["best"] == 0  # lower is better for a loss: run a
    assert metrics["acc"]["best"] == 0
    assert view.metric == "acc"  # first metric by name
    assert [s["run_name"] for s in view.series] == ["a", "b"]
    view.metric = "loss"
    assert {s["metric"] for s in view.series} == {"loss"}
    with pytest.raises(InvalidParameter, match="at least two"):
        lt.compare(sweep["a"])
    html = view._repr_mimebundle_()[0]["text/html"]
    assert "params.lr *" in html


def test_compare_accepts_runs_and_dataframes(sweep):
    frame = lt.search_runs(experiment_names=["sweep"], filter_string="params.optimizer = 'adam'")
    assert {r["run_name"] for r in lt.compare(frame).runs} == {"b", "c"}
    runs = lt.search_runs(experiment_names=["sweep"], output_format="list")[:3]
    assert len(lt.compare(runs).runs) == 3


def test_dashboard_links_selection(sweep):
    board = lt.dashboard("sweep")
    table, chart = board.table, board.chart
    table.selected = [sweep["b"]]
    assert chart.selected == [sweep["b"]] and [s["run_name"] for s in chart.series] == ["b"]
    scatter = board.children[1].children[1]
    scatter.selected = [sweep["c"]]  # a click in the scatter
    assert table.selected == [sweep["c"]] and chart.selected == [sweep["c"]]
    chart.close()


def test_scatter_shows_a_float32_param_in_its_shortest_form(tracking_uri):
    import numpy as np

    lt.set_experiment("keras-scatter")
    for rate in (0.001, 0.01):
        with lt.start_run():
            lt.log_param("learning_rate", float(np.float32(rate)))  # as Keras logs it
            lt.log_metric("acc", 0.9)
    points = lt.scatter("params.learning_rate", "metrics.acc", experiment="keras-scatter")
    assert sorted(points.points["x"]) == [0.001, 0.01]
