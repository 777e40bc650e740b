"""``lt.evaluate`` (MLflow's ``mlflow.evaluate`` / ``mlflow.models.evaluate``): score a
classifier or regressor on a labelled dataset and log what MLflow's default evaluator logs,
under its names.

>>> result = lt.evaluate(info.model_uri, test_df, targets="label",   # doctest: +SKIP
...                      model_type="classifier")
>>> result.metrics["accuracy_score"], result.artifacts["confusion_matrix"].uri

Metrics (step 0, prefixed with ``evaluator_config["metric_prefix"]``):

* classifier: ``example_count``, ``accuracy_score``, ``recall_score``, ``precision_score``,
  ``f1_score``, ``log_loss`` and ``roc_auc`` (with probabilities); binary also
  ``true_negatives``, ``false_positives``, ``false_negatives``, ``true_positives`` and
  ``precision_recall_auc``; multiclass averages are weighted (``evaluator_config["average"]``);
* regressor: ``example_count``, ``mean_absolute_error``, ``mean_squared_error``,
  ``root_mean_squared_error``, ``sum_on_target``, ``mean_on_target``, ``r2_score``,
  ``max_error``, ``mean_absolute_percentage_error``;
* a scikit-learn model also logs its own ``score``.

Artifacts (classifier): ``confusion_matrix.png`` (normalized by true class), and with
probabilities ``roc_curve_plot.png``, ``precision_recall_curve_plot.png`` and
``calibration_curve_plot.png``; binary also ``lift_curve_plot.png``, multiclass
``per_class_metrics.csv``. MLflow's SHAP explanations are not made. scikit-learn, pandas
and matplotlib are imported when ``evaluate`` runs, not before.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter

MODEL_TYPES = ("classifier", "regressor")


@dataclass
class EvaluationArtifact:
    """One file ``evaluate`` logged: its ``uri`` in the run's artifacts and its ``content``
    (a PIL image for a ``.png``, a DataFrame for a ``.csv``, parsed JSON for a ``.json``)."""

    uri: str
    content: Any = None


@dataclass
class EvaluationResult:
    """What ``evaluate`` returns: ``metrics`` ({name: value}), ``artifacts`` ({name:
    ``EvaluationArtifact``}) and the ``run_id`` they were logged to."""

    metrics: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, EvaluationArtifact] = field(default_factory=dict)
    run_id: str | None = None


def evaluate(
    model: Any = None,
    data: Any = None,
    *,
    model_type: str | None = None,
    targets: Any = None,
    predictions: str | None = None,
    dataset_path: str | None = None,
    feature_names: list[str] | None = None,
    evaluators: str | list[str] | None = None,
    evaluator_config: dict[str, Any] | None = None,
    extra_metrics: list[Any] | None = None,
    custom_artifacts: list[Callable] | None = None,
    env_manager: str = "local",
    model_config: dict[str, Any] | None = None,
    inference_params: dict[str, Any] | None = None,
    model_id: str | None = None,
) -> EvaluationResult:
    """Evaluate ``model`` on ``data`` and log the metrics and plots MLflow's default evaluator
    logs into the active run (a run is started, and ended, if none is active).

    ``model``: a model URI (``runs:/``, ``models:/``, a folder), a loaded ``PyFuncModel``,
    any object with ``predict``, a function of the features, or None with ``predictions``
    naming the column of ``data`` that holds them. ``data``: a pandas DataFrame (``targets``
    is the label column's name), an array or list of rows (``targets`` the labels,
    ``feature_names`` the columns), or a dataset of ``lt.data`` (its targets by default).
    ``model_type`` is ``"classifier"`` or ``"regressor"``. ``evaluator_config`` keys:
    ``pos_label``, ``label_list``, ``average``, ``sample_weights``, ``metric_prefix``.
    ``extra_metrics``: objects with ``name`` and
    ``eval_fn(predictions, targets, metrics)`` returning a number. ``custom_artifacts``:
    functions ``(eval_df, metrics, artifacts_dir) -> {name: path or object}``, as in MLflow.
    ``model_config`` and ``inference_params`` go to the model's loading and ``predict``;
    ``model_id`` links the metrics to that logged model. Other evaluators, environment
    managers or model types are refused with an ``InvalidParameter`` naming them.
    """
    dataset = data if _is_labtrack_dataset(data) else None
    if dataset is not None:  # lt.data.from_pandas / from_numpy, as MLflow takes its own
        targets = targets if targets is not None else dataset.targets
        predictions = predictions or getattr(dataset, "predictions", None)
        data = dataset.df if hasattr(dataset, "df") else dataset.features
    config = _checked_arguments(
        model_type, targets, evaluators, evaluator_config, env_manager, model, predictions
    )
    import numpy as np
    import pandas as pd

    features, y_true, given_predictions = _split_data(
        data, targets, predictions if model is None else None, feature_names
    )
    predict, raw_model, loaded_model_id = _predictor(model, model_config, inference_params)
    model_id = model_id or loaded_model_id
    y_pred = given_predictions if model is None else _one_column(predict(features))
    y_proba = None
    if model_type == "classifier" and raw_model is not None:
        proba = getattr(raw_model, "predict_proba", None)
        y_proba = np.asarray(proba(features)) if callable(proba) else None
    weights = config.get("sample_weights")
    prefix = config.get("metric_prefix") or ""
    if not isinstance(prefix, str):
        raise InvalidParameter(f"metric_prefix must be a str, got {prefix!r}")

    from labtrack.tracking import fluent

    started = fluent.active_run() is None
    run = fluent.active_run() or fluent.start_run()
    run_id = run.info.run_id
    try:
        _log_dataset(dataset, features, y_true, targets, dataset_path, prefix)
        metrics: dict[str, float] = {}
        if _is_sklearn(raw_model):
            try:
                metrics["score"] = float(raw_model.score(features, y_true, sample_weight=weights))
            except Exception:  # noqa: BLE001  (MLflow only warns when score fails too)
                pass
        with tempfile.TemporaryDirectory(prefix="labtrack-eval-") as scratch:
            outputs = _Outputs(Path(scratch), prefix, run_id)
            if model_type == "classifier":
                metrics.update(_classifier(outputs, y_true, y_pred, y_proba, config, weights))
            else:
                metrics.update(_regressor_metrics(y_true, y_pred, weights))
            for metric in extra_metrics or ():
                metrics[_extra_metric_name(metric)] = _extra_metric_value(
                    metric, y_pred, y_true, metrics
                )
            prefixed = {f"{prefix}{name}": float(value) for name, value in metrics.items()}
            fluent.log_metrics(prefixed, step=0, synchronous=True, model_id=model_id)
            if custom_artifacts:
                eval_df = pd.DataFrame({"prediction": y_pred, "target": y_true})
                for function in custom_artifacts:
                    outputs.custom(function(eval_df, dict(prefixed), scratch))
        return EvaluationResult(prefixed, outputs.artifacts, run_id)
    finally:
        if started:
            fluent.end_run()


def _checked_arguments(
    model_type, targets, evaluators, evaluator_config, env_manager, model, predictions
):
    if model_type not in MODEL_TYPES:
        raise InvalidParameter(
            f"model_type={model_type!r}: labtrack's evaluator covers 'classifier' and "
            "'regressor' (MLflow's GenAI and text model types are not supported)"
        )
    if evaluators not in (None, "default", ["default"], ("default",)):
        raise InvalidParameter(
            f"evaluators={evaluators!r}: labtrack has only MLflow's 'default' evaluator"
        )
    if env_manager != "local":
        raise InvalidParameter(
            f"env_manager={env_manager!r}: labtrack evaluates in this process only ('local')"
        )
    if targets is None:
        raise InvalidParameter("evaluate needs targets: the label column's name, or the labels")
    if model is None and predictions is None:
        raise InvalidParameter(
            "evaluate needs a model, or predictions naming the column of data that holds them"
        )
    config = dict(evaluator_config or {})
    known = {"pos_label", "label_list", "average", "sample_weights", "metric_prefix"}
    ignored = {"log_model_explainability", "log_explainer", "explainability_algorithm"}
    unknown = set(config) - known - ignored - {k for k in config if k.startswith("calibration_")}
    if unknown:
        raise InvalidParameter(
            f"evaluator_config keys {sorted(unknown)} are not known; labtrack takes "
            f"{', '.join(sorted(known))} (SHAP explainability is not made)"
        )
    return config


def _split_data(data, targets, predictions, feature_names):
    """(features, labels, predictions or None) from MLflow's data/targets/predictions."""
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        if not isinstance(targets, str) or targets not in data.columns:
            raise InvalidParameter(
                f"targets must name a column of the DataFrame; got {targets!r}, columns "
                f"{list(data.columns)}"
            )
        given = None
        if predictions is not None:
            if predictions not in data.columns:
                raise InvalidParameter(f"predictions={predictions!r} is not a column of data")
            given = data[predictions].to_numpy()
        features = data.drop(columns=[c for c in (targets, predictions) if c is not None])
        if feature_names is not None:
            features = features[list(feature_names)]
        return features, data[targets].to_numpy(), given
    if data is None:
        raise InvalidParameter("evaluate needs data: a DataFrame, or an array of rows")
    array = np.asarray(data)
    if array.ndim != 2:
        raise InvalidParameter(f"data must be 2-D (rows of features), got shape {array.shape}")
    labels = np.asarray(targets)
    if labels.shape[:1] != array.shape[:1]:
        raise InvalidParameter(
            f"targets hold {labels.shape[:1]} labels for {array.shape[0]} rows of data"
        )
    names = (
        list(feature_names)
        if feature_names is not None
        else [f"feature_{i + 1}" for i in range(array.shape[1])]
    )
    if predictions is not None:
        raise InvalidParameter("predictions names a column: pass data as a DataFrame")
    return pd.DataFrame(array, columns=names), labels, None


