"""scikit-learn autologging: what ``mlflow.sklearn.autolog()`` logs, under the same names.

A ``fit`` (or ``fit_transform``, ``fit_predict``) logs the estimator's params, the tags
``estimator_name`` and ``estimator_class``, MLflow's ``training_*`` metrics, the artifacts
``estimator.html`` and, for a classifier, ``training_confusion_matrix.png`` (and the ROC and
precision-recall curves for two classes, from ``predict_proba`` or ``decision_function``),
and the model under ``model/``. A parameter search adds ``best_*`` params,
``best_cv_score``, ``cv_results.csv``, ``best_estimator/`` and one child run per candidate.
After training, ``model.score(X_test, y_test)`` and the ``sklearn.metrics`` functions called
on a model's predictions log post-training metrics named as MLflow names them
(``LogisticRegression_score_X_test``, ``accuracy_score_X_test``).

Which methods are patched: those defined in a subclass of ``BaseEstimator``, the ones that
exist when scikit-learn is imported (found by walking ``__subclasses__``) and those defined
later (a hook on ``BaseEstimator.__init_subclass__``). Unlike MLflow's list from
``sklearn.utils.all_estimators()``, this needs no import of all of scikit-learn (seconds) and
covers the user's own and third-party estimators too. As in MLflow, preprocessing estimators
(scalers, imputers, encoders, feature selection, ``ColumnTransformer``) fitted on their own
open no runs: they are data preparation, logged only inside a ``Pipeline``.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
import time
import weakref
from collections import defaultdict
from typing import Any

from labtrack.autolog._common import (
    AutologConfig,
    FitCall,
    configure,
    get_config,
    log_input_example,
    outermost_call,
    param_value,
    patch,
    safely,
    wrap_fit,
)
from labtrack.tracking import fluent

FLAVOR = "sklearn"
TRAINING_PREFIX = "training_"
FIT_METHODS = ("fit", "fit_transform", "fit_predict")
# Their results are tracked so that a metric function called on them knows the run.
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "transform")
# MLflow's list: data preparation is not training.
EXCLUDED_MODULES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
)
EXCLUDED_CLASSES = ("sklearn.compose._column_transformer.ColumnTransformer",)
# Their fits are of clones, one per fold: MLflow logs none of them, nor does labtrack.
UNLOGGED_FUNCTIONS = (
    "cross_validate",
    "cross_val_predict",
    "cross_val_score",
    "learning_curve",
    "permutation_test_score",
    "validation_curve",
)
# sklearn.metrics names that build scorers rather than compute a metric.
NOT_METRICS = ("check_scoring", "get_scorer", "make_scorer", "get_scorer_names")
UNKNOWN_DATASET = "unknown_dataset"


def autolog(
    disable: bool = False,
    log_models: bool = True,
    log_input_examples: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    pos_label: Any = None,
    log_datasets: bool = True,
    log_model_signatures: bool = True,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, str] | None = None,
) -> None:
    """Log every scikit-learn ``fit`` as ``mlflow.sklearn.autolog()`` does, with its names.

    Params are ``get_params(deep=True)`` (shallow for a search, whose seed estimator's
    untuned params would mislead); tags ``estimator_name`` and ``estimator_class``; metrics
    ``training_score`` and, for a classifier, ``training_accuracy_score``,
    ``training_precision_score``, ``training_recall_score``, ``training_f1_score`` (weighted,
    or binary for ``pos_label``), ``training_log_loss`` and ``training_roc_auc`` (with
    ``predict_proba``); for a regressor ``training_mean_squared_error``,
    ``training_root_mean_squared_error``, ``training_mean_absolute_error`` and
    ``training_r2_score``. A search (GridSearchCV, RandomizedSearchCV) logs ``best_*`` params,
    ``best_cv_score``, ``cv_results.csv`` and a child run for each of its ``max_tuning_runs``
    best candidates (None: all) with the candidate's full params and its ``cv_results_``.
    With ``log_post_training_metrics``, ``score`` and ``sklearn.metrics`` calls on a logged
    model's predictions log ``{metric}[-{call}]_{dataset variable}`` metrics and
    ``metric_info.json``; import the metric functions after calling ``autolog()``. With
    ``log_datasets``, the training data (and a logged model's prediction inputs) are the
    run's dataset inputs, context ``train`` (``eval``), with MLflow's digests.
    With ``log_model_signatures``, the model's signature is inferred from the first rows.
    MLflow's ``exclusive`` (log nothing into a run the user started), ``extra_tags`` (on the
    runs autologging starts), ``registered_model_name`` (each logged model becomes a new
    version of it) work as in MLflow; ``disable_for_unsupported_versions`` changes nothing.

    >>> import labtrack as lt                                    # doctest: +SKIP
    >>> lt.sklearn.autolog()
    >>> from sklearn.svm import SVC
    >>> SVC(C=2.0).fit(X, y)      # params.C = '2.0', metrics.training_accuracy_score, ...
    """
    configure(
        FLAVOR,
        disable=disable,
        log_models=log_models,
        log_input_examples=log_input_examples,
        silent=silent,
        patches={"sklearn.base": _install, "sklearn.metrics": _install_metrics},
        max_tuning_runs=max_tuning_runs,
        log_post_training_metrics=log_post_training_metrics,
        pos_label=pos_label,
        log_datasets=log_datasets,
        log_model_signatures=log_model_signatures,
        exclusive=exclusive,
        disable_for_unsupported_versions=disable_for_unsupported_versions,
        registered_model_name=registered_model_name,
        extra_tags=extra_tags,
    )
    if disable:
        _tracker.clear()


# -- patching -----------------------------------------------------------------------------------


def _install() -> None:
    from sklearn import model_selection
    from sklearn.base import BaseEstimator

    inherited_hook = BaseEstimator.__dict__.get("__init_subclass__")

    def __init_subclass__(cls, **kwargs):
        if inherited_hook is not None:
            inherited_hook.__get__(None, cls)(**kwargs)
        else:
            super(BaseEstimator, cls).__init_subclass__(**kwargs)
        safely(FLAVOR, f"patch {cls.__qualname__}", _patch_class, cls)

    patch(FLAVOR, BaseEstimator, "__init_subclass__", lambda _: classmethod(__init_subclass__))
    pending, seen = [BaseEstimator], set()
    while pending:  # every subclass defined so far, however deep (mixins make it a DAG)
        cls = pending.pop()
        if cls not in seen:
            seen.add(cls)
            _patch_class(cls)
            pending.extend(cls.__subclasses__())
    for name in UNLOGGED_FUNCTIONS:
        function = getattr(model_selection, name, None)
        if function is None:
            continue
        # Where it is defined too: cross_val_score calls cross_validate there, so a
        # cross_val_score imported before autolog() still logs none of its fits.
        for module in (model_selection, sys.modules.get(function.__module__)):
            if module is not None and module.__dict__.get(name) is function:
                patch(FLAVOR, module, name, _as_inner_call)


def _patch_class(cls: type) -> None:
    """Patch the methods ``cls`` has, where they are defined: in ``cls``, in another estimator
    class (patched once, there), or in one of scikit-learn's mixins (``ClassifierMixin.score``,
    ``TransformerMixin.fit_transform``), which are not ``BaseEstimator`` subclasses."""
    from sklearn.base import BaseEstimator

    groups = (
        (FIT_METHODS, _patched_fit),
        (PREDICT_METHODS, _wrap_predict),
        (("score",), _wrap_score),
    )
    for methods, make in groups:
        for name in methods:
            owner = next((c for c in cls.__mro__ if name in c.__dict__), None)
            if owner is not None and (
                issubclass(owner, BaseEstimator) or owner.__module__.startswith("sklearn.")
            ):
                _patch_method(owner, name, make)


def _excluded(cls: type) -> bool:
    """Data preparation, which MLflow does not log on its own (the fits it makes, it does)."""
    name = f"{cls.__module__}.{cls.__name__}"
    return cls.__module__.startswith(EXCLUDED_MODULES) or name in EXCLUDED_CLASSES


def _patch_method(cls: type, name: str, make) -> None:
    """Patch ``name`` where ``cls`` defines it: a function, or the function inside an
    ``available_if`` descriptor (so that ``hasattr(pipeline, "predict_proba")`` still asks
    the final step, as it does unpatched)."""
    attribute = cls.__dict__.get(name)
    if getattr(attribute, "__isabstractmethod__", False):
        return
    if inspect.isfunction(attribute):
        patch(FLAVOR, cls, name, make)
    elif inspect.isfunction(getattr(attribute, "fn", None)):
        patch(FLAVOR, attribute, "fn", make)


def _as_inner_call(original):
    @functools.wraps(original)
    def patched(*args, **kwargs):
        with outermost_call():  # the fits inside are not outermost: they log nothing
            return original(*args, **kwargs)

    return patched


def _install_metrics() -> None:
    from sklearn import metrics

    for name in getattr(metrics, "__all__", ()):
        function = getattr(metrics, name, None)
        if (
            inspect.isfunction(function)
            and name not in NOT_METRICS
            and not name.startswith("plot_")
        ):
            patch(FLAVOR, metrics, name, _wrap_metric)


# -- fit ----------------------------------------------------------------------------------------


def _is_search(estimator: Any) -> bool:
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    return isinstance(estimator, (GridSearchCV, RandomizedSearchCV))


def _before_fit(call: FitCall) -> None:
    estimator, run_id = call.instance, call.run_id
    safely(FLAVOR, "log the estimator's params", _log_params, estimator, run_id)
    safely(FLAVOR, "tag the run", fluent.set_tags, _estimator_tags(estimator))
    X, y, _ = _fit_data(call)
    if call.config.log_input_examples and X is not None:
        safely(FLAVOR, "log an input example", log_input_example, run_id, X)
    if call.config.options.get("log_datasets") and X is not None:
        safely(FLAVOR, "log the training dataset", _log_dataset, run_id, X, y, "train")


def _dataset(X: Any, y: Any = None) -> Any:
    """MLflow's description of the data (its ``_create_dataset``): a frame's columns (its
    labels not included), or an array's (a sparse matrix's) features and targets."""
    import numpy as np

    from labtrack import data

    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return data.from_pandas(X)
    if hasattr(X, "toarray"):  # scipy.sparse
        X, y = X.toarray(), (y.toarray() if hasattr(y, "toarray") else y)
    if isinstance(X, np.ndarray):
        return data.from_numpy(X, targets=y) if y is not None else data.from_numpy(X)
    return None


def _dataset_input(dataset: Any, context: str) -> Any:
    from labtrack.entities import DatasetInput, InputTag
    from labtrack.entities.dataset import CONTEXT_TAG

    return DatasetInput(dataset.to_entity(), [InputTag(CONTEXT_TAG, context)])


def _log_dataset(run_id: str, X: Any, y: Any, context: str) -> None:
    from labtrack.tracking.client import TrackingClient

    dataset = _dataset(X, y)
    if dataset is not None:
        TrackingClient().log_inputs(run_id, [_dataset_input(dataset, context)])


def _estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


def _log_params(estimator: Any, run_id: str) -> None:
    params = estimator.get_params(deep=not _is_search(estimator))
    fluent.log_params({key: param_value(value) for key, value in params.items()}, run_id=run_id)


def _after_fit(call: FitCall, result: Any) -> None:
    estimator, run_id, config = call.instance, call.run_id, call.config
    X, y, sample_weight = _fit_data(call)
    is_search = hasattr(estimator, "cv_results_")
    # A search fitted with refit=False has no model to score or to save.
    fitted = not is_search or hasattr(estimator, "best_estimator_")
    if fitted and call.config.log_models:
        safely(FLAVOR, "log the model", _log_estimator, estimator, run_id, "model", X, config)
    if fitted and X is not None:
        _log_training_content(estimator, X, y, sample_weight, run_id, config)
    safely(FLAVOR, "log estimator.html", _log_estimator_html, estimator, run_id)
    if is_search:
        _log_search(estimator, run_id, config, X, y)
    if config.options.get("log_post_training_metrics"):
        safely(
            FLAVOR, "track the model for post-training metrics", _tracker.fitted, estimator, run_id
        )


_logging_fit = wrap_fit(FLAVOR, before=_before_fit, after=_after_fit)


def _patched_fit(original):
    logging = _logging_fit(original)

    @functools.wraps(original)
    def patched(self, *args, **kwargs):
        # A mixin's method (TransformerMixin.fit_transform) may serve a class that is no
        # estimator (no get_params): that is not a fit to log.
        if _excluded(type(self)) or not hasattr(self, "get_params"):
            return original(self, *args, **kwargs)
        return logging(self, *args, **kwargs)

    return patched


def _fit_data(call: FitCall) -> tuple[Any, Any, Any]:
    """``fit``'s data, whatever its parameters are called: (X, y, sample_weight)."""
    parameters = list(inspect.signature(call.original).parameters.values())[1:]
    names = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    arguments = call.arguments()
    X = arguments.get(names[0]) if names else None
    y = arguments.get(names[1]) if len(names) > 1 else arguments.get("y")
    return X, y, arguments.get("sample_weight")


