"""scikit-learn autologging, on real estimators and scikit-learn's bundled data sets."""

from __future__ import annotations

import json
import math
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn.base
from sklearn.cluster import KMeans
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, recall_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import labtrack as lt
import labtrack.sklearn  # noqa: F401  (lt.sklearn)
from labtrack.autolog import LabtrackAutologWarning
from labtrack.tracking import fluent

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
SCRIPT = Path(__file__).with_name("sklearn_script.py")


def test_fit_logs_params_tags_training_metrics_and_model(runs, artifact):
    # The test's own clf.score calls would log post-training metrics (tested below).
    lt.sklearn.autolog(log_post_training_metrics=False)
    clf = LogisticRegression(C=0.5, max_iter=500)
    assert clf.fit(IRIS_X, IRIS_Y) is clf  # fit returns what it returned

    (run,) = runs()
    assert run.info.status == "FINISHED"
    assert run.data.params["C"] == "0.5" and run.data.params["max_iter"] == "500"
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    metrics = run.data.metrics
    assert metrics["training_accuracy_score"] == pytest.approx(clf.score(IRIS_X, IRIS_Y))
    assert metrics["training_score"] == pytest.approx(clf.score(IRIS_X, IRIS_Y))
    proba = clf.predict_proba(IRIS_X)
    assert metrics["training_log_loss"] == pytest.approx(log_loss(IRIS_Y, proba))
    # Three classes: one-vs-one, weighted, as MLflow computes it.
    expected_auc = roc_auc_score(IRIS_Y, proba, average="weighted", multi_class="ovo")
    assert metrics["training_roc_auc"] == pytest.approx(expected_auc)
    assert set(metrics) == {
        "training_accuracy_score",
        "training_precision_score",
        "training_recall_score",
        "training_f1_score",
        "training_log_loss",
        "training_roc_auc",
        "training_score",
    }
    assert {f.path for f in lt.Client().list_artifacts(run.info.run_id)} == {
        "estimator.html",
        "training_confusion_matrix.png",
        "model",
    }
    with open(artifact(run.info.run_id, "estimator.html")) as file:
        assert "LogisticRegression" in file.read()
    with open(artifact(run.info.run_id, "training_confusion_matrix.png"), "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"

    with open(artifact(run.info.run_id, "model/model.pkl"), "rb") as file:
        loaded = pickle.load(file)
    np.testing.assert_array_equal(loaded.predict(IRIS_X), clf.predict(IRIS_X))
    saved = lt.models.Model.load(artifact(run.info.run_id, "model"))
    assert saved.flavors["sklearn"]["sklearn_version"] == sklearn.__version__
    assert saved.flavors["python_function"]["python_version"].count(".") == 2
    assert saved.get_input_schema().inputs[0].shape == (-1, 4)  # from the training data
    loaded = lt.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(IRIS_X), clf.predict(IRIS_X))


def test_autolog_does_not_change_the_model():
    reference = LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    lt.sklearn.autolog()
    logged = LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    np.testing.assert_array_equal(logged.coef_, reference.coef_)


def test_binary_classifier_logs_roc_auc_and_its_curves(runs):
    lt.sklearn.autolog()
    X, y = load_digits(n_class=2, return_X_y=True)
    LogisticRegression(max_iter=1000).fit(X, y)
    (run,) = runs()
    assert 0.5 < run.data.metrics["training_roc_auc"] <= 1.0
    assert {f.path for f in lt.Client().list_artifacts(run.info.run_id)} >= {
        "training_roc_curve.png",
        "training_precision_recall_curve.png",
    }


def test_pos_label_makes_the_averages_binary(runs):
    lt.sklearn.autolog(pos_label=1)
    X, y = load_digits(n_class=2, return_X_y=True)
    model = LogisticRegression(max_iter=20).fit(X[:60], y[:60])
    predicted = model.predict(X[:60])
    metrics = runs()[0].data.metrics
    assert metrics["training_recall_score"] == pytest.approx(recall_score(y[:60], predicted))


