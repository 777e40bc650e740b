"""``lt.keras.MlflowCallback`` logs a Keras fit as MLflow's callback does: optimizer params and
the model summary at the start, metrics per epoch (or every n steps), validation metrics."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import labtrack as lt
import labtrack.keras  # noqa: F401  (lt.keras)
from labtrack.errors import InvalidParameter


def _model():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    return model, x, (x[:, 0] > 0).astype("int64")


def test_importing_lt_keras_imports_no_keras_until_the_callback_is_asked_for():
    import subprocess

    code = "import labtrack.keras, sys; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_epoch_metrics_params_summary_and_validation(client):
    import keras

    model, x, y = _model()
    callback = lt.keras.MlflowCallback()
    assert isinstance(callback, keras.callbacks.Callback)
    assert lt.keras.MLflowCallback is lt.keras.MlflowCallback
    with lt.start_run() as run:
        model.fit(
            x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[callback]
        )
    lt.flush()
    logged = client.get_run(run.info.run_id)
    assert float(logged.data.params["optimizer_learning_rate"]) == pytest.approx(0.01)
    # The optimizer's config, as MLflow's callback logs it: Keras numbers the names of later
    # optimizers of a process (adam_2, ...).
    assert logged.data.params["optimizer_name"] == model.optimizer.get_config()["name"]
    assert logged.data.params["optimizer_name"].startswith("adam")
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss")] == [0, 1, 2]
    assert {"accuracy", "val_loss", "val_accuracy", "validation_loss"} <= set(logged.data.metrics)
    summary = client._artifacts(run.info.run_id).read_bytes("model_summary.txt").decode()
    assert "Dense" in summary or "dense" in summary


def test_every_n_steps_instead_of_epochs(client):
    model, x, y = _model()
    with lt.start_run() as run:
        model.fit(
            x,
            y,
            epochs=2,
            batch_size=8,
            verbose=0,
            callbacks=[lt.keras.MlflowCallback(log_every_epoch=False, log_every_n_steps=2)],
        )
    lt.flush()
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "loss")]
    assert steps == [2, 4, 6, 8]  # 4 batches an epoch, 8 optimizer iterations


def test_bad_arguments_are_refused():
    with pytest.raises(InvalidParameter, match="log_every_n_steps"):
        lt.keras.MlflowCallback(log_every_n_steps=5)
    with pytest.raises(InvalidParameter, match="log_every_n_steps"):
        lt.keras.MlflowCallback(log_every_epoch=False)


def test_a_failing_hook_warns_and_training_goes_on():
    model, x, y = _model()
    with lt.start_run():
        lt.log_param("optimizer_learning_rate", "different")  # the callback's param clashes
        with pytest.warns(UserWarning, match="on_train_begin failed"):
            history = model.fit(x, y, epochs=2, verbose=0, callbacks=[lt.keras.MlflowCallback()])
    assert len(history.history["loss"]) == 2