def _log_training_content(estimator, X, y, sample_weight, run_id, config) -> None:
    """MLflow's training metrics and plots, each computed on its own, so one that fails only
    drops that one (with a warning)."""
    from sklearn.base import is_classifier, is_regressor

    computed: dict[str, Any] = {}
    if y is not None and is_classifier(estimator):
        computed = _classifier_metrics(estimator, X, y, sample_weight, config.options["pos_label"])
    elif y is not None and is_regressor(estimator):
        computed = _regressor_metrics(estimator, X, y, sample_weight)
    if y is not None and hasattr(estimator, "score"):
        # Only with a sample_weight parameter does score get the weights (as in MLflow).
        takes_weight = "sample_weight" in inspect.signature(estimator.score).parameters
        weight = {"sample_weight": sample_weight} if takes_weight else {}
        computed["score"] = lambda: estimator.score(X, y, **weight)
    values = {}
    for name, compute in computed.items():
        value = safely(FLAVOR, f"compute {TRAINING_PREFIX}{name}", compute)
        if value is not None:
            values[TRAINING_PREFIX + name] = float(value)
    if values:
        safely(FLAVOR, "log training metrics", fluent.log_metrics, values, run_id=run_id)
    if is_classifier(estimator) and y is not None:
        for name, draw in _classifier_plots(estimator, X, y, sample_weight).items():
            safely(FLAVOR, f"plot {TRAINING_PREFIX}{name}", _log_plot, draw, name, run_id)