def _predictor(model, model_config, inference_params):
    """(predict(features), the raw model or None, the logged model's id or None)."""
    from labtrack.models.pyfunc_model import PyFuncModel

    if model is None:
        return None, None, None
    if isinstance(model, (str, os.PathLike)):
        from labtrack.models.load import load_model

        model = load_model(model, model_config=model_config)
    if isinstance(model, PyFuncModel):
        raw = model.get_raw_model()
        return (lambda x: model.predict(x, params=inference_params)), raw, model.model_id
    if callable(getattr(model, "predict", None)):
        return model.predict, model, None
    if callable(model):
        return model, None, None
    raise InvalidParameter(
        f"model must be a model URI, a loaded model, an object with predict or a function; "
        f"got {type(model).__name__}"
    )


def _one_column(predicted):
    import numpy as np
    import pandas as pd

    if isinstance(predicted, pd.DataFrame):
        if predicted.shape[1] != 1:
            raise InvalidParameter(
                f"the model returned {predicted.shape[1]} columns; evaluate needs one prediction "
                "per row"
            )
        return predicted.iloc[:, 0].to_numpy()
    array = np.asarray(predicted)
    if array.ndim == 2 and array.shape[1] == 1:
        return array.ravel()
    if array.ndim != 1:
        raise InvalidParameter(
            f"the model returned shape {array.shape}; evaluate needs one prediction per row"
        )
    return array


