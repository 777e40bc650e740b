"""MLflow's own tutorials and quickstarts (PyTorch, Lightning, Keras 3, hyperparameter search,
model evaluation, MLflow 3's logged models, the model registry, custom pyfunc models), written
as short scripts in ``tutorials/`` from MLflow's documented API and run unchanged on labtrack
through ``labtrack.mlflow_alias``. Each test checks what MLflow's documentation says the
tutorial logs: names of params and metrics, artifact paths, models that load and predict.

Unlike ``test_scripts.py`` these run on labtrack only: MLflow's test environment has no torch
or Keras, and these scripts are about what a new user of labtrack sees. Where the real MLflow
(3.17.2) gives the same answer, the expected values below are the ones it printed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from .test_scripts import _observed, _run

TUTORIALS = Path(__file__).resolve().parent / "tutorials"


def _missing(*modules: str) -> bool:
    # find_spec, not import: the test process stays free of torch and Keras.
    return any(importlib.util.find_spec(module) is None for module in modules)


needs_torch = pytest.mark.skipif(_missing("torch"), reason="needs torch")
needs_lightning = pytest.mark.skipif(_missing("torch", "lightning"), reason="needs lightning")
needs_keras = pytest.mark.skipif(_missing("torch", "keras"), reason="needs keras and torch")


def _tutorial(name: str, tmp_path: Path) -> dict:
    """What ``tutorials/<name>.py`` printed on its ``RESULT`` line, run through the alias."""
    command = [sys.executable, "-m", "labtrack.mlflow_alias", str(TUTORIALS / f"{name}.py")]
    observed = _observed(_run(command, tmp_path, {"KERAS_BACKEND": "torch"}))
    assert observed is not None, f"{name} printed no RESULT line"
    return observed


@pytest.mark.slow
@needs_torch
def test_pytorch_quickstart(tmp_path):
    result = _tutorial("pytorch_quickstart", tmp_path)
    assert result["params"] == ["batch_size", "epochs", "learning_rate", "loss_function"]
    assert result["metrics"] == ["accuracy", "loss"]
    assert result["loss_steps"] == 8  # 4 batches a epoch, 2 epochs: one point a step
    assert "model_summary.txt" in result["artifacts"]
    assert result["model_uri_is_models"]  # MLflow 3: log_model returns models:/<model_id>
    assert result["flavors"] == ["python_function", "pytorch"]
    assert result["same_predictions"]
    assert result["pyfunc_shape"] == [4, 2]


@pytest.mark.slow
@needs_lightning
def test_lightning_autolog(tmp_path):
    result = _tutorial("lightning_autolog", tmp_path)
    # MLflow's Lightning autolog: epochs, the optimizer's name and its defaults; Mode tag.
    expected = {"epochs", "optimizer_name", "lr", "betas", "eps", "weight_decay", "amsgrad"}
    assert expected <= set(result["params"])
    assert result["mode_tag"] == "training"
    assert result["metrics"] == ["train_loss", "val_acc"]
    assert result["train_loss_steps"] == 2  # on_epoch=True: one point an epoch
    assert "model_summary.txt" in result["artifacts"]
    assert result["logged_models"] == ["model"]
    assert result["loads"]


@pytest.mark.slow
@needs_keras
def test_keras_autolog(tmp_path):
    result = _tutorial("keras_autolog", tmp_path)
    expected = {"batch_size", "epochs", "optimizer_name", "optimizer_learning_rate"}
    assert expected <= set(result["params"])
    # Per-epoch metrics, the validation ones twice (val_* from fit's logs each epoch,
    # validation_* from MlflowCallback.on_test_end), as MLflow's callback logs them.
    assert result["metrics"] == [
        "loss",
        "sparse_categorical_accuracy",
        "val_loss",
        "val_sparse_categorical_accuracy",
        "validation_loss",
        "validation_sparse_categorical_accuracy",
    ]
    assert result["loss_steps"] == 2
    assert "model_summary.txt" in result["artifacts"]
    assert result["logged_models"] == ["model"]
    assert result["dataset_contexts"] == ["eval", "train"]
    assert result["loads"]


@pytest.mark.slow
@needs_keras
def test_keras_mlflow_callback(tmp_path):
    result = _tutorial("keras_callback", tmp_path)
    assert "optimizer_learning_rate" in result["params"]
    assert all(name.startswith("optimizer_") for name in result["params"])
    assert result["metrics"] == ["loss", "sparse_categorical_accuracy"]
    assert result["loss_steps"] == 2
    assert "model_summary.txt" in result["artifacts"]
    assert result["pyfunc_shape"] == [3, 2]


def test_hyperparameter_search_with_nested_runs(tmp_path):
    assert _tutorial("hyperparam_nested", tmp_path) == {
        "children": ["alpha=0.01", "alpha=0.1", "alpha=1.0"],
        "children_metrics": ["eval_rmse"],
        "parent_params": {"alpha": "0.01"},
        "best_df_columns": ["metrics.eval_rmse", "params.alpha"],
        "predicts": 3,
    }


CLASSIFIER_METRICS = [
    "accuracy_score",
    "example_count",
    "f1_score",
    "false_negatives",
    "false_positives",
    "log_loss",
    "precision_recall_auc",
    "precision_score",
    "recall_score",
    "roc_auc",
    "score",
    "true_negatives",
    "true_positives",
]
REGRESSOR_METRICS = [
    "example_count",
    "max_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_on_target",
    "mean_squared_error",
    "r2_score",
    "root_mean_squared_error",
    "score",
    "sum_on_target",
]
CLASSIFIER_PLOTS = [
    "calibration_curve_plot",
    "confusion_matrix",
    "lift_curve_plot",
    "precision_recall_curve_plot",
    "roc_curve_plot",
]


@pytest.mark.slow
def test_evaluate_a_classifier_and_a_regressor(tmp_path):
    result = _tutorial("evaluate_models", tmp_path)
    for kind, metrics in (("classifier", CLASSIFIER_METRICS), ("regressor", REGRESSOR_METRICS)):
        assert result[kind]["metrics"] == metrics
        assert result[kind]["stored_metrics"] == metrics  # on the run
        assert sorted(set(result[kind]["model_metrics"])) == metrics  # and on the model
    assert result["classifier"]["artifacts"] == CLASSIFIER_PLOTS
    assert {f"{plot}.png" for plot in CLASSIFIER_PLOTS} <= set(
        result["classifier"]["run_artifacts"]
    )
    assert result["regressor"]["artifacts"] == []
    assert result["static"] == [  # predictions without probabilities: no roc_auc, log_loss
        "accuracy_score",
        "example_count",
        "f1_score",
        "false_negatives",
        "false_positives",
        "precision_score",
        "recall_score",
        "true_negatives",
        "true_positives",
    ]


def test_logged_models_demo(tmp_path):
    assert _tutorial("logged_models", tmp_path) == {
        "ranked_names": ["iris-C100", "iris-C1"],
        "df_rows": 2,
        "has_model_id_column": True,
        "params": {"C": "1.0"},
        "metric": ("accuracy", "iris-test", True, True),
        "run_metrics": ["accuracy"],
        "status": "READY",
        "artifact_location_ok": True,
        "predicts": 3,
    }


def test_model_registry_tutorial(tmp_path):
    assert _tutorial("registry_tutorial", tmp_path) == {
        "versions": [1, 2, 3],
        "champion": (2, ["champion"], {"validation_status": "approved"}, "depth 4"),
        "approved": [2],
        "registered": (
            {"task": "regression"},
            {"challenger": 3, "champion": 2},
            "Random forests on the diabetes data",
        ),
        "after_delete": {"champion": 2},
        "predicts": (3, 3),
        "search_registered": ["diabetes-rf"],
    }


def test_custom_pyfunc_with_artifacts(tmp_path):
    assert _tutorial("pyfunc_artifacts", tmp_path) == {
        "prediction": ["iris-setosa", "iris-setosa", "iris-setosa"],
        "with_params": ["IRIS-SETOSA"],
        "metadata_config": {"prefix": "iris-"},
        "flavors": ["python_function"],
        "requirements": "scikit-learn",
        "signature_params": ["upper"],
        "default_param": ["iris-setosa"],  # the signature's default, upper=False
    }
