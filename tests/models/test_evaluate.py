"""``lt.evaluate``: the metrics and artifacts MLflow's default evaluator logs, by name and
value, checked against the real MLflow evaluating the same models on the same data."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter

from ..mlflow_env import mlflow_python  # noqa: F401  (session fixture)

# Builds the three evaluation tasks; run as is by both sides (same seeds, same libraries).
TASKS = """
import pandas as pd
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression

def tasks():
    X, y = make_classification(n_samples=200, n_features=4, random_state=0)
    binary = pd.DataFrame(X, columns=list("abcd")).assign(label=y)
    iris = load_iris(as_frame=True).frame.rename(columns={"target": "label"})
    diabetes = load_diabetes(as_frame=True).frame.rename(columns={"target": "label"})
    def fit(model, df):
        return model.fit(df.drop(columns="label"), df["label"])
    return {
        "binary": (fit(LogisticRegression(max_iter=1000), binary), binary, "classifier"),
        "multiclass": (fit(LogisticRegression(max_iter=1000), iris), iris, "classifier"),
        "regressor": (fit(LinearRegression(), diabetes), diabetes, "regressor"),
    }
"""

MLFLOW_SCRIPT = (
    TASKS
    + """
import json, sys, mlflow
mlflow.set_tracking_uri("file:" + sys.argv[1])
out = {}
for name, (model, df, model_type) in tasks().items():
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model")
        result = mlflow.evaluate(info.model_uri, df, targets="label", model_type=model_type,
                                 evaluator_config={"log_model_explainability": False})
    out[name] = {"metrics": {k: float(v) for k, v in result.metrics.items()},
                 "artifacts": sorted(result.artifacts)}
print(json.dumps(out))
"""
)


@pytest.fixture(scope="module")
def mlflow_results(mlflow_python, tmp_path_factory):  # noqa: F811
    folder = tmp_path_factory.mktemp("mlflow-evaluate")
    result = subprocess.run(
        [mlflow_python, "-c", MLFLOW_SCRIPT, str(folder / "mlruns")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _tasks():
    namespace: dict = {}
    exec(TASKS, namespace)  # the same code MLflow's side runs
    return namespace["tasks"]()


@pytest.mark.parametrize("task", ["binary", "multiclass", "regressor"])
def test_metrics_and_artifacts_are_mlflows(task, mlflow_results):
    model, df, model_type = _tasks()[task]
    with lt.start_run() as run:
        info = lt.sklearn.log_model(model, "model")
        result = lt.evaluate(info.model_uri, df, targets="label", model_type=model_type)
    expected = mlflow_results[task]
    assert sorted(result.metrics) == sorted(expected["metrics"])
    for name, value in expected["metrics"].items():
        assert result.metrics[name] == pytest.approx(value, rel=1e-6, abs=1e-9), name
    assert sorted(result.artifacts) == expected["artifacts"]
    logged = lt.get_run(run.info.run_id)
    assert logged.data.metrics == pytest.approx(result.metrics)
    files = {a.path for a in lt.Client().list_artifacts(run.info.run_id)}
    for name, artifact in result.artifacts.items():
        assert artifact.uri.rsplit("/", 1)[1] in files
        assert artifact.content is not None, name


def test_confusion_matrix_is_an_image_and_per_class_metrics_a_table():
    model, df, _ = _tasks()["multiclass"]
    result = lt.evaluate(model, df, targets="label", model_type="classifier")
    assert result.artifacts["confusion_matrix"].content.size[0] > 100  # a PIL image
    table = result.artifacts["per_class_metrics"].content
    assert list(table["positive_class"]) == [0, 1, 2]
    assert lt.get_run(result.run_id).info.status == "FINISHED"  # its own run, ended


def test_static_predictions_prefix_and_numpy_data():
    y = np.array([0, 1, 1, 0, 1])
    frame = pd.DataFrame({"x": range(5), "label": y, "pred": [0, 1, 0, 0, 1]})
    result = lt.evaluate(
        data=frame,
        predictions="pred",
        targets="label",
        model_type="classifier",
        evaluator_config={"metric_prefix": "val_"},
    )
    assert result.metrics["val_accuracy_score"] == 0.8
    assert "val_log_loss" not in result.metrics  # no probabilities without a model
    assert "val_confusion_matrix" not in result.artifacts and "confusion_matrix" in result.artifacts
    regression = lt.evaluate(
        lambda features: features["feature_1"] * 2,
        np.array([[1.0], [2.0], [3.0]]),
        targets=[2.0, 4.0, 7.0],
        model_type="regressor",
    )
    assert regression.metrics["max_error"] == 1.0
    assert regression.metrics["example_count"] == 3


def test_extra_metrics_and_custom_artifacts(tmp_path):
    class Metric:
        name = "share_positive"

        @staticmethod
        def eval_fn(predictions, targets, metrics):
            return float((predictions == 1).mean())

    def artifacts(eval_df, metrics, artifacts_dir):
        path = os.path.join(artifacts_dir, "notes.txt")
        with open(path, "w") as file:
            file.write(f"accuracy {metrics['accuracy_score']}")
        return {"notes": path, "summary": {"n": len(eval_df)}}

    frame = pd.DataFrame({"label": [0, 1, 1, 0], "pred": [0, 1, 1, 1]})
    result = lt.evaluate(
        data=frame,
        predictions="pred",
        targets="label",
        model_type="classifier",
        extra_metrics=[Metric()],
        custom_artifacts=[artifacts],
    )
    assert result.metrics["share_positive"] == 0.75
    assert result.artifacts["summary"].content == {"n": 4}
    files = {a.path for a in lt.Client().list_artifacts(result.run_id)}
    assert {"notes.txt", "summary.json"} <= files


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"model_type": "question-answering"}, "model_type="),
        ({"model_type": "classifier", "evaluators": ["shap"]}, "evaluators="),
        ({"model_type": "classifier", "env_manager": "conda"}, "env_manager="),
        ({"model_type": "classifier", "evaluator_config": {"nope": 1}}, "nope"),
        ({"model_type": "classifier", "targets": "missing"}, "targets must name a column"),
    ],
)
def test_what_it_cannot_do_is_refused_by_name(arguments, message):
    frame = pd.DataFrame({"label": [0, 1], "pred": [0, 1]})
    with pytest.raises(InvalidParameter, match=message):
        lt.evaluate(data=frame, predictions="pred", **{"targets": "label", **arguments})
