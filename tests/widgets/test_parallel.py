"""lt.parallel(): parallel coordinates over runs, params -> metric, selection linked."""

from __future__ import annotations

import json

import pytest
import traitlets

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.widgets import contract
from labtrack.widgets.parallel import Parallel

from .test_contract import FIXTURES, _jsonable, _shape, _state, _typed_dicts_checked


def _axes(widget) -> dict:
    return {axis["name"]: axis for axis in widget.axes}


def test_default_axes_are_the_varying_params_then_the_metric(sweep):
    with lt.start_run(run_name="e"):  # a param that never varies is no axis by default
        lt.log_params({"lr": 0.05, "optimizer": "sgd", "seed": 1})
        lt.log_metric("acc", 0.5)
    for name in "abcd":
        lt.Client().log_param(sweep[name], "seed", 1)
    par = lt.parallel(experiment="sweep")
    assert [a["name"] for a in par.axes] == ["params.lr", "params.optimizer", "metrics.acc"]
    axes = _axes(par)
    assert axes["params.lr"]["kind"] == "number" and axes["params.optimizer"]["kind"] == "category"
    assert axes["metrics.acc"]["kind"] == "number"
    names = par.runs["run_name"]
    assert sorted(names) == ["a", "b", "c", "d", "e"]
    lr = dict(zip(names, axes["params.lr"]["values"], strict=True))
    assert lr == {"a": 0.1, "b": 0.01, "c": 0.001, "d": 0.3, "e": 0.05}
    assert dict(zip(names, axes["params.optimizer"]["values"], strict=True))["b"] == "adam"
    assert par.metric == "acc" and par.params == ["lr", "optimizer"]


def test_chosen_params_and_metric_with_or_without_prefix(sweep):
    par = lt.parallel(params=["params.optimizer", "lr"], metric="metrics.loss", experiment="sweep")
    assert [a["name"] for a in par.axes] == ["params.optimizer", "params.lr", "metrics.loss"]
    par.metric = "acc"  # the front end or the user may switch the metric
    assert par.axes[-1]["name"] == "metrics.acc"
    assert par.axes[-1]["label"] == "acc"


def test_bad_input_is_refused_at_the_call(sweep):
    with pytest.raises(InvalidParameter, match="no param 'nope'.*lr"):
        lt.parallel(params=["nope"], experiment="sweep")
    with pytest.raises(InvalidParameter, match="no metric 'nope'.*acc"):
        lt.parallel(metric="nope", experiment="sweep")
    with pytest.raises(InvalidParameter, match="list of param names"):
        lt.parallel(params="lr", experiment="sweep")


def test_runs_without_the_metric_are_left_out_and_a_filter_applies(sweep):
    with lt.start_run(run_name="no-acc"):
        lt.log_param("lr", 0.5)
    par = lt.parallel(experiment="sweep")
    assert "no-acc" not in par.runs["run_name"]
    par = lt.parallel(experiment="sweep", filter="params.optimizer = 'adam'")
    assert sorted(par.runs["run_name"]) == ["b", "c"]


def test_empty_experiments_and_runs_without_params_explain_themselves(tracking_uri):
    lt.set_experiment("empty")
    par = lt.parallel(experiment="empty")
    assert par.axes == [] and "No runs" in par.empty_message
    with lt.start_run():
        lt.log_metric("acc", 1.0)
    par = lt.parallel(experiment="empty")
    assert par.axes == [] and "no params" in par.empty_message
    assert "no params" in par._repr_mimebundle_()[0]["text/plain"]


def test_selection_links_to_the_run_table(sweep):
    table, par = lt.runs("sweep"), lt.parallel(experiment="sweep")
    traitlets.link((table, "selected"), (par, "selected"))
    par.selected = [sweep["a"], sweep["d"]]  # a brush in the browser sets this
    assert table.selected == [sweep["a"], sweep["d"]]
    table.selected = [sweep["b"]]
    assert par.selected == [sweep["b"]]


def test_dashboard_adds_parallel_coordinates_when_runs_have_params(sweep):
    board = lt.dashboard("sweep")
    assert isinstance(board.parallel, Parallel)
    board.parallel.selected = [sweep["c"]]
    assert board.table.selected == [sweep["c"]] and board.chart.selected == [sweep["c"]]
    board.chart.close()


def test_fallback_lists_each_run_on_the_axes(sweep):
    par = lt.parallel(experiment="sweep")
    header, rows, caption = par.fallback_table()
    assert header == ["run", "lr", "optimizer", "acc"]
    assert len(rows) == 4 and "parallel coordinates" in caption
    assert "<td>adam</td>" in par._repr_mimebundle_()[0]["text/html"]


def test_state_matches_the_contract_and_the_front_end_fixture(sweep):
    import os

    par = lt.parallel(experiment="sweep")
    assert Parallel.state_type is contract.ParallelState
    met = _typed_dicts_checked(_state(par), contract.ParallelState, "parallel")
    assert met == {"ParallelState", "ParallelRuns", "ParallelAxis"}
    path = FIXTURES / "parallel.json"
    if os.environ.get("LABTRACK_WRITE_FIXTURES"):
        path.write_text(json.dumps(_jsonable(_state(par)), indent=1, sort_keys=True) + "\n")
    fixture = json.loads(path.read_text())
    assert sorted(fixture) == sorted(_state(par))
    for key, value in _state(par).items():
        if value and fixture[key] not in ([], {}, None, ""):
            assert _shape(value) == _shape(fixture[key]), key