def _is_sklearn(raw_model) -> bool:
    import sys

    base = sys.modules.get("sklearn.base")
    return base is not None and isinstance(raw_model, base.BaseEstimator)


def _is_labtrack_dataset(data) -> bool:
    from labtrack.data.dataset import NumpyDataset, PandasDataset

    return isinstance(data, (PandasDataset, NumpyDataset))


def _log_dataset(dataset, features, y_true, targets, dataset_path, prefix) -> None:
    """The evaluation data as an input of the run, as MLflow logs it (context: the prefix):
    the dataset given, or one made of the features and labels."""
    import pandas as pd

    from labtrack.data import from_pandas
    from labtrack.tracking import fluent

    if dataset is None:
        name = targets if isinstance(targets, str) else "target"
        frame = features.assign(**{name: y_true}) if name not in features else features
        dataset = from_pandas(pd.DataFrame(frame), source=dataset_path, targets=name)
    fluent.log_input(dataset, context=prefix or None)


# -- metrics -----------------------------------------------------------------------------------


def _regressor_metrics(y, y_pred, weights) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics as m

    total = float((np.asarray(y) * np.asarray(weights)).sum() if weights is not None else np.sum(y))
    return {
        "example_count": len(y),
        "mean_absolute_error": m.mean_absolute_error(y, y_pred, sample_weight=weights),
        "mean_squared_error": m.mean_squared_error(y, y_pred, sample_weight=weights),
        "root_mean_squared_error": math.sqrt(
            m.mean_squared_error(y, y_pred, sample_weight=weights)
        ),
        "sum_on_target": total,
        "mean_on_target": total / len(y),
        "r2_score": m.r2_score(y, y_pred, sample_weight=weights),
        "max_error": m.max_error(y, y_pred),
        "mean_absolute_percentage_error": m.mean_absolute_percentage_error(
            y, y_pred, sample_weight=weights
        ),
    }