def _classifier_metrics(estimator, X, y, sample_weight, pos_label) -> dict[str, Any]:
    from sklearn import metrics as m

    predicted = safely(FLAVOR, "predict on the training data", estimator.predict, X)
    if predicted is None:
        return {}
    weight = {"sample_weight": sample_weight}
    averaged = {"pos_label": pos_label, "average": "weighted" if pos_label is None else "binary"}
    computed = {
        "precision_score": lambda: m.precision_score(y, predicted, **averaged, **weight),
        "recall_score": lambda: m.recall_score(y, predicted, **averaged, **weight),
        "f1_score": lambda: m.f1_score(y, predicted, **averaged, **weight),
        "accuracy_score": lambda: m.accuracy_score(y, predicted, **weight),
    }
    if hasattr(estimator, "predict_proba"):  # False, say, for SVC without probability=True
        proba = safely(FLAVOR, "predict probabilities", estimator.predict_proba, X)
        if proba is not None:
            computed["log_loss"] = lambda: m.log_loss(y, proba, **weight)
            # Two classes: the score of the greater label; more: one-vs-one, weighted.
            score = proba[:, 1] if proba.shape[1] == 2 else proba
            computed["roc_auc"] = lambda: m.roc_auc_score(
                y, score, average="weighted", multi_class="ovo", **weight
            )
    return computed