def test_regressor_metrics(runs):
    lt.sklearn.autolog()
    X, y = load_diabetes(return_X_y=True)
    model = Ridge(alpha=0.1).fit(X, y)
    metrics = runs()[0].data.metrics
    mse = float(np.mean((model.predict(X) - y) ** 2))
    mae = float(np.mean(np.abs(model.predict(X) - y)))
    assert metrics == pytest.approx(
        {
            "training_mean_squared_error": mse,
            "training_root_mean_squared_error": math.sqrt(mse),
            "training_mean_absolute_error": mae,
            "training_r2_score": model.score(X, y),
            "training_score": model.score(X, y),
        }
    )


def test_grid_search_logs_best_candidate_and_one_child_run_per_candidate(runs, artifact):
    lt.sklearn.autolog(max_tuning_runs=None)
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    search = GridSearchCV(SVC(), grid, cv=3).fit(IRIS_X, IRIS_Y)

    all_runs = runs()
    parents = [r for r in all_runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in all_runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1  # the inner fits (18 candidates x folds, and the refit) opened no runs
    parent = parents[0]
    assert len(children) == len(search.cv_results_["params"]) == 6
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert all(c.info.status == "FINISHED" for c in children)

    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    assert parent.data.params["best_kernel"] == search.best_params_["kernel"]
    assert parent.data.params["estimator"] == "SVC()"
    assert "estimator__C" not in parent.data.params  # the seed's untuned params: not logged
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    training_accuracy = search.score(IRIS_X, IRIS_Y)
    assert parent.data.metrics["training_accuracy_score"] == pytest.approx(training_accuracy)
    with open(artifact(parent.info.run_id, "cv_results.csv")) as file:
        table = pd.read_csv(file)
    assert list(table["mean_test_score"]) == pytest.approx(
        list(search.cv_results_["mean_test_score"])
    )
    with open(artifact(parent.info.run_id, "best_estimator/model.pkl"), "rb") as file:
        assert pickle.load(file).get_params() == search.best_estimator_.get_params()

    results = search.cv_results_
    for child in children:
        index = next(
            i
            for i, p in enumerate(results["params"])
            if str(p["C"]) == child.data.params["C"] and p["kernel"] == child.data.params["kernel"]
        )
        for key in ("mean_test_score", "std_test_score", "rank_test_score", "mean_fit_time"):
            assert child.data.metrics[key] == pytest.approx(float(results[key][index]))
        assert not any(key.startswith(("split", "param")) for key in child.data.metrics)
        # The full parameter set: the seed estimator's, with the candidate's over them.
        assert child.data.params["gamma"] == "scale" and child.data.params["tol"] == "0.001"
        assert child.data.tags["estimator_class"] == "sklearn.svm._classes.SVC"
        assert child.info.start_time == parent.info.start_time


def test_search_logs_five_candidates_by_default_as_mlflow_does(runs):
    lt.sklearn.autolog()
    GridSearchCV(SVC(), {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}, cv=3).fit(
        IRIS_X, IRIS_Y
    )
    assert len([r for r in runs() if "mlflow.parentRunId" in r.data.tags]) == 5


def test_max_tuning_runs_keeps_the_best_candidates(runs):
    lt.sklearn.autolog(max_tuning_runs=2)
    search = RandomizedSearchCV(
        LogisticRegression(max_iter=500),
        {"C": [0.001, 0.01, 0.1, 1.0]},
        n_iter=4,
        cv=3,
        random_state=0,
    ).fit(IRIS_X, IRIS_Y)
    children = [r for r in runs() if "mlflow.parentRunId" in r.data.tags]
    assert len(children) == 2
    best_two = sorted(search.cv_results_["rank_test_score"])[:2]
    assert sorted(c.data.metrics["rank_test_score"] for c in children) == pytest.approx(best_two)


def test_pipeline_is_one_run_with_the_deep_params(runs):
    lt.sklearn.autolog()
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=2.0, max_iter=500))
    pipeline.fit(IRIS_X, IRIS_Y)
    (run,) = runs()
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert run.data.params["logisticregression__C"] == "2.0"
    assert run.data.params["standardscaler__with_mean"] == "True"
    assert run.data.metrics["training_accuracy_score"] == pytest.approx(
        pipeline.score(IRIS_X, IRIS_Y)
    )