def _classifier(outputs, y_true, y_pred, y_proba, config, weights) -> dict[str, float]:
    """MLflow's classifier metrics, and its plots and per-class table as artifacts."""
    import numpy as np
    from sklearn import metrics as m

    labels, pos_label, pos_index = _labels(y_true, y_pred, config)
    binary = len(labels) == 2
    average = "binary" if binary else config.get("average", "weighted")
    metrics: dict[str, float] = {}
    if binary:
        tn, fp, fn, tp = m.confusion_matrix(y_true, y_pred, labels=labels).ravel()
        metrics.update(true_negatives=tn, false_positives=fp, false_negatives=fn, true_positives=tp)
    common = {"average": average, "pos_label": pos_label if binary else None}
    metrics.update(
        example_count=len(y_true),
        accuracy_score=m.accuracy_score(y_true, y_pred, sample_weight=weights),
        recall_score=m.recall_score(y_true, y_pred, sample_weight=weights, **common),
        precision_score=m.precision_score(y_true, y_pred, sample_weight=weights, **common),
        f1_score=m.f1_score(y_true, y_pred, sample_weight=weights, **common),
    )
    if y_proba is not None:
        # predict_proba's columns follow the sorted classes, not label_list's order
        metrics["log_loss"] = m.log_loss(
            y_true, y_proba, labels=np.sort(labels), sample_weight=weights
        )
        if binary:
            positive = y_proba[:, pos_index]
            is_positive = np.asarray(y_true) == pos_label
            metrics["roc_auc"] = m.roc_auc_score(is_positive, positive, sample_weight=weights)
            metrics["precision_recall_auc"] = m.average_precision_score(
                y_true, positive, pos_label=pos_label, sample_weight=weights
            )
        elif average in ("macro", "weighted"):
            metrics["roc_auc"] = m.roc_auc_score(
                y_true, y_proba, sample_weight=weights, average=average, multi_class="ovr"
            )
    _classifier_artifacts(outputs, y_true, y_pred, y_proba, labels, pos_label, pos_index, weights)
    return metrics


def _labels(y_true, y_pred, config):
    """(labels, positive label, its column in predict_proba) as MLflow's evaluator picks them:
    sorted, the positive label last for a binary task."""
    import numpy as np

    given = config.get("label_list")
    labels = (
        np.array(given)
        if given is not None
        else np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
    )
    if len(labels) < 2:
        raise InvalidParameter(
            "a classifier's evaluation needs at least two labels; give "
            "evaluator_config={'label_list': [...]} with every class"
        )
    labels = np.sort(labels)
    pos_label = config.get("pos_label")
    if pos_label is not None and pos_label not in labels:
        raise InvalidParameter(f"pos_label {pos_label!r} is not one of the labels {list(labels)}")
    if len(labels) != 2:
        return labels, None, None
    if pos_label is None:
        pos_label = labels[-1]
    pos_index = int(np.where(labels == pos_label)[0][0])
    labels = np.append(np.delete(labels, pos_index), pos_label)
    return labels, pos_label, pos_index


def _extra_metric_name(metric) -> str:
    name = getattr(metric, "name", None)
    if not isinstance(name, str) or not callable(getattr(metric, "eval_fn", None)):
        raise InvalidParameter(
            f"an extra metric needs a name and an eval_fn(predictions, targets, metrics); got "
            f"{metric!r}"
        )
    return name


def _extra_metric_value(metric, y_pred, y_true, metrics) -> float:
    import pandas as pd

    value = metric.eval_fn(pd.Series(y_pred), pd.Series(y_true), dict(metrics))
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise InvalidParameter(
            f"extra metric {metric.name!r} returned {type(value).__name__}; labtrack logs a number"
        )
    return float(value)


