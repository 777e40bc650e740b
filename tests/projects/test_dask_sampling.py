"""Random search and the early-stopping rule, without a cluster: the range syntax, seeded
draws within their ranges (a local random sweep), the median rule, and bad input refused."""

from __future__ import annotations

import json

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.errors import InvalidParameter
from labtrack.projects.early_stop import EarlyStop
from labtrack.projects.sampling import (
    Choice,
    IntUniform,
    RandomSampler,
    Uniform,
    parse_distribution,
    search_space,
)


def test_ranges_and_choices_parse_and_bad_ones_are_refused():
    assert parse_distribution("lr", "loguniform:1e-4:1e-1") == Uniform(1e-4, 1e-1, log=True)
    assert parse_distribution("a", "uniform:0:2") == Uniform(0.0, 2.0)
    assert parse_distribution("n", "int:1:8") == IntUniform(1, 8)
    assert parse_distribution("k", "choice:rbf,linear") == Choice(("rbf", "linear"))
    assert parse_distribution("k", "rbf") is None  # a fixed value
    for text, reason in [
        ("uniform:2:1", "above the high end"),
        ("loguniform:0:1", "positive low end"),
        ("int:1.5:3", "two int bounds"),
        ("uniform:1", "two float bounds"),
    ]:
        with pytest.raises(InvalidParameter, match=reason):
            parse_distribution("x", text)
    space, fixed = search_space({"lr": "loguniform:1e-3:1e-1", "layers": [1, 2], "seed": 7})
    assert space == {"lr": Uniform(1e-3, 1e-1, log=True), "layers": Choice((1, 2))}
    assert fixed == {"seed": 7}
    with pytest.raises(InvalidParameter, match="needs a parameter to draw"):
        search_space({"seed": 7})


def test_random_draws_stay_in_their_ranges_and_repeat_with_a_seed():
    space = {"lr": Uniform(1e-4, 1e-1, log=True), "n": IntUniform(1, 3), "k": Choice(("a", "b"))}
    points = RandomSampler(space, {"fixed": 1}, trials=200, seed=3).points
    assert points == RandomSampler(space, {"fixed": 1}, trials=200, seed=3).points
    assert all(1e-4 <= p["lr"] <= 1e-1 and p["fixed"] == 1 for p in points)
    assert {p["n"] for p in points} == {1, 2, 3} and {p["k"] for p in points} == {"a", "b"}
    # log-uniform: about a third of the draws in each decade
    assert 40 < sum(p["lr"] < 1e-3 for p in points) < 95
    with pytest.raises(InvalidParameter, match="trials >= 1"):
        RandomSampler(space, {}, trials=0)


def test_median_rule_stops_a_point_worse_than_the_median_of_finished_ones_at_its_step():
    rule = EarlyStop("loss", maximize=False, min_finished=2)
    finished = [{0: 1.0, 1: 0.5, 2: 0.2}, {0: 1.2, 1: 0.6}, {0: 0.8}]
    assert rule.verdict({}, finished) is None
    assert rule.verdict({0: 0.9}, finished) is None  # the median at step 0 is 1.0
    assert "loss=1.1 at step 0 is worse than the median 1 of 3" in rule.verdict({0: 1.1}, finished)
    assert rule.verdict({0: 2.0, 1: 0.5}, finished) is None  # judged at its latest step only
    assert rule.verdict({2: 9.0}, finished) is None  # one finished run at step 2: too few
    assert EarlyStop("acc", maximize=True, min_finished=1).verdict({0: 0.4}, [{0: 0.5}])
    assert EarlyStop.parse("val_loss") == EarlyStop("val_loss", maximize=False)
    assert EarlyStop.parse("accuracy") == EarlyStop("accuracy", maximize=True)
    assert EarlyStop.parse("score:min") == EarlyStop("score", maximize=False)
    with pytest.raises(InvalidParameter, match="METRIC:min or METRIC:max"):
        EarlyStop.parse("loss:lower")


def test_a_local_random_sweep_runs_seeded_draws_within_the_ranges(tracking_uri, score_project):
    args = ["--tracking-uri", tracking_uri, "run", str(score_project), "-e", "rnd", "--seed", "5"]
    params = ["-P", "a=uniform:0.5:2", "-P", "b=choice:1,3", "-P", "label=z"]
    assert main([*args, *params, "--sampler", "random", "--trials", "3"]) == 0
    runs = lt.search_runs(experiment_names=["rnd"])
    parent = runs[runs["tags.mlflow.parentRunId"].isna()].iloc[0]
    children = runs[runs["tags.mlflow.parentRunId"] == parent["run_id"]]
    assert len(children) == 3 and set(children["status"]) == {"FINISHED"}
    assert parent["params.label"] == "z" and parent["tags.labtrack.sweep.size"] == "3"
    drawn = RandomSampler(*search_space({"a": "uniform:0.5:2", "b": [1, 3]}), trials=3, seed=5)
    recorded = sorted(
        (float(row["params.a"]), int(row["params.b"])) for _, row in children.iterrows()
    )
    assert recorded == sorted((p["a"], p["b"]) for p in drawn.points)
    for _, child in children.iterrows():
        values = json.loads(child["tags.labtrack.project.parameters"])
        assert child["metrics.score"] == pytest.approx(values["a"] * values["b"])


def test_bad_sampler_input_is_refused_before_anything_runs(client, score_project):
    experiment = lt.set_experiment("refused").experiment_id
    for kwargs, reason in [
        ({"sampler": "random", "trials": 2, "parameters": {"b": "uniform:0.5:2"}}, "'b'"),
        ({"sampler": "bayes", "parameters": {"b": 1}}, "sampler must be one of"),
        ({"trials": 3, "parameters": {"b": [1, 2]}}, "trials and seed go with"),
        ({"early_stop": "loss", "parameters": {"b": [1, 2]}}, "run on Dask"),
        ({"sampler": "optuna", "trials": 2, "parameters": {"b": "int:1:3"}}, "needs a metric"),
        (
            {"sampler": "optuna", "trials": 2, "metric": "score", "parameters": {"b": "int:1:3"}},
            "run on Dask",
        ),
    ]:
        with pytest.raises(InvalidParameter, match=reason):
            lt.run(score_project, **kwargs)
    assert client.search_runs([experiment]) == []


def test_optuna_hears_finished_trials_values_and_stopped_ones_as_pruned():
    optuna = pytest.importorskip("optuna")
    from labtrack.projects.sampling import FAILED, FINISHED, STOPPED, OptunaSampler

    space = {"x": Uniform(-1.0, 1.0), "k": Choice(("a", "b"))}
    sampler = OptunaSampler(space, {"fixed": 3}, trials=3, maximize=False, seed=0)
    asked = [sampler.ask() for _ in range(3)]
    assert sampler.ask() is None  # three trials, no more
    for (trial, values), (ended, value) in zip(
        asked, [(FINISHED, 0.25), (STOPPED, None), (FAILED, None)], strict=True
    ):
        assert values["fixed"] == 3 and -1 <= values["x"] <= 1 and values["k"] in ("a", "b")
        sampler.tell(trial, ended, value)
    states = [t.state for t in sampler.study.trials]
    State = optuna.trial.TrialState
    assert states == [State.COMPLETE, State.PRUNED, State.FAIL]
    assert sampler.study.best_value == 0.25 and sampler.study.direction.name == "MINIMIZE"