def test_data_preparation_and_cross_validation_open_no_runs(runs):
    lt.sklearn.autolog()
    StandardScaler().fit(IRIS_X)
    StandardScaler().fit_transform(IRIS_X)
    cross_val_score(LogisticRegression(max_iter=500), IRIS_X, IRIS_Y, cv=3)
    assert runs() == []
    KMeans(n_clusters=3, n_init=2, random_state=0).fit_predict(IRIS_X)  # fit_predict logs
    (run,) = runs()
    assert run.data.tags["estimator_name"] == "KMeans" and run.data.params["n_clusters"] == "3"


def test_fit_logs_into_the_active_run(runs):
    lt.sklearn.autolog()
    with lt.start_run(run_name="mine") as run:
        LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
        assert lt.active_run() is run  # still open: it is the user's to end
    (logged,) = runs()
    assert logged.info.run_id == run.info.run_id and logged.info.run_name == "mine"
    assert "training_accuracy_score" in logged.data.metrics
    assert "mlflow.autologging" not in logged.data.tags


def test_disable_restores_the_original_methods_and_stops_logging(runs):
    def own_attributes():
        classes, pending = [], [sklearn.base.BaseEstimator]
        while pending:
            classes.append(pending.pop())
            pending.extend(classes[-1].__subclasses__())
        return {
            (cls, name): cls.__dict__.get(name)
            for cls in classes
            for name in ("fit", "__init_subclass__")
        }

    before = own_attributes()
    lt.sklearn.autolog()
    assert LogisticRegression.fit is not before[(LogisticRegression, "fit")]
    lt.sklearn.autolog(disable=True)
    after = own_attributes()
    assert all(after[key] is value for key, value in before.items())
    LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    assert runs() == []


def test_estimators_defined_after_autolog_are_logged(runs):
    lt.sklearn.autolog(log_models=False)  # a class local to a test cannot be pickled

    class MeanRegressor(sklearn.base.RegressorMixin, sklearn.base.BaseEstimator):
        def __init__(self, shift=0.0):
            self.shift = shift

        def fit(self, X, y):
            self.mean_ = float(np.mean(y)) + self.shift
            return self

        def predict(self, X):
            return np.full(len(X), self.mean_)

    X, y = load_diabetes(return_X_y=True)
    MeanRegressor(shift=1.5).fit(X, y)
    (run,) = runs()
    assert run.data.params == {"shift": "1.5"}
    assert "training_r2_score" in run.data.metrics
    lt.sklearn.autolog(disable=True)
    assert "fit" in MeanRegressor.__dict__ and not hasattr(MeanRegressor.fit, "__wrapped__")


def test_a_failing_logging_call_warns_and_training_goes_on(monkeypatch, runs):
    reference = LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    lt.sklearn.autolog()

    def broken(*args, **kwargs):
        raise RuntimeError("store on fire")

    monkeypatch.setattr(fluent, "log_metrics", broken)
    with pytest.warns(LabtrackAutologWarning, match="store on fire"):
        clf = LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    np.testing.assert_array_equal(clf.coef_, reference.coef_)
    (run,) = runs()
    assert run.info.status == "FINISHED" and run.data.params["max_iter"] == "500"


