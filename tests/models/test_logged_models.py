"""MLflow 3's Python API for logged models and datasets, on labtrack's own store: log_model
gives a model id and a ``models:/<model_id>`` URI that loads; logged models are found by
get/search/last_logged_model; metrics link to a model and a dataset; datasets from pandas and
numpy carry MLflow's digest, schema and profile and read back from ``run.inputs``."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound

from ..mlflow_env import mlflow_python  # noqa: F401  (the session fixture)


@pytest.fixture
def iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


@pytest.fixture
def classifier(iris):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(max_iter=300).fit(X, y)


def test_log_model_gives_a_logged_model_whose_uri_loads(iris, classifier):
    X, _ = iris
    with lt.start_run() as run:
        info = lt.log_model(
            classifier,
            name="clf",
            params={"C": 1.0},
            tags={"team": "vision"},
            model_type="classifier",
            step=3,
        )
    assert re.fullmatch(r"m-[0-9a-f]{32}", info.model_id)
    assert info.model_uri == f"models:/{info.model_id}"
    assert (info.name, info.run_id) == ("clf", run.info.run_id)
    np.testing.assert_array_equal(
        lt.load_model(info.model_uri).predict(X[:5]), classifier.predict(X[:5])
    )
    # the run's URI names the same files
    np.testing.assert_array_equal(
        lt.load_model(f"runs:/{run.info.run_id}/clf").predict(X[:5]), classifier.predict(X[:5])
    )
    model = lt.get_logged_model(info.model_id)
    assert (model.name, model.source_run_id, model.status) == ("clf", run.info.run_id, "READY")
    assert (model.params, model.tags, model.model_type) == (
        {"C": "1.0"},
        {"team": "vision"},
        "classifier",
    )
    assert lt.last_logged_model().model_id == info.model_id


def test_artifact_path_still_names_the_model(classifier):
    with lt.start_run():
        info = lt.log_model(classifier, artifact_path="legacy")
    assert lt.get_logged_model(info.model_id).name == "legacy"
    assert info.artifact_path == "legacy"


def test_a_model_that_fails_to_save_is_marked_failed(classifier, tmp_path):
    with lt.start_run(), pytest.raises(InvalidParameter):
        lt.log_model(classifier, "bad", flavor="pytorch")  # not a torch model
    [model] = lt.search_logged_models(output_format="list")
    assert (model.name, model.status) == ("bad", "FAILED")


def test_unknown_model_ids_are_not_found():
    with pytest.raises(NotFound):
        lt.load_model("models:/m-" + "0" * 32)
    with pytest.raises(NotFound):
        lt.get_logged_model("m-" + "0" * 32)


def test_search_logged_models_filters_as_mlflow_documents(classifier):
    lt.set_experiment("search-models")
    with lt.start_run():
        for name, acc, lr in (("a", 0.8, "0.1"), ("b", 0.95, "0.01")):
            info = lt.log_model(classifier, name=name, params={"lr": lr})
            lt.log_metric("acc", acc, model_id=info.model_id)
    frame = lt.search_logged_models()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["name"]) == ["b", "a"]  # newest first
    assert {"model_id", "params", "metrics", "status", "source_run_id"} <= set(frame.columns)
    found = lt.search_logged_models(filter_string="metrics.acc > 0.9", output_format="list")
    assert [m.name for m in found] == ["b"]
    found = lt.search_logged_models(
        filter_string="params.lr = '0.1' AND name = 'a'", output_format="list"
    )
    assert [m.name for m in found] == ["a"]
    ordered = lt.search_logged_models(
        order_by=[{"field_name": "metrics.acc", "ascending": True}], output_format="list"
    )
    assert [m.name for m in ordered] == ["a", "b"]
    assert len(lt.search_logged_models(max_results=1, output_format="list")) == 1
    with pytest.raises(InvalidParameter):
        lt.search_logged_models(output_format="json")


def test_metrics_link_to_a_model_and_a_dataset(classifier):
    df = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
    dataset = lt.data.from_pandas(df, name="eval-set")
    with lt.start_run() as run:
        info = lt.log_model(classifier, "m")
        lt.log_metric("acc", 0.9, step=1, model_id=info.model_id, dataset=dataset)
        lt.log_metrics({"f1": 0.8, "recall": 0.7}, model_id=info.model_id)
        lt.log_metric("auc", 0.6, dataset=dataset)  # the model logged last
    points = {m.key: m for m in lt.get_logged_model(info.model_id).metrics}
    assert set(points) == {"acc", "f1", "recall", "auc"}
    assert (points["acc"].dataset_name, points["acc"].dataset_digest) == (
        "eval-set",
        dataset.digest,
    )
    assert points["acc"].run_id == run.info.run_id and points["f1"].dataset_name is None
    run_inputs = lt.get_run(run.info.run_id).inputs.dataset_inputs
    assert [i.dataset.name for i in run_inputs] == ["eval-set"]  # logged once, as in MLflow
    assert lt.get_run(run.info.run_id).data.metrics == {
        "acc": 0.9,
        "f1": 0.8,
        "recall": 0.7,
        "auc": 0.6,
    }
    on_eval = lt.search_logged_models(
        filter_string="metrics.acc > 0.5",
        datasets=[{"dataset_name": "eval-set", "dataset_digest": dataset.digest}],
        output_format="list",
    )
    assert [m.model_id for m in on_eval] == [info.model_id]


def test_initialize_logged_model_tags_and_params():
    with lt.start_run() as run:
        model = lt.initialize_logged_model("external", tags={"a": "1"}, model_type="agent")
    assert model.status == "PENDING" and model.source_run_id == run.info.run_id
    lt.set_logged_model_tags(model.model_id, {"b": "2"})
    lt.log_model_params({"temperature": 0.2})  # the last model
    got = lt.get_logged_model(model.model_id)
    assert (got.tags, got.params) == ({"a": "1", "b": "2"}, {"temperature": "0.2"})
    lt.delete_logged_model_tag(model.model_id, "a")  # MLflow 3's fluent delete
    assert lt.get_logged_model(model.model_id).tags == {"b": "2"}


def test_registering_a_logged_model_uri_loads_by_version(iris, classifier):
    X, _ = iris
    with lt.start_run():
        info = lt.log_model(classifier, "m")
    version = lt.register_model(info.model_uri, "iris-logged")
    loaded = lt.load_model(f"models:/iris-logged/{version.version}")
    np.testing.assert_array_equal(loaded.predict(X[:3]), classifier.predict(X[:3]))


def test_log_input_records_datasets_on_the_run():
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    train = lt.data.from_pandas(df, source="data/train.csv", name="train", targets="a")
    features = lt.data.from_numpy(np.zeros((4, 2)), targets=np.array([0, 1, 0, 1]), name="arr")
    with lt.start_run() as run:
        lt.log_input(train, context="training", tags={"split": "80%"})
        lt.log_input(features, context="eval")
    inputs = lt.get_run(run.info.run_id).inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == ["train", "arr"]
    first = inputs[0]
    assert {(t.key, t.value) for t in first.tags} == {
        ("mlflow.data.context", "training"),
        ("split", "80%"),
    }
    assert (first.dataset.source_type, json.loads(first.dataset.source)) == (
        "local",
        {"uri": "data/train.csv"},
    )
    assert json.loads(first.dataset.profile) == {"num_rows": 3, "num_elements": 6}
    assert json.loads(first.dataset.schema)["mlflow_colspec"][1] == {
        "type": "string",
        "name": "b",
        "required": True,
    }
    assert json.loads(inputs[1].dataset.profile)["features_shape"] == [4, 2]
    with pytest.raises(InvalidParameter):
        lt.log_input(None)
    with pytest.raises(InvalidParameter):
        lt.data.from_pandas(df, targets="nope")


def test_digests_schema_and_profile_are_mlflows(mlflow_python, tmp_path):  # noqa: F811
    """The same data gives MLflow's digest, schema and profile."""
    import subprocess

    script = """
import json, numpy as np, pandas as pd, mlflow.data
df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, 2.5]})
arr = np.arange(20, dtype="float32").reshape(5, 4)
out = {
    "pandas": mlflow.data.from_pandas(df, source="s3://bucket/df.parquet", name="df").to_dict(),
    "numpy": mlflow.data.from_numpy(arr, targets=np.arange(5), source="/d/arr.npy").to_dict(),
}
print(json.dumps(out))
"""
    done = subprocess.run(
        [mlflow_python, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, 2.5]})
    arr = np.arange(20, dtype="float32").reshape(5, 4)
    ours = {
        "pandas": lt.data.from_pandas(df, source="s3://bucket/df.parquet", name="df").to_dict(),
        "numpy": lt.data.from_numpy(arr, targets=np.arange(5), source="/d/arr.npy").to_dict(),
    }
    assert ours == theirs
