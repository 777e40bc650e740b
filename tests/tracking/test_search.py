"""search_runs: MLflow's filter language (plus OR and parentheses) into a DataFrame or entities."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import labtrack as lt
from labtrack.errors import InvalidFilter


@pytest.fixture
def svm_runs(tracking_uri):
    lt.set_experiment("svm")
    made = {}
    for name, kernel, c, acc, team in [
        ("a", "rbf", 1.0, 0.95, "vision"),
        ("b", "linear", 1.0, 0.90, "vision-x"),
        ("c", "rbf", 10.0, 0.97, "nlp"),
        ("d", "poly", 0.1, math.nan, "Vision"),
    ]:
        with lt.start_run(run_name=name) as run:
            lt.log_params({"kernel": kernel, "C": c})
            lt.set_tag("team", team)
            lt.log_metric("acc", acc)
        made[name] = run.info.run_id
    # still running (this process is alive), no metrics at all
    lt.Client().create_run(lt.get_experiment_by_name("svm").experiment_id, run_name="e")
    return made


def _names(frame: pd.DataFrame) -> list[str]:
    return list(frame["tags.mlflow.runName"])


def test_dataframe_has_mlflow_columns(svm_runs):
    frame = lt.search_runs(experiment_names=["svm"])
    assert list(frame.columns[:6]) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert {"metrics.acc", "params.kernel", "params.C", "tags.team"} <= set(frame.columns)
    assert str(frame["start_time"].dtype).startswith("datetime64")
    assert frame["metrics.acc"].dtype == float
    assert _names(frame) == ["e", "d", "c", "b", "a"]  # newest first


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("metrics.acc > 0.92", ["c", "a"]),
        ("params.kernel = 'rbf' and metrics.acc >= 0.97", ["c"]),
        ("params.kernel = 'linear' or params.C = '10.0'", ["c", "b"]),
        (
            "(params.kernel = 'linear' or params.kernel = 'poly') and tags.team LIKE 'vision%'",
            ["b"],
        ),
        ("tags.team ILIKE 'vision%'", ["d", "b", "a"]),
        ("params.kernel IN ('poly', 'linear')", ["d", "b"]),
        ("attributes.status = 'RUNNING'", ["e"]),
        ("attributes.run_name = 'a'", ["a"]),
        ("tags.`team` = 'nlp'", ["c"]),
    ],
)
def test_filters(svm_runs, filter_string, expected):
    assert _names(lt.search_runs(experiment_names=["svm"], filter_string=filter_string)) == expected


def test_order_by_metric_puts_missing_values_last(svm_runs):
    frame = lt.search_runs(experiment_names=["svm"], order_by=["metrics.acc DESC"])
    assert _names(frame)[:3] == ["c", "a", "b"]
    frame = lt.search_runs(experiment_names=["svm"], order_by=["metrics.acc ASC"])
    assert _names(frame)[:3] == ["b", "a", "c"]


def test_max_results_and_paging(svm_runs):
    client = lt.Client()
    experiment_id = lt.get_experiment_by_name("svm").experiment_id
    first = client.search_runs([experiment_id], max_results=2)
    second = client.search_runs([experiment_id], max_results=2, page_token=first.token)
    third = client.search_runs([experiment_id], max_results=2, page_token=second.token)
    names = [r.info.run_name for page in (first, second, third) for r in page]
    assert names == ["e", "d", "c", "b", "a"] and third.token is None
    assert len(lt.search_runs(experiment_names=["svm"], max_results=3)) == 3


def test_list_output_gives_run_entities(svm_runs):
    runs = lt.search_runs(
        experiment_names=["svm"], filter_string="metrics.acc > 0.92", output_format="list"
    )
    assert [r.info.run_name for r in runs] == ["c", "a"]
    assert runs[0].data.params == {"kernel": "rbf", "C": "10.0"}


def test_a_malformed_filter_names_the_position(svm_runs):
    with pytest.raises(InvalidFilter, match="position"):
        lt.search_runs(experiment_names=["svm"], filter_string="metrics.acc >> 1")


def test_deleted_runs_are_hidden_unless_asked_for(svm_runs):
    lt.delete_run(svm_runs["a"])
    assert "a" not in _names(lt.search_runs(experiment_names=["svm"]))
    deleted = lt.search_runs(experiment_names=["svm"], run_view_type=lt.ViewType.DELETED_ONLY)
    assert _names(deleted) == ["a"]
    lt.Client().restore_run(svm_runs["a"])
    assert "a" in _names(lt.search_runs(experiment_names=["svm"]))


def test_empty_result_still_has_the_info_columns(tracking_uri):
    frame = lt.search_runs(filter_string="metrics.nothing > 1")
    assert frame.empty and "run_id" in frame.columns


def test_search_all_experiments(svm_runs):
    lt.set_experiment("other")
    with lt.start_run(run_name="z"):
        pass
    assert len(lt.search_runs(search_all_experiments=True)) == 6
    assert _names(lt.search_runs()) == ["z"]  # the active experiment by default