def test_no_run_at_all_still_trains(monkeypatch, runs):
    lt.sklearn.autolog()
    monkeypatch.setattr(fluent, "start_run", lambda **kwargs: 1 / 0)
    with pytest.warns(LabtrackAutologWarning, match="start a run"):
        clf = LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    assert clf.score(IRIS_X, IRIS_Y) > 0.9
    assert runs() == []


def test_silent_swallows_the_warnings(monkeypatch, runs):
    lt.sklearn.autolog(silent=True)
    failed = []

    def broken(*args, **kwargs):
        failed.append(True)
        raise ZeroDivisionError

    monkeypatch.setattr(fluent, "log_metrics", broken)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabtrackAutologWarning)
        LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    # Autologging did run: it hit the broken call (a warning to swallow) and logged the rest.
    assert failed
    (run,) = runs()
    assert run.info.status == "FINISHED" and run.data.params["max_iter"] == "500"


def test_the_users_error_propagates_unchanged_and_fails_the_run(runs):
    lt.sklearn.autolog()
    X = IRIS_X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN") as raised:
        LogisticRegression().fit(X, IRIS_Y)
    assert "labtrack" not in str(raised.value)
    (run,) = runs()
    assert run.info.status == "FAILED"
    assert "NaN" in run.data.tags["labtrack.error"]
    assert lt.active_run() is None


def test_input_example_and_no_model(runs, artifact):
    lt.sklearn.autolog(log_input_examples=True, log_models=False)
    frame = pd.DataFrame(IRIS_X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    LogisticRegression(max_iter=500).fit(frame, IRIS_Y)
    (run,) = runs()
    with open(artifact(run.info.run_id, "input_example.json")) as file:
        example = json.load(file)
    assert example["columns"] == list(frame.columns)
    assert example["data"] == frame.iloc[:5].to_numpy().tolist()
    assert {f.path for f in lt.Client().list_artifacts(run.info.run_id)} == {
        "estimator.html",
        "input_example.json",
        "training_confusion_matrix.png",
    }


def test_post_training_metrics_are_named_as_mlflow_names_them(runs, artifact):
    unlogged = LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)  # before autolog()
    lt.sklearn.autolog()
    from sklearn import metrics  # after autolog(): its functions are the patched ones

    X_test, y_test = IRIS_X[::3], IRIS_Y[::3]
    model = LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    score = model.score(X_test, y_test)
    predicted = model.predict(X_test)
    accuracy = metrics.accuracy_score(y_test, predicted)
    correct = metrics.accuracy_score(y_test, predicted, normalize=False)  # a second call: -2
    X_test = IRIS_X[1::3]  # another object under the same name: X_test-2
    other = metrics.f1_score(IRIS_Y[1::3], model.predict(X_test), average="macro")
    metrics.accuracy_score(y_test, y_test)  # not a prediction of a logged model: not logged
    unlogged.score(X_test, y_test)  # a model autolog did not log: no run to log into

    (run,) = runs()
    post_training = {k: v for k, v in run.data.metrics.items() if not k.startswith("training_")}
    assert post_training == pytest.approx(
        {
            "LogisticRegression_score_X_test": score,
            "accuracy_score_X_test": accuracy,
            "accuracy_score-2_X_test": correct,
            "f1_score_X_test-2": other,
        }
    )
    with open(artifact(run.info.run_id, "metric_info.json")) as file:
        assert json.load(file) == {
            "LogisticRegression_score_X_test": "LogisticRegression.score(X=X_test, y=y_test)",
            "accuracy_score-2_X_test": (
                "accuracy_score(y_true=y_test, y_pred=predicted, normalize=False)"
            ),
            "accuracy_score_X_test": "accuracy_score(y_true=y_test, y_pred=predicted)",
            "f1_score_X_test-2": "f1_score(y_true=<ndarray>, y_pred=<ndarray>, average='macro')",
        }


def test_post_training_metrics_can_be_turned_off(runs):
    lt.sklearn.autolog(log_post_training_metrics=False)
    model = LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    model.score(IRIS_X, IRIS_Y)
    assert not any(key.endswith("_IRIS_X") for key in runs()[0].data.metrics)