def _regressor_metrics(estimator, X, y, sample_weight) -> dict[str, Any]:
    import numpy as np
    from sklearn import metrics as m

    predicted = safely(FLAVOR, "predict on the training data", estimator.predict, X)
    if predicted is None:
        return {}
    arguments = {"sample_weight": sample_weight, "multioutput": "uniform_average"}
    mse = functools.partial(m.mean_squared_error, y, predicted, **arguments)
    return {
        "mean_squared_error": mse,
        "root_mean_squared_error": lambda: np.sqrt(mse()),
        "mean_absolute_error": lambda: m.mean_absolute_error(y, predicted, **arguments),
        "r2_score": lambda: m.r2_score(y, predicted, **arguments),
    }


def _classifier_plots(estimator, X, y, sample_weight) -> dict[str, Any]:
    """name -> a function drawing the plot on the Axes it is given."""
    import numpy as np
    from sklearn import metrics as m

    plots = {
        "confusion_matrix": lambda ax: m.ConfusionMatrixDisplay.from_estimator(
            estimator, X, y, sample_weight=sample_weight, normalize="true", cmap="Blues", ax=ax
        ).ax_.set_title("Normalized confusion matrix")
    }
    # The curves need scores: without predict_proba or decision_function there are none.
    scores = hasattr(estimator, "predict_proba") or hasattr(estimator, "decision_function")
    if len(np.unique(y)) == 2 and scores:
        plots["roc_curve"] = lambda ax: m.RocCurveDisplay.from_estimator(
            estimator, X, y, sample_weight=sample_weight, ax=ax
        ).ax_.set_title("ROC curve")
        plots["precision_recall_curve"] = lambda ax: m.PrecisionRecallDisplay.from_estimator(
            estimator, X, y, sample_weight=sample_weight, ax=ax
        ).ax_.set_title("Precision recall curve")
    return plots


