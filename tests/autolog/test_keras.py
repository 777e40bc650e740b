"""Keras 3 autologging (torch backend, set in conftest.py), on tiny models and iris."""

from __future__ import annotations

import inspect
import subprocess

import keras
import numpy as np
import pytest
from sklearn.datasets import load_iris

import labtrack as lt
import labtrack.keras  # noqa: F401  (lt.keras)
from labtrack.autolog import LabtrackAutologWarning
from labtrack.tracking import fluent

# Keras's torch backend trips numpy 2's __array__ deprecation on every batch: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

X, Y = load_iris(return_X_y=True)
X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype("float32")


def tiny_model(learning_rate: float = 0.01) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_fit_logs_epoch_metrics_params_summary_and_model(runs, history, artifact):
    lt.keras.autolog()
    model = tiny_model()
    result = model.fit(X, Y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)

    (run,) = runs()
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.autologging"] == "keras"
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        points = history(run.info.run_id, key)
        assert [step for step, _ in points] == [0, 1, 2]
        assert [value for _, value in points] == pytest.approx(result.history[key])
    # What mlflow.keras.autolog() logs (mlflow/keras/autologging.py and callback.py): every
    # argument of fit, defaults included, but x, y, callbacks, validation_data and verbose...
    params = run.data.params
    fit_arguments = set(inspect.signature(keras.Model.fit).parameters) - {
        "self",
        "x",
        "y",
        "callbacks",
        "validation_data",
        "verbose",
    }
    assert fit_arguments <= set(params)
    assert params["epochs"] == "3" and params["batch_size"] == "16"
    assert params["validation_split"] == "0.2" and params["steps_per_epoch"] == "None"
    # ... and the optimizer's config, each key prefixed with optimizer_.
    optimizer_keys = {f"optimizer_{key}" for key in model.optimizer.get_config()}
    assert set(params) == fit_arguments | optimizer_keys
    # The config name as Keras numbers it in this process (adam_3 after three others).
    assert params["optimizer_name"] == model.optimizer.get_config()["name"]
    assert params["optimizer_name"].startswith("adam")
    assert float(params["optimizer_learning_rate"]) == pytest.approx(0.01)
    # The validation after each epoch, as validation_<metric>.
    for key in ("validation_loss", "validation_accuracy"):
        assert [step for step, _ in history(run.info.run_id, key)] == [0, 1, 2]
    assert run.data.metrics["validation_loss"] == pytest.approx(result.history["val_loss"][-1])

    with open(artifact(run.info.run_id, "model_summary.txt")) as file:
        assert "dense" in file.read().lower()
    loaded = keras.models.load_model(artifact(run.info.run_id, "model/model.keras"))
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    saved = lt.models.Model.load(artifact(run.info.run_id, "model"))
    assert saved.flavors["keras"]["keras_backend"] == "torch"


def test_early_stopping_is_logged(runs, history):
    lt.keras.autolog(log_models=False)
    # No epoch can improve the loss by 1000: training stops at epoch 1 and restores epoch 0.
    stopper = keras.callbacks.EarlyStopping(
        monitor="loss", min_delta=1000, patience=1, restore_best_weights=True
    )
    callbacks = [stopper]
    result = tiny_model().fit(X, Y, epochs=5, callbacks=callbacks, verbose=0)
    assert callbacks == [stopper]  # the user's list is left as it was

    (run,) = runs()
    assert len(result.history["loss"]) == 2
    assert [step for step, _ in history(run.info.run_id, "loss")] == [0, 1]
    assert run.data.metrics["stopped_epoch"] == 1 and run.data.metrics["restored_epoch"] == 0
    assert run.data.params["monitor"] == "loss" and run.data.params["patience"] == "1"
    assert run.data.params["restore_best_weights"] == "True"


def test_fit_logs_into_the_active_run_and_not_per_batch(runs, history):
    lt.keras.autolog(log_models=False)
    with lt.start_run() as run:
        tiny_model().fit(X, Y, epochs=2, batch_size=8, steps_per_epoch=5, verbose=0)
    (logged,) = runs()
    assert logged.info.run_id == run.info.run_id
    assert logged.data.params["steps_per_epoch"] == "5"
    assert [step for step, _ in history(run.info.run_id, "loss")] == [0, 1]  # 10 batches, 2 points


def test_broken_logging_warns_and_training_is_unchanged(monkeypatch):
    reference = tiny_model().fit(X, Y, epochs=2, verbose=0).history
    lt.keras.autolog()
    monkeypatch.setattr(fluent, "log_metrics", lambda *a, **k: 1 / 0)
    with pytest.warns(LabtrackAutologWarning, match="ZeroDivisionError"):
        logged = tiny_model().fit(X, Y, epochs=2, verbose=0).history
    assert logged["loss"] == pytest.approx(reference["loss"])


def test_the_users_error_propagates_and_fails_the_run(runs):
    lt.keras.autolog()
    with pytest.raises(ValueError):
        tiny_model().fit(X, Y, epochs=1, validation_split=2.0, verbose=0)  # not a fraction
    (run,) = runs()
    assert run.info.status == "FAILED"


def test_disable_restores_keras_fit(runs):
    assert "fit" not in vars(keras.Model)  # inherited from the backend's trainer
    inherited = keras.Model.fit
    lt.keras.autolog()
    assert "fit" in vars(keras.Model)
    lt.keras.autolog(disable=True)
    assert "fit" not in vars(keras.Model) and keras.Model.fit is inherited
    tiny_model().fit(X, Y, epochs=1, verbose=0)
    assert runs() == []


def test_datasets_are_logged_with_mlflows_digests(runs, mlflow_python, tmp_path):
    lt.keras.autolog(log_models=False)
    validation = (X[:30], Y[:30])
    tiny_model().fit(X, Y, epochs=1, validation_data=validation, verbose=0)
    (found,) = runs()
    run = lt.Client().get_run(found.info.run_id)
    logged = {
        {tag.key: tag.value for tag in item.tags}["mlflow.data.context"]: item.dataset
        for item in run.inputs.dataset_inputs
    }
    assert set(logged) == {"train", "eval"}
    assert {dataset.name for dataset in logged.values()} == {"dataset"}
    # What the real MLflow's keras autolog logs for the same arrays: from_numpy(x, targets=y).
    np.savez(tmp_path / "data.npz", x=X, y=Y, vx=validation[0], vy=validation[1])
    script = (
        "import sys, numpy as np, mlflow.data\n"
        "d = np.load(sys.argv[1])\n"
        "print(mlflow.data.from_numpy(d['x'], targets=d['y']).digest,"
        " mlflow.data.from_numpy(d['vx'], targets=d['vy']).digest)"
    )
    done = subprocess.run(
        [mlflow_python, "-c", script, str(tmp_path / "data.npz")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [logged["train"].digest, logged["eval"].digest]


def test_log_every_n_steps_instead_of_every_epoch(runs, history):
    lt.keras.autolog(log_models=False, log_every_epoch=False, log_every_n_steps=3)
    # iris: 150 rows in batches of 50 = 3 steps per epoch; iterations 1..6 over 2 epochs.
    tiny_model().fit(X, Y, epochs=2, batch_size=50, verbose=0)
    (run,) = runs()
    assert [step for step, _ in history(run.info.run_id, "loss")] == [3, 6]
    with pytest.raises(lt.errors.InvalidParameter, match="log_every_n_steps"):
        lt.keras.autolog(log_every_n_steps=3)  # with log_every_epoch=True: one or the other