def test_disable_restores_the_metric_functions():
    from sklearn import metrics

    original = metrics.accuracy_score
    lt.sklearn.autolog()
    assert metrics.accuracy_score is not original
    lt.sklearn.autolog(disable=True)
    assert metrics.accuracy_score is original


def test_logs_what_the_real_mlflow_logs_for_the_same_script(mlflow_python, tmp_path):
    """The same script with MLflow's autolog and labtrack's: the same metric names and values,
    params, estimator tags and artifacts (labtrack also keeps the model among the run's
    artifacts, where MLflow 3 logs a separate LoggedModel), post-training metric calls and
    search child runs."""
    processes = {}
    for module, python in (("mlflow", mlflow_python), ("labtrack", sys.executable)):
        folder = tmp_path / module
        folder.mkdir()
        # Both at once, each in its own folder: a test run uses one core otherwise.
        processes[module] = subprocess.Popen(
            [python, str(SCRIPT), module, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=folder,
        )
    logged = {}
    for module, process in processes.items():
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
        logged[module] = json.loads(stdout)
    mlflow, ours = logged["mlflow"], logged["labtrack"]
    assert ours["runs"] == mlflow["runs"]
    assert ours["search"]["children"] == mlflow["search"]["children"] == 5
    for case, expected in mlflow.items():
        if not isinstance(expected, dict):
            continue
        got = ours[case]
        assert set(got["metrics"]) == set(expected["metrics"]), case
        for key, value in expected["metrics"].items():
            if not key.endswith("_time"):  # fit and score times differ from run to run
                assert got["metrics"][key] == pytest.approx(value), (case, key)
        assert got["params"] == expected["params"], case
        for tag in ("estimator_name", "estimator_class", "mlflow.autologging"):
            assert got["tags"].get(tag) == expected["tags"].get(tag), (case, tag)
        assert ("mlflow.parentRunId" in got["tags"]) == ("mlflow.parentRunId" in expected["tags"])
        models = ("model/", "best_estimator/")
        assert [p for p in got["artifacts"] if not p.startswith(models)] == expected["artifacts"]
        assert got.get("metric_info") == expected.get("metric_info"), case
        assert got["inputs"] == expected["inputs"], case  # names, digests, contexts
    assert ours["multiclass"]["metric_info"]  # the comparison did cover post-training metrics
    assert sorted(context for *_, context in ours["multiclass"]["inputs"]) == ["eval", "train"]


def test_runs_are_found_by_filters_on_mlflows_names():
    lt.sklearn.autolog(log_models=False, max_tuning_runs=None)
    LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
    Ridge().fit(*load_diabetes(return_X_y=True))
    GridSearchCV(SVC(), {"C": [0.1, 10.0]}, cv=3).fit(IRIS_X, IRIS_Y)

    def names(filter_string):
        found = lt.search_runs(filter_string=filter_string, output_format="list")
        return sorted(run.data.tags["estimator_name"] for run in found)

    assert names("metrics.training_accuracy_score > 0.9") == ["GridSearchCV", "LogisticRegression"]
    assert names("metrics.training_r2_score > 0.1") == ["Ridge"]
    assert names("tags.estimator_name = 'SVC' and metrics.rank_test_score = 1") == ["SVC"]
    assert names("params.best_C = '10.0' and metrics.best_cv_score > 0.9") == ["GridSearchCV"]
    assert names("params.estimator__C = '1.0'") == []  # a search's seed params are not logged


def test_a_mixin_used_without_base_estimator_opens_no_run(runs):
    lt.sklearn.autolog()

    class Doubler(sklearn.base.TransformerMixin):  # no BaseEstimator: not an estimator
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return X * 2

    assert Doubler().fit_transform(np.ones((2, 2))).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert runs() == []