def _log_plot(draw, name: str, run_id: str) -> None:
    # A bare Figure, not pyplot: no global figure state, nothing for Jupyter's inline
    # backend to display under the cell.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.0, 4.0), dpi=175, layout="tight")
    draw(figure.subplots())
    fluent.log_figure(figure, f"{TRAINING_PREFIX}{name}.png", run_id=run_id)


def _log_estimator_html(estimator: Any, run_id: str) -> None:
    from sklearn.utils import estimator_html_repr

    # The charset keeps the repr's toggle arrows from being garbled (as in MLflow's page).
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8"/>\n  </head>\n'
        f"  <body>\n    {estimator_html_repr(estimator)}\n  </body>\n</html>\n"
    )
    fluent.log_text(page, "estimator.html", run_id=run_id)


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
    wants_signature = config is None or config.options.get("log_model_signatures", True)
    signature = None
    if head is not None and not keep_example and wants_signature:
        signature = safely(FLAVOR, "infer the model's signature", _signature, estimator, head)
    log_model(
        estimator,
        artifact_path,
        flavor=FLAVOR,
        run_id=run_id,
        signature=signature,
        input_example=head if keep_example else None,
        # The model only: MLflow registers no best_estimator (which gets no config here).
        registered_model_name=config.registered_model_name if config else None,
    )


def _first_rows(X: Any, rows: int = 5) -> Any:
    return X.iloc[:rows] if hasattr(X, "iloc") else X[:rows]


def _signature(estimator: Any, head: Any) -> Any:
    from labtrack.models import infer_signature

    output = estimator.predict(head) if hasattr(estimator, "predict") else estimator.transform(head)
    return infer_signature(head, output)


# -- parameter searches -------------------------------------------------------------------------


def _log_search(search: Any, run_id: str, config: AutologConfig, X: Any, y: Any) -> None:
    """The parent run gets the best candidate and ``cv_results.csv``; candidates, child runs."""
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
        search,
        run_id,
        config.options.get("max_tuning_runs"),
        X,
        y,
    )
    safely(FLAVOR, "log cv_results.csv", _log_cv_results, search.cv_results_, run_id)


def _log_cv_results(results: dict[str, Any], run_id: str) -> None:
    import pandas as pd

    fluent.log_text(pd.DataFrame(results).to_csv(index=False), "cv_results.csv", run_id=run_id)


def _log_candidates(search: Any, parent_run_id: str, limit: int | None, X: Any, y: Any) -> None:
    """One child run per candidate (the ``limit`` best by rank; None: all), as MLflow logs
    them: tag ``mlflow.parentRunId``, the seed estimator's tags, its params with the
    candidate's over them, and each numeric ``cv_results_`` column but the ``param_*`` and
    per-split ones. Through the client: the children are complete at once, never active."""
    from numbers import Number

    from labtrack.entities import Metric, Param
    from labtrack.tracking.client import TrackingClient

    results = search.cv_results_
    seed = search.estimator
    training = None
    if get_config(FLAVOR) is not None and get_config(FLAVOR).options.get("log_datasets"):
        training = safely(FLAVOR, "describe the training dataset", _dataset, X, y)
    base = seed.get_params(deep=not _is_search(seed))
    keys = [
        key
        for key, column in results.items()
        if not key.startswith(("param", "split")) and len(column) and isinstance(column[0], Number)
    ]
    candidates = list(range(len(results["params"])))
    if limit is not None:
        # rank_test_score, or with several scorers the first rank_test_<scorer> (as MLflow)
        ranks = ["rank_test_score", *(k for k in results if k.startswith("rank_test_"))]
        rank_key = next((k for k in ranks if k in results), None)
        if rank_key is not None:  # a stable sort: ties keep cv_results_' order, as in MLflow
            candidates = sorted(candidates, key=lambda i: results[rank_key][i])
        candidates = candidates[:limit]
    client = TrackingClient()
    parent = client.get_run(parent_run_id)
    now = int(time.time() * 1000)
    for index in candidates:
        child = client.create_run(
            parent.info.experiment_id,
            start_time=parent.info.start_time,  # when each candidate ran is not known
            run_name=f"{parent.info.run_name}-{index}",
            tags={
                "mlflow.parentRunId": parent_run_id,
                "mlflow.autologging": FLAVOR,
                **_estimator_tags(seed),
            },
        )
        params = {**base, **results["params"][index]}
        try:
            client.log_batch(
                child.info.run_id,
                metrics=[Metric(key, float(results[key][index]), now, 0) for key in keys],
                params=[Param(key, param_value(value)) for key, value in params.items()],
            )
            if training is not None:
                client.log_inputs(child.info.run_id, [_dataset_input(training, "train")])
        except Exception:
            client.set_terminated(child.info.run_id, "FAILED")
            raise
        client.set_terminated(child.info.run_id, "FINISHED", end_time=now)


