"""scikit-learn autologging, on real estimators and scikit-learn's bundled data sets."""

from __future__ import annotations

import json
import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.base
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import labtrack as lt
import labtrack.sklearn  # noqa: F401  (lt.sklearn)
from labtrack.autolog import LabtrackAutologWarning
from labtrack.tracking import fluent

IRIS_X, IRIS_Y = load_iris(return_X_y=True)


def test_fit_logs_params_tags_training_metrics_and_model(runs, artifact):
    lt.sklearn.autolog()
    clf = LogisticRegression(C=0.5, max_iter=500)
    assert clf.fit(IRIS_X, IRIS_Y) is clf  # fit returns what it returned

    (run,) = runs()
    assert run.info.status == "FINISHED"
    assert run.data.params["C"] == "0.5" and run.data.params["max_iter"] == "500"
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    metrics = run.data.metrics
    assert metrics["training_accuracy"] == pytest.approx(clf.score(IRIS_X, IRIS_Y))
    assert metrics["training_score"] == pytest.approx(clf.score(IRIS_X, IRIS_Y))
    assert {"training_precision", "training_recall", "training_f1", "training_log_loss"} <= set(
        metrics
    )
    assert "training_roc_auc" not in metrics  # three classes

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


def test_binary_classifier_logs_roc_auc(runs):
    lt.sklearn.autolog()
    X, y = load_digits(n_class=2, return_X_y=True)
    LogisticRegression(max_iter=1000).fit(X, y)
    (run,) = runs()
    assert 0.5 < run.data.metrics["training_roc_auc"] <= 1.0


def test_regressor_metrics(runs):
    lt.sklearn.autolog()
    X, y = load_diabetes(return_X_y=True)
    model = Ridge(alpha=0.1).fit(X, y)
    metrics = runs()[0].data.metrics
    mse = float(np.mean((model.predict(X) - y) ** 2))
    assert metrics["training_mse"] == pytest.approx(mse)
    assert metrics["training_rmse"] == pytest.approx(math.sqrt(mse))
    assert metrics["training_mae"] == pytest.approx(float(np.mean(np.abs(model.predict(X) - y))))
    assert metrics["training_r2"] == pytest.approx(model.score(X, y))


def test_grid_search_logs_best_candidate_and_one_child_run_per_candidate(runs, artifact):
    lt.sklearn.autolog()
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
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.data.metrics["training_accuracy"] == pytest.approx(search.score(IRIS_X, IRIS_Y))
    with open(artifact(parent.info.run_id, "best_estimator/model.pkl"), "rb") as file:
        assert pickle.load(file).get_params() == search.best_estimator_.get_params()

    results = search.cv_results_
    for child in children:
        index = next(
            i
            for i, p in enumerate(results["params"])
            if str(p["C"]) == child.data.params["C"] and p["kernel"] == child.data.params["kernel"]
        )
        for key in ("mean_test_score", "std_test_score", "rank_test_score"):
            assert child.data.metrics[key] == pytest.approx(float(results[key][index]))


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
    assert run.data.metrics["training_accuracy"] == pytest.approx(pipeline.score(IRIS_X, IRIS_Y))


def test_fit_logs_into_the_active_run(runs):
    lt.sklearn.autolog()
    with lt.start_run(run_name="mine") as run:
        LogisticRegression(max_iter=500).fit(IRIS_X, IRIS_Y)
        assert lt.active_run() is run  # still open: it is the user's to end
    (logged,) = runs()
    assert logged.info.run_id == run.info.run_id and logged.info.run_name == "mine"
    assert "training_accuracy" in logged.data.metrics
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
    assert "training_r2" in run.data.metrics
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
    assert [f.path for f in lt.Client().list_artifacts(run.info.run_id)] == ["input_example.json"]