# -- artifacts ---------------------------------------------------------------------------------


class _Outputs:
    """Files written to a scratch folder, logged into the run under MLflow's names, and
    collected as ``EvaluationArtifact``s."""

    def __init__(self, folder: Path, prefix: str, run_id: str):
        self.folder, self.prefix, self.run_id = folder, prefix, run_id
        self.artifacts: dict[str, EvaluationArtifact] = {}

    def figure(self, name: str, draw: Callable[[Any], None], size=(6.0, 4.0)) -> None:
        """A matplotlib figure drawn by ``draw(axes)``, saved as ``<prefix><name>.png``."""
        try:
            from matplotlib.figure import Figure
        except ImportError:  # MLflow, too, logs no plot without matplotlib
            return
        figure = Figure(figsize=size, dpi=175)
        draw(figure.subplots())
        path = self.folder / f"{self.prefix}{name}.png"
        figure.savefig(path, bbox_inches="tight")
        self._log(name, path)

    def frame(self, name: str, frame) -> None:
        """A DataFrame, saved as ``<prefix><name>.csv``."""
        path = self.folder / f"{self.prefix}{name}.csv"
        frame.to_csv(path, index=False)
        self._log(name, path)

    def custom(self, produced: dict[str, Any]) -> None:
        """What a custom artifact function returned: paths of files, DataFrames, figures or
        JSON-able values."""
        import pandas as pd

        if not isinstance(produced, dict):
            raise InvalidParameter(
                f"a custom artifact function must return a dict of name: artifact, got "
                f"{type(produced).__name__}"
            )
        for name, value in produced.items():
            if isinstance(value, (str, os.PathLike)) and Path(value).is_file():
                source = Path(value)
                path = self.folder / f"{self.prefix}{name}{source.suffix}"
                if source.resolve() != path.resolve():
                    path.write_bytes(source.read_bytes())
            elif isinstance(value, pd.DataFrame):
                path = self.folder / f"{self.prefix}{name}.csv"
                value.to_csv(path, index=False)
            elif hasattr(value, "savefig"):
                path = self.folder / f"{self.prefix}{name}.png"
                value.savefig(path, bbox_inches="tight")
            else:
                path = self.folder / f"{self.prefix}{name}.json"
                try:
                    path.write_text(json.dumps(value))
                except TypeError:
                    raise InvalidParameter(
                        f"custom artifact {name!r}: cannot save a {type(value).__name__} "
                        "(return a file path, a DataFrame, a figure or JSON-able data)"
                    ) from None
            self._log(name, path)

    def _log(self, name: str, path: Path) -> None:
        from labtrack.tracking import fluent

        fluent.log_artifact(str(path), run_id=self.run_id)
        uri = fluent.get_run(self.run_id).info.artifact_uri.rstrip("/") + "/" + path.name
        self.artifacts[name] = EvaluationArtifact(uri, _content(path))


def _content(path: Path) -> Any:
    if path.suffix == ".png":
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            return image.copy()
    if path.suffix == ".csv":
        import pandas as pd

        return pd.read_csv(path)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    return None


def _classifier_artifacts(outputs, y_true, y_pred, y_proba, labels, pos_label, pos_index, weights):
    import numpy as np
    from sklearn import metrics as m

    binary = len(labels) == 2
    matrix = m.confusion_matrix(
        y_true, y_pred, labels=labels, normalize="true", sample_weight=weights
    )

    def confusion(axes):
        display = m.ConfusionMatrixDisplay(confusion_matrix=matrix, display_labels=labels)
        display.plot(cmap="Blues", ax=axes)
        axes.set_title("Normalized confusion matrix")

    if not binary:
        outputs.frame("per_class_metrics", _per_class_metrics(y_true, y_pred, labels, weights))
    if y_proba is not None:
        sorted_labels = np.sort(labels)
        if binary:
            curves = [(f"{pos_label}", np.asarray(y_true) == pos_label, y_proba[:, pos_index])]
        else:
            curves = [
                (f"label={label}", np.asarray(y_true) == label, y_proba[:, i])
                for i, label in enumerate(sorted_labels)
            ]
        outputs.figure("roc_curve_plot", lambda axes: _curves(axes, curves, "roc", weights))
        outputs.figure(
            "precision_recall_curve_plot", lambda axes: _curves(axes, curves, "pr", weights)
        )
        if binary:
            outputs.figure("lift_curve_plot", lambda axes: _lift(axes, y_true, y_proba, pos_label))
        outputs.figure("calibration_curve_plot", lambda axes: _calibration(axes, curves))
    outputs.figure("confusion_matrix", confusion)