# -- post-training metrics ------------------------------------------------------------------------


class _PostTrainingTracker:
    """Which run a fitted model, and each of its prediction results, belong to; and the metric
    calls logged per run (MLflow's ``_AutologgingMetricsManager``). Holds ids and run ids, never
    the user's data: entries go when the model or prediction is garbage-collected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.predictions: dict[int, tuple[str, str]] = {}  # id(result) -> (run, dataset name)
        self.datasets: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.calls: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def clear(self) -> None:
        with self._lock:
            self.models.clear()
            self.predictions.clear()
            self.datasets.clear()
            self.calls.clear()

    def fitted(self, model: Any, run_id: str) -> None:
        self.models[model] = run_id

    def run_of(self, model: Any) -> str | None:
        config = get_config(FLAVOR)
        if config is None or not config.options.get("log_post_training_metrics"):
            return None
        try:
            return self.models.get(model)
        except TypeError:  # an estimator that cannot be weakly referenced or hashed
            return None

    def dataset_name(self, run_id: str, dataset: Any, frame) -> str:
        """The dataset's variable name in the user's code; a second object under the same
        name becomes ``name-2``, and so on."""
        name = _variable_name(dataset, frame, UNKNOWN_DATASET)
        with self._lock:
            seen = self.datasets[run_id][name]
            if id(dataset) not in seen:
                seen.append(id(dataset))
            return _with_index(name, seen.index(id(dataset)))

    def predicted(self, run_id: str, dataset_name: str, result: Any) -> None:
        key = id(result)
        try:  # the entry goes with the result: its id may be reused afterwards
            weakref.finalize(result, self.predictions.pop, key, None)
        except TypeError:  # a list, say: no metric can be traced back to it
            return
        self.predictions[key] = (run_id, dataset_name)

    def source_of(self, values) -> tuple[str, str] | None:
        for value in values:
            found = self.predictions.get(id(value))
            if found is not None:
                return found
        return None

    def log(self, run_id: str, metric: str, dataset_name: str, command: str, value) -> None:
        """``{metric}[-{call}]_{dataset}`` into the run, and ``metric_info.json`` rewritten
        with the call that produced each such metric."""
        with self._lock:
            calls = self.calls[run_id][metric]
            key = f"{_with_index(metric, len(calls))}_{dataset_name}"
            calls.append((key, command))
            info = dict(sorted(c for per_metric in self.calls[run_id].values() for c in per_metric))
        fluent.log_metric(key, float(value), run_id=run_id)
        fluent.log_dict(info, "metric_info.json", run_id=run_id)


_tracker = _PostTrainingTracker()


def _with_index(name: str, index: int) -> str:
    # '-' cannot occur in a Python name, so 'X-2' never clashes with a variable's name.
    return name if index == 0 else f"{name}-{index + 1}"


def _loggable(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _variable_name(value: Any, frame, fallback: str) -> str:
    """The name ``value`` has in the code that made the call (MLflow's rule): from ``frame``
    outwards, while ``value`` is an argument of the frame's function look at its caller, else
    the frame's variable that holds it."""
    if value is None:
        return fallback
    while frame is not None:
        info = inspect.getargvalues(frame)
        arguments = [info.locals[name] for name in info.args]
        arguments += list(info.locals[info.varargs]) if info.varargs else []
        arguments += list(info.locals[info.keywords].values()) if info.keywords else []
        if any(argument is value for argument in arguments):
            frame = frame.f_back
            continue
        return next((name for name, v in frame.f_locals.items() if v is value), fallback)
    return fallback


def _call_command(function, owner: Any, args: tuple, kwargs: dict, frame) -> str:
    """``accuracy_score(y_true=y_test, y_pred=predicted)``: the call as metric_info.json
    shows it, data arguments by their variable names."""
    import numpy as np

    def text(value: Any) -> str:
        if value is None or np.isscalar(value):
            if isinstance(value, str) and len(value) > 32:
                return repr(value[:32] + "...")
            return repr(value)
        return _variable_name(value, frame, f"<{type(value).__name__}>")

    names = list(inspect.signature(function).parameters)[1 if owner is not None else 0 :]
    shown = [f"{name}={text(value)}" for name, value in zip(names, args, strict=False)]
    shown += [f"{name}={text(value)}" for name, value in kwargs.items()]
    prefix = f"{type(owner).__name__}." if owner is not None else ""
    return f"{prefix}{function.__name__}({', '.join(shown)})"


def _first_argument(function, args: tuple, kwargs: dict) -> Any:
    if args:
        return args[0]
    return kwargs.get(list(inspect.signature(function).parameters)[1])


def _wrap_predict(original):
    @functools.wraps(original)
    def patched(self, *args, **kwargs):
        run_id = _tracker.run_of(self)
        if run_id is None:
            return original(self, *args, **kwargs)
        caller = sys._getframe(1)
        with outermost_call() as outermost:
            result = original(self, *args, **kwargs)
        if outermost:
            safely(
                FLAVOR,
                "track a prediction",
                _track_prediction,
                original,
                self,
                args,
                kwargs,
                result,
                run_id,
                caller,
            )
        return result

    return patched


def _track_prediction(original, model, args, kwargs, result, run_id, caller) -> None:
    dataset = _first_argument(original, args, kwargs)
    _tracker.predicted(run_id, _tracker.dataset_name(run_id, dataset, caller), result)
    config = get_config(FLAVOR)
    if config is not None and config.options.get("log_datasets") and dataset is not None:
        safely(FLAVOR, "log the evaluation dataset", _log_dataset, run_id, dataset, None, "eval")


def _wrap_score(original):
    @functools.wraps(original)
    def patched(self, *args, **kwargs):
        run_id = _tracker.run_of(self)
        if run_id is None:
            return original(self, *args, **kwargs)
        caller = sys._getframe(1)
        with outermost_call() as outermost:
            value = original(self, *args, **kwargs)
        if outermost and _loggable(value):
            safely(
                FLAVOR,
                "log a post-training score",
                _log_score,
                original,
                self,
                args,
                kwargs,
                value,
                run_id,
                caller,
            )
        return value

    return patched


def _log_score(original, model, args, kwargs, value, run_id, caller) -> None:
    dataset = _tracker.dataset_name(run_id, _first_argument(original, args, kwargs), caller)
    command = _call_command(original, model, args, kwargs, caller)
    _tracker.log(run_id, f"{type(model).__name__}_score", dataset, command, value)


def _wrap_metric(original):
    @functools.wraps(original)
    def patched(*args, **kwargs):
        if not _tracker.predictions or get_config(FLAVOR) is None:  # the common case, fast
            return original(*args, **kwargs)
        caller = sys._getframe(1)
        with outermost_call() as outermost:
            value = original(*args, **kwargs)
        if outermost and _loggable(value):
            safely(
                FLAVOR,
                "log a post-training metric",
                _log_metric_call,
                original,
                args,
                kwargs,
                value,
                caller,
            )
        return value

    return patched


def _log_metric_call(original, args, kwargs, value, caller) -> None:
    import numpy as np

    arguments = [a for a in (*args, *kwargs.values()) if a is not None and not np.isscalar(a)]
    source = _tracker.source_of(arguments)
    if source is not None:
        run_id, dataset = source
        command = _call_command(original, None, args, kwargs, caller)
        _tracker.log(run_id, original.__name__, dataset, command, value)


__all__ = ["autolog"]
