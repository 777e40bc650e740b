"""scikit-learn autologging: every estimator's ``fit`` logs params, training metrics and the model.

Which ``fit`` methods are patched: every ``fit`` defined in a subclass of ``BaseEstimator``,
those that exist when scikit-learn is imported (found by walking ``__subclasses__``) and those
defined later (a hook on ``BaseEstimator.__init_subclass__``). Unlike MLflow's list from
``sklearn.utils.all_estimators()``, this needs no import of all of scikit-learn (seconds),
covers estimators imported after ``autolog()``, and covers the user's own and third-party
estimators (xgboost's, say) too. Inherited ``fit`` methods are covered by their base class's.
"""

from __future__ import annotations

import inspect
import math
import time
from typing import Any

from labtrack.autolog._common import (
    AutologConfig,
    FitCall,
    configure,
    log_input_example,
    param_value,
    patch,
    safely,
    wrap_fit,
)
from labtrack.tracking import fluent

FLAVOR = "sklearn"


def autolog(
    disable: bool = False,
    log_models: bool = True,
    log_input_examples: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = None,
) -> None:
    """Log every scikit-learn ``fit``: the estimator's params (``get_params(deep=True)``),
    tags ``estimator_name`` and ``estimator_class``, ``training_*`` metrics, and the model
    as ``model/model.pkl``. A search (GridSearchCV, ...) also logs ``best_*`` params,
    ``best_cv_score``, ``best_estimator/`` and one child run per candidate (the best
    ``max_tuning_runs`` of them; None logs all).

    >>> import labtrack as lt                                    # doctest: +SKIP
    >>> lt.sklearn.autolog()
    >>> from sklearn.svm import SVC
    >>> SVC(C=2.0).fit(X, y)      # a run with params.C = '2.0', metrics.training_accuracy, ...
    """
    configure(
        FLAVOR,
        disable=disable,
        log_models=log_models,
        log_input_examples=log_input_examples,
        silent=silent,
        patches={"sklearn.base": _install},
        max_tuning_runs=max_tuning_runs,
    )


def _install() -> None:
    from sklearn.base import BaseEstimator

    inherited_hook = BaseEstimator.__dict__.get("__init_subclass__")

    def __init_subclass__(cls, **kwargs):
        if inherited_hook is not None:
            inherited_hook.__get__(None, cls)(**kwargs)
        else:
            super(BaseEstimator, cls).__init_subclass__(**kwargs)
        safely(FLAVOR, f"patch {cls.__qualname__}.fit", _patch_class, cls)

    patch(FLAVOR, BaseEstimator, "__init_subclass__", lambda _: classmethod(__init_subclass__))
    pending, seen = [BaseEstimator], set()
    while pending:  # every subclass defined so far, however deep (mixins make it a DAG)
        cls = pending.pop()
        if cls not in seen:
            seen.add(cls)
            _patch_class(cls)
            pending.extend(cls.__subclasses__())


def _patch_class(cls: type) -> None:
    fit = cls.__dict__.get("fit")
    if inspect.isfunction(fit) and not getattr(fit, "__isabstractmethod__", False):
        patch(FLAVOR, cls, "fit", _patched_fit)


def _before_fit(call: FitCall) -> None:
    estimator, run_id = call.instance, call.run_id
    safely(FLAVOR, "log the estimator's params", _log_params, estimator, run_id)
    cls = type(estimator)
    safely(
        FLAVOR,
        "tag the run",
        fluent.set_tags,
        {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__qualname__}"},
    )
    X, _, _ = _fit_data(call)
    if call.config.log_input_examples and X is not None:
        safely(FLAVOR, "log an input example", log_input_example, run_id, X)


def _log_params(estimator: Any, run_id: str) -> None:
    params = estimator.get_params(deep=True)
    fluent.log_params({key: param_value(value) for key, value in params.items()}, run_id=run_id)


def _after_fit(call: FitCall, result: Any) -> None:
    estimator, run_id = call.instance, call.run_id
    X, y, sample_weight = _fit_data(call)
    is_search = hasattr(estimator, "cv_results_")
    # A search fitted with refit=False has no model to score or to save.
    fitted = not is_search or hasattr(estimator, "best_estimator_")
    if fitted and X is not None and y is not None:
        _log_training_metrics(estimator, X, y, sample_weight, run_id)
    if is_search:
        _log_search(estimator, run_id, call.config)
    if fitted and call.config.log_models:
        safely(FLAVOR, "log the model", _log_estimator, estimator, run_id, "model", X, call.config)


_patched_fit = wrap_fit(FLAVOR, before=_before_fit, after=_after_fit)


def _fit_data(call: FitCall) -> tuple[Any, Any, Any]:
    """``fit``'s data, whatever its parameters are called: (X, y, sample_weight)."""
    parameters = list(inspect.signature(call.original).parameters.values())[1:]
    names = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    arguments = call.arguments()
    X = arguments.get(names[0]) if names else None
    y = arguments.get(names[1]) if len(names) > 1 else arguments.get("y")
    return X, y, arguments.get("sample_weight")


def _log_training_metrics(estimator: Any, X: Any, y: Any, sample_weight: Any, run_id: str) -> None:
    """``training_score`` and, for a classifier or regressor, the usual metrics on the
    training data; each is computed on its own, so one that fails only drops that one."""
    import numpy as np
    from sklearn import metrics as m
    from sklearn.base import is_classifier, is_regressor

    weight = {} if sample_weight is None else {"sample_weight": sample_weight}
    computed: dict[str, Any] = {}
    if hasattr(estimator, "score"):
        computed["score"] = lambda: estimator.score(X, y, **weight)
    single_output = np.ndim(y) == 1
    if single_output and (is_classifier(estimator) or is_regressor(estimator)):
        predicted = safely(FLAVOR, "predict on the training data", estimator.predict, X)
        if predicted is not None:
            computed.update(
                _classifier_metrics(estimator, X, y, predicted, weight, m)
                if is_classifier(estimator)
                else _regressor_metrics(y, predicted, weight, m)
            )
    values = {}
    for name, compute in computed.items():
        value = safely(FLAVOR, f"compute training_{name}", compute)
        if value is not None:
            values[f"training_{name}"] = float(value)
    safely(FLAVOR, "log training metrics", fluent.log_metrics, values, run_id=run_id)