def _per_class_metrics(y_true, y_pred, labels, weights):
    """MLflow's per_class_metrics.csv: each class against the rest, as a binary task."""
    import numpy as np
    import pandas as pd
    from sklearn import metrics as m

    rows = []
    for label in labels:
        truth = np.where(np.asarray(y_true) == label, 1, 0)
        predicted = np.where(np.asarray(y_pred) == label, 1, 0)
        tn, fp, fn, tp = m.confusion_matrix(truth, predicted, labels=[0, 1]).ravel()
        binary = {"pos_label": 1, "average": "binary", "sample_weight": weights}
        rows.append(
            {
                "positive_class": label,
                "true_negatives": tn,
                "false_positives": fp,
                "false_negatives": fn,
                "true_positives": tp,
                "example_count": len(truth),
                "accuracy_score": m.accuracy_score(truth, predicted, sample_weight=weights),
                "recall_score": m.recall_score(truth, predicted, **binary),
                "precision_score": m.precision_score(truth, predicted, **binary),
                "f1_score": m.f1_score(truth, predicted, **binary),
            }
        )
    return pd.DataFrame(rows)


def _curves(axes, curves, kind: str, weights) -> None:
    """ROC or precision-recall curves, one per (label, is_positive, score), as MLflow draws
    them (steps, with the AUC or AP in the legend, and the chance line dashed)."""
    from sklearn import metrics as m

    for label, truth, score in curves:
        if kind == "roc":
            x, y, _ = m.roc_curve(truth, score, sample_weight=weights)
            text = f"AUC={m.roc_auc_score(truth, score, sample_weight=weights):.3f}"
        else:
            y, x, _ = m.precision_recall_curve(truth, score, sample_weight=weights)
            text = f"AP={m.average_precision_score(truth, score, sample_weight=weights):.3f}"
        axes.plot(x, y, drawstyle="steps-post", linewidth=1, label=f"{label},{text}")
    chance = ([0, 1], [0, 1]) if kind == "roc" else ([0, 1], [1, 0])
    axes.plot(*chance, color="gray", alpha=0.3, linestyle="dashed")
    if kind == "roc":
        axes.set(xlabel="False Positive Rate", ylabel="True Positive Rate", title="ROC curve")
    else:
        axes.set(xlabel="Recall", ylabel="Precision", title="Precision recall curve")
    axes.legend(loc="best")


def _calibration(axes, curves) -> None:
    from sklearn.calibration import calibration_curve

    for label, truth, score in curves:
        fraction, mean_predicted = calibration_curve(truth, score, n_bins=10)
        axes.plot(mean_predicted, fraction, marker="o", linewidth=1, label=label)
    axes.plot([0, 1], [0, 1], color="gray", alpha=0.3, linestyle="dashed")
    axes.set(
        xlabel="Mean predicted probability",
        ylabel="Fraction of positives",
        title="Calibration curve",
    )
    axes.legend(loc="best")


def _lift(axes, y_true, y_proba, pos_label) -> None:
    """MLflow's lift curve of a binary classifier: for each class, the share of it found in
    the top x of rows ranked by its probability, over x."""
    import numpy as np

    truth = np.asarray(y_true)
    classes = np.unique(truth)
    order_x = np.arange(1, len(truth) + 1) / len(truth)
    for index, label in enumerate(classes):
        ranked = (truth == label)[np.argsort(y_proba[:, index])[::-1]]
        gains = np.cumsum(ranked) / max(ranked.sum(), 1)
        suffix = " (positive)" if label == pos_label else ""
        axes.plot(order_x, gains / order_x, linewidth=3, label=f"Class {label}{suffix}")
    axes.plot([0, 1], [1, 1], "k--", linewidth=2, label="Baseline")
    axes.set(xlabel="Percentage of sample", ylabel="Lift", title="Lift Curve")
    axes.grid(True)
    axes.legend(loc="lower right")