def _classifier_metrics(estimator, X, y, predicted, weight, m) -> dict[str, Any]:
    averaged = {"average": "weighted", "zero_division": 0, **weight}
    computed = {
        "accuracy": lambda: m.accuracy_score(y, predicted, **weight),
        "precision": lambda: m.precision_score(y, predicted, **averaged),
        "recall": lambda: m.recall_score(y, predicted, **averaged),
        "f1": lambda: m.f1_score(y, predicted, **averaged),
    }
    if hasattr(estimator, "predict_proba"):  # False, say, for SVC(probability=False)
        proba = safely(
            FLAVOR, "predict probabilities on the training data", estimator.predict_proba, X
        )
        if proba is not None:
            computed["log_loss"] = lambda: m.log_loss(y, proba, labels=estimator.classes_, **weight)
            if len(estimator.classes_) == 2:
                computed["roc_auc"] = lambda: m.roc_auc_score(y, proba[:, 1], **weight)
    return computed


def _regressor_metrics(y, predicted, weight, m) -> dict[str, Any]:
    return {
        "mse": lambda: m.mean_squared_error(y, predicted, **weight),
        "rmse": lambda: math.sqrt(m.mean_squared_error(y, predicted, **weight)),
        "mae": lambda: m.mean_absolute_error(y, predicted, **weight),
        "r2": lambda: m.r2_score(y, predicted, **weight),
    }


def _log_estimator(
    estimator: Any,
    run_id: str,
    artifact_path: str,
    X: Any = None,
    config: AutologConfig | None = None,
) -> None:
    """The model through ``lt.log_model`` (``model.pkl`` and ``MLmodel``), with a signature
    inferred from the first training rows, as MLflow's autologging does; those rows are
    also its input example when ``log_input_examples`` is on."""
    from labtrack.models import log_model

    head = _first_rows(X) if X is not None else None
    keep_example = head is not None and config is not None and config.log_input_examples
    signature = None
    if head is not None and not keep_example:
        signature = safely(FLAVOR, "infer the model's signature", _signature, estimator, head)
    log_model(
        estimator,
        artifact_path,
        flavor=FLAVOR,
        run_id=run_id,
        signature=signature,
        input_example=head if keep_example else None,
    )


def _first_rows(X: Any, rows: int = 5) -> Any:
    return X.iloc[:rows] if hasattr(X, "iloc") else X[:rows]


def _signature(estimator: Any, head: Any) -> Any:
    from labtrack.models import infer_signature

    return infer_signature(head, estimator.predict(head))


def _log_search(search: Any, run_id: str, config: AutologConfig) -> None:
    """The parent run gets the best candidate; each candidate gets a child run."""
    if hasattr(search, "best_params_"):
        best = {f"best_{key}": param_value(value) for key, value in search.best_params_.items()}
        safely(FLAVOR, "log the best params", fluent.log_params, best, run_id=run_id)
    if hasattr(search, "best_score_"):
        safely(
            FLAVOR,
            "log best_cv_score",
            fluent.log_metric,
            "best_cv_score",
            search.best_score_,
            run_id=run_id,
        )
    if hasattr(search, "best_estimator_") and config.log_models:
        safely(
            FLAVOR,
            "log the best estimator",
            _log_estimator,
            search.best_estimator_,
            run_id,
            "best_estimator",
        )
    safely(
        FLAVOR,
        "log the candidates as child runs",
        _log_candidates,
        search.cv_results_,
        run_id,
        config.options.get("max_tuning_runs"),
    )


def _log_candidates(results: dict[str, Any], parent_run_id: str, limit: int | None) -> None:
    """One child run per candidate (tag ``mlflow.parentRunId``) with its params and its
    ``mean_*``, ``std_*`` and ``rank_*`` results. Through the client, as MLflow does: the
    children are complete records at once, never the active run."""
    from labtrack.entities import Metric, Param
    from labtrack.tracking.client import TrackingClient

    client = TrackingClient()
    parent = client.get_run(parent_run_id)
    keys = [key for key in results if key.startswith(("mean_", "std_", "rank_"))]
    candidates = range(len(results["params"]))
    rank_key = (
        "rank_test_score"
        if "rank_test_score" in results
        else next((key for key in keys if key.startswith("rank_test_")), None)
    )
    if limit is not None and rank_key is not None:
        candidates = sorted(candidates, key=lambda i: results[rank_key][i])[:limit]
    now = int(time.time() * 1000)
    for index in candidates:
        child = client.create_run(
            parent.info.experiment_id,
            run_name=f"{parent.info.run_name}-{index}",
            tags={"mlflow.parentRunId": parent_run_id, "mlflow.autologging": FLAVOR},
        )
        params = [Param(key, param_value(value)) for key, value in results["params"][index].items()]
        metrics = [Metric(key, float(results[key][index]), now, 0) for key in keys]
        try:
            client.log_batch(child.info.run_id, metrics=metrics, params=params)
        except Exception:
            client.set_terminated(child.info.run_id, "FAILED")
            raise
        client.set_terminated(child.info.run_id, "FINISHED")


__all__ = ["autolog"]
